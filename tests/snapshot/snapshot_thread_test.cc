// Snapshots on a real RocksDB in a temporary directory: a checkpoint is a cut of the
// keyspace at one instant even while writers race the persister on several threads
// (run under TSan by `make tsan`); SnapshotStore creates, lists, prunes, restores and
// refuses what it must.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/progress.h"
#include "snapshot/snapshot_store.h"
#include "storage/disk_walk.h"
#include "storage/engine.h"
#include "storage/keyspace.h"
#include "storage/loader.h"
#include "storage/persister.h"
#include "tests/temp_dir.h"

namespace vellum::snapshot {
namespace {

namespace fs = std::filesystem;
using storage::Engine;
using storage::Keyspace;
using storage::Persister;

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

using testing_support::TempDir;

// A keyspace persisted to <dir>/db, written as the dispatcher does (under the shard lock).
class Live {
 public:
  explicit Live(const std::string& db) {
    storage::EngineOptions o;
    o.dir = db;
    auto e = Engine::Open(o);
    EXPECT_TRUE(e.ok()) << e.status().message();
    engine_ = std::move(*e);
    persister_ = std::make_unique<Persister>(&ks_, engine_.get(), Persister::Mode::kEverysec, 0);
    ks_.set_listener(persister_.get());
    persister_->Start();
  }
  ~Live() { persister_->Stop(); }

  void Set(int db, const std::string& key, const std::string& value) {
    std::lock_guard<storage::ShardMutexType> lock(ks_.ShardMutex(ks_.ShardOf(key)));
    bool created;
    storage::Entry* e = ks_.Upsert(db, key, WallMs(), &created);
    e->DropValue();
    e->type = storage::ValueType::kString;
    e->SetStr(value);
    ks_.SetExpire(db, e, 0);
  }
  Keyspace& keyspace() { return ks_; }
  Persister& persister() { return *persister_; }

 private:
  Keyspace ks_{4};
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<Persister> persister_;
};

// The string values of `dir`'s database, loaded as a restart would.
std::unique_ptr<Keyspace> Load(const std::string& dir) {
  storage::EngineOptions o;
  o.dir = dir;
  o.read_only = true;
  auto e = Engine::Open(o);
  EXPECT_TRUE(e.ok()) << e.status().message();
  auto ks = std::make_unique<Keyspace>(4);
  auto loaded = storage::LoadKeyspace(**e, *ks, WallMs());
  EXPECT_TRUE(loaded.ok()) << loaded.status().message();
  return ks;
}

int64_t IntValue(Keyspace& ks, const std::string& key) {
  storage::Entry* e = ks.Peek(0, key);
  return e == nullptr ? 0 : std::stoll(std::string(e->str()));
}

// Each writer sets, for each of its pairs, x = i and then y = i, so at every instant
// y <= x <= y + 1 for every pair. A pair's x and y live in different shards: a persister
// cycle that visited the shards one after another could catch y's new value and x's old
// one. A checkpoint must not. (With the cut cycle's all-shard lock removed this test
// fails within a few checkpoints.)
TEST(SnapshotThreadTest, CheckpointIsACutAcrossShards) {
  TempDir dir{"snapshot"};
  Live live(dir / "db");
  constexpr int kWriters = 3;
  constexpr int kPairs = 100;  // per writer: keeps the persister's collection long enough
  std::vector<std::vector<std::pair<std::string, std::string>>> pairs(kWriters);
  for (int t = 0, n = 0; t < kWriters; n++) {
    std::string x = "x" + std::to_string(n), y = "y" + std::to_string(n);
    if (live.keyspace().ShardOf(x) == live.keyspace().ShardOf(y)) continue;
    pairs[t].push_back({x, y});
    if (pairs[t].size() == kPairs) t++;
  }
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int t = 0; t < kWriters; t++) {
    writers.emplace_back([&, t] {
      for (int i = 1; i <= 100000 && !stop.load(); i++) {
        const std::string v = std::to_string(i);
        for (const auto& [x, y] : pairs[t]) {
          live.Set(0, x, v);
          live.Set(0, y, v);
        }
      }
    });
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(8);
  for (int c = 0; c < 10 && std::chrono::steady_clock::now() < deadline; c++) {
    const std::string cp = dir / ("cp" + std::to_string(c));
    auto seq = live.persister().Checkpoint(cp);
    ASSERT_TRUE(seq.ok()) << seq.status().message();
    auto ks = Load(cp);
    int broken = 0;
    for (const auto& mine : pairs) {
      for (const auto& [x, y] : mine) {
        const int64_t xv = IntValue(*ks, x), yv = IntValue(*ks, y);
        if (yv > xv || xv > yv + 1) broken++;
      }
    }
    EXPECT_EQ(broken, 0) << "checkpoint " << c << " is not a cut";
    fs::remove_all(cp);
  }
  stop = true;
  for (auto& w : writers) w.join();
}

TEST(SnapshotThreadTest, CheckpointAfterStopFails) {
  TempDir dir{"snapshot"};
  Live live(dir / "db");
  live.persister().Stop();
  EXPECT_FALSE(live.persister().Checkpoint(dir / "cp").ok());
  EXPECT_FALSE(fs::exists(dir / "cp"));
}

// A store with `n` snapshots of a small keyspace, key "k" = snapshot number.
class SnapshotStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    live_ = std::make_unique<Live>(dir_ / "data/db");
    auto s = SnapshotStore::Open(dir_ / "snaps", 0, false);
    ASSERT_TRUE(s.ok()) << s.status().message();
    store_ = std::move(*s);
  }
  Manifest Take(const std::string& label, bool keep = false) {
    live_->Set(0, "k", label);
    Manifest m;
    m.label = label;
    m.keep = keep;
    m.created_ms = WallMs();
    const std::string cp = dir_ / "data/snapshot.tmp";
    auto seq = live_->persister().Checkpoint(cp);
    EXPECT_TRUE(seq.ok()) << seq.status().message();
    m.sequence = *seq;
    auto made = store_->Create(cp, m, {});
    EXPECT_TRUE(made.ok()) << made.status().message();
    EXPECT_FALSE(fs::exists(cp));  // the checkpoint is removed
    return made.ok() ? *made : Manifest{};
  }
  TempDir dir_{"snapshot"};
  std::unique_ptr<Live> live_;
  std::unique_ptr<SnapshotStore> store_;
};

TEST_F(SnapshotStoreTest, CreateRecordsKeysAndTheDigestOfTheCut) {
  live_->Set(3, "other", "v");
  Manifest m = Take("one");
  EXPECT_EQ(m.id, 1u);
  EXPECT_EQ(m.keys, 2u);
  EXPECT_EQ(KeysByDbText(m), "db0=1,db3=1");
  EXPECT_EQ(m.label, "one");
  EXPECT_GT(m.total_bytes, 0u);
  EXPECT_EQ(m.added_bytes, m.total_bytes);
  auto listed = store_->List();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].digest, m.digest);
  EXPECT_TRUE(store_->Verify(m.id).ok());
}

TEST_F(SnapshotStoreTest, SecondStoreOnTheDirectoryIsRefusedForWriting) {
  auto second = SnapshotStore::Open(dir_ / "snaps", 0, false);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("in use"), std::string::npos);
  EXPECT_TRUE(SnapshotStore::Open(dir_ / "snaps", 0, true).ok());  // readers may
}

TEST_F(SnapshotStoreTest, PruneKeepsTheNewestAndTheMarked) {
  Take("a");
  Take("b", /*keep=*/true);
  Take("c");
  Take("d");
  auto pruned = store_->Prune(1, 0, WallMs());
  ASSERT_TRUE(pruned.ok()) << pruned.status().message();
  EXPECT_EQ(*pruned, (std::vector<uint32_t>{1, 3}));
  auto left = store_->List();
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 2u);
  EXPECT_EQ((*left)[0].label, "b");
  EXPECT_EQ((*left)[1].label, "d");
  for (const Manifest& m : *left) EXPECT_TRUE(store_->Verify(m.id).ok());
}

TEST_F(SnapshotStoreTest, MaxAgeNeverPrunesTheNewest) {
  Take("a");
  Take("b");
  auto pruned = store_->Prune(0, 1, WallMs() + 60'000);
  ASSERT_TRUE(pruned.ok());
  EXPECT_EQ(*pruned, (std::vector<uint32_t>{1}));
}

TEST_F(SnapshotStoreTest, RestoreMovesTheOldDatabaseAsideAndChecksTheDigest) {
  Manifest first = Take("first");
  Take("second");
  const std::string target = dir_ / "restored";
  auto r = store_->Restore(first.id, target, false, {});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->moved_aside.empty());
  EXPECT_EQ(Load(target + "/db")->Peek(0, "k")->str(), "first");
  // A second restore needs force, and keeps the database it replaces.
  EXPECT_FALSE(store_->Restore(2, target, false, {}).ok());
  auto again = store_->Restore(2, target, true, {});
  ASSERT_TRUE(again.ok()) << again.status().message();
  ASSERT_FALSE(again->moved_aside.empty());
  EXPECT_EQ(Load(again->moved_aside)->Peek(0, "k")->str(), "first");
  EXPECT_EQ(Load(target + "/db")->Peek(0, "k")->str(), "second");
  EXPECT_FALSE(fs::exists(target + "/db.restoring.tmp"));
}

TEST_F(SnapshotStoreTest, FlippedByteIsFoundByVerifyAndRefusedByRestore) {
  Manifest m = Take("x");
  std::string victim;
  uintmax_t largest = 0;
  for (const auto& f : fs::recursive_directory_iterator(dir_ / "snaps/shared_checksum")) {
    if (f.is_regular_file() && f.file_size() > largest) largest = f.file_size(), victim = f.path();
  }
  ASSERT_FALSE(victim.empty());
  {
    std::fstream f(victim, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(largest / 2));
    char c = 0;
    f.read(&c, 1);
    f.seekp(static_cast<std::streamoff>(largest / 2));
    c = static_cast<char>(c ^ 0x5a);
    f.write(&c, 1);
  }
  Status st = store_->Verify(m.id);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find(fs::path(victim).filename().string()), std::string::npos)
      << st.message();
  const std::string target = dir_ / "target";
  EXPECT_FALSE(store_->Restore(m.id, target, true, {}).ok());
  EXPECT_FALSE(fs::exists(target + "/db"));
  EXPECT_FALSE(fs::exists(target + "/db.restoring.tmp"));
}

// Verify counts every byte it reads and a restore every byte it writes, though RocksDB's
// BackupEngine reports neither (they are counted through the store's file system).
TEST_F(SnapshotStoreTest, VerifyAndRestoreReportTheirStagesAndEveryByte) {
  for (int i = 0; i < 200; i++) live_->Set(0, "key" + std::to_string(i), std::string(500, 'v'));
  Manifest m = Take("metered");
  ProgressMeter meter;
  store_->set_meter(&meter);
  auto r = store_->Restore(m.id, dir_ / "restored", false, {});
  ASSERT_TRUE(r.ok()) << r.status().message();
  meter.Finish();
  std::vector<ProgressMeter::Stage> stages = meter.Read().finished;
  ASSERT_EQ(stages.size(), 3u);
  EXPECT_EQ(stages[0].name,
            "verifying snapshot 1 (" + std::to_string(m.files) + " files, every checksum)");
  EXPECT_EQ(stages[0].total, m.total_bytes);
  EXPECT_EQ(stages[0].done, m.total_bytes);
  EXPECT_NE(stages[1].name.find("restoring snapshot 1 into "), std::string::npos);
  EXPECT_EQ(stages[1].total, m.total_bytes);
  EXPECT_EQ(stages[1].done, m.total_bytes);
  EXPECT_EQ(stages[2].unit, ProgressMeter::Unit::kKeys);
  EXPECT_EQ(stages[2].total, 201u);
  EXPECT_EQ(stages[2].done, 201u);
  store_->set_meter(nullptr);
}

TEST(ManifestTest, RoundTripAndRefusals) {
  Manifest m;
  m.label = "nightly \"quoted\"";
  m.keep = true;
  m.created_ms = 1'700'000'000'123;
  m.server_version = "0.1.0";
  m.sequence = 42;
  m.keys_by_db[0] = 3;
  m.keys_by_db[15] = 2;
  m.keys = 5;
  m.digest = std::string(32, 'a');
  Manifest back;
  ASSERT_TRUE(DecodeManifest(EncodeManifest(m), &back).ok());
  EXPECT_EQ(back.label, m.label);
  EXPECT_TRUE(back.keep);
  EXPECT_EQ(back.created_ms, m.created_ms);
  EXPECT_EQ(back.sequence, 42u);
  EXPECT_EQ(back.keys_by_db, m.keys_by_db);
  EXPECT_EQ(back.digest, m.digest);
  EXPECT_FALSE(DecodeManifest("not toml [", &back).ok());
  EXPECT_FALSE(DecodeManifest("kind = \"something-else\"", &back).ok());
  m.keys = 6;  // keys_by_db no longer adds up
  EXPECT_FALSE(DecodeManifest(EncodeManifest(m), &back).ok());
}

}  // namespace
}  // namespace vellum::snapshot
