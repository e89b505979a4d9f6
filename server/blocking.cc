#include "server/blocking.h"

#include <algorithm>

namespace vellum::server {
namespace {

thread_local std::vector<std::pair<int, std::string>> ready_keys;

}  // namespace

void BlockingRegistry::Block(std::shared_ptr<Waiter> w) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::string& key : w->keys) {
    auto& queue = by_key_[{w->db, key}];
    if (std::find(queue.begin(), queue.end(), w) == queue.end()) queue.push_back(w);
  }
  if (w->deadline_ms != 0) {
    deadlines_[static_cast<size_t>(w->worker)].emplace(w->deadline_ms, w);
    PublishDeadline(w->worker);
  }
  by_client_[w->client_id] = w;
  blocked_.fetch_add(1, std::memory_order_relaxed);
}

void BlockingRegistry::SignalReady(int db, std::string_view key) {
  // The shard lock of `key` orders this load after any Block() for it (same lock).
  if (blocked_.load(std::memory_order_relaxed) == 0) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (by_key_.find({db, std::string(key)}) == by_key_.end()) return;
  }
  for (const auto& [d, k] : ready_keys) {
    if (d == db && k == key) return;
  }
  ready_keys.emplace_back(db, std::string(key));
}

std::vector<std::pair<int, std::string>> BlockingRegistry::TakeReady() {
  std::vector<std::pair<int, std::string>> out;
  out.swap(ready_keys);
  return out;
}

bool BlockingRegistry::AnyReady() { return !ready_keys.empty(); }

void BlockingRegistry::Requeue(int db, const std::string& key) {
  for (const auto& [d, k] : ready_keys) {
    if (d == db && k == key) return;
  }
  ready_keys.emplace_back(db, key);
}

std::shared_ptr<Waiter> BlockingRegistry::First(int db, std::string_view key, bool zset) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_key_.find({db, std::string(key)});
  if (it == by_key_.end()) return nullptr;
  for (const std::shared_ptr<Waiter>& w : it->second) {
    if (w->op.zset() == zset) return w;
  }
  return nullptr;
}

bool BlockingRegistry::Claim(const std::shared_ptr<Waiter>& w) {
  std::lock_guard<std::mutex> lock(mu_);
  if (w->done) return false;
  RemoveLocked(w);
  return true;
}

void BlockingRegistry::RemoveLocked(const std::shared_ptr<Waiter>& w) {
  w->done = true;
  for (const std::string& key : w->keys) {
    auto it = by_key_.find({w->db, key});
    if (it == by_key_.end()) continue;
    std::erase(it->second, w);
    if (it->second.empty()) by_key_.erase(it);
  }
  if (w->deadline_ms != 0) {
    auto& deadlines = deadlines_[static_cast<size_t>(w->worker)];
    auto [from, to] = deadlines.equal_range(w->deadline_ms);
    for (auto it = from; it != to; ++it) {
      if (it->second == w) {
        deadlines.erase(it);
        break;
      }
    }
    PublishDeadline(w->worker);
  }
  auto c = by_client_.find(w->client_id);
  if (c != by_client_.end() && c->second == w) by_client_.erase(c);
  blocked_.fetch_sub(1, std::memory_order_relaxed);
}

std::vector<std::shared_ptr<Waiter>> BlockingRegistry::ExpireDue(int worker, int64_t now_ms,
                                                                 int64_t* next_ms) {
  std::vector<std::shared_ptr<Waiter>> out;
  std::lock_guard<std::mutex> lock(mu_);
  auto& deadlines = deadlines_[static_cast<size_t>(worker)];
  while (!deadlines.empty() && deadlines.begin()->first <= now_ms) {
    std::shared_ptr<Waiter> w = deadlines.begin()->second;
    RemoveLocked(w);  // erases the deadline entry too
    out.push_back(std::move(w));
  }
  *next_ms = deadlines.empty() ? 0 : deadlines.begin()->first;
  return out;
}

void BlockingRegistry::PublishDeadline(int worker) {
  const auto& deadlines = deadlines_[static_cast<size_t>(worker)];
  next_deadline_[static_cast<size_t>(worker)].store(
      deadlines.empty() ? 0 : deadlines.begin()->first, std::memory_order_release);
}

std::shared_ptr<Waiter> BlockingRegistry::Unblock(uint64_t client_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_client_.find(client_id);
  if (it == by_client_.end()) return nullptr;
  std::shared_ptr<Waiter> w = it->second;
  RemoveLocked(w);
  return w;
}

std::vector<std::string> BlockingRegistry::WaitedKeys(int db) {
  std::vector<std::string> out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [k, queue] : by_key_) {
    if (k.first == db) out.push_back(k.second);
  }
  return out;
}

bool BlockingRegistry::IsBlocked(uint64_t client_id) {
  std::lock_guard<std::mutex> lock(mu_);
  return by_client_.count(client_id) > 0;
}

}  // namespace vellum::server
