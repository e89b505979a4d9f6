#include "server/watch_registry.h"

#include <algorithm>

namespace vellum::server {

WatchRegistry::Stripe& WatchRegistry::StripeOf(std::string_view key) {
  return stripes_[storage::HashKey(key) & (kStripes - 1)];
}

void WatchRegistry::Watch(WatchSet* set, int db, std::string_view key, bool exists,
                          int64_t expire_at_ms) {
  Stripe& stripe = StripeOf(key);
  {
    std::lock_guard<std::mutex> lock(stripe.mu);
    auto it = stripe.keys.find(key);
    if (it == stripe.keys.end()) {
      it = stripe.keys.emplace(std::string(key), std::vector<Watcher>()).first;
    } else {
      for (const Watcher& w : it->second) {
        if (w.set == set && w.db == db) return;  // already watched
      }
    }
    it->second.push_back(Watcher{set, db, exists});
    // Under the caller's shard lock: a later write to this key sees the count.
    count_.fetch_add(1, std::memory_order_relaxed);
  }
  set->keys_.push_back(WatchSet::Key{db, std::string(key), exists ? expire_at_ms : 0});
}

void WatchRegistry::UnwatchAll(WatchSet* set) {
  for (const WatchSet::Key& k : set->keys_) {
    Stripe& stripe = StripeOf(k.key);
    std::lock_guard<std::mutex> lock(stripe.mu);
    auto it = stripe.keys.find(std::string_view(k.key));
    if (it == stripe.keys.end()) continue;
    std::vector<Watcher>& watchers = it->second;
    auto w = std::find_if(watchers.begin(), watchers.end(),
                          [&](const Watcher& x) { return x.set == set && x.db == k.db; });
    if (w == watchers.end()) continue;
    *w = watchers.back();
    watchers.pop_back();
    if (watchers.empty()) stripe.keys.erase(it);
    count_.fetch_sub(1, std::memory_order_relaxed);
  }
  set->keys_.clear();
  // Only now: no writer can reach `set` through the registry any more.
  set->dirty_.store(false, std::memory_order_release);
}

bool WatchRegistry::IsDirty(const WatchSet& set, int64_t now_ms) const {
  if (set.dirty()) return true;
  // A key past its expiry that nothing has deleted yet is logically gone (Redis 7 aborts
  // too). Its expiry cannot have changed since WATCH without a write marking the set.
  for (const WatchSet::Key& k : set.keys_) {
    if (k.expire_at_ms != 0 && k.expire_at_ms <= now_ms) return true;
  }
  return false;
}

void WatchRegistry::Touch(int db, std::string_view key) {
  if (count_.load(std::memory_order_relaxed) == 0) return;
  Stripe& stripe = StripeOf(key);
  std::lock_guard<std::mutex> lock(stripe.mu);
  auto it = stripe.keys.find(key);
  if (it == stripe.keys.end()) return;
  for (const Watcher& w : it->second) {
    if (w.db == db) w.set->dirty_.store(true, std::memory_order_release);
  }
}

template <typename Pred>
void WatchRegistry::MarkAll(Pred pred) {
  if (count_.load(std::memory_order_relaxed) == 0) return;
  for (Stripe& stripe : stripes_) {
    std::lock_guard<std::mutex> lock(stripe.mu);
    for (auto& [key, watchers] : stripe.keys) {
      for (const Watcher& w : watchers) {
        if (pred(w)) w.set->dirty_.store(true, std::memory_order_release);
      }
    }
  }
}

void WatchRegistry::OnDbFlushed(int db) {
  // As Redis: only a watched key that existed is changed by the flush. A watcher that is
  // not dirty yet still sees the key exactly as it was when watched, so `existed` tells.
  MarkAll([db](const Watcher& w) { return w.existed && (db == -1 || w.db == db); });
}

void WatchRegistry::OnDbSwapped(int a, int b) {
  // Redis marks a watcher when its key exists in either database; the registry cannot
  // look into the other database, so it marks every watcher of both (a spurious abort at
  // worst, never a missed change).
  MarkAll([a, b](const Watcher& w) { return w.db == a || w.db == b; });
}

}  // namespace vellum::server
