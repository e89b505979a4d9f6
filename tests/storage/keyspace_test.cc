#include "storage/keyspace.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace vellum::storage {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

// Writes `value` to `key` in db, holding the key's shard lock as the dispatcher would.
void Put(Keyspace& ks, int db, const std::string& key, const std::string& value,
         int64_t expire_at = 0) {
  ShardLocks locks(&ks);
  locks.AddKey(key);
  locks.Acquire();
  bool created;
  Entry* e = ks.Upsert(db, key, kNow, &created);
  e->SetStr(value);
  if (expire_at) ks.SetExpire(db, e, expire_at);
}

Entry* Get(Keyspace& ks, int db, const std::string& key, int64_t now = kNow) {
  ShardLocks locks(&ks);
  locks.AddKey(key);
  locks.Acquire();
  return ks.Find(db, key, now);
}

TEST(KeyspaceTest, DatabasesAreSeparate) {
  Keyspace ks(4);
  Put(ks, 0, "k", "zero");
  Put(ks, 1, "k", "one");
  EXPECT_EQ(Get(ks, 0, "k")->str(), "zero");
  EXPECT_EQ(Get(ks, 1, "k")->str(), "one");
  EXPECT_EQ(Get(ks, 2, "k"), nullptr);
}

TEST(KeyspaceTest, LazyExpiryDeletesOnAccess) {
  Keyspace ks(4);
  Put(ks, 0, "k", "v", kNow + 100);
  EXPECT_NE(Get(ks, 0, "k", kNow + 99), nullptr);
  EXPECT_EQ(Get(ks, 0, "k", kNow + 100), nullptr);
  EXPECT_EQ(ks.DbSize(0), 0u);
  EXPECT_EQ(ks.expired_keys(), 1u);
}

TEST(KeyspaceTest, ActiveExpiryRemovesUntouchedKeys) {
  Keyspace ks(4);
  for (int i = 0; i < 500; i++) Put(ks, 0, "v" + std::to_string(i), "x", kNow + 10);
  for (int i = 0; i < 500; i++) Put(ks, 0, "p" + std::to_string(i), "x");
  size_t total = 0;
  for (int round = 0; round < 50 && ks.DbSize(0) > 500; round++) {
    total += ks.ActiveExpireCycle(kNow + 11, 100000);
  }
  EXPECT_EQ(total, 500u);
  EXPECT_EQ(ks.DbSize(0), 500u);
}

TEST(KeyspaceTest, ScanVisitsEveryKeyOnce) {
  Keyspace ks(4);
  for (int i = 0; i < 1000; i++) Put(ks, 0, "k" + std::to_string(i), "x");
  std::multiset<std::string> seen;
  uint64_t cursor = 0;
  int calls = 0;
  do {
    cursor = ks.Scan(0, cursor, 10, kNow, [&](const Entry& e) { seen.insert(std::string(e.key())); });
  } while (cursor != 0 && ++calls < 100000);
  EXPECT_EQ(seen.size(), 1000u);
  std::set<std::string> unique(seen.begin(), seen.end());
  EXPECT_EQ(unique.size(), 1000u);
}

TEST(KeyspaceTest, ScanOfEmptyDbEndsAtOnce) {
  Keyspace ks(8);
  EXPECT_EQ(ks.Scan(0, 0, 10, kNow, [](const Entry&) {}), 0u);
}

TEST(KeyspaceTest, RandomKeyFindsTheOnlyKey) {
  Keyspace ks(8);
  std::string out;
  EXPECT_FALSE(ks.RandomKey(0, kNow, &out));
  Put(ks, 0, "only", "x");
  ASSERT_TRUE(ks.RandomKey(0, kNow, &out));
  EXPECT_EQ(out, "only");
}

TEST(KeyspaceTest, SwapDbAndFlush) {
  Keyspace ks(4);
  Put(ks, 0, "a", "x");
  Put(ks, 1, "b", "y");
  {
    ShardLocks all(&ks);
    all.AddAll();
    all.Acquire();
    ks.SwapDb(0, 1);
  }
  EXPECT_NE(Get(ks, 0, "b"), nullptr);
  EXPECT_NE(Get(ks, 1, "a"), nullptr);
  {
    ShardLocks all(&ks);
    all.AddAll();
    all.Acquire();
    ks.FlushDb(0);
  }
  EXPECT_EQ(ks.DbSize(0), 0u);
  EXPECT_EQ(ks.DbSize(1), 1u);
}

// Thread safety: many threads add to counters spread over shards, each increment a
// read-modify-write under the shard lock; any interleaving would lose increments.
TEST(KeyspaceThreadTest, ConcurrentIncrementsAreNotLost) {
  Keyspace ks(4);
  constexpr int kThreads = 8, kIters = 2000, kKeys = 16;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&ks, t] {
      for (int i = 0; i < kIters; i++) {
        std::string key = "c" + std::to_string((i + t) % kKeys);
        ShardLocks locks(&ks);
        locks.AddKey(key);
        locks.Acquire();
        bool created;
        Entry* e = ks.Upsert(0, key, kNow, &created);
        e->SetStr(std::to_string((created ? 0 : std::stoll(std::string(e->str()))) + 1));
      }
    });
  }
  for (auto& th : threads) th.join();
  long long total = 0;
  for (int k = 0; k < kKeys; k++) total += std::stoll(std::string(Get(ks, 0, "c" + std::to_string(k))->str()));
  EXPECT_EQ(total, kThreads * kIters);
}

// The hit/miss counters live per shard and are bumped under the shard lock: threads
// reading keys of all shards at once must lose no count, and ResetStats, racing them,
// must leave the totals consistent (never more than what happened after it).
TEST(KeyspaceThreadTest, HitAndMissCountsAreExactAcrossShards) {
  Keyspace ks(4);
  constexpr int kThreads = 8, kIters = 2000, kKeys = 64;
  for (int k = 0; k < kKeys; k++) {
    ShardLocks locks(&ks);
    std::string key = "k" + std::to_string(k);
    locks.AddKey(key);
    locks.Acquire();
    bool created;
    ks.Upsert(0, key, kNow, &created)->SetStr("v");
  }
  ks.ResetStats();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&ks, t] {
      for (int i = 0; i < kIters; i++) {
        // Even i: a key that exists; odd i: one that does not.
        std::string key = (i % 2 == 0 ? "k" : "missing") + std::to_string((i + t) % kKeys);
        ShardLocks locks(&ks);
        locks.AddKey(key);
        locks.Acquire();
        ks.FindForRead(0, key, kNow);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ks.hits(), uint64_t{kThreads * kIters / 2});
  EXPECT_EQ(ks.misses(), uint64_t{kThreads * kIters / 2});
  ks.ResetStats();
  EXPECT_EQ(ks.hits(), 0u);
  EXPECT_EQ(ks.misses(), 0u);
}

// Multi-key atomicity: writers set a pair of keys (in different shards) to the same
// value under both locks; readers lock both and must never see them differ.
TEST(KeyspaceThreadTest, MultiKeyLocksAreAtomic) {
  Keyspace ks(8);
  const std::string a = "pair-a", b = "pair-b-other";
  Put(ks, 0, a, "0");
  Put(ks, 0, b, "0");
  std::atomic<bool> stop{false};
  std::atomic<int> torn{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < 4; w++) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < 3000; i++) {
        ShardLocks locks(&ks);
        locks.AddKey(b);
        locks.AddKey(a);
        locks.Acquire();
        std::string v = std::to_string(w * 100000 + i);
        ks.Find(0, a, kNow)->SetStr(v);
        ks.Find(0, b, kNow)->SetStr(v);
      }
    });
  }
  for (int r = 0; r < 4; r++) {
    threads.emplace_back([&] {
      while (!stop.load()) {
        ShardLocks locks(&ks);
        locks.AddKey(a);
        locks.AddKey(b);
        locks.Acquire();
        if (ks.Find(0, a, kNow)->str() != ks.Find(0, b, kNow)->str()) torn++;
      }
    });
  }
  for (int i = 0; i < 4; i++) threads[i].join();
  stop = true;
  for (size_t i = 4; i < threads.size(); i++) threads[i].join();
  EXPECT_EQ(torn.load(), 0);
}

}  // namespace
}  // namespace vellum::storage

namespace vellum::storage {
namespace {

// EXEC and kLockAll commands hold every shard; iterations inside them must not relock.
TEST(KeyspaceTest, IterationsRunUnderAllShardLocks) {
  Keyspace ks(4);
  Put(ks, 0, "a", "x");
  ShardLocks all(&ks);
  all.AddAll();
  all.Acquire();
  EXPECT_EQ(ks.DbSize(0), 1u);
  std::string out;
  EXPECT_TRUE(ks.RandomKey(0, kNow, &out));
  EXPECT_EQ(ks.Scan(0, 0, 100, kNow, [](const Entry&) {}), 0u);
  all.Release();
  EXPECT_EQ(ks.DbSize(0), 1u);  // and lock normally again afterwards
}

// A command waiting behind a long lock holder (a script on another worker) can give up
// instead of stalling its thread, and holds nothing afterwards.
TEST(ShardLocksThreadTest, AcquireUnlessGivesUpAndHoldsNothing) {
  Keyspace ks;
  ShardLocks holder(&ks);
  holder.AddKey("b");
  holder.Acquire();
  std::atomic<int> asked{0};
  bool acquired = true;
  std::thread waiter([&] {
    ShardLocks locks(&ks);
    locks.AddKey("a");
    locks.AddKey("b");
    acquired = locks.AcquireUnless([&] { return asked.fetch_add(1) >= 3; });
  });
  waiter.join();
  EXPECT_FALSE(acquired);
  EXPECT_GE(asked.load(), 4);
  holder.Release();
  // Nothing was left locked: every shard can be taken again.
  ShardLocks all(&ks);
  all.AddAll();
  EXPECT_TRUE(all.AcquireUnless([] { return true; }));
}

TEST(ShardLocksThreadTest, AcquireUnlessWaitsForAHolderThatLetsGo) {
  Keyspace ks;
  ShardLocks holder(&ks);
  holder.AddAll();
  holder.Acquire();
  std::atomic<bool> acquired{false};
  std::thread waiter([&] {
    ShardLocks locks(&ks);
    locks.AddKey("a");
    acquired = locks.AcquireUnless([] { return false; });
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(acquired.load());
  holder.Release();
  waiter.join();
  EXPECT_TRUE(acquired.load());
}

}  // namespace
}  // namespace vellum::storage
