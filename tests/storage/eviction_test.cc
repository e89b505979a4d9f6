// Tests of the eviction engine (storage/eviction.h) and the LFU counter arithmetic.
// "Used memory" is faked as 100 bytes per key, so a limit is a key count. Time is a
// ManualClock value passed as now_ms; nothing sleeps. The Evictor takes the shard locks
// itself, so these tests hold none.
#include "storage/eviction.h"

#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/memory.h"
#include "storage/keyspace.h"

namespace vellum::storage {
namespace {

constexpr uint64_t kBytesPerKey = 100;
Keyspace* g_keyspace = nullptr;
uint64_t g_other_bytes = 0;

uint64_t FakeUsedMemory() {
  uint64_t keys = 0;
  for (int db = 0; db < kNumDbs; db++) keys += g_keyspace->DbSize(db);
  return keys * kBytesPerKey + g_other_bytes;
}

class EvictionTest : public ::testing::Test {
 protected:
  EvictionTest() : ks_(4), evictor_(&ks_, &FakeUsedMemory) { g_keyspace = &ks_; }
  ~EvictionTest() override { g_keyspace = nullptr; }

  int64_t now() const { return clock_.NowMs(); }

  void Set(std::string_view key, int64_t expire_at = 0, int db = 0) {
    Entry* e = ks_.Create(db, key, now());
    e->SetStr("v");
    if (expire_at) ks_.SetExpire(db, e, expire_at);
  }
  bool Exists(std::string_view key, int db = 0) {
    return ks_.FindForReadNoTouch(db, key, now()) != nullptr;
  }
  EvictionSettings Limit(size_t keys, EvictionPolicy policy, int samples = 5) {
    EvictionSettings s;
    s.maxmemory = keys * kBytesPerKey;
    s.policy = policy;
    s.samples = samples;
    return s;
  }
  static std::string Key(int i) { return "key:" + std::to_string(i); }

  ManualClock clock_;
  Keyspace ks_;
  Evictor evictor_;
};

TEST(EvictionPolicyTest, ParsesRedisNames) {
  EvictionPolicy p = EvictionPolicy::kNoEviction;
  ASSERT_TRUE(ParseEvictionPolicy("volatile-ttl", &p));
  EXPECT_EQ(p, EvictionPolicy::kVolatileTtl);
  ASSERT_TRUE(ParseEvictionPolicy("allkeys-lfu", &p));
  EXPECT_TRUE(IsLfuPolicy(p));
  EXPECT_FALSE(IsVolatilePolicy(p));
  EXPECT_FALSE(ParseEvictionPolicy("allkeys-mru", &p));
}

TEST(LfuTest, LogIncrIsCertainAtInitValueAndSaturates) {
  EXPECT_EQ(LfuLogIncr(kLfuInitVal, 10, 0.999), kLfuInitVal + 1);
  EXPECT_EQ(LfuLogIncr(255, 10, 0.0), 255);
  // At counter 15 with factor 10 the probability is 1/101.
  EXPECT_EQ(LfuLogIncr(15, 10, 0.5 / 101), 16);
  EXPECT_EQ(LfuLogIncr(15, 10, 2.0 / 101), 15);
  EXPECT_EQ(LfuLogIncr(15, 0, 0.999), 16);  // factor 0: every access counts
}

TEST(LfuTest, DecaysOnePerPeriod) {
  const uint32_t t0 = 1'000'000;
  EXPECT_EQ(LfuDecayed(10, t0, t0 + 59, 1), 10);
  EXPECT_EQ(LfuDecayed(10, t0, t0 + 3 * 60, 1), 7);
  EXPECT_EQ(LfuDecayed(10, t0, t0 + 6 * 60, 2), 7);
  EXPECT_EQ(LfuDecayed(10, t0, t0 + 60 * 60, 1), 0);
  EXPECT_EQ(LfuDecayed(10, t0, t0 + 60 * 60, 0), 10);  // decay time 0: never
}

TEST_F(EvictionTest, NoEvictionEvictsNothing) {
  for (int i = 0; i < 20; i++) Set(Key(i));
  EXPECT_FALSE(evictor_.FreeMemory(Limit(10, EvictionPolicy::kNoEviction), now()));
  EXPECT_EQ(ks_.DbSize(0), 20u);
  EXPECT_EQ(ks_.evicted_keys(), 0u);
}

TEST_F(EvictionTest, UnderTheLimitEvictsNothing) {
  for (int i = 0; i < 20; i++) Set(Key(i));
  EXPECT_TRUE(evictor_.FreeMemory(Limit(20, EvictionPolicy::kAllkeysLru), now()));
  EXPECT_EQ(ks_.DbSize(0), 20u);
}

TEST_F(EvictionTest, AllkeysLruEvictsTheLeastRecentlyUsed) {
  for (int i = 0; i < 200; i++) {
    Set(Key(i));
    clock_.Advance(10);
  }
  ks_.Find(0, Key(0), now());  // the oldest key becomes the most recent
  ASSERT_TRUE(evictor_.FreeMemory(Limit(100, EvictionPolicy::kAllkeysLru), now()));
  EXPECT_EQ(ks_.DbSize(0), 100u);
  EXPECT_EQ(ks_.evicted_keys(), 100u);
  EXPECT_TRUE(Exists(Key(0)));
  // Sampling approximates LRU: the old half should be mostly gone, the new half mostly kept.
  int old_kept = 0, new_kept = 0;
  for (int i = 1; i < 100; i++) old_kept += Exists(Key(i));
  for (int i = 100; i < 200; i++) new_kept += Exists(Key(i));
  EXPECT_LT(old_kept, 25);
  EXPECT_GT(new_kept, 75);
}

TEST_F(EvictionTest, AllkeysLfuKeepsTheFrequentlyUsed) {
  ks_.SetLfu(true, 10, 1);
  for (int i = 0; i < 100; i++) Set(Key(i));
  for (int n = 0; n < 200; n++) {
    for (int i = 0; i < 10; i++) ks_.Find(0, Key(i), now());
  }
  clock_.Advance(1000);
  for (int i = 10; i < 100; i++) ks_.Find(0, Key(i), now());  // recent, but only once
  ASSERT_TRUE(evictor_.FreeMemory(Limit(20, EvictionPolicy::kAllkeysLfu), now()));
  for (int i = 0; i < 10; i++) EXPECT_TRUE(Exists(Key(i))) << Key(i);
}

TEST_F(EvictionTest, LfuCounterCountsOnlyWhenEnabled) {
  Set("k");
  for (int i = 0; i < 50; i++) ks_.Find(0, "k", now());
  EXPECT_EQ(ks_.FindForReadNoTouch(0, "k", now())->lfu_counter, kLfuInitVal);
  ks_.SetLfu(true, 10, 1);
  for (int i = 0; i < 50; i++) ks_.Find(0, "k", now());
  EXPECT_GT(ks_.FindForReadNoTouch(0, "k", now())->lfu_counter, kLfuInitVal);
}

TEST_F(EvictionTest, NewKeysStartAtLfuInitValue) {
  ks_.SetLfu(true, 10, 1);
  Set("k");
  EXPECT_EQ(ks_.FindForReadNoTouch(0, "k", now())->lfu_counter, kLfuInitVal);
}

TEST_F(EvictionTest, VolatilePoliciesNeverEvictKeysWithoutTtl) {
  for (EvictionPolicy p : {EvictionPolicy::kVolatileLru, EvictionPolicy::kVolatileLfu,
                           EvictionPolicy::kVolatileRandom, EvictionPolicy::kVolatileTtl}) {
    ks_.FlushAll();
    for (int i = 0; i < 50; i++) Set(Key(i));
    for (int i = 50; i < 60; i++) Set(Key(i), now() + 100000 + i);
    // Ten volatile keys cannot bring 60 keys down to 40: all of them go, then it fails.
    EXPECT_FALSE(evictor_.FreeMemory(Limit(40, p), now()));
    EXPECT_EQ(ks_.DbSize(0), 50u);
    for (int i = 0; i < 50; i++) EXPECT_TRUE(Exists(Key(i))) << Key(i);
  }
}

TEST_F(EvictionTest, VolatileTtlEvictsTheNearestExpiryFirst) {
  for (int i = 0; i < 40; i++) Set(Key(i), now() + 1000 * (i + 1));
  ASSERT_TRUE(evictor_.FreeMemory(Limit(30, EvictionPolicy::kVolatileTtl, 64), now()));
  for (int i = 0; i < 10; i++) EXPECT_FALSE(Exists(Key(i))) << Key(i);
  for (int i = 10; i < 40; i++) EXPECT_TRUE(Exists(Key(i))) << Key(i);
}

TEST_F(EvictionTest, RandomPoliciesEvictDownToTheLimit) {
  for (int i = 0; i < 100; i++) Set(Key(i));
  ASSERT_TRUE(evictor_.FreeMemory(Limit(30, EvictionPolicy::kAllkeysRandom), now()));
  EXPECT_EQ(ks_.DbSize(0), 30u);
  for (int i = 0; i < 20; i++) Set("v" + std::to_string(i), now() + 100000);
  ASSERT_TRUE(evictor_.FreeMemory(Limit(40, EvictionPolicy::kVolatileRandom), now()));
  EXPECT_EQ(ks_.DbSize(0), 40u);
  EXPECT_EQ(ks_.VolatileSize(0), 10u);
}

TEST_F(EvictionTest, EvictsFromEveryDatabase) {
  for (int i = 0; i < 10; i++) Set(Key(i), 0, 3);
  ASSERT_TRUE(evictor_.FreeMemory(Limit(1, EvictionPolicy::kAllkeysLru), now()));
  EXPECT_EQ(ks_.DbSize(3), 1u);
}

TEST_F(EvictionTest, NothingLeftToEvictFails) {
  g_other_bytes = 1000;  // memory that no key holds
  Set("k");
  EXPECT_FALSE(evictor_.FreeMemory(Limit(5, EvictionPolicy::kAllkeysLru), now()));
  EXPECT_EQ(ks_.DbSize(0), 0u);
  g_other_bytes = 0;
}

TEST(MemoryTest, CountsAllocationsThroughOperatorNew) {
  const auto used = [] { return static_cast<int64_t>(UsedMemory()); };
  const int64_t before = used();
  auto* block = new char[1 << 20];
  block[0] = 1;
  const int64_t during = used();
  delete[] block;
  const int64_t after = used();
  EXPECT_GE(during, before + (1 << 20));  // this thread's own delta is always included
  EXPECT_LE(after, during - (1 << 20));
  EXPECT_GE(static_cast<int64_t>(PeakMemory()), during);
  EXPECT_GT(ProcessRssBytes(), 0u);
}

TEST_F(EvictionTest, ThreadsWritingAndEvictingAtOnceStayUnderTheLimit) {
  const EvictionSettings limit = Limit(200, EvictionPolicy::kAllkeysLru);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; t++) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; i++) {
        evictor_.FreeMemory(limit, now());  // as the dispatcher: before locking
        std::string key = "t" + std::to_string(t) + ":" + std::to_string(i);
        std::lock_guard<storage::ShardMutexType> lock(ks_.ShardMutex(ks_.ShardOf(key)));
        ks_.Create(0, key, now())->SetStr("v");
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_TRUE(evictor_.FreeMemory(limit, now()));
  EXPECT_EQ(ks_.DbSize(0), 200u);
  EXPECT_EQ(ks_.evicted_keys(), 8000u - 200u);
}

TEST(MemoryTest, ThreadsFlushTheirDeltasWhenTheyExit) {
  uint64_t before = UsedMemory();
  std::vector<char*> kept(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; t++) {
    threads.emplace_back([&kept, t] {
      for (int i = 0; i < 1000; i++) delete[] new char[1000];
      kept[t] = new char[10000];  // less than one flush: only the exit flush counts it
    });
  }
  for (auto& th : threads) th.join();
  const int64_t grown = static_cast<int64_t>(UsedMemory()) - static_cast<int64_t>(before);
  EXPECT_GE(grown, 4 * 10000 - kMemoryFlushBytes);
  EXPECT_LE(grown, 4 * 10000 + 2 * kMemoryFlushBytes);
  for (char* p : kept) delete[] p;
}

}  // namespace
}  // namespace vellum::storage
