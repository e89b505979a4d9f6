// Small helpers every command family uses to read its arguments, returning Redis's
// exact error texts. Header-only; pure.
#pragma once

#include <cctype>
#include <string_view>

#include "common/numbers.h"
#include "common/status.h"
#include "protocol/errors.h"

namespace vellum::server {

inline bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// "ERR value is not an integer or out of range" unless s is a strict int64.
inline Status ParseIntArg(std::string_view s, int64_t* out) {
  if (!ParseInt64(s, out)) return Status::Error(protocol::err::kNotInteger);
  return Status::Ok();
}

// "ERR value is not a valid float" unless s is a float (no NaN).
inline Status ParseFloatArg(std::string_view s, long double* out) {
  if (!ParseLongDouble(s, out)) return Status::Error(protocol::err::kNotFloat);
  return Status::Ok();
}

// Parses a database index for SELECT/MOVE/COPY/SWAPDB.
inline Status ParseDbIndex(std::string_view s, int* out) {
  int64_t v = 0;
  if (!ParseInt64(s, &v)) return Status::Error(protocol::err::kNotInteger);
  if (v < 0 || v >= 16) return Status::Error(protocol::err::kDbOutOfRange);
  *out = static_cast<int>(v);
  return Status::Ok();
}

// Reads a SCAN/HSCAN/SSCAN cursor the way Redis's strtoul-based parser does: an empty
// string is 0, a leading '+' or '-' is accepted ('-' wraps), parsing stops at a NUL.
inline bool ParseScanCursor(std::string_view s, uint64_t* out) {
  s = s.substr(0, s.find('\0'));
  if (s.empty()) {
    *out = 0;
    return true;
  }
  if (std::isspace(static_cast<unsigned char>(s[0]))) return false;
  bool negative = false;
  size_t i = 0;
  if (s[0] == '+' || s[0] == '-') {
    negative = s[0] == '-';
    i = 1;
  }
  if (i == s.size()) return false;
  uint64_t v = 0;
  for (; i < s.size(); i++) {
    if (s[i] < '0' || s[i] > '9') return false;
    uint64_t digit = static_cast<uint64_t>(s[i] - '0');
    if (v > (UINT64_MAX - digit) / 10) return false;
    v = v * 10 + digit;
  }
  *out = negative ? ~v + 1 : v;
  return true;
}

#define VELLUM_RETURN_IF_ERROR(expr)    \
  do {                                  \
    ::vellum::Status _st = (expr);      \
    if (!_st.ok()) return _st;          \
  } while (0)

}  // namespace vellum::server
