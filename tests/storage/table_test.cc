#include "storage/table.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <vector>

#include "storage/keyspace.h"

namespace vellum::storage {
namespace {

Entry* Make(const std::string& key) {
  Entry* e = Entry::New(key);
  e->hash = HashKey(key);
  return e;
}

TEST(TableTest, InsertFindUnlink) {
  Table t;
  for (int i = 0; i < 1000; i++) t.Insert(Make("k" + std::to_string(i)));
  EXPECT_EQ(t.size(), 1000u);
  for (int i = 0; i < 1000; i++) {
    std::string k = "k" + std::to_string(i);
    ASSERT_NE(t.Find(k, HashKey(k)), nullptr);
  }
  Entry* e = t.Unlink("k5", HashKey("k5"));
  ASSERT_NE(e, nullptr);
  Entry::Delete(e);
  EXPECT_EQ(t.Find("k5", HashKey("k5")), nullptr);
  EXPECT_EQ(t.size(), 999u);
}

TEST(TableTest, ReplaceKeepsTheSlotAndTheExpiry) {
  Table t;
  for (int i = 0; i < 10; i++) t.Insert(Make("k" + std::to_string(i)));
  Entry* old = t.Find("k3", HashKey("k3"));
  t.SetExpire(old, 1000);
  Entry* fresh = Make("k3");
  fresh->on_disk = true;
  EXPECT_EQ(t.Replace(old, fresh), old);
  Entry::Delete(old);
  EXPECT_EQ(t.Find("k3", HashKey("k3")), fresh);
  EXPECT_EQ(fresh->expire_at_ms, 1000);
  EXPECT_EQ(t.volatile_size(), 1u);
  EXPECT_EQ(t.size(), 10u);
  EXPECT_EQ(t.on_disk_size(), 1u);
  Entry::Delete(t.Unlink("k3", HashKey("k3")));
  EXPECT_EQ(t.on_disk_size(), 0u);
  EXPECT_EQ(t.volatile_size(), 0u);
}

TEST(TableTest, SampleFromRandomBucketTakesWhatItWantsAndStops) {
  Table t;
  for (int i = 0; i < 200; i++) t.Insert(Make("k" + std::to_string(i)));
  std::mt19937_64 rng(1);
  std::set<std::string> seen;
  t.SampleFromRandomBucket(rng, 5, 1000, [&](Entry* e) {
    seen.insert(std::string(e->key()));
    return true;
  });
  EXPECT_EQ(seen.size(), 5u);
  // Nothing qualifies: every bucket once at most, then it stops.
  size_t visits = 0;
  t.SampleFromRandomBucket(rng, 5, SIZE_MAX, [&](Entry*) {
    visits++;
    return false;
  });
  EXPECT_EQ(visits, 200u);
}

TEST(TableTest, ShrinksWhenMostlyEmpty) {
  Table t;
  for (int i = 0; i < 1024; i++) t.Insert(Make("k" + std::to_string(i)));
  size_t big = t.bucket_count();
  for (int i = 0; i < 1020; i++) {
    std::string k = "k" + std::to_string(i);
    Entry::Delete(t.Unlink(k, HashKey(k)));
  }
  EXPECT_LT(t.bucket_count(), big);
}

// After an expiry churn the table keeps what the keys left need, not its peak: the
// buckets shrink once under 1/8 full (as Redis resizes a dict under 10% full), and the
// array of keys with a TTL gives back its room too.
TEST(TableTest, ShrinksToWhatTheRemainingKeysNeed) {
  Table t;
  std::vector<Entry*> entries;
  for (int i = 0; i < 4096; i++) {
    Entry* e = Make("k" + std::to_string(i));
    t.Insert(e);
    t.SetExpire(e, 1000 + i);
  }
  ASSERT_GE(t.volatile_capacity(), 4096u);
  for (int i = 100; i < 4096; i++) {
    std::string k = "k" + std::to_string(i);
    Entry::Delete(t.Unlink(k, HashKey(k)));
  }
  EXPECT_EQ(t.size(), 100u);
  EXPECT_EQ(t.volatile_size(), 100u);
  EXPECT_LT(t.bucket_count(), 8 * t.size());
  EXPECT_LE(t.volatile_capacity(), 400u);
  for (int i = 0; i < 100; i++) {
    std::string k = "k" + std::to_string(i);
    ASSERT_NE(t.Find(k, HashKey(k)), nullptr) << k;
  }
}

TEST(TableTest, ScanReturnsEveryKeyAcrossGrowth) {
  Table t;
  for (int i = 0; i < 100; i++) t.Insert(Make("a" + std::to_string(i)));
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int steps = 0;
  do {
    cursor = t.ScanStep(cursor, [&](Entry* e) { seen.insert(std::string(e->key())); });
    // Grow the table in the middle of the scan.
    if (++steps == 10) {
      for (int i = 0; i < 1000; i++) t.Insert(Make("b" + std::to_string(i)));
    }
  } while (cursor != 0 && steps < 100000);
  for (int i = 0; i < 100; i++) EXPECT_TRUE(seen.count("a" + std::to_string(i))) << i;
}

TEST(TableTest, ScanReturnsEveryKeyAcrossShrink) {
  Table t;
  for (int i = 0; i < 2000; i++) t.Insert(Make("k" + std::to_string(i)));
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int steps = 0;
  do {
    cursor = t.ScanStep(cursor, [&](Entry* e) { seen.insert(std::string(e->key())); });
    if (++steps == 50) {
      for (int i = 100; i < 2000; i++) {
        std::string k = "k" + std::to_string(i);
        Entry::Delete(t.Unlink(k, HashKey(k)));
      }
    }
  } while (cursor != 0 && steps < 100000);
  for (int i = 0; i < 100; i++) EXPECT_TRUE(seen.count("k" + std::to_string(i))) << i;
}

TEST(TableTest, VolatileSampling) {
  Table t;
  std::mt19937_64 rng(1);
  EXPECT_EQ(t.RandomVolatile(rng), nullptr);
  Entry* a = Make("a");
  t.Insert(a);
  t.Insert(Make("b"));
  t.SetExpire(a, 1000);
  EXPECT_EQ(t.volatile_size(), 1u);
  EXPECT_EQ(t.RandomVolatile(rng), a);
  t.SetExpire(a, 0);
  EXPECT_EQ(t.volatile_size(), 0u);
}

}  // namespace
}  // namespace vellum::storage
