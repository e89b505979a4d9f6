// Page serving rules of the HTTP edge: a GET or HEAD of a path becomes a keyspace read
// and an HTTP response a CDN or reverse proxy can cache and revalidate.
//
//   key      = key_prefix + the percent-decoded path (the query dropped unless
//              query_in_key), read in database `db` as GET reads (lazy expiry, hit/miss
//              statistics, LRU/LFU touch).
//   body     = a string value; or a hash's `body` field, whose optional `content-type`,
//              `cache-control` and `tags` fields set those headers.
//   ETag     = a strong validator: the body's 128-bit XXH3, quoted hex. If-None-Match
//              (a list, `*`, weak comparison as RFC 9110 says) answers 304 without a body.
//   Cache-Control = the hash's own field; else for a key with a TTL "public,
//              max-age=<remaining seconds>" (plus stale-while-revalidate when set); else
//              default_cache_control. Tags go out as Surrogate-Key (space-separated) and
//              Cache-Tag (comma-separated).
//   Range    = one byte range gives 206 or 416; anything else is ignored (200).
//   404 for a miss (or a value of another type), 405 with Allow for other methods.
//
// Knows no sockets: ServePage takes a parsed request and fills a response. The shard of
// the key is locked here for the read only (as GET would); the caller gives up on a
// shard held by a long script (503) through `give_up`.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "protocol/http_request.h"
#include "storage/keyspace.h"

namespace vellum::server {

// Every status the HTTP edge answers with (counted per code for /metrics).
inline constexpr int kHttpStatusCodes[] = {200, 206, 304, 400, 404, 405, 416, 431, 503};

struct PageConfig {
  std::string key_prefix;
  int db = 0;
  bool query_in_key = false;
  std::string default_content_type = "text/html; charset=utf-8";
  std::string default_cache_control = "no-cache";
  int64_t stale_while_revalidate = 0;  // seconds; 0 = not sent
  std::string metrics_path = "/metrics";  // never read from the keyspace; empty = off
  std::string user = "default";           // the ACL user HTTP requests act as
};

// The request-target's path, without query or fragment (still percent-encoded).
std::string_view TargetPath(std::string_view target);

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool send_body = true;  // false for HEAD and 304
};

// The key a GET or HEAD of req reads, or the status of a request that reads none (405
// for another method, 400 for a target that is not a path or does not decode).
struct PageKey {
  int status = 0;  // 0: `key` is read
  std::string key;
};
PageKey PageKeyOf(const protocol::HttpRequest& req, const PageConfig& config);

// Fills *out for req. now_ms is the wall clock (TTL and Date). may_read(key) is the ACL
// check: a key it refuses is a 404, exactly as if it did not exist.
void ServePage(const protocol::HttpRequest& req, const PageConfig& config,
               storage::Keyspace& keyspace, int64_t now_ms,
               const std::function<bool()>& give_up,
               const std::function<bool(std::string_view)>& may_read, HttpResponse* out);

// A plain response with a short text body (errors: 400, 404, 405, 431, 503).
void PlainResponse(int status, HttpResponse* out);

// Serialises the status line, headers (with Content-Length and Date) and, unless
// suppressed, the body, appending to *wire. keep_alive false adds "Connection: close".
void AppendResponse(const HttpResponse& r, bool keep_alive, int64_t now_ms, std::string* wire);

// Exposed for tests.
bool PercentDecode(std::string_view in, std::string* out);
bool IfNoneMatchMatches(std::string_view header, std::string_view etag);
std::string HttpDate(int64_t unix_ms);

}  // namespace vellum::server
