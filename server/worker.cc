#include "server/worker.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "common/clock.h"
#include "common/log.h"
#include "common/thread_name.h"
#include "protocol/errors.h"
#include "server/acl.h"
#include "server/blocking.h"
#include "server/commands/blocking_ops.h"
#include "server/connection.h"
#include "server/http/http_connection.h"
#include "server/monitor.h"
#include "server/pubsub.h"
#include "storage/persister.h"

namespace vellum::server {
namespace {

std::string Endpoint(const sockaddr_storage& ss) {
  char host[INET6_ADDRSTRLEN] = "?";
  int port = 0;
  if (ss.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    uv_ip4_name(a, host, sizeof(host));
    port = ntohs(a->sin_port);
    return std::string(host) + ":" + std::to_string(port);
  }
  if (ss.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    uv_ip6_name(a, host, sizeof(host));
    port = ntohs(a->sin6_port);
    return std::string(host) + ":" + std::to_string(port);
  }
  return "";
}

}  // namespace

Worker::Worker(int index, ServerState* state)
    : index_(index), state_(state), dispatcher_(state, index) {
  uv_loop_init(&loop_);
  uv_async_init(&loop_, &async_, OnAsync);
  async_.data = this;
  uv_timer_init(&loop_, &tick_);
  tick_.data = this;
  uv_check_init(&loop_, &flush_check_);
  flush_check_.data = this;
  uv_prepare_init(&loop_, &commit_prepare_);
  commit_prepare_.data = this;
  uv_timer_init(&loop_, &block_timer_);
  block_timer_.data = this;
  uv_async_init(&loop_, &durable_async_, OnDurable);
  durable_async_.data = this;
}

Worker::~Worker() {
  Join();
  uv_loop_close(&loop_);
}

Status Worker::AdoptTcp(int fd, uv_connection_cb on_connection, const char* what) {
  auto* h = new uv_tcp_t;
  uv_tcp_init(&loop_, h);
  h->data = this;
  int rc = uv_tcp_open(h, fd);
  if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(h), 511, on_connection);
  listeners_.push_back(reinterpret_cast<uv_handle_t*>(h));
  if (rc != 0) return Status::Error(std::string(what) + ": " + uv_strerror(rc));
  return Status::Ok();
}

Status Worker::AdoptTcpListener(int fd) { return AdoptTcp(fd, OnConnection, "listen"); }

Status Worker::AdoptPipeListener(int fd) {
  auto* h = new uv_pipe_t;
  uv_pipe_init(&loop_, h, 0);
  h->data = this;
  int rc = uv_pipe_open(h, fd);
  if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(h), 511, OnConnection);
  listeners_.push_back(reinterpret_cast<uv_handle_t*>(h));
  if (rc != 0) return Status::Error(std::string("listen (unix): ") + uv_strerror(rc));
  return Status::Ok();
}

Status Worker::AdoptHttpListener(int fd) { return AdoptTcp(fd, OnHttpConnection, "listen (http)"); }

void Worker::OnHttpConnection(uv_stream_t* server, int status) {
  if (status < 0) return;
  auto* w = static_cast<Worker*>(server->data);
  auto* t = new uv_tcp_t;
  uv_tcp_init(&w->loop_, t);
  if (uv_accept(server, reinterpret_cast<uv_stream_t*>(t)) != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(t), [](uv_handle_t* h) {
      delete reinterpret_cast<uv_tcp_t*>(h);
    });
    return;
  }
  uv_tcp_nodelay(t, 1);
  auto* c = new HttpConnection(w, t);
  w->http_connections_.emplace(c->id(), c);
  c->Start();
}

void Worker::OnHttpConnectionClosed(HttpConnection* c) { http_connections_.erase(c->id()); }

void Worker::Start() {
  uv_timer_start(&tick_, OnTick, 1000, 1000);
  uv_check_start(&flush_check_, OnCheck);
  storage::Persister* persister = state_->persister();
  const bool commit_here = persister != nullptr && persister->commits_from_loops();
  if (commit_here) uv_prepare_start(&commit_prepare_, OnPrepare);
  thread_ = std::thread([this, commit_here] {
    NameThisThread("worker-" + std::to_string(index_));
    storage::Persister::DeferWakesOnThisThread(commit_here);
    uv_run(&loop_, UV_RUN_DEFAULT);
  });
}

void Worker::Join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::Post(std::function<void()> fn) {
  // Sent under the lock: once DoShutdown has closed the handle, nobody sends again.
  std::lock_guard<std::mutex> lock(mu_);
  if (!accepting_tasks_) return;
  tasks_.push_back(std::move(fn));
  uv_async_send(&async_);
}

void Worker::BeginShutdown() {
  Post([this] { DoShutdown(); });
}

void Worker::OnAsync(uv_async_t* handle) {
  auto* w = static_cast<Worker*>(handle->data);
  std::vector<std::function<void()>> tasks;
  {
    std::lock_guard<std::mutex> lock(w->mu_);
    tasks.swap(w->tasks_);
  }
  for (auto& t : tasks) t();
}

void Worker::CommitOwedWrites() {
  storage::Persister* persister = state_->persister();
  if (persister == nullptr || !persister->commits_from_loops()) return;
  const bool owed = storage::Persister::TakeOwedWake();
  // Not owed, the writes may still wait: for a cycle another thread owes. Running it here
  // (if no one runs one now) spares their replies the hand-off.
  if (!owed && persister->Durable(storage::Persister::NewestThreadTicket())) return;
  if (!persister->CommitFromLoop() && owed) persister->WakeThread();
}

void Worker::OnPrepare(uv_prepare_t* handle) {
  // Writes made after the check phase (close callbacks) or before the poll (timers).
  static_cast<Worker*>(handle->data)->CommitOwedWrites();
}

void Worker::OnCheck(uv_check_t* handle) {
  auto* w = static_cast<Worker*>(handle->data);
  // The writes of this iteration reach the WAL before their replies are written.
  w->CommitOwedWrites();
  // Swapped out first: a flush can close a connection or queue another flush.
  w->flushing_.swap(w->pending_flush_);
  for (Connection* c : w->flushing_) c->FlushRequested();
  w->flushing_.clear();
  w->ArmBlockTimer();
}

void Worker::ArmBlockTimer() {
  BlockingRegistry* registry = state_->blocking();
  if (registry == nullptr || shutting_down_) return;
  const int64_t next = registry->NextDeadline(index_);  // an atomic load
  if (next == block_timer_at_) return;
  block_timer_at_ = next;
  if (next == 0) {
    uv_timer_stop(&block_timer_);
    return;
  }
  const int64_t delay = std::max<int64_t>(0, next - MonotonicMs());
  uv_timer_start(&block_timer_, OnBlockTimer, static_cast<uint64_t>(delay), 0);
}

void Worker::OnBlockTimer(uv_timer_t* handle) {
  auto* w = static_cast<Worker*>(handle->data);
  w->block_timer_at_ = 0;
  int64_t next = 0;
  for (const auto& waiter : w->state_->blocking()->ExpireDue(w->index_, MonotonicMs(), &next)) {
    SendBlockTimeout(*waiter);
  }
  w->ArmBlockTimer();
}

void Worker::NotifyDurable() {
  // A worker whose connections hold nothing is not woken for nothing. The cycle's
  // completed_ store comes before this load; AwaitDurable's store before its caller's
  // second look at completed_ (all seq_cst): one of the two sees the other.
  if (!durable_waiting_.load(std::memory_order_seq_cst)) return;
  // Under the lock, as Post: once DoShutdown has closed the handle, nobody sends again.
  std::lock_guard<std::mutex> lock(mu_);
  if (durable_async_open_) uv_async_send(&durable_async_);
}

void Worker::MaybeCloseDurableAsync() {
  // Open while any connection lives: one whose write was in flight at shutdown may still
  // come to wait for the persister.
  if (!shutting_down_ || !connections_.empty()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!durable_async_open_) return;
    durable_async_open_ = false;
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&durable_async_), nullptr);
}

void Worker::OnDurable(uv_async_t* handle) {
  auto* w = static_cast<Worker*>(handle->data);
  if (w->durable_waiters_.empty()) return;
  std::vector<Connection*> waiting;
  waiting.swap(w->durable_waiters_);
  w->durable_waiting_.store(false, std::memory_order_seq_cst);
  if (w->shutting_down_ && w->state_->persister()->failing()) {
    // Shutting down while the disk refuses writes: these replies would never leave, and
    // were never acknowledged.
    for (Connection* c : waiting) c->Close();
    return;
  }
  // Each connection flushes what is now durable; one still held waits again.
  for (Connection* c : waiting) c->DurableProgress();
}

void Worker::OnTick(uv_timer_t* handle) {
  static_cast<Worker*>(handle->data)->CloseIdleClients();
}

void Worker::CloseIdleClients() {
  int64_t timeout_s = state_->timeout_s.load(std::memory_order_relaxed);
  if (timeout_s <= 0) return;
  int64_t now = NowMs();
  std::vector<Connection*> idle;
  for (auto& [id, c] : connections_) {
    if (now - c->state().last_interaction_ms.load(std::memory_order_relaxed) > timeout_s * 1000) {
      idle.push_back(c);
    }
  }
  for (Connection* c : idle) {
    VLOG_VERBOSE("Closing idle client id=%llu", static_cast<unsigned long long>(c->state().id()));
    c->Close();
  }
}

void Worker::OnConnection(uv_stream_t* server, int status) {
  if (status < 0) return;
  static_cast<Worker*>(server->data)->Accept(server);
}

void Worker::Accept(uv_stream_t* server) {
  bool is_pipe = server->type == UV_NAMED_PIPE;
  uv_stream_t* stream;
  if (is_pipe) {
    auto* p = reinterpret_cast<uv_pipe_t*>(new uv_any_handle);
    uv_pipe_init(&loop_, p, 0);
    stream = reinterpret_cast<uv_stream_t*>(p);
  } else {
    auto* t = reinterpret_cast<uv_tcp_t*>(new uv_any_handle);
    uv_tcp_init(&loop_, t);
    stream = reinterpret_cast<uv_stream_t*>(t);
  }
  if (uv_accept(server, stream) != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(stream),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_any_handle*>(h); });
    return;
  }
  int fd = -1;
  uv_fileno(reinterpret_cast<uv_handle_t*>(stream), &fd);
  std::string addr, laddr;
  if (is_pipe) {
    addr = "/unixsocket:0";
    laddr = "/unixsocket";
  } else {
    auto* tcp = reinterpret_cast<uv_tcp_t*>(stream);
    uv_tcp_nodelay(tcp, 1);
    int keepalive = static_cast<int>(state_->config().Snapshot().tcp_keepalive);
    if (keepalive > 0) uv_tcp_keepalive(tcp, 1, static_cast<unsigned>(keepalive));
    sockaddr_storage ss;
    int len = sizeof(ss);
    if (uv_tcp_getpeername(tcp, reinterpret_cast<sockaddr*>(&ss), &len) == 0) addr = Endpoint(ss);
    len = sizeof(ss);
    if (uv_tcp_getsockname(tcp, reinterpret_cast<sockaddr*>(&ss), &len) == 0) laddr = Endpoint(ss);
  }
  uint64_t id = state_->next_client_id.fetch_add(1);
  auto client = std::make_shared<ClientState>(id, fd, addr, laddr, is_pipe, NowMs());
  client->worker = index_;
  // As Redis: a client that connects while the default user needs no password is
  // authenticated, and stays so if a password is set later.
  client->authenticated =
      state_->acl() ? !state_->acl()->auth_required() : !state_->has_requirepass.load();
  auto* conn = new Connection(this, stream, client);
  state_->total_connections_received.fetch_add(1, std::memory_order_relaxed);

  if (shutting_down_ ||
      static_cast<int64_t>(state_->clients().size()) >= state_->maxclients.load()) {
    state_->rejected_connections.fetch_add(1, std::memory_order_relaxed);
    conn->RejectWith(protocol::err::kMaxClients);
    return;
  }
  connections_[id] = conn;
  state_->clients().Add(client);
  client->set_closer([this, id] {
    Post([this, id] {
      auto it = connections_.find(id);
      if (it != connections_.end()) it->second->CloseAfterWrite();
    });
  });
  client->set_reply_sink([this, id](ClientState::DeferredReply reply, uint64_t durable_ticket) {
    Post([this, id, reply = std::move(reply), durable_ticket] {
      auto it = connections_.find(id);
      if (it != connections_.end()) it->second->DeliverDeferred(reply, durable_ticket);
    });
  });
  conn->Start();
}

void Worker::PushStatus(uint64_t id, const std::string& line) {
  auto it = connections_.find(id);
  if (it == connections_.end() || it->second->closing()) return;
  it->second->Push([&line](protocol::ReplyWriter& w) { w.Simple(line); });
}

void Worker::OnConnectionClosed(Connection* c) {
  // A connection closed while queued (say, its client went away after its commands ran)
  // leaves the queue here. Close callbacks run in libuv's closing phase, after the check
  // phase, so OnCheck is never walking `flushing_` at this point.
  std::erase(pending_flush_, c);
  std::erase(durable_waiters_, c);
  uint64_t id = c->state().id();
  c->state().set_closer(nullptr);
  if (c->state().subscribed() && state_->pubsub() != nullptr) state_->pubsub()->RemoveClient(id);
  if (c->state().monitor.load() && state_->monitors() != nullptr) state_->monitors()->Remove(id);
  if (state_->blocking() != nullptr) state_->blocking()->Cancel(id);
  if (connections_.erase(id) > 0) state_->clients().Remove(id);
  MaybeCloseDurableAsync();
}

void Worker::DoShutdown() {
  if (shutting_down_) return;
  shutting_down_ = true;
  for (uv_handle_t* h : listeners_) {
    uv_close(h, [](uv_handle_t* handle) {
      if (handle->type == UV_NAMED_PIPE) delete reinterpret_cast<uv_pipe_t*>(handle);
      else delete reinterpret_cast<uv_tcp_t*>(handle);
    });
  }
  listeners_.clear();
  std::vector<Connection*> all;
  for (auto& [id, c] : connections_) all.push_back(c);
  for (Connection* c : all) c->CloseAfterWrite();
  std::vector<HttpConnection*> http;
  for (auto& [id, c] : http_connections_) http.push_back(c);
  for (HttpConnection* c : http) c->Close();
  uv_timer_stop(&tick_);
  uv_close(reinterpret_cast<uv_handle_t*>(&tick_), nullptr);
  uv_check_stop(&flush_check_);
  uv_close(reinterpret_cast<uv_handle_t*>(&flush_check_), nullptr);
  // From here on no check or prepare phase settles this thread's writes: wake as others do.
  CommitOwedWrites();
  storage::Persister::DeferWakesOnThisThread(false);
  uv_prepare_stop(&commit_prepare_);
  uv_close(reinterpret_cast<uv_handle_t*>(&commit_prepare_), nullptr);
  uv_timer_stop(&block_timer_);
  uv_close(reinterpret_cast<uv_handle_t*>(&block_timer_), nullptr);
  {
    std::lock_guard<std::mutex> lock(mu_);
    accepting_tasks_ = false;
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
  // Replies held for the persister still leave: the persister runs until every worker
  // has joined, and the last of them closes this handle. Unless the disk is failing:
  // then they would never leave, and were never acknowledged; drop them.
  if (state_->persister() != nullptr && state_->persister()->failing()) {
    std::vector<Connection*> held;
    held.swap(durable_waiters_);
    for (Connection* c : held) c->Close();
  }
  MaybeCloseDurableAsync();
}

}  // namespace vellum::server
