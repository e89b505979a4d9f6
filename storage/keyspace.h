// Keyspace: every key of all 16 databases, in memory, split into shards.
//
// A key lives in shard XXH3_64bits(key) >> (64 - shard_bits). Each shard has one mutex
// and one Table per database. Callers lock the shards of the keys a command touches
// (ShardLocks, always in ascending shard order, so no lock order can deadlock) and then
// call the per-key operations below, which assume that lock is held. Whole-keyspace
// operations (FlushAll, SwapDb) assume every shard is locked. Iterations that need not
// be atomic (SCAN, KEYS, DBSIZE, RANDOMKEY, active expiry) lock one shard at a time.
//
// Writes are reported to a WriteListener (the persister, WATCH and keyspace
// notifications hook in there), while the shard lock is still held, so the listener
// sees writes to a key in the order they happened.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "common/status.h"
#include "storage/entry.h"
#include "storage/table.h"

namespace vellum::storage {

inline constexpr int kNumDbs = 16;

// A shard's lock. Timed, so that a command waiting behind a long holder (a script past
// its busy threshold) can give up instead of stalling its worker (ShardLocks::AcquireUnless);
// lock() and unlock() cost the same as std::mutex's.
using ShardMutexType = std::timed_mutex;

// Receives every change to the keyspace. Called with the key's shard lock held (for
// flushes and swaps: all shard locks); must not call back into the Keyspace.
class WriteListener {
 public:
  virtual ~WriteListener() = default;
  virtual void OnKeyWritten(int db, std::string_view key) = 0;
  // Some fields of a hash (members of a set) at key were set or removed; the rest of
  // the value is unchanged. Listeners that care only about keys take it as a write.
  virtual void OnFieldsWritten(int db, std::string_view key,
                               std::span<const std::string_view> fields) {
    (void)fields;
    OnKeyWritten(db, key);
  }
  virtual void OnKeyDeleted(int db, std::string_view key) = 0;
  virtual void OnKeyExpired(int db, std::string_view key) = 0;
  virtual void OnDbFlushed(int db) = 0;  // db == -1: all databases
  virtual void OnDbSwapped(int a, int b) = 0;
};

uint64_t HashKey(std::string_view key);

struct DiskRecord;  // storage/disk_record.h

// Where a warming keyspace reads keys that are not in memory yet (storage/warmup.h).
class DiskSource {
 public:
  virtual ~DiskSource() = default;
  // Reads (pdb, key), physical db pdb, on the calling thread; *found = false when the
  // disk does not hold it. Thread-safe.
  virtual Status Read(uint8_t pdb, std::string_view key, DiskRecord* out, bool* found) = 0;
};

// Tiering: whether the disk holds a key's current value, so that the value may be
// dropped from memory (Keyspace::Offload). The persister answers: the key's latest write
// has reached RocksDB. Called with the key's shard lock held.
class OffloadGuard {
 public:
  virtual ~OffloadGuard() = default;
  virtual bool OnDisk(int db, std::string_view key) = 0;
};

// A value on disk only could not be read back (a failing disk, a corrupt record). Thrown
// by a lookup that must read one on the command's own thread (the dispatcher reads a
// command's keys beforehand, so only keys a command reaches otherwise: a script's
// undeclared keys); the dispatcher answers the command with the error.
class DiskReadError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Keyspace {
 public:
  explicit Keyspace(int shard_bits = 8);
  ~Keyspace();

  size_t shard_count() const { return shards_.size(); }
  size_t ShardOf(std::string_view key) const { return ShardOfHash(HashKey(key)); }
  size_t ShardOfHash(uint64_t hash) const { return shard_bits_ == 0 ? 0 : hash >> (64 - shard_bits_); }
  ShardMutexType& ShardMutex(size_t shard) { return shards_[shard]->mu; }

  void set_listener(WriteListener* listener) { listener_ = listener; }

  // ---- per key; the key's shard must be locked by the caller ----
  // The live entry or nullptr. An expired entry is deleted on the way (lazy expiry).
  // Read lookups update the access clock (LRU/LFU); counts hits and misses if asked.
  Entry* Find(int db, std::string_view key, int64_t now_ms);
  Entry* FindForRead(int db, std::string_view key, int64_t now_ms);  // + hit/miss stats
  // As FindForRead, but leaves the access clock alone (Redis's LOOKUP_NOTOUCH): EXISTS,
  // TYPE and TTL must not make a key look recently used to LRU eviction or IDLETIME.
  Entry* FindForReadNoTouch(int db, std::string_view key, int64_t now_ms);
  // The live entry, reported as written. Use when the command will modify it.
  Entry* FindForWrite(int db, std::string_view key, int64_t now_ms);
  // For what the key alone answers (EXISTS, TYPE, TTL; whether SETNX or DEL find it): the
  // live entry with its value possibly on disk only (Entry::on_disk: the value must not be
  // used), so tiering reads nothing back. No access clock; counts a hit or miss if asked.
  Entry* FindKeyOnly(int db, std::string_view key, int64_t now_ms, bool count_lookup);
  // As Find, for a command that will certainly replace the value whole (SET, MSET, SETEX):
  // an offloaded value is not read back, the entry becomes an empty string in its place
  // (its expiry kept, room for a string of value_room bytes) for the caller to fill.
  Entry* FindToOverwrite(int db, std::string_view key, int64_t now_ms, size_t value_room);
  // Creates an empty string entry for a key that Find reported absent, with room for a
  // string value of value_room bytes in the entry itself (Entry::SetStr).
  Entry* Create(int db, std::string_view key, int64_t now_ms, size_t value_room = 0);
  // Live or new entry; *created tells which. Reported as written.
  Entry* Upsert(int db, std::string_view key, int64_t now_ms, bool* created);
  bool Erase(int db, std::string_view key);
  // Moves an entry (value and expiry) from (db, key) to (dst_db, dst_key), replacing any
  // entry there. Both shards must be locked. Returns false if the source is missing.
  bool Move(int db, std::string_view key, int dst_db, std::string_view dst_key, int64_t now_ms);
  // Copies the value and expiry of (db, key) to (dst_db, dst_key), replacing any entry
  // there; the copy starts with fresh access statistics. Both shards must be locked.
  // Returns false if the source is missing.
  bool Copy(int db, std::string_view key, int dst_db, std::string_view dst_key, int64_t now_ms);
  void SetExpire(int db, Entry* e, int64_t at_ms);
  // Reports a modification done in place through an Entry* from Find (e.g. TOUCH-free).
  void MarkWritten(int db, std::string_view key);
  // As MarkWritten, for a change to these fields (members) of a hash (set) only: the
  // persister then writes those fields, not the whole collection.
  void MarkFieldsWritten(int db, std::string_view key, std::span<const std::string_view> fields);
  // As MarkWritten, for a list changed only at its ends (pushes, pops, LTRIM) or in ways
  // its ListValue recorded: the persister then writes just the changed positions.
  void MarkListEndsWritten(int db, std::string_view key) { MarkFieldsWritten(db, key, {}); }
  // The entry as stored, expired or not, without side effects: no expiry, no access
  // clock, no stats, no listener call. For the persister, which holds the shard lock.
  Entry* Peek(int db, std::string_view key);

  // ---- the disk behind the keyspace (persistence on) ----
  // Where keys not in memory are read from: a warm-up's keys and tiered values (below).
  // db_map: the physical db of each database on disk. Locks every shard; before serving.
  void AttachDisk(DiskSource* source, const uint8_t (&db_map)[kNumDbs]);
  void set_offload_guard(OffloadGuard* guard) { guard_ = guard; }
  // Whether a command's keys may have to be read from disk before it runs: warming, or
  // some value was ever dropped to disk. Any thread.
  bool reads_disk() const { return warming() || offloaded_any_.load(std::memory_order_acquire); }

  // ---- tiering: values on disk only (Entry::on_disk) ----
  // A key whose value was offloaded keeps a small entry (key, type, expiry, access
  // clocks), so DBSIZE, SCAN, KEYS, RANDOMKEY and the expiry cycle see it as before. Every
  // lookup above reads the value back before returning the entry: the dispatcher does it
  // off the worker beforehand (NeedsDisk, InstallFromDisk), the lookup itself is the
  // fallback (on its own thread, DiskReadError if it cannot). A value is dropped only once
  // the OffloadGuard says the disk holds it, and every write reads it back first, so the
  // disk always holds an offloaded key's value. A read that began before the value was
  // dropped (offload_epoch) is not installed over it: the key may have changed between.
  enum class OffloadResult { kOffloaded, kGone, kNotWanted, kNotOnDisk };
  // Locks the key's shard; drops (db, key)'s value from memory if it is there, still_wanted
  // agrees and the disk holds it.
  OffloadResult Offload(int db, std::string_view key, uint64_t hash, int64_t now_ms,
                        const std::function<bool(const Entry& e)>& still_wanted);
  // How long a value read back for a command is kept from going back to disk before a
  // lookup used it (Entry::read_back), in seconds.
  static constexpr int64_t kReadBackPinS = 2;
  // Take before reading records to install with InstallFromDisk.
  uint64_t offload_epoch() const { return offload_epoch_.load(std::memory_order_seq_cst); }
  // The key's shard locked: calls fn with an entry holding the value of `e`, read from disk
  // if e is on disk only (without keeping it in memory: DEBUG DIGEST over a keyspace larger
  // than memory). An error if it cannot be read.
  Status WithValue(int db, const Entry& e, const std::function<void(const Entry&)>& fn);
  // Entries whose value is on disk only, in every database (self-locking).
  size_t OnDiskSize();
  uint64_t offloads() const { return SumStat(&ShardStats::offloads); }
  uint64_t reads_back() const { return SumStat(&ShardStats::reads_back); }
  // Read lookups (keyspace hits) whose value had to be read back from disk; the other hits
  // were served from memory.
  uint64_t disk_hits() const { return SumStat(&ShardStats::disk_hits); }

  // ---- warm-up: serving while keys are still on disk only (storage/warmup.h) ----
  // From BeginWarmup to EndWarmup a key missing from memory may still be on disk, under
  // the physical db that db_map names for its database. A lookup that misses reads it
  // from the source on the calling thread, under the shard lock. The dispatcher fetches
  // a command's keys off the worker beforehand (NeedsDisk, InstallFromDisk), so this read
  // is the fallback for keys a command only finds as it runs (a script's undeclared
  // keys, MOVE's target database). Once a key's state in memory is authoritative (it was
  // loaded, found absent on disk, written, or removed) the disk is not asked again: the
  // keys removed meanwhile are remembered per shard until EndWarmup, so neither a read
  // nor the background loader brings back a key that was deleted in memory while its
  // deletion is still on its way to disk. FLUSHDB/FLUSHALL end the warm-up of their
  // databases; SWAPDB swaps it with the tables.
  // Locks every shard (the caller holds none): before serving, or again on a replica whose
  // database a full sync replaced (after FlushAll).
  void BeginWarmup(DiskSource* source, const uint8_t (&db_map)[kNumDbs]);
  // Every key that was on disk and not removed since is in memory: stop asking the disk.
  // Locks each shard in turn; the caller holds none.
  void EndWarmup();
  bool warming() const { return warming_.load(std::memory_order_acquire); }
  // The key's shard locked: whether the key must be read from disk before a command
  // uses it (still on disk only while warming, or its value offloaded; the latter only if
  // the command uses the value).
  bool NeedsDisk(int db, std::string_view key, bool value_used = true);
  // The physical db the disk keeps database `db` under, as of now. Any thread.
  uint8_t DiskDbOf(int db) const { return disk_db_[db].load(std::memory_order_acquire); }
  // The key's shard locked: puts a record read from (pdb, key) in memory (nullptr: the
  // disk does not hold the key), unless the key's state is known in memory by now (the
  // record may then be stale, and is dropped). Not reported as a write. Returns whether
  // a key was installed. A record FillEntry refuses is an error (nothing installed).
  // read_epoch: offload_epoch() taken before the record was read; an offloaded value is
  // replaced only if it was dropped before (0: never, the warm-up's loader, which brings
  // in keys not in memory at all).
  Result<bool> InstallFromDisk(uint8_t pdb, std::string_view key, const DiskRecord* record,
                               int64_t now_ms, uint64_t read_epoch);
  // As InstallFromDisk, but only the key (type and expiry) with its value left on disk:
  // the warm-up of a tiered keyspace once memory is full. Returns whether it was installed.
  bool InstallOffloaded(uint8_t pdb, std::string_view key, ValueType type, int64_t expire_at_ms,
                        int64_t now_ms);
  // Keys read from disk on a command's thread by the lookup fallback.
  uint64_t sync_disk_reads() const { return sync_disk_reads_.load(std::memory_order_relaxed); }

  // ---- whole keyspace; every shard must be locked ----
  void FlushDb(int db);
  void FlushAll();
  // As FlushDb/FlushAll, but only detaches the tables under the held locks; their entries
  // are freed on a background thread (FLUSHDB/FLUSHALL ASYNC), so the locks are held
  // for the swap alone. Small tables are freed inline (a thread would cost more).
  void FlushDbAsync(int db);
  void FlushAllAsync();
  void SwapDb(int a, int b);

  // ---- self-locking iterations: the caller holds no shard lock, or all of them (then
  //      they run under the caller's locks) ----
  size_t DbSize(int db);
  size_t VolatileSize(int db);
  // One database's keys, and the bytes its tables spend on their bucket arrays (main)
  // and on the array of keys with an expiry (expires): MEMORY STATS's keys.count and
  // overhead.hashtable.*, in one pass over the shards.
  struct TableSizes {
    uint64_t keys = 0;
    uint64_t main = 0;
    uint64_t expires = 0;
  };
  TableSizes Sizes(int db);
  // One SCAN call: visits entries from `cursor` until at least `count` buckets were
  // walked; returns the next cursor (0 = done). fn is called with the shard locked.
  uint64_t Scan(int db, uint64_t cursor, size_t count, int64_t now_ms,
                const std::function<void(const Entry&)>& fn);
  // A random live key, or false when the database is empty.
  bool RandomKey(int db, int64_t now_ms, std::string* out);
  // Deletes expired keys by sampling, for at most budget_us microseconds.
  // Returns the number of keys expired.
  size_t ActiveExpireCycle(int64_t now_ms, int64_t budget_us);

  // ---- eviction (storage/eviction.h); the caller holds no shard lock ----
  // Locks `shard` and calls fn(db, entry) for up to `per_db` random entries of each of its
  // databases that has any (only entries with an expiry if volatile_only; only entries
  // holding their value if values_only). Returns how many entries were visited.
  size_t SampleShard(size_t shard, int per_db, bool volatile_only, bool values_only,
                     const std::function<void(int db, const Entry& e)>& fn);
  // Locks the key's shard and deletes (db, key) as an eviction if it is present and
  // still_wanted(entry) agrees; counts evicted_keys. Returns whether it was deleted.
  bool EvictKey(int db, std::string_view key, uint64_t hash,
                const std::function<bool(const Entry& e)>& still_wanted);
  // Access accounting for LFU (Redis's updateLFU on every lookup that touches): on while
  // an LFU maxmemory-policy is active, with lfu-log-factor and lfu-decay-time.
  void SetLfu(bool enabled, int64_t log_factor, int64_t decay_time);

  // ---- stats ----
  // Sums over the shards: each counter is kept per shard and bumped under that shard's
  // lock, so two workers never write one shared cache line on every lookup.
  uint64_t expired_keys() const { return SumStat(&ShardStats::expired_keys); }
  uint64_t evicted_keys() const { return SumStat(&ShardStats::evicted_keys); }
  uint64_t hits() const { return SumStat(&ShardStats::hits); }
  uint64_t misses() const { return SumStat(&ShardStats::misses); }
  void ResetStats();
  // Approximate memory held by one entry (MEMORY USAGE).
  static size_t EntryMemory(const Entry& e);

 private:
  // Written only under the shard's lock, with AddToCounter (common/counter.h);
  // read by INFO from any thread.
  struct ShardStats {
    std::atomic<uint64_t> hits{0};
    std::atomic<uint64_t> misses{0};
    std::atomic<uint64_t> expired_keys{0};
    std::atomic<uint64_t> evicted_keys{0};
    std::atomic<uint64_t> offloads{0};    // values dropped to disk (tiering)
    std::atomic<uint64_t> reads_back{0};  // offloaded values read back into memory
    std::atomic<uint64_t> disk_hits{0};   // read lookups (hits) that needed one of them
  };
  // A warming shard's keys removed from memory since BeginWarmup, per database (their
  // disk records may not be deleted yet).
  struct WarmState {
    struct Hash {
      using is_transparent = void;
      size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    std::unordered_set<std::string, Hash, std::equal_to<>> gone[kNumDbs];
  };
  struct Shard {
    ShardMutexType mu;
    ShardStats stats;  // next to the mutex: the lock already owns this cache line
    Table dbs[kNumDbs];
    std::mt19937_64 rng{0x5eed};
    std::unique_ptr<WarmState> warm;  // non-null while warming
  };
  // Warm-up helpers; the shard is locked.
  bool NeedsDiskLocked(Shard& shard, int db, std::string_view key, uint64_t hash,
                       bool value_used = true);
  // FLUSHDB of a warming keyspace (every shard locked): nothing of db is read from disk.
  void EndDbWarmup(int db);
  void NoteGone(Shard& shard, int db, std::string_view key) {
    if (shard.warm) shard.warm->gone[db].emplace(key);
  }
  // The lookup fallback: reads (db, key) from the source and installs it if it must.
  Entry* ReadThrough(Shard& shard, int db, std::string_view key, uint64_t hash, int64_t now_ms);
  // Installs a record (nullptr: absent) as (db, key), in place of its offloaded entry if
  // it has one; the shard is locked.
  Result<Entry*> Install(Shard& shard, int db, std::string_view key, uint64_t hash,
                         const DiskRecord* record, int64_t now_ms);
  // Which database of a warming or tiered keyspace the disk keeps under pdb (-1: none).
  int DbOfDisk(uint8_t pdb) const;
  // An entry holding only src's key, type and access statistics (on_disk).
  static Entry* NewOffloaded(std::string_view key, uint32_t hash, ValueType type);
  // A new entry in the table, not reported to the listener.
  Entry* Insert(Shard& shard, int db, std::string_view key, uint64_t hash, int64_t now_ms,
                size_t value_room);
  bool ExpireIfNeeded(Shard& shard, int db, Entry* e, int64_t now_ms);
  enum class CountLookup { kNo, kYes };
  Entry* Lookup(int db, std::string_view key, int64_t now_ms, bool touch, CountLookup count,
                bool value_used = true);
  uint64_t SumStat(std::atomic<uint64_t> ShardStats::*counter) const;
  static void FreeInBackground(std::vector<Table> tables);
  void Touch(Entry* e, int64_t now_ms);
  static void StampAccess(Entry* e, int64_t now_ms);  // the clocks only (new entries)
  // An entry taking another's place (offloaded, or overwritten): its access statistics.
  static void CopyAccess(const Entry& from, Entry* to);

  int shard_bits_;
  std::vector<std::unique_ptr<Shard>> shards_;
  WriteListener* listener_ = nullptr;
  std::atomic<bool> lfu_enabled_{false};
  std::atomic<int64_t> lfu_log_factor_{10};
  std::atomic<int64_t> lfu_decay_time_{1};
  std::atomic<size_t> expire_cursor_{0};
  // Warm-up: set by BeginWarmup before serving; the db map and flushed marks change under
  // every shard lock (SWAPDB, FLUSHDB), so any one shard lock reads them consistently.
  std::atomic<bool> warming_{false};
  DiskSource* disk_ = nullptr;
  std::atomic<uint8_t> disk_db_[kNumDbs] = {};
  bool disk_flushed_[kNumDbs] = {};
  std::atomic<uint64_t> sync_disk_reads_{0};
  // Tiering.
  OffloadGuard* guard_ = nullptr;
  std::atomic<bool> offloaded_any_{false};
  std::atomic<uint64_t> offload_epoch_{0};
};

// Holds the locks of a set of shards for one command, released on destruction.
// Locks are taken in ascending shard order. Allocation-free up to kInline keys (the
// GET/SET hot path); more keys spill to a vector.
class ShardLocks {
 public:
  explicit ShardLocks(Keyspace* ks) : ks_(ks) {}
  ~ShardLocks() { Release(); }
  ShardLocks(const ShardLocks&) = delete;
  ShardLocks& operator=(const ShardLocks&) = delete;

  void AddKey(std::string_view key) { AddShard(ks_->ShardOf(key)); }
  void AddShard(size_t shard);
  void AddAll() { all_ = true; }
  // Locks everything added so far (sorted, deduplicated). Call once per command.
  void Acquire();
  // As Acquire, but while a lock is contended asks give_up() about once a millisecond; if
  // it says yes, releases what it took and returns false (nothing is then held).
  bool AcquireUnless(const std::function<bool()>& give_up);
  void Release();
  bool holds_all() const { return all_ && locked_; }
  // Whether this set holds `shard` (after Acquire).
  bool Holds(size_t shard) const;

 private:
  static constexpr size_t kInline = 16;
  void Prepare();
  size_t* shards() { return overflow_.empty() ? inline_ : overflow_.data(); }

  Keyspace* ks_;
  size_t inline_[kInline];
  std::vector<size_t> overflow_;
  size_t count_ = 0;
  bool all_ = false;
  bool locked_ = false;
};

}  // namespace vellum::storage
