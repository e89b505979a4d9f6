// Tiering on real RocksDB: values dropped from memory (Keyspace::Offload) once the
// persister has written them, the key left in memory, the value read back by a lookup
// (on the calling thread) or by a fetch (Warmup's readers), and never an older copy of it.
// The persister and the readers run on their own threads ("Thread" in the name: `make
// tsan` runs these under TSan).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "storage/disk_record.h"
#include "storage/engine.h"
#include "storage/eviction.h"
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

class TieringThreadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = testing::OpenEngine(dir_ / "db");
    ASSERT_NE(engine_, nullptr);
    Start();
  }
  void TearDown() override {
    Stop();
    engine_.reset();
  }
  // A server over the engine: keyspace, persister (the offload guard), readers.
  void Start(bool warm_up = false) {
    keyspace_ = std::make_unique<Keyspace>(4);
    persister_ =
        std::make_unique<Persister>(keyspace_.get(), engine_.get(), Persister::Mode::kEverysec, 0);
    keyspace_->set_listener(persister_.get());
    keyspace_->set_offload_guard(persister_.get());
    persister_->Start();
    warmup_ = std::make_unique<Warmup>(engine_.get(), keyspace_.get(), &clock_, Warmup::Options{});
    if (warm_up) {
      warmup_->set_values_fit([this] { return values_fit_.load(); });
      warmup_->Start();
    } else {
      warmup_->ServeReads();
    }
  }
  void Stop() {
    if (warmup_) warmup_->Stop();
    if (persister_) persister_->Stop();
    warmup_.reset();
    persister_.reset();
    keyspace_.reset();
  }
  void Persisted() { ASSERT_TRUE(persister_->Drain(10000).ok()); }
  Keyspace::OffloadResult Offload(int db, const std::string& key) {
    return keyspace_->Offload(db, key, HashKey(key), WallMs(), [](const Entry&) { return true; });
  }
  bool OnDiskOnly(int db, const std::string& key) {
    std::lock_guard<ShardMutexType> lock(keyspace_->ShardMutex(keyspace_->ShardOf(key)));
    const Entry* e = keyspace_->Peek(db, key);
    return e != nullptr && e->on_disk;
  }
  std::optional<std::string> Get(int db, const std::string& key) {
    std::lock_guard<ShardMutexType> lock(keyspace_->ShardMutex(keyspace_->ShardOf(key)));
    const Entry* e = keyspace_->FindForRead(db, key, WallMs());
    if (e == nullptr) return std::nullopt;
    return std::string(e->str());
  }
  // What the dispatcher does before a command: the readers install the keys.
  Status Fetch(int db, const std::string& key) {
    std::promise<Status> done;
    warmup_->Fetch({{db, key}}, [&](Status st) { done.set_value(st); });
    auto f = done.get_future();
    EXPECT_EQ(f.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    return f.get();
  }

  testing_support::TempDir dir_{"tiering"};
  SystemClock clock_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<Keyspace> keyspace_;
  std::unique_ptr<Persister> persister_;
  std::unique_ptr<Warmup> warmup_;
  std::atomic<bool> values_fit_{true};
};

TEST_F(TieringThreadTest, AnOffloadedValueLeavesItsKeyInMemoryAndReadsBack) {
  const std::string big(8192, 'p');
  testing::SetString(*keyspace_, 0, "page", big + "1", WallMs() + 3'600'000);
  testing::SetHashField(*keyspace_, 2, "h", "f", "v");
  Persisted();
  const Digest before = MemoryDigest(*keyspace_);
  ASSERT_EQ(Offload(0, "page"), Keyspace::OffloadResult::kOffloaded);
  ASSERT_EQ(Offload(2, "h"), Keyspace::OffloadResult::kOffloaded);
  EXPECT_EQ(Offload(2, "h"), Keyspace::OffloadResult::kGone);  // nothing left to drop
  EXPECT_TRUE(OnDiskOnly(0, "page"));
  EXPECT_EQ(keyspace_->DbSize(0), 1u);
  EXPECT_EQ(keyspace_->VolatileSize(0), 1u);  // its expiry stays in memory
  EXPECT_EQ(keyspace_->OnDiskSize(), 2u);
  EXPECT_EQ(keyspace_->offloads(), 2u);
  {
    std::lock_guard<ShardMutexType> lock(keyspace_->ShardMutex(keyspace_->ShardOf("page")));
    const Entry* stub = keyspace_->Peek(0, "page");
    EXPECT_LT(Keyspace::EntryMemory(*stub), 200u);
    EXPECT_EQ(stub->type, ValueType::kString);
  }
  // The lookup reads it back on this thread; the hash comes back through a fetch.
  EXPECT_EQ(Get(0, "page"), big + "1");
  EXPECT_FALSE(OnDiskOnly(0, "page"));
  ASSERT_TRUE(Fetch(2, "h").ok());
  EXPECT_FALSE(OnDiskOnly(2, "h"));
  EXPECT_EQ(keyspace_->reads_back(), 2u);
  EXPECT_EQ(keyspace_->disk_hits(), 1u);  // the GET's; the hash is not looked up yet
  EXPECT_TRUE(Get(0, "page").has_value());
  EXPECT_EQ(keyspace_->disk_hits(), 1u);  // in memory now
  EXPECT_EQ(keyspace_->OnDiskSize(), 0u);
  EXPECT_EQ(MemoryDigest(*keyspace_), before);
}

TEST_F(TieringThreadTest, AValueReadBackForACommandStaysUntilALookupUsesIt) {
  testing::SetString(*keyspace_, 0, "k", "v");
  Persisted();
  ASSERT_EQ(Offload(0, "k"), Keyspace::OffloadResult::kOffloaded);
  ASSERT_TRUE(Fetch(0, "k").ok());
  // Another worker's eviction runs before the command does: the value stays.
  EXPECT_EQ(Offload(0, "k"), Keyspace::OffloadResult::kNotWanted);
  EXPECT_EQ(Get(0, "k"), "v");
  EXPECT_EQ(keyspace_->disk_hits(), 1u);
  EXPECT_EQ(Offload(0, "k"), Keyspace::OffloadResult::kOffloaded);
  EXPECT_EQ(keyspace_->sync_disk_reads(), 0u);
  // A value read back for a command that never used it is not kept for long.
  ASSERT_TRUE(Fetch(0, "k").ok());
  EXPECT_EQ(keyspace_->Offload(0, "k", HashKey("k"), WallMs() + Keyspace::kReadBackPinS * 1000 + 1000,
                               [](const Entry&) { return true; }),
            Keyspace::OffloadResult::kOffloaded);
}

TEST_F(TieringThreadTest, OverwritingOrAskingAboutAnOffloadedKeyReadsNothingBack) {
  testing::SetString(*keyspace_, 0, "k", "old", WallMs() + 3'600'000);
  Persisted();
  ASSERT_EQ(Offload(0, "k"), Keyspace::OffloadResult::kOffloaded);
  {
    std::lock_guard<ShardMutexType> lock(keyspace_->ShardMutex(keyspace_->ShardOf("k")));
    EXPECT_FALSE(keyspace_->NeedsDisk(0, "k", /*value_used=*/false));
    EXPECT_TRUE(keyspace_->NeedsDisk(0, "k"));
    const Entry* seen = keyspace_->FindKeyOnly(0, "k", WallMs(), /*count_lookup=*/true);
    ASSERT_NE(seen, nullptr);
    EXPECT_TRUE(seen->on_disk);
    EXPECT_EQ(keyspace_->hits(), 1u);
    Entry* e = keyspace_->FindToOverwrite(0, "k", WallMs(), 3);
    ASSERT_NE(e, nullptr);
    EXPECT_FALSE(e->on_disk);
    EXPECT_TRUE(e->HasExpire());  // kept, for SET KEEPTTL
  }
  EXPECT_EQ(keyspace_->OnDiskSize(), 0u);
  EXPECT_EQ(keyspace_->reads_back(), 0u);
  EXPECT_EQ(keyspace_->sync_disk_reads(), 0u);
}

TEST_F(TieringThreadTest, AValueOnDiskIsReadWhileTheDiskRefusesWrites) {
  testing::SetString(*keyspace_, 0, "k", "on disk");
  Persisted();
  ASSERT_EQ(Offload(0, "k"), Keyspace::OffloadResult::kOffloaded);
  Engine::SetWriteFaults(true);
  // The persister's recovery: the writable open fails, the database stays open read-only.
  const Status reopened = engine_->Reopen();
  const std::optional<std::string> got = Get(0, "k");
  Engine::SetWriteFaults(false);
  EXPECT_FALSE(reopened.ok());
  EXPECT_EQ(got, "on disk");
  ASSERT_TRUE(engine_->Reopen().ok());  // writable again once the disk is
  testing::SetString(*keyspace_, 0, "after", "x");
  Persisted();
}

TEST_F(TieringThreadTest, AValueNotYetWrittenToDiskStaysInMemory) {
  persister_->Stop();  // nothing more reaches the disk
  testing::SetString(*keyspace_, 0, "fresh", "unwritten");
  EXPECT_EQ(Offload(0, "fresh"), Keyspace::OffloadResult::kNotOnDisk);
  EXPECT_EQ(Get(0, "fresh"), "unwritten");
}

TEST_F(TieringThreadTest, AWriteToAnOffloadedHashKeepsItsOtherFields) {
  testing::SetHashField(*keyspace_, 0, "h", "a", "1");
  testing::SetHashField(*keyspace_, 0, "h", "b", "2");
  Persisted();
  ASSERT_EQ(Offload(0, "h"), Keyspace::OffloadResult::kOffloaded);
  testing::SetHashField(*keyspace_, 0, "h", "c", "3", /*field_only=*/true);
  Persisted();
  ASSERT_EQ(Offload(0, "h"), Keyspace::OffloadResult::kOffloaded);
  std::lock_guard<ShardMutexType> lock(keyspace_->ShardMutex(keyspace_->ShardOf("h")));
  const Entry* e = keyspace_->Find(0, "h", WallMs());
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->hash_value->size(), 3u);
  EXPECT_EQ(e->hash_value->Get("a"), "1");
  EXPECT_EQ(e->hash_value->Get("c"), "3");
}

TEST_F(TieringThreadTest, AReadStartedBeforeAnOffloadIsNotInstalledOverIt) {
  testing::SetString(*keyspace_, 0, "k", "old");
  Persisted();
  ASSERT_EQ(Offload(0, "k"), Keyspace::OffloadResult::kOffloaded);
  // A reader takes its epoch and reads "old"...
  const uint64_t epoch = keyspace_->offload_epoch();
  DiskRecord stale;
  bool found = false;
  ASSERT_TRUE(warmup_->Read(keyspace_->DiskDbOf(0), "k", &stale, &found).ok());
  ASSERT_TRUE(found);
  // ...while a client reads it back, changes it, and it is written and offloaded again.
  testing::SetString(*keyspace_, 0, "k", "new");
  Persisted();
  ASSERT_EQ(Offload(0, "k"), Keyspace::OffloadResult::kOffloaded);
  {
    std::lock_guard<ShardMutexType> lock(keyspace_->ShardMutex(keyspace_->ShardOf("k")));
    Result<bool> installed =
        keyspace_->InstallFromDisk(keyspace_->DiskDbOf(0), "k", &stale, WallMs(), epoch);
    ASSERT_TRUE(installed.ok());
    EXPECT_FALSE(*installed);
  }
  EXPECT_EQ(Get(0, "k"), "new");
}

TEST_F(TieringThreadTest, AnOffloadedKeyExpiresAndIsDeletedFromDisk) {
  testing::SetString(*keyspace_, 0, "short", "lived", WallMs() + 150);
  Persisted();
  ASSERT_EQ(Offload(0, "short"), Keyspace::OffloadResult::kOffloaded);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(Get(0, "short"), std::nullopt);
  EXPECT_EQ(keyspace_->expired_keys(), 1u);  // expired, not read back
  EXPECT_EQ(keyspace_->reads_back(), 0u);
  EXPECT_EQ(keyspace_->DbSize(0), 0u);
  Persisted();
  DiskRecord r;
  bool found = true;
  ASSERT_TRUE(warmup_->Read(keyspace_->DiskDbOf(0), "short", &r, &found).ok());
  EXPECT_FALSE(found);
}

TEST_F(TieringThreadTest, DeletingAnOffloadedKeyNeedsNoRead) {
  testing::SetString(*keyspace_, 0, "a", "1");
  testing::SetString(*keyspace_, 0, "b", "2");
  Persisted();
  ASSERT_EQ(Offload(0, "a"), Keyspace::OffloadResult::kOffloaded);
  {
    std::lock_guard<ShardMutexType> lock(keyspace_->ShardMutex(keyspace_->ShardOf("a")));
    EXPECT_TRUE(keyspace_->Erase(0, "a"));
  }
  EXPECT_EQ(keyspace_->reads_back(), 0u);
  Persisted();
  // The disk has it gone, and the other key whole.
  DiskRecord r;
  bool found = true;
  ASSERT_TRUE(warmup_->Read(keyspace_->DiskDbOf(0), "a", &r, &found).ok());
  EXPECT_FALSE(found);
  ASSERT_TRUE(warmup_->Read(keyspace_->DiskDbOf(0), "b", &r, &found).ok());
  EXPECT_TRUE(found);
}

TEST_F(TieringThreadTest, EvictionWithTieringOffloadsAndNeverDeletes) {
  const std::string big(4096, 'x');
  for (int i = 0; i < 64; i++) testing::SetString(*keyspace_, 0, "k" + std::to_string(i), big);
  Persisted();
  static Keyspace* ks = nullptr;
  ks = keyspace_.get();
  // "Used memory": 4096 bytes per value still in memory, one per key.
  Evictor evictor(keyspace_.get(),
                  [] { return (ks->DbSize(0) - ks->OnDiskSize()) * 4096 + ks->DbSize(0); });
  EvictionSettings s;
  s.maxmemory = 16 * 4096;
  s.policy = EvictionPolicy::kAllkeysLru;
  s.tiering = true;
  EXPECT_TRUE(evictor.FreeMemory(s, WallMs()));
  EXPECT_EQ(keyspace_->DbSize(0), 64u);
  EXPECT_EQ(keyspace_->OnDiskSize(), 49u);  // 15 values and 64 keys fit 16 pages
  EXPECT_EQ(keyspace_->evicted_keys(), 0u);
  // Nothing left to offload: fails as noeviction does, and still deletes nothing.
  s.maxmemory = 1;
  EXPECT_FALSE(evictor.FreeMemory(s, WallMs()));
  EXPECT_EQ(keyspace_->DbSize(0), 64u);
  for (int i = 0; i < 64; i++) EXPECT_EQ(Get(0, "k" + std::to_string(i)), big) << i;
}

TEST_F(TieringThreadTest, EvictionWaitsForThePersisterRatherThanRefusing) {
  persister_->Stop();
  const std::string big(4096, 'x');
  for (int i = 0; i < 8; i++) testing::SetString(*keyspace_, 0, "k" + std::to_string(i), big);
  static std::atomic<uint64_t> used{1200};
  Evictor evictor(keyspace_.get(), [] { return used.load(); });
  EvictionSettings s;
  s.maxmemory = 1000;
  s.policy = EvictionPolicy::kAllkeysLru;
  s.tiering = true;
  EXPECT_TRUE(evictor.FreeMemory(s, WallMs()));
  EXPECT_EQ(evictor.behind(), 1u);
  EXPECT_EQ(keyspace_->OnDiskSize(), 0u);
  // A persister that cannot write: up to half as much again, then refused.
  used = 1600;
  EXPECT_FALSE(evictor.FreeMemory(s, WallMs()));
  EXPECT_EQ(keyspace_->DbSize(0), 8u);
}

TEST_F(TieringThreadTest, AWarmUpBeyondMemoryLeavesTheRestOnDisk) {
  for (int i = 0; i < 300; i++) {
    testing::SetString(*keyspace_, 0, "k" + std::to_string(i), "v" + std::to_string(i),
                       i == 7 ? WallMs() + 3'600'000 : 0);
  }
  testing::SetHashField(*keyspace_, 1, "h", "f", "v");
  Persisted();
  const Digest before = MemoryDigest(*keyspace_);
  Stop();
  values_fit_ = false;  // memory is full from the first chunk on
  Start(/*warm_up=*/true);
  std::promise<void> done;
  warmup_->WhenDone([&](Status st) {
    EXPECT_TRUE(st.ok()) << st.message();
    done.set_value();
  });
  ASSERT_EQ(done.get_future().wait_for(std::chrono::seconds(30)), std::future_status::ready);
  EXPECT_EQ(keyspace_->DbSize(0), 300u);
  EXPECT_EQ(keyspace_->OnDiskSize(), 301u);
  EXPECT_EQ(warmup_->stats().keys_left_on_disk, 301u);
  EXPECT_EQ(keyspace_->VolatileSize(0), 1u);
  // Each reads back as it was.
  Digest after;
  testing::WithAllLocks(*keyspace_, [&] {
    for (int db = 0; db < kNumDbs; db++) {
      uint64_t cursor = 0;
      do {
        cursor = keyspace_->Scan(db, cursor, SIZE_MAX, WallMs(), [&](const Entry& e) {
          ASSERT_TRUE(
              keyspace_->WithValue(db, e, [&](const Entry& v) { after.Add(KeyDigest(db, v)); })
                  .ok());
        });
      } while (cursor != 0);
    }
  });
  EXPECT_EQ(after, before);
  EXPECT_EQ(keyspace_->OnDiskSize(), 301u);  // WithValue keeps nothing in memory
  EXPECT_EQ(Get(0, "k42"), "v42");
}

// Writers keep a counter per key; an offloader drops values as soon as the disk holds
// them; readers fetch through the readers. A stale value read back from disk (an
// offload or a fetch racing a write) would show as a counter going backwards.
TEST_F(TieringThreadTest, RacingWritesOffloadsAndFetchesNeverBringBackAnOlderValue) {
  constexpr int kKeys = 16, kWriters = 3, kRounds = 300;
  const std::string pad(2048, 'p');
  for (int k = 0; k < kKeys; k++)
    testing::SetString(*keyspace_, 0, "c" + std::to_string(k), "0|" + pad);
  Persisted();
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::thread offloader([&] {
    std::mt19937 rng(7);
    while (!stop.load()) {
      Offload(0, "c" + std::to_string(rng() % kKeys));
      std::this_thread::yield();
    }
  });
  std::thread fetcher([&] {
    std::mt19937 rng(11);
    while (!stop.load()) {
      if (!Fetch(0, "c" + std::to_string(rng() % kKeys)).ok()) failures++;
    }
  });
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; w++) {
    writers.emplace_back([&, w] {
      // Writer w owns keys k with k % kWriters == w: it knows their exact value.
      std::vector<int> last(kKeys, 0);
      for (int round = 0; round < kRounds; round++) {
        for (int k = w; k < kKeys; k += kWriters) {
          const std::string key = "c" + std::to_string(k);
          std::lock_guard<ShardMutexType> lock(keyspace_->ShardMutex(keyspace_->ShardOf(key)));
          Entry* e = keyspace_->Find(0, key, WallMs());
          if (e == nullptr || std::stoi(std::string(e->str())) != last[k]) {
            failures++;
            continue;
          }
          last[k]++;
          e->SetStr(std::to_string(last[k]) + "|" + pad);
          keyspace_->MarkWritten(0, key);
        }
        if (round % 50 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    });
  }
  for (auto& t : writers) t.join();
  stop = true;
  offloader.join();
  fetcher.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(keyspace_->offloads(), 0u);
  for (int k = 0; k < kKeys; k++) {
    EXPECT_EQ(Get(0, "c" + std::to_string(k)), std::to_string(kRounds) + "|" + pad) << k;
  }
}

}  // namespace
}  // namespace vellum::storage
