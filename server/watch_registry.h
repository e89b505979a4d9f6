// WatchRegistry: which clients WATCH which keys, and marking them dirty when a key changes
// (Redis's db->watched_keys and touchWatchedKey, for a keyspace shared by many threads).
//
// Each client's watches live in a WatchSet that the client owns (through its Transaction).
// The registry maps key -> watchers in striped maps, each stripe behind its own mutex, and
// listens to every keyspace change: a written, deleted or expired key marks its watchers in
// that database dirty; a flush marks the watchers of keys that existed; a swap marks every
// watcher of either database. With nobody watching, each event costs one relaxed atomic load.
//
// Thread-safety: every method may be called from any thread. Watch() must be called with the
// key's shard lock held (so a write to that key is ordered before or after the registration,
// never lost), IsDirty() with the shard locks of every watched key held (so no write slips in
// between the check and the EXEC it guards). UnwatchAll() needs no shard lock. Lock order:
// shard locks, then one stripe lock at a time; the registry never calls the keyspace.
// A WatchSet's keys are only touched by its owner (the client's worker); its dirty flag by
// any writer. A WatchSet must be UnwatchAll()ed before it is destroyed.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "storage/keyspace.h"

namespace vellum::server {

class WatchSet {
 public:
  WatchSet() = default;
  WatchSet(const WatchSet&) = delete;
  WatchSet& operator=(const WatchSet&) = delete;

  // True once a watched key changed (a write seen by the registry; expiry times are
  // checked by WatchRegistry::IsDirty).
  bool dirty() const { return dirty_.load(std::memory_order_acquire); }
  bool empty() const { return keys_.empty(); }
  size_t size() const { return keys_.size(); }

  struct Key {
    int db;
    std::string key;
    int64_t expire_at_ms;  // the key's expiry when it was watched; 0: none or absent
  };
  const std::vector<Key>& keys() const { return keys_; }

 private:
  friend class WatchRegistry;
  std::vector<Key> keys_;
  std::atomic<bool> dirty_{false};
};

class WatchRegistry final : public storage::WriteListener {
 public:
  WatchRegistry() = default;
  WatchRegistry(const WatchRegistry&) = delete;
  WatchRegistry& operator=(const WatchRegistry&) = delete;

  // Starts watching (db, key) for `set`; watching a key twice is a no-op. The caller holds
  // the key's shard lock and says what the key is now: whether a live entry exists and its
  // expiry time (0: none). Call after any lookup that may lazily expire the key, so that a
  // key already expired counts as absent (Redis 7: its later deletion is no change).
  void Watch(WatchSet* set, int db, std::string_view key, bool exists, int64_t expire_at_ms);

  // Stops watching every key of `set` and clears its dirty flag. No shard lock needed.
  void UnwatchAll(WatchSet* set);

  // True when an EXEC guarded by `set` must abort: a watched key was written, deleted,
  // expired, flushed or swapped away since WATCH, or has reached its expiry time by now_ms
  // though nothing deleted it yet. The caller holds the shard locks of every watched key.
  bool IsDirty(const WatchSet& set, int64_t now_ms) const;

  // Number of (client, key) pairs watched over all clients.
  size_t watched_count() const { return count_.load(std::memory_order_relaxed); }

  // storage::WriteListener: called with the key's shard lock (or all of them) held.
  void OnKeyWritten(int db, std::string_view key) override { Touch(db, key); }
  void OnKeyDeleted(int db, std::string_view key) override { Touch(db, key); }
  void OnKeyExpired(int db, std::string_view key) override { Touch(db, key); }
  void OnDbFlushed(int db) override;
  void OnDbSwapped(int a, int b) override;

 private:
  struct Watcher {
    WatchSet* set;
    int db;
    bool existed;  // a live entry when watched: a flush then deletes it (Redis: dirty)
  };
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  struct alignas(64) Stripe {
    std::mutex mu;
    std::unordered_map<std::string, std::vector<Watcher>, StringHash, std::equal_to<>> keys;
  };
  static constexpr size_t kStripes = 64;

  Stripe& StripeOf(std::string_view key);
  void Touch(int db, std::string_view key);
  // Marks every watcher for which pred(watcher) holds, over all stripes.
  template <typename Pred>
  void MarkAll(Pred pred);

  std::atomic<size_t> count_{0};
  std::array<Stripe, kStripes> stripes_;
};

}  // namespace vellum::server
