#include "storage/metered_file_system.h"

namespace vellum::storage {
namespace {

void Count(const std::atomic<ProgressMeter*>& meter, uint64_t n) {
  if (ProgressMeter* m = meter.load(std::memory_order_acquire)) m->Add(n);
}

class MeteredSequentialFile final : public rocksdb::FSSequentialFileOwnerWrapper {
 public:
  MeteredSequentialFile(std::unique_ptr<rocksdb::FSSequentialFile> f,
                        const std::atomic<ProgressMeter*>& meter)
      : FSSequentialFileOwnerWrapper(std::move(f)), meter_(meter) {}
  rocksdb::IOStatus Read(size_t n, const rocksdb::IOOptions& o, rocksdb::Slice* result,
                         char* scratch, rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = FSSequentialFileOwnerWrapper::Read(n, o, result, scratch, dbg);
    if (s.ok()) Count(meter_, result->size());
    return s;
  }
  rocksdb::IOStatus PositionedRead(uint64_t offset, size_t n, const rocksdb::IOOptions& o,
                                   rocksdb::Slice* result, char* scratch,
                                   rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s =
        FSSequentialFileOwnerWrapper::PositionedRead(offset, n, o, result, scratch, dbg);
    if (s.ok()) Count(meter_, result->size());
    return s;
  }

 private:
  const std::atomic<ProgressMeter*>& meter_;
};

class MeteredWritableFile final : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  MeteredWritableFile(std::unique_ptr<rocksdb::FSWritableFile> f,
                      const std::atomic<ProgressMeter*>& meter)
      : FSWritableFileOwnerWrapper(std::move(f)), meter_(meter) {}
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                           rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = FSWritableFileOwnerWrapper::Append(data, o, dbg);
    if (s.ok()) Count(meter_, data.size());
    return s;
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                           const rocksdb::DataVerificationInfo& info,
                           rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = FSWritableFileOwnerWrapper::Append(data, o, info, dbg);
    if (s.ok()) Count(meter_, data.size());
    return s;
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                     const rocksdb::IOOptions& o,
                                     rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = FSWritableFileOwnerWrapper::PositionedAppend(data, offset, o, dbg);
    if (s.ok()) Count(meter_, data.size());
    return s;
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                     const rocksdb::IOOptions& o,
                                     const rocksdb::DataVerificationInfo& info,
                                     rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = FSWritableFileOwnerWrapper::PositionedAppend(data, offset, o, info, dbg);
    if (s.ok()) Count(meter_, data.size());
    return s;
  }

 private:
  const std::atomic<ProgressMeter*>& meter_;
};

}  // namespace

rocksdb::IOStatus MeteredFileSystem::NewSequentialFile(
    const std::string& f, const rocksdb::FileOptions& o,
    std::unique_ptr<rocksdb::FSSequentialFile>* r, rocksdb::IODebugContext* dbg) {
  std::unique_ptr<rocksdb::FSSequentialFile> file;
  rocksdb::IOStatus s = target()->NewSequentialFile(f, o, &file, dbg);
  if (s.ok()) *r = std::make_unique<MeteredSequentialFile>(std::move(file), read_meter_);
  return s;
}

rocksdb::IOStatus MeteredFileSystem::NewWritableFile(const std::string& f,
                                                     const rocksdb::FileOptions& o,
                                                     std::unique_ptr<rocksdb::FSWritableFile>* r,
                                                     rocksdb::IODebugContext* dbg) {
  std::unique_ptr<rocksdb::FSWritableFile> file;
  rocksdb::IOStatus s = target()->NewWritableFile(f, o, &file, dbg);
  if (s.ok()) *r = std::make_unique<MeteredWritableFile>(std::move(file), write_meter_);
  return s;
}

}  // namespace vellum::storage
