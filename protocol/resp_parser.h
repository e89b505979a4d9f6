// RespParser: turns the bytes a client sent into argument lists, one command at a time.
//
// Accepts RESP multibulk requests ("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n") and inline
// (telnet-style) requests ("GET k\r\n") exactly as Redis does, including its limits and
// its "Protocol error: ..." texts. Incremental: a command split across reads is resumed
// where it stopped, without rescanning bulk payloads, so a 64 MiB value costs one pass.
//
// Contract with the caller: every call passes the buffer starting at the first byte of
// the command being parsed; bytes already passed must stay unchanged (new bytes are only
// appended). On kCommand, `consumed` bytes make up the command and `argv` views point into
// the caller's buffer (or into the parser for inline commands with escapes) and stay valid
// until the next Parse call. Pure: no sockets, no allocation per bulk argument.
// Not thread-safe; one parser per connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vellum::protocol {

struct ParserLimits {
  int64_t max_bulk_len = 512LL * 1024 * 1024;  // proto-max-bulk-len
  int64_t max_multibulk_len = 1024LL * 1024 * 1024;
  size_t max_inline_len = 64 * 1024;  // PROTO_INLINE_MAX_SIZE
};

enum class ParseStatus {
  kCommand,     // one command parsed (argv may be empty: an empty line or "*0")
  kIncomplete,  // need more bytes; call again with the same start and more data
  kError,       // protocol error; error() has the Redis text; the connection must close
};

class RespParser {
 public:
  explicit RespParser(ParserLimits limits = {}) : limits_(limits) {}

  ParseStatus Parse(const char* data, size_t len, size_t* consumed,
                    std::vector<std::string_view>* argv);

  // The error line (without '-') after kError.
  const std::string& error() const { return error_; }
  // Bytes this command is known to need in total (0 if unknown): lets the caller
  // reserve once for a large bulk instead of growing step by step.
  size_t BytesNeeded() const { return bytes_needed_; }
  void set_limits(const ParserLimits& limits) { limits_ = limits; }

 private:
  ParseStatus ParseMultibulk(const char* data, size_t len, size_t* consumed,
                             std::vector<std::string_view>* argv);
  ParseStatus ParseInline(const char* data, size_t len, size_t* consumed,
                          std::vector<std::string_view>* argv);
  ParseStatus Fail(std::string message);
  void ResetCommand();

  ParserLimits limits_;
  std::string error_;
  // Resumable state of the multibulk command in progress.
  int64_t multibulk_len_ = -1;  // -1: header not read yet
  int64_t bulk_len_ = -1;       // -1: next bulk header not read yet
  size_t pos_ = 0;              // where parsing resumes, from the command's first byte
  size_t bytes_needed_ = 0;
  std::vector<std::pair<size_t, size_t>> args_;  // (offset, length) of parsed bulks
  std::vector<std::string> inline_args_;
};

// Splits an inline request line as Redis's sdssplitargs: spaces separate arguments,
// "double quotes" understand \n \r \t \b \a \\ \" and \xHH, 'single quotes' understand \'.
// Returns false on unbalanced quotes or a closing quote not followed by a space.
bool SplitInlineArgs(std::string_view line, std::vector<std::string>* out);

}  // namespace vellum::protocol
