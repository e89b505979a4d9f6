#include "server/http/page.h"

#include <xxhash.h>

#include <cinttypes>
#include <cstdio>
#include <ctime>
#include <optional>

namespace vellum::server {
namespace {

const char* Reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 206: return "Partial Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 416: return "Range Not Satisfiable";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    default: return "Unknown";
  }
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string ETagOf(std::string_view body) {
  const XXH128_hash_t h = XXH3_128bits(body.data(), body.size());
  char buf[40];
  std::snprintf(buf, sizeof(buf), "\"%016" PRIx64 "%016" PRIx64 "\"", h.high64, h.low64);
  return buf;
}

// "bytes=a-b", "bytes=a-", "bytes=-n" over a body of size n: true with [first, last] when
// satisfiable; *unsatisfiable when the range lies past the end. False (and not
// unsatisfiable) for anything else, which is then ignored.
bool ParseRange(std::string_view header, uint64_t size, uint64_t* first, uint64_t* last,
                bool* unsatisfiable) {
  *unsatisfiable = false;
  header = Trim(header);
  if (header.substr(0, 6) != "bytes=") return false;
  std::string_view spec = Trim(header.substr(6));
  if (spec.find(',') != std::string_view::npos) return false;  // several ranges: ignored
  const size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return false;
  auto number = [](std::string_view s, uint64_t* v) {
    if (s.empty() || s.size() > 19) return false;
    uint64_t n = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return false;
      n = n * 10 + static_cast<uint64_t>(c - '0');
    }
    *v = n;
    return true;
  };
  std::string_view a = Trim(spec.substr(0, dash));
  std::string_view b = Trim(spec.substr(dash + 1));
  uint64_t x = 0, y = 0;
  if (a.empty()) {  // suffix: the last y bytes
    if (!number(b, &y)) return false;
    if (y == 0 || size == 0) {
      *unsatisfiable = true;
      return false;
    }
    *first = y >= size ? 0 : size - y;
    *last = size - 1;
    return true;
  }
  if (!number(a, &x)) return false;
  if (!b.empty()) {
    if (!number(b, &y) || y < x) return false;
  } else {
    y = UINT64_MAX;
  }
  if (x >= size) {
    *unsatisfiable = true;
    return false;
  }
  *first = x;
  *last = y >= size ? size - 1 : y;
  return true;
}

}  // namespace

bool PercentDecode(std::string_view in, std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); i++) {
    if (in[i] != '%') {
      out->push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return false;  // '%' needs two hex digits after it
    const int hi = HexValue(in[i + 1]);
    const int lo = HexValue(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

bool IfNoneMatchMatches(std::string_view header, std::string_view etag) {
  // Weak comparison: W/ prefixes are ignored on both sides.
  auto opaque = [](std::string_view tag) {
    tag = Trim(tag);
    if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
    return tag;
  };
  const std::string_view mine = opaque(etag);
  while (!header.empty()) {
    const size_t comma = header.find(',');
    const std::string_view item = Trim(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    if (item == "*") return true;
    if (!item.empty() && opaque(item) == mine) return true;
  }
  return false;
}

std::string HttpDate(int64_t unix_ms) {
  // Formatted once a second per thread: every response of that second carries the same.
  thread_local int64_t cached_second = -1;
  thread_local std::string cached;
  if (unix_ms / 1000 == cached_second) return cached;
  cached_second = unix_ms / 1000;
  const time_t t = static_cast<time_t>(unix_ms / 1000);
  struct tm tm {};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  cached = buf;
  return cached;
}

std::string_view TargetPath(std::string_view target) {
  const size_t end = target.find_first_of("?#");
  return end == std::string_view::npos ? target : target.substr(0, end);
}

void PlainResponse(int status, HttpResponse* out) {
  out->status = status;
  out->headers.clear();
  out->headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  out->body = std::string(Reason(status)) + "\n";
  out->send_body = true;
}

PageKey PageKeyOf(const protocol::HttpRequest& req, const PageConfig& config) {
  PageKey out;
  if (req.method != "GET" && req.method != "HEAD") {
    out.status = 405;
    return out;
  }
  std::string_view target = req.target;
  if (target.empty() || target.front() != '/') {
    out.status = 400;
    return out;
  }
  std::string_view path = target;
  std::string_view query;
  if (const size_t q = target.find('?'); q != std::string_view::npos) {
    path = target.substr(0, q);
    query = target.substr(q);
  }
  if (const size_t f = path.find('#'); f != std::string_view::npos) path = path.substr(0, f);
  std::string decoded;
  if (!PercentDecode(path, &decoded)) {
    out.status = 400;
    return out;
  }
  out.key = config.key_prefix + decoded;
  if (config.query_in_key) out.key.append(query);
  return out;
}

void ServePage(const protocol::HttpRequest& req, const PageConfig& config,
               storage::Keyspace& keyspace, int64_t now_ms,
               const std::function<bool()>& give_up,
               const std::function<bool(std::string_view)>& may_read, HttpResponse* out) {
  const bool head = req.method == "HEAD";
  PageKey page = PageKeyOf(req, config);
  if (page.status != 0) {
    PlainResponse(page.status, out);
    if (page.status == 405) out->headers.emplace_back("Allow", "GET, HEAD");
    return;
  }
  const std::string& key = page.key;
  if (!may_read(key)) {
    PlainResponse(404, out);
    return;
  }

  // Read under the key's shard lock, copying what the response needs.
  std::string body;
  std::optional<std::string> content_type, cache_control, tags;
  int64_t expire_at_ms = 0;
  bool found = false;
  {
    storage::ShardLocks locks(&keyspace);
    locks.AddKey(key);
    if (!locks.AcquireUnless(give_up)) {
      PlainResponse(503, out);
      out->headers.emplace_back("Retry-After", "1");
      return;
    }
    const storage::Entry* e = nullptr;
    try {
      e = keyspace.FindForRead(config.db, key, now_ms);
    } catch (const storage::DiskReadError&) {
      // A page whose value tiering left on disk, and the disk refused it: as a page the
      // server cannot serve now, not as one that does not exist.
      PlainResponse(503, out);
      out->headers.emplace_back("Retry-After", "1");
      return;
    }
    if (e != nullptr && e->type == storage::ValueType::kString) {
      body = e->str();
      found = true;
    } else if (e != nullptr && e->type == storage::ValueType::kHash) {
      if (auto b = e->hash_value->Get("body")) {
        body = std::string(*b);
        found = true;
        if (auto v = e->hash_value->Get("content-type")) content_type = std::string(*v);
        if (auto v = e->hash_value->Get("cache-control")) cache_control = std::string(*v);
        if (auto v = e->hash_value->Get("tags")) tags = std::string(*v);
      }
    }
    if (found) expire_at_ms = e->expire_at_ms;
  }
  if (!found) {
    PlainResponse(404, out);
    return;
  }

  out->headers.clear();
  out->headers.reserve(8);
  const std::string etag = ETagOf(body);
  out->headers.emplace_back("ETag", etag);
  if (cache_control) {
    out->headers.emplace_back("Cache-Control", *cache_control);
  } else if (expire_at_ms != 0) {
    const int64_t remaining = expire_at_ms > now_ms ? (expire_at_ms - now_ms) / 1000 : 0;
    std::string cc = "public, max-age=" + std::to_string(remaining);
    if (config.stale_while_revalidate > 0) {
      cc += ", stale-while-revalidate=" + std::to_string(config.stale_while_revalidate);
    }
    out->headers.emplace_back("Cache-Control", std::move(cc));
  } else {
    out->headers.emplace_back("Cache-Control", config.default_cache_control);
  }
  if (tags && !tags->empty()) {
    out->headers.emplace_back("Surrogate-Key", *tags);
    std::string comma;
    for (std::string_view rest = *tags; !rest.empty();) {
      const size_t sp = rest.find(' ');
      const std::string_view tag = rest.substr(0, sp);
      rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp + 1);
      if (tag.empty()) continue;
      if (!comma.empty()) comma += ",";
      comma += tag;
    }
    out->headers.emplace_back("Cache-Tag", std::move(comma));
  }
  if (req.has_if_none_match && IfNoneMatchMatches(req.if_none_match, etag)) {
    out->status = 304;
    out->send_body = false;
    return;
  }
  out->headers.emplace_back("Content-Type", content_type ? *content_type : config.default_content_type);
  out->headers.emplace_back("Accept-Ranges", "bytes");
  out->status = 200;
  if (req.has_range) {
    uint64_t first = 0, last = 0;
    bool unsatisfiable = false;
    if (ParseRange(req.range, body.size(), &first, &last, &unsatisfiable)) {
      out->status = 206;
      out->headers.emplace_back("Content-Range", "bytes " + std::to_string(first) + "-" +
                                                     std::to_string(last) + "/" +
                                                     std::to_string(body.size()));
      body = body.substr(first, last - first + 1);
    } else if (unsatisfiable) {
      out->status = 416;
      out->headers.emplace_back("Content-Range", "bytes */" + std::to_string(body.size()));
      body.clear();
    }
  }
  out->body = std::move(body);
  out->send_body = !head;
}

void AppendResponse(const HttpResponse& r, bool keep_alive, int64_t now_ms, std::string* wire) {
  char line[64];
  std::snprintf(line, sizeof(line), "HTTP/1.1 %d %s\r\n", r.status, Reason(r.status));
  wire->append(line);
  for (const auto& [name, value] : r.headers) {
    wire->append(name);
    wire->append(": ");
    wire->append(value);
    wire->append("\r\n");
  }
  if (r.status != 304) {
    wire->append("Content-Length: ");
    wire->append(std::to_string(r.body.size()));
    wire->append("\r\n");
  }
  wire->append("Date: ");
  wire->append(HttpDate(now_ms));
  wire->append("\r\n");
  if (!keep_alive) wire->append("Connection: close\r\n");
  wire->append("\r\n");
  if (r.send_body && r.status != 304) wire->append(r.body);
}

}  // namespace vellum::server
