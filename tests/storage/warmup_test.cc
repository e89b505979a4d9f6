// The warm-up on real RocksDB: a keyspace served right after a restart, while its keys are
// still on disk. A "before" keyspace writes every type through a persister; a fresh
// keyspace then warms up from the same engine, with a second persister taking its
// writes. Lookups read keys the loader has not reached; a key written or deleted during
// the warm-up keeps what the client did (the loader never brings back an older copy);
// FLUSHDB and SWAPDB apply to keys still on disk; fetches install a command's keys
// beforehand. The loader and readers run on their own threads ("Thread" in the name:
// `make tsan` runs these under TSan).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <optional>
#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "storage/digest.h"
#include "storage/engine.h"
#include "storage/keyspace.h"
#include "storage/persister.h"
#include "storage/warmup.h"
#include "tests/storage/keyspace_writes.h"
#include "tests/storage/open_engine.h"
#include "tests/temp_dir.h"

namespace vellum::storage {
namespace {

using testing::MemoryDigest;
using testing::WallMs;

// 1000 strings in db 0 ("s0000".."s0999"), then the collections in db 3 with longer
// names, so they sort after the loader's first chunks.
constexpr int kStrings = 1000;

class WarmupThreadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = testing::OpenEngine(dir_ / "db");
    ASSERT_NE(engine_, nullptr);

    Keyspace before(4);
    Persister writer(&before, engine_.get(), Persister::Mode::kEverysec, 0);
    before.set_listener(&writer);
    writer.Start();
    for (int i = 0; i < kStrings; i++) {
      char key[16];
      std::snprintf(key, sizeof key, "s%04d", i);
      testing::SetString(before, 0, key, "v" + std::to_string(i));
    }
    testing::SetString(before, 0, "ttl-key", "soon", WallMs() + 3'600'000);
    for (int f = 0; f < 5; f++) {
      testing::SetHashField(before, 3, "collection:hash", "f" + std::to_string(f), "x");
      testing::AddSetMember(before, 3, "collection:set", "m" + std::to_string(f));
      testing::PushList(before, 3, "collection:list", "e" + std::to_string(f), false);
      testing::ZAddOrRem(before, 3, "collection:zset", "z" + std::to_string(f), f * 1.5);
    }
    testing::SetString(before, 3, "collection:string-at-the-end", "last");
    ASSERT_TRUE(writer.Drain(10000).ok());
    expected_ = MemoryDigest(before);
    writer.Stop();
    before.set_listener(nullptr);
  }
  void TearDown() override {
    if (warmup_) warmup_->Stop();
    if (persister_) persister_->Stop();
    warmup_.reset();
    persister_.reset();
    keyspace_.reset();
    engine_.reset();
  }

  // The restart: an empty keyspace that warms up at `pace` keys a second (a chunk of
  // pace / 4 keys, at least 16, loads at once; at pace 1 the next one comes 16 s later).
  void Restart(uint64_t pace) {
    if (warmup_) warmup_->Stop();
    if (persister_) persister_->Stop();
    warmup_.reset();
    persister_.reset();
    keyspace_ = std::make_unique<Keyspace>(4);
    persister_ = std::make_unique<Persister>(keyspace_.get(), engine_.get(),
                                             Persister::Mode::kEverysec, 0);
    keyspace_->set_listener(persister_.get());
    persister_->Start();
    Warmup::Options o;
    o.keys_per_sec = pace;
    warmup_ = std::make_unique<Warmup>(engine_.get(), keyspace_.get(), &clock_, o);
    warmup_->Start();
  }
  void WaitDone() {
    warmup_->SetPace(0);
    std::promise<void> done;
    warmup_->WhenDone([&](Status st) {
      EXPECT_TRUE(st.ok()) << st.message();
      done.set_value();
    });
    ASSERT_EQ(done.get_future().wait_for(std::chrono::seconds(30)), std::future_status::ready);
    EXPECT_FALSE(keyspace_->warming());
  }
  // A string's value as a GET would see it (nullopt: absent).
  std::optional<std::string> Get(int db, const std::string& key) {
    std::lock_guard<ShardMutexType> lock(keyspace_->ShardMutex(keyspace_->ShardOf(key)));
    const Entry* e = keyspace_->FindForRead(db, key, WallMs());
    if (e == nullptr) return std::nullopt;
    return std::string(e->str());
  }
  bool InMemory(int db, const std::string& key) {
    std::lock_guard<ShardMutexType> lock(keyspace_->ShardMutex(keyspace_->ShardOf(key)));
    return keyspace_->Peek(db, key) != nullptr;
  }

  testing_support::TempDir dir_{"warmup"};
  std::unique_ptr<Engine> engine_;
  Digest expected_;
  SystemClock clock_;
  std::unique_ptr<Keyspace> keyspace_;
  std::unique_ptr<Persister> persister_;
  std::unique_ptr<Warmup> warmup_;
};

TEST_F(WarmupThreadTest, LoadsEveryKeyOfEveryTypeAndEnds) {
  Restart(0);
  WaitDone();
  EXPECT_EQ(MemoryDigest(*keyspace_), expected_);
  const Warmup::Stats s = warmup_->stats();
  EXPECT_FALSE(s.in_progress);
  EXPECT_EQ(s.keys_loaded, kStrings + 6u);
  EXPECT_EQ(s.errors, 0u);
  EXPECT_EQ(keyspace_->sync_disk_reads(), 0u);
}

TEST_F(WarmupThreadTest, AKeyNotLoadedYetIsReadThroughFromDisk) {
  Restart(1);  // the first chunk, then nothing for minutes
  ASSERT_FALSE(InMemory(3, "collection:string-at-the-end"));
  EXPECT_EQ(Get(3, "collection:string-at-the-end"), "last");
  EXPECT_EQ(keyspace_->sync_disk_reads(), 1u);
  EXPECT_EQ(Get(3, "collection:string-at-the-end"), "last");  // in memory now
  EXPECT_EQ(Get(3, "no-such-key"), std::nullopt);
  EXPECT_EQ(Get(3, "no-such-key"), std::nullopt);  // remembered as absent
  EXPECT_EQ(keyspace_->sync_disk_reads(), 2u);
  EXPECT_TRUE(keyspace_->warming());
  WaitDone();
  EXPECT_EQ(MemoryDigest(*keyspace_), expected_);
}

TEST_F(WarmupThreadTest, AKeyDeletedDuringTheWarmupIsNotBroughtBack) {
  Restart(1);
  // Deleted before the loader reached it, and before its deletion reached the disk
  // (the loader's chunks still read it there).
  persister_->Stop();
  testing::DeleteKey(*keyspace_, 0, "s0900");
  testing::DeleteKey(*keyspace_, 3, "collection:hash");
  WaitDone();
  EXPECT_EQ(Get(0, "s0900"), std::nullopt);
  EXPECT_EQ(Get(3, "collection:hash"), std::nullopt);
  EXPECT_EQ(Get(0, "s0899"), "v899");
}

TEST_F(WarmupThreadTest, AFieldWrittenDuringTheWarmupKeepsTheOtherFields) {
  Restart(1);
  testing::SetHashField(*keyspace_, 3, "collection:hash", "new", "y", /*field_only=*/true);
  testing::SetString(*keyspace_, 0, "s0950", "overwritten");
  WaitDone();
  {
    std::lock_guard<ShardMutexType> lock(keyspace_->ShardMutex(keyspace_->ShardOf("collection:hash")));
    const Entry* e = keyspace_->Find(3, "collection:hash", WallMs());
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->hash_value->size(), 6u);
  }
  EXPECT_EQ(Get(0, "s0950"), "overwritten");
  // ... and so does the disk: one field was written, under the loaded version.
  ASSERT_TRUE(persister_->Drain(10000).ok());
  Restart(0);
  WaitDone();
  EXPECT_EQ(Get(0, "s0950"), "overwritten");
  std::lock_guard<ShardMutexType> lock(keyspace_->ShardMutex(keyspace_->ShardOf("collection:hash")));
  EXPECT_EQ(keyspace_->Find(3, "collection:hash", WallMs())->hash_value->size(), 6u);
}

TEST_F(WarmupThreadTest, FetchInstallsACommandsKeysBeforeItRuns) {
  Restart(1);
  std::promise<Status> fetched;
  warmup_->Fetch({{3, "collection:zset"}, {3, "collection:absent"}},
                 [&](Status st) { fetched.set_value(st); });
  auto f = fetched.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_TRUE(f.get().ok());
  EXPECT_TRUE(InMemory(3, "collection:zset"));
  {
    std::lock_guard<ShardMutexType> lock(keyspace_->ShardMutex(keyspace_->ShardOf("collection:absent")));
    EXPECT_FALSE(keyspace_->NeedsDisk(3, "collection:absent"));
    EXPECT_FALSE(keyspace_->NeedsDisk(3, "collection:zset"));
    EXPECT_TRUE(keyspace_->NeedsDisk(3, "collection:set"));
  }
  EXPECT_EQ(keyspace_->sync_disk_reads(), 0u);
  EXPECT_EQ(warmup_->stats().fetched_keys, 2u);
}

// Regression: the readers and the loader's pauses shared one condition variable, and a
// fetch's notify_one could wake the pausing loader instead of a reader: that fetch then
// waited for the next one.
TEST_F(WarmupThreadTest, EveryFetchIsServedWhileTheLoaderPauses) {
  Restart(1);
  for (int i = 0; i < 100; i++) {
    char key[16];
    std::snprintf(key, sizeof key, "s%04d", kStrings - 1 - i);
    std::promise<Status> fetched;
    warmup_->Fetch({{0, key}}, [&](Status st) { fetched.set_value(st); });
    auto f = fetched.get_future();
    ASSERT_EQ(f.wait_for(std::chrono::seconds(5)), std::future_status::ready) << i;
    EXPECT_TRUE(f.get().ok());
  }
  EXPECT_EQ(warmup_->stats().fetched_keys, 100u);
}

// A replica's full sync puts another database in the engine: Restart empties the
// keyspace (here: memory had drifted from the disk, the persister being stopped, as a
// replica's follows) and warms up again from what the disk holds.
TEST_F(WarmupThreadTest, RestartEmptiesTheKeyspaceAndWarmsUpAgain) {
  Restart(1);
  persister_->Stop();
  testing::SetString(*keyspace_, 0, "memory-only", "x");
  testing::DeleteKey(*keyspace_, 0, "s0999");
  warmup_->Restart([&] { testing::WithAllLocks(*keyspace_, [&] { keyspace_->FlushAll(); }); });
  EXPECT_TRUE(keyspace_->warming());
  EXPECT_EQ(Get(0, "s0999"), "v999");  // read from disk again
  WaitDone();
  EXPECT_EQ(MemoryDigest(*keyspace_), expected_);
  EXPECT_EQ(warmup_->stats().keys_loaded, kStrings + 5u);  // s0999 came by the fallback
}

TEST_F(WarmupThreadTest, FlushDbDuringTheWarmupDropsThatDbsKeysStillOnDisk) {
  Restart(1);
  testing::WithAllLocks(*keyspace_, [&] { keyspace_->FlushDb(3); });
  EXPECT_EQ(Get(3, "collection:string-at-the-end"), std::nullopt);
  EXPECT_EQ(keyspace_->sync_disk_reads(), 0u);
  WaitDone();
  EXPECT_EQ(keyspace_->DbSize(3), 0u);
  EXPECT_EQ(keyspace_->DbSize(0), kStrings + 1u);
}

TEST_F(WarmupThreadTest, SwapDbDuringTheWarmupMovesKeysStillOnDisk) {
  Restart(1);
  testing::WithAllLocks(*keyspace_, [&] { keyspace_->SwapDb(0, 3); });
  EXPECT_EQ(Get(0, "collection:string-at-the-end"), "last");
  EXPECT_EQ(Get(3, "s0999"), "v999");
  WaitDone();
  EXPECT_EQ(keyspace_->DbSize(0), 5u);
  EXPECT_EQ(keyspace_->DbSize(3), kStrings + 1u);
}

// Writers race the loader at full speed: each appends to keys the loader may be
// installing at that moment. A loader that put back an older copy over a written key
// would lose an append.
TEST_F(WarmupThreadTest, WritersRacingTheLoaderLoseNothing) {
  Restart(0);
  constexpr int kWriters = 4, kRounds = 50;
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; w++) {
    writers.emplace_back([&, w] {
      for (int r = 0; r < kRounds; r++) {
        for (int i = w; i < kStrings; i += 37) {
          char key[16];
          std::snprintf(key, sizeof key, "s%04d", i);
          std::lock_guard<ShardMutexType> lock(keyspace_->ShardMutex(keyspace_->ShardOf(key)));
          Entry* e = keyspace_->FindForWrite(0, key, WallMs());
          ASSERT_NE(e, nullptr) << key;
          e->SetStr(std::string(e->str()) + static_cast<char>('a' + w));
        }
      }
    });
  }
  for (auto& t : writers) t.join();
  WaitDone();
  for (int i = 0; i < kStrings; i++) {
    char key[16];
    std::snprintf(key, sizeof key, "s%04d", i);
    std::string value = *Get(0, key);
    size_t appended = value.size() - ("v" + std::to_string(i)).size();
    size_t expected = 0;
    for (int w = 0; w < kWriters; w++) {
      if ((i - w) >= 0 && (i - w) % 37 == 0) expected += kRounds;
    }
    EXPECT_EQ(appended, expected) << key;
  }
}

}  // namespace
}  // namespace vellum::storage
