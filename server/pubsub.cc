#include "server/pubsub.h"

#include <algorithm>

#include "common/glob.h"
#include "server/connection.h"
#include "server/worker.h"

namespace vellum::server {

PubSub::PubSub(int workers, PubSubWaker* waker) : waker_(waker) {
  for (int i = 0; i < workers; i++) queues_.push_back(std::make_unique<WorkerQueue>());
}

bool PubSub::Subscribe(uint64_t client, int worker, std::string_view name, SubKind kind,
                       size_t* total) {
  std::lock_guard<std::mutex> lock(mu_);
  ClientSubs& subs = clients_[client];
  subs.worker = worker;
  bool added = subs.of(kind).emplace(name).second;
  if (added) {
    Table& table = TableOf(kind);
    auto it = table.find(name);
    if (it == table.end()) it = table.emplace(std::string(name), std::vector<Subscriber>()).first;
    it->second.push_back({client, worker});
    total_.fetch_add(1, std::memory_order_relaxed);
  }
  if (total != nullptr) *total = subs.Count(kind);
  return added;
}

void PubSub::RemoveFrom(Table* table, std::string_view name, uint64_t client) {
  auto it = table->find(name);
  if (it == table->end()) return;
  auto& v = it->second;
  v.erase(std::remove_if(v.begin(), v.end(),
                         [client](const Subscriber& s) { return s.client_id == client; }),
          v.end());
  if (v.empty()) table->erase(it);
}

bool PubSub::Unsubscribe(uint64_t client, std::string_view name, SubKind kind, size_t* total) {
  std::lock_guard<std::mutex> lock(mu_);
  auto cit = clients_.find(client);
  if (cit == clients_.end()) {
    if (total != nullptr) *total = 0;
    return false;
  }
  ClientSubs& subs = cit->second;
  Names& mine = subs.of(kind);
  auto it = mine.find(name);
  bool removed = it != mine.end();
  if (removed) {
    mine.erase(it);
    RemoveFrom(&TableOf(kind), name, client);
    total_.fetch_sub(1, std::memory_order_relaxed);
  }
  if (total != nullptr) *total = subs.Count(kind);
  if (subs.size() == 0) clients_.erase(cit);
  return removed;
}

std::vector<std::string> PubSub::Subscriptions(uint64_t client, SubKind kind) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = clients_.find(client);
  if (it == clients_.end()) return {};
  const Names& mine = it->second.of(kind);
  return std::vector<std::string>(mine.begin(), mine.end());
}

size_t PubSub::SubscriptionCount(uint64_t client, SubKind kind) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = clients_.find(client);
  return it == clients_.end() ? 0 : it->second.Count(kind);
}

void PubSub::RemoveClient(uint64_t client) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = clients_.find(client);
  if (it == clients_.end()) return;
  for (SubKind kind : {SubKind::kChannel, SubKind::kPattern, SubKind::kShard}) {
    for (const std::string& name : it->second.of(kind)) RemoveFrom(&TableOf(kind), name, client);
  }
  total_.fetch_sub(it->second.size(), std::memory_order_relaxed);
  clients_.erase(it);
}

int64_t PubSub::Publish(std::string_view channel, std::string_view message, bool shard) {
  if (total_.load(std::memory_order_relaxed) == 0) return 0;
  std::vector<int> wake;
  int64_t receivers = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::shared_ptr<PubSubDelivery>> by_worker;
    auto targets_of = [&](int worker) -> std::vector<PubSubDelivery::Target>& {
      size_t w = static_cast<size_t>(worker);
      if (w >= by_worker.size()) by_worker.resize(w + 1);
      if (!by_worker[w]) {
        by_worker[w] = std::make_shared<PubSubDelivery>();
        by_worker[w]->channel.assign(channel);
        by_worker[w]->message.assign(message);
      }
      return by_worker[w]->targets;
    };
    const Table& table = shard ? shard_ : channels_;
    const SubKind kind = shard ? SubKind::kShard : SubKind::kChannel;
    auto it = table.find(channel);
    if (it != table.end()) {
      for (const Subscriber& s : it->second) {
        targets_of(s.worker).push_back({s.client_id, kind, std::string()});
        receivers++;
      }
    }
    for (const auto& [pattern, subs] : patterns_) {
      if (shard) break;
      if (!GlobMatch(pattern, channel)) continue;
      for (const Subscriber& s : subs) {
        targets_of(s.worker).push_back({s.client_id, SubKind::kPattern, pattern});
        receivers++;
      }
    }
    // Appended under the registry lock: every queue sees publishes in the same order.
    for (size_t w = 0; w < by_worker.size() && w < queues_.size(); w++) {
      if (!by_worker[w]) continue;
      WorkerQueue& q = *queues_[w];
      std::lock_guard<std::mutex> qlock(q.mu);
      q.items.push_back(std::move(by_worker[w]));
      if (!q.pending.exchange(true)) wake.push_back(static_cast<int>(w));
    }
  }
  if (waker_ != nullptr) {
    for (int w : wake) waker_->Wake(w);
  }
  return receivers;
}

std::vector<std::shared_ptr<const PubSubDelivery>> PubSub::TakePending(int worker) {
  std::vector<std::shared_ptr<const PubSubDelivery>> out;
  if (worker < 0 || static_cast<size_t>(worker) >= queues_.size()) return out;
  WorkerQueue& q = *queues_[static_cast<size_t>(worker)];
  if (!q.pending.load(std::memory_order_acquire)) return out;
  std::lock_guard<std::mutex> lock(q.mu);
  out.swap(q.items);
  q.pending.store(false);
  return out;
}

std::vector<std::string> PubSub::Channels(std::string_view pattern, bool match_all,
                                          bool shard) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& [name, subs] : shard ? shard_ : channels_) {
    if (match_all || GlobMatch(pattern, name)) out.push_back(name);
  }
  return out;
}

size_t PubSub::NumSub(std::string_view channel, bool shard) const {
  std::lock_guard<std::mutex> lock(mu_);
  const Table& table = shard ? shard_ : channels_;
  auto it = table.find(channel);
  return it == table.end() ? 0 : it->second.size();
}

size_t PubSub::NumPat() const {
  std::lock_guard<std::mutex> lock(mu_);
  return patterns_.size();
}

size_t PubSub::NumChannels() const {
  std::lock_guard<std::mutex> lock(mu_);
  return channels_.size();
}

void DrainPubSub(Worker& worker) {
  PubSub* ps = worker.state().pubsub();
  if (ps == nullptr) return;
  for (const auto& d : ps->TakePending(worker.index())) {
    for (const PubSubDelivery::Target& t : d->targets) {
      Connection* c = worker.FindConnection(t.client_id);
      if (c == nullptr || c->closing()) continue;
      c->Push([&](protocol::ReplyWriter& w) {
        if (t.kind == SubKind::kPattern) {
          w.PushHeader(4);
          w.Bulk("pmessage");
          w.Bulk(t.pattern);
        } else {
          w.PushHeader(3);
          w.Bulk(t.kind == SubKind::kShard ? "smessage" : "message");
        }
        w.Bulk(d->channel);
        w.Bulk(d->message);
      });
    }
  }
}

void WorkerPubSubWaker::Wake(int worker) {
  if (worker < 0 || static_cast<size_t>(worker) >= workers_.size()) return;
  Worker* w = workers_[static_cast<size_t>(worker)];
  w->Post([w] { DrainPubSub(*w); });
}

}  // namespace vellum::server
