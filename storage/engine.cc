#include "storage/engine.h"

#include <rocksdb/cache.h>
#include <rocksdb/compaction_filter.h>
#include <rocksdb/comparator.h>
#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/transaction_log.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <mutex>
#include <vector>

#include "common/clock.h"
#include "common/durable_file.h"
#include "common/memory.h"
#include "storage/recent_log.h"

namespace vellum::storage {
namespace {

constexpr const char* kMetaCf = "meta";
constexpr const char* kSubCf = "sub";


std::string_view View(const rocksdb::Slice& s) { return {s.data(), s.size()}; }
rocksdb::Slice Sl(std::string_view s) { return {s.data(), s.size()}; }

// Converts a RocksDB error at this edge, with the directory and what was being done.
Status Convert(const rocksdb::Status& s, const std::string& what) {
  if (s.ok()) return Status::Ok();
  return Status::Error(what + ": " + s.ToString());
}

// meta: drops a key whose expiry has passed (reads check expiry themselves, so a key the
// filter has not reached yet is still never served).
class ExpiredMetaFilter final : public rocksdb::CompactionFilter {
 public:
  bool Filter(int, const rocksdb::Slice&, const rocksdb::Slice& value, std::string*,
              bool*) const override {
    int64_t at = 0;
    return codec::PeekExpire(View(value), &at) && at != 0 && at <= SystemClock().NowMs();
  }
  const char* Name() const override { return "vellum.ExpiredMeta"; }
};

// What the sub filter may look at: the database and, above all, a snapshot of what is
// durable (synced to the WAL). Deciding from the live state would let a compaction drop
// the fields of a key's synced version because of a newer, unsynced change that a power
// loss could still take back. Guarded by mu (the persister publishes, compactions read).
struct DurableView {
  std::mutex mu;
  rocksdb::DB* db = nullptr;
  rocksdb::ColumnFamilyHandle* meta = nullptr;
  const rocksdb::Snapshot* snapshot = nullptr;  // null until the first sync: keep all
};

// sub: drops a field or member whose key's meta record, in the durable snapshot, is
// gone, expired, or of another version (the key was deleted, replaced or rewritten whole).
class OrphanSubFilter final : public rocksdb::CompactionFilter {
 public:
  explicit OrphanSubFilter(DurableView* view) : view_(view) {}
  bool Filter(int, const rocksdb::Slice& key, const rocksdb::Slice&, std::string*,
              bool*) const override {
    std::string_view meta_key, field;
    uint64_t version = 0;
    if (!codec::ParseSubKey(View(key), &meta_key, &version, &field)) return false;
    std::string raw;
    std::lock_guard<std::mutex> lock(view_->mu);
    if (view_->db == nullptr || view_->snapshot == nullptr) return false;  // keep
    rocksdb::ReadOptions ro;
    ro.snapshot = view_->snapshot;
    rocksdb::Status s = view_->db->Get(ro, view_->meta, Sl(meta_key), &raw);
    if (s.IsNotFound()) return true;
    if (!s.ok()) return false;
    codec::Meta m;
    if (!codec::DecodeMeta(raw, &m).ok()) return false;
    if (m.type == codec::DiskType::kString || m.version != version) return true;
    return m.expire_at_ms != 0 && m.expire_at_ms <= SystemClock().NowMs();
  }
  const char* Name() const override { return "vellum.OrphanSub"; }

 private:
  DurableView* view_;
};

// Write faults on demand (Engine::SetWriteFaults): every writable file RocksDB opens is
// wrapped, and while the switch is on its writes fail as on a dead or full disk.
std::atomic<bool> g_write_faults{false};

rocksdb::IOStatus InjectedFault() {
  return rocksdb::IOStatus::IOError("injected write fault (DEBUG DISK-FAULTS ON)");
}

class FaultableFile final : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  using FSWritableFileOwnerWrapper::FSWritableFileOwnerWrapper;
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                           rocksdb::IODebugContext* dbg) override {
    if (g_write_faults.load(std::memory_order_relaxed)) return InjectedFault();
    return FSWritableFileOwnerWrapper::Append(data, o, dbg);
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                           const rocksdb::DataVerificationInfo& info,
                           rocksdb::IODebugContext* dbg) override {
    if (g_write_faults.load(std::memory_order_relaxed)) return InjectedFault();
    return FSWritableFileOwnerWrapper::Append(data, o, info, dbg);
  }
  rocksdb::IOStatus Flush(const rocksdb::IOOptions& o, rocksdb::IODebugContext* dbg) override {
    if (g_write_faults.load(std::memory_order_relaxed)) return InjectedFault();
    return FSWritableFileOwnerWrapper::Flush(o, dbg);
  }
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* dbg) override {
    if (g_write_faults.load(std::memory_order_relaxed)) return InjectedFault();
    return FSWritableFileOwnerWrapper::Sync(o, dbg);
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* dbg) override {
    if (g_write_faults.load(std::memory_order_relaxed)) return InjectedFault();
    return FSWritableFileOwnerWrapper::Fsync(o, dbg);
  }
};

class FaultableFileSystem final : public rocksdb::FileSystemWrapper {
 public:
  using FileSystemWrapper::FileSystemWrapper;
  const char* Name() const override { return "vellum.FaultableFileSystem"; }
  rocksdb::IOStatus NewWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSWritableFile>* r,
                                    rocksdb::IODebugContext* dbg) override {
    if (g_write_faults.load(std::memory_order_relaxed)) return InjectedFault();
    std::unique_ptr<rocksdb::FSWritableFile> file;
    rocksdb::IOStatus s = target()->NewWritableFile(f, o, &file, dbg);
    if (s.ok()) *r = std::make_unique<FaultableFile>(std::move(file));
    return s;
  }
  rocksdb::IOStatus ReopenWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                       std::unique_ptr<rocksdb::FSWritableFile>* r,
                                       rocksdb::IODebugContext* dbg) override {
    if (g_write_faults.load(std::memory_order_relaxed)) return InjectedFault();
    std::unique_ptr<rocksdb::FSWritableFile> file;
    rocksdb::IOStatus s = target()->ReopenWritableFile(f, o, &file, dbg);
    if (s.ok()) *r = std::make_unique<FaultableFile>(std::move(file));
    return s;
  }
};

// A column family as a WriteBatch sees it: its id (and comparator, for the timestamp
// size). Batches hold these rather than the database's own handles, which a Reopen
// destroys while a worker may be appending a FLUSHDB to a batch.
class StableCfHandle final : public rocksdb::ColumnFamilyHandle {
 public:
  StableCfHandle(std::string name, uint32_t id) : name_(std::move(name)), id_(id) {}
  const std::string& GetName() const override { return name_; }
  uint32_t GetID() const override { return id_; }
  rocksdb::Status GetDescriptor(rocksdb::ColumnFamilyDescriptor*) override {
    return rocksdb::Status::NotSupported("a batch-only handle");
  }
  const rocksdb::Comparator* GetComparator() const override {
    return rocksdb::BytewiseComparator();
  }

 private:
  std::string name_;
  uint32_t id_;
};

Status Closed() {
  return Status::Error("the database is closed (a reopen after a write failure failed)");
}

rocksdb::CompressionType ParseCompression(const std::string& name) {
  if (name == "zstd") return rocksdb::kZSTD;
  if (name == "none") return rocksdb::kNoCompression;
  return rocksdb::kLZ4Compression;
}

// The version mark stored in `db` now (0 if none).
uint64_t StoredVersionMark(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* def) {
  std::string mark;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), def, Sl(codec::kVersionMarkKey), &mark);
  return s.ok() && mark.size() == 8 ? codec::GetLittleEndian64(mark) : 0;
}

// The db map stored in `db` now.
Status StoredDbMap(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* def, const std::string& dir,
                   uint8_t (&map)[codec::kNumPhysicalDbs]) {
  std::string raw;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), def, Sl(codec::kDbMapKey), &raw);
  if (!s.ok()) return Convert(s, "can't read the db map in " + dir);
  Status st = codec::DecodeDbMap(raw, map);
  if (!st.ok()) return Status::Error("the database in " + dir + ": " + st.message());
  return Status::Ok();
}

// A log file of a database, live (in its directory) or archived (in archive/).
struct LogFileOnDisk {
  uint64_t number;
  uint64_t bytes;
  std::filesystem::path path;
};

// The .log files in `dir` with their sizes (none if it cannot be listed).
std::vector<LogFileOnDisk> ListLogFiles(const std::string& dir) {
  std::vector<LogFileOnDisk> logs;
  std::error_code ec;
  for (const auto& f : std::filesystem::directory_iterator(dir, ec)) {
    if (f.path().extension() != ".log") continue;
    std::error_code size_ec;  // RocksDB's own purge may have removed it since the listing
    const uint64_t bytes = std::filesystem::file_size(f.path(), size_ec);
    if (size_ec) continue;
    logs.push_back({std::strtoull(f.path().stem().c_str(), nullptr, 10), bytes, f.path()});
  }
  return logs;
}

}  // namespace

// ---- EngineBatch ------------------------------------------------------------------------

struct EngineBatch::Rep {
  rocksdb::WriteBatch batch;
  rocksdb::ColumnFamilyHandle* def = nullptr;
  rocksdb::ColumnFamilyHandle* meta = nullptr;
  rocksdb::ColumnFamilyHandle* sub = nullptr;
};

EngineBatch::EngineBatch(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}
EngineBatch::~EngineBatch() = default;

void EngineBatch::PutMeta(std::string_view key, std::string_view value) {
  rep_->batch.Put(rep_->meta, Sl(key), Sl(value));
}
void EngineBatch::PutMeta(std::string_view key, std::string_view head, std::string_view tail) {
  rocksdb::Slice k = Sl(key);
  rocksdb::Slice parts[2] = {Sl(head), Sl(tail)};
  rep_->batch.Put(rep_->meta, rocksdb::SliceParts(&k, 1), rocksdb::SliceParts(parts, 2));
}
void EngineBatch::DeleteMeta(std::string_view key) { rep_->batch.Delete(rep_->meta, Sl(key)); }
void EngineBatch::PutString(uint8_t pdb, std::string_view key, int64_t expire_at_ms,
                            std::string_view value) {
  char header[codec::kStringMetaHeaderSize];
  codec::EncodeStringMetaHeader(header, expire_at_ms);
  PutMeta(codec::MetaKey(pdb, key), {header, sizeof(header)}, value);
}
void EngineBatch::PutSub(std::string_view key, std::string_view value) {
  rep_->batch.Put(rep_->sub, Sl(key), Sl(value));
}
void EngineBatch::DeleteSub(std::string_view key) { rep_->batch.Delete(rep_->sub, Sl(key)); }
void EngineBatch::DeleteDb(uint8_t pdb) {
  std::string b = codec::DbBegin(pdb), e = codec::DbEnd(pdb);
  rep_->batch.DeleteRange(rep_->meta, b, e);
  rep_->batch.DeleteRange(rep_->sub, b, e);
}
void EngineBatch::PutVersionMark(uint64_t next_version) {
  std::string b;
  codec::PutLittleEndian64(&b, next_version);
  rep_->batch.Put(rep_->def, Sl(codec::kVersionMarkKey), b);
}
void EngineBatch::PutDbMap(const uint8_t (&map)[codec::kNumPhysicalDbs]) {
  rep_->batch.Put(rep_->def, Sl(codec::kDbMapKey), codec::EncodeDbMap(map));
}
size_t EngineBatch::count() const { return rep_->batch.Count(); }
size_t EngineBatch::bytes() const { return rep_->batch.GetDataSize(); }
void EngineBatch::Clear() { rep_->batch.Clear(); }

// ---- Engine -----------------------------------------------------------------------------

struct Engine::Rep {
  // The file system RocksDB writes through (fault injection), and the Env over it; both
  // outlive the DB (declared first, destroyed last).
  std::shared_ptr<rocksdb::FileSystem> fs;
  std::unique_ptr<rocksdb::Env> env;
  // For the sub filter; its db is set once open (compactions may run before that).
  DurableView view;
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;  // default, meta, sub
  std::shared_ptr<rocksdb::Cache> cache;
  std::unique_ptr<ExpiredMetaFilter> meta_filter;
  std::unique_ptr<OrphanSubFilter> sub_filter;
  uint8_t db_map[codec::kNumPhysicalDbs];
  uint64_t version_mark = 0;
  // Everything written so far is durable: the sub filter may now act on it.
  void PublishDurable() {
    const rocksdb::Snapshot* fresh = db->GetSnapshot();
    const rocksdb::Snapshot* old;
    {
      std::lock_guard<std::mutex> lock(view.mu);
      old = view.snapshot;
      view.snapshot = fresh;
    }
    if (old != nullptr) db->ReleaseSnapshot(old);
  }
  ~Rep() {
    if (db) {
      // Compactions (and their filters) stop before anything they use is destroyed.
      rocksdb::CancelAllBackgroundWork(db.get(), /*wait=*/true);
      {
        std::lock_guard<std::mutex> lock(view.mu);
        if (view.snapshot != nullptr) db->ReleaseSnapshot(view.snapshot);
        view.snapshot = nullptr;
        view.db = nullptr;
        view.meta = nullptr;
      }
      for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
      handles.clear();
      (void)db->Close();
      db.reset();
    }
  }
  rocksdb::ColumnFamilyHandle* def() const { return handles[0]; }
  rocksdb::ColumnFamilyHandle* meta() const { return handles[1]; }
  rocksdb::ColumnFamilyHandle* sub() const { return handles[2]; }
};

struct Engine::Iterator::Rep {
  std::unique_ptr<rocksdb::Iterator> it;
};

Engine::Engine(std::unique_ptr<Rep> rep, EngineOptions options)
    : rep_(std::move(rep)),
      options_(std::move(options)),
      dir_(options_.dir),
      recent_(std::make_unique<RecentLog>(options_.recent_log_bytes)) {
  for (size_t i = 0; i < batch_cfs_.size(); i++) {
    batch_cfs_[i] = std::make_unique<StableCfHandle>(rep_->handles[i]->GetName(),
                                                     rep_->handles[i]->GetID());
  }
}

Engine::~Engine() = default;  // Rep's destructor closes the database

Status Engine::Reopen() {
  std::unique_lock<std::shared_mutex> lock(mu_);
  rep_.reset();  // closed first: RocksDB's LOCK would refuse a second open in this process
  const std::string ids_changed = "column family ids changed across a reopen of " + dir_;
  Status st = OpenAgain(ids_changed);
  if (!st.ok() && !OpenAgain(ids_changed, /*read_only=*/true).ok()) rep_.reset();
  return st;
}

Status Engine::OpenAgain(const std::string& ids_changed, bool read_only) {
  EngineOptions again = options_;
  again.existing_only = true;  // never a new, empty database in place of the lost one
  again.read_only = read_only;
  Result<std::unique_ptr<Engine>> fresh = Open(again);
  if (!fresh.ok()) return fresh.status();
  for (size_t i = 0; i < batch_cfs_.size(); i++) {
    if ((*fresh)->rep_->handles[i]->GetID() != batch_cfs_[i]->GetID()) {
      return Status::Error(ids_changed);
    }
  }
  rep_ = std::move((*fresh)->rep_);
  read_only_fallback_ = read_only;
  return Status::Ok();
}

Result<bool> Engine::Exists(const std::string& dir) {
  std::error_code ec;
  std::filesystem::file_status st = std::filesystem::status(std::filesystem::path(dir) / "CURRENT", ec);
  if (ec && ec != std::errc::no_such_file_or_directory) {
    // Only "no such file" means no database: a failing disk must not look like an empty one.
    return Status::Error("can't check " + dir + " for a database: " + ec.message());
  }
  return !ec && std::filesystem::exists(st);
}

Status Engine::FinishReplace(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path aside(dir + ".replaced");
  if (!fs::exists(aside, ec)) return Status::Ok();
  if (!fs::exists(fs::path(dir) / "CURRENT", ec)) {
    fs::remove_all(dir, ec);
    fs::rename(aside, dir, ec);
    if (ec) return Status::Error("can't put " + aside.string() + " back: " + ec.message());
    return SyncDir(fs::path(dir).parent_path().string());
  }
  fs::remove_all(aside, ec);
  return Status::Ok();
}

Result<std::unique_ptr<Engine>> Engine::Open(const EngineOptions& options) {
  namespace fs = std::filesystem;
  const std::string& dir = options.dir;
  if (!options.read_only) {
    if (Status st = FinishReplace(dir); !st.ok()) return st;
  }
  Result<bool> found = Exists(dir);
  if (!found.ok()) return found.status();
  const bool exists = *found;
  if ((options.read_only || options.existing_only) && !exists) {
    return Status::Error("no database in " + dir);
  }
  if (!exists) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return Status::Error("can't create the data directory " + dir + ": " + ec.message());
  }

  auto rep = std::make_unique<Rep>();
  rep->cache = rocksdb::NewLRUCache(static_cast<size_t>(options.block_cache_bytes));
  rep->meta_filter = std::make_unique<ExpiredMetaFilter>();
  rep->sub_filter = std::make_unique<OrphanSubFilter>(&rep->view);

  rep->fs = std::make_shared<FaultableFileSystem>(rocksdb::FileSystem::Default());
  rep->env = rocksdb::NewCompositeEnv(rep->fs);
  rocksdb::DBOptions db_options;
  db_options.env = rep->env.get();
  db_options.create_if_missing = !exists;
  db_options.create_missing_column_families = !exists;
  db_options.max_background_jobs = static_cast<int>(options.background_jobs);
  db_options.paranoid_checks = true;
  db_options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  db_options.keep_log_file_num = 4;
  // Each open log file's writer keeps a buffer that grows to hold what is appended (a
  // log record goes in 32 KiB fragments) up to this size, and keeps it. RocksDB's 1 MiB
  // default left 2.5-2.8 MB in the writers of the live and not yet released logs (heap
  // profile during a burst), memory no RocksDB property reports, so it counted against
  // maxmemory. 64 KiB (a write every two fragments) cost set-32K-P16 a fifth of its
  // throughput in make bench-persist (0.716 of Redis's, against 0.931 with 1 MiB);
  // 256 KiB kept it (0.982).
  db_options.writable_file_max_buffer_size = 256 << 10;
  // Replication's backlog: flushed log files move to archive/ and stay until they are
  // older than this or the archive is larger (RocksDB purges them).
  db_options.WAL_ttl_seconds = options.log_keep_seconds;
  db_options.WAL_size_limit_MB = options.log_keep_mb;
  // A log file is live until every column family has flushed what it holds, and the
  // default family (the format record, the db map) is written rarely: without a cap its
  // small memtable kept every log since the last open alive, and the next open replayed
  // them all (9 s for 500k keys of 1 KiB, twice with the read-only open). Past this size
  // RocksDB flushes the families that hold the oldest log.
  db_options.max_total_wal_size = static_cast<uint64_t>(4 * options.write_buffer_bytes);

  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rep->cache;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.cache_index_and_filter_blocks = true;
  auto cf_options = [&](const rocksdb::CompactionFilter* filter, bool blobs) {
    rocksdb::ColumnFamilyOptions cf;
    cf.write_buffer_size = static_cast<size_t>(options.write_buffer_bytes);
    cf.disable_auto_compactions = !options.auto_compactions;
    cf.compression = ParseCompression(options.compression);
    // L0 and L1 are rewritten soon anyway: compressing them spends a write-heavy cache's
    // CPU on files compaction replaces shortly (RocksDB's usual advice; on this machine
    // the difference in SET throughput was within run-to-run noise). Deeper levels,
    // where the data settles, use storage.compression.
    cf.compression_per_level.assign(cf.num_levels, cf.compression);
    cf.compression_per_level[0] = cf.compression_per_level[1] = rocksdb::kNoCompression;
    cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    cf.compaction_filter = filter;
    if (blobs && options.min_blob_bytes > 0) {
      // Pages of kilobytes to megabytes live in blob files: compaction then moves small
      // records, not the pages, and garbage collection reclaims overwritten pages.
      cf.enable_blob_files = true;
      cf.min_blob_size = static_cast<uint64_t>(options.min_blob_bytes);
      cf.enable_blob_garbage_collection = true;
      cf.blob_compression_type = cf.compression;
    }
    return cf;
  };
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {
      {rocksdb::kDefaultColumnFamilyName, cf_options(nullptr, false)},
      {kMetaCf, cf_options(rep->meta_filter.get(), true)},
      {kSubCf, cf_options(rep->sub_filter.get(), true)},
  };
  if (exists) {
    std::vector<std::string> names;
    rocksdb::Status s = rocksdb::DB::ListColumnFamilies(db_options, dir, &names);
    if (!s.ok()) return Convert(s, "can't read the database in " + dir);
    if (names.size() != 3 || names[1] != kMetaCf || names[2] != kSubCf) {
      return Status::Error("the database in " + dir +
                           " is not a Vellum database (unexpected column families)");
    }
  }
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s =
      options.read_only
          ? rocksdb::DB::OpenForReadOnly(db_options, dir, cfs, &rep->handles, &raw, false)
          : rocksdb::DB::Open(db_options, dir, cfs, &rep->handles, &raw);
  if (!s.ok()) {
    if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
      return Status::Error("the data directory " + dir +
                           " is in use by another process (RocksDB's LOCK is held): " +
                           s.ToString());
    }
    return Convert(s, "can't open the database in " + dir);
  }
  rep->db.reset(raw);
  auto engine = std::unique_ptr<Engine>(new Engine(std::move(rep), options));
  Rep& r = *engine->rep_;

  // Format version: written once, when the database is created; checked on every open.
  std::string version;
  s = r.db->Get(rocksdb::ReadOptions(), r.def(), Sl(codec::kFormatKey), &version);
  if (!exists) {
    for (int i = 0; i < codec::kNumPhysicalDbs; i++) r.db_map[i] = static_cast<uint8_t>(i);
    rocksdb::WriteBatch init;
    init.Put(r.def(), Sl(codec::kFormatKey), std::to_string(codec::kFormatVersion));
    init.Put(r.def(), Sl(codec::kDbMapKey), codec::EncodeDbMap(r.db_map));
    rocksdb::WriteOptions wo;
    wo.sync = true;
    s = r.db->Write(wo, &init);
    if (!s.ok()) return Convert(s, "can't initialise the database in " + dir);
  } else {
    if (s.IsNotFound()) {
      return Status::Error("the database in " + dir + " has no Vellum format version");
    }
    if (!s.ok()) return Convert(s, "can't read the format version in " + dir);
    if (version != std::to_string(codec::kFormatVersion)) {
      return Status::Error("the database in " + dir + " has format version " + version +
                           ", this vellumd reads version " +
                           std::to_string(codec::kFormatVersion) + "; nothing was changed");
    }
    r.version_mark = StoredVersionMark(r.db.get(), r.def());
    if (Status st = StoredDbMap(r.db.get(), r.def(), dir, r.db_map); !st.ok()) return st;
  }
  if (!options.read_only) {
    {
      std::lock_guard<std::mutex> lock(r.view.mu);
      r.view.db = r.db.get();
      r.view.meta = r.meta();
    }
    // Recovery replayed the WAL and flushed it to table files: what is there is durable.
    r.PublishDurable();
  }
  return engine;
}

std::unique_ptr<EngineBatch> Engine::NewBatch() {
  auto rep = std::make_unique<EngineBatch::Rep>();
  rep->def = batch_cfs_[0].get();
  rep->meta = batch_cfs_[1].get();
  rep->sub = batch_cfs_[2].get();
  return std::unique_ptr<EngineBatch>(new EngineBatch(std::move(rep)));
}

Status Engine::Write(EngineBatch& batch, bool sync) {
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  return WriteBatchWith(batch, wo, nullptr);
}

Status Engine::WriteWithoutStall(EngineBatch& batch, bool* stalled) {
  rocksdb::WriteOptions wo;
  wo.no_slowdown = true;
  return WriteBatchWith(batch, wo, stalled);
}

Status Engine::WriteBatchWith(EngineBatch& batch, const rocksdb::WriteOptions& wo, bool* stalled) {
  std::shared_lock<std::shared_mutex> lock(mu_);
  if (!rep_) return Closed();
  const rocksdb::Status s = rep_->db->Write(wo, &batch.rep_->batch);
  if (!s.ok()) {
    // no_slowdown's refusal: nothing was written, and the disk is not at fault.
    if (stalled != nullptr && s.IsIncomplete()) {
      *stalled = true;
      return Status::Error("write stall");
    }
    return Convert(s, "write to " + dir_);
  }
  if (wo.sync) rep_->PublishDurable();
  if (keep_recent_.load(std::memory_order_relaxed)) {
    // RocksDB stamps the batch's header with its first sequence number as it writes it
    // (bytes 0-7, little-endian: the WriteBatch format); the last one must agree.
    const std::string& data = batch.rep_->batch.Data();
    const uint64_t first = codec::GetLittleEndian64(data);
    const uint32_t count = batch.rep_->batch.Count();
    if (first + count - 1 == rep_->db->GetLatestSequenceNumber()) {
      NoteWritten(first, count, data);
    } else {
      recent_->Clear();  // another writer interleaved: the files will serve
    }
  }
  return Status::Ok();
}

void Engine::NoteWritten(uint64_t sequence, uint32_t count, std::string_view data) {
  recent_->Append(sequence, count, data);
}

void Engine::KeepRecentLog() { keep_recent_.store(true, std::memory_order_relaxed); }

uint64_t Engine::RecentLogBytes() const { return recent_->bytes(); }

Status Engine::SyncWal() {
  std::shared_lock<std::shared_mutex> lock(mu_);
  if (!rep_) return Closed();
  // What was written before the sync is what the sync makes durable.
  const rocksdb::Snapshot* before = rep_->db->GetSnapshot();
  Status st = Convert(rep_->db->SyncWAL(), "sync the WAL in " + dir_);
  if (st.ok()) {
    const rocksdb::Snapshot* old;
    {
      std::lock_guard<std::mutex> lock(rep_->view.mu);
      old = rep_->view.snapshot;
      rep_->view.snapshot = before;
    }
    if (old != nullptr) rep_->db->ReleaseSnapshot(old);
  } else {
    rep_->db->ReleaseSnapshot(before);
  }
  return st;
}

uint64_t Engine::LoadedVersionMark() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return rep_ ? rep_->version_mark : 0;
}

void Engine::LoadedDbMap(uint8_t (&map)[codec::kNumPhysicalDbs]) const {
  for (int i = 0; i < codec::kNumPhysicalDbs; i++) map[i] = rep_->db_map[i];
}

Engine::Iterator::Iterator(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}
Engine::Iterator::~Iterator() = default;
void Engine::Iterator::SeekToFirst() { rep_->it->SeekToFirst(); }
void Engine::Iterator::Seek(std::string_view target) { rep_->it->Seek(Sl(target)); }
bool Engine::Iterator::Valid() const { return rep_->it->Valid(); }
void Engine::Iterator::Next() { rep_->it->Next(); }
std::string_view Engine::Iterator::key() const { return View(rep_->it->key()); }
std::string_view Engine::Iterator::value() const { return View(rep_->it->value()); }
Status Engine::Iterator::status() const { return Convert(rep_->it->status(), "iterate"); }

std::vector<std::string> Engine::MetaSplitKeys(int parts) {
  std::shared_lock<std::shared_mutex> lock(mu_);
  std::vector<std::string> out;
  if (!rep_ || parts < 2) return out;
  std::vector<rocksdb::LiveFileMetaData> files;
  rep_->db->GetLiveFilesMetaData(&files);
  std::erase_if(files, [](const auto& f) { return f.column_family_name != kMetaCf; });
  std::sort(files.begin(), files.end(),
            [](const auto& a, const auto& b) { return a.smallestkey < b.smallestkey; });
  uint64_t total = 0;
  for (const auto& f : files) total += f.size;
  // Files of different levels overlap: a cut at a file's smallest key splits the walk
  // there, whatever else covers that key, so only the sizes are approximate.
  uint64_t seen = 0;
  for (const auto& f : files) {
    const uint64_t want = total / static_cast<uint64_t>(parts) * (out.size() + 1);
    if (seen >= want && static_cast<int>(out.size()) < parts - 1 &&
        (out.empty() || f.smallestkey > out.back())) {
      out.push_back(f.smallestkey);
    }
    seen += f.size;
  }
  return out;
}

std::unique_ptr<Engine::Iterator> Engine::NewMetaIterator() {
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;  // a full walk (start-up) would only evict the hot blocks
  ro.readahead_size = 2 << 20;  // ... and reads the files in order
  auto rep = std::make_unique<Iterator::Rep>();
  rep->it.reset(rep_->db->NewIterator(ro, rep_->meta()));
  return std::unique_ptr<Iterator>(new Iterator(std::move(rep)));
}

std::unique_ptr<Engine::Iterator> Engine::NewSubIterator() {
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  auto rep = std::make_unique<Iterator::Rep>();
  rep->it.reset(rep_->db->NewIterator(ro, rep_->sub()));
  return std::unique_ptr<Iterator>(new Iterator(std::move(rep)));
}

struct Engine::ReadView::Rep {
  std::shared_lock<std::shared_mutex> lock;
  rocksdb::DB* db = nullptr;
  rocksdb::ColumnFamilyHandle* meta = nullptr;
  rocksdb::ColumnFamilyHandle* sub = nullptr;
  const rocksdb::Snapshot* snapshot = nullptr;
  std::string dir;
  rocksdb::ReadOptions Options(bool fill_cache) const {
    rocksdb::ReadOptions ro;
    ro.snapshot = snapshot;
    ro.fill_cache = fill_cache;
    return ro;
  }
  ~Rep() {
    if (snapshot != nullptr) db->ReleaseSnapshot(snapshot);
  }
};

Engine::ReadView::ReadView(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}
Engine::ReadView::~ReadView() = default;

Status Engine::ReadView::GetMeta(std::string_view key, std::string* value, bool* found) {
  rocksdb::Status s = rep_->db->Get(rep_->Options(true), rep_->meta, Sl(key), value);
  *found = s.ok();
  if (s.IsNotFound()) return Status::Ok();
  return Convert(s, "read from " + rep_->dir);
}

std::unique_ptr<Engine::Iterator> Engine::ReadView::NewMetaIterator(bool fill_cache) {
  // RocksDB's own readahead (it grows while the iterator reads on): a fixed one would be
  // spent again by each chunk of a walk, since each chunk has its own iterator.
  rocksdb::ReadOptions ro = rep_->Options(fill_cache);
  auto it = std::make_unique<Iterator::Rep>();
  it->it.reset(rep_->db->NewIterator(ro, rep_->meta));
  return std::unique_ptr<Iterator>(new Iterator(std::move(it)));
}

std::unique_ptr<Engine::Iterator> Engine::ReadView::NewSubIterator(bool fill_cache) {
  auto it = std::make_unique<Iterator::Rep>();
  it->it.reset(rep_->db->NewIterator(rep_->Options(fill_cache), rep_->sub));
  return std::unique_ptr<Iterator>(new Iterator(std::move(it)));
}

Result<std::unique_ptr<Engine::ReadView>> Engine::OpenReadView() {
  auto rep = std::make_unique<ReadView::Rep>();
  rep->lock = std::shared_lock<std::shared_mutex>(mu_);
  if (!rep_) return Closed();
  rep->db = rep_->db.get();
  rep->meta = rep_->meta();
  rep->sub = rep_->sub();
  rep->snapshot = rep->db->GetSnapshot();
  rep->dir = dir_;
  return std::unique_ptr<ReadView>(new ReadView(std::move(rep)));
}

Status Engine::GetMeta(std::string_view key, std::string* value, bool* found) {
  std::shared_lock<std::shared_mutex> lock(mu_);
  *found = false;
  if (!rep_) return Closed();
  rocksdb::Status s = rep_->db->Get(rocksdb::ReadOptions(), rep_->meta(), Sl(key), value);
  *found = s.ok();
  if (s.IsNotFound()) return Status::Ok();
  return Convert(s, "read from " + dir_);
}

uint64_t Engine::BlockCacheBytes() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return rep_ ? rep_->cache->GetUsage() : 0;
}

uint64_t Engine::IntProperty(const std::string& name, PropertyOf of) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  uint64_t v = 0;
  if (!rep_) return 0;
  switch (of) {
    case PropertyOf::kMetaFamily:
      rep_->db->GetIntProperty(rep_->meta(), name, &v);
      break;
    case PropertyOf::kAllFamilies:
      rep_->db->GetAggregatedIntProperty(name, &v);
      break;
    case PropertyOf::kDatabase:
      rep_->db->GetIntProperty(name, &v);
      break;
  }
  return v;
}

uint64_t Engine::MemtableBytes() const {
  return IntProperty(rocksdb::DB::Properties::kSizeAllMemTables, PropertyOf::kAllFamilies);
}

void Engine::PublishMemory() const {
  SetNotCountedMemory(BlockCacheBytes() + MemtableBytes());  // the recent log counts itself
}

uint64_t Engine::EstimatedKeys() const {
  return IntProperty(rocksdb::DB::Properties::kEstimateNumKeys, PropertyOf::kMetaFamily);
}

uint64_t Engine::LiveDataBytes() const {
  return IntProperty(rocksdb::DB::Properties::kEstimateLiveDataSize, PropertyOf::kAllFamilies);
}

uint64_t Engine::CompactionsRunning() const {
  return IntProperty(rocksdb::DB::Properties::kNumRunningCompactions, PropertyOf::kDatabase);
}

uint64_t Engine::CompactionPendingBytes() const {
  return IntProperty(rocksdb::DB::Properties::kEstimatePendingCompactionBytes,
                     PropertyOf::kAllFamilies);
}

uint64_t Engine::TrimLogArchive() {
  if (options_.log_keep_mb == 0 || options_.read_only) return 0;
  std::shared_lock<std::shared_mutex> lock(mu_);
  if (!rep_ || read_only_fallback_) return 0;
  // Pinned (PinFiles: a replica's full sync needs the log from its checkpoint on, however
  // much is written meanwhile; or RocksDB's own backups): nothing goes.
  uint64_t deletions_enabled = 1;
  if (!rep_->db->GetIntProperty(rocksdb::DB::Properties::kIsFileDeletionsEnabled,
                                &deletions_enabled) ||
      deletions_enabled == 0) {
    return 0;
  }
  std::vector<LogFileOnDisk> logs = ListLogFiles(dir_ + "/archive");
  uint64_t total = 0;
  for (const LogFileOnDisk& log : logs) total += log.bytes;
  const uint64_t limit = options_.log_keep_mb << 20;
  if (total <= limit) return 0;
  std::sort(logs.begin(), logs.end(),
            [](const LogFileOnDisk& a, const LogFileOnDisk& b) { return a.number < b.number; });
  uint64_t removed = 0;
  for (const LogFileOnDisk& log : logs) {
    if (total <= limit) break;
    std::error_code rm_ec;
    if (std::filesystem::remove(log.path, rm_ec)) {
      total -= log.bytes;
      removed += log.bytes;
    }
  }
  return removed;
}

void Engine::MeasureLogBacklog() {
  if (options_.log_keep_mb == 0 && options_.log_keep_seconds == 0) return;  // none kept
  // The bytes: the log files, live and archived, listed as TrimLogArchive lists them.
  // (Not DB::GetSortedWalFiles: it holds file deletions off, waits for pending purges, and
  // lets go with a full scan for obsolete files: too much for once a second.)
  uint64_t bytes = 0;
  for (const std::string& d : {dir_, dir_ + "/archive"}) {
    for (const LogFileOnDisk& log : ListLogFiles(d)) bytes += log.bytes;
  }
  backlog_bytes_.store(bytes, std::memory_order_relaxed);
  // The first sequence: the first batch of the oldest log file, as a replica asking from
  // the start would get it (one batch read, from the page cache as a rule).
  std::shared_lock<std::shared_mutex> lock(mu_);
  if (!rep_ || read_only_fallback_) return;
  std::unique_ptr<rocksdb::TransactionLogIterator> it;
  if (rep_->db->GetLatestSequenceNumber() == 0 || !rep_->db->GetUpdatesSince(1, &it).ok() ||
      !it->Valid()) {
    return;
  }
  backlog_first_.store(it->GetBatch().sequence, std::memory_order_relaxed);
}

Engine::LogBacklog Engine::log_backlog() const {
  LogBacklog b;
  b.kept = options_.log_keep_mb > 0 || options_.log_keep_seconds > 0;
  b.limit_bytes = options_.log_keep_mb << 20;
  b.first_sequence = backlog_first_.load(std::memory_order_relaxed);
  b.bytes = backlog_bytes_.load(std::memory_order_relaxed);
  return b;
}

Status Engine::Resume() {
  std::shared_lock<std::shared_mutex> lock(mu_);
  if (!rep_) return Closed();
  // Open read-only after a failed reopen: only another Reopen can make it writable.
  if (read_only_fallback_) {
    return Status::Error("the database is open read-only after a failed reopen");
  }
  return Convert(rep_->db->Resume(), "resume writes to " + dir_);
}

void Engine::SetWriteFaults(bool on) { g_write_faults.store(on, std::memory_order_relaxed); }
bool Engine::write_faults() { return g_write_faults.load(std::memory_order_relaxed); }

rocksdb::DB* Engine::raw_db() const { return rep_ ? rep_->db.get() : nullptr; }

Status Engine::CreateCheckpoint(const std::string& dir, uint64_t* sequence) {
  std::shared_lock<std::shared_mutex> lock(mu_);
  if (!rep_) return Closed();
  rocksdb::Checkpoint* raw = nullptr;
  rocksdb::Status s = rocksdb::Checkpoint::Create(rep_->db.get(), &raw);
  if (!s.ok()) return Convert(s, "checkpoint " + dir_);
  std::unique_ptr<rocksdb::Checkpoint> cp(raw);
  s = cp->CreateCheckpoint(dir, std::numeric_limits<uint64_t>::max(), sequence);
  return Convert(s, "checkpoint " + dir_ + " into " + dir);
}

Status Engine::Flush() {
  std::shared_lock<std::shared_mutex> lock(mu_);
  if (!rep_) return Closed();
  rocksdb::FlushOptions o;
  o.wait = true;
  o.allow_write_stall = true;
  return Convert(rep_->db->Flush(o, rep_->handles), "flush " + dir_);
}

Status Engine::CompactAll() {
  std::shared_lock<std::shared_mutex> lock(mu_);
  if (!rep_) return Closed();
  rocksdb::CompactRangeOptions o;
  o.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  for (auto* h : {rep_->meta(), rep_->sub()}) {
    rocksdb::Status s = rep_->db->CompactRange(o, h, nullptr, nullptr);
    if (!s.ok()) return Convert(s, "compact " + dir_);
  }
  return Status::Ok();
}

// ---- the write-ahead log ----------------------------------------------------------------

uint64_t Engine::LatestSequence() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return rep_ ? rep_->db->GetLatestSequenceNumber() : 0;
}

Status Engine::ReadLog(uint64_t from, size_t max_bytes, std::vector<LogBatch>* out, bool* gone) {
  *gone = false;
  std::shared_lock<std::shared_mutex> lock(mu_);
  if (!rep_) return Closed();
  const uint64_t latest = rep_->db->GetLatestSequenceNumber();
  if (from == latest + 1) return Status::Ok();
  if (from == 0 || from > latest + 1) {
    *gone = true;
    return Status::Error("sequence " + std::to_string(from) + " is beyond the end of the log (" +
                         std::to_string(latest) + ")");
  }
  if (keep_recent_.load(std::memory_order_relaxed) && recent_->Read(from, max_bytes, out)) {
    return Status::Ok();
  }
  std::unique_ptr<rocksdb::TransactionLogIterator> it;
  rocksdb::Status s = rep_->db->GetUpdatesSince(from, &it);
  if (!s.ok()) {
    *gone = true;
    return Convert(s, "read the log of " + dir_ + " from " + std::to_string(from));
  }
  uint64_t next = from;
  size_t bytes = 0;
  for (; it->Valid() && bytes < max_bytes; it->Next()) {
    rocksdb::BatchResult r = it->GetBatch();
    const uint64_t count = r.writeBatchPtr->Count();
    if (r.sequence + count <= from) continue;  // wholly before `from`
    if (r.sequence != next) {
      *gone = true;  // a gap (purged files), or `from` inside a batch
      return Status::Error("the log of " + dir_ + " has no batch at sequence " +
                           std::to_string(next) + " (found " + std::to_string(r.sequence) + ")");
    }
    bytes += r.writeBatchPtr->GetDataSize();
    out->push_back({r.sequence, static_cast<uint32_t>(count), r.writeBatchPtr->Data()});
    next = r.sequence + count;
  }
  if (out->empty()) {
    *gone = true;  // `from` was written (from <= latest) but the log does not have it
    return Status::Error("the log of " + dir_ + " no longer reaches back to sequence " +
                         std::to_string(from));
  }
  return Status::Ok();
}

Engine::LogPosition Engine::BatchEndingAt(uint64_t sequence, LogBatch* out) {
  std::shared_lock<std::shared_mutex> lock(mu_);
  if (!rep_ || sequence == 0) return LogPosition::kNotHeld;
  if (sequence > rep_->db->GetLatestSequenceNumber()) return LogPosition::kInsideABatch;
  if (keep_recent_.load(std::memory_order_relaxed) && recent_->BatchEndingAt(sequence, out)) {
    return LogPosition::kBatchEndsHere;
  }
  std::unique_ptr<rocksdb::TransactionLogIterator> it;
  if (!rep_->db->GetUpdatesSince(sequence, &it).ok() || !it->Valid()) return LogPosition::kNotHeld;
  rocksdb::BatchResult r = it->GetBatch();  // the batch holding `sequence`, if still held
  const uint64_t count = r.writeBatchPtr->Count();
  if (r.sequence > sequence) return LogPosition::kNotHeld;
  if (r.sequence + count - 1 != sequence) return LogPosition::kInsideABatch;
  *out = {r.sequence, static_cast<uint32_t>(count), r.writeBatchPtr->Data()};
  return LogPosition::kBatchEndsHere;
}

Status Engine::ApplyLog(const LogBatch& batch, bool sync) {
  std::shared_lock<std::shared_mutex> lock(mu_);
  if (!rep_) return Closed();
  const uint64_t latest = rep_->db->GetLatestSequenceNumber();
  if (batch.sequence != latest + 1) {
    return Status::Error("replicated batch at sequence " + std::to_string(batch.sequence) +
                         " does not follow this database's " + std::to_string(latest));
  }
  rocksdb::WriteBatch wb{std::string(batch.data)};
  if (wb.Count() != batch.count) {
    return Status::Error("replicated batch at sequence " + std::to_string(batch.sequence) +
                         " holds " + std::to_string(wb.Count()) + " records, not " +
                         std::to_string(batch.count));
  }
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  Status st = Convert(rep_->db->Write(wo, &wb), "write a replicated batch to " + dir_);
  if (st.ok() && sync) rep_->PublishDurable();
  if (st.ok() && keep_recent_.load(std::memory_order_relaxed)) {
    NoteWritten(batch.sequence, batch.count, batch.data);  // a chained replica's replicas
  }
  return st;
}

namespace {

// Hands each record of a batch to a LogVisitor by column family id.
class VisitingHandler final : public rocksdb::WriteBatch::Handler {
 public:
  VisitingHandler(LogVisitor& v, uint32_t def, uint32_t meta, uint32_t sub)
      : v_(v), def_(def), meta_(meta), sub_(sub) {}
  rocksdb::Status PutCF(uint32_t cf, const rocksdb::Slice& key,
                        const rocksdb::Slice& value) override {
    return Record(cf, key, value);
  }
  rocksdb::Status DeleteCF(uint32_t cf, const rocksdb::Slice& key) override {
    return Record(cf, key, rocksdb::Slice());
  }
  rocksdb::Status SingleDeleteCF(uint32_t cf, const rocksdb::Slice& key) override {
    return Record(cf, key, rocksdb::Slice());
  }
  rocksdb::Status DeleteRangeCF(uint32_t cf, const rocksdb::Slice& begin,
                                const rocksdb::Slice&) override {
    if (cf == sub_) return rocksdb::Status::OK();  // the meta range names the db
    if (cf != meta_ || begin.size() < 1) return Unknown(cf);
    v_.OnDbDeleted(static_cast<uint8_t>(begin[0]));
    return rocksdb::Status::OK();
  }
  rocksdb::Status MergeCF(uint32_t cf, const rocksdb::Slice&, const rocksdb::Slice&) override {
    return Unknown(cf);
  }

 private:
  rocksdb::Status Record(uint32_t cf, const rocksdb::Slice& key, const rocksdb::Slice& value) {
    if (cf == meta_) {
      v_.OnMeta(View(key));
    } else if (cf == sub_) {
      v_.OnSub(View(key));
    } else if (cf == def_) {
      v_.OnDefault(View(key), View(value));
    } else {
      return Unknown(cf);
    }
    return rocksdb::Status::OK();
  }
  static rocksdb::Status Unknown(uint32_t cf) {
    return rocksdb::Status::Corruption("a record this format does not write (column family " +
                                       std::to_string(cf) + ")");
  }
  LogVisitor& v_;
  const uint32_t def_, meta_, sub_;
};

}  // namespace

Status Engine::VisitLog(std::string_view data, LogVisitor& visitor) const {
  if (data.size() < 12) return Status::Error("a replicated batch shorter than its header");
  rocksdb::WriteBatch wb{std::string(data)};
  VisitingHandler h(visitor, batch_cfs_[0]->GetID(), batch_cfs_[1]->GetID(),
                    batch_cfs_[2]->GetID());
  return Convert(wb.Iterate(&h), "decode a replicated batch");
}

Status Engine::ReplaceWith(const std::string& src) {
  namespace fs = std::filesystem;
  std::unique_lock<std::shared_mutex> lock(mu_);
  rep_.reset();  // closed (and its LOCK released) before its directory moves
  const fs::path dir(dir_), aside(dir_ + ".replaced");
  std::error_code ec;
  fs::remove_all(aside, ec);
  fs::rename(dir, aside, ec);
  if (ec) return Status::Error("can't move " + dir_ + " aside: " + ec.message());
  fs::rename(src, dir, ec);
  if (ec) {
    std::error_code back;
    fs::rename(aside, dir, back);
    return Status::Error("can't move " + src + " to " + dir_ + ": " + ec.message());
  }
  (void)SyncDir(dir.parent_path().string());  // both renames on disk before the open
  if (Status st = OpenAgain("the database put in place of " + dir_ +
                            " numbers its column families differently");
      !st.ok()) {
    return st;
  }
  recent_->Clear();  // another database, other batches
  fs::remove_all(aside, ec);
  return SyncDir(dir.parent_path().string());
}

Status Engine::PinFiles() {
  std::shared_lock<std::shared_mutex> lock(mu_);
  if (!rep_) return Closed();
  return Convert(rep_->db->DisableFileDeletions(), "pin the files of " + dir_);
}

Status Engine::UnpinFiles() {
  std::shared_lock<std::shared_mutex> lock(mu_);
  if (!rep_) return Closed();
  return Convert(rep_->db->EnableFileDeletions(/*force=*/false), "unpin the files of " + dir_);
}

Status Engine::ReadDbMap(uint8_t (&map)[codec::kNumPhysicalDbs]) {
  std::shared_lock<std::shared_mutex> lock(mu_);
  if (!rep_) return Closed();
  return StoredDbMap(rep_->db.get(), rep_->def(), dir_, map);
}

uint64_t Engine::ReadVersionMark() {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return rep_ ? StoredVersionMark(rep_->db.get(), rep_->def()) : 0;
}

}  // namespace vellum::storage
