// The persister, engine and loader together on a real RocksDB in a temporary directory:
// what the keyspace holds when the persister stops is what a new keyspace loads, for
// every type, database, expiry, flush and swap; the engine refuses what it must refuse.
// PersisterThreadTest races writers on several threads against the persister (run under
// TSan by `make tsan`).
#include "storage/persister.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <filesystem>
#include <limits>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "common/memory.h"
#include "storage/engine.h"
#include "storage/keyspace.h"
#include "storage/loader.h"
#include "tests/storage/keyspace_writes.h"
#include "tests/storage/open_engine.h"
#include "tests/temp_dir.h"

namespace vellum::storage {
namespace {

namespace fs = std::filesystem;

using testing::WallMs;

// A keyspace with a persister attached; Reopen() stops it and loads a fresh keyspace from
// the same directory, as a restart does.
class PersisterTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(Persister::Mode::kEverysec); }
  void TearDown() override { Close(); }

  void Open(Persister::Mode mode) {
    engine_ = testing::OpenEngine(dir_ / "db");
    ASSERT_NE(engine_, nullptr);
    ks_ = std::make_unique<Keyspace>(4);
    auto loaded = LoadKeyspace(*engine_, *ks_, WallMs());
    ASSERT_TRUE(loaded.ok()) << loaded.status().message();
    loaded_ = *loaded;
    persister_ = std::make_unique<Persister>(ks_.get(), engine_.get(), mode, loaded_.max_version);
    ks_->set_listener(persister_.get());
    persister_->Start();
  }
  void Close() {
    if (persister_) persister_->Stop();
    persister_.reset();
    engine_.reset();
  }
  void Reopen() {
    Close();
    Open(Persister::Mode::kEverysec);
  }

  // Each write locks its shard, as the dispatcher does.
  void Set(int db, const std::string& key, const std::string& value, int64_t expire_at = 0) {
    testing::SetString(*ks_, db, key, value, expire_at);
  }
  void HSet(int db, const std::string& key, const std::string& field, const std::string& value) {
    testing::SetHashField(*ks_, db, key, field, value);
  }
  void SAdd(int db, const std::string& key, const std::string& member) {
    testing::AddSetMember(*ks_, db, key, member);
  }
  void Del(int db, const std::string& key) { testing::DeleteKey(*ks_, db, key); }
  template <typename Fn>
  void WithAllLocks(Fn fn) {
    testing::WithAllLocks(*ks_, fn);
  }
  // The string at (db, key), "(nil)" if absent, "(type)" for another type.
  std::string Get(int db, const std::string& key) {
    std::lock_guard<storage::ShardMutexType> lock(ks_->ShardMutex(ks_->ShardOf(key)));
    Entry* e = ks_->Find(db, key, WallMs());
    if (e == nullptr) return "(nil)";
    if (e->type != ValueType::kString) return std::string("(") + TypeName(e->type) + ")";
    return std::string(e->str());
  }
  Entry* Raw(int db, const std::string& key) {
    return ks_->Find(db, key, WallMs());  // single-threaded checks after Reopen
  }

  testing_support::TempDir dir_{"persister"};
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<Keyspace> ks_;
  std::unique_ptr<Persister> persister_;
  LoadResult loaded_;
};

TEST_F(PersisterTest, EveryTypeAndDatabaseSurvivesARestart) {
  Set(0, "page:/", "<html>home</html>");
  Set(15, "page:/", "db15");
  Set(3, std::string("bin\0key", 7), std::string(10000, 'x'));  // a blob-sized value
  HSet(1, "session:1", "user", "ada");
  HSet(1, "session:1", "cart", "3");
  SAdd(2, "tags", "a");
  SAdd(2, "tags", "b");
  Reopen();
  EXPECT_EQ(loaded_.keys, 5u);
  EXPECT_EQ(Get(0, "page:/"), "<html>home</html>");
  EXPECT_EQ(Get(15, "page:/"), "db15");
  EXPECT_EQ(Get(3, std::string("bin\0key", 7)), std::string(10000, 'x'));
  Entry* h = Raw(1, "session:1");
  ASSERT_NE(h, nullptr);
  ASSERT_EQ(h->type, ValueType::kHash);
  EXPECT_EQ(h->hash_value->size(), 2u);
  EXPECT_EQ(h->hash_value->Get("user").value_or(""), "ada");
  Entry* s = Raw(2, "tags");
  ASSERT_NE(s, nullptr);
  ASSERT_EQ(s->type, ValueType::kSet);
  EXPECT_TRUE(s->set_value->Contains("a"));
  EXPECT_TRUE(s->set_value->Contains("b"));
}

TEST_F(PersisterTest, OverwritesAndDeletesAreWhatLoads) {
  HSet(0, "k", "f1", "v1");
  Reopen();
  Set(0, "k", "now a string");  // a hash replaced by a string: its fields must not return
  Set(0, "gone", "x");
  Reopen();
  Del(0, "gone");
  HSet(0, "k2", "a", "1");
  Reopen();
  HSet(0, "k2", "b", "2");  // written whole under a new version; the old one is garbage
  Reopen();
  EXPECT_EQ(Get(0, "k"), "now a string");
  EXPECT_EQ(Get(0, "gone"), "(nil)");
  EXPECT_EQ(Raw(0, "k2")->hash_value->size(), 2u);
  EXPECT_EQ(loaded_.keys, 2u);
}

TEST_F(PersisterTest, ExpiryIsKeptAndPassedExpiryIsGone) {
  const int64_t later = WallMs() + 3'600'000;
  Set(0, "keep", "v", later);
  Set(0, "soon", "v", WallMs() + 150);
  Reopen();
  EXPECT_EQ(Raw(0, "keep")->expire_at_ms, later);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  Reopen();
  EXPECT_EQ(Get(0, "soon"), "(nil)");
  EXPECT_EQ(Get(0, "keep"), "v");
}

TEST_F(PersisterTest, FlushDbRemovesOnlyThatDatabaseInOrder) {
  Set(0, "a", "1");
  Set(1, "b", "2");
  WithAllLocks([&] { ks_->FlushDb(0); });
  Set(0, "after", "3");  // written after the flush: must survive it
  Reopen();
  EXPECT_EQ(Get(0, "a"), "(nil)");
  EXPECT_EQ(Get(0, "after"), "3");
  EXPECT_EQ(Get(1, "b"), "2");
  WithAllLocks([&] { ks_->FlushAllAsync(); });
  Reopen();
  EXPECT_EQ(loaded_.keys, 0u);
}

TEST_F(PersisterTest, SwapDbIsOneRecordAndSurvives) {
  Set(0, "zero", "0");
  Set(1, "one", "1");
  WithAllLocks([&] { ks_->SwapDb(0, 1); });
  Set(0, "new-in-0", "x");
  Reopen();
  EXPECT_EQ(Get(1, "zero"), "0");
  EXPECT_EQ(Get(0, "one"), "1");
  EXPECT_EQ(Get(0, "new-in-0"), "x");
  WithAllLocks([&] { ks_->FlushDb(1); });  // flushes the physical db that logical 1 maps to
  Reopen();
  EXPECT_EQ(Get(1, "zero"), "(nil)");
  EXPECT_EQ(Get(0, "one"), "1");
}

TEST_F(PersisterTest, TicketOfAWriteBecomesDurable) {
  (void)Persister::TakeThreadTicket();
  Set(0, "k", "v");
  uint64_t ticket = Persister::TakeThreadTicket();
  ASSERT_GT(ticket, 0u);
  EXPECT_EQ(Persister::TakeThreadTicket(), 0u);  // taken once
  for (int i = 0; i < 500 && !persister_->Durable(ticket); i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ASSERT_TRUE(persister_->Durable(ticket));
  std::string raw;
  bool found = false;
  ASSERT_TRUE(engine_->GetMeta(codec::MetaKey(0, "k"), &raw, &found).ok());
  EXPECT_TRUE(found);  // durable means: in RocksDB
}

TEST_F(PersisterTest, ACyclesBatchesGiveBackTheirOutgoingBytesOnceWritten) {
  const uint64_t before = OutgoingBufferMemory();
  (void)Persister::TakeThreadTicket();
  for (int i = 0; i < 300; i++) Set(0, "page:" + std::to_string(i), std::string(10000, 'p'));
  const uint64_t ticket = Persister::TakeThreadTicket();
  for (int i = 0; i < 500 && !persister_->Durable(ticket); i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ASSERT_TRUE(persister_->Durable(ticket));
  // Durable is set before the cycle publishes the engine's memory and lets its batches go.
  for (int i = 0; i < 500 && OutgoingBufferMemory() != before; i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_EQ(OutgoingBufferMemory(), before);
}

TEST_F(PersisterTest, CompactionDropsExpiredKeysAndOrphanedFields) {
  HSet(0, "h", "f", "v");
  Reopen();
  HSet(0, "h", "g", "w");  // new version: the old version's field is an orphan
  Set(0, "short", "v", WallMs() + 50);
  Reopen();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_TRUE(engine_->CompactAll().ok());
  std::string raw;
  bool found = true;
  ASSERT_TRUE(engine_->GetMeta(codec::MetaKey(0, "short"), &raw, &found).ok());
  EXPECT_FALSE(found);
  size_t subs = 0;
  auto it = engine_->NewSubIterator();
  for (it->SeekToFirst(); it->Valid(); it->Next()) subs++;
  EXPECT_EQ(subs, 2u);  // f and g of the live version only
}

size_t CountSubs(Engine& engine) {
  size_t n = 0;
  auto it = engine.NewSubIterator();
  for (it->SeekToFirst(); it->Valid(); it->Next()) n++;
  return n;
}

// A power loss may take back what was written but not synced; the compaction filter must
// not drop the fields of a synced version because of an unsynced change to its key.
TEST(EngineTest, OrphanFilterActsOnlyOnDurableState) {
  testing_support::TempDir dir{"persister"};
  auto engine = testing::OpenEngine(dir / "db");
  std::string meta;
  codec::EncodeCollectionMeta(&meta, codec::DiskType::kHash, 0, 7);
  auto synced = engine->NewBatch();
  synced->PutMeta(codec::MetaKey(0, "h"), meta);
  synced->PutSub(codec::SubKey(0, "h", 7, "f"), "v");
  ASSERT_TRUE(engine->Write(*synced, /*sync=*/true).ok());
  auto unsynced = engine->NewBatch();
  codec::EncodeStringMeta(&meta, 0, "now a string");
  unsynced->PutMeta(codec::MetaKey(0, "h"), meta);
  ASSERT_TRUE(engine->Write(*unsynced, /*sync=*/false).ok());
  ASSERT_TRUE(engine->CompactAll().ok());
  EXPECT_EQ(CountSubs(*engine), 1u);  // the synced version still owns its field
  ASSERT_TRUE(engine->SyncWal().ok());
  ASSERT_TRUE(engine->CompactAll().ok());
  EXPECT_EQ(CountSubs(*engine), 0u);  // now the change is durable: the field is garbage
}

TEST(EngineTest, VersionMarkSurvivesReopen) {
  testing_support::TempDir dir{"persister"};
  {
    auto engine = testing::OpenEngine(dir / "db");
    EXPECT_EQ(engine->LoadedVersionMark(), 0u);
    auto b = engine->NewBatch();
    b->PutVersionMark(123456789);
    ASSERT_TRUE(engine->Write(*b, true).ok());
  }
  EXPECT_EQ(testing::OpenEngine(dir / "db")->LoadedVersionMark(), 123456789u);
}

TEST(EngineTest, ReopenFindsTheSameDatabaseAndNeverCreatesOne) {
  testing_support::TempDir dir{"persister"};
  auto engine = testing::OpenEngine(dir / "db");
  auto b = engine->NewBatch();
  b->PutMeta(codec::MetaKey(0, "k"), "x");
  ASSERT_TRUE(engine->Write(*b, true).ok());
  ASSERT_TRUE(engine->Reopen().ok());
  std::string raw;
  bool found = false;
  ASSERT_TRUE(engine->GetMeta(codec::MetaKey(0, "k"), &raw, &found).ok());
  EXPECT_TRUE(found);
  // A batch made before the reopen still writes (its column families are the same).
  b->Clear();
  b->PutMeta(codec::MetaKey(0, "j"), "y");
  ASSERT_TRUE(engine->Write(*b, true).ok());
  fs::remove((dir / "db") + "/CURRENT");  // the database vanished (an unmounted disk, say)
  EXPECT_FALSE(engine->Reopen().ok());
  EXPECT_FALSE(fs::exists((dir / "db") + "/CURRENT"));
}

TEST(EngineTest, SecondOpenOfALockedDirectoryIsRefused) {
  testing_support::TempDir dir{"persister"};
  auto first = testing::OpenEngine(dir / "db");
  EngineOptions o;
  o.dir = dir / "db";
  auto second = Engine::Open(o);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("in use by another process"), std::string::npos)
      << second.status().message();
}

TEST(EngineTest, NewerFormatVersionIsRefusedUntouched) {
  testing_support::TempDir dir{"persister"};
  testing::OpenEngine(dir / "db").reset();
  {
    // Rewrite the format record as a future vellumd would.
    rocksdb::DB* raw = nullptr;
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {{"default", {}}, {"meta", {}}, {"sub", {}}};
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), dir / "db", cfs, &handles, &raw).ok());
    ASSERT_TRUE(raw->Put(rocksdb::WriteOptions(), handles[0], "vellum.format", "2").ok());
    for (auto* h : handles) raw->DestroyColumnFamilyHandle(h);
    delete raw;
  }
  EngineOptions o;
  o.dir = dir / "db";
  auto e = Engine::Open(o);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("format version 2"), std::string::npos) << e.status().message();
  e = Engine::Open(o);  // still refused: nothing was rewritten
  EXPECT_FALSE(e.ok());
}

TEST(EngineTest, ForeignDatabaseIsRefused) {
  testing_support::TempDir dir{"persister"};
  rocksdb::DB* raw = nullptr;
  rocksdb::Options opts;
  opts.create_if_missing = true;
  fs::create_directories((dir / "db"));
  ASSERT_TRUE(rocksdb::DB::Open(opts, (dir / "db"), &raw).ok());
  ASSERT_TRUE(raw->Put(rocksdb::WriteOptions(), "someone", "else's").ok());
  delete raw;
  EngineOptions o;
  o.dir = dir / "db";
  auto e = Engine::Open(o);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("not a Vellum database"), std::string::npos)
      << e.status().message();
}

// The list at (db, key) as its elements, for comparisons after a restart.
std::vector<std::string> ListOf(Entry* e) {
  std::vector<std::string> out;
  if (e == nullptr || e->type != ValueType::kList) return out;
  for (size_t i = 0; i < e->list_value->size(); i++) out.emplace_back(e->list_value->at(i));
  return out;
}

TEST_F(PersisterTest, ListsSurviveARestartInOrder) {
  testing::PushList(*ks_, 0, "q", "b", /*front=*/true);
  testing::PushList(*ks_, 0, "q", "a", true);
  testing::PushList(*ks_, 0, "q", "c", false);
  Reopen();
  EXPECT_EQ(ListOf(Raw(0, "q")), (std::vector<std::string>{"a", "b", "c"}));
  testing::PushList(*ks_, 0, "q", "d", false);  // after the load: positions continue
  testing::PopList(*ks_, 0, "q", true);
  Reopen();
  EXPECT_EQ(ListOf(Raw(0, "q")), (std::vector<std::string>{"b", "c", "d"}));
}

// The sorted set at (db, key) as (member, score) in rank order.
std::vector<std::pair<std::string, double>> ZSetOf(Entry* e) {
  std::vector<std::pair<std::string, double>> out;
  if (e == nullptr || e->type != ValueType::kZSet) return out;
  e->zset_value->Walk(0, e->zset_value->size(), false, [&](ZSetValue::Item it) {
    out.emplace_back(std::string(it.member), it.score);
    return true;
  });
  return out;
}

TEST_F(PersisterTest, SortedSetsSurviveARestartWithTheirScores) {
  const double inf = std::numeric_limits<double>::infinity();
  testing::ZAddOrRem(*ks_, 0, "z", "b", 2);
  testing::ZAddOrRem(*ks_, 0, "z", "a", -inf);
  testing::ZAddOrRem(*ks_, 0, "z", "c", 1.5);
  Reopen();
  using Items = std::vector<std::pair<std::string, double>>;
  EXPECT_EQ(ZSetOf(Raw(0, "z")), (Items{{"a", -inf}, {"c", 1.5}, {"b", 2}}));
  testing::ZAddOrRem(*ks_, 0, "z", "c", 9);  // member-level writes after the load
  testing::ZAddOrRem(*ks_, 0, "z", "a", 0, /*remove=*/true);
  testing::ZAddOrRem(*ks_, 0, "z", "d", 0.25);
  Reopen();
  EXPECT_EQ(ZSetOf(Raw(0, "z")), (Items{{"d", 0.25}, {"b", 2}, {"c", 9}}));
  testing::ZAddOrRem(*ks_, 0, "z", "d", 0, true);
  testing::ZAddOrRem(*ks_, 0, "z", "b", 0, true);
  testing::ZAddOrRem(*ks_, 0, "z", "c", 0, true);
  Reopen();
  EXPECT_EQ(Raw(0, "z"), nullptr);
}

// A push or pop at an end of a long list writes that position, not the list.
TEST_F(PersisterTest, AListEndChangeWritesOneRecord) {
  for (int i = 0; i < 1000; i++) testing::PushList(*ks_, 0, "long", std::to_string(i), false);
  Reopen();
  auto wait_durable = [&] {
    const uint64_t ticket = Persister::TakeThreadTicket();
    for (int i = 0; i < 500 && !persister_->Durable(ticket); i++) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    ASSERT_TRUE(persister_->Durable(ticket));
  };
  (void)Persister::TakeThreadTicket();  // the old persister's
  Set(0, "warm-up", "x");  // the new persister's first cycle also writes its version mark
  wait_durable();
  const uint64_t before = persister_->records_written();
  testing::PushList(*ks_, 0, "long", "front", true);
  testing::PopList(*ks_, 0, "long", false);
  wait_durable();
  EXPECT_LE(persister_->records_written() - before, 2u);  // a put and a delete
  const uint64_t after_ends = persister_->records_written();
  {
    std::lock_guard<storage::ShardMutexType> lock(ks_->ShardMutex(ks_->ShardOf("long")));
    ks_->Find(0, "long", WallMs())->list_value->Set(500, "lset");  // LSET: one record too
    ks_->MarkListEndsWritten(0, "long");
  }
  wait_durable();
  EXPECT_EQ(persister_->records_written() - after_ends, 1u);
  Reopen();
  const std::vector<std::string> list = ListOf(Raw(0, "long"));
  ASSERT_EQ(list.size(), 1000u);
  EXPECT_EQ(list.front(), "front");
  EXPECT_EQ(list[500], "lset");
  EXPECT_EQ(list.back(), "998");
}

// Random pushes, pops and middle edits, with restarts in between: what loads is the list
// as it was, whichever mix of ends-only and whole writes carried it.
TEST_F(PersisterTest, ListEditsAcrossCyclesLoadAsTheyWere) {
  std::mt19937_64 rng(7);
  std::deque<std::string> model;
  for (int round = 0; round < 6; round++) {
    for (int step = 0; step < 300; step++) {
      const std::string v = std::to_string(round) + ":" + std::to_string(step);
      const int op = static_cast<int>(rng() % 10);
      if (op < 3 || model.empty()) {
        testing::PushList(*ks_, 0, "l", v, true);
        model.push_front(v);
      } else if (op < 6) {
        testing::PushList(*ks_, 0, "l", v, false);
        model.push_back(v);
      } else if (op < 8) {
        testing::PopList(*ks_, 0, "l", op == 6);
        if (op == 6) model.pop_front();
        else model.pop_back();
      } else {
        std::lock_guard<storage::ShardMutexType> lock(ks_->ShardMutex(ks_->ShardOf("l")));
        Entry* e = ks_->Find(0, "l", WallMs());
        const size_t i = rng() % model.size();
        e->list_value->Set(i, v);  // LSET: the list says it needs a rewrite
        model[i] = v;
        ks_->MarkListEndsWritten(0, "l");
      }
      if (step % 50 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(3));
    }
    Reopen();
    const std::vector<std::string> want(model.begin(), model.end());
    ASSERT_EQ(ListOf(Raw(0, "l")), want) << "round " << round;
  }
}

// A worker's loop in everysec (storage/persister.h, "Who runs a cycle"): its writes do
// not wake the persister's thread; it owes the wake and settles it at the end of its
// iteration, by running the cycle itself.
class DeferredWakes {
 public:
  DeferredWakes() { Persister::DeferWakesOnThisThread(true); }
  ~DeferredWakes() {
    (void)Persister::TakeOwedWake();
    Persister::DeferWakesOnThisThread(false);  // gtest runs every test on this thread
  }
};

TEST_F(PersisterTest, ALoopRunsTheCycleOfItsOwnWritesAndTheThreadSyncsThem) {
  DeferredWakes loop;
  (void)Persister::TakeThreadTicket();
  const uint64_t syncs_before = persister_->syncs();
  // While idle, the persister's thread looks for loop writes every 100 ms. When a look
  // lands between the write and CommitFromLoop, the thread runs that cycle and the loop's
  // try-lock fails, as designed (a TSan run of CI met it once): then the write is the
  // thread's, and the test tries again with another key.
  std::string key;
  bool by_the_loop = false;
  for (int attempt = 0; attempt < 20 && !by_the_loop; attempt++) {
    key = "k" + std::to_string(attempt);
    const uint64_t loop_cycles = persister_->loop_cycles();
    Set(0, key, "v");
    const uint64_t ticket = Persister::TakeThreadTicket();
    ASSERT_TRUE(Persister::TakeOwedWake());
    EXPECT_FALSE(Persister::TakeOwedWake());  // taken once
    if (persister_->CommitFromLoop() && persister_->loop_cycles() == loop_cycles + 1) {
      EXPECT_TRUE(persister_->Durable(ticket));  // at once: no wait for another thread
      by_the_loop = true;
    } else {
      for (int i = 0; i < 500 && !persister_->Durable(ticket); i++) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
      ASSERT_TRUE(persister_->Durable(ticket));
    }
  }
  ASSERT_TRUE(by_the_loop);
  std::string raw;
  bool found = false;
  ASSERT_TRUE(engine_->GetMeta(codec::MetaKey(0, key), &raw, &found).ok());
  EXPECT_TRUE(found);
  // Nothing new: nothing to run (CommitFromLoop says true, or false if the thread's look
  // holds the cycle lock at that moment; either way no cycle runs on the loop).
  const uint64_t loop_cycles = persister_->loop_cycles();
  (void)persister_->CommitFromLoop();
  EXPECT_EQ(persister_->loop_cycles(), loop_cycles);
  // The persister's thread syncs the WAL within about a second (everysec).
  for (int i = 0; i < 300 && persister_->syncs() == syncs_before; i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_GT(persister_->syncs(), syncs_before);
}

TEST_F(PersisterTest, ABulkWriteIsLeftToTheThreadNotTheLoop) {
  DeferredWakes loop;
  (void)Persister::TakeThreadTicket();
  WithAllLocks([&] {  // nothing collected meanwhile: all of it is dirty at once
    for (int i = 0; i <= Persister::kLoopCycleMaxKeys; i++) {
      bool created = false;
      ks_->Upsert(0, "bulk:" + std::to_string(i), WallMs(), &created)->SetStr("v");
    }
  });
  const uint64_t ticket = Persister::TakeThreadTicket();
  ASSERT_TRUE(Persister::TakeOwedWake());
  EXPECT_FALSE(persister_->CommitFromLoop());  // the loop's other clients do not wait
  persister_->WakeThread();
  for (int i = 0; i < 500 && !persister_->Durable(ticket); i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_TRUE(persister_->Durable(ticket));
  EXPECT_EQ(persister_->loop_cycles(), 0u);
}

// What the loop's limits are for: one loop iteration of 50 clients' 16 pipelined 1 KiB
// SETs (800 keys, about 850 KB collected) is written by the loop, not handed to the thread.
// The retry is ALoopRunsTheCycleOfItsOwnWritesAndTheThreadSyncsThem's (the idle thread's
// look may take a cycle first).
TEST_F(PersisterTest, ALoopWritesAnIterationOfEightHundredKibSetsNotTheThread) {
  DeferredWakes loop;
  (void)Persister::TakeThreadTicket();
  const std::string value(1024, 'v');
  bool by_the_loop = false;
  for (int attempt = 0; attempt < 20 && !by_the_loop; attempt++) {
    const uint64_t loop_cycles = persister_->loop_cycles();
    const uint64_t cycles = persister_->cycles();
    WithAllLocks([&] {
      for (int i = 0; i < 800; i++) {
        bool created = false;
        ks_->Upsert(0, "p" + std::to_string(attempt) + ":" + std::to_string(i), WallMs(), &created)
            ->SetStr(value);
      }
    });
    const uint64_t ticket = Persister::TakeThreadTicket();
    ASSERT_TRUE(Persister::TakeOwedWake());
    // The loop's cycle and no other: a look of the thread's that began during the writes
    // would take the shards marked by then, and leave the loop only the rest.
    if (persister_->CommitFromLoop() && persister_->loop_cycles() == loop_cycles + 1 &&
        persister_->cycles() == cycles + 1) {
      EXPECT_TRUE(persister_->Durable(ticket));
      by_the_loop = true;
    } else {
      persister_->WakeThread();
      for (int i = 0; i < 500 && !persister_->Durable(ticket); i++) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
      ASSERT_TRUE(persister_->Durable(ticket));
    }
  }
  EXPECT_TRUE(by_the_loop);
}

TEST_F(PersisterTest, ALoopLeavesACycleOfMoreBytesThanItsLimitToTheThread) {
  DeferredWakes loop;
  (void)Persister::TakeThreadTicket();
  // One key, but more bytes than a loop may write.
  Set(0, "page", std::string(Persister::kLoopCycleMaxBytes + 1024, 'p'));
  const uint64_t ticket = Persister::TakeThreadTicket();
  ASSERT_TRUE(Persister::TakeOwedWake());
  EXPECT_FALSE(persister_->CommitFromLoop());  // collected there, written by the thread
  persister_->WakeThread();
  for (int i = 0; i < 500 && !persister_->Durable(ticket); i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_TRUE(persister_->Durable(ticket));
  EXPECT_EQ(persister_->loop_cycles(), 0u);
  std::string raw;
  bool found = false;
  ASSERT_TRUE(engine_->GetMeta(codec::MetaKey(0, "page"), &raw, &found).ok());
  EXPECT_TRUE(found);
}

TEST_F(PersisterTest, AlwaysNeverRunsACycleOnALoop) {
  Close();
  Open(Persister::Mode::kAlways);
  EXPECT_FALSE(persister_->commits_from_loops());
  DeferredWakes loop;
  Set(0, "k", "v");
  (void)Persister::TakeOwedWake();
  EXPECT_FALSE(persister_->CommitFromLoop());  // a sync must never stop a loop
  persister_->WakeThread();
  const uint64_t ticket = Persister::TakeThreadTicket();
  for (int i = 0; i < 500 && !persister_->Durable(ticket); i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_TRUE(persister_->Durable(ticket));
  EXPECT_EQ(persister_->loop_cycles(), 0u);
}

// Four loops run their own cycles, race one another, the persister's thread and
// checkpoints (which hold the cycle lock across their cut); each iteration's writes are
// durable once CommitFromLoop says so, or once the woken thread got to them, and what
// loads afterwards is each key's last value. Under TSan (`make tsan`).
TEST_F(PersisterTest, LoopThreadsCommitTheirOwnCyclesAgainstTheThreadAndCheckpoints) {
  constexpr int kThreads = 4, kKeys = 100, kRounds = 80;  // f3's last write: round 79
  std::atomic<bool> done{false};
  std::thread snapshotter([&] {
    for (int i = 0; !done.load() && i < 10; i++) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      (void)persister_->Checkpoint((dir_ / "db") + "-cp" + std::to_string(i));
      fs::remove_all((dir_ / "db") + "-cp" + std::to_string(i));
    }
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&, t] {
      DeferredWakes loop;
      for (int r = 0; r < kRounds; r++) {
        for (int k = 0; k < kKeys; k++) {  // an "iteration" of 10 writes, then its commit
          std::string key = "t" + std::to_string(t) + ":" + std::to_string(k);
          if (k % 3 == 0)
            HSet(t, key, "f" + std::to_string(r % 4), std::to_string(r));
          else
            Set(t, key, std::to_string(r));
          if (k % 10 != 9) continue;
          const uint64_t ticket = Persister::TakeThreadTicket();
          if (!Persister::TakeOwedWake()) continue;  // another thread's flag covers it
          if (persister_->CommitFromLoop()) {
            ASSERT_TRUE(persister_->Durable(ticket));
          } else {
            persister_->WakeThread();
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  done = true;
  snapshotter.join();
  // How many cycles the loops ran is up to the scheduler (ALoopRuns... checks that they
  // do); what must hold is the data.
  Reopen();
  for (int t = 0; t < kThreads; t++) {
    for (int k = 0; k < kKeys; k++) {
      std::string key = "t" + std::to_string(t) + ":" + std::to_string(k);
      if (k % 3 == 0) {
        Entry* e = Raw(t, key);
        ASSERT_NE(e, nullptr);
        EXPECT_EQ(e->hash_value->Get("f3").value_or(""), std::to_string(kRounds - 1));
      } else {
        EXPECT_EQ(Get(t, key), std::to_string(kRounds - 1)) << key;
      }
    }
  }
}

// Writers on four threads (as four workers) and the persister race; whatever interleaving
// happened, what loads afterwards is each key's last value.
TEST_F(PersisterTest, PersisterThreadRacesWritersAndLosesNothing) {
  constexpr int kThreads = 4, kKeys = 200, kRounds = 20;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&, t] {
      for (int r = 0; r < kRounds; r++) {
        for (int k = 0; k < kKeys; k++) {
          std::string key = "t" + std::to_string(t) + ":" + std::to_string(k);
          if (k % 3 == 0) HSet(t, key, "f" + std::to_string(r % 4), std::to_string(r));
          else Set(t, key, std::to_string(r));
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  Reopen();
  for (int t = 0; t < kThreads; t++) {
    for (int k = 0; k < kKeys; k++) {
      std::string key = "t" + std::to_string(t) + ":" + std::to_string(k);
      if (k % 3 == 0) {
        Entry* e = Raw(t, key);
        ASSERT_NE(e, nullptr);
        EXPECT_EQ(e->hash_value->size(), 4u);
        EXPECT_EQ(e->hash_value->Get("f3").value_or(""), std::to_string(kRounds - 1));
      } else {
        EXPECT_EQ(Get(t, key), std::to_string(kRounds - 1)) << key;
      }
    }
  }
}

}  // namespace
}  // namespace vellum::storage

namespace vellum::storage {
namespace {

// A cycle that collects more than Persister::kBatchBytes goes out as several batches,
// each key whole in one: a bulk load would otherwise be one log record of hundreds of
// megabytes (read whole by RocksDB's archived-log purge at every open, and sent whole to
// a replica).
TEST_F(PersisterTest, ABigCycleIsWrittenInBoundedBatches) {
  const std::string value(4096, 'p');
  WithAllLocks([&] {  // the persister waits: everything below lands in one cycle
    for (int i = 0; i < 3000; i++) {
      bool created = false;
      Entry* e = ks_->Upsert(0, "bulk:" + std::to_string(i), WallMs(), &created);
      e->SetStr(value);
    }
  });
  ASSERT_TRUE(persister_->Drain(10000).ok());
  std::vector<LogBatch> batches;
  bool gone = false;
  ASSERT_TRUE(engine_->ReadLog(1, 1u << 30, &batches, &gone).ok());
  ASSERT_FALSE(gone);
  size_t big = 0;
  for (const LogBatch& b : batches) {
    EXPECT_LT(b.data.size(), Persister::kBatchBytes + 2 * value.size()) << b.sequence;
    if (b.data.size() > Persister::kBatchBytes / 2) big++;
  }
  EXPECT_GE(big, 2u);  // 12 MB of values: a dozen pieces
  Reopen();
  EXPECT_EQ(ks_->DbSize(0), 3000u);
  EXPECT_EQ(Get(0, "bulk:2999"), value);
}

}  // namespace
}  // namespace vellum::storage
