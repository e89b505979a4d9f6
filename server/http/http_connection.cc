#include "server/http/http_connection.h"

#include <utility>

#include "server/acl.h"
#include "server/http/metrics.h"
#include "server/http/page.h"
#include "server/worker.h"

namespace vellum::server {
namespace {
constexpr size_t kReadChunk = 64 * 1024;
}  // namespace

HttpConnection::HttpConnection(Worker* worker, uv_tcp_t* handle)
    : worker_(worker),
      id_(worker->NextHttpConnectionId()),
      handle_(handle),
      parser_(static_cast<size_t>(worker->state().http_max_header_bytes.load())) {
  handle_->data = this;
  uv_timer_init(handle_->loop, &timer_);
  timer_.data = this;
  write_req_.data = this;
}

void HttpConnection::Start() {
  uv_read_start(reinterpret_cast<uv_stream_t*>(handle_), OnAlloc, OnRead);
}

void HttpConnection::TimeUnfinishedRequest() {
  // Idle between requests is fine; a request begun and not finished in time is not. The
  // clock starts at the request's first bytes and is not restarted by later reads, so a
  // client cannot hold a request open by sending a byte at a time.
  if (!parser_.in_request()) {
    uv_timer_stop(&timer_);
    return;
  }
  if (uv_is_active(reinterpret_cast<uv_handle_t*>(&timer_))) return;
  const int64_t ms = worker_->state().http_header_timeout_ms.load();
  if (ms > 0) uv_timer_start(&timer_, OnHeaderTimeout, static_cast<uint64_t>(ms), 0);
}

void HttpConnection::OnHeaderTimeout(uv_timer_t* t) {
  static_cast<HttpConnection*>(t->data)->Close();
}

void HttpConnection::OnAlloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
  auto* c = static_cast<HttpConnection*>(h->data);
  const size_t old = c->in_.size();
  c->in_.resize(old + kReadChunk);
  buf->base = c->in_.data() + old;
  buf->len = kReadChunk;
}

void HttpConnection::OnRead(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  auto* c = static_cast<HttpConnection*>(s->data);
  const size_t used = n > 0 ? static_cast<size_t>(n) : 0;
  c->in_.resize(static_cast<size_t>(buf->base - c->in_.data()) + used);
  if (n < 0) {
    c->Close();
    return;
  }
  if (n == 0) return;
  c->Process();
}

void HttpConnection::Process() {
  if (pending_) return;  // behind a request waiting for its key from disk
  ServerState& state = worker_->state();
  size_t pos = 0;
  protocol::HttpRequest req;
  while (pos < in_.size() && !close_after_write_) {
    size_t consumed = 0;
    auto result = parser_.Parse(std::string_view(in_).substr(pos), &consumed, &req);
    pos += consumed;
    if (result == protocol::HttpRequestParser::Result::kNeedMore) break;
    if (result == protocol::HttpRequestParser::Result::kError) {
      HttpResponse resp;
      PlainResponse(parser_.error_status(), &resp);
      AppendResponse(resp, false, state.clock().NowMs(), &out_);
      close_after_write_ = true;
      break;
    }
    if (!Answer(req, /*may_wait=*/true)) {
      pending_ = std::move(req);
      break;
    }
  }
  in_.erase(0, pos);
  if (close_after_write_) in_.clear();
  TimeUnfinishedRequest();
  Write();
}

bool HttpConnection::Answer(const protocol::HttpRequest& req, bool may_wait) {
  ServerState& state = worker_->state();
  const int64_t now_ms = state.clock().NowMs();
  HttpResponse resp;
  const PageConfig* config = worker_->page_config();
  const std::string_view path = TargetPath(req.target);
  if (!config->metrics_path.empty() && path == config->metrics_path) {
    ServeMetrics(req, &resp);
  } else if (path == "/healthz") {
    ServeHealth(req, &resp);
  } else {
    if (may_wait && WaitForDisk(req, *config)) return false;
    ServePage(req, *config, state.keyspace(), now_ms, [&state] { return state.ScriptBusy(); },
              [&](std::string_view key) { return MayRead(*config, key); }, &resp);
  }
  state.CountHttpResponse(resp.status);
  AppendResponse(resp, req.keep_alive, now_ms, &out_);
  if (!req.keep_alive) close_after_write_ = true;
  return true;
}

bool HttpConnection::WaitForDisk(const protocol::HttpRequest& req, const PageConfig& config) {
  ServerState& state = worker_->state();
  storage::Keyspace& ks = state.keyspace();
  storage::Warmup* warmup = state.warmup();
  if (warmup == nullptr || !ks.reads_disk()) return false;
  PageKey page = PageKeyOf(req, config);
  if (page.status != 0) return false;
  {
    // Not behind a long script holding every shard: ServePage answers that one (503).
    std::unique_lock<storage::ShardMutexType> lock(ks.ShardMutex(ks.ShardOf(page.key)),
                                                   std::try_to_lock);
    if (!lock.owns_lock() || !ks.NeedsDisk(config.db, page.key)) return false;
  }
  Worker* w = worker_;
  const uint64_t id = id_;
  // A read error is not answered here: ServePage then reads the key itself.
  warmup->Fetch({{config.db, std::move(page.key)}}, [w, id](Status) {
    w->Post([w, id] {
      if (HttpConnection* c = w->FindHttpConnection(id)) c->ResumeAfterDisk();
    });
  });
  return true;
}

void HttpConnection::ResumeAfterDisk() {
  if (closing_ || !pending_) return;
  protocol::HttpRequest req = std::move(*pending_);
  pending_.reset();
  Answer(req, /*may_wait=*/false);
  Process();  // the requests that arrived meanwhile; writes
}

bool HttpConnection::MayRead(const PageConfig& config, std::string_view key) {
  ServerState& state = worker_->state();
  Acl* acl = state.acl();
  if (acl == nullptr) return true;
  // As a GET by http.user: a disabled or missing user serves no page at all.
  std::shared_ptr<const AclUser> user = acl->Find(config.user);
  if (user == nullptr || !user->enabled()) return false;
  const Command* get = state.commands().Find("get");
  const std::string_view argv[] = {"get", key};
  return get != nullptr && Acl::CheckUser(*user, *get, argv).denial == AclDenial::kNone;
}

void HttpConnection::ServeMetrics(const protocol::HttpRequest& req, HttpResponse* resp) {
  if (req.method != "GET" && req.method != "HEAD") {
    PlainResponse(405, resp);
    resp->headers.emplace_back("Allow", "GET, HEAD");
    return;
  }
  ServerState& state = worker_->state();
  resp->status = 200;
  resp->headers = {{"Content-Type", "text/plain; version=0.0.4; charset=utf-8"},
                   {"Cache-Control", "no-store"}};
  resp->body = RenderMetrics(state, state.clock().NowMs());
  resp->send_body = req.method == "GET";
}

void HttpConnection::ServeHealth(const protocol::HttpRequest& req, HttpResponse* resp) {
  // 200 while serving; 503 once shutting down, so a load balancer drains this server.
  PlainResponse(worker_->state().shutting_down() ? 503 : 200, resp);
  resp->headers.emplace_back("Cache-Control", "no-store");
  resp->send_body = req.method != "HEAD";
}

void HttpConnection::Write() {
  if (write_in_flight_ || closing_) return;
  if (out_.empty()) {
    if (close_after_write_) Close();
    return;
  }
  // Most responses fit the socket's buffer: write them at once, and only hand libuv (and
  // stop reading, two epoll changes) what the socket did not take.
  uv_buf_t whole = uv_buf_init(out_.data(), static_cast<unsigned>(out_.size()));
  const int n = uv_try_write(reinterpret_cast<uv_stream_t*>(handle_), &whole, 1);
  if (n == static_cast<int>(out_.size())) {
    out_.clear();
    if (close_after_write_) Close();
    return;
  }
  if (n < 0 && n != UV_EAGAIN) {
    Close();
    return;
  }
  writing_ = out_.substr(n > 0 ? static_cast<size_t>(n) : 0);
  out_.clear();
  uv_buf_t buf = uv_buf_init(writing_.data(), static_cast<unsigned>(writing_.size()));
  write_in_flight_ = true;
  uv_read_stop(reinterpret_cast<uv_stream_t*>(handle_));
  if (uv_write(&write_req_, reinterpret_cast<uv_stream_t*>(handle_), &buf, 1, OnWritten) != 0) {
    write_in_flight_ = false;
    Close();
  }
}

void HttpConnection::OnWritten(uv_write_t* req, int status) {
  auto* c = static_cast<HttpConnection*>(req->data);
  c->write_in_flight_ = false;
  c->writing_.clear();
  if (status < 0 || c->closing_) {
    c->Close();
    return;
  }
  if (c->close_after_write_ && c->out_.empty()) {
    c->Close();
    return;
  }
  uv_read_start(reinterpret_cast<uv_stream_t*>(c->handle_), OnAlloc, OnRead);
  if (!c->in_.empty()) c->Process();  // requests that arrived with the previous read
}

void HttpConnection::Close() {
  if (closing_) return;
  closing_ = true;
  worker_->OnHttpConnectionClosed(this);
  pending_closes_ = 2;
  uv_timer_stop(&timer_);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), OnClosed);
  uv_close(reinterpret_cast<uv_handle_t*>(handle_), OnClosed);
}

void HttpConnection::OnClosed(uv_handle_t* h) {
  auto* c = static_cast<HttpConnection*>(h->data);
  if (h == reinterpret_cast<uv_handle_t*>(c->handle_)) delete c->handle_;
  if (--c->pending_closes_ == 0) delete c;
}

}  // namespace vellum::server
