// PubSub: the server-wide registry of channel and pattern subscriptions (SUBSCRIBE,
// PSUBSCRIBE) and the fan-out of PUBLISH to every subscriber, whichever worker it is on.
//
// A subscriber is a client id plus the index of the worker its connection lives on; the
// registry never holds a Connection pointer. Publish() groups the receivers by worker and
// appends one PubSubDelivery to each such worker's queue, then wakes the worker through a
// PubSubWaker (in the server: Worker::Post). The worker drains its queue (DrainPubSub)
// when woken and after each command it runs, and writes the messages to the connections
// it still has with those ids; a connection closed meanwhile is simply not found. The
// queues are appended to under the registry lock, so every worker sees publishes in one
// global order: every subscriber of a channel receives its messages in publish order. A
// client publishing to itself gets the message right after the command's reply.
//
// Thread-safety: every method may be called from any thread, except that a worker's
// queue is drained only by that worker. Lock order: registry lock, then a queue's lock.
// Callers may hold shard locks (keyspace events are published from inside commands);
// nothing here takes shard locks or waits for a worker.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace vellum::server {

class Worker;

// What a subscription names: a channel (SUBSCRIBE), a glob pattern (PSUBSCRIBE) or a
// shard channel (SSUBSCRIBE; Vellum has one shard, so it is a separate set of channels
// reached only by SPUBLISH).
enum class SubKind { kChannel, kPattern, kShard };

// The messages of one PUBLISH for the subscribers on one worker, in delivery order.
struct PubSubDelivery {
  struct Target {
    uint64_t client_id;
    SubKind kind;  // "message", "pmessage" (with `pattern`) or "smessage"
    std::string pattern;
  };
  std::string channel;
  std::string message;
  std::vector<Target> targets;
};

class PubSubWaker {
 public:
  virtual ~PubSubWaker() = default;
  // Asks the worker with that index to drain its queue soon. Must not block.
  virtual void Wake(int worker) = 0;
};

class PubSub {
 public:
  // `workers`: how many worker queues; `waker` may be null (tests drain by hand).
  PubSub(int workers, PubSubWaker* waker);
  PubSub(const PubSub&) = delete;
  PubSub& operator=(const PubSub&) = delete;

  // Adds one subscription of the client. Returns false if it already had it. *total (if
  // given) receives the count Redis replies with afterwards: SubscriptionCount(kind).
  bool Subscribe(uint64_t client, int worker, std::string_view name, SubKind kind,
                 size_t* total = nullptr);
  // Removes one subscription; false if the client did not have it. *total as above.
  bool Unsubscribe(uint64_t client, std::string_view name, SubKind kind, size_t* total = nullptr);
  // The client's subscriptions of that kind, sorted.
  std::vector<std::string> Subscriptions(uint64_t client, SubKind kind) const;
  // Redis's reply count: channels plus patterns, or (kShard) shard channels.
  size_t SubscriptionCount(uint64_t client, SubKind kind) const;
  // Drops every subscription of the client (its connection closed, or RESET).
  void RemoveClient(uint64_t client);

  // Delivers `message` to the subscribers of `channel` and of every pattern matching it
  // (or, when `shard`, to the SSUBSCRIBE subscribers of the shard channel); returns how
  // many deliveries were made (Redis's PUBLISH reply).
  int64_t Publish(std::string_view channel, std::string_view message, bool shard = false);

  // PUBSUB CHANNELS / SHARDCHANNELS [pattern]: channels with a subscriber, sorted.
  std::vector<std::string> Channels(std::string_view pattern, bool match_all,
                                    bool shard = false) const;
  // PUBSUB NUMSUB / SHARDNUMSUB: subscribers of one channel.
  size_t NumSub(std::string_view channel, bool shard = false) const;
  // PUBSUB NUMPAT: distinct patterns with at least one subscriber.
  size_t NumPat() const;
  // INFO stats pubsub_channels.
  size_t NumChannels() const;

  // The deliveries queued for a worker, oldest first, emptying its queue. Only that
  // worker's thread calls this (DrainPubSub); cheap when the queue is empty.
  std::vector<std::shared_ptr<const PubSubDelivery>> TakePending(int worker);

 private:
  struct Subscriber {
    uint64_t client_id;
    int worker;
  };
  using Names = std::set<std::string, std::less<>>;
  struct ClientSubs {
    int worker = 0;
    Names channels, patterns, shard_channels;
    Names& of(SubKind k) {
      return k == SubKind::kChannel ? channels : k == SubKind::kPattern ? patterns : shard_channels;
    }
    const Names& of(SubKind k) const {
      return k == SubKind::kChannel ? channels : k == SubKind::kPattern ? patterns : shard_channels;
    }
    size_t size() const { return channels.size() + patterns.size() + shard_channels.size(); }
    size_t Count(SubKind k) const {
      return k == SubKind::kShard ? shard_channels.size() : channels.size() + patterns.size();
    }
  };
  using Table = std::map<std::string, std::vector<Subscriber>, std::less<>>;
  Table& TableOf(SubKind k) {
    return k == SubKind::kChannel ? channels_ : k == SubKind::kPattern ? patterns_ : shard_;
  }

  static void RemoveFrom(Table* table, std::string_view name, uint64_t client);

  struct WorkerQueue {
    std::mutex mu;
    std::vector<std::shared_ptr<const PubSubDelivery>> items;
    std::atomic<bool> pending{false};  // items is non-empty (read without the lock)
  };

  PubSubWaker* waker_;
  std::vector<std::unique_ptr<WorkerQueue>> queues_;
  mutable std::mutex mu_;
  Table channels_;  // channel -> subscribers, in subscription order
  Table patterns_;  // pattern -> subscribers, in subscription order
  Table shard_;     // shard channel -> subscribers
  std::unordered_map<uint64_t, ClientSubs> clients_;
  // Total subscriptions, read without the lock so a PUBLISH (or a keyspace event) with
  // nobody listening costs one atomic load.
  std::atomic<size_t> total_{0};
};

// Writes the deliveries queued for `worker` to its connections. Runs on that worker's
// thread: when woken, and after each command (Connection::ProcessInput).
void DrainPubSub(Worker& worker);

// The server's waker: posts a drain task to the worker's loop, once per batch of queued
// deliveries. Post only queues, so this never waits on a worker.
class WorkerPubSubWaker final : public PubSubWaker {
 public:
  explicit WorkerPubSubWaker(std::vector<Worker*> workers) : workers_(std::move(workers)) {}
  void Wake(int worker) override;

 private:
  std::vector<Worker*> workers_;
};

}  // namespace vellum::server
