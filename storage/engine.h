// Engine: Vellum's one RocksDB database, and the only unit that sees rocksdb::DB.
//
// It opens (or creates) the database under a directory with three column families
// (default: format version and db map; meta: one record per key; sub: one record per hash
// field or set member), holds RocksDB's LOCK file so a second daemon on the same
// directory is refused, checks the format version before anything is written, and turns
// every rocksdb::Status into a Vellum Status. The record layout is codec.h's.
//
// Expired keys are dropped by a compaction filter on `meta`; sub records whose meta is
// gone, replaced (another version) or expired by one on `sub`.
//
// Thread-safe as RocksDB is: Write, SyncWal and the getters may be called from any thread.
// An Iterator belongs to the thread that made it.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "storage/codec.h"

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
struct WriteOptions;
}

namespace vellum::storage {

class RecentLog;

struct EngineOptions {
  std::string dir;
  int64_t block_cache_bytes = 32 << 20;
  int64_t write_buffer_bytes = 16 << 20;
  std::string compression = "lz4";  // none | lz4 | zstd
  int64_t background_jobs = 2;
  int64_t min_blob_bytes = 4096;    // values this large go to blob files; 0 disables them
  // Open an existing database without writing anything (not even the WAL's replay): the
  // daemon loads from a read-only open first, so a corrupt or missing file is found
  // before RocksDB rewrites its MANIFEST or deletes an old log.
  bool read_only = false;
  // Refuse to create a database (a reopen after a failure must find the one it had).
  bool existing_only = false;
  // Off for a checkpoint opened only to be backed up or read: nothing to gain from
  // rewriting its files.
  bool auto_compactions = true;
  // How long, and up to how many bytes, write-ahead log files are kept after their data
  // was flushed, so that a replica can resume from a sequence number (ReadLog). Both 0:
  // deleted at once (no resumable log).
  uint64_t log_keep_seconds = 0;
  uint64_t log_keep_mb = 0;
  // The last batches kept in memory once a replica follows (RecentLog), in bytes.
  uint64_t recent_log_bytes = 32 << 20;
};

// One write batch of the write-ahead log, as replication ships it: the RocksDB sequence
// number of its first record, how many records it holds, and its bytes.
struct LogBatch {
  uint64_t sequence = 0;
  uint32_t count = 0;
  std::string data;
};

// What a LogBatch changes, record by record, in batch order (Engine::VisitLog).
class LogVisitor {
 public:
  virtual ~LogVisitor() = default;
  virtual void OnMeta(std::string_view meta_key) = 0;        // put or delete
  virtual void OnSub(std::string_view sub_key) = 0;          // put or delete
  virtual void OnDbDeleted(uint8_t pdb) = 0;                 // FLUSHDB's range deletion
  virtual void OnDefault(std::string_view key, std::string_view value) = 0;  // db map, marks
};

// A group of changes applied atomically by Engine::Write; made by Engine::NewBatch.
class EngineBatch {
 public:
  ~EngineBatch();
  EngineBatch(const EngineBatch&) = delete;
  EngineBatch& operator=(const EngineBatch&) = delete;

  void PutMeta(std::string_view key, std::string_view value);
  // PutMeta of the concatenation head + tail, without building it.
  void PutMeta(std::string_view key, std::string_view head, std::string_view tail);
  void DeleteMeta(std::string_view key);
  // A string key's meta record (FORMAT.md): its header, then the value, copied once.
  void PutString(uint8_t pdb, std::string_view key, int64_t expire_at_ms, std::string_view value);
  void PutSub(std::string_view key, std::string_view value);
  void DeleteSub(std::string_view key);
  // Every meta and sub record of physical db `pdb` (FLUSHDB), as range deletions.
  void DeleteDb(uint8_t pdb);
  void PutDbMap(const uint8_t (&map)[codec::kNumPhysicalDbs]);
  // Every collection version below next_version was handed out (FORMAT.md).
  void PutVersionMark(uint64_t next_version);

  size_t count() const;  // operations in the batch
  size_t bytes() const;
  bool empty() const { return count() == 0; }
  void Clear();

 private:
  friend class Engine;
  struct Rep;
  explicit EngineBatch(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

class Engine {
 public:
  // Opens `options.dir`, creating it (and a fresh database of the current format) when it
  // holds no database. Refuses, changing nothing: a directory locked by another process,
  // a database of another format version or without one, a corrupt file.
  static Result<std::unique_ptr<Engine>> Open(const EngineOptions& options);
  // Whether `dir` holds a database (its CURRENT file).
  // Whether `dir` holds a database (its CURRENT file); an error other than "no such file"
  // (a failing disk) is an error, not "no".
  static Result<bool> Exists(const std::string& dir);
  ~Engine();  // closes the database (the caller has flushed what it wants durable)

  std::unique_ptr<EngineBatch> NewBatch();
  Status Write(EngineBatch& batch, bool sync);
  // As Write without a sync, for a worker's loop: where RocksDB would make the write wait
  // (memtables full, too many level-0 files: a write stall), it gives up at once instead,
  // writes nothing and sets *stalled.
  Status WriteWithoutStall(EngineBatch& batch, bool* stalled);
  // Makes every write so far durable (everysec's timer, shutdown).
  Status SyncWal();

  // The db map stored at open (identity for a new database).
  void LoadedDbMap(uint8_t (&map)[codec::kNumPhysicalDbs]) const;
  // The version mark stored at open (0 if none).
  uint64_t LoadedVersionMark() const;

  // Walks a column family in key order. Not across a Reopen (start-up and tests only).
  class Iterator {
   public:
    ~Iterator();
    void SeekToFirst();
    void Seek(std::string_view target);
    bool Valid() const;
    void Next();
    std::string_view key() const;
    std::string_view value() const;
    Status status() const;

   private:
    friend class Engine;
    struct Rep;
    explicit Iterator(std::unique_ptr<Rep> rep);
    std::unique_ptr<Rep> rep_;
  };
  std::unique_ptr<Iterator> NewMetaIterator();
  std::unique_ptr<Iterator> NewSubIterator();
  // Up to parts - 1 meta keys, ascending, that cut the meta column family's table files
  // into parts of about equal size (fewer when it has fewer files): where walkers on
  // several threads split one walk. Records still in a memtable are not weighed.
  std::vector<std::string> MetaSplitKeys(int parts);
  // Reads one meta record; NotFound is an ok Status with *found = false.
  Status GetMeta(std::string_view key, std::string* value, bool* found);

  // A consistent view for reads while the database is written (the warm-up, cold reads):
  // one RocksDB snapshot under which its meta and sub reads agree, and the engine's
  // shared lock, so a Reopen waits for it. Hold it briefly (one key, or a chunk of a
  // walk); its iterators must be destroyed before it. Any thread; one thread per view.
  class ReadView {
   public:
    ~ReadView();
    ReadView(const ReadView&) = delete;
    ReadView& operator=(const ReadView&) = delete;
    // NotFound is an ok Status with *found = false.
    Status GetMeta(std::string_view key, std::string* value, bool* found);
    // fill_cache: false for a walk over everything (it would only evict the hot blocks).
    std::unique_ptr<Iterator> NewMetaIterator(bool fill_cache);
    std::unique_ptr<Iterator> NewSubIterator(bool fill_cache);

   private:
    friend class Engine;
    struct Rep;
    explicit ReadView(std::unique_ptr<Rep> rep);
    std::unique_ptr<Rep> rep_;
  };
  // Fails while a reopen has failed (the database is closed).
  Result<std::unique_ptr<ReadView>> OpenReadView();

  // ---- the write-ahead log, for replication ----
  // The sequence number of the last record written (0 for an empty database).
  uint64_t LatestSequence() const;
  // Appends to *out the batches that start at `from` and follow it, up to about
  // max_bytes (at least one batch when there is one). `from` = LatestSequence() + 1 gives
  // nothing. *gone is set when the log no longer reaches back to `from` (its files were
  // purged), or `from` is not a batch boundary or lies beyond the end: the reader must
  // start over from a checkpoint.
  Status ReadLog(uint64_t from, size_t max_bytes, std::vector<LogBatch>* out, bool* gone);
  // Where `sequence` falls in the log: at the end of a batch (*out gets it), inside one
  // (no batch of this log ends there), or out of what the log still holds. A replica
  // resuming shows the hash of its last batch; the primary compares it with its own
  // there, so two databases that went apart under one replication id (a primary that
  // lost its last writes in a power cut, then took others) are caught, not resumed.
  enum class LogPosition { kBatchEndsHere, kInsideABatch, kNotHeld };
  LogPosition BatchEndingAt(uint64_t sequence, LogBatch* out);
  // Writes a batch read from another database's log (a replica following its primary).
  // It must be the next one: batch.sequence == LatestSequence() + 1, so the two
  // databases keep the same sequence numbers and the replica's position is its own
  // LatestSequence(), durable with the data it covers.
  Status ApplyLog(const LogBatch& batch, bool sync);
  // Calls the visitor for each record of a batch's bytes. A batch that does not decode
  // (or names an unknown column family) is an error.
  Status VisitLog(std::string_view data, LogVisitor& visitor) const;
  // Puts the database in `src` (a checkpoint of a primary, fully received and verified)
  // in place of this one: closes it, renames `src` over its directory, opens it. Only
  // while no one else writes (a replica's persister is muted). On failure the engine is
  // closed (as after a failed Reopen).
  Status ReplaceWith(const std::string& src);
  // Keeps every file, the log included, from being deleted until as many UnpinFiles
  // calls: a replica in a full sync needs the log from its checkpoint's sequence on,
  // however long the transfer takes and however much is written meanwhile (otherwise a
  // burst larger than the backlog would send it back to a full sync, forever).
  Status PinFiles();
  Status UnpinFiles();
  // Completes or undoes a ReplaceWith that a crash interrupted: with no database in `dir`
  // the old one (left aside) is put back; with one, the old one is removed. Called by
  // Open, and before start-up decides whether there is a database to load.
  static Status FinishReplace(const std::string& dir);
  // From now on, keep the last batches written in memory (RecentLog) so ReadLog serves
  // replicas that keep up without reading the log files back. Called when the first
  // replica asks; a server without replicas keeps nothing. Idempotent.
  void KeepRecentLog();
  uint64_t RecentLogBytes() const;
  // The db map and version mark as stored now (not as loaded at open).
  Status ReadDbMap(uint8_t (&map)[codec::kNumPhysicalDbs]);
  uint64_t ReadVersionMark();

  // Figures for INFO: RocksDB's block cache and memtable bytes, live data estimates.
  uint64_t BlockCacheBytes() const;
  uint64_t MemtableBytes() const;
  // Publishes RocksDB's own memory (block cache, memtables, the recent log: replication's
  // backlog) as the memory maxmemory does not count (common/memory.h). After whatever
  // grows it: the persister's writes, the readers' reads (tiering, warm-up). Any thread.
  void PublishMemory() const;
  uint64_t EstimatedKeys() const;
  uint64_t LiveDataBytes() const;
  // Compactions running now, and RocksDB's estimate of the bytes compactions still have to
  // rewrite to bring every level within its target size. Both fall to 0 once the data
  // written has settled into its levels (a bulk load leaves minutes of it).
  uint64_t CompactionsRunning() const;
  uint64_t CompactionPendingBytes() const;
  // A RocksDB checkpoint of the database as of now in `dir` (which must not exist): hard
  // links to the table and blob files when `dir` is on the same file system, and a copy of
  // the live WAL instead of a flush (so it takes milliseconds, not a flush's time).
  // `sequence` gets the last sequence number it holds. Called by the writer between two
  // batches, it is a cut between them.
  Status CreateCheckpoint(const std::string& dir, uint64_t* sequence);
  // Flushes every memtable to table files and waits (writes go on meanwhile). Before a
  // checkpoint, so that what it holds is shared table files, not a WAL to replay.
  Status Flush();
  // Compacts everything now (tests: makes the compaction filters run).
  Status CompactAll();
  // Deletes the oldest archived log files (replication's backlog) until the archive
  // holds at most log_keep_mb; returns the bytes removed. RocksDB enforces that limit
  // itself only every ten minutes (its kDefaultIntervalToDeleteObsoleteWAL), and a
  // write-heavy load fills a disk meanwhile: a 4-minute benchmark left 18 GB of archive
  // here under a 1 GB limit, and the next run failed with ENOSPC. The persister calls it
  // once a second. A replica that needed a deleted file falls back to a full sync, as
  // after RocksDB's own purge. Nothing is removed while files are pinned (PinFiles).
  uint64_t TrimLogArchive();
  // Replication's backlog, as INFO shows it (Redis's repl_backlog_*): whether log files
  // are kept for replicas at all (replication.backlog-mb or -ttl), the bytes they may
  // take, and, as last measured, the first sequence number the log still holds (archived
  // or live) and the bytes of its files. MeasureLogBacklog lists the log files and reads
  // the oldest one's first batch: the persister calls it once a second, so INFO on a
  // worker reads two atomics, no disk. Nothing is measured when no log is kept.
  struct LogBacklog {
    bool kept = false;
    uint64_t limit_bytes = 0;
    uint64_t first_sequence = 0;  // 0: not measured yet
    uint64_t bytes = 0;
  };
  void MeasureLogBacklog();
  LogBacklog log_backlog() const;
  // Clears a background error RocksDB entered after a failed write (DB::Resume), so that
  // writes go through again once the disk accepts them.
  Status Resume();
  // Closes and opens the database again (what recovers from errors Resume cannot clear,
  // such as a failed WAL write). Only the writer (the persister) calls it; readers wait.
  // If the writable open fails, the database is opened read-only meanwhile, so reads of
  // what is on disk go on (values tiering left there); writes keep failing, and the
  // persister's next Reopen tries the writable open again. The error is returned either way.
  Status Reopen();

  // Fault injection for tests (DEBUG DISK-FAULTS): while on, every write to any file of
  // every open engine fails with an I/O error, as a full or failing disk would. Process-
  // wide; thread-safe.
  static void SetWriteFaults(bool on);
  static bool write_faults();

  const std::string& dir() const { return dir_; }

 private:
  friend class BackupStore;  // hands the database to RocksDB's BackupEngine
  // The open database (null while a reopen has failed); the caller holds mu_.
  rocksdb::DB* raw_db() const;
  struct Rep;
  Engine(std::unique_ptr<Rep> rep, EngineOptions options);
  // A RocksDB integer property (0 while closed): of the meta family, summed over every
  // family, or of the whole database. Takes mu_ shared.
  enum class PropertyOf { kMetaFamily, kAllFamilies, kDatabase };
  uint64_t IntProperty(const std::string& name, PropertyOf of) const;
  // rep_ is replaced by Reopen (exclusive) and read by everything else (shared); null
  // while a reopen has failed.
  mutable std::shared_mutex mu_;
  std::unique_ptr<Rep> rep_;
  const EngineOptions options_;
  const std::string dir_;
  // Opens the database in dir_ again into rep_ (mu_ held exclusively, rep_ closed): for
  // Reopen and ReplaceWith. `ids_changed` is the error when its column families are
  // numbered differently from the handles batches hold.
  Status OpenAgain(const std::string& ids_changed, bool read_only = false);
  // Reopen's writable open failed and rep_ is the read-only one (mu_).
  bool read_only_fallback_ = false;
  // Notes a batch just written (its first sequence and bytes) in the recent log.
  void NoteWritten(uint64_t sequence, uint32_t count, std::string_view data);
  // Write and WriteWithoutStall; `stalled` non-null: a refused no_slowdown write sets it.
  Status WriteBatchWith(EngineBatch& batch, const rocksdb::WriteOptions& wo, bool* stalled);
  std::unique_ptr<RecentLog> recent_;
  std::atomic<bool> keep_recent_{false};
  std::atomic<uint64_t> backlog_first_{0};  // MeasureLogBacklog's last figures
  std::atomic<uint64_t> backlog_bytes_{0};
  // default, meta, sub as batches name them: same ids for the engine's whole life.
  std::array<std::unique_ptr<rocksdb::ColumnFamilyHandle>, 3> batch_cfs_;
};

}  // namespace vellum::storage
