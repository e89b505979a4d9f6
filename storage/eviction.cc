#include "storage/eviction.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "storage/keyspace.h"

namespace vellum::storage {
namespace {

struct PolicyName {
  const char* name;
  EvictionPolicy policy;
};
constexpr PolicyName kPolicies[] = {
    {"noeviction", EvictionPolicy::kNoEviction},
    {"allkeys-lru", EvictionPolicy::kAllkeysLru},
    {"allkeys-lfu", EvictionPolicy::kAllkeysLfu},
    {"allkeys-random", EvictionPolicy::kAllkeysRandom},
    {"volatile-lru", EvictionPolicy::kVolatileLru},
    {"volatile-lfu", EvictionPolicy::kVolatileLfu},
    {"volatile-random", EvictionPolicy::kVolatileRandom},
    {"volatile-ttl", EvictionPolicy::kVolatileTtl},
};

bool IsRandomPolicy(EvictionPolicy p) {
  return p == EvictionPolicy::kAllkeysRandom || p == EvictionPolicy::kVolatileRandom;
}

// A stale candidate (accessed since it was sampled) is skipped this many rounds at most;
// after that any present candidate is evicted, so a hot keyspace cannot stall eviction.
constexpr int kMaxFreshRounds = 16;
constexpr int kMaxRounds = 64;

// Milliseconds of the last access, from the entry's seconds clock and its sub-second part.
uint64_t LastAccessMs(const Entry& e) {
  return static_cast<uint64_t>(e.access_clock) * 1000 + e.access_ms;
}

}  // namespace

bool ParseEvictionPolicy(std::string_view name, EvictionPolicy* out) {
  for (const PolicyName& p : kPolicies) {
    if (name == p.name) {
      *out = p.policy;
      return true;
    }
  }
  return false;
}

uint8_t LfuDecayed(uint8_t counter, uint32_t last_access_s, uint32_t now_s, int64_t decay_time) {
  if (decay_time <= 0) return counter;
  // Unsigned subtraction: correct across the 32-bit seconds clock's wrap.
  uint64_t minutes = static_cast<uint32_t>(now_s - last_access_s) / 60;
  uint64_t periods = minutes / static_cast<uint64_t>(decay_time);
  return periods >= counter ? 0 : static_cast<uint8_t>(counter - periods);
}

uint8_t LfuLogIncr(uint8_t counter, int64_t log_factor, double random01) {
  if (counter == 255) return 255;
  double base = counter > kLfuInitVal ? counter - kLfuInitVal : 0;
  double p = 1.0 / (base * static_cast<double>(log_factor) + 1.0);
  return random01 < p ? static_cast<uint8_t>(counter + 1) : counter;
}

Evictor::Evictor(Keyspace* keyspace, uint64_t (*used_memory)())
    : ks_(keyspace), used_memory_(used_memory) {}

bool Evictor::FreeMemory(const EvictionSettings& s, int64_t now_ms) {
  if (s.maxmemory == 0 || used_memory_() <= s.maxmemory) return true;
  if (s.policy == EvictionPolicy::kNoEviction) return false;
  std::lock_guard<std::mutex> lock(mu_);
  if (pool_policy_ != s.policy) {  // scores of another policy mean nothing now
    pool_len_ = 0;
    pool_policy_ = s.policy;
  }
  while (used_memory_() > s.maxmemory) {
    const Outcome r = IsRandomPolicy(s.policy) ? EvictRandom(s, now_ms) : EvictOne(s, now_ms);
    if (r == Outcome::kNone) return false;
    if (r == Outcome::kBehind) {
      // Tiering, and the candidates' latest writes are still on their way to disk: the
      // command goes on; memory comes back once the persister has written them. Up to
      // half as much again as maxmemory: beyond it (a persister that cannot write) the
      // command is refused as under noeviction.
      behind_.fetch_add(1, std::memory_order_relaxed);
      return used_memory_() <= s.maxmemory + s.maxmemory / 2;
    }
  }
  return true;
}

Evictor::Taken Evictor::Take(const EvictionSettings& s, int64_t now_ms, int db,
                             const std::string& key, uint64_t hash,
                             const std::function<bool(const Entry& e)>& wanted) {
  if (s.tiering) {
    switch (ks_->Offload(db, key, hash, now_ms, wanted)) {
      case Keyspace::OffloadResult::kOffloaded:
        return Taken::kYes;
      case Keyspace::OffloadResult::kNotOnDisk:
        return Taken::kNotOnDisk;
      default:
        return Taken::kNo;
    }
  }
  if (!ks_->EvictKey(db, key, hash, wanted)) return Taken::kNo;
  if (on_evicted_) on_evicted_(db, key);
  return Taken::kYes;
}

uint64_t Evictor::Score(const EvictionSettings& s, const Entry& e, int64_t now_ms) {
  switch (s.policy) {
    case EvictionPolicy::kVolatileTtl:
      return static_cast<uint64_t>(e.expire_at_ms);
    case EvictionPolicy::kAllkeysLfu:
    case EvictionPolicy::kVolatileLfu: {
      // The decayed counter first; among equal counters the least recently used.
      uint8_t counter = LfuDecayed(e.lfu_counter, e.access_clock,
                                   static_cast<uint32_t>(now_ms / 1000), s.lfu_decay_time);
      return (static_cast<uint64_t>(counter) << 48) | (LastAccessMs(e) & ((1ULL << 48) - 1));
    }
    default:
      return LastAccessMs(e);
  }
}

void Evictor::Offer(uint64_t score, int db, const Entry& e) {
  // The same key sampled again replaces its older (possibly stale) candidate.
  for (int i = 0; i < pool_len_; i++) {
    Candidate& c = pool_[i];
    if (static_cast<uint32_t>(c.hash) == e.hash && c.db == db && c.key == e.key()) {
      std::rotate(pool_ + i, pool_ + i + 1, pool_ + pool_len_);
      pool_len_--;
      break;
    }
  }
  if (pool_len_ == kPoolSize && score >= pool_[kPoolSize - 1].score) return;
  int pos = 0;
  while (pos < pool_len_ && pool_[pos].score <= score) pos++;
  if (pool_len_ < kPoolSize) pool_len_++;
  // The last slot (empty, or the worst candidate, dropped) moves to `pos` and is reused.
  std::rotate(pool_ + pos, pool_ + pool_len_ - 1, pool_ + pool_len_);
  Candidate& c = pool_[pos];
  c.score = score;
  c.key.assign(e.key());
  c.hash = HashKey(e.key());  // the entry keeps only its low 32 bits; the shard needs all
  c.db = db;
  c.access_clock = e.access_clock;
  c.access_ms = e.access_ms;
}

bool Evictor::Populate(const EvictionSettings& s, int64_t now_ms) {
  const bool volatile_only = IsVolatilePolicy(s.policy);
  const size_t n = ks_->shard_count();
  const size_t start = rng_() % n;
  size_t sampled = 0;
  // One shard usually holds enough keys; visit more until `samples` keys were seen.
  for (size_t i = 0; i < n && sampled < static_cast<size_t>(s.samples); i++) {
    sampled += ks_->SampleShard((start + i) % n, s.samples, volatile_only, s.tiering,
                                [&](int db, const Entry& e) { Offer(Score(s, e, now_ms), db, e); });
  }
  return sampled > 0;
}

Evictor::Outcome Evictor::EvictOne(const EvictionSettings& s, int64_t now_ms) {
  const bool volatile_only = IsVolatilePolicy(s.policy);
  const bool ttl = s.policy == EvictionPolicy::kVolatileTtl;
  bool behind = false;
  for (int round = 0; round < kMaxRounds; round++) {
    if (!Populate(s, now_ms) && pool_len_ == 0) break;
    const bool check_fresh = round < kMaxFreshRounds;
    while (pool_len_ > 0) {
      Candidate c = std::move(pool_[0]);
      std::rotate(pool_, pool_ + 1, pool_ + pool_len_);
      pool_len_--;
      const Taken taken = Take(s, now_ms, c.db, c.key, c.hash, [&](const Entry& e) {
        if (volatile_only && !e.HasExpire()) return false;
        if (!check_fresh) return true;
        if (ttl) return static_cast<uint64_t>(e.expire_at_ms) == c.score;
        return e.access_clock == c.access_clock && e.access_ms == c.access_ms;
      });
      if (taken == Taken::kYes) return Outcome::kFreed;
      if (taken == Taken::kNotOnDisk) behind = true;
    }
    // A round of candidates all still to be written: more rounds would find the same.
    if (behind) return Outcome::kBehind;
  }
  return Outcome::kNone;
}

Evictor::Outcome Evictor::EvictRandom(const EvictionSettings& s, int64_t now_ms) {
  const bool volatile_only = IsVolatilePolicy(s.policy);
  const size_t n = ks_->shard_count();
  const size_t start = rng_() % n;
  std::vector<std::pair<int, std::string>> found;
  bool behind = false;
  for (size_t i = 0; i < n; i++) {
    found.clear();
    ks_->SampleShard((start + i) % n, 1, volatile_only, s.tiering,
                     [&](int db, const Entry& e) { found.emplace_back(db, e.key()); });
    if (found.empty()) continue;
    auto& [db, key] = found[rng_() % found.size()];
    const Taken taken = Take(s, now_ms, db, key, HashKey(key),
                             [&](const Entry& e) { return !volatile_only || e.HasExpire(); });
    if (taken == Taken::kYes) return Outcome::kFreed;
    if (taken == Taken::kNotOnDisk) behind = true;
  }
  return behind ? Outcome::kBehind : Outcome::kNone;
}

}  // namespace vellum::storage
