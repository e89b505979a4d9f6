#include "storage/table.h"

#include <new>
#include <utility>

#include "storage/scan_cursor.h"

namespace vellum::storage {
namespace {
constexpr size_t kInitialBuckets = 4;
}  // namespace

Table::~Table() { Clear(); }

Table::Table(Table&& other) noexcept
    : buckets_(std::move(other.buckets_)),
      size_(std::exchange(other.size_, 0)),
      on_disk_(std::exchange(other.on_disk_, 0)),
      volatile_(std::move(other.volatile_)) {}

Table& Table::operator=(Table&& other) noexcept {
  if (this != &other) {
    Clear();
    buckets_ = std::move(other.buckets_);
    size_ = std::exchange(other.size_, 0);
    on_disk_ = std::exchange(other.on_disk_, 0);
    volatile_ = std::move(other.volatile_);
  }
  return *this;
}

Entry* Table::Find(std::string_view key, uint64_t hash) const {
  if (buckets_.empty()) return nullptr;
  for (Entry* e = buckets_[hash & (buckets_.size() - 1)]; e != nullptr; e = e->next) {
    if (e->hash == static_cast<uint32_t>(hash) && e->key() == key) return e;
  }
  return nullptr;
}

void Table::Insert(Entry* e) {
  if (buckets_.empty()) buckets_.assign(kInitialBuckets, nullptr);
  if (size_ >= buckets_.size()) Resize(buckets_.size() * 2);
  Entry*& head = buckets_[e->hash & (buckets_.size() - 1)];
  e->next = head;
  head = e;
  size_++;
  on_disk_ += e->on_disk;
  if (e->expire_at_ms != 0) {
    e->volatile_index = static_cast<uint32_t>(volatile_.size());
    volatile_.push_back(e);
  }
}

Entry* Table::Unlink(std::string_view key, uint64_t hash) {
  if (buckets_.empty()) return nullptr;
  Entry** link = &buckets_[hash & (buckets_.size() - 1)];
  while (*link != nullptr) {
    Entry* e = *link;
    if (e->hash == static_cast<uint32_t>(hash) && e->key() == key) {
      *link = e->next;
      e->next = nullptr;
      size_--;
      on_disk_ -= e->on_disk;
      RemoveVolatile(e);
      // Under 1/8 full: down to the smallest power of two that holds every key, at once
      // (Redis resizes a dict under 10% full to the size its keys need), so a table
      // that once held a burst of keys with a TTL does not keep its peak's buckets.
      if (size_ * 8 < buckets_.size() && buckets_.size() > kInitialBuckets) {
        size_t fit = kInitialBuckets;
        while (fit < size_) fit *= 2;
        try {
          Resize(fit);
        } catch (const std::bad_alloc&) {
          // Best effort: the entry is already unlinked, and a sparse table still works.
        }
      }
      return e;
    }
    link = &e->next;
  }
  return nullptr;
}

Entry* Table::Replace(Entry* old, Entry* fresh) {
  Entry** link = &buckets_[old->hash & (buckets_.size() - 1)];
  while (*link != old) link = &(*link)->next;
  fresh->next = old->next;
  *link = fresh;
  old->next = nullptr;
  fresh->expire_at_ms = old->expire_at_ms;
  if (old->volatile_index != UINT32_MAX) {
    fresh->volatile_index = old->volatile_index;
    volatile_[old->volatile_index] = fresh;
    old->volatile_index = UINT32_MAX;
  }
  on_disk_ = on_disk_ - old->on_disk + fresh->on_disk;
  return old;
}

void Table::SetExpire(Entry* e, int64_t ms) {
  if (ms == 0) {
    RemoveVolatile(e);
    e->expire_at_ms = 0;
    return;
  }
  if (e->expire_at_ms == 0) {
    e->volatile_index = static_cast<uint32_t>(volatile_.size());
    volatile_.push_back(e);
  }
  e->expire_at_ms = ms;
}

void Table::RemoveVolatile(Entry* e) {
  if (e->volatile_index == UINT32_MAX) return;
  uint32_t i = e->volatile_index;
  Entry* last = volatile_.back();
  volatile_[i] = last;
  last->volatile_index = i;
  volatile_.pop_back();
  e->volatile_index = UINT32_MAX;
  // Gives the room back once three quarters of it is unused (the next push that needs
  // room doubles it again, so pushes and pops stay amortised O(1)).
  if (volatile_.capacity() > 64 && volatile_.size() < volatile_.capacity() / 4) {
    volatile_.shrink_to_fit();
  }
}

void Table::Clear() {
  for (Entry*& head : buckets_) {
    while (head != nullptr) {
      Entry* next = head->next;
      Entry::Delete(head);
      head = next;
    }
  }
  buckets_.clear();
  buckets_.shrink_to_fit();
  volatile_.clear();
  volatile_.shrink_to_fit();
  size_ = 0;
  on_disk_ = 0;
}

void Table::Resize(size_t new_buckets) {
  std::vector<Entry*> next(new_buckets, nullptr);
  for (Entry* head : buckets_) {
    while (head != nullptr) {
      Entry* e = head;
      head = head->next;
      Entry*& slot = next[e->hash & (new_buckets - 1)];
      e->next = slot;
      slot = e;
    }
  }
  buckets_.swap(next);
}

uint64_t Table::ScanStep(uint64_t cursor, const std::function<void(Entry*)>& fn) const {
  if (buckets_.empty()) return 0;
  const uint64_t mask = buckets_.size() - 1;
  for (Entry* e = buckets_[cursor & mask]; e != nullptr; e = e->next) fn(e);
  return NextScanCursor(cursor, mask);
}

Entry* Table::Random(std::mt19937_64& rng) const {
  if (size_ == 0) return nullptr;
  const size_t mask = buckets_.size() - 1;
  // Pick a random non-empty bucket, then a random element of its chain.
  for (;;) {
    Entry* head = buckets_[rng() & mask];
    if (head == nullptr) continue;
    size_t len = 0;
    for (Entry* e = head; e != nullptr; e = e->next) len++;
    size_t pick = rng() % len;
    while (pick-- > 0) head = head->next;
    return head;
  }
}

void Table::SampleFromRandomBucket(std::mt19937_64& rng, size_t want, size_t max_buckets,
                                   const std::function<bool(Entry*)>& take) const {
  if (size_ == 0 || want == 0) return;
  const size_t mask = buckets_.size() - 1;
  size_t b = rng() & mask;
  size_t taken = 0;
  for (size_t walked = 0; walked < max_buckets && walked <= mask; walked++, b = (b + 1) & mask) {
    for (Entry* e = buckets_[b]; e != nullptr; e = e->next) {
      if (take(e) && ++taken == want) return;
    }
  }
}

Entry* Table::RandomVolatile(std::mt19937_64& rng) const {
  if (volatile_.empty()) return nullptr;
  return volatile_[rng() % volatile_.size()];
}

}  // namespace vellum::storage
