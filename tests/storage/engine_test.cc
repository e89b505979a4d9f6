// Engine options that decide how fast a restart serves again.
#include "storage/engine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>

#include "storage/codec.h"
#include "tests/storage/open_engine.h"
#include "tests/temp_dir.h"

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

// Batch `b`: 256 string records of 1 KiB in the meta family (keys key:<b*256>...).
Status WriteKibStrings(Engine& engine, int b) {
  const std::string value(1024, 'v');
  auto batch = engine.NewBatch();
  for (int i = 0; i < 256; i++) batch->PutString(0, "key:" + std::to_string(b * 256 + i), 0, value);
  return engine.Write(*batch, false);
}

// Regression: the default family is written once (the format record) and its memtable
// then held every log file alive until the next open, which replayed them all.
TEST(EngineTest, LiveLogStaysBoundedWhileOneFamilyIsIdle) {
  testing_support::TempDir root("engine");
  EngineOptions o;
  o.dir = root / "db";
  o.write_buffer_bytes = 256 << 10;
  auto e = Engine::Open(o);
  ASSERT_TRUE(e.ok()) << e.status().message();
  Engine& engine = **e;
  for (int b = 0; b < 64; b++) {  // 16 MB of string records, meta family only
    ASSERT_TRUE(WriteKibStrings(engine, b).ok());
    // The cap is 4 x the write buffer (1 MB here); a flush it starts may still run.
    EXPECT_LT(LiveLogBytes(o.dir), 3u << 20) << "after batch " << b;
  }
  ASSERT_TRUE(engine.SyncWal().ok());
}

uint64_t ArchiveBytes(const std::string& dir) {
  return fs::exists(dir + "/archive") ? LiveLogBytes(dir + "/archive") : 0;
}

// A database that keeps its flushed logs for replicas (an hour, up to 1 MB).
EngineOptions Archiving(const std::string& dir) {
  EngineOptions o;
  o.dir = dir;
  o.write_buffer_bytes = 256 << 10;
  o.log_keep_seconds = 3600;
  o.log_keep_mb = 1;
  return o;
}

// 8 MB of records, flushed every 1 MB: their logs go to archive/.
void WriteArchivedLogs(Engine& engine) {
  for (int b = 0; b < 32; b++) {
    ASSERT_TRUE(WriteKibStrings(engine, b).ok());
    if (b % 4 == 3) {
      ASSERT_TRUE(engine.Flush().ok());
    }
  }
}

// Regression: RocksDB enforces WAL_size_limit_MB only every ten minutes, and a 4-minute
// benchmark filled the disk with 18 GB of archived log under a 1 GB limit.
TEST(EngineTest, TrimLogArchiveKeepsTheBacklogWithinItsLimitOldestFirstUnlessPinned) {
  testing_support::TempDir root("engine");
  const EngineOptions o = Archiving(root / "db");
  auto e = Engine::Open(o);
  ASSERT_TRUE(e.ok()) << e.status().message();
  Engine& engine = **e;
  WriteArchivedLogs(engine);
  ASSERT_GT(ArchiveBytes(o.dir), 2u << 20);  // RocksDB's own purge has not run yet
  fs::path newest;  // names are their numbers in six zero-padded digits: the greatest is newest
  for (const auto& f : fs::directory_iterator(o.dir + "/archive")) {
    newest = std::max(newest, f.path());
  }
  // Pinned for a replica's full sync: the log it needs stays, whatever the limit.
  ASSERT_TRUE(engine.PinFiles().ok());
  EXPECT_EQ(engine.TrimLogArchive(), 0u);
  ASSERT_TRUE(engine.UnpinFiles().ok());
  EXPECT_GT(engine.TrimLogArchive(), 0u);
  EXPECT_LE(ArchiveBytes(o.dir), 1u << 20);
  // The newest log is the one a replica needs next: the oldest went first.
  EXPECT_TRUE(fs::exists(newest)) << newest;
  EXPECT_EQ(engine.TrimLogArchive(), 0u);  // within the limit: nothing more
}

// INFO's repl_backlog_*: measured (not read on each INFO), the first sequence the log
// holds moves on when the oldest archived files are trimmed, and the bytes follow.
TEST(EngineTest, MeasureLogBacklogFollowsTheOldestLogFileKept) {
  testing_support::TempDir root("engine");
  auto e = Engine::Open(Archiving(root / "db"));
  ASSERT_TRUE(e.ok()) << e.status().message();
  Engine& engine = **e;
  EXPECT_TRUE(engine.log_backlog().kept);
  EXPECT_EQ(engine.log_backlog().limit_bytes, 1u << 20);
  EXPECT_EQ(engine.log_backlog().first_sequence, 0u);  // not measured yet
  WriteArchivedLogs(engine);
  engine.MeasureLogBacklog();
  const Engine::LogBacklog all = engine.log_backlog();
  EXPECT_GE(all.first_sequence, 1u);
  EXPECT_LE(all.first_sequence, 256u);  // the first batch's, still held
  EXPECT_GT(all.bytes, 2u << 20);
  ASSERT_GT(engine.TrimLogArchive(), 0u);
  engine.MeasureLogBacklog();
  const Engine::LogBacklog trimmed = engine.log_backlog();
  EXPECT_GT(trimmed.first_sequence, all.first_sequence);
  EXPECT_LE(trimmed.first_sequence, engine.LatestSequence() + 1);
  EXPECT_LT(trimmed.bytes, all.bytes);
}

TEST(EngineTest, NoLogKeptForReplicasIsNoBacklog) {
  testing_support::TempDir root("engine");
  EngineOptions o;
  o.dir = root / "db";
  auto e = Engine::Open(o);
  ASSERT_TRUE(e.ok()) << e.status().message();
  EXPECT_FALSE((*e)->log_backlog().kept);
  EXPECT_EQ((*e)->log_backlog().limit_bytes, 0u);
}

TEST(EngineTest, PutStringWritesAStringsMetaRecordAsFormatMdSays) {
  testing_support::TempDir root("engine");
  std::unique_ptr<Engine> engine = testing::OpenEngine(root / "db");
  ASSERT_NE(engine, nullptr);
  auto batch = engine->NewBatch();
  batch->PutString(3, "page:/", 1'900'000'000'000, "<html>");
  ASSERT_TRUE(engine->Write(*batch, false).ok());

  std::string raw;
  bool found = false;
  ASSERT_TRUE(engine->GetMeta(codec::MetaKey(3, "page:/"), &raw, &found).ok());
  ASSERT_TRUE(found);
  std::string expected;
  codec::EncodeStringMeta(&expected, 1'900'000'000'000, "<html>");
  EXPECT_EQ(raw, expected);
  codec::Meta meta;
  ASSERT_TRUE(codec::DecodeMeta(raw, &meta).ok());
  EXPECT_EQ(meta.type, codec::DiskType::kString);
  EXPECT_EQ(meta.expire_at_ms, 1'900'000'000'000);
  EXPECT_EQ(meta.payload, "<html>");
}

}  // namespace
}  // namespace vellum::storage
