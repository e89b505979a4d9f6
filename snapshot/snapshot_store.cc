#include "snapshot/snapshot_store.h"

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <map>
#include <set>
#include <system_error>

#include <unistd.h>

#include "common/clock.h"
#include "snapshot/archive.h"
#include "storage/disk_walk.h"

namespace vellum::snapshot {
namespace fs = std::filesystem;
namespace {

constexpr char kRestoring[] = "db.restoring.tmp";

Status Decode(const storage::BackupRecord& r, Manifest* m) {
  Status st = DecodeManifest(r.metadata, m);
  if (!st.ok()) {
    return Status::Error("snapshot " + std::to_string(r.id) + " has a bad manifest: " + st.message());
  }
  if (m->id == 0) m->id = r.id;  // written before ids were the store's own
  m->backup_id = r.id;
  m->total_bytes = r.bytes;
  m->files = r.file_count;
  return Status::Ok();
}

void RemoveAll(const fs::path& p) {
  std::error_code ec;
  fs::remove_all(p, ec);
}

// 20261205-213000: for the name of an old database moved aside.
std::string TimeTag(int64_t unix_ms) { return UtcText(unix_ms, "%Y%m%d-%H%M%S"); }

}  // namespace

void RemoveRestoreDebris(const std::string& data_dir) { RemoveAll(fs::path(data_dir) / kRestoring); }

Result<std::unique_ptr<SnapshotStore>> SnapshotStore::Open(const std::string& dir,
                                                           uint64_t max_bytes_per_sec,
                                                           bool read_only) {
  std::unique_ptr<storage::DirLock> lock;
  if (!read_only) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return Status::Error("can't create the snapshot directory " + dir + ": " + ec.message());
    auto locked = storage::DirLock::Acquire((fs::path(dir) / "vellum-snapshots.lock").string());
    if (!locked.ok()) {
      if (locked.status().message().find("in use") == std::string::npos) return locked.status();
      return Status::Error("the snapshot directory " + dir +
                           " is in use by another process (a running vellumd holds its "
                           "vellum-snapshots.lock): stop it, or work through it with -h/-p");
    }
    lock = std::move(*locked);
  }
  auto backups = storage::BackupStore::Open(dir, max_bytes_per_sec, read_only);
  if (!backups.ok()) return backups.status();
  return std::unique_ptr<SnapshotStore>(new SnapshotStore(std::move(lock), std::move(*backups)));
}

Result<Manifest> SnapshotStore::Create(const std::string& checkpoint_dir, Manifest manifest,
                                       const storage::EngineOptions& engine_options) {
  struct Cleanup {
    std::string dir;
    ~Cleanup() { RemoveAll(dir); }
  } cleanup{checkpoint_dir};
  uint32_t id = 0;
  {
    storage::EngineOptions o = engine_options;
    o.dir = checkpoint_dir;
    o.existing_only = true;
    o.auto_compactions = false;
    int64_t t0 = MonotonicMs();
    auto engine = storage::Engine::Open(o);
    if (!engine.ok()) return engine.status();
    int64_t t1 = MonotonicMs();
    Begin("counting and digesting the keys", ProgressMeter::Unit::kKeys, 0);
    auto summary = storage::SummarizeDisk(**engine, manifest.created_ms, meter_);
    if (!summary.ok()) return summary.status();
    int64_t t2 = MonotonicMs();
    manifest.keys = summary->keys;
    manifest.keys_by_db = summary->keys_by_db;
    manifest.digest = summary->digest.Hex();
    auto next = NextId();
    if (!next.ok()) return next.status();
    manifest.id = id = *next;
    Begin("copying the new files into " + dir() + " as snapshot " + std::to_string(id),
          ProgressMeter::Unit::kBytes, 0);
    auto created = backups_->Create(**engine, EncodeManifest(manifest));
    if (!created.ok()) return created.status();
    timings_ = {t1 - t0, t2 - t1, MonotonicMs() - t2};
  }
  return Info(id);
}

Result<std::vector<Manifest>> SnapshotStore::List() const {
  std::vector<storage::BackupRecord> records = backups_->List(/*with_files=*/true);
  std::sort(records.begin(), records.end(),
            [](const auto& a, const auto& b) { return a.id < b.id; });
  // A file is "added" by the oldest snapshot still held that has it.
  std::set<std::string> seen;
  std::vector<Manifest> out;
  out.reserve(records.size());
  for (const storage::BackupRecord& r : records) {
    Manifest m;
    Status st = Decode(r, &m);
    if (!st.ok()) return st;
    for (const storage::BackupFile& f : r.files) {
      if (seen.insert(f.path).second) m.added_bytes += f.size;
    }
    out.push_back(std::move(m));
  }
  return out;
}

Result<Manifest> SnapshotStore::Info(uint32_t id) const {
  auto all = List();
  if (!all.ok()) return all.status();
  for (Manifest& m : *all) {
    if (m.id == id) return std::move(m);
  }
  return Status::Error("no such snapshot " + std::to_string(id) + " in " + dir());
}

Result<uint32_t> SnapshotStore::Latest() const {
  auto all = List();
  if (!all.ok()) return all.status();
  if (all->empty()) return Status::Error("no snapshot in " + dir());
  uint32_t id = 0;
  for (const Manifest& m : *all) id = std::max(id, m.id);
  return id;
}

Result<uint32_t> SnapshotStore::BackupIdOf(uint32_t id) const {
  for (const storage::BackupRecord& r : backups_->List(false)) {
    Manifest m;
    if (Decode(r, &m).ok() && m.id == id) return r.id;
  }
  // Not among the readable ones: a damaged backup of that number says why.
  for (uint32_t bad : backups_->Corrupt()) {
    if (bad == id) return backups_->Get(id, false).status();
  }
  return Status::Error("no such snapshot " + std::to_string(id) + " in " + dir());
}

Result<uint32_t> SnapshotStore::NextId() {
  if (lock_ == nullptr) return Status::Error("can't create a snapshot in " + dir() + ": opened read-only");
  const fs::path counter = fs::path(dir()) / "vellum-last-id";
  uint64_t last = 0;
  if (FILE* f = std::fopen(counter.c_str(), "r")) {
    unsigned long long v = 0;
    if (std::fscanf(f, "%llu", &v) == 1) last = v;
    std::fclose(f);
  }
  for (const storage::BackupRecord& r : backups_->List(false)) {
    Manifest m;
    last = std::max<uint64_t>(last, r.id);
    if (Decode(r, &m).ok()) last = std::max<uint64_t>(last, m.id);
  }
  for (uint32_t bad : backups_->Corrupt()) last = std::max<uint64_t>(last, bad);
  if (last >= UINT32_MAX) return Status::Error("snapshot ids exhausted in " + dir());
  const uint32_t next = static_cast<uint32_t>(last + 1);
  // Written (temp file, fsync, rename) before the backup: a crash after it only skips an id.
  const std::string tmp = counter.string() + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "w");
  if (f == nullptr) return Status::Error("can't write " + tmp + ": " + std::strerror(errno));
  const bool written = std::fprintf(f, "%u\n", next) > 0 && std::fflush(f) == 0 && ::fsync(fileno(f)) == 0;
  std::fclose(f);
  std::error_code ec;
  if (written) fs::rename(tmp, counter, ec);
  if (!written || ec) return Status::Error("can't write " + counter.string());
  return next;
}

Status SnapshotStore::Verify(uint32_t id) const {
  auto backup_id = BackupIdOf(id);
  if (!backup_id.ok()) return backup_id.status();
  auto record = backups_->Get(*backup_id, false);
  if (!record.ok()) return record.status();
  Begin("verifying snapshot " + std::to_string(id) + " (" + std::to_string(record->file_count) +
            " files, every checksum)",
        ProgressMeter::Unit::kBytes, record->bytes);
  Status st = backups_->Verify(*backup_id);
  if (!st.ok()) return st;
  Manifest m;
  st = Decode(*record, &m);
  if (!st.ok()) return st;
  if (m.format_version > storage::codec::kFormatVersion) {
    return Status::Error("snapshot " + std::to_string(id) + " has on-disk format " +
                         std::to_string(m.format_version) + "; this build reads up to " +
                         std::to_string(storage::codec::kFormatVersion));
  }
  return Status::Ok();
}

Status SnapshotStore::Delete(uint32_t id) {
  auto backup_id = BackupIdOf(id);
  if (!backup_id.ok()) return backup_id.status();
  return backups_->Delete(*backup_id);
}

Result<std::vector<uint32_t>> SnapshotStore::Prune(uint32_t keep_last, int64_t max_age_ms,
                                                   int64_t now_ms) {
  auto all = List();
  if (!all.ok()) return all.status();
  std::vector<uint32_t> deleted;
  if (all->empty()) return deleted;
  const uint32_t newest = all->back().id;
  // Newest first: the first keep_last unmarked ones stay.
  uint32_t kept = 0;
  for (auto it = all->rbegin(); it != all->rend(); ++it) {
    const Manifest& m = *it;
    if (m.keep) continue;
    const bool over_count = keep_last != 0 && kept >= keep_last;
    const bool too_old = max_age_ms > 0 && now_ms - m.created_ms > max_age_ms;
    if (m.id != newest && (over_count || too_old)) {
      Status st = backups_->Delete(m.backup_id);
      if (!st.ok()) return st;
      deleted.push_back(m.id);
    } else {
      kept++;
    }
  }
  std::reverse(deleted.begin(), deleted.end());
  return deleted;
}

Result<Manifest> SnapshotStore::RestoreAndCheck(uint32_t id, const std::string& db_dir,
                                                const storage::EngineOptions& engine_options) {
  Status st = Verify(id);
  if (!st.ok()) return st;
  return RestoreVerifiedAndCheck(id, db_dir, engine_options);
}

Result<Manifest> SnapshotStore::RestoreVerifiedAndCheck(
    uint32_t id, const std::string& db_dir, const storage::EngineOptions& engine_options) {
  auto m = Info(id);
  if (!m.ok()) return m.status();
  Begin("restoring snapshot " + std::to_string(id) + " into " + db_dir, ProgressMeter::Unit::kBytes,
        m->total_bytes);
  Status st = backups_->Restore(m->backup_id, db_dir);
  if (!st.ok()) return st;
  storage::EngineOptions o = engine_options;
  o.dir = db_dir;
  o.read_only = true;
  auto engine = storage::Engine::Open(o);
  if (!engine.ok()) return engine.status();
  Begin("checking the keys and the digest against the manifest", ProgressMeter::Unit::kKeys,
        m->keys);
  auto summary = storage::SummarizeDisk(**engine, m->created_ms, meter_);
  if (!summary.ok()) return summary.status();
  if (summary->keys != m->keys || summary->digest.Hex() != m->digest) {
    return Status::Error("snapshot " + std::to_string(id) + " restored with " +
                         std::to_string(summary->keys) + " keys and digest " +
                         summary->digest.Hex() + ", but its manifest records " +
                         std::to_string(m->keys) + " keys and digest " + m->digest);
  }
  return m;
}

Status SnapshotStore::Export(uint32_t id, const std::string& file) const {
  Status st = Verify(id);
  if (!st.ok()) return st;
  auto backup_id = BackupIdOf(id);
  if (!backup_id.ok()) return backup_id.status();
  auto record = backups_->Get(*backup_id, /*with_files=*/true);
  if (!record.ok()) return record.status();
  std::vector<std::string> files = {"meta/" + std::to_string(*backup_id)};
  for (const storage::BackupFile& f : record->files) files.push_back(f.path);
  return WriteArchive(dir(), files, file, meter_);
}

namespace {

// Refuses entries that are not one backup's files: meta/N, private/N/..., shared_checksum/...
Status OneSnapshotsFiles(const std::string& file, const std::vector<ArchiveEntry>& entries) {
  uint32_t id = 0;
  for (const ArchiveEntry& e : entries) {
    if (e.path.starts_with("meta/")) {
      char* end = nullptr;
      const std::string digits = e.path.substr(5);
      unsigned long n = std::strtoul(digits.c_str(), &end, 10);
      if (id != 0 || digits.empty() || *end != '\0' || n == 0 || n > UINT32_MAX) {
        return Status::Error("archive " + file + ": entry '" + e.path +
                             "' is not one snapshot's meta file");
      }
      id = static_cast<uint32_t>(n);
    } else if (!e.path.starts_with("private/") && !e.path.starts_with("shared_checksum/")) {
      return Status::Error("archive " + file + ": entry '" + e.path + "' is not a snapshot file");
    }
  }
  if (id == 0) return Status::Error("archive " + file + ": no snapshot in it (no meta/ entry)");
  return Status::Ok();
}

}  // namespace

Status UnpackArchive(const std::string& file, const std::string& dir, ProgressMeter* meter) {
  std::error_code ec;
  if (fs::exists(dir, ec)) return Status::Error("can't unpack " + file + ": " + dir + " exists");
  fs::create_directories(dir, ec);
  if (ec) return Status::Error("can't create " + dir + ": " + ec.message());
  Status st = ExtractArchive(file, dir, ArchiveLimits{}, meter,
                             [&file](const std::vector<ArchiveEntry>& entries) {
                               return OneSnapshotsFiles(file, entries);
                             });
  if (!st.ok()) RemoveAll(dir);
  return st;
}

Result<Manifest> SnapshotStore::Import(const std::string& file,
                                       const storage::EngineOptions& engine_options) {
  const fs::path scratch = fs::path(dir()).lexically_normal().parent_path() /
                           (".vellum-import-" + std::to_string(::getpid()));
  RemoveAll(scratch);
  struct Cleanup {
    fs::path p;
    ~Cleanup() { RemoveAll(p); }
  } cleanup{scratch};
  Status unpacked = UnpackArchive(file, (scratch / "snapshots").string(), meter_);
  if (!unpacked.ok()) return unpacked;
  auto from = SnapshotStore::Open((scratch / "snapshots").string(), 0, /*read_only=*/true);
  if (!from.ok()) return from.status();
  (*from)->set_meter(meter_);
  auto only = (*from)->Latest();  // the archive holds one snapshot
  if (!only.ok()) return only.status();
  const std::string db = (scratch / "db").string();
  auto m = (*from)->RestoreAndCheck(*only, db, engine_options);
  if (!m.ok()) return m.status();
  m->id = 0;  // a new id here
  return Create(db, *m, engine_options);
}

Result<RestoreReport> SnapshotStore::Restore(uint32_t id, const std::string& data_dir, bool force,
                                             const storage::EngineOptions& engine_options,
                                             const std::function<Status()>& before_writing) {
  const int64_t start = MonotonicMs();
  const fs::path data(data_dir);
  const fs::path db = data / "db";
  std::error_code ec;
  const bool has_db = fs::exists(db, ec) && !fs::is_empty(db, ec);
  if (has_db && !force) {
    return Status::Error("the data directory " + data_dir +
                         " already holds a database; restore with --force to move it aside");
  }
  // A damaged snapshot is refused before anything in data_dir is touched.
  Status st = Verify(id);
  if (!st.ok()) return st;
  if (before_writing) {
    st = before_writing();
    if (!st.ok()) return st;
  }
  fs::create_directories(data, ec);
  if (ec) return Status::Error("can't create " + data_dir + ": " + ec.message());
  const fs::path staging = data / kRestoring;
  RemoveAll(staging);
  auto m = RestoreVerifiedAndCheck(id, staging.string(), engine_options);
  if (!m.ok()) {
    RemoveAll(staging);
    return m.status();
  }
  RestoreReport report;
  report.manifest = *m;
  if (!has_db) {
    RemoveAll(db);  // an empty directory in the way
  } else {
    fs::path aside = data / ("db.before-restore-" + TimeTag(SystemClock().NowMs()));
    for (int n = 1; fs::exists(aside, ec); n++) {
      aside = data / ("db.before-restore-" + TimeTag(SystemClock().NowMs()) + "-" + std::to_string(n));
    }
    fs::rename(db, aside, ec);
    if (ec) return Status::Error("can't move " + db.string() + " aside: " + ec.message());
    report.moved_aside = aside.string();
  }
  fs::rename(staging, db, ec);
  if (ec) return Status::Error("can't move the restored database into " + db.string() + ": " + ec.message());
  report.duration_ms = MonotonicMs() - start;
  return report;
}

}  // namespace vellum::snapshot
