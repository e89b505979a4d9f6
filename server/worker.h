// Worker: one thread running one libuv loop, serving the connections it accepted.
//
// Each worker listens on its own SO_REUSEPORT socket for TCP (the kernel spreads new
// connections over the workers) and on a shared descriptor for the unix socket. A
// connection stays on the worker that accepted it. Other threads talk to a worker only
// through Post(), which queues a task and wakes the loop (uv_async).
//
// Replies leave once per loop iteration: a connection that produced output asks for a
// flush (RequestFlush) and a uv_check handle, which libuv runs right after the poll
// phase's callbacks, writes them all (Redis's beforeSleep). A client pipelining over
// several connections, or many clients at once, then gets their replies in one burst
// and finds more of them per wakeup, instead of one wakeup per reply.
//
// Shutdown: BeginShutdown() stops accepting, lets in-flight replies finish, closes
// every connection and handle, and the loop (and thread) ends.
#pragma once

#include <uv.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/status.h"
#include "server/dispatcher.h"
#include "server/server_state.h"

namespace vellum::server {

class Connection;
class HttpConnection;

class Worker {
 public:
  Worker(int index, ServerState* state);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Before Start(): adopt a listening descriptor (the worker owns it from now on).
  Status AdoptTcpListener(int fd);
  Status AdoptPipeListener(int fd);
  // The HTTP edge's listening socket (server/http/): its connections are HttpConnections.
  Status AdoptHttpListener(int fd);

  void Start();
  void Join();
  // Runs fn on this worker's thread, soon. Thread-safe; dropped once shut down.
  void Post(std::function<void()> fn);
  void BeginShutdown();

  // Loop-thread only.
  int index() const { return index_; }
  ServerState& state() { return *state_; }
  WorkerStats& stats() { return state_->worker_stats(index_); }
  Dispatcher& dispatcher() { return dispatcher_; }
  int64_t NowMs() const { return state_->clock().NowMs(); }
  void OnConnectionClosed(Connection* c);
  void OnHttpConnectionClosed(HttpConnection* c);
  uint64_t NextHttpConnectionId() { return ++http_ids_; }
  // The open HTTP connection with that id on this worker, or nullptr.
  HttpConnection* FindHttpConnection(uint64_t id) {
    auto it = http_connections_.find(id);
    return it == http_connections_.end() ? nullptr : it->second;
  }
  // The HTTP page settings, re-read from ServerState only when CONFIG SET changed them
  // (no lock per request). Loop-thread only.
  const PageConfig* page_config() {
    const uint64_t generation = state_->page_config_generation();
    if (page_config_ == nullptr || generation != page_config_generation_) {
      page_config_ = state_->page_config();
      page_config_generation_ = generation;
    }
    return page_config_.get();
  }
  // Sends `line` as a status reply to client `id` if it is still connected here (MONITOR).
  void PushStatus(uint64_t id, const std::string& line);
  // Flushes c's replies at the end of this loop iteration. Loop-thread only.
  void RequestFlush(Connection* c) { pending_flush_.push_back(c); }
  // Durability (storage.durability always/everysec): c holds replies to writes that the
  // persister has not yet made durable; it is flushed again once a persister cycle ends.
  // Loop-thread only. The caller looks at Durable() again after this (a cycle that
  // completed just before saw no waiter: seq_cst on both sides, see NotifyDurable).
  void AwaitDurable(Connection* c) {
    durable_waiters_.push_back(c);
    durable_waiting_.store(true, std::memory_order_seq_cst);
  }
  bool Durable(uint64_t ticket) const {
    return state_->persister() == nullptr || state_->persister()->Durable(ticket);
  }
  // Called after each persister cycle, by whichever thread ran it: wakes this loop if any
  // of its connections waits. Thread-safe.
  void NotifyDurable();
  // The open connection of that client on this worker, or nullptr (Pub/Sub delivery).
  Connection* FindConnection(uint64_t client_id) {
    auto it = connections_.find(client_id);
    return it == connections_.end() ? nullptr : it->second;
  }

 private:
  static void OnConnection(uv_stream_t* server, int status);
  static void OnAsync(uv_async_t* handle);
  static void OnTick(uv_timer_t* handle);
  static void OnCheck(uv_check_t* handle);
  static void OnDurable(uv_async_t* handle);
  // everysec: before this loop sends its replies (check) and before it sleeps (prepare),
  // the writes it made this iteration are written by a cycle it runs itself, or the
  // persister's thread is woken for them (storage/persister.h).
  static void OnPrepare(uv_prepare_t* handle);
  void CommitOwedWrites();
  // Blocked clients (server/blocking.h): a one-shot timer at the earliest deadline of this
  // worker's waiters; on expiry they get their timeout replies.
  static void OnBlockTimer(uv_timer_t* handle);
  void ArmBlockTimer();
  void Accept(uv_stream_t* server);
  static void OnHttpConnection(uv_stream_t* server, int status);
  Status AdoptTcp(int fd, uv_connection_cb on_connection, const char* what);
  void CloseIdleClients();
  void DoShutdown();
  // At shutdown, once no connection awaits the persister (held replies still leave).
  void MaybeCloseDurableAsync();

  const int index_;
  ServerState* state_;
  Dispatcher dispatcher_;
  uv_loop_t loop_;
  uv_async_t async_;
  uv_timer_t tick_;
  uv_check_t flush_check_;
  uv_prepare_t commit_prepare_;
  uv_async_t durable_async_;
  uv_timer_t block_timer_;
  int64_t block_timer_at_ = 0;  // the deadline it is armed for (monotonic ms), 0 = idle
  std::vector<Connection*> durable_waiters_;  // connections holding replies for the disk
  // !durable_waiters_.empty(), for NotifyDurable on other threads (may stay true a while).
  std::atomic<bool> durable_waiting_{false};
  bool durable_async_open_ = true;            // under mu_; closed once shut down and idle
  std::vector<Connection*> pending_flush_;  // connections with replies to flush
  std::vector<Connection*> flushing_;       // the batch OnCheck is writing
  std::vector<uv_handle_t*> listeners_;
  std::unordered_map<uint64_t, Connection*> connections_;
  std::unordered_map<uint64_t, HttpConnection*> http_connections_;
  uint64_t http_ids_ = 0;
  std::shared_ptr<const PageConfig> page_config_;
  uint64_t page_config_generation_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::function<void()>> tasks_;
  bool accepting_tasks_ = true;
  bool shutting_down_ = false;
};

}  // namespace vellum::server
