// GlobMatch: Redis's glob-style pattern matching (stringmatchlen in util.c), used by
// CONFIG GET and, later, KEYS / SCAN MATCH / PSUBSCRIBE.
//
//   *        any run of bytes, including none      ?      exactly one byte
//   [abc]    one of a, b, c                        [^abc] any byte but a, b, c
//   [a-z]    a range (reversed ranges work too)    \x     x literally, also inside [...]
//
// Redis's quirks are kept: an unterminated '[' matches as if closed at the end of the
// pattern; a '-' right before ']' forms a range with ']'; with nocase an escaped byte
// inside brackets still compares exactly; an empty text matches only an empty pattern
// (a lone "*" does not match "", so KEYS and SCAN short-cut "*" as Redis does). Case
// folding is ASCII only. Recursion is bounded (as in Redis 7) so hostile patterns can
// neither blow the stack nor run for ever.
// Pure function; thread-safe. Header-only because the build lists no common/glob.cc.
#pragma once

#include <cstddef>
#include <string_view>
#include <utility>

namespace vellum {

namespace glob_internal {

inline int Fold(int c, bool nocase) { return nocase && c >= 'A' && c <= 'Z' ? c + 32 : c; }

// Matches one [...] class at pattern[*p] (just past the '['); advances *p to its ']' (or
// the end of the pattern) and returns whether byte `c` is in the class.
inline bool MatchClass(std::string_view pattern, size_t* p, char c, bool nocase) {
  size_t i = *p;
  bool negate = i < pattern.size() && pattern[i] == '^';
  if (negate) i++;
  bool match = false;
  while (true) {
    size_t left = pattern.size() - i;
    if (left == 0) {  // unterminated: stop on the last byte, as Redis does
      i--;
      break;
    }
    if (pattern[i] == '\\' && left >= 2) {
      i++;
      if (pattern[i] == c) match = true;
    } else if (pattern[i] == ']') {
      break;
    } else if (left >= 3 && pattern[i + 1] == '-') {
      int start = Fold(pattern[i], nocase);
      int end = Fold(pattern[i + 2], nocase);
      if (start > end) std::swap(start, end);
      int ch = Fold(c, nocase);
      if (ch >= start && ch <= end) match = true;
      i += 2;
    } else if (Fold(pattern[i], nocase) == Fold(c, nocase)) {
      match = true;
    }
    i++;
  }
  *p = i;
  return negate ? !match : match;
}

// Redis's stringmatchlen_impl. *skip_longer is set once a '*' has tried every suffix of
// the text: an earlier '*' taking more bytes cannot help, so the search stops.
inline bool Match(std::string_view pattern, std::string_view text, bool nocase, bool* skip_longer,
                  int nesting) {
  if (nesting > 1000) return false;
  size_t p = 0;
  size_t s = 0;
  while (p < pattern.size() && s < text.size()) {
    switch (pattern[p]) {
      case '*':
        while (p + 1 < pattern.size() && pattern[p + 1] == '*') p++;
        if (p + 1 == pattern.size()) return true;
        for (; s < text.size(); s++) {
          if (Match(pattern.substr(p + 1), text.substr(s), nocase, skip_longer, nesting + 1)) {
            return true;
          }
          if (*skip_longer) return false;
        }
        *skip_longer = true;
        return false;
      case '?':
        s++;
        break;
      case '[':
        p++;
        if (!MatchClass(pattern, &p, text[s], nocase)) return false;
        s++;
        break;
      case '\\':
        if (p + 1 < pattern.size()) p++;
        [[fallthrough]];
      default:
        if (Fold(pattern[p], nocase) != Fold(text[s], nocase)) return false;
        s++;
        break;
    }
    p++;
    if (s == text.size()) {
      while (p < pattern.size() && pattern[p] == '*') p++;
      break;
    }
  }
  return p == pattern.size() && s == text.size();
}

}  // namespace glob_internal

// True if `text` matches the glob `pattern`; nocase folds ASCII letters.
inline bool GlobMatch(std::string_view pattern, std::string_view text, bool nocase = false) {
  bool skip_longer = false;
  return glob_internal::Match(pattern, text, nocase, &skip_longer, 0);
}

}  // namespace vellum
