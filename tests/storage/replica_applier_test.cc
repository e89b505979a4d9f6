// Replication's storage half on real RocksDB: a primary (keyspace, persister, engine)
// writes; a replica is put in place from the primary's checkpoint (Engine::ReplaceWith,
// ReplicaApplier::ReloadAll) and then follows the primary's log batch by batch
// (Engine::ReadLog, ReplicaApplier::Apply). After every step the replica's memory and
// disk hold exactly the primary's keys (compared by digest), through strings, hashes
// (whole and by field), sets, expiry, DEL, SWAPDB and FLUSHDB. The log refuses what it
// cannot serve, and a following persister writes nothing. The persister runs on its own
// thread throughout ("Thread" in the name: `make tsan` runs these under TSan).
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "storage/digest.h"
#include "storage/disk_walk.h"
#include "storage/engine.h"
#include "storage/keyspace.h"
#include "storage/loader.h"
#include "storage/persister.h"
#include "storage/replica_applier.h"
#include "tests/storage/keyspace_writes.h"
#include "tests/storage/open_engine.h"
#include "tests/temp_dir.h"

namespace vellum::storage {
namespace {

namespace fs = std::filesystem;

using testing::MemoryDigest;
using testing::WallMs;

class ReplicaApplierThreadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EngineOptions o;
    o.dir = dir_ / "primary";
    o.log_keep_seconds = 3600;  // a backlog, as vellumd keeps one
    primary_engine_ = testing::OpenEngine(o);
    ASSERT_NE(primary_engine_, nullptr);
    primary_ = std::make_unique<Keyspace>(4);
    persister_ = std::make_unique<Persister>(primary_.get(), primary_engine_.get(),
                                             Persister::Mode::kEverysec, 0);
    primary_->set_listener(persister_.get());
    persister_->Start();

    o.dir = dir_ / "replica";
    replica_engine_ = testing::OpenEngine(o);
    ASSERT_NE(replica_engine_, nullptr);
    replica_ = std::make_unique<Keyspace>(4);
    applier_ = std::make_unique<ReplicaApplier>(replica_engine_.get(), replica_.get());
  }
  void TearDown() override {
    persister_->Stop();
    persister_.reset();
    applier_.reset();
    replica_engine_.reset();
    primary_engine_.reset();
  }

  void Set(int db, const std::string& key, const std::string& value, int64_t expire_at = 0) {
    testing::SetString(*primary_, db, key, value, expire_at);
  }
  void HSet(int db, const std::string& key, const std::string& field, const std::string& value) {
    testing::SetHashField(*primary_, db, key, field, value, /*field_only=*/true);
  }
  void SAdd(int db, const std::string& key, const std::string& member) {
    testing::AddSetMember(*primary_, db, key, member);
  }
  void Del(int db, const std::string& key) { testing::DeleteKey(*primary_, db, key); }
  template <typename Fn>
  void WithAllLocks(Fn fn) {
    testing::WithAllLocks(*primary_, fn);
  }
  // Waits until the persister has written everything so far.
  void Settle() { ASSERT_TRUE(persister_->Drain(10000).ok()); }

  static Digest DiskDigest(Engine& engine) {
    auto s = SummarizeDisk(engine, WallMs());
    EXPECT_TRUE(s.ok()) << s.status().message();
    return s.ok() ? s->digest : Digest{};
  }
  void ExpectReplicaEqualsPrimary() {
    const Digest p = MemoryDigest(*primary_), r = MemoryDigest(*replica_);
    EXPECT_EQ(p.hi, r.hi);
    EXPECT_EQ(p.lo, r.lo);
    const Digest pd = DiskDigest(*primary_engine_), rd = DiskDigest(*replica_engine_);
    EXPECT_EQ(pd.hi, rd.hi);
    EXPECT_EQ(pd.lo, rd.lo);
    EXPECT_EQ(replica_engine_->LatestSequence(), primary_engine_->LatestSequence());
  }

  // Full sync: the primary's checkpoint put in place of the replica's database.
  void FullSync() {
    const std::string cp = dir_ / "checkpoint";
    fs::remove_all(cp);
    Result<uint64_t> seq = persister_->Checkpoint(cp);
    ASSERT_TRUE(seq.ok()) << seq.status().message();
    Status st = replica_engine_->ReplaceWith(cp);
    ASSERT_TRUE(st.ok()) << st.message();
    EXPECT_EQ(replica_engine_->LatestSequence(), *seq);
    auto keys = applier_->ReloadAll(WallMs());
    ASSERT_TRUE(keys.ok()) << keys.status().message();
  }
  // Applies every batch of the primary's log the replica has not seen yet.
  void CatchUp() {
    Settle();
    for (;;) {
      std::vector<LogBatch> batches;
      bool gone = false;
      Status st = primary_engine_->ReadLog(replica_engine_->LatestSequence() + 1, 1 << 20,
                                           &batches, &gone);
      ASSERT_TRUE(st.ok()) << st.message();
      if (batches.empty()) return;
      for (const LogBatch& b : batches) {
        Status a = applier_->Apply(b, false, WallMs());
        ASSERT_TRUE(a.ok()) << a.message();
      }
    }
  }

  testing_support::TempDir dir_{"replica"};
  std::unique_ptr<Engine> primary_engine_, replica_engine_;
  std::unique_ptr<Keyspace> primary_, replica_;
  std::unique_ptr<Persister> persister_;
  std::unique_ptr<ReplicaApplier> applier_;
};

TEST_F(ReplicaApplierThreadTest, FullSyncThenTheLogKeepsTheReplicaEqualToThePrimary) {
  Set(0, "page:/", "<html>home</html>");
  HSet(0, "session:1", "user", "ada");
  SAdd(2, "tags", "a");
  SAdd(2, "tags", "b");
  Set(5, "ttl", "v", WallMs() + 3600 * 1000);
  Settle();
  FullSync();
  ExpectReplicaEqualsPrimary();

  Set(0, "page:/", "<html>home v2</html>");
  HSet(0, "session:1", "cart", "3");  // one field of an existing hash
  SAdd(2, "tags", "c");
  Del(5, "ttl");
  Set(7, "new", "x");
  CatchUp();
  ExpectReplicaEqualsPrimary();
}

// A list reaches the replica whole and then by its ends, and keeps its order.
TEST_F(ReplicaApplierThreadTest, ListsReachTheReplicaInOrder) {
  testing::PushList(*primary_, 0, "q", "b", /*front=*/false);
  testing::PushList(*primary_, 0, "q", "c", false);
  Settle();
  FullSync();
  ExpectReplicaEqualsPrimary();
  testing::PushList(*primary_, 0, "q", "a", true);
  testing::PopList(*primary_, 0, "q", false);
  testing::PushList(*primary_, 3, "new", "x", false);
  CatchUp();
  ExpectReplicaEqualsPrimary();
  Entry* e = replica_->Peek(0, "q");
  ASSERT_NE(e, nullptr);
  ASSERT_EQ(e->type, ValueType::kList);
  ASSERT_EQ(e->list_value->size(), 2u);
  EXPECT_EQ(e->list_value->at(0), "a");
  EXPECT_EQ(e->list_value->at(1), "b");
}

// A sorted set reaches the replica whole, then member by member.
TEST_F(ReplicaApplierThreadTest, SortedSetsReachTheReplicaWithTheirScores) {
  testing::ZAddOrRem(*primary_, 0, "z", "a", 1);
  testing::ZAddOrRem(*primary_, 0, "z", "b", 2);
  Settle();
  FullSync();
  ExpectReplicaEqualsPrimary();
  testing::ZAddOrRem(*primary_, 0, "z", "a", 5);
  testing::ZAddOrRem(*primary_, 0, "z", "b", 0, /*remove=*/true);
  testing::ZAddOrRem(*primary_, 2, "new", "x", -1);
  CatchUp();
  ExpectReplicaEqualsPrimary();
  Entry* e = replica_->Peek(0, "z");
  ASSERT_NE(e, nullptr);
  ASSERT_EQ(e->type, ValueType::kZSet);
  EXPECT_EQ(e->zset_value->size(), 1u);
  EXPECT_EQ(e->zset_value->Score("a"), 5);
}

// The sub compaction filter judges fields by the replica's durable snapshot, which only
// a WAL sync moves: a replica that never synced lost the fields of every hash created
// after its last open at its next compaction (found in review).
TEST_F(ReplicaApplierThreadTest, ACompactionOnTheReplicaKeepsTheFieldsOfNewHashes) {
  Set(0, "a", "1");
  Settle();
  FullSync();
  HSet(0, "new-hash", "f1", "v1");
  HSet(0, "new-hash", "f2", "v2");
  SAdd(1, "new-set", "m");
  CatchUp();
  ASSERT_TRUE(applier_->Sync().ok());
  ASSERT_TRUE(replica_engine_->CompactAll().ok());
  ExpectReplicaEqualsPrimary();
}

// With the recent log on, batches come from memory: contiguous, and a replica built from
// them equals the primary.
TEST_F(ReplicaApplierThreadTest, TheRecentLogServesBatchesThatRebuildThePrimary) {
  primary_engine_->KeepRecentLog();
  const uint64_t from = primary_engine_->LatestSequence() + 1;
  for (int i = 0; i < 50; i++) Set(i % 4, "k" + std::to_string(i), std::string(100, 'x'));
  HSet(0, "h", "f", "v");
  Settle();
  std::vector<LogBatch> from_memory;
  bool gone = false;
  ASSERT_TRUE(primary_engine_->ReadLog(from, 1 << 30, &from_memory, &gone).ok());
  ASSERT_GT(primary_engine_->RecentLogBytes(), 0u);
  ASSERT_FALSE(from_memory.empty());
  uint64_t next = from;
  for (const LogBatch& b : from_memory) {
    EXPECT_EQ(b.sequence, next);
    next = b.sequence + b.count;
  }
  EXPECT_EQ(next, primary_engine_->LatestSequence() + 1);
  FullSync();
  CatchUp();
  ExpectReplicaEqualsPrimary();
}

TEST_F(ReplicaApplierThreadTest, SwapdbAndFlushdbReachTheReplica) {
  Set(0, "a", "1");
  Set(3, "b", "2");
  Set(4, "c", "3");
  Settle();
  FullSync();
  WithAllLocks([&] { primary_->SwapDb(0, 3); });
  Set(0, "after-swap", "x");
  WithAllLocks([&] { primary_->FlushDb(4); });
  CatchUp();
  ExpectReplicaEqualsPrimary();
  std::lock_guard<storage::ShardMutexType> lock(replica_->ShardMutex(replica_->ShardOf("b")));
  EXPECT_NE(replica_->Find(0, "b", WallMs()), nullptr);
  EXPECT_EQ(replica_->Find(4, "c", WallMs()), nullptr);
}

TEST_F(ReplicaApplierThreadTest, ALogThatNoLongerReachesBackIsReportedGone) {
  Set(0, "a", "1");
  Settle();
  const uint64_t latest = primary_engine_->LatestSequence();
  std::vector<LogBatch> batches;
  bool gone = false;
  EXPECT_TRUE(primary_engine_->ReadLog(latest + 1, 1 << 20, &batches, &gone).ok());
  EXPECT_TRUE(batches.empty());
  EXPECT_FALSE(gone);
  EXPECT_FALSE(primary_engine_->ReadLog(latest + 10, 1 << 20, &batches, &gone).ok());
  EXPECT_TRUE(gone);
}

TEST_F(ReplicaApplierThreadTest, ABatchOutOfOrderIsRefusedAndChangesNothing) {
  Set(0, "a", "1");
  Set(0, "b", "2");
  Settle();
  std::vector<LogBatch> batches;
  bool gone = false;
  ASSERT_TRUE(primary_engine_->ReadLog(1, 1 << 20, &batches, &gone).ok());
  ASSERT_FALSE(batches.empty());
  LogBatch late = batches.back();
  late.sequence += 100;
  const uint64_t before = replica_engine_->LatestSequence();
  EXPECT_FALSE(applier_->Apply(late, false, WallMs()).ok());
  EXPECT_EQ(replica_engine_->LatestSequence(), before);
}

TEST_F(ReplicaApplierThreadTest, AFollowingPersisterWritesNothing) {
  Set(0, "a", "1");
  Settle();
  WithAllLocks([&] { persister_->SetFollowing(true); });
  const uint64_t before = primary_engine_->LatestSequence();
  Set(0, "b", "2");
  HSet(0, "h", "f", "v");
  WithAllLocks([&] { primary_->FlushDb(0); });
  Settle();
  EXPECT_EQ(primary_engine_->LatestSequence(), before);
  WithAllLocks([&] { persister_->SetFollowing(false); });
  Set(0, "c", "3");
  Settle();
  EXPECT_GT(primary_engine_->LatestSequence(), before);
}

// Without a backlog, flushed log files are deleted at once; pinned, they stay until
// unpinned, so a replica in a full sync always finds the log from its checkpoint.
TEST_F(ReplicaApplierThreadTest, PinnedFilesKeepTheLogReadableAcrossAFlush) {
  EngineOptions o;
  o.dir = dir_ / "nobacklog";
  auto opened = Engine::Open(o);
  ASSERT_TRUE(opened.ok()) << opened.status().message();
  Engine& e = **opened;
  auto put = [&](const std::string& k) {
    auto b = e.NewBatch();
    b->PutMeta(codec::MetaKey(0, k), "x");
    ASSERT_TRUE(e.Write(*b, false).ok());
  };
  auto readable_from = [&](uint64_t from) {
    std::vector<LogBatch> batches;
    bool gone = false;
    return e.ReadLog(from, 1 << 20, &batches, &gone).ok() && !batches.empty();
  };
  put("a");
  const uint64_t from = e.LatestSequence();
  ASSERT_TRUE(e.PinFiles().ok());
  put("b");
  ASSERT_TRUE(e.Flush().ok());
  put("c");
  EXPECT_TRUE(readable_from(from));
  ASSERT_TRUE(e.UnpinFiles().ok());
  put("d");
  ASSERT_TRUE(e.Flush().ok());
  put("e");
  EXPECT_FALSE(readable_from(from));
}

// kill -9 between ReplaceWith's two renames leaves the old database aside and none in
// place; the next start puts the old one back rather than create an empty one.
TEST_F(ReplicaApplierThreadTest, AReplaceInterruptedBetweenItsRenamesIsUndoneAtTheNextOpen) {
  const std::string dir = dir_ / "interrupted";
  {
    EngineOptions o;
    o.dir = dir;
    auto e = Engine::Open(o);
    ASSERT_TRUE(e.ok());
    auto b = (*e)->NewBatch();
    b->PutMeta(codec::MetaKey(0, "kept"), "x");
    ASSERT_TRUE((*e)->Write(*b, true).ok());
  }
  fs::rename(dir, dir + ".replaced");  // as if killed right after the first rename
  ASSERT_TRUE(Engine::FinishReplace(dir).ok());
  EngineOptions o;
  o.dir = dir;
  o.existing_only = true;
  auto e = Engine::Open(o);
  ASSERT_TRUE(e.ok()) << e.status().message();
  std::string value;
  bool found = false;
  ASSERT_TRUE((*e)->GetMeta(codec::MetaKey(0, "kept"), &value, &found).ok());
  EXPECT_TRUE(found);
  EXPECT_FALSE(fs::exists(dir + ".replaced"));
}

// A resuming replica is compared by its last batch: the log tells a batch that ends at a
// sequence from a sequence inside a batch, and from one it no longer holds.
TEST_F(ReplicaApplierThreadTest, TheLogTellsWhereASequenceFalls) {
  EngineOptions o;
  o.dir = dir_ / "positions";
  auto opened = Engine::Open(o);
  ASSERT_TRUE(opened.ok()) << opened.status().message();
  Engine& e = **opened;
  auto b = e.NewBatch();
  b->PutMeta(codec::MetaKey(0, "a"), "1");
  b->PutMeta(codec::MetaKey(0, "b"), "2");
  b->PutMeta(codec::MetaKey(0, "c"), "3");
  ASSERT_TRUE(e.Write(*b, false).ok());
  const uint64_t last = e.LatestSequence();
  LogBatch found;
  EXPECT_EQ(e.BatchEndingAt(last, &found), Engine::LogPosition::kBatchEndsHere);
  EXPECT_EQ(found.sequence, last - 2);
  EXPECT_EQ(found.count, 3u);
  EXPECT_EQ(e.BatchEndingAt(last - 1, &found), Engine::LogPosition::kInsideABatch);
  EXPECT_EQ(e.BatchEndingAt(last + 5, &found), Engine::LogPosition::kInsideABatch);  // beyond
  ASSERT_TRUE(e.Flush().ok());  // no backlog here: the flushed log file goes
  auto more = e.NewBatch();
  more->PutMeta(codec::MetaKey(0, "d"), "4");
  ASSERT_TRUE(e.Write(*more, false).ok());
  EXPECT_EQ(e.BatchEndingAt(last, &found), Engine::LogPosition::kNotHeld);
}

// A replica's replica asks it for a checkpoint: the cut cycle must not write the version
// mark (or anything) either, or the next batch from the primary no longer follows.
TEST_F(ReplicaApplierThreadTest, ACheckpointOfAFollowingPersisterWritesNothing) {
  // A replica's persister has never run a cycle: its version mark is still unwritten.
  WithAllLocks([&] { persister_->SetFollowing(true); });
  const uint64_t before = primary_engine_->LatestSequence();
  Result<uint64_t> seq = persister_->Checkpoint(dir_ / "checkpoint");
  ASSERT_TRUE(seq.ok()) << seq.status().message();
  EXPECT_EQ(*seq, before);
  EXPECT_EQ(primary_engine_->LatestSequence(), before);
}

}  // namespace
}  // namespace vellum::storage
