// ClientState: what the server knows about one connected client.
//
// Owned jointly (shared_ptr) by its Connection and the ClientRegistry, so CLIENT LIST on
// another worker can read it after the connection is gone. The owning worker writes the
// plain fields; fields other threads read (CLIENT LIST/INFO/KILL) are atomics or behind
// the small mutex.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "protocol/reply_writer.h"
#include "server/transaction.h"

namespace vellum::server {

class AclUser;  // server/acl.h

class ClientState : public std::enable_shared_from_this<ClientState> {
 public:
  ClientState(uint64_t id, int fd, std::string addr, std::string laddr, bool unix_socket,
              int64_t now_ms)
      : id_(id), fd_(fd), addr_(std::move(addr)), laddr_(std::move(laddr)),
        unix_socket_(unix_socket), created_ms_(now_ms) {
    last_interaction_ms.store(now_ms);
  }

  uint64_t id() const { return id_; }
  int fd() const { return fd_; }
  const std::string& addr() const { return addr_; }
  const std::string& laddr() const { return laddr_; }
  bool unix_socket() const { return unix_socket_; }
  int64_t created_ms() const { return created_ms_; }

  // Owning worker only.
  std::atomic<int> resp{2};
  bool authenticated = false;
  bool close_after_reply = false;  // QUIT, protocol error, CLIENT KILL of itself
  // The reply of the command just run comes later (SNAPSHOT CREATE, SAVE): its connection
  // runs no further command of this client until then. Loop thread only; see Defer().
  bool awaiting_reply = false;
  // CLIENT REPLY: kOn sends replies; kOff drops every reply and push; kSkipNext drops the
  // next command's reply. kSkipArmed is SKIP's own state while its (dropped) reply is
  // written: it becomes kSkipNext for the command after. Loop thread only.
  enum class ReplyMode { kOn, kOff, kSkipArmed, kSkipNext };
  ReplyMode reply_mode = ReplyMode::kOn;
  std::atomic<bool> monitor{false};  // MONITOR: gets every command (server/monitor.h)

  std::atomic<int> db{0};
  std::atomic<int64_t> last_interaction_ms{0};
  std::atomic<bool> no_evict{false};
  // A replica's link (it asked for the log: REPLSTREAM LOG; CLIENT LIST flag S). Its
  // output buffer is outgoing buffer memory, not counted against maxmemory
  // (common/memory.h). Set once by the owning worker, never cleared.
  std::atomic<bool> replica{false};
  // Blocked on a list (BLPOP and the like) until its deferred reply arrives (CLIENT LIST
  // flag b). Set by the blocking command, cleared when the reply is delivered.
  std::atomic<bool> blocked{false};
  std::atomic<size_t> query_buffer_bytes{0};   // unprocessed input, the running command's included
  std::atomic<size_t> query_buffer_free{0};    // room left in the input buffer
  std::atomic<size_t> argv_bytes{0};           // the running command's arguments
  std::atomic<size_t> output_bytes{0};
  std::atomic<uint64_t> commands{0};
  // What CLIENT LIST shows of the transaction below (any thread): commands queued in
  // MULTI (-1 outside, as Redis's multi=; flag x in MULTI) and their arguments' bytes
  // (multi-mem), published by the Transaction as its queue changes. Two loads, so a
  // CLIENT LIST racing a change may pair a count with the other moment's bytes. Declared
  // first: they outlive the Transaction.
  std::atomic<int64_t> multi_queued{-1};
  std::atomic<size_t> multi_bytes{0};
  // MULTI/EXEC and WATCH state (server/transaction.h), created by the first MULTI or
  // WATCH; owning worker only. Its destructor drops the client's watches.
  std::unique_ptr<Transaction> txn;
  // Pub/Sub (server/pubsub.h): the worker the connection lives on (set at accept), and
  // the client's channel and pattern subscriptions (CLIENT LIST sub=/psub=). A RESP2
  // client with any subscription is in "subscribed" mode.
  int worker = -1;
  std::atomic<int> pubsub_channels{0};
  std::atomic<int> pubsub_patterns{0};
  std::atomic<int> pubsub_shard_channels{0};
  bool subscribed() const {
    return pubsub_channels.load(std::memory_order_relaxed) +
               pubsub_patterns.load(std::memory_order_relaxed) +
               pubsub_shard_channels.load(std::memory_order_relaxed) > 0;
  }

  // ACL (server/acl.h): the compiled user this client runs as (null: "default", until the
  // first command) and the ACL generation it was taken at. Owning worker only; Acl::UserOf
  // refreshes it. user_name() is what CLIENT LIST shows (any thread).
  std::shared_ptr<const AclUser> acl_user;
  uint64_t acl_generation = 0;
  std::string user_name() const { std::lock_guard<std::mutex> l(mu_); return user_name_; }
  void set_user_name(std::string n) { std::lock_guard<std::mutex> l(mu_); user_name_ = std::move(n); }

  std::string name() const { std::lock_guard<std::mutex> l(mu_); return name_; }
  void set_name(std::string n) { std::lock_guard<std::mutex> l(mu_); name_ = std::move(n); }
  std::string lib_name() const { std::lock_guard<std::mutex> l(mu_); return lib_name_; }
  void set_lib_name(std::string n) { std::lock_guard<std::mutex> l(mu_); lib_name_ = std::move(n); }
  std::string lib_ver() const { std::lock_guard<std::mutex> l(mu_); return lib_ver_; }
  void set_lib_ver(std::string n) { std::lock_guard<std::mutex> l(mu_); lib_ver_ = std::move(n); }
  // The full name of the last command run ("client|list"); the string is owned by the
  // command table, which outlives every client, so only the pointer is shared.
  std::string last_command() const {
    const std::string* s = last_command_.load(std::memory_order_relaxed);
    return s ? *s : "NULL";
  }
  void set_last_command(const std::string* fullname) {
    last_command_.store(fullname, std::memory_order_relaxed);
  }

  // Asks the owning worker to close this client (any thread). Set by the Connection.
  // From then on the client counts as gone for CLIENT LIST/KILL and INFO, as in Redis,
  // where a killed client is freed at once, even though its worker closes it a moment later.
  void RequestClose() const {
    close_requested_.store(true);
    std::function<void()> fn;
    {
      std::lock_guard<std::mutex> l(mu_);
      fn = closer_;
    }
    if (fn) fn();
  }
  bool close_requested() const { return close_requested_.load(); }
  void set_closer(std::function<void()> fn) { std::lock_guard<std::mutex> l(mu_); closer_ = std::move(fn); }

  // A reply written later, on the client's loop thread, with its protocol version.
  using DeferredReply = std::function<void(protocol::ReplyWriter&)>;
  using SinkFn = std::function<void(DeferredReply, uint64_t durable_ticket)>;
  // Sends a deferred reply, once, from any thread. `durable_ticket`: the reply answers a
  // write made on the calling thread (a blocked pop served by a push) and leaves only once
  // the persister has completed that cycle (storage::Persister::PeekThreadTicket); 0: none.
  struct ReplySink {
    SinkFn fn;
    void operator()(DeferredReply reply, uint64_t durable_ticket = 0) const {
      if (fn) fn(std::move(reply), durable_ticket);
    }
  };
  // For a handler whose reply comes from another thread: marks this command's reply as
  // awaited and returns the function to call (once, from any thread) with the reply. If
  // the client has gone by then, the reply is dropped. Set by the Connection.
  ReplySink Defer() {
    awaiting_reply = true;
    std::lock_guard<std::mutex> l(mu_);
    return ReplySink{reply_sink_};
  }
  void set_reply_sink(SinkFn fn) { std::lock_guard<std::mutex> l(mu_); reply_sink_ = std::move(fn); }

  // One line of CLIENT LIST / CLIENT INFO, in Redis's field order.
  std::string InfoLine(int64_t now_ms) const;

 private:
  const uint64_t id_;
  const int fd_;
  const std::string addr_;
  const std::string laddr_;
  const bool unix_socket_;
  const int64_t created_ms_;
  mutable std::mutex mu_;
  std::string name_, lib_name_, lib_ver_;
  std::string user_name_ = "default";
  std::atomic<const std::string*> last_command_{nullptr};
  mutable std::atomic<bool> close_requested_{false};
  std::function<void()> closer_;
  SinkFn reply_sink_;
};

}  // namespace vellum::server
