// BlockingRegistry: waiters in the order they blocked, ended exactly once whichever of
// serve, timeout, unblock or disconnect comes first (threaded: run under TSan).
#include "server/blocking.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

namespace vellum::server {
namespace {

std::shared_ptr<Waiter> MakeWaiter(uint64_t id, std::vector<std::string> keys, int64_t deadline = 0,
                                   std::atomic<int>* replies = nullptr) {
  auto w = std::make_shared<Waiter>();
  w->client_id = id;
  w->worker = 0;
  w->db = 0;
  w->keys = std::move(keys);
  w->deadline_ms = deadline;
  w->reply.fn = [replies](ClientState::DeferredReply, uint64_t) {
    if (replies) replies->fetch_add(1);
  };
  return w;
}

TEST(BlockingRegistryTest, ASortedSetServesOnlyItsOwnWaiters) {
  BlockingRegistry r(1);
  auto list_waiter = MakeWaiter(1, {"k"});
  auto zset_waiter = MakeWaiter(2, {"k"});
  zset_waiter->op.kind = BlockedOp::Kind::kZPop;
  r.Block(list_waiter);
  r.Block(zset_waiter);
  EXPECT_EQ(r.First(0, "k", /*zset=*/true), zset_waiter);  // passes over the list's waiter
  EXPECT_EQ(r.First(0, "k", /*zset=*/false), list_waiter);
  ASSERT_TRUE(r.Claim(zset_waiter));
  EXPECT_EQ(r.First(0, "k", /*zset=*/true), nullptr);
}

TEST(BlockingRegistryTest, FirstBlockedIsFirstServed) {
  BlockingRegistry r(1);
  auto a = MakeWaiter(1, {"q"});
  auto b = MakeWaiter(2, {"q", "other"});
  r.Block(a);
  r.Block(b);
  EXPECT_EQ(r.blocked_clients(), 2u);
  EXPECT_EQ(r.First(0, "q"), a);
  ASSERT_TRUE(r.Claim(a));
  EXPECT_FALSE(r.Claim(a));  // ends once
  EXPECT_EQ(r.First(0, "q"), b);
  EXPECT_EQ(r.First(0, "other"), b);
  ASSERT_TRUE(r.Claim(b));
  EXPECT_EQ(r.First(0, "other"), nullptr);  // gone from every key it waited on
  EXPECT_EQ(r.blocked_clients(), 0u);
}

TEST(BlockingRegistryTest, OnlyTheWorkersDueWaitersExpire) {
  BlockingRegistry r(2);
  auto soon = MakeWaiter(1, {"a"}, 100);
  auto later = MakeWaiter(2, {"a"}, 500);
  auto forever = MakeWaiter(3, {"a"});
  auto other_worker = MakeWaiter(4, {"a"}, 50);
  other_worker->worker = 1;
  for (auto& w : {soon, later, forever, other_worker}) r.Block(w);
  EXPECT_EQ(r.NextDeadline(0), 100);
  int64_t next = 0;
  auto due = r.ExpireDue(0, 200, &next);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0], soon);
  EXPECT_EQ(next, 500);
  EXPECT_EQ(r.First(0, "a"), later);
  EXPECT_FALSE(r.Claim(soon));
  EXPECT_EQ(r.NextDeadline(1), 50);
}

TEST(BlockingRegistryTest, UnblockAndCancelEndTheClientsWaiter) {
  BlockingRegistry r(1);
  r.Block(MakeWaiter(7, {"k"}, 100));
  EXPECT_TRUE(r.IsBlocked(7));
  EXPECT_NE(r.Unblock(7), nullptr);
  EXPECT_EQ(r.Unblock(7), nullptr);
  EXPECT_EQ(r.NextDeadline(0), 0);  // its deadline went with it
  r.Block(MakeWaiter(8, {"k"}));
  r.Cancel(8);
  EXPECT_FALSE(r.IsBlocked(8));
  EXPECT_EQ(r.First(0, "k"), nullptr);
  EXPECT_EQ(r.blocked_clients(), 0u);
}

TEST(BlockingRegistryTest, ReadyKeysAreThisThreadsOnlyAndOnlyWithWaiters) {
  BlockingRegistry r(1);
  r.SignalReady(0, "k");  // nobody waits: nothing to serve
  EXPECT_FALSE(BlockingRegistry::AnyReady());
  r.Block(MakeWaiter(1, {"k"}));
  r.SignalReady(0, "k");
  r.SignalReady(0, "k");
  r.SignalReady(1, "k");  // another db: nobody waits there
  std::thread other([&] { EXPECT_FALSE(BlockingRegistry::AnyReady()); });
  other.join();
  auto ready = BlockingRegistry::TakeReady();
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].second, "k");
  EXPECT_FALSE(BlockingRegistry::AnyReady());
}

// Servers, timeouts and disconnects race on many threads: each waiter ends exactly once.
TEST(BlockingRegistryThreadTest, EachWaiterEndsExactlyOnce) {
  constexpr int kWaiters = 2000;
  BlockingRegistry r(1);
  std::vector<std::shared_ptr<Waiter>> all;
  for (int i = 0; i < kWaiters; i++) {
    all.push_back(MakeWaiter(static_cast<uint64_t>(i + 1), {"k" + std::to_string(i % 7)}, 1 + i % 3));
    r.Block(all.back());
  }
  std::atomic<int> ended{0};
  std::vector<std::thread> threads;
  threads.emplace_back([&] {  // a server
    for (int round = 0; round < kWaiters; round++) {
      auto w = r.First(0, "k" + std::to_string(round % 7));
      if (w && r.Claim(w)) ended++;
    }
  });
  threads.emplace_back([&] {  // the timer
    int64_t next = 0;
    for (int64_t now = 0; now < 5; now++) ended += static_cast<int>(r.ExpireDue(0, now, &next).size());
  });
  threads.emplace_back([&] {  // disconnects
    for (int i = 0; i < kWaiters; i += 3) {
      if (r.Unblock(static_cast<uint64_t>(i + 1))) ended++;
    }
  });
  for (auto& t : threads) t.join();
  for (auto& w : all) {
    if (r.Claim(w)) ended++;
  }
  EXPECT_EQ(ended.load(), kWaiters);
  EXPECT_EQ(r.blocked_clients(), 0u);
}

}  // namespace
}  // namespace vellum::server
