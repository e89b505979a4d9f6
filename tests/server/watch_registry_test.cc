#include "server/watch_registry.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "storage/keyspace.h"

namespace vellum::server {
namespace {

constexpr int64_t kWatchNow = 1'700'000'000'000;

// A keyspace reporting to a registry, with helpers that lock as the dispatcher would.
class WatchRegistryTest : public ::testing::Test {
 protected:
  WatchRegistryTest() : ks_(4) { ks_.set_listener(&registry_); }
  ~WatchRegistryTest() override {
    for (WatchSet* s : sets_) registry_.UnwatchAll(s);
  }

  WatchSet* NewSet() {
    owned_.push_back(std::make_unique<WatchSet>());
    sets_.push_back(owned_.back().get());
    return owned_.back().get();
  }

  // WATCH: looks the key up (lazy expiry first), then registers, under its shard lock.
  void Watch(WatchSet* set, int db, const std::string& key, int64_t now = kWatchNow) {
    storage::ShardLocks locks(&ks_);
    locks.AddKey(key);
    locks.Acquire();
    storage::Entry* e = ks_.Find(db, key, now);
    registry_.Watch(set, db, key, e != nullptr, e ? e->expire_at_ms : 0);
  }

  void Set(int db, const std::string& key, int64_t expire_at = 0) {
    storage::ShardLocks locks(&ks_);
    locks.AddKey(key);
    locks.Acquire();
    bool created;
    storage::Entry* e = ks_.Upsert(db, key, kWatchNow, &created);
    e->SetStr("v");
    if (expire_at) ks_.SetExpire(db, e, expire_at);
  }

  void Del(int db, const std::string& key) {
    storage::ShardLocks locks(&ks_);
    locks.AddKey(key);
    locks.Acquire();
    ks_.Erase(db, key);
  }

  void Read(int db, const std::string& key, int64_t now = kWatchNow) {
    storage::ShardLocks locks(&ks_);
    locks.AddKey(key);
    locks.Acquire();
    ks_.FindForRead(db, key, now);
  }

  template <typename Fn>
  void WithAllLocks(Fn fn) {
    storage::ShardLocks locks(&ks_);
    locks.AddAll();
    locks.Acquire();
    fn();
  }

  bool Dirty(const WatchSet* set, int64_t now = kWatchNow) { return registry_.IsDirty(*set, now); }

  storage::Keyspace ks_;
  WatchRegistry registry_;
  std::vector<std::unique_ptr<WatchSet>> owned_;
  std::vector<WatchSet*> sets_;
};

TEST_F(WatchRegistryTest, UntouchedWatchIsClean) {
  WatchSet* s = NewSet();
  Set(0, "k");
  Watch(s, 0, "k");
  Read(0, "k");
  EXPECT_FALSE(Dirty(s));
  EXPECT_EQ(registry_.watched_count(), 1u);
}

TEST_F(WatchRegistryTest, WriteMarksEveryWatcherOfTheKey) {
  WatchSet* a = NewSet();
  WatchSet* b = NewSet();
  WatchSet* other = NewSet();
  Watch(a, 0, "k");
  Watch(b, 0, "k");
  Watch(other, 0, "j");
  Set(0, "k");
  EXPECT_TRUE(Dirty(a));
  EXPECT_TRUE(Dirty(b));
  EXPECT_FALSE(Dirty(other));
}

TEST_F(WatchRegistryTest, WriteInAnotherDbDoesNotMark) {
  WatchSet* s = NewSet();
  Watch(s, 0, "k");
  Set(1, "k");
  EXPECT_FALSE(Dirty(s));
}

TEST_F(WatchRegistryTest, DeleteMarks) {
  WatchSet* s = NewSet();
  Set(0, "k");
  Watch(s, 0, "k");
  Del(0, "k");
  EXPECT_TRUE(Dirty(s));
}

TEST_F(WatchRegistryTest, DeletingAMissingKeyDoesNotMark) {
  WatchSet* s = NewSet();
  Watch(s, 0, "k");
  Del(0, "k");
  EXPECT_FALSE(Dirty(s));
}

TEST_F(WatchRegistryTest, LazyExpiryAfterWatchMarks) {
  WatchSet* s = NewSet();
  Set(0, "k", kWatchNow + 100);
  Watch(s, 0, "k");
  Read(0, "k", kWatchNow + 200);  // deletes the expired key
  EXPECT_TRUE(Dirty(s));
}

TEST_F(WatchRegistryTest, ReachedExpiryNotYetDeletedIsDirty) {
  WatchSet* s = NewSet();
  Set(0, "k", kWatchNow + 100);
  Watch(s, 0, "k");
  EXPECT_FALSE(Dirty(s, kWatchNow + 99));
  EXPECT_TRUE(Dirty(s, kWatchNow + 100));
}

TEST_F(WatchRegistryTest, KeyAlreadyExpiredWhenWatchedIsNoChange) {
  WatchSet* s = NewSet();
  Set(0, "k", kWatchNow - 1);
  Watch(s, 0, "k");  // lazily deleted before the watch starts
  Read(0, "k");
  EXPECT_FALSE(Dirty(s));
}

TEST_F(WatchRegistryTest, FlushAllMarksOnlyKeysThatExisted) {
  WatchSet* present = NewSet();
  WatchSet* absent = NewSet();
  Set(0, "k");
  Watch(present, 0, "k");
  Watch(absent, 0, "missing");
  WithAllLocks([&] { ks_.FlushAll(); });
  EXPECT_TRUE(Dirty(present));
  EXPECT_FALSE(Dirty(absent));
}

TEST_F(WatchRegistryTest, FlushDbMarksOnlyThatDb) {
  WatchSet* db0 = NewSet();
  WatchSet* db1 = NewSet();
  Set(0, "k");
  Set(1, "k");
  Watch(db0, 0, "k");
  Watch(db1, 1, "k");
  WithAllLocks([&] { ks_.FlushDb(1); });
  EXPECT_FALSE(Dirty(db0));
  EXPECT_TRUE(Dirty(db1));
}

TEST_F(WatchRegistryTest, SwapDbMarksWatchersOfBothDbs) {
  WatchSet* db0 = NewSet();
  WatchSet* db1 = NewSet();
  WatchSet* db2 = NewSet();
  Set(0, "k");
  Watch(db0, 0, "k");
  Watch(db1, 1, "j");
  Watch(db2, 2, "k");
  WithAllLocks([&] { ks_.SwapDb(0, 1); });
  EXPECT_TRUE(Dirty(db0));
  EXPECT_TRUE(Dirty(db1));
  EXPECT_FALSE(Dirty(db2));
}

TEST_F(WatchRegistryTest, UnwatchAllClearsDirtyAndStopsWatching) {
  WatchSet* s = NewSet();
  Watch(s, 0, "k");
  Watch(s, 0, "j");
  Set(0, "k");
  ASSERT_TRUE(Dirty(s));
  registry_.UnwatchAll(s);
  EXPECT_FALSE(Dirty(s));
  EXPECT_TRUE(s->empty());
  EXPECT_EQ(registry_.watched_count(), 0u);
  Set(0, "j");
  EXPECT_FALSE(Dirty(s));
}

TEST_F(WatchRegistryTest, WatchingTwiceCountsOnce) {
  WatchSet* s = NewSet();
  Watch(s, 0, "k");
  Watch(s, 0, "k");
  Watch(s, 1, "k");  // another database: another watch
  EXPECT_EQ(s->size(), 2u);
  EXPECT_EQ(registry_.watched_count(), 2u);
  registry_.UnwatchAll(s);
  EXPECT_EQ(registry_.watched_count(), 0u);
}

TEST_F(WatchRegistryTest, UnwatchLeavesOtherWatchersOfTheKey) {
  WatchSet* a = NewSet();
  WatchSet* b = NewSet();
  Watch(a, 0, "k");
  Watch(b, 0, "k");
  registry_.UnwatchAll(a);
  Set(0, "k");
  EXPECT_FALSE(Dirty(a));
  EXPECT_TRUE(Dirty(b));
}

TEST_F(WatchRegistryTest, NoWatchersNoWork) {
  EXPECT_EQ(registry_.watched_count(), 0u);
  Set(0, "k");  // must not fail or allocate anything in the registry
  WithAllLocks([&] { ks_.FlushAll(); });
  EXPECT_EQ(registry_.watched_count(), 0u);
}

// Writers on several threads while watchers watch, check under the key's lock and unwatch:
// a write that happens after a watch (in shard-lock order) is never missed, and TSan sees
// no race on the registry's maps or the dirty flags.
TEST_F(WatchRegistryTest, ThreadedWritersNeverMissAWatchedChange) {
  constexpr int kWriters = 3;
  constexpr int kWatchers = 3;
  constexpr int kRounds = 300;
  std::atomic<bool> stop{false};
  std::atomic<int> missed{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; w++) {
    threads.emplace_back([&, w] {
      int i = 0;
      while (!stop.load()) Set(0, "key" + std::to_string((i++ + w) % 8));
    });
  }
  for (int t = 0; t < kWatchers; t++) {
    threads.emplace_back([&, t] {
      WatchSet set;
      for (int round = 0; round < kRounds; round++) {
        std::string key = "key" + std::to_string((round + t) % 8);
        Watch(&set, 0, key);
        {
          // The watcher's own write after the watch must always be seen.
          storage::ShardLocks locks(&ks_);
          locks.AddKey(key);
          locks.Acquire();
          bool created;
          ks_.Upsert(0, key, kWatchNow, &created);
          if (!registry_.IsDirty(set, kWatchNow)) missed++;
        }
        registry_.UnwatchAll(&set);
      }
    });
  }
  for (int t = kWriters; t < kWriters + kWatchers; t++) threads[t].join();
  stop = true;
  for (int t = 0; t < kWriters; t++) threads[t].join();
  EXPECT_EQ(missed.load(), 0);
  EXPECT_EQ(registry_.watched_count(), 0u);
}

TEST_F(WatchRegistryTest, ThreadedFlushesAndUnwatches) {
  std::atomic<bool> stop{false};
  std::thread flusher([&] {
    while (!stop.load()) WithAllLocks([&] { ks_.FlushAll(); });
  });
  std::vector<std::thread> watchers;
  for (int t = 0; t < 3; t++) {
    watchers.emplace_back([&, t] {
      WatchSet set;
      for (int i = 0; i < 200; i++) {
        Set(0, "k" + std::to_string(t));
        Watch(&set, 0, "k" + std::to_string(t));
        Watch(&set, 0, "j" + std::to_string(i));
        registry_.IsDirty(set, kWatchNow);
        registry_.UnwatchAll(&set);
      }
    });
  }
  for (auto& t : watchers) t.join();
  stop = true;
  flusher.join();
  EXPECT_EQ(registry_.watched_count(), 0u);
}

}  // namespace
}  // namespace vellum::server
