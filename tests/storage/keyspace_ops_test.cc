// Tests of the Keyspace and Table operations the key and expiry commands rely on: Copy,
// Move, FindForReadNoTouch, the async flushes, and SCAN's guarantee across resizes.
// Time is a ManualClock value passed as now_ms, so nothing sleeps. Single-threaded, so
// the shard locks the per-key operations expect are not taken.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "storage/keyspace.h"
#include "storage/table.h"

namespace vellum::storage {
namespace {

// Records what the keyspace reports, in order.
class RecordingListener : public WriteListener {
 public:
  void OnKeyWritten(int db, std::string_view key) override { Add("written", db, key); }
  void OnKeyDeleted(int db, std::string_view key) override { Add("deleted", db, key); }
  void OnKeyExpired(int db, std::string_view key) override { Add("expired", db, key); }
  void OnDbFlushed(int db) override { Add("flushed", db, ""); }
  void OnDbSwapped(int a, int b) override { Add("swapped", a, std::to_string(b)); }

  std::vector<std::string> events;

 private:
  void Add(const char* what, int db, std::string_view key) {
    events.push_back(std::string(what) + " " + std::to_string(db) + " " + std::string(key));
  }
};

class KeyspaceOpsTest : public ::testing::Test {
 protected:
  int64_t now() const { return clock_.NowMs(); }

  Entry* SetString(int db, std::string_view key, std::string_view value, int64_t expire_at = 0) {
    bool created = false;
    Entry* e = ks_.Upsert(db, key, now(), &created);
    e->SetStr(value);
    if (expire_at != 0) ks_.SetExpire(db, e, expire_at);
    return e;
  }

  ManualClock clock_;
  Keyspace ks_{4};
};

TEST_F(KeyspaceOpsTest, CopyDuplicatesValueAndTtl) {
  SetString(0, "src", "hello", now() + 5000);
  ASSERT_TRUE(ks_.Copy(0, "src", 0, "dst", now()));
  Entry* dst = ks_.Find(0, "dst", now());
  ASSERT_NE(dst, nullptr);
  EXPECT_EQ(dst->str(), "hello");
  EXPECT_EQ(dst->key(), "dst");
  EXPECT_EQ(dst->expire_at_ms, now() + 5000);
  EXPECT_EQ(ks_.VolatileSize(0), 2u);
  // The copy is independent of its source.
  dst->SetStr("changed");
  EXPECT_EQ(ks_.Find(0, "src", now())->str(), "hello");
  // Both expire at the same time.
  clock_.Advance(5000);
  EXPECT_EQ(ks_.Find(0, "src", now()), nullptr);
  EXPECT_EQ(ks_.Find(0, "dst", now()), nullptr);
  EXPECT_EQ(ks_.DbSize(0), 0u);
}

TEST_F(KeyspaceOpsTest, CopyWithoutTtlStaysPersistent) {
  SetString(0, "src", "v");
  ASSERT_TRUE(ks_.Copy(0, "src", 0, "dst", now()));
  EXPECT_FALSE(ks_.Find(0, "dst", now())->HasExpire());
  EXPECT_EQ(ks_.VolatileSize(0), 0u);
}

TEST_F(KeyspaceOpsTest, CopyReplacesExistingDestinationAndItsTtl) {
  SetString(0, "src", "new");
  SetString(0, "dst", "old", now() + 1000);
  ASSERT_TRUE(ks_.Copy(0, "src", 0, "dst", now()));
  Entry* dst = ks_.Find(0, "dst", now());
  ASSERT_NE(dst, nullptr);
  EXPECT_EQ(dst->str(), "new");
  EXPECT_FALSE(dst->HasExpire());
  EXPECT_EQ(ks_.DbSize(0), 2u);
  EXPECT_EQ(ks_.VolatileSize(0), 0u);
}

TEST_F(KeyspaceOpsTest, CopyAcrossDatabasesKeepsTheSourceDatabase) {
  SetString(3, "k", "v", now() + 100);
  ASSERT_TRUE(ks_.Copy(3, "k", 7, "k", now()));
  EXPECT_EQ(ks_.Find(3, "k", now())->str(), "v");
  EXPECT_EQ(ks_.Find(7, "k", now())->str(), "v");
  EXPECT_EQ(ks_.Find(7, "k", now())->expire_at_ms, now() + 100);
  EXPECT_EQ(ks_.DbSize(0), 0u);
}

TEST_F(KeyspaceOpsTest, CopyOfMissingOrExpiredSourceFails) {
  EXPECT_FALSE(ks_.Copy(0, "missing", 0, "dst", now()));
  SetString(0, "gone", "v", now() + 10);
  clock_.Advance(10);
  EXPECT_FALSE(ks_.Copy(0, "gone", 0, "dst", now()));
  EXPECT_EQ(ks_.Find(0, "dst", now()), nullptr);
  EXPECT_EQ(ks_.DbSize(0), 0u);
}

TEST_F(KeyspaceOpsTest, CopyReportsTheDestinationAsWritten) {
  RecordingListener listener;
  SetString(0, "src", "v");
  ks_.set_listener(&listener);
  ASSERT_TRUE(ks_.Copy(0, "src", 2, "dst", now()));
  EXPECT_EQ(listener.events, std::vector<std::string>{"written 2 dst"});
  ks_.set_listener(nullptr);
}

TEST_F(KeyspaceOpsTest, CopyStartsWithFreshAccessClock) {
  SetString(0, "src", "v");
  clock_.Advance(60'000);
  ASSERT_TRUE(ks_.Copy(0, "src", 0, "dst", now()));
  EXPECT_EQ(ks_.Find(0, "dst", now())->access_clock, static_cast<uint32_t>(now() / 1000));
}

TEST_F(KeyspaceOpsTest, MoveKeepsTtlAndReplacesDestination) {
  SetString(0, "a", "va", now() + 3000);
  SetString(0, "b", "vb");
  ASSERT_TRUE(ks_.Move(0, "a", 0, "b", now()));
  EXPECT_EQ(ks_.Find(0, "a", now()), nullptr);
  Entry* b = ks_.Find(0, "b", now());
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->str(), "va");
  EXPECT_EQ(b->expire_at_ms, now() + 3000);
  EXPECT_EQ(ks_.DbSize(0), 1u);
  EXPECT_EQ(ks_.VolatileSize(0), 1u);
}

TEST_F(KeyspaceOpsTest, FindForReadNoTouchLeavesAccessClock) {
  Entry* e = SetString(0, "k", "v");
  const uint32_t before = e->access_clock;
  clock_.Advance(10'000);
  ASSERT_EQ(ks_.FindForReadNoTouch(0, "k", now()), e);
  EXPECT_EQ(e->access_clock, before);
  ASSERT_EQ(ks_.FindForRead(0, "k", now()), e);
  EXPECT_EQ(e->access_clock, static_cast<uint32_t>(now() / 1000));
}

TEST_F(KeyspaceOpsTest, FindForReadNoTouchCountsHitsAndMisses) {
  SetString(0, "k", "v");
  ks_.ResetStats();
  EXPECT_NE(ks_.FindForReadNoTouch(0, "k", now()), nullptr);
  EXPECT_EQ(ks_.FindForReadNoTouch(0, "nope", now()), nullptr);
  EXPECT_EQ(ks_.hits(), 1u);
  EXPECT_EQ(ks_.misses(), 1u);
}

TEST_F(KeyspaceOpsTest, FindForReadNoTouchExpiresLazily) {
  SetString(0, "k", "v", now() + 50);
  clock_.Advance(49);
  EXPECT_NE(ks_.FindForReadNoTouch(0, "k", now()), nullptr);
  clock_.Advance(1);
  EXPECT_EQ(ks_.FindForReadNoTouch(0, "k", now()), nullptr);
  EXPECT_EQ(ks_.DbSize(0), 0u);
  EXPECT_EQ(ks_.expired_keys(), 1u);
}

TEST_F(KeyspaceOpsTest, FlushDbAsyncEmptiesOnlyThatDatabase) {
  for (int i = 0; i < 500; i++) {
    SetString(1, "k" + std::to_string(i), "v", i % 2 ? now() + 1000 : 0);
  }
  SetString(2, "other", "v");
  ks_.FlushDbAsync(1);
  EXPECT_EQ(ks_.DbSize(1), 0u);
  EXPECT_EQ(ks_.VolatileSize(1), 0u);
  EXPECT_EQ(ks_.Find(1, "k1", now()), nullptr);
  EXPECT_NE(ks_.Find(2, "other", now()), nullptr);
  // The emptied database is usable at once.
  SetString(1, "k1", "again");
  EXPECT_EQ(ks_.Find(1, "k1", now())->str(), "again");
  EXPECT_EQ(ks_.DbSize(1), 1u);
}

TEST_F(KeyspaceOpsTest, FlushAllAsyncEmptiesEveryDatabase) {
  for (int db = 0; db < kNumDbs; db++) {
    for (int i = 0; i < 40; i++) SetString(db, "k" + std::to_string(i), "value", now() + 1000);
  }
  RecordingListener listener;
  ks_.set_listener(&listener);
  ks_.FlushAllAsync();
  ks_.set_listener(nullptr);
  EXPECT_EQ(listener.events, std::vector<std::string>{"flushed -1 "});
  for (int db = 0; db < kNumDbs; db++) {
    EXPECT_EQ(ks_.DbSize(db), 0u);
    EXPECT_EQ(ks_.VolatileSize(db), 0u);
  }
  SetString(0, "k0", "v");
  EXPECT_EQ(ks_.DbSize(0), 1u);
}

TEST_F(KeyspaceOpsTest, FlushAsyncOfSmallDatabaseFreesInline) {
  SetString(0, "a", "v");
  ks_.FlushDbAsync(0);
  EXPECT_EQ(ks_.DbSize(0), 0u);
}

TEST_F(KeyspaceOpsTest, ScanWithSmallCountReturnsEveryKey) {
  std::set<std::string> want;
  for (int i = 0; i < 1000; i++) {
    std::string k = "key:" + std::to_string(i);
    SetString(0, k, "v");
    want.insert(k);
  }
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int calls = 0;
  do {
    cursor = ks_.Scan(0, cursor, 10, now(), [&](const Entry& e) { seen.insert(std::string(e.key())); });
    ASSERT_LT(++calls, 10000);
  } while (cursor != 0);
  EXPECT_EQ(seen, want);
}

TEST_F(KeyspaceOpsTest, ScanSkipsExpiredEntries) {
  SetString(0, "live", "v");
  SetString(0, "dead", "v", now() + 1);
  clock_.Advance(1);
  std::vector<std::string> seen;
  EXPECT_EQ(ks_.Scan(0, 0, SIZE_MAX, now(), [&](const Entry& e) { seen.push_back(std::string(e.key())); }), 0u);
  EXPECT_EQ(seen, std::vector<std::string>{"live"});
}

// Builds an entry as Keyspace does, for direct Table tests.
Entry* NewEntry(const std::string& key) {
  Entry* e = Entry::New(key);
  e->hash = HashKey(key);
  return e;
}

TEST(TableOpsTest, ScanReturnsEveryKeyAcrossResize) {
  Table t;
  std::set<std::string> original;
  for (int i = 0; i < 64; i++) {
    std::string k = "orig:" + std::to_string(i);
    t.Insert(NewEntry(k));
    original.insert(k);
  }
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int step = 0;
  do {
    cursor = t.ScanStep(cursor, [&](Entry* e) { seen.insert(std::string(e->key())); });
    // Grow the table a lot mid-scan (several doublings).
    if (step++ == 5) {
      for (int i = 0; i < 1000; i++) t.Insert(NewEntry("new:" + std::to_string(i)));
    }
    ASSERT_LT(step, 100000);
  } while (cursor != 0);
  for (const std::string& k : original) EXPECT_TRUE(seen.count(k)) << k;
}

TEST(TableOpsTest, ScanReturnsEveryKeyAcrossShrink) {
  Table t;
  std::set<std::string> kept;
  for (int i = 0; i < 1024; i++) {
    std::string k = "k:" + std::to_string(i);
    t.Insert(NewEntry(k));
    if (i % 64 == 0) kept.insert(k);
  }
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int step = 0;
  do {
    cursor = t.ScanStep(cursor, [&](Entry* e) { seen.insert(std::string(e->key())); });
    if (step++ == 7) {  // delete almost everything: the table shrinks several times
      for (int i = 0; i < 1024; i++) {
        std::string k = "k:" + std::to_string(i);
        if (!kept.count(k)) Entry::Delete(t.Unlink(k, HashKey(k)));
      }
    }
    ASSERT_LT(step, 100000);
  } while (cursor != 0);
  EXPECT_EQ(t.size(), kept.size());
  for (const std::string& k : kept) EXPECT_TRUE(seen.count(k)) << k;
}

TEST(TableOpsTest, MovedFromTableIsEmptyAndUsable) {
  Table a;
  for (int i = 0; i < 10; i++) a.Insert(NewEntry("k" + std::to_string(i)));
  Table b(std::move(a));
  EXPECT_EQ(b.size(), 10u);
  EXPECT_EQ(a.size(), 0u);  // NOLINT(bugprone-use-after-move): documented state
  EXPECT_EQ(a.Find("k1", HashKey("k1")), nullptr);
  a.Insert(NewEntry("fresh"));
  EXPECT_NE(a.Find("fresh", HashKey("fresh")), nullptr);
}

}  // namespace
}  // namespace vellum::storage
