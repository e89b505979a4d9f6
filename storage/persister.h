// Persister: carries every change of the in-memory Keyspace to the Engine (RocksDB), in
// group commits, on its own thread, so no worker ever waits on the disk.
//
// How a write travels. The Keyspace reports each write to its WriteListener while the
// key's shard lock is held; the Persister (one of those listeners) then only records the
// key as dirty, in a set that belongs to the shard and is guarded by that same shard lock:
// no lock of its own, no copy of the value. Its thread runs cycles: cycle c visits each
// shard with dirty keys, locks it, reads the current value of every dirty key and encodes
// it (codec.h) into one batch, then writes the batch to RocksDB (synced to the WAL in
// `always`; into the WAL's page cache in `everysec`, whose WAL is synced once a second).
// Repeated writes to one hot key between two cycles cost one record. A hash or set is
// written whole under a new version (FORMAT.md); records of older versions are garbage
// that the engine's compaction filter removes.
//
// Acknowledgements. A write made while cycles 1..c have started is in cycle c or c+1, so
// the writing thread gets ticket c+1 (TakeThreadTicket); its reply may leave once
// completed_cycles() >= ticket. The server holds the connection's replies until then,
// without blocking its loop (server/connection.cc); on_cycle wakes the workers.
//
// Who runs a cycle. In `always`, the persister's thread, always (a sync must never stop
// a worker's loop). In `everysec` a cycle only writes into the WAL's page cache, as
// Redis's AOF write() in its beforeSleep, so a worker runs it itself: its writes do not
// wake the thread (DeferWakesOnThisThread); at the end of its loop iteration, before it
// sends the replies, it calls CommitFromLoop, which runs a cycle unless one is running
// elsewhere. That saves two thread hand-offs per round trip (worker to persister and
// back), the largest cost of a write on a small machine. The worker never waits there:
// when a cycle is running elsewhere, when RocksDB would stall the write (full memtables),
// while the disk fails or a checkpoint waits, it wakes the thread instead, which writes
// with waiting allowed. The once-a-second sync, retries and checkpoints stay on the
// thread. cycle_mu_ makes the cycles one at a time, whoever runs them.
//
// Whole-keyspace changes (FLUSHDB, FLUSHALL, SWAPDB) arrive with every shard lock held.
// They are appended to the batch being collected at that moment, so they land between
// the writes that came before them and those that come after. SWAPDB swaps two entries
// of the persisted db map (logical db -> physical db of the on-disk keys): one record,
// not a copy of two databases.
//
// Ordering across keys: a cycle visits shards one after another, so after a crash the
// disk holds every acknowledged write plus, possibly, writes that were never
// acknowledged (not necessarily a prefix of them). A snapshot needs an exact cut:
// Checkpoint runs one cycle that collects with every shard lock held (the keyspace as it
// was at one instant, every write applied before it and none after), writes it, and
// takes a RocksDB checkpoint before the next cycle starts. The workers pause only while
// that cycle collects; the checkpoint's hard links and WAL copy pause only the persister.
//
// Threads: WriteListener calls come from any thread holding the key's shard lock (all of
// them for flush and swap). CommitFromLoop from a worker holding no shard lock. Start/Stop
// from the thread that owns the Persister. The counters may be read from any thread.
// Lock order: cycle_mu_, then shard locks, then batch_mu_, then wake_mu_.
#pragma once

#include <atomic>
#include <deque>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/memory.h"
#include "common/status.h"
#include "storage/codec.h"
#include "storage/engine.h"
#include "storage/keyspace.h"

namespace vellum::storage {

class Persister final : public WriteListener, public OffloadGuard {
 public:
  // The size a cycle's batches are cut at (a key's records stay in one batch).
  static constexpr size_t kBatchBytes = 1 << 20;
  // A cycle of more dirty keys than kLoopCycleMaxKeys is left by CommitFromLoop to the
  // thread, and so is one whose collected batches exceed kLoopCycleMaxBytes (the loop
  // collects it, then the thread writes it): a big batch is worth the hand-off, since the
  // thread's write then overlaps the worker's next commands and the loop's other clients
  // do not wait for it; a small one is not. The cycle is every worker's, not only the
  // caller's. Measured side by side (README, "Persistence"): one loop iteration of 50
  // clients' 16 pipelined 1 KiB SETs (850 KB, 800 keys) or ten-key MSETs, then left to the
  // thread by a 256-key limit, is 8-19% faster written by the worker; one of 4 KiB SETs
  // (3.3 MB) was 4-6% slower written by the worker. 1 MiB lies between the two.
  static constexpr int64_t kLoopCycleMaxKeys = 4096;
  static constexpr size_t kLoopCycleMaxBytes = 1 << 20;

  enum class Mode { kEverysec, kAlways };

  // `min_version`: every version given to a collection is above it (the loader's highest).
  Persister(Keyspace* keyspace, Engine* engine, Mode mode, uint64_t min_version);
  ~Persister() override;
  Persister(const Persister&) = delete;
  Persister& operator=(const Persister&) = delete;

  // Called on the persister's thread after each cycle is written, and when the disk
  // starts failing (wake the workers).
  // Set before Start().
  void set_on_cycle(std::function<void()> fn) { on_cycle_ = std::move(fn); }
  // Takes a point-in-time checkpoint of the database into `dir` (see "Ordering" above)
  // and returns its RocksDB sequence number. Blocks the caller (not a worker: the
  // snapshot service's thread) until the persister has done it. Fails while the disk
  // refuses writes and once Stop has begun.
  Result<uint64_t> Checkpoint(const std::string& dir);
  // The last Checkpoint's pauses, for its event and INFO: how long every shard was locked
  // (the workers' pause) and how long the checkpoint itself took (the persister's).
  int64_t last_cut_lock_us() const { return cut_lock_us_.load(std::memory_order_relaxed); }
  int64_t last_checkpoint_us() const { return checkpoint_us_.load(std::memory_order_relaxed); }
  void Start();

  // ---- replication ----
  // A replica's data comes from its primary's log (Engine::ApplyLog, by the replica
  // link), never from this persister: while following, writes to the keyspace (the link
  // installing what the primary sent) are not recorded. Called with every shard lock
  // held. Turning it off (the replica is promoted) rereads the db map and the version
  // mark the primary's log left in the engine, so this persister continues from them.
  void SetFollowing(bool on);
  bool following() const { return following_.load(std::memory_order_relaxed); }
  // A replicated batch was written to the engine by someone else (the replica link):
  // in everysec, the next once-a-second sync covers it, on this thread, so the link never
  // waits for an fsync. Any thread.
  void NoteReplicatedWrite() { written_elsewhere_unsynced_.store(true, std::memory_order_release); }
  // Nothing recorded is left to write: every write so far is in the engine.
  bool Idle() const;
  // Waits until everything recorded before SetFollowing(true) is written, so the engine
  // is the link's alone. Not from a worker.
  Status Drain(int64_t timeout_ms);

  // ---- cycles run by a worker at the end of its loop iteration (see the top) ----
  // Whether this persister lets workers run cycles (everysec).
  bool commits_from_loops() const { return mode_ == Mode::kEverysec; }
  // From now on, writes this thread makes do not wake the persister's thread: the thread
  // owes the wake (TakeOwedWake) and promises to settle it before its loop sleeps.
  static void DeferWakesOnThisThread(bool on);
  // Whether this thread made writes whose wake it owes; resets it.
  static bool TakeOwedWake();
  // The ticket of the newest write this thread made (0: none yet). Its writes may not be
  // written even when it owes no wake: another thread then owes it, and this one may
  // still run the cycle rather than wait for that one.
  static uint64_t NewestThreadTicket();
  // Runs one cycle on the calling thread if none is running, the disk takes writes,
  // RocksDB would not stall, at most kLoopCycleMaxKeys keys are dirty and what they
  // encode to is at most kLoopCycleMaxBytes; returns whether every write recorded before
  // the call is now written (completed_cycles() moved past its ticket). On false the
  // caller calls WakeThread(). Never blocks on a lock or on the disk.
  bool CommitFromLoop();
  void WakeThread() { Wake(); }
  // Cycles run by workers (INFO).
  uint64_t loop_cycles() const { return loop_cycles_.load(std::memory_order_relaxed); }

  // Writes everything still dirty, syncs the WAL, stops the thread. Idempotent.
  void Stop();

  // The ticket of the writes this thread made since its last call (0: none), reset.
  static uint64_t TakeThreadTicket();
  // The same ticket, left in place (a write this thread made for another client: a
  // blocked pop served by this thread's push).
  static uint64_t PeekThreadTicket();
  uint64_t completed_cycles() const { return completed_.load(std::memory_order_seq_cst); }
  // Cycles started so far: a write made now is written by cycle started_cycles() + 1 at
  // the latest (NoteTicket's rule).
  uint64_t started_cycles() const { return started_.load(std::memory_order_seq_cst); }
  bool Durable(uint64_t ticket) const { return completed_cycles() >= ticket; }

  // ---- figures for INFO (any thread) ----
  uint64_t cycles() const { return completed_.load(std::memory_order_relaxed); }
  uint64_t records_written() const { return records_.load(std::memory_order_relaxed); }
  uint64_t bytes_written() const { return bytes_.load(std::memory_order_relaxed); }
  uint64_t syncs() const { return syncs_.load(std::memory_order_relaxed); }
  uint64_t write_errors() const { return write_errors_.load(std::memory_order_relaxed); }
  // Dirty keys not yet collected (approximate).
  int64_t pending_keys() const { return pending_keys_.load(std::memory_order_relaxed); }
  // "ok", or the error that started the current outage while the disk refuses writes.
  std::string last_error() const;
  bool failing() const { return failing_.load(std::memory_order_acquire); }
  int64_t last_sync_unix_s() const { return last_sync_s_.load(std::memory_order_relaxed); }

  // ---- WriteListener (the shard lock of `key` is held; all of them for flush/swap) ----
  void OnKeyWritten(int db, std::string_view key) override { MarkDirty(db, key); }
  void OnFieldsWritten(int db, std::string_view key,
                       std::span<const std::string_view> fields) override;
  void OnKeyDeleted(int db, std::string_view key) override { MarkDirty(db, key); }
  void OnKeyExpired(int db, std::string_view key) override { MarkDirty(db, key); }
  void OnDbFlushed(int db) override;
  void OnDbSwapped(int a, int b) override;

  // ---- OffloadGuard (the key's shard lock is held) ----
  // The key is not dirty, and not in a cycle still being written: its latest write (if
  // any since the start) is in RocksDB. Never while failing; always while following (a
  // replica's link writes each batch to the engine before it installs it).
  bool OnDisk(int db, std::string_view key) override;

 private:
  // Dirty keys of one shard, per physical db. Guarded by the shard's lock.
  struct KeyHash {
    using is_transparent = void;  // find(string_view) without making a string
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using FieldSet = std::unordered_set<std::string, KeyHash, std::equal_to<>>;
  // A dirty key: nullptr means "write it whole" (meta record, and every field or member
  // under a new version); a set means "only these fields or members changed".
  using DirtyKeys =
      std::unordered_map<std::string, std::unique_ptr<FieldSet>, KeyHash, std::equal_to<>>;
  struct ShardDirty {
    DirtyKeys keys[codec::kNumPhysicalDbs];
    // The keys the last collection of the shard took (cycle collected_[shard]).
    DirtyKeys in_flight[codec::kNumPhysicalDbs];
  };

  void MarkDirty(int db, std::string_view key);
  // The key's dirty record, inserted (as `whole`) if it had none; sets the shard's bit.
  DirtyKeys::iterator Dirty(int db, std::string_view key, bool whole);
  void NoteTicket();
  void Wake();
  // Wake, or, on a thread that defers its wakes, note that it owes one.
  void WakeOrOwe();
  void Run();
  // One cycle: collect every dirty shard into batch_, write it (cycle_mu_ held). kRefused
  // after a failed write, kStalled when a loop's write would have waited or is too big
  // for a loop (kLoopCycleMaxBytes): the batch is kept in writing_ and retried first next
  // time (by the persister's thread).
  // `cut`: collect with every shard lock held (Checkpoint). `from_loop`: a worker's.
  enum class CycleOutcome { kWritten, kRefused, kStalled };
  CycleOutcome RunCycle(bool sync, bool cut = false, bool from_loop = false);
  void CollectShard(size_t shard, bool locked);
  // Serves the pending Checkpoint requests (persister thread, between cycles).
  void RunCheckpoints(bool sync);
  void FailCheckpoints(const std::string& why);
  void EncodeKey(uint8_t pdb, const std::string& key, const FieldSet* fields, EngineBatch* out);
  void EncodeWhole(uint8_t pdb, const std::string& key, Entry* e, EngineBatch* out);
  // A list whose ends changed since its last write: the changed positions only.
  void EncodeListEnds(uint8_t pdb, const std::string& key, ListValue* list, EngineBatch* out);
  // Something to collect: a dirty shard, a barrier, or a write noted since the current
  // cycle started (NoteTicket's rule). A batch kept after a failed write is not counted.
  bool HasNewWork() const;
  void NoteSynced();  // counts a WAL sync for INFO
  // RocksDB's own memory, which maxmemory does not count (common/memory.h).
  void PublishEngineMemory();
  // A failed write or sync: counted, the outage's first cause kept, writes refused
  // (failing()), workers told. Cleared once both writes and syncs succeed again.
  void NoteDiskError(const Status& st, std::atomic<bool>* which);
  void ClearDiskError(std::atomic<bool>* which);
  // Resume, or reopen the database when Resume cannot clear the error.
  void Recover();

  Keyspace* keyspace_;
  Engine* engine_;
  // Held by whoever runs a cycle (the persister's thread, or a worker in CommitFromLoop):
  // it guards writing_, next_version_ and version_mark_written_, and the order of cycles.
  std::mutex cycle_mu_;
  const Mode mode_;
  std::vector<ShardDirty> dirty_;  // one per shard
  // Per shard, guarded by its lock: the cycle that last collected it (OnDisk).
  std::vector<uint64_t> collected_;
  // Bit per shard: has dirty keys. Set by writers (under the shard lock), cleared by the
  // persister (under it too).
  std::unique_ptr<std::atomic<uint64_t>[]> pending_bits_;
  size_t pending_words_;

  // logical db -> physical db, and back. Changed only under every shard lock (SWAPDB),
  // so reading them under any one shard lock is consistent.
  uint8_t db_map_[codec::kNumPhysicalDbs];
  uint8_t logical_of_[codec::kNumPhysicalDbs];

  // The batch being collected (barriers are appended to it too) and the one being
  // written or retried. Lock order: shard lock(s), then batch_mu_, then wake_mu_ (Wake()
  // may run under either); the persister never takes a shard lock or batch_mu_ while it
  // holds wake_mu_.
  std::mutex batch_mu_;
  std::unique_ptr<EngineBatch> collecting_;
  // A cycle's records go out in batches of about kBatchBytes: a bulk load would otherwise make one batch, and one log record, of hundreds
  // of megabytes, which RocksDB's archived-log purge reads whole at every open (seconds
  // before the first reply) and a replica receives whole. Filled pieces wait in sealed_
  // (under batch_mu_) until the cycle's collection ends; writing_ holds the cycle's
  // pieces, in order, until each is written (a failed one is retried, the ones before it
  // are not written again).
  std::deque<std::unique_ptr<EngineBatch>> sealed_;
  std::deque<std::unique_ptr<EngineBatch>> writing_;
  // writing_'s bytes, counted as outgoing buffer memory (common/memory.h) from the moment
  // the cycle's collection ends until its memtable bytes are published (cycle_mu_).
  OutgoingBufferHold writing_hold_;
  // Closes collecting_ as a piece of this cycle (batch_mu_ held).
  void Seal();
  // A flush or swap was appended to collecting_ (set under batch_mu_; read by the
  // persister without it, to decide whether to sleep).
  std::atomic<bool> barrier_pending_{false};

  uint64_t next_version_;  // cycle_mu_
  // Raised by SetFollowing(false); folded into next_version_ when a cycle starts.
  std::atomic<uint64_t> version_floor_{0};
  // Changed under every shard lock, read under one (writers) or any thread.
  std::atomic<bool> following_{false};
  // The replica link or a worker's cycle wrote to the WAL: the thread's next
  // once-a-second sync (everysec) must run.
  std::atomic<bool> written_elsewhere_unsynced_{false};
  std::atomic<uint64_t> loop_cycles_{0};
  std::atomic<uint64_t> started_{0};
  // A write was noted since the current cycle started: one more cycle must complete
  // (see NoteTicket). Read mostly; set once per cycle at most.
  std::atomic<bool> written_since_start_{false};
  std::atomic<uint64_t> completed_{0};

  struct CheckpointRequest {
    std::string dir;
    std::promise<Result<uint64_t>> done;
  };
  std::mutex wake_mu_;
  std::condition_variable wake_cv_;
  std::vector<CheckpointRequest> checkpoints_;  // guarded by wake_mu_
  std::atomic<bool> checkpoint_pending_{false};
  std::atomic<int64_t> cut_lock_us_{0}, checkpoint_us_{0};
  std::atomic<bool> sleeping_{false};
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::function<void()> on_cycle_;

  std::atomic<uint64_t> records_{0}, bytes_{0}, syncs_{0}, write_errors_{0};
  std::atomic<int64_t> pending_keys_{0};
  std::atomic<bool> failing_{false};        // write_failing_ || sync_failing_
  std::atomic<bool> write_failing_{false};
  std::atomic<bool> sync_failing_{false};
  uint64_t version_mark_written_ = 0;  // cycle_mu_
  std::atomic<int64_t> last_sync_s_{0};
  mutable std::mutex error_mu_;
  std::string last_error_;
};

}  // namespace vellum::storage
