// SummarizeDisk split over threads (Engine::MetaSplitKeys): the same summary as one walk.
#include "storage/disk_walk.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "common/clock.h"
#include "storage/codec.h"
#include "tests/storage/open_engine.h"
#include "tests/temp_dir.h"

namespace vellum::storage {
namespace {

class DiskWalkThreadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EngineOptions o;
    o.dir = dir_ / "db";
    o.write_buffer_bytes = 256 << 10;
    o.auto_compactions = false;  // the flushed files stay apart: something to split
    engine_ = testing::OpenEngine(o);
    ASSERT_NE(engine_, nullptr);
  }

  // `files` flushed table files of 300 keys each over three databases: strings (some
  // expiring), hashes of two fields and sets of three members.
  void Fill(int files) {
    for (int f = 0; f < files; f++) {
      auto batch = engine_->NewBatch();
      for (int i = 0; i < 300; i++) {
        const int n = f * 300 + i;
        const auto pdb = static_cast<uint8_t>(n % 3);
        const std::string key = "key:" + std::to_string(n);
        std::string meta;
        if (n % 5 == 0) {
          codec::EncodeCollectionMeta(&meta, codec::DiskType::kHash, 0, n + 1);
          batch->PutSub(codec::SubKey(pdb, key, n + 1, "name"), "page " + std::to_string(n));
          batch->PutSub(codec::SubKey(pdb, key, n + 1, "body"), std::string(200, 'b'));
        } else if (n % 5 == 1) {
          codec::EncodeCollectionMeta(&meta, codec::DiskType::kSet, 0, n + 1);
          for (const char* m : {"a", "b", "c"})
            batch->PutSub(codec::SubKey(pdb, key, n + 1, m), "");
        } else {
          const int64_t expire =
              n % 7 == 0 ? now_ms_ + kHourMs : (n % 2 ? now_ms_ + 3 * kHourMs : 0);
          codec::EncodeStringMeta(&meta, expire, std::string(100 + n % 50, 'v'));
        }
        batch->PutMeta(codec::MetaKey(pdb, key), meta);
      }
      ASSERT_TRUE(engine_->Write(*batch, false).ok());
      ASSERT_TRUE(engine_->Flush().ok());
    }
  }

  // The compaction filter judges expiry by the real clock: the keys expire in an hour (every
  // seventh string) or three, and the walks look two hours ahead.
  static constexpr int64_t kHourMs = 3'600'000;
  const int64_t now_ms_ = SystemClock().NowMs();
  const int64_t walk_ms_ = now_ms_ + 2 * kHourMs;
  testing_support::TempDir dir_{"walk"};
  std::unique_ptr<Engine> engine_;  // after dir_: closed before it goes
};

TEST_F(DiskWalkThreadTest, SplitKeysCutTheMetaFilesInOrder) {
  Fill(8);
  EXPECT_TRUE(engine_->MetaSplitKeys(1).empty());
  const std::vector<std::string> cuts = engine_->MetaSplitKeys(4);
  ASSERT_GE(cuts.size(), 1u);
  ASSERT_LE(cuts.size(), 3u);
  for (size_t i = 1; i < cuts.size(); i++) EXPECT_LT(cuts[i - 1], cuts[i]);
}

TEST_F(DiskWalkThreadTest, ASummaryOverSeveralThreadsEqualsOneWalks) {
  Fill(8);
  auto one = SummarizeDisk(*engine_, walk_ms_, nullptr, 1);
  ASSERT_TRUE(one.ok()) << one.status().message();
  EXPECT_EQ(one->keys + one->expired, 8u * 300);
  EXPECT_GT(one->expired, 0u);
  for (int threads : {2, 3, 4, 8}) {
    ProgressMeter meter;
    meter.Begin("digest", ProgressMeter::Unit::kKeys, 0);
    auto many = SummarizeDisk(*engine_, walk_ms_, &meter, threads);
    ASSERT_TRUE(many.ok()) << many.status().message();
    EXPECT_EQ(many->digest, one->digest) << threads << " threads";
    EXPECT_EQ(many->keys, one->keys);
    EXPECT_EQ(many->keys_by_db, one->keys_by_db);
    EXPECT_EQ(many->expired, one->expired);
    EXPECT_EQ(meter.Read().current.done, one->keys);
  }
}

TEST_F(DiskWalkThreadTest, AnEmptyDatabaseSummarizesToNothing) {
  auto s = SummarizeDisk(*engine_, walk_ms_, nullptr, 4);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->keys, 0u);
  EXPECT_TRUE(s->digest.zero());
}

}  // namespace
}  // namespace vellum::storage
