#include "protocol/resp_parser.h"

#include <cstring>

#include "common/numbers.h"
#include "protocol/errors.h"

namespace vellum::protocol {
namespace {

// Finds "\r\n" in [data+from, data+len); returns the offset of '\r' or npos.
size_t FindCrlf(const char* data, size_t len, size_t from) {
  while (from < len) {
    const void* p = std::memchr(data + from, '\r', len - from);
    if (p == nullptr) return std::string_view::npos;
    size_t at = static_cast<const char*>(p) - data;
    if (at + 1 >= len) return std::string_view::npos;  // '\r' is last: wait for '\n'
    if (data[at + 1] == '\n') return at;
    from = at + 1;
  }
  return std::string_view::npos;
}

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}
bool IsSpace(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f';
}

}  // namespace

ParseStatus RespParser::Fail(std::string message) {
  error_ = std::move(message);
  ResetCommand();
  return ParseStatus::kError;
}

void RespParser::ResetCommand() {
  multibulk_len_ = -1;
  bulk_len_ = -1;
  pos_ = 0;
  bytes_needed_ = 0;
  args_.clear();
}

ParseStatus RespParser::Parse(const char* data, size_t len, size_t* consumed,
                              std::vector<std::string_view>* argv) {
  argv->clear();
  *consumed = 0;
  if (len == 0) return ParseStatus::kIncomplete;
  if (multibulk_len_ >= 0 || data[0] == '*') return ParseMultibulk(data, len, consumed, argv);
  return ParseInline(data, len, consumed, argv);
}

ParseStatus RespParser::ParseInline(const char* data, size_t len, size_t* consumed,
                                    std::vector<std::string_view>* argv) {
  const void* nl = std::memchr(data, '\n', len);
  if (nl == nullptr) {
    if (len > limits_.max_inline_len) return Fail(err::kProtoTooBigInline);
    return ParseStatus::kIncomplete;
  }
  size_t eol = static_cast<const char*>(nl) - data;
  size_t line_len = eol;
  if (line_len > 0 && data[line_len - 1] == '\r') line_len--;
  inline_args_.clear();
  if (!SplitInlineArgs(std::string_view(data, line_len), &inline_args_)) {
    return Fail(err::kProtoUnbalancedQuotes);
  }
  for (const std::string& a : inline_args_) argv->emplace_back(a);
  *consumed = eol + 1;
  return ParseStatus::kCommand;
}

ParseStatus RespParser::ParseMultibulk(const char* data, size_t len, size_t* consumed,
                                       std::vector<std::string_view>* argv) {
  if (multibulk_len_ < 0) {
    size_t cr = FindCrlf(data, len, 0);
    if (cr == std::string_view::npos) {
      if (len > limits_.max_inline_len) return Fail(err::kProtoTooBigMbulk);
      return ParseStatus::kIncomplete;
    }
    int64_t n = 0;
    if (!ParseInt64(std::string_view(data + 1, cr - 1), &n) || n > limits_.max_multibulk_len ||
        n > INT32_MAX) {
      return Fail(err::kProtoInvalidMbulk);
    }
    pos_ = cr + 2;
    if (n <= 0) {  // "*0" and "*-1" are empty commands, skipped as Redis does
      *consumed = pos_;
      ResetCommand();
      return ParseStatus::kCommand;
    }
    multibulk_len_ = n;
    // Reserve modestly: a hostile "*1000000000" must not allocate up front.
    args_.reserve(static_cast<size_t>(n < 1024 ? n : 1024));
  }

  while (static_cast<int64_t>(args_.size()) < multibulk_len_) {
    if (bulk_len_ < 0) {
      if (pos_ >= len) return ParseStatus::kIncomplete;
      size_t cr = FindCrlf(data, len, pos_);
      if (cr == std::string_view::npos) {
        if (len - pos_ > limits_.max_inline_len) return Fail(err::kProtoTooBigBulk);
        return ParseStatus::kIncomplete;
      }
      if (data[pos_] != '$') {
        std::string msg = "ERR Protocol error: expected '$', got '";
        msg.push_back(data[pos_]);
        msg += "'";
        return Fail(std::move(msg));
      }
      int64_t n = 0;
      if (!ParseInt64(std::string_view(data + pos_ + 1, cr - pos_ - 1), &n) || n < 0 ||
          n > limits_.max_bulk_len) {
        return Fail(err::kProtoInvalidBulk);
      }
      bulk_len_ = n;
      pos_ = cr + 2;
    }
    size_t need = pos_ + static_cast<size_t>(bulk_len_) + 2;
    if (len < need) {
      bytes_needed_ = need;
      return ParseStatus::kIncomplete;
    }
    // Like Redis, the two bytes after the payload are skipped, not checked.
    args_.emplace_back(pos_, static_cast<size_t>(bulk_len_));
    pos_ = need;
    bulk_len_ = -1;
  }

  argv->reserve(args_.size());
  for (const auto& [off, n] : args_) argv->emplace_back(data + off, n);
  *consumed = pos_;
  ResetCommand();
  return ParseStatus::kCommand;
}

bool SplitInlineArgs(std::string_view line, std::vector<std::string>* out) {
  size_t i = 0;
  const size_t n = line.size();
  while (true) {
    while (i < n && IsSpace(line[i])) i++;
    if (i >= n) return true;
    bool in_dq = false, in_sq = false, done = false;
    std::string cur;
    while (!done) {
      if (in_dq) {
        if (i >= n) return false;  // unterminated quotes
        if (line[i] == '\\' && i + 3 < n && line[i + 1] == 'x' && IsHexDigit(line[i + 2]) &&
            IsHexDigit(line[i + 3])) {
          cur.push_back(static_cast<char>(HexValue(line[i + 2]) * 16 + HexValue(line[i + 3])));
          i += 3;
        } else if (line[i] == '\\' && i + 1 < n) {
          i++;
          char c;
          switch (line[i]) {
            case 'n': c = '\n'; break;
            case 'r': c = '\r'; break;
            case 't': c = '\t'; break;
            case 'b': c = '\b'; break;
            case 'a': c = '\a'; break;
            default: c = line[i]; break;
          }
          cur.push_back(c);
        } else if (line[i] == '"') {
          // closing quote must be followed by a space or nothing
          if (i + 1 < n && !IsSpace(line[i + 1])) return false;
          done = true;
        } else {
          cur.push_back(line[i]);
        }
      } else if (in_sq) {
        if (i >= n) return false;
        if (line[i] == '\\' && i + 1 < n && line[i + 1] == '\'') {
          i++;
          cur.push_back('\'');
        } else if (line[i] == '\'') {
          if (i + 1 < n && !IsSpace(line[i + 1])) return false;
          done = true;
        } else {
          cur.push_back(line[i]);
        }
      } else {
        if (i >= n) {
          done = true;
          break;
        }
        switch (line[i]) {
          case ' ': case '\n': case '\r': case '\t': case '\0':
            done = true;
            break;
          case '"': in_dq = true; break;
          case '\'': in_sq = true; break;
          default: cur.push_back(line[i]); break;
        }
      }
      if (i < n) i++;
    }
    out->push_back(std::move(cur));
  }
}

}  // namespace vellum::protocol
