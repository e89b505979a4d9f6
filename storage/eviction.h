// Eviction: Redis's maxmemory policies over the sharded Keyspace, approximated by
// sampling as Redis's evict.c does.
//
// When used memory is above maxmemory, Evictor::FreeMemory deletes keys until it is not:
//   - allkeys-lru / volatile-lru: the least recently accessed of the sampled keys,
//   - allkeys-lfu / volatile-lfu: the lowest logarithmic access counter (after decay),
//   - volatile-ttl: the nearest expiry,
//   - allkeys-random / volatile-random: any key,
//   - noeviction: nothing (the caller then refuses commands that would grow memory).
// volatile-* policies only ever consider keys that have an expiry.
//
// Each round samples maxmemory-samples keys of each database from a random shard (more
// shards when the first is too sparse) into an eviction pool of the best 16 candidates,
// then evicts the best candidate still present. The pool outlives the call, so good
// candidates found earlier are kept, as in Redis. Unlike Redis, a candidate whose key was
// accessed after it was sampled is dropped instead of evicted (its score is stale).
//
// LFU counters follow Redis's object.c: a new key starts at 5; each access first applies
// decay (minus one per lfu-decay-time minutes since the last access) then increments with
// probability 1 / ((counter - 5) * lfu-log-factor + 1), saturating at 255.
//
// Tiering (EvictionSettings::tiering): the same choice, but the chosen key's value is
// dropped from memory only (Keyspace::Offload); the key stays, on disk. Only keys holding
// their value are candidates, and only those whose latest write is on disk are taken; if
// a round's candidates are still on their way to disk, FreeMemory lets the command go on
// (counted in behind()) rather than refuse it, up to 1.5 x maxmemory: the persister frees
// them within a cycle.
// Nothing is ever deleted: once no value is left in memory, FreeMemory fails as with
// noeviction.
//
// Thread-safety: FreeMemory may be called from any thread that holds no shard lock; it
// locks one shard at a time, under its own mutex (so evictions are serialised).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <utility>

#include "storage/entry.h"

namespace vellum::storage {

class Keyspace;

enum class EvictionPolicy : uint8_t {
  kNoEviction = 0,
  kAllkeysLru,
  kAllkeysLfu,
  kAllkeysRandom,
  kVolatileLru,
  kVolatileLfu,
  kVolatileRandom,
  kVolatileTtl,
};

// Redis's policy names ("allkeys-lru", ...); false for an unknown name.
bool ParseEvictionPolicy(std::string_view name, EvictionPolicy* out);
inline bool IsLfuPolicy(EvictionPolicy p) {
  return p == EvictionPolicy::kAllkeysLfu || p == EvictionPolicy::kVolatileLfu;
}
inline bool IsVolatilePolicy(EvictionPolicy p) {
  return p == EvictionPolicy::kVolatileLru || p == EvictionPolicy::kVolatileLfu ||
         p == EvictionPolicy::kVolatileRandom || p == EvictionPolicy::kVolatileTtl;
}

inline constexpr uint8_t kLfuInitVal = 5;

// The counter after decay: minus one per `decay_time` minutes between the last access
// (access_clock, seconds) and now_s. decay_time 0 never decays.
uint8_t LfuDecayed(uint8_t counter, uint32_t last_access_s, uint32_t now_s, int64_t decay_time);
// One logarithmic increment; `random01` is uniform in [0, 1).
uint8_t LfuLogIncr(uint8_t counter, int64_t log_factor, double random01);

struct EvictionSettings {
  uint64_t maxmemory = 0;  // 0: no limit
  EvictionPolicy policy = EvictionPolicy::kNoEviction;
  int samples = 5;
  int64_t lfu_decay_time = 1;
  bool tiering = false;  // offload values to disk instead of deleting keys
};

class Evictor {
 public:
  // `used_memory` reports the bytes to compare with maxmemory (UsedMemory() in the
  // daemon; tests pass their own).
  Evictor(Keyspace* keyspace, uint64_t (*used_memory)());

  // Evicts until used memory <= maxmemory. Returns true when memory is (now) within the
  // limit, false when it is still over it (noeviction, or nothing left to evict).
  bool FreeMemory(const EvictionSettings& settings, int64_t now_ms);

  // Called after each eviction, with no shard lock held (the 'evicted' keyspace event).
  // Set before any worker runs.
  void set_on_evicted(std::function<void(int db, std::string_view key)> fn) {
    on_evicted_ = std::move(fn);
  }

  static constexpr int kPoolSize = 16;

  // Tiering: calls of FreeMemory that let a command through over maxmemory because every
  // candidate was still to be written to disk.
  uint64_t behind() const { return behind_.load(std::memory_order_relaxed); }

 private:
  enum class Outcome { kFreed, kNone, kBehind };
  enum class Taken { kYes, kNo, kNotOnDisk };
  struct Candidate {
    uint64_t score = 0;  // lower evicts first
    std::string key;
    uint64_t hash = 0;
    int db = 0;
    uint32_t access_clock = 0;  // the entry's clock when sampled (to spot later accesses)
    uint16_t access_ms = 0;
  };

  // Evicts (offloads) one key: kNone when no key qualifies, kBehind when the only
  // candidates are not on disk yet (tiering).
  Outcome EvictOne(const EvictionSettings& s, int64_t now_ms);
  Outcome EvictRandom(const EvictionSettings& s, int64_t now_ms);
  // Deletes the key (or offloads its value: tiering) if wanted(entry) still agrees.
  Taken Take(const EvictionSettings& s, int64_t now_ms, int db, const std::string& key,
             uint64_t hash, const std::function<bool(const Entry& e)>& wanted);
  // Samples random shards into the pool; false when no shard has a qualifying key.
  bool Populate(const EvictionSettings& s, int64_t now_ms);
  void Offer(uint64_t score, int db, const Entry& e);
  static uint64_t Score(const EvictionSettings& s, const Entry& e, int64_t now_ms);

  Keyspace* ks_;
  uint64_t (*used_memory_)();
  std::mutex mu_;  // guards everything below
  Candidate pool_[kPoolSize];
  int pool_len_ = 0;  // pool_[0..pool_len_) sorted by score, best first
  EvictionPolicy pool_policy_ = EvictionPolicy::kNoEviction;
  std::mt19937_64 rng_{0xe71c7};
  std::function<void(int, std::string_view)> on_evicted_;
  std::atomic<uint64_t> behind_{0};
};

}  // namespace vellum::storage
