// HttpRequestParser: bytes in, HTTP/1.x requests out, for the HTTP edge (server/http/).
//
// A thin, incremental wrapper over Debian's http-parser (the C parser nginx's authors'
// successors maintained for Node.js before llhttp; llhttp is not packaged here). It keeps
// only what page serving needs: method, request-target, If-None-Match, Range and whether
// the connection stays open. Requests are returned one at a time, so pipelined requests
// are answered in order; a request body (rare for GET) is consumed and ignored.
//
// Limits: the request line and header section together may not exceed max_header_bytes
// (431 Request Header Fields Too Large); anything http-parser refuses is a 400. After an
// error the parser is spent: the caller answers and closes. Pure, no sockets; fuzzed
// (tests/fuzz/http_request_fuzz.cc). Not thread-safe: one per connection.
#pragma once

#include <http_parser.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace vellum::protocol {

struct HttpRequest {
  std::string method;  // "GET", "HEAD", ...
  std::string target;  // the request-target as sent ("/a%20b?x=1")
  std::string if_none_match;
  bool has_if_none_match = false;
  std::string range;
  bool has_range = false;
  bool keep_alive = true;
  void Clear();
};

class HttpRequestParser {
 public:
  enum class Result { kNeedMore, kRequest, kError };

  explicit HttpRequestParser(size_t max_header_bytes);
  HttpRequestParser(const HttpRequestParser&) = delete;
  HttpRequestParser& operator=(const HttpRequestParser&) = delete;

  // Parses from data. kRequest: *out holds one complete request and *consumed the bytes it
  // took (parse the rest with the next call). kNeedMore: all of data was taken and no
  // request is complete yet. kError: error_status() says 400 or 431.
  Result Parse(std::string_view data, size_t* consumed, HttpRequest* out);
  int error_status() const { return error_status_; }
  // Whether bytes of an unfinished request have been taken (for the header timeout).
  bool in_request() const { return in_request_; }

 private:
  static int OnMessageBegin(http_parser* p);
  static int OnUrl(http_parser* p, const char* at, size_t len);
  static int OnHeaderField(http_parser* p, const char* at, size_t len);
  static int OnHeaderValue(http_parser* p, const char* at, size_t len);
  static int OnHeadersComplete(http_parser* p);
  static int OnMessageComplete(http_parser* p);
  bool Count(size_t len);

  http_parser parser_;
  http_parser_settings settings_;
  size_t max_header_bytes_;
  size_t header_bytes_ = 0;
  bool in_request_ = false;
  bool complete_ = false;
  int error_status_ = 0;
  enum class Field { kOther, kIfNoneMatch, kRange };
  Field field_ = Field::kOther;
  std::string field_name_;
  bool field_done_ = true;
  HttpRequest current_;
};

}  // namespace vellum::protocol
