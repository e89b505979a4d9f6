#include "storage/backup_store.h"

#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/utilities/backup_engine.h>

#include <filesystem>
#include <mutex>
#include <shared_mutex>

#include "storage/metered_file_system.h"

namespace vellum::storage {
namespace {

Status Convert(const rocksdb::Status& s, const std::string& what) {
  if (s.ok()) return Status::Ok();
  return Status::Error(what + ": " + s.ToString());
}

BackupRecord FromInfo(const rocksdb::BackupInfo& info, bool with_files) {
  BackupRecord r;
  r.id = info.backup_id;
  r.created_unix_s = info.timestamp;
  r.bytes = info.size;
  r.file_count = info.number_files;
  r.metadata = info.app_metadata;
  if (with_files) {
    for (const rocksdb::BackupFileInfo& f : info.file_details) {
      r.files.push_back({f.relative_filename, f.size});
    }
  }
  return r;
}

}  // namespace

// Counts the bytes one operation reads or writes into the store's meter, if it has one.
class BackupStore::MeterScope {
 public:
  enum Direction { kReads, kWrites };
  MeterScope(const BackupStore& store, Direction d) : fs_(*store.fs_), d_(d) { Set(store.meter_); }
  ~MeterScope() { Set(nullptr); }

 private:
  void Set(ProgressMeter* m) {
    if (d_ == kReads)
      fs_.set_read_meter(m);
    else
      fs_.set_write_meter(m);
  }
  MeteredFileSystem& fs_;
  Direction d_;
};

BackupStore::BackupStore(std::string dir, std::shared_ptr<MeteredFileSystem> fs,
                         std::unique_ptr<rocksdb::Env> env,
                         std::unique_ptr<rocksdb::BackupEngineReadOnlyBase> reader,
                         rocksdb::BackupEngine* writer)
    : dir_(std::move(dir)),
      fs_(std::move(fs)),
      env_(std::move(env)),
      reader_(std::move(reader)),
      writer_(writer) {}

BackupStore::~BackupStore() = default;

Result<std::unique_ptr<BackupStore>> BackupStore::Open(const std::string& dir,
                                                       uint64_t max_bytes_per_sec,
                                                       bool read_only) {
  std::error_code ec;
  if (read_only) {
    if (!std::filesystem::is_directory(dir, ec)) {
      return Status::Error("no snapshot directory at " + dir);
    }
  } else {
    std::filesystem::create_directories(dir, ec);
    if (ec) return Status::Error("can't create the snapshot directory " + dir + ": " + ec.message());
  }
  auto fs = std::make_shared<MeteredFileSystem>(rocksdb::FileSystem::Default());
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  rocksdb::BackupEngineOptions options(dir, env.get());
  options.share_table_files = true;
  options.share_files_with_checksum = true;
  options.sync = true;
  options.backup_rate_limit = max_bytes_per_sec;
  options.max_background_operations = 2;
  options.info_log = nullptr;
  if (read_only) {
    rocksdb::BackupEngineReadOnly* raw = nullptr;
    rocksdb::IOStatus s = rocksdb::BackupEngineReadOnly::Open(options, env.get(), &raw);
    if (!s.ok()) return Convert(s, "can't open the snapshot directory " + dir);
    return std::unique_ptr<BackupStore>(
        new BackupStore(dir, std::move(fs), std::move(env),
                        std::unique_ptr<rocksdb::BackupEngineReadOnlyBase>(raw), nullptr));
  }
  rocksdb::BackupEngine* raw = nullptr;
  rocksdb::IOStatus s = rocksdb::BackupEngine::Open(options, env.get(), &raw);
  if (!s.ok()) return Convert(s, "can't open the snapshot directory " + dir);
  std::unique_ptr<BackupStore> store(
      new BackupStore(dir, std::move(fs), std::move(env),
                      std::unique_ptr<rocksdb::BackupEngineReadOnlyBase>(raw), raw));
  // The debris of a backup interrupted by a crash: never visible (its meta file was not
  // renamed into place), removed now.
  Status st = store->GarbageCollect();
  if (!st.ok()) return st;
  return store;
}

Status BackupStore::ReadOnly(const char* what) const {
  return Status::Error(std::string("can't ") + what + " in " + dir_ + ": opened read-only");
}

Result<uint32_t> BackupStore::Create(Engine& source, const std::string& metadata) {
  if (writer_ == nullptr) return ReadOnly("create a snapshot");
  std::shared_lock<std::shared_mutex> lock(source.mu_);
  rocksdb::DB* db = source.raw_db();
  if (db == nullptr) return Status::Error("the database in " + source.dir() + " is closed");
  rocksdb::CreateBackupOptions options;
  options.flush_before_backup = true;  // the backup holds table files only, no WAL
  // Copying and checksumming yield the CPU to the workers serving clients.
  options.decrease_background_thread_cpu_priority = true;
  options.background_thread_cpu_priority = rocksdb::CpuPriority::kIdle;
  rocksdb::BackupID id = 0;
  MeterScope metered(*this, MeterScope::kWrites);
  rocksdb::IOStatus s =
      writer_->CreateNewBackupWithMetadata(options, db, metadata, &id);
  if (!s.ok()) return Convert(s, "can't write a snapshot into " + dir_);
  return static_cast<uint32_t>(id);
}

std::vector<BackupRecord> BackupStore::List(bool with_files) const {
  std::vector<rocksdb::BackupInfo> infos;
  reader_->GetBackupInfo(&infos, with_files);
  std::vector<BackupRecord> out;
  out.reserve(infos.size());
  for (const auto& info : infos) out.push_back(FromInfo(info, with_files));
  return out;
}

Result<BackupRecord> BackupStore::Get(uint32_t id, bool with_files) const {
  rocksdb::BackupInfo info;
  rocksdb::Status s = reader_->GetBackupInfo(id, &info, with_files);
  if (s.IsNotFound()) return Status::Error("no such snapshot " + std::to_string(id) + " in " + dir_);
  if (s.IsCorruption()) {
    return Status::Error("snapshot " + std::to_string(id) + " in " + dir_ + " is damaged: " +
                         s.ToString());
  }
  if (!s.ok()) return Convert(s, "can't read snapshot " + std::to_string(id) + " in " + dir_);
  return FromInfo(info, with_files);
}

std::vector<uint32_t> BackupStore::Corrupt() const {
  std::vector<rocksdb::BackupID> ids;
  reader_->GetCorruptedBackups(&ids);
  return {ids.begin(), ids.end()};
}

Status BackupStore::Verify(uint32_t id) const {
  MeterScope metered(*this, MeterScope::kReads);
  rocksdb::IOStatus s = reader_->VerifyBackup(id, /*verify_with_checksum=*/true);
  return Convert(s, "snapshot " + std::to_string(id) + " in " + dir_ + " failed verification");
}

Status BackupStore::Delete(uint32_t id) {
  if (writer_ == nullptr) return ReadOnly("delete a snapshot");
  rocksdb::IOStatus s = writer_->DeleteBackup(id);
  return Convert(s, "can't delete snapshot " + std::to_string(id) + " in " + dir_);
}

Status BackupStore::GarbageCollect() {
  if (writer_ == nullptr) return ReadOnly("collect garbage");
  return Convert(writer_->GarbageCollect(), "can't clean the snapshot directory " + dir_);
}

Status BackupStore::Restore(uint32_t id, const std::string& db_dir) const {
  MeterScope metered(*this, MeterScope::kWrites);
  rocksdb::IOStatus s = reader_->RestoreDBFromBackup(rocksdb::RestoreOptions(), id, db_dir, db_dir);
  return Convert(s, "can't restore snapshot " + std::to_string(id) + " from " + dir_ + " into " + db_dir);
}

}  // namespace vellum::storage
