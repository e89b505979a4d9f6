// PubSub registry and KeyspaceEvents, without sockets: deliveries are taken from the
// per-worker queues by hand (as each worker's DrainPubSub would). Tests named *Thread*
// run under TSan in CI.
#include "server/pubsub.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "conf/config.h"
#include "server/keyspace_events.h"

namespace vellum::server {
namespace {

class CountingWaker : public PubSubWaker {
 public:
  void Wake(int worker) override { wakes[static_cast<size_t>(worker)]++; }
  std::atomic<int> wakes[4] = {};
};

// "message" targets as "id", "pmessage" ones as "id:pattern", in delivery order.
std::vector<std::string> Targets(const PubSubDelivery& d) {
  std::vector<std::string> out;
  for (const auto& t : d.targets) {
    out.push_back(std::to_string(t.client_id) +
                  (t.kind == SubKind::kPattern ? ":" + t.pattern : ""));
  }
  return out;
}

TEST(PubSubTest, SubscribeReportsTheClientsTotal) {
  PubSub ps(2, nullptr);
  size_t total = 0;
  EXPECT_TRUE(ps.Subscribe(1, 0, "a", SubKind::kChannel, &total));
  EXPECT_EQ(total, 1u);
  EXPECT_FALSE(ps.Subscribe(1, 0, "a", SubKind::kChannel, &total));
  EXPECT_EQ(total, 1u);
  EXPECT_TRUE(ps.Subscribe(1, 0, "a*", SubKind::kPattern, &total));
  EXPECT_EQ(total, 2u);
  EXPECT_EQ(ps.SubscriptionCount(1, SubKind::kChannel), 2u);
  EXPECT_EQ(ps.Subscriptions(1, SubKind::kChannel), std::vector<std::string>{"a"});
  EXPECT_EQ(ps.Subscriptions(1, SubKind::kPattern), std::vector<std::string>{"a*"});
}

TEST(PubSubTest, PublishCountsChannelAndPatternReceivers) {
  PubSub ps(2, nullptr);
  ps.Subscribe(1, 0, "news", SubKind::kChannel);
  ps.Subscribe(2, 1, "news", SubKind::kChannel);
  ps.Subscribe(2, 1, "n*", SubKind::kPattern);
  ps.Subscribe(3, 1, "x*", SubKind::kPattern);
  EXPECT_EQ(ps.Publish("news", "hi"), 3);
  EXPECT_EQ(ps.Publish("other", "hi"), 0);
  auto w0 = ps.TakePending(0);
  auto w1 = ps.TakePending(1);
  ASSERT_EQ(w0.size(), 1u);
  ASSERT_EQ(w1.size(), 1u);
  EXPECT_EQ(Targets(*w0[0]), std::vector<std::string>{"1"});
  EXPECT_EQ(Targets(*w1[0]), (std::vector<std::string>{"2", "2:n*"}));
  EXPECT_EQ(w1[0]->channel, "news");
  EXPECT_EQ(w1[0]->message, "hi");
  EXPECT_TRUE(ps.TakePending(0).empty());
}

TEST(PubSubTest, PublishWithNoSubscribersQueuesNothing) {
  CountingWaker waker;
  PubSub ps(2, &waker);
  EXPECT_EQ(ps.Publish("c", "m"), 0);
  EXPECT_TRUE(ps.TakePending(0).empty());
  EXPECT_EQ(waker.wakes[0].load(), 0);
}

TEST(PubSubTest, WakesAWorkerOncePerBatch) {
  CountingWaker waker;
  PubSub ps(2, &waker);
  ps.Subscribe(1, 1, "c", SubKind::kChannel);
  ps.Publish("c", "1");
  ps.Publish("c", "2");
  EXPECT_EQ(waker.wakes[1].load(), 1);
  EXPECT_EQ(ps.TakePending(1).size(), 2u);
  ps.Publish("c", "3");
  EXPECT_EQ(waker.wakes[1].load(), 2);
  EXPECT_EQ(waker.wakes[0].load(), 0);
}

TEST(PubSubTest, UnsubscribeDropsEmptyChannels) {
  PubSub ps(1, nullptr);
  ps.Subscribe(1, 0, "a", SubKind::kChannel);
  ps.Subscribe(2, 0, "a", SubKind::kChannel);
  ps.Subscribe(1, 0, "b", SubKind::kChannel);
  ps.Subscribe(1, 0, "p*", SubKind::kPattern);
  EXPECT_EQ(ps.NumSub("a"), 2u);
  EXPECT_EQ(ps.Channels("", true), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(ps.Channels("b*", false), std::vector<std::string>{"b"});
  size_t total = 0;
  EXPECT_TRUE(ps.Unsubscribe(1, "b", SubKind::kChannel, &total));
  EXPECT_EQ(total, 2u);
  EXPECT_FALSE(ps.Unsubscribe(1, "b", SubKind::kChannel, &total));
  EXPECT_EQ(ps.Channels("", true), std::vector<std::string>{"a"});
  EXPECT_EQ(ps.NumPat(), 1u);
  EXPECT_EQ(ps.NumChannels(), 1u);
}

TEST(PubSubTest, ShardChannelsAreSeparateAndCountedApart) {
  PubSub ps(1, nullptr);
  size_t total = 0;
  ps.Subscribe(1, 0, "a", SubKind::kChannel);
  EXPECT_TRUE(ps.Subscribe(1, 0, "a", SubKind::kShard, &total));
  EXPECT_EQ(total, 1u);
  EXPECT_TRUE(ps.Subscribe(1, 0, "b", SubKind::kShard, &total));
  EXPECT_EQ(total, 2u);
  EXPECT_EQ(ps.SubscriptionCount(1, SubKind::kChannel), 1u);
  ps.Subscribe(2, 0, "*", SubKind::kPattern);
  EXPECT_EQ(ps.Publish("a", "m", /*shard=*/true), 1);
  EXPECT_EQ(ps.Publish("a", "m"), 2);
  auto got = ps.TakePending(0);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0]->targets[0].kind, SubKind::kShard);
  EXPECT_EQ(ps.Channels("", true, /*shard=*/true), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(ps.NumSub("b", /*shard=*/true), 1u);
  EXPECT_EQ(ps.NumSub("b"), 0u);
}

TEST(PubSubTest, RemoveClientLeavesNoSubscription) {
  PubSub ps(1, nullptr);
  ps.Subscribe(7, 0, "a", SubKind::kChannel);
  ps.Subscribe(7, 0, "b", SubKind::kChannel);
  ps.Subscribe(7, 0, "*", SubKind::kPattern);
  ps.RemoveClient(7);
  EXPECT_EQ(ps.NumSub("a"), 0u);
  EXPECT_EQ(ps.NumPat(), 0u);
  EXPECT_EQ(ps.SubscriptionCount(7, SubKind::kChannel), 0u);
  EXPECT_EQ(ps.Publish("a", "m"), 0);
  EXPECT_TRUE(ps.TakePending(0).empty());
}

// Publishers on several threads, subscribers on three "workers" drained concurrently:
// every worker sees the same global order, and each publisher's messages in its order.
TEST(PubSubThreadTest, EveryWorkerSeesPublishesInOneOrder) {
  constexpr int kWorkers = 3, kPublishers = 4, kMessages = 2000;
  PubSub ps(kWorkers, nullptr);
  for (int w = 0; w < kWorkers; w++)
    ps.Subscribe(100 + static_cast<uint64_t>(w), w, "c", SubKind::kChannel);
  std::atomic<int> publishers_done{0};
  std::vector<std::vector<std::string>> seen(kWorkers);
  std::vector<std::thread> threads;
  for (int w = 0; w < kWorkers; w++) {
    threads.emplace_back([&, w] {
      while (true) {
        bool done = publishers_done.load() == kPublishers;
        for (const auto& d : ps.TakePending(w)) seen[static_cast<size_t>(w)].push_back(d->message);
        if (done) break;
        std::this_thread::yield();
      }
    });
  }
  for (int p = 0; p < kPublishers; p++) {
    threads.emplace_back([&, p] {
      for (int i = 0; i < kMessages; i++) {
        EXPECT_EQ(ps.Publish("c", std::to_string(p) + ":" + std::to_string(i)), kWorkers);
      }
      publishers_done.fetch_add(1);
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(seen[0].size(), static_cast<size_t>(kPublishers * kMessages));
  for (int w = 1; w < kWorkers; w++) EXPECT_EQ(seen[static_cast<size_t>(w)], seen[0]);
  std::map<int, int> next;
  for (const std::string& m : seen[0]) {
    int p = std::stoi(m.substr(0, m.find(':')));
    int i = std::stoi(m.substr(m.find(':') + 1));
    EXPECT_EQ(i, next[p]);
    next[p] = i + 1;
  }
}

TEST(PubSubThreadTest, SubscribeAndRemoveWhilePublishing) {
  PubSub ps(2, nullptr);
  std::atomic<bool> stop{false};
  std::thread publisher([&] {
    while (!stop.load()) {
      ps.Publish("ch", "m");
      ps.Publish("other", "m");
    }
  });
  std::thread drainer([&] {
    while (!stop.load()) {
      ps.TakePending(0);
      ps.TakePending(1);
    }
  });
  for (uint64_t id = 1; id <= 2000; id++) {
    int worker = static_cast<int>(id % 2);
    ps.Subscribe(id, worker, "ch", SubKind::kChannel);
    ps.Subscribe(id, worker, "o*", SubKind::kPattern);
    (void)ps.NumSub("ch");
    (void)ps.Channels("c*", false);
    if (id % 3 == 0) ps.Unsubscribe(id, "ch", SubKind::kChannel);
    ps.RemoveClient(id);
  }
  stop.store(true);
  publisher.join();
  drainer.join();
  EXPECT_EQ(ps.NumSub("ch"), 0u);
  EXPECT_EQ(ps.NumPat(), 0u);
}

TEST(KeyspaceEventsTest, ParsesRedisClassLetters) {
  EXPECT_EQ(KeyspaceEvents::ParseFlags(""), 0);
  EXPECT_EQ(KeyspaceEvents::ParseFlags("KEA"),
            KeyspaceEvents::kKeyspace | KeyspaceEvents::kKeyevent | KeyspaceEvents::kAll);
  EXPECT_EQ(KeyspaceEvents::ParseFlags("Ex"), KeyspaceEvents::kKeyevent | KeyspaceEvents::kExpired);
  EXPECT_EQ(KeyspaceEvents::ParseFlags("KQ"), -1);
  EXPECT_EQ(KeyspaceEvents::ParseFlags("A") & KeyspaceEvents::kKeyMiss, 0);
  EXPECT_EQ(KeyspaceEvents::ParseFlags("A") & KeyspaceEvents::kNew, 0);
}

TEST(KeyspaceEventsTest, FormatsAsRedisConfigGet) {
  EXPECT_EQ(KeyspaceEvents::FormatFlags(KeyspaceEvents::ParseFlags("KEA")), "AKE");
  EXPECT_EQ(KeyspaceEvents::FormatFlags(KeyspaceEvents::ParseFlags("Ex")), "xE");
  EXPECT_EQ(KeyspaceEvents::FormatFlags(KeyspaceEvents::ParseFlags("nK")), "nK");
  EXPECT_EQ(KeyspaceEvents::FormatFlags(KeyspaceEvents::ParseFlags("mEnKdtexzhsl$g")), "AnKEm");
  EXPECT_EQ(KeyspaceEvents::FormatFlags(0), "");
}

// The config schema canonicalises the setting with its own table: both must agree.
TEST(KeyspaceEventsTest, ConfigNormalizerAgreesWithFlags) {
  for (const char* text : {"", "A", "KEA", "Ex", "g$", "lshzxetd", "AKEmn", "nK", "mE",
                           "g$lshzxetdKE", "xxEE", "KA$"}) {
    std::optional<std::string> normal = conf::NormalizeKeyspaceEvents(text);
    ASSERT_TRUE(normal.has_value()) << text;
    EXPECT_EQ(*normal, KeyspaceEvents::FormatFlags(KeyspaceEvents::ParseFlags(text))) << text;
  }
  EXPECT_FALSE(conf::NormalizeKeyspaceEvents("KEQ").has_value());
}

TEST(KeyspaceEventsTest, PublishesOnlyEnabledClasses) {
  PubSub ps(1, nullptr);
  KeyspaceEvents events(&ps);
  ps.Subscribe(1, 0, "__key*__:*", SubKind::kPattern);
  events.Notify(KeyspaceEvents::kString, "set", 0, "k");
  EXPECT_TRUE(ps.TakePending(0).empty());  // disabled by default
  events.SetFlags(KeyspaceEvents::ParseFlags("Ex"));
  events.Notify(KeyspaceEvents::kString, "set", 0, "k");
  EXPECT_TRUE(ps.TakePending(0).empty());
  events.OnKeyExpired(3, "k");
  auto got = ps.TakePending(0);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0]->channel, "__keyevent@3__:expired");
  EXPECT_EQ(got[0]->message, "k");
  events.SetFlags(KeyspaceEvents::ParseFlags("KEA"));
  events.Notify(KeyspaceEvents::kGeneric, "del", 0, "k");
  got = ps.TakePending(0);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0]->channel, "__keyspace@0__:k");
  EXPECT_EQ(got[0]->message, "del");
  EXPECT_EQ(got[1]->channel, "__keyevent@0__:del");
  EXPECT_EQ(got[1]->message, "k");
}

}  // namespace
}  // namespace vellum::server
