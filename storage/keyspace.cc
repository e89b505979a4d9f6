#include "storage/keyspace.h"

#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <system_error>
#include <thread>
#include <utility>

#include "common/clock.h"
#include "common/counter.h"
#include "storage/disk_record.h"
#include "storage/eviction.h"

namespace vellum::storage {
namespace {

// True while this thread holds every shard lock (a kLockAll command, or an EXEC that
// locked everything). The self-locking iterations then run under those locks instead of
// taking a shard lock again, which would deadlock.
thread_local bool t_holds_all_shards = false;

// Locks one shard for an iteration step unless the thread already holds them all.
class IterationLock {
 public:
  explicit IterationLock(ShardMutexType& mu) : mu_(t_holds_all_shards ? nullptr : &mu) {
    if (mu_) mu_->lock();
  }
  ~IterationLock() {
    if (mu_) mu_->unlock();
  }
  IterationLock(const IterationLock&) = delete;
  IterationLock& operator=(const IterationLock&) = delete;

 private:
  ShardMutexType* mu_;
};

}  // namespace

uint64_t HashKey(std::string_view key) { return XXH3_64bits(key.data(), key.size()); }

Keyspace::Keyspace(int shard_bits) : shard_bits_(shard_bits) {
  shards_.reserve(size_t{1} << shard_bits);
  for (size_t i = 0; i < (size_t{1} << shard_bits); i++) {
    shards_.push_back(std::make_unique<Shard>());
    shards_.back()->rng.seed(0x5eed + i);
  }
}

Keyspace::~Keyspace() = default;

void Keyspace::StampAccess(Entry* e, int64_t now_ms) {
  e->access_clock = static_cast<uint32_t>(now_ms / 1000);
  e->access_ms = static_cast<uint16_t>(now_ms % 1000);
}

void Keyspace::CopyAccess(const Entry& from, Entry* to) {
  to->access_clock = from.access_clock;
  to->access_ms = from.access_ms;
  to->lfu_counter = from.lfu_counter;
}

void Keyspace::Touch(Entry* e, int64_t now_ms) {
  if (lfu_enabled_.load(std::memory_order_relaxed)) {
    // Redis's updateLFU: decay for the time since the last access, then count this one.
    thread_local uint64_t rnd = 0x9e3779b97f4a7c15ULL ^ reinterpret_cast<uintptr_t>(&rnd);
    rnd ^= rnd << 13;
    rnd ^= rnd >> 7;
    rnd ^= rnd << 17;
    uint8_t c = LfuDecayed(e->lfu_counter, e->access_clock, static_cast<uint32_t>(now_ms / 1000),
                           lfu_decay_time_.load(std::memory_order_relaxed));
    e->lfu_counter = LfuLogIncr(c, lfu_log_factor_.load(std::memory_order_relaxed),
                                static_cast<double>(rnd >> 11) * 0x1.0p-53);
  }
  StampAccess(e, now_ms);
}

void Keyspace::SetLfu(bool enabled, int64_t log_factor, int64_t decay_time) {
  lfu_log_factor_.store(log_factor, std::memory_order_relaxed);
  lfu_decay_time_.store(decay_time, std::memory_order_relaxed);
  lfu_enabled_.store(enabled, std::memory_order_relaxed);
}

bool Keyspace::ExpireIfNeeded(Shard& shard, int db, Entry* e, int64_t now_ms) {
  if (e->expire_at_ms == 0 || e->expire_at_ms > now_ms) return false;
  Entry* gone = shard.dbs[db].Unlink(e->key(), e->hash);
  NoteGone(shard, db, gone->key());
  AddToCounter(shard.stats.expired_keys, 1);
  if (listener_) listener_->OnKeyExpired(db, gone->key());
  Entry::Delete(gone);
  return true;
}

Entry* Keyspace::Lookup(int db, std::string_view key, int64_t now_ms, bool touch, CountLookup count,
                        bool value_used) {
  uint64_t h = HashKey(key);
  Shard& shard = *shards_[ShardOfHash(h)];
  Entry* e = shard.dbs[db].Find(key, h);
  // An expired key goes before anything is read back for it.
  if (e != nullptr && ExpireIfNeeded(shard, db, e, now_ms)) {
    e = nullptr;
  } else if ((e == nullptr && warming_.load(std::memory_order_relaxed)) ||
             (e != nullptr && e->on_disk && value_used)) {
    e = ReadThrough(shard, db, key, h, now_ms);
    if (e != nullptr && ExpireIfNeeded(shard, db, e, now_ms)) e = nullptr;
  }
  if (count == CountLookup::kYes) AddToCounter(e ? shard.stats.hits : shard.stats.misses, 1);
  if (!value_used) return e;           // a value read back for another command stays marked
  if (e != nullptr && e->read_back) {  // tiering: this lookup needed the disk
    e->read_back = false;
    if (count == CountLookup::kYes) AddToCounter(shard.stats.disk_hits, 1);
  }
  if (e != nullptr && touch) Touch(e, now_ms);
  return e;
}

uint64_t Keyspace::SumStat(std::atomic<uint64_t> ShardStats::*counter) const {
  uint64_t sum = 0;
  for (const auto& shard : shards_) sum += (shard->stats.*counter).load(std::memory_order_relaxed);
  return sum;
}

Entry* Keyspace::Find(int db, std::string_view key, int64_t now_ms) {
  return Lookup(db, key, now_ms, /*touch=*/true, CountLookup::kNo);
}

Entry* Keyspace::FindForRead(int db, std::string_view key, int64_t now_ms) {
  return Lookup(db, key, now_ms, /*touch=*/true, CountLookup::kYes);
}

Entry* Keyspace::FindForReadNoTouch(int db, std::string_view key, int64_t now_ms) {
  return Lookup(db, key, now_ms, /*touch=*/false, CountLookup::kYes);
}

Entry* Keyspace::FindKeyOnly(int db, std::string_view key, int64_t now_ms, bool count_lookup) {
  return Lookup(db, key, now_ms, /*touch=*/false,
                count_lookup ? CountLookup::kYes : CountLookup::kNo, /*value_used=*/false);
}

Entry* Keyspace::FindToOverwrite(int db, std::string_view key, int64_t now_ms, size_t value_room) {
  uint64_t h = HashKey(key);
  Shard& shard = *shards_[ShardOfHash(h)];
  Entry* e = shard.dbs[db].Find(key, h);
  if (e == nullptr || !e->on_disk) return Find(db, key, now_ms);
  if (ExpireIfNeeded(shard, db, e, now_ms)) return nullptr;
  Entry* fresh = Entry::New(key, value_room);
  fresh->hash = e->hash;
  CopyAccess(*e, fresh);
  Entry::Delete(shard.dbs[db].Replace(e, fresh));
  Touch(fresh, now_ms);
  return fresh;
}

Entry* Keyspace::FindForWrite(int db, std::string_view key, int64_t now_ms) {
  Entry* e = Find(db, key, now_ms);
  if (e && listener_) listener_->OnKeyWritten(db, key);
  return e;
}

Entry* Keyspace::Insert(Shard& shard, int db, std::string_view key, uint64_t hash,
                        int64_t now_ms, size_t value_room) {
  Entry* e = Entry::New(key, value_room);
  e->hash = static_cast<uint32_t>(hash);
  StampAccess(e, now_ms);
  shard.dbs[db].Insert(e);
  return e;
}

Entry* Keyspace::Create(int db, std::string_view key, int64_t now_ms, size_t value_room) {
  uint64_t h = HashKey(key);
  Entry* e = Insert(*shards_[ShardOfHash(h)], db, key, h, now_ms, value_room);
  if (listener_) listener_->OnKeyWritten(db, key);
  return e;
}

Entry* Keyspace::Upsert(int db, std::string_view key, int64_t now_ms, bool* created) {
  Entry* e = FindForWrite(db, key, now_ms);
  *created = (e == nullptr);
  return e ? e : Create(db, key, now_ms);
}

bool Keyspace::Erase(int db, std::string_view key) {
  uint64_t h = HashKey(key);
  Shard& shard = *shards_[ShardOfHash(h)];
  Entry* e = shard.dbs[db].Unlink(key, h);
  // Warming: a key still on disk only is deleted all the same (read first, so that its
  // deletion reaches the disk).
  if (e == nullptr && warming_.load(std::memory_order_relaxed) &&
      ReadThrough(shard, db, key, h, /*now_ms=*/0) != nullptr) {
    e = shard.dbs[db].Unlink(key, h);
  }
  if (e == nullptr) return false;
  NoteGone(shard, db, key);
  if (listener_) listener_->OnKeyDeleted(db, key);
  Entry::Delete(e);
  return true;
}

bool Keyspace::Move(int db, std::string_view key, int dst_db, std::string_view dst_key,
                    int64_t now_ms) {
  const Entry* found = Find(db, key, now_ms);
  if (found == nullptr) return false;
  // May throw: before anything changes. An inline string moves with its entry.
  void* mem = Entry::AllocateFor(dst_key, found->InlineRoomNeeded());
  uint64_t h = HashKey(key);
  Shard& src_shard = *shards_[ShardOfHash(h)];
  Entry* src = src_shard.dbs[db].Unlink(key, h);
  NoteGone(src_shard, db, key);
  if (listener_) listener_->OnKeyDeleted(db, key);
  uint64_t dh = HashKey(dst_key);
  Table& dst = shards_[ShardOfHash(dh)]->dbs[dst_db];
  Entry::Delete(dst.Unlink(dst_key, dh));
  Entry* e = Entry::NewRenamed(mem, src, dst_key);
  e->hash = static_cast<uint32_t>(dh);
  dst.Insert(e);
  if (listener_) listener_->OnKeyWritten(dst_db, dst_key);
  return true;
}

bool Keyspace::Copy(int db, std::string_view key, int dst_db, std::string_view dst_key,
                    int64_t now_ms) {
  const Entry* src = Find(db, key, now_ms);
  if (src == nullptr) return false;
  // Every payload the Entry holds (and its expiry) is duplicated; what belongs to the
  // slot rather than to the value starts fresh.
  Entry* e = Entry::NewCopy(*src, dst_key);
  uint64_t dh = HashKey(dst_key);
  e->hash = static_cast<uint32_t>(dh);
  StampAccess(e, now_ms);
  Table& dst = shards_[ShardOfHash(dh)]->dbs[dst_db];
  Entry::Delete(dst.Unlink(dst_key, dh));
  dst.Insert(e);
  if (listener_) listener_->OnKeyWritten(dst_db, dst_key);
  return true;
}

void Keyspace::SetExpire(int db, Entry* e, int64_t at_ms) {
  shards_[ShardOf(e->key())]->dbs[db].SetExpire(e, at_ms);  // the entry keeps 32 bits
}

void Keyspace::MarkFieldsWritten(int db, std::string_view key,
                                 std::span<const std::string_view> fields) {
  if (listener_) listener_->OnFieldsWritten(db, key, fields);
}

Entry* Keyspace::Peek(int db, std::string_view key) {
  uint64_t h = HashKey(key);
  return shards_[ShardOfHash(h)]->dbs[db].Find(key, h);
}

void Keyspace::MarkWritten(int db, std::string_view key) {
  if (listener_) listener_->OnKeyWritten(db, key);
}

void Keyspace::FlushDb(int db) {
  EndDbWarmup(db);
  for (auto& shard : shards_) shard->dbs[db].Clear();
  if (listener_) listener_->OnDbFlushed(db);
}

void Keyspace::FlushAll() {
  for (int db = 0; db < kNumDbs; db++) EndDbWarmup(db);
  for (auto& shard : shards_) {
    for (Table& t : shard->dbs) t.Clear();
  }
  if (listener_) listener_->OnDbFlushed(-1);
}

void Keyspace::FreeInBackground(std::vector<Table> tables) {
  constexpr size_t kInlineFreeMax = 64;  // as Redis's LAZYFREE_THRESHOLD
  size_t entries = 0;
  for (const Table& t : tables) entries += t.size();
  if (entries <= kInlineFreeMax) return;  // freed inline when `tables` goes out of scope
  try {
    std::thread([doomed = std::move(tables)]() mutable { doomed.clear(); }).detach();
  } catch (const std::system_error&) {
    // No thread available: the callable (and the tables it owns) was destroyed on the
    // way out of the failed constructor, so the entries are already freed inline.
  }
}

void Keyspace::FlushDbAsync(int db) {
  EndDbWarmup(db);
  std::vector<Table> detached;
  detached.reserve(shards_.size());
  for (auto& shard : shards_) detached.push_back(std::move(shard->dbs[db]));
  if (listener_) listener_->OnDbFlushed(db);
  FreeInBackground(std::move(detached));
}

void Keyspace::FlushAllAsync() {
  for (int db = 0; db < kNumDbs; db++) EndDbWarmup(db);
  std::vector<Table> detached;
  detached.reserve(shards_.size() * kNumDbs);
  for (auto& shard : shards_) {
    for (Table& t : shard->dbs) detached.push_back(std::move(t));
  }
  if (listener_) listener_->OnDbFlushed(-1);
  FreeInBackground(std::move(detached));
}

void Keyspace::SwapDb(int a, int b) {
  if (a == b) return;
  for (auto& shard : shards_) {
    std::swap(shard->dbs[a], shard->dbs[b]);
    if (shard->warm) std::swap(shard->warm->gone[a], shard->warm->gone[b]);
  }
  // The disk's records stay where they are: database a is now what b was.
  const uint8_t pa = disk_db_[a].load(std::memory_order_relaxed);
  disk_db_[a].store(disk_db_[b].load(std::memory_order_relaxed), std::memory_order_release);
  disk_db_[b].store(pa, std::memory_order_release);
  std::swap(disk_flushed_[a], disk_flushed_[b]);
  if (listener_) listener_->OnDbSwapped(a, b);
}

size_t Keyspace::DbSize(int db) {
  size_t n = 0;
  for (auto& shard : shards_) {
    IterationLock lock(shard->mu);
    n += shard->dbs[db].size();
  }
  return n;
}

size_t Keyspace::VolatileSize(int db) {
  size_t n = 0;
  for (auto& shard : shards_) {
    IterationLock lock(shard->mu);
    n += shard->dbs[db].volatile_size();
  }
  return n;
}

Keyspace::TableSizes Keyspace::Sizes(int db) {
  TableSizes o;
  for (auto& shard : shards_) {
    IterationLock lock(shard->mu);
    o.keys += shard->dbs[db].size();
    o.main += shard->dbs[db].bucket_count() * sizeof(Entry*);
    o.expires += shard->dbs[db].volatile_capacity() * sizeof(Entry*);
  }
  return o;
}

uint64_t Keyspace::Scan(int db, uint64_t cursor, size_t count, int64_t now_ms,
                        const std::function<void(const Entry&)>& fn) {
  const uint64_t shard_mask = shards_.size() - 1;
  size_t shard = cursor & shard_mask;
  uint64_t bucket_cursor = cursor >> shard_bits_;
  size_t walked = 0;
  while (walked < count) {
    Shard& s = *shards_[shard];
    {
      IterationLock lock(s.mu);
      Table& t = s.dbs[db];
      // Walk buckets of this shard while under budget; expired entries are skipped.
      if (t.size() == 0) {
        bucket_cursor = 0;  // an empty table costs nothing: move on to the next shard
      } else {
        do {
          bucket_cursor = t.ScanStep(bucket_cursor, [&](Entry* e) {
            if (e->expire_at_ms != 0 && e->expire_at_ms <= now_ms) return;
            fn(*e);
          });
          walked++;
        } while (bucket_cursor != 0 && walked < count);
      }
    }
    if (bucket_cursor == 0) {
      if (++shard == shards_.size()) return 0;
    }
  }
  return (bucket_cursor << shard_bits_) | shard;
}

bool Keyspace::RandomKey(int db, int64_t now_ms, std::string* out) {
  const size_t n = shards_.size();
  thread_local std::mt19937_64 rng{std::random_device{}()};
  // Try random shards first; fall back to a linear sweep so an almost-empty db answers.
  for (int attempt = 0; attempt < 100; attempt++) {
    Shard& s = *shards_[rng() % n];
    IterationLock lock(s.mu);
    Entry* e = s.dbs[db].Random(rng);
    if (e == nullptr) continue;
    if (ExpireIfNeeded(s, db, e, now_ms)) continue;
    *out = e->key();
    return true;
  }
  for (size_t i = 0; i < n; i++) {
    Shard& s = *shards_[i];
    IterationLock lock(s.mu);
    for (int tries = 0; tries < 16; tries++) {
      Entry* e = s.dbs[db].Random(rng);
      if (e == nullptr) break;
      if (ExpireIfNeeded(s, db, e, now_ms)) continue;
      *out = e->key();
      return true;
    }
  }
  return false;
}

size_t Keyspace::ActiveExpireCycle(int64_t now_ms, int64_t budget_us) {
  // As Redis's activeExpireCycle: sample 20 volatile keys per database; repeat on the
  // same shard while more than 10% of the sample had expired; stop at the time budget.
  constexpr int kSample = 20;
  const int64_t deadline = MonotonicUs() + budget_us;
  size_t expired = 0;
  const size_t n = shards_.size();
  for (size_t visited = 0; visited < n; visited++) {
    size_t idx = expire_cursor_.fetch_add(1, std::memory_order_relaxed) % n;
    Shard& s = *shards_[idx];
    IterationLock lock(s.mu);
    for (int db = 0; db < kNumDbs; db++) {
      Table& t = s.dbs[db];
      for (;;) {
        if (t.volatile_size() == 0) break;
        int sampled = 0, hit = 0;
        for (; sampled < kSample && t.volatile_size() > 0; sampled++) {
          Entry* e = t.RandomVolatile(s.rng);
          if (ExpireIfNeeded(s, db, e, now_ms)) hit++;
        }
        expired += hit;
        if (hit * 10 <= sampled) break;
        if (MonotonicUs() > deadline) return expired;
      }
    }
    if ((visited & 15) == 15 && MonotonicUs() > deadline) break;
  }
  return expired;
}

size_t Keyspace::SampleShard(size_t shard, int per_db, bool volatile_only, bool values_only,
                             const std::function<void(int db, const Entry& e)>& fn) {
  Shard& s = *shards_[shard];
  IterationLock lock(s.mu);
  size_t visited = 0;
  for (int db = 0; db < kNumDbs; db++) {
    const Table& t = s.dbs[db];
    size_t available = volatile_only ? t.volatile_size() : t.size();
    if (values_only && !volatile_only) available -= t.on_disk_size();
    size_t n = std::min(available, static_cast<size_t>(per_db));
    if (values_only && !volatile_only) {
      // Among mostly offloaded keys: consecutive buckets from a random one, bounded (the
      // caller looks at more shards if it finds too few).
      t.SampleFromRandomBucket(s.rng, n, 8 * n + 16, [&](Entry* e) {
        if (e->on_disk) return false;
        fn(db, *e);
        visited++;
        return true;
      });
      continue;
    }
    // Offloaded entries are skipped: a few more draws, bounded.
    for (size_t drawn = 0, found = 0; found < n && drawn < 4 * n; drawn++) {
      const Entry* e = volatile_only ? t.RandomVolatile(s.rng) : t.Random(s.rng);
      if (values_only && e->on_disk) continue;
      fn(db, *e);
      found++;
      visited++;
    }
  }
  return visited;
}

bool Keyspace::EvictKey(int db, std::string_view key, uint64_t hash,
                        const std::function<bool(const Entry& e)>& still_wanted) {
  Shard& shard = *shards_[ShardOfHash(hash)];
  IterationLock lock(shard.mu);
  Entry* e = shard.dbs[db].Find(key, hash);
  if (e == nullptr || !still_wanted(*e)) return false;
  shard.dbs[db].Unlink(key, hash);
  NoteGone(shard, db, key);
  AddToCounter(shard.stats.evicted_keys, 1);
  if (listener_) listener_->OnKeyDeleted(db, key);
  Entry::Delete(e);
  return true;
}

void Keyspace::AttachDisk(DiskSource* source, const uint8_t (&db_map)[kNumDbs]) {
  ShardLocks all(this);
  all.AddAll();
  all.Acquire();
  disk_ = source;
  for (int db = 0; db < kNumDbs; db++) disk_db_[db].store(db_map[db], std::memory_order_relaxed);
}

void Keyspace::BeginWarmup(DiskSource* source, const uint8_t (&db_map)[kNumDbs]) {
  // Under every shard lock: a replica starts a warm-up again while it serves.
  ShardLocks all(this);
  all.AddAll();
  all.Acquire();
  disk_ = source;
  for (int db = 0; db < kNumDbs; db++) {
    disk_db_[db].store(db_map[db], std::memory_order_relaxed);
    disk_flushed_[db] = false;
  }
  for (auto& shard : shards_) shard->warm = std::make_unique<WarmState>();
  warming_.store(true, std::memory_order_release);
}

void Keyspace::EndWarmup() {
  // Per shard, under its lock: a lookup sees either the warm state or all of the keys.
  for (auto& shard : shards_) {
    std::unique_ptr<WarmState> done;
    std::lock_guard<ShardMutexType> lock(shard->mu);
    done = std::move(shard->warm);
  }
  warming_.store(false, std::memory_order_release);
}

void Keyspace::EndDbWarmup(int db) {
  if (!warming_.load(std::memory_order_relaxed)) return;
  disk_flushed_[db] = true;  // its records are being range-deleted: nothing to read
  for (auto& shard : shards_) {
    if (shard->warm) shard->warm->gone[db].clear();
  }
}

bool Keyspace::NeedsDiskLocked(Shard& shard, int db, std::string_view key, uint64_t hash,
                               bool value_used) {
  if (const Entry* e = shard.dbs[db].Find(key, hash)) return e->on_disk && value_used;
  if (!shard.warm || disk_flushed_[db]) return false;
  return !shard.warm->gone[db].contains(key);
}

bool Keyspace::NeedsDisk(int db, std::string_view key, bool value_used) {
  if (!reads_disk()) return false;
  uint64_t h = HashKey(key);
  return NeedsDiskLocked(*shards_[ShardOfHash(h)], db, key, h, value_used);
}

Result<Entry*> Keyspace::Install(Shard& shard, int db, std::string_view key, uint64_t hash,
                                 const DiskRecord* record, int64_t now_ms) {
  Table& table = shard.dbs[db];
  if (Entry* offloaded = table.Find(key, hash)) {
    // Its value back. The entry's expiry stands (the record's is the same: the disk holds
    // what was offloaded, and nothing changed it since); an expired one is the lookup's.
    if (record == nullptr) {
      // The disk lost it (the guard said it held it): the key is gone.
      Entry::Delete(table.Unlink(key, hash));
      NoteGone(shard, db, key);
      if (listener_) listener_->OnKeyDeleted(db, key);
      return static_cast<Entry*>(nullptr);
    }
    Entry* e = Entry::New(key, ValueRoomOf(*record));
    e->hash = offloaded->hash;
    // Read back for a command about to use it: recently used (else the eviction before
    // that command runs would send it straight back to disk).
    StampAccess(e, now_ms != 0 ? now_ms : SystemClock().NowMs());
    e->lfu_counter = offloaded->lfu_counter;
    if (Status st = FillEntry(e, key, {}, *record); !st.ok()) {
      Entry::Delete(e);
      return st;
    }
    e->read_back = true;
    Entry::Delete(table.Replace(offloaded, e));
    AddToCounter(shard.stats.reads_back, 1);
    return e;
  }
  if (record == nullptr || (now_ms != 0 && record->expire_at_ms != 0 &&
                            record->expire_at_ms <= now_ms)) {
    NoteGone(shard, db, key);  // absent (or expired while the server was down)
    return static_cast<Entry*>(nullptr);
  }
  Entry* e = Insert(shard, db, key, hash, now_ms,
                    ValueRoomOf(*record));
  if (Status st = FillEntry(e, key, {}, *record); !st.ok()) {
    Entry::Delete(shard.dbs[db].Unlink(key, hash));
    return st;
  }
  if (record->expire_at_ms != 0) shard.dbs[db].SetExpire(e, record->expire_at_ms);
  return e;
}

Entry* Keyspace::ReadThrough(Shard& shard, int db, std::string_view key, uint64_t hash,
                             int64_t now_ms) {
  if (!NeedsDiskLocked(shard, db, key, hash)) return shard.dbs[db].Find(key, hash);
  const bool offloaded = shard.dbs[db].Find(key, hash) != nullptr;
  DiskRecord record;
  bool found = false;
  sync_disk_reads_.fetch_add(1, std::memory_order_relaxed);
  Status st = disk_ != nullptr
                  ? disk_->Read(disk_db_[db].load(std::memory_order_relaxed), key, &record, &found)
                  : Status::Error("no disk attached");
  Result<Entry*> e = st.ok() ? Install(shard, db, key, hash, found ? &record : nullptr, now_ms)
                             : Result<Entry*>(st);
  if (e.ok()) return *e;
  // A key still to warm up is left unknown (asked again next time; the source logs it).
  // An offloaded key exists: it must not look absent (a write would then make it twice).
  if (offloaded) throw DiskReadError("ERR can't read the key from disk: " + e.status().message());
  return nullptr;
}

int Keyspace::DbOfDisk(uint8_t pdb) const {
  for (int db = 0; db < kNumDbs; db++) {
    if (disk_db_[db].load(std::memory_order_relaxed) == pdb) return db;
  }
  return -1;
}

Result<bool> Keyspace::InstallFromDisk(uint8_t pdb, std::string_view key, const DiskRecord* record,
                                       int64_t now_ms, uint64_t read_epoch) {
  const int db = DbOfDisk(pdb);
  if (db < 0) return false;
  uint64_t h = HashKey(key);
  Shard& shard = *shards_[ShardOfHash(h)];
  if (!NeedsDiskLocked(shard, db, key, h)) return false;
  const Entry* offloaded = shard.dbs[db].Find(key, h);
  if (offloaded != nullptr && offloaded->offload_epoch > read_epoch) return false;
  // Expired: the command's own lookup deletes it (and says so); nothing to install.
  if (offloaded != nullptr && offloaded->expire_at_ms != 0 && offloaded->expire_at_ms <= now_ms) {
    return false;
  }
  Result<Entry*> e = Install(shard, db, key, h, record, now_ms);
  if (!e.ok()) return e.status();
  return *e != nullptr;
}

Entry* Keyspace::NewOffloaded(std::string_view key, uint32_t hash, ValueType type) {
  Entry* e = Entry::New(key);
  e->hash = hash;
  e->type = type;
  e->on_disk = true;
  e->offload_epoch = 0;
  return e;
}

bool Keyspace::InstallOffloaded(uint8_t pdb, std::string_view key, ValueType type,
                                int64_t expire_at_ms, int64_t now_ms) {
  const int db = DbOfDisk(pdb);
  if (db < 0) return false;
  uint64_t h = HashKey(key);
  Shard& shard = *shards_[ShardOfHash(h)];
  if (shard.dbs[db].Find(key, h) != nullptr || !NeedsDiskLocked(shard, db, key, h)) return false;
  if (expire_at_ms != 0 && expire_at_ms <= now_ms) {
    NoteGone(shard, db, key);
    return false;
  }
  Entry* e = NewOffloaded(key, static_cast<uint32_t>(h), type);
  e->offload_epoch = offload_epoch_.fetch_add(1, std::memory_order_seq_cst) + 1;
  e->expire_at_ms = expire_at_ms;  // Insert indexes it
  StampAccess(e, now_ms);
  shard.dbs[db].Insert(e);
  offloaded_any_.store(true, std::memory_order_release);
  return true;
}

Keyspace::OffloadResult Keyspace::Offload(int db, std::string_view key, uint64_t hash,
                                          int64_t now_ms,
                                          const std::function<bool(const Entry& e)>& still_wanted) {
  Shard& shard = *shards_[ShardOfHash(hash)];
  IterationLock lock(shard.mu);
  Table& table = shard.dbs[db];
  Entry* e = table.Find(key, hash);
  if (e == nullptr || e->on_disk) return OffloadResult::kGone;
  // A value read back for a command stays until a lookup has used it (else the eviction
  // of another worker could send it back before that command runs), for a few seconds at
  // most: a command that never used it (it failed, its client left) does not pin it.
  if (e->read_back && static_cast<int64_t>(e->access_clock) + kReadBackPinS > now_ms / 1000) {
    return OffloadResult::kNotWanted;
  }
  if (!still_wanted(*e)) return OffloadResult::kNotWanted;
  if (guard_ == nullptr || disk_ == nullptr || !guard_->OnDisk(db, key)) {
    return OffloadResult::kNotOnDisk;
  }
  Entry* stub = NewOffloaded(key, e->hash, e->type);
  CopyAccess(*e, stub);
  stub->offload_epoch = offload_epoch_.fetch_add(1, std::memory_order_seq_cst) + 1;
  Entry::Delete(table.Replace(e, stub));
  offloaded_any_.store(true, std::memory_order_release);
  AddToCounter(shard.stats.offloads, 1);
  return OffloadResult::kOffloaded;
}

Status Keyspace::WithValue(int db, const Entry& e, const std::function<void(const Entry&)>& fn) {
  if (!e.on_disk) {
    fn(e);
    return Status::Ok();
  }
  DiskRecord record;
  bool found = false;
  if (disk_ == nullptr) return Status::Error("ERR no disk attached");
  if (Status st =
          disk_->Read(disk_db_[db].load(std::memory_order_relaxed), e.key(), &record, &found);
      !st.ok()) {
    return st;
  }
  if (!found) return Status::Ok();  // gone from disk: as absent
  Entry* copy =
      Entry::New(e.key(), ValueRoomOf(record));
  Status st = FillEntry(copy, e.key(), {}, record);
  copy->expire_at_ms = e.expire_at_ms;
  if (st.ok()) fn(*copy);
  Entry::Delete(copy);
  return st;
}

size_t Keyspace::OnDiskSize() {
  size_t n = 0;
  for (auto& shard : shards_) {
    IterationLock lock(shard->mu);
    for (const Table& t : shard->dbs) n += t.on_disk_size();
  }
  return n;
}

void Keyspace::ResetStats() {
  // Under each shard's lock, so a reset cannot be undone by a concurrent increment.
  for (auto& shard : shards_) {
    IterationLock lock(shard->mu);
    shard->stats.hits.store(0, std::memory_order_relaxed);
    shard->stats.misses.store(0, std::memory_order_relaxed);
    shard->stats.expired_keys.store(0, std::memory_order_relaxed);
    shard->stats.evicted_keys.store(0, std::memory_order_relaxed);
    shard->stats.offloads.store(0, std::memory_order_relaxed);
    shard->stats.disk_hits.store(0, std::memory_order_relaxed);
    shard->stats.reads_back.store(0, std::memory_order_relaxed);
  }
}

size_t Keyspace::EntryMemory(const Entry& e) {
  if (e.on_disk) return AllocationSize(&e) + sizeof(Entry*);
  size_t collections = 0;
  switch (e.type) {
    case ValueType::kString:
      // The entry's own allocation holds an inline value; a heap one has its own.
      if (e.inline_size == Entry::kHeapString) {
        collections = sizeof(std::string) + StringHeapBytes(*e.heap_str);
      }
      break;
    case ValueType::kHash: collections = e.hash_value->MemoryUsage(); break;
    case ValueType::kSet: collections = e.set_value ? e.set_value->MemoryUsage() : 0; break;
    case ValueType::kList: collections = e.list_value ? e.list_value->MemoryUsage() : 0; break;
    case ValueType::kZSet: collections = e.zset_value->MemoryUsage(); break;
  }
  return AllocationSize(&e) + sizeof(Entry*) + collections;
}

void ShardLocks::AddShard(size_t shard) {
  if (count_ < kInline && overflow_.empty()) {
    inline_[count_++] = shard;
    return;
  }
  if (overflow_.empty()) overflow_.assign(inline_, inline_ + count_);
  overflow_.push_back(shard);
  count_++;
}

void ShardLocks::Prepare() {
  if (all_) {
    count_ = 0;
    return;
  }
  size_t* s = shards();
  std::sort(s, s + count_);
  count_ = static_cast<size_t>(std::unique(s, s + count_) - s);
}

void ShardLocks::Acquire() {
  Prepare();
  if (all_) {
    for (size_t i = 0; i < ks_->shard_count(); i++) ks_->ShardMutex(i).lock();
    t_holds_all_shards = true;
  } else {
    size_t* s = shards();
    for (size_t i = 0; i < count_; i++) ks_->ShardMutex(s[i]).lock();
  }
  locked_ = true;
}

bool ShardLocks::AcquireUnless(const std::function<bool()>& give_up) {
  Prepare();
  const size_t n = all_ ? ks_->shard_count() : count_;
  const size_t* s = all_ ? nullptr : shards();
  for (size_t i = 0; i < n; i++) {
    ShardMutexType& mu = ks_->ShardMutex(s != nullptr ? s[i] : i);
    if (mu.try_lock()) continue;
    // An absolute system_clock deadline: libstdc++ turns it into pthread_mutex_timedlock,
    // which ThreadSanitizer understands (a steady_clock wait becomes
    // pthread_mutex_clocklock, which it does not intercept, and then every later unlock
    // looks wrong to it). A wall-clock step only delays the next give_up() question.
    while (!mu.try_lock_until(std::chrono::system_clock::now() + std::chrono::milliseconds(1))) {
      if (!give_up()) continue;
      for (size_t j = i; j-- > 0;) ks_->ShardMutex(s != nullptr ? s[j] : j).unlock();
      count_ = 0;
      all_ = false;
      overflow_.clear();
      return false;
    }
  }
  locked_ = true;
  if (all_) t_holds_all_shards = true;
  return true;
}

bool ShardLocks::Holds(size_t shard) const {
  if (!locked_) return false;
  if (all_) return true;
  const size_t* s = overflow_.empty() ? inline_ : overflow_.data();
  return std::binary_search(s, s + count_, shard);  // sorted by Prepare
}

void ShardLocks::Release() {
  if (!locked_) return;
  if (all_) {
    t_holds_all_shards = false;
    for (size_t i = ks_->shard_count(); i-- > 0;) ks_->ShardMutex(i).unlock();
  } else {
    size_t* s = shards();
    for (size_t i = count_; i-- > 0;) ks_->ShardMutex(s[i]).unlock();
  }
  locked_ = false;
  count_ = 0;
  all_ = false;
  overflow_.clear();
}

}  // namespace vellum::storage
