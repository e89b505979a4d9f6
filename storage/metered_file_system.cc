#include "storage/metered_file_system.h"

namespace vellum::storage {
namespace {

void Count(const std::atomic<ProgressMeter*>& meter, uint64_t n) {
  if (ProgressMeter* m = meter.load(std::memory_order_acquire)) m->Add(n);
}

// `s`, after counting n bytes if it is ok.
rocksdb::IOStatus Counted(rocksdb::IOStatus s, const std::atomic<ProgressMeter*>& meter,
                          uint64_t n) {
  if (s.ok()) Count(meter, n);
  return s;
}

class MeteredSequentialFile final : public rocksdb::FSSequentialFileOwnerWrapper {
 public:
  using Wrapper = rocksdb::FSSequentialFileOwnerWrapper;
  MeteredSequentialFile(std::unique_ptr<rocksdb::FSSequentialFile> f,
                        const std::atomic<ProgressMeter*>& meter)
      : Wrapper(std::move(f)), meter_(meter) {}
  rocksdb::IOStatus Read(size_t n, const rocksdb::IOOptions& o, rocksdb::Slice* result,
                         char* scratch, rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = Wrapper::Read(n, o, result, scratch, dbg);
    return Counted(s, meter_, s.ok() ? result->size() : 0);
  }
  rocksdb::IOStatus PositionedRead(uint64_t offset, size_t n, const rocksdb::IOOptions& o,
                                   rocksdb::Slice* result, char* scratch,
                                   rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = Wrapper::PositionedRead(offset, n, o, result, scratch, dbg);
    return Counted(s, meter_, s.ok() ? result->size() : 0);
  }

 private:
  const std::atomic<ProgressMeter*>& meter_;
};

class MeteredWritableFile final : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  using Wrapper = rocksdb::FSWritableFileOwnerWrapper;
  MeteredWritableFile(std::unique_ptr<rocksdb::FSWritableFile> f,
                      const std::atomic<ProgressMeter*>& meter)
      : Wrapper(std::move(f)), meter_(meter) {}
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                           rocksdb::IODebugContext* dbg) override {
    return Counted(Wrapper::Append(data, o, dbg), meter_, data.size());
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                           const rocksdb::DataVerificationInfo& info,
                           rocksdb::IODebugContext* dbg) override {
    return Counted(Wrapper::Append(data, o, info, dbg), meter_, data.size());
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                     const rocksdb::IOOptions& o,
                                     rocksdb::IODebugContext* dbg) override {
    return Counted(Wrapper::PositionedAppend(data, offset, o, dbg), meter_, data.size());
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                     const rocksdb::IOOptions& o,
                                     const rocksdb::DataVerificationInfo& info,
                                     rocksdb::IODebugContext* dbg) override {
    return Counted(Wrapper::PositionedAppend(data, offset, o, info, dbg), meter_, data.size());
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
