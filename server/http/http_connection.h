// HttpConnection: one HTTP/1.1 client on a worker's loop (the HTTP edge's socket side).
//
// Reads into a buffer, parses requests one at a time (protocol::HttpRequestParser),
// answers each through ServePage (server/http/page.h) into one output string, and
// writes what a read produced with one uv_write: pipelined requests are answered in
// order. Keep-alive unless the request says otherwise; a malformed request gets 400
// (431 for an oversized header section) and the connection closes after the write. A
// request whose header section does not arrive within http.header-timeout is dropped.
// While a write is in flight reading pauses, so a client that does not read its
// responses holds at most one read's worth of them.
//
// Owned by itself: created by Worker::AcceptHttp, deleted in its close callback; the
// worker keeps a set of them to close at shutdown. Loop thread only.
#pragma once

#include <uv.h>

#include <memory>
#include <optional>
#include <string>

#include "protocol/http_request.h"

namespace vellum::server {

class Worker;
struct HttpResponse;
struct PageConfig;

class HttpConnection {
 public:
  // Takes over an accepted TCP handle (allocated with new uv_tcp_t).
  HttpConnection(Worker* worker, uv_tcp_t* handle);
  void Start();
  void Close();
  uint64_t id() const { return id_; }

 private:
  ~HttpConnection() = default;
  static void OnAlloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf);
  static void OnRead(uv_stream_t* s, ssize_t n, const uv_buf_t* buf);
  static void OnWritten(uv_write_t* req, int status);
  static void OnClosed(uv_handle_t* h);
  static void OnHeaderTimeout(uv_timer_t* t);
  void Process();
  // Answers one parsed request, or (a page whose key is still on disk only during the
  // warm-up) starts reading its key off this loop and returns false: the request then
  // waits in pending_ and the input behind it is not read until ResumeAfterDisk.
  bool Answer(const protocol::HttpRequest& req, bool may_wait);
  bool WaitForDisk(const protocol::HttpRequest& req, const PageConfig& config);
  void ResumeAfterDisk();
  void ServeMetrics(const protocol::HttpRequest& req, HttpResponse* resp);
  void ServeHealth(const protocol::HttpRequest& req, HttpResponse* resp);
  bool MayRead(const PageConfig& config, std::string_view key);
  void Write();
  void TimeUnfinishedRequest();

  Worker* worker_;
  const uint64_t id_;  // the worker's key for it (a late callback finds it gone)
  uv_tcp_t* handle_;
  std::optional<protocol::HttpRequest> pending_;
  uv_timer_t timer_;
  protocol::HttpRequestParser parser_;
  std::string in_;
  std::string out_;
  std::string writing_;
  uv_write_t write_req_;
  bool write_in_flight_ = false;
  bool close_after_write_ = false;
  bool closing_ = false;
  int pending_closes_ = 0;
};

}  // namespace vellum::server
