#include "storage/list_value.h"

#include <algorithm>
#include <utility>

#include "common/memory.h"

namespace vellum::storage {
namespace {

constexpr size_t kMinCapacity = 4;

}  // namespace

ListValue::ListValue(const ListValue& o)
    : disk_version(o.disk_version),
      head_position_(o.head_position_),
      clean_from_(o.clean_from_),
      clean_to_(o.clean_to_),
      disk_head_(o.disk_head_),
      disk_size_(o.disk_size_),
      set_positions_(o.set_positions_),
      rewrite_needed_(o.rewrite_needed_) {
  if (o.size_ == 0) return;
  size_t capacity = kMinCapacity;
  while (capacity < o.size_) capacity *= 2;
  ring_ = std::make_unique<std::string[]>(capacity);
  capacity_ = capacity;
  for (size_t i = 0; i < o.size_; i++) {
    ring_[i] = o.at(i);
    heap_bytes_ += StringHeapBytes(ring_[i]);
  }
  size_ = o.size_;
}

ListValue& ListValue::operator=(const ListValue& o) {
  if (this != &o) {
    ListValue copy(o);
    *this = std::move(copy);
  }
  return *this;
}

void ListValue::Reallocate(size_t capacity) {
  auto ring = std::make_unique<std::string[]>(capacity);
  for (size_t i = 0; i < size_; i++) ring[i] = std::move(ring_[Slot(i)]);
  ring_ = std::move(ring);
  capacity_ = capacity;
  head_ = 0;
}

void ListValue::Grow() {
  if (size_ < capacity_) return;
  Reallocate(capacity_ == 0 ? kMinCapacity : capacity_ * 2);
}

void ListValue::MaybeShrink() {
  if (size_ == 0) {
    ring_.reset();
    capacity_ = 0;
    head_ = 0;
    return;
  }
  if (capacity_ > kMinCapacity && size_ * 4 <= capacity_) Reallocate(capacity_ / 2);
}

void ListValue::NoteFrontChange(uint64_t position) {
  clean_from_ = std::max(clean_from_, position + 1);
}

void ListValue::NoteBackChange(uint64_t position) { clean_to_ = std::min(clean_to_, position); }

void ListValue::PushFront(std::string_view v) {
  Grow();
  head_ = (head_ + capacity_ - 1) & (capacity_ - 1);
  ring_[head_].assign(v.data(), v.size());
  heap_bytes_ += StringHeapBytes(ring_[head_]);
  size_++;
  head_position_--;
  NoteFrontChange(head_position_);
}

void ListValue::PushBack(std::string_view v) {
  Grow();
  std::string& slot = ring_[Slot(size_)];
  slot.assign(v.data(), v.size());
  heap_bytes_ += StringHeapBytes(slot);
  NoteBackChange(head_position_ + size_);
  size_++;
}

std::string ListValue::PopFront() {
  std::string out = std::move(ring_[head_]);
  ring_[head_] = std::string();
  heap_bytes_ -= StringHeapBytes(out);
  head_ = (head_ + 1) & (capacity_ - 1);
  size_--;
  NoteFrontChange(head_position_);
  head_position_++;
  MaybeShrink();
  return out;
}

std::string ListValue::PopBack() {
  std::string& slot = ring_[Slot(size_ - 1)];
  std::string out = std::move(slot);
  slot = std::string();
  heap_bytes_ -= StringHeapBytes(out);
  size_--;
  NoteBackChange(head_position_ + size_);
  MaybeShrink();
  return out;
}

void ListValue::Set(size_t i, std::string_view v) {
  std::string& slot = ring_[Slot(i)];
  heap_bytes_ -= StringHeapBytes(slot);
  slot.assign(v.data(), v.size());
  slot.shrink_to_fit();
  heap_bytes_ += StringHeapBytes(slot);
  if (rewrite_needed_) return;
  // One record per LSET, up to a point: past it, one rewrite is cheaper to track.
  constexpr size_t kMaxSetPositions = 64;
  if (set_positions_.size() >= kMaxSetPositions) {
    rewrite_needed_ = true;
    set_positions_.clear();
    return;
  }
  set_positions_.push_back(head_position_ + i);
}

void ListValue::Insert(size_t i, std::string_view v) {
  Grow();
  // Shift [i, size) one slot towards the back, then fill the hole.
  for (size_t j = size_; j > i; j--) ring_[Slot(j)] = std::move(ring_[Slot(j - 1)]);
  std::string& slot = ring_[Slot(i)];
  slot.assign(v.data(), v.size());
  slot.shrink_to_fit();
  heap_bytes_ += StringHeapBytes(slot);
  size_++;
  rewrite_needed_ = true;
}

void ListValue::Erase(size_t i) {
  heap_bytes_ -= StringHeapBytes(ring_[Slot(i)]);
  for (size_t j = i; j + 1 < size_; j++) ring_[Slot(j)] = std::move(ring_[Slot(j + 1)]);
  ring_[Slot(size_ - 1)] = std::string();
  size_--;
  rewrite_needed_ = true;
  MaybeShrink();
}

size_t ListValue::RemoveEqual(std::string_view v, uint64_t limit, bool from_tail) {
  // Removals happen in [start, size): from the head, all of it (stopping after `limit`);
  // from the tail, from the limit-th match counted from the end.
  size_t start = 0;
  if (from_tail) {
    uint64_t seen = 0;
    start = size_;
    while (start > 0 && seen < limit) {
      if (at(start - 1) == v) seen++;
      start--;
    }
  }
  size_t removed = 0, write = start;
  for (size_t read = start; read < size_; read++) {
    std::string& slot = ring_[Slot(read)];
    if (removed < limit && slot == v) {
      heap_bytes_ -= StringHeapBytes(slot);
      slot = std::string();
      removed++;
      continue;
    }
    if (write != read) ring_[Slot(write)] = std::move(slot);
    write++;
  }
  for (size_t i = write; i < size_; i++) ring_[Slot(i)] = std::string();
  size_ = write;
  if (removed > 0) {
    rewrite_needed_ = true;
    MaybeShrink();
  }
  return removed;
}

void ListValue::Trim(size_t start, size_t stop) {
  while (size_ > stop) PopBack();
  for (size_t n = 0; n < start; n++) PopFront();
}

size_t ListValue::MemoryUsage() const {
  return sizeof(ListValue) + capacity_ * sizeof(std::string) + heap_bytes_;
}

void ListValue::MarkAllOnDisk() {
  disk_head_ = head_position_;
  disk_size_ = size_;
  clean_from_ = head_position_;
  clean_to_ = head_position_ + size_;
  set_positions_.clear();
  rewrite_needed_ = false;
}

bool ListBuilder::Add(uint64_t position, std::string_view value) {
  if (list_->empty()) {
    first_ = position;
  } else if (position != first_ + list_->size()) {
    return false;
  }
  list_->PushBack(value);
  return true;
}

}  // namespace vellum::storage
