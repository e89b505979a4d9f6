// MeteredFileSystem: a RocksDB FileSystem that counts the bytes read from its files
// (sequentially) and the bytes appended to them into ProgressMeters. BackupStore opens its
// BackupEngine over one, so that verifying, restoring and creating a snapshot, which RocksDB
// runs without a progress callback of its own, can show how far they have come.
//
// The meters are set and cleared by the one thread that runs the backup operation, before
// and after it; RocksDB's backup threads count into them meanwhile (atomic pointers).
#pragma once

#include <rocksdb/file_system.h>

#include <atomic>
#include <memory>
#include <string>

#include "common/progress.h"

namespace vellum::storage {

class MeteredFileSystem final : public rocksdb::FileSystemWrapper {
 public:
  explicit MeteredFileSystem(std::shared_ptr<rocksdb::FileSystem> target)
      : FileSystemWrapper(std::move(target)) {}
  const char* Name() const override { return "vellum.MeteredFileSystem"; }

  // Where bytes read and written are counted from now on (null: nowhere).
  void set_read_meter(ProgressMeter* m) { read_meter_.store(m, std::memory_order_release); }
  void set_write_meter(ProgressMeter* m) { write_meter_.store(m, std::memory_order_release); }

  rocksdb::IOStatus NewSequentialFile(const std::string& f, const rocksdb::FileOptions& o,
                                      std::unique_ptr<rocksdb::FSSequentialFile>* r,
                                      rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus NewWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSWritableFile>* r,
                                    rocksdb::IODebugContext* dbg) override;

 private:
  std::atomic<ProgressMeter*> read_meter_{nullptr};
  std::atomic<ProgressMeter*> write_meter_{nullptr};
};

}  // namespace vellum::storage
