// BackupStore: a directory of RocksDB BackupEngine backups, behind Vellum's Status.
//
// Each backup is a complete, immutable copy of an Engine's database with a small
// metadata text (Vellum's manifest: snapshot/manifest.h). Table and blob files are shared
// between backups by content (their checksum and size are in the shared file's name), so
// a backup after a small change adds about the size of that change. Every file's crc32c
// is recorded; Verify reads every byte again. A backup in progress is written under
// temporary names and becomes visible with an atomic rename of its meta file; debris of
// an interrupted one is removed by GarbageCollect (called at Open unless read-only).
//
// Progress: with a ProgressMeter set, Verify counts the bytes it reads and Restore and
// Create the bytes they write into the meter's current stage (the caller begins it).
//
// Not thread-safe: one caller at a time (the snapshot service's thread, or vellumctl).
// One open BackupStore per directory per process; a read-only store can be opened while
// a daemon writes to the directory, and sees the backups complete at its Open.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "storage/engine.h"

namespace rocksdb {
class BackupEngine;
class BackupEngineReadOnlyBase;
class Env;
}  // namespace rocksdb

namespace vellum {
class ProgressMeter;
}  // namespace vellum

namespace vellum::storage {

class MeteredFileSystem;

struct BackupFile {
  std::string path;  // relative to the store's directory
  uint64_t size = 0;
};

struct BackupRecord {
  uint32_t id = 0;
  int64_t created_unix_s = 0;
  uint64_t bytes = 0;          // every file of the backup, shared ones included
  uint32_t file_count = 0;
  std::string metadata;
  std::vector<BackupFile> files;  // only when asked for
};

class BackupStore {
 public:
  static Result<std::unique_ptr<BackupStore>> Open(const std::string& dir,
                                                   uint64_t max_bytes_per_sec, bool read_only);
  ~BackupStore();

  // Backs up `source` (a quiescent engine: a checkpoint opened for this) with `metadata`.
  Result<uint32_t> Create(Engine& source, const std::string& metadata);
  std::vector<BackupRecord> List(bool with_files) const;
  // NotFound-like error "no such backup" for an unknown or corrupt id.
  Result<BackupRecord> Get(uint32_t id, bool with_files) const;
  // Backups whose meta file does not parse (reported, never silently skipped).
  std::vector<uint32_t> Corrupt() const;
  // Every file present, of its recorded size and checksum.
  Status Verify(uint32_t id) const;
  Status Delete(uint32_t id);
  // Removes files no backup references (an interrupted backup's, a deleted one's).
  Status GarbageCollect();
  // Writes backup `id`'s database into `db_dir`, which RocksDB empties first: the caller
  // moves anything worth keeping aside before.
  Status Restore(uint32_t id, const std::string& db_dir) const;

  const std::string& dir() const { return dir_; }
  // Where Verify, Restore and Create count their bytes (null: nowhere).
  void set_meter(ProgressMeter* meter) { meter_ = meter; }

 private:
  class MeterScope;
  BackupStore(std::string dir, std::shared_ptr<MeteredFileSystem> fs,
              std::unique_ptr<rocksdb::Env> env,
              std::unique_ptr<rocksdb::BackupEngineReadOnlyBase> reader,
              rocksdb::BackupEngine* writer);
  Status ReadOnly(const char* what) const;
  const std::string dir_;
  // The file system and Env the engine reads and writes through; they outlive it.
  std::shared_ptr<MeteredFileSystem> fs_;
  std::unique_ptr<rocksdb::Env> env_;
  ProgressMeter* meter_ = nullptr;
  std::unique_ptr<rocksdb::BackupEngineReadOnlyBase> reader_;
  rocksdb::BackupEngine* writer_;  // the same object as reader_, or null when read-only
};

}  // namespace vellum::storage
