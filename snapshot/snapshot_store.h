// SnapshotStore: Vellum's snapshots in one directory (`snapshot.dir`): create from a
// checkpoint, list, verify, delete, prune, restore. Shared by the daemon (through
// SnapshotService) and by vellumctl working offline.
//
// A snapshot is a RocksDB backup (storage/backup_store.h: incremental, checksummed,
// published by an atomic rename) whose metadata is Vellum's Manifest. Its id (1, 2, 3...)
// comes from the directory's counter file `vellum-last-id`, written before the backup
// and recorded in the manifest, so an id is never given twice in one directory, even
// after the newest snapshot is deleted (BackupEngine's own ids restart from the highest
// one left). Every method takes and returns these ids.
//
// Restoring replaces the database of a data directory (`<dir>/db`): the snapshot is
// verified first (every checksum, then its manifest), written into `<dir>/db.restoring.tmp`,
// its content checked against the manifest (key count and digest), and only then is the
// old database moved aside (`<dir>/db.before-restore-<time>`, never deleted) and the new
// one renamed into place. A crash at any point leaves the old database or the new one,
// plus debris that the next restore or daemon start removes.
//
// Writers exclude each other: a store opened for writing holds an flock on
// `<dir>/vellum-snapshots.lock` (the daemon for its whole life), so vellumctl cannot
// delete, prune or import offline while a daemon owns the directory. Readers take no lock.
//
// Not thread-safe; one SnapshotStore per directory per process.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/progress.h"
#include "common/status.h"
#include "snapshot/manifest.h"
#include "storage/backup_store.h"
#include "storage/dir_lock.h"
#include "storage/engine.h"

namespace vellum::snapshot {

struct RestoreReport {
  Manifest manifest;
  std::string moved_aside;  // where the old database went; empty if there was none
  int64_t duration_ms = 0;
};

class SnapshotStore {
 public:
  static Result<std::unique_ptr<SnapshotStore>> Open(const std::string& dir,
                                                     uint64_t max_bytes_per_sec, bool read_only);

  // Makes a snapshot of the checkpoint in `checkpoint_dir` (Persister::Checkpoint), taken
  // at manifest.created_ms with manifest.sequence: counts and digests its keys as of that
  // time, backs it up with the manifest, and removes the checkpoint (also on failure).
  Result<Manifest> Create(const std::string& checkpoint_dir, Manifest manifest,
                          const storage::EngineOptions& engine_options);

  // Every snapshot, oldest first, with its sizes. An unreadable manifest is an error
  // naming the snapshot.
  Result<std::vector<Manifest>> List() const;
  Result<Manifest> Info(uint32_t id) const;
  // Every file's size and checksum, then the manifest. The error names the file.
  Status Verify(uint32_t id) const;
  Status Delete(uint32_t id);
  // Deletes the snapshots beyond the newest `keep_last` (0: no limit) and those older than
  // `max_age_ms` (0: no limit) at `now_ms`, except those marked keep and the newest one.
  // Returns the ids deleted.
  Result<std::vector<uint32_t>> Prune(uint32_t keep_last, int64_t max_age_ms, int64_t now_ms);

  // Restores snapshot `id` as the database of data directory `data_dir` (see above).
  // Refuses a data directory that holds a database unless `force`.
  // `before_writing` runs once the snapshot is verified, before data_dir is written to
  // (vellumctl takes the directory's lock there); its error stops the restore.
  Result<RestoreReport> Restore(uint32_t id, const std::string& data_dir, bool force,
                                const storage::EngineOptions& engine_options,
                                const std::function<Status()>& before_writing = {});
  // Restores into `db_dir` (which must not exist) and checks the content against the
  // manifest: the drill, and the middle step of Restore.
  Result<Manifest> RestoreAndCheck(uint32_t id, const std::string& db_dir,
                                   const storage::EngineOptions& engine_options);
  // Writes snapshot `id` (verified first) as one archive (snapshot/archive.h) at `file`.
  Status Export(uint32_t id, const std::string& file) const;
  // Adds the snapshot of an archive: checked whole, unpacked into a scratch directory
  // next to this store's, restored and checked against its manifest, then backed up here
  // under this directory's next id (sharing files with the snapshots already here).
  Result<Manifest> Import(const std::string& file, const storage::EngineOptions& engine_options);
  // The newest snapshot's id (error if none).
  Result<uint32_t> Latest() const;

  storage::BackupStore& backups() { return *backups_; }
  // Where long operations report their stages ("verifying snapshot 3 ...") and how far
  // each has come (bytes read or written, keys digested), for vellumctl's progress on a
  // terminal. Null: nowhere. The meter must outlive the store's use of it.
  void set_meter(ProgressMeter* meter) {
    meter_ = meter;
    backups_->set_meter(meter);
  }
  // Where the last Create spent its time (ms): opening the checkpoint (replaying its WAL),
  // counting and digesting its keys, backing it up.
  struct CreateTimings {
    int64_t open_ms = 0, digest_ms = 0, backup_ms = 0;
  };
  CreateTimings last_create_timings() const { return timings_; }
  const std::string& dir() const { return backups_->dir(); }

 private:
  // RestoreAndCheck for a snapshot the caller has just verified.
  Result<Manifest> RestoreVerifiedAndCheck(uint32_t id, const std::string& db_dir,
                                           const storage::EngineOptions& engine_options);
  // The backup holding snapshot `id` (a damaged one is reported as damaged).
  Result<uint32_t> BackupIdOf(uint32_t id) const;
  // The next snapshot id, recorded in the counter file before it is used.
  Result<uint32_t> NextId();
  SnapshotStore(std::unique_ptr<storage::DirLock> lock,
                std::unique_ptr<storage::BackupStore> backups)
      : lock_(std::move(lock)), backups_(std::move(backups)) {}
  std::unique_ptr<storage::DirLock> lock_;  // null when read-only
  CreateTimings timings_;
  ProgressMeter* meter_ = nullptr;
  void Begin(std::string stage, ProgressMeter::Unit unit, uint64_t total) const {
    if (meter_ != nullptr) meter_->Begin(std::move(stage), unit, total);
  }
  std::unique_ptr<storage::BackupStore> backups_;
};

// Checks an exported archive and unpacks it into `dir` (which must not exist) as a
// snapshot directory holding that one snapshot (its Latest()). Refuses, naming the
// entry, anything that is not one snapshot's files.
Status UnpackArchive(const std::string& file, const std::string& dir,
                     ProgressMeter* meter = nullptr);

// Removes what an interrupted checkpoint or restore left in data directory `data_dir`.
void RemoveRestoreDebris(const std::string& data_dir);

}  // namespace vellum::snapshot
