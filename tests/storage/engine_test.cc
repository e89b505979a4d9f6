// Engine options that decide how fast a restart serves again.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "storage/codec.h"
#include "storage/engine.h"

namespace vellum::storage {
namespace {

namespace fs = std::filesystem;

uint64_t LiveLogBytes(const std::string& dir) {
  uint64_t n = 0;
  for (const auto& f : fs::directory_iterator(dir)) {
    if (f.path().extension() != ".log") continue;
    // RocksDB's background purge may delete a log between the listing and this call.
    std::error_code ec;
    const uintmax_t size = fs::file_size(f.path(), ec);
    if (!ec) n += size;
  }
  return n;
}

// Regression: the default family is written once (the format record) and its memtable
// then held every log file alive until the next open, which replayed them all.
TEST(EngineTest, LiveLogStaysBoundedWhileOneFamilyIsIdle) {
  std::string tmpl = (fs::temp_directory_path() / "vellum-engine-XXXXXX").string();
  const std::string root = mkdtemp(tmpl.data());
  {
    EngineOptions o;
    o.dir = root + "/db";
    o.write_buffer_bytes = 256 << 10;
    auto e = Engine::Open(o);
    ASSERT_TRUE(e.ok()) << e.status().message();
    Engine& engine = **e;
    const std::string value(1024, 'v');
    for (int b = 0; b < 64; b++) {  // 16 MB of string records, meta family only
      auto batch = engine.NewBatch();
      for (int i = 0; i < 256; i++) {
        std::string meta;
        codec::EncodeStringMeta(&meta, 0, value);
        batch->PutMeta(codec::MetaKey(0, "key:" + std::to_string(b * 256 + i)), meta);
      }
      ASSERT_TRUE(engine.Write(*batch, false).ok());
      // The cap is 4 x the write buffer (1 MB here); a flush it starts may still run.
      EXPECT_LT(LiveLogBytes(o.dir), 3u << 20) << "after batch " << b;
    }
    ASSERT_TRUE(engine.SyncWal().ok());
  }
  fs::remove_all(root);
}

}  // namespace
}  // namespace vellum::storage
