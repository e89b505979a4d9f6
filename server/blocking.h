// BlockingRegistry: the clients blocked on list keys (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH,
// BLMPOP) and sorted-set keys (BZPOPMIN, BZPOPMAX, BZMPOP), and the keys that have become
// ready for them.
//
// A blocking command that finds every key empty registers a Waiter here while it still
// holds its keys' shard locks, then leaves its reply deferred (ClientState::Defer): the
// client runs nothing else until the reply comes. A write that creates a list at a key
// (on any worker, under that key's shard lock) calls SignalReady; once the writing
// command is done, with its locks still held, the dispatcher serves the signalled keys
// (server/commands/blocking_ops.cc): the first waiter of each key, in the order they
// blocked, takes its element right there, so no other client can see the element in
// between, as in Redis. Because registration and signalling both happen under the key's
// shard lock, a waiter never misses a list created after it found the key empty.
//
// A waiter ends exactly once, whichever comes first: served (Claim), timed out (its
// worker's timer, ExpireDue), its client gone (Cancel) or unblocked (CLIENT UNBLOCK).
//
// Thread-safety: every member function may be called from any thread; one mutex guards
// the waiters. SignalReady and TakeReady use a thread-local list of ready keys (the
// signalling thread serves them), and cost an atomic load when nobody is blocked.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "server/client_state.h"

namespace vellum::server {

// What a blocked client does with the element(s) once a key is ready.
struct BlockedOp {
  // BLPOP/BRPOP, BLMOVE/BRPOPLPUSH, BLMPOP; BZPOPMIN/BZPOPMAX, BZMPOP.
  enum class Kind { kPop, kMove, kMPop, kZPop, kZMPop };
  Kind kind = Kind::kPop;
  // It waits for a sorted set (else a list). A key of the other type does not serve it.
  bool zset() const { return kind == Kind::kZPop || kind == Kind::kZMPop; }
  bool from_left = true;      // lists: the left end; sorted sets: the lowest scores
  bool to_left = true;        // kMove: the destination's end
  std::string destination;    // kMove
  int64_t count = 1;          // kMPop, kZMPop
};

struct Waiter {
  uint64_t client_id = 0;
  int worker = 0;  // the client's worker (its timeout timer)
  int db = 0;
  std::vector<std::string> keys;
  BlockedOp op;
  int64_t deadline_ms = 0;  // monotonic ms; 0 = no timeout
  ClientState::ReplySink reply;
  bool done = false;  // guarded by the registry's mutex
};

class BlockingRegistry {
 public:
  explicit BlockingRegistry(int workers)
      : deadlines_(static_cast<size_t>(workers)),
        next_deadline_(std::make_unique<std::atomic<int64_t>[]>(static_cast<size_t>(workers))) {}

  // Registers w (its keys' shard locks held by the caller).
  void Block(std::shared_ptr<Waiter> w);
  // A list or sorted set was created at (db, key) (its shard lock held): the waiters on it
  // are served
  // when the current command ends on this thread.
  void SignalReady(int db, std::string_view key);
  // The keys this thread signalled since the last call, in order (the dispatcher).
  static std::vector<std::pair<int, std::string>> TakeReady();
  static bool AnyReady();
  // Puts a key back on this thread's ready list (it could not be served now).
  static void Requeue(int db, const std::string& key);

  // The first waiter on (db, key) for a sorted set (zset) or a list, still blocked, or
  // nullptr; it stays registered. Waiters for the other type are passed over, as in Redis.
  std::shared_ptr<Waiter> First(int db, std::string_view key, bool zset = false);
  // Ends w as served: false if it already ended (timed out, cancelled, served).
  bool Claim(const std::shared_ptr<Waiter>& w);
  // Ends every waiter of `worker` whose deadline is at or before now_ms, and returns
  // them (their replies are the caller's to send); *next_ms is the next deadline of that
  // worker's waiters, 0 if none.
  std::vector<std::shared_ptr<Waiter>> ExpireDue(int worker, int64_t now_ms, int64_t* next_ms);
  // The earliest deadline of the worker's waiters, 0 if none. Lock-free: each worker's
  // loop asks on every iteration while anyone is blocked.
  int64_t NextDeadline(int worker) const {
    return next_deadline_[static_cast<size_t>(worker)].load(std::memory_order_acquire);
  }
  // The client's waiter, ended (CLIENT UNBLOCK), or nullptr if it is not blocked.
  std::shared_ptr<Waiter> Unblock(uint64_t client_id);
  // The client went away: its waiter (if any) ends without a reply.
  void Cancel(uint64_t client_id) { (void)Unblock(client_id); }
  bool IsBlocked(uint64_t client_id);
  // The keys of db some client waits on (SWAPDB checks them for lists).
  std::vector<std::string> WaitedKeys(int db);
  size_t blocked_clients() const { return blocked_.load(std::memory_order_relaxed); }

 private:
  struct DbKeyHash {
    size_t operator()(const std::pair<int, std::string>& k) const {
      return std::hash<std::string>{}(k.second) ^ static_cast<size_t>(k.first);
    }
  };
  // Removes w from every index; mu_ held.
  void RemoveLocked(const std::shared_ptr<Waiter>& w);
  // Publishes the worker's earliest deadline; mu_ held.
  void PublishDeadline(int worker);

  std::mutex mu_;
  std::unordered_map<std::pair<int, std::string>, std::vector<std::shared_ptr<Waiter>>, DbKeyHash>
      by_key_;
  std::unordered_map<uint64_t, std::shared_ptr<Waiter>> by_client_;
  // Per worker: deadline -> waiter.
  std::vector<std::multimap<int64_t, std::shared_ptr<Waiter>>> deadlines_;
  std::unique_ptr<std::atomic<int64_t>[]> next_deadline_;  // per worker; written under mu_
  std::atomic<size_t> blocked_{0};
};

}  // namespace vellum::server
