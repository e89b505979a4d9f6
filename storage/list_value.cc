#include "storage/list_value.h"

#include <algorithm>
#include <cassert>
#include <utility>

#include "common/memory.h"

namespace vellum::storage {
namespace {

constexpr size_t kMinCapacity = 4;
// The longest element the small form can hold: its length takes at most two bytes.
constexpr size_t kMaxPackedElement = 0x7fff;

// Bytes of one length in the small form: one below 128, else two.
size_t LengthBytes(size_t len) { return len < 0x80 ? 1 : 2; }
// Bytes an element of `len` takes in the small form: its length before and after it.
size_t EntryBytes(size_t len) { return len + 2 * LengthBytes(len); }

// Writes v as [length][bytes][length] at out (EntryBytes(v.size()) bytes). The trailing
// length is the leading one backwards, so its last byte says whether it is one byte long.
void EncodeEntry(char* out, std::string_view v) {
  const size_t len = v.size();
  if (len < 0x80) {
    out[0] = static_cast<char>(len);
    if (len > 0) std::memcpy(out + 1, v.data(), len);
    out[1 + len] = static_cast<char>(len);
    return;
  }
  const char high = static_cast<char>(0x80 | (len >> 8));
  const char low = static_cast<char>(len & 0xff);
  out[0] = high;
  out[1] = low;
  std::memcpy(out + 2, v.data(), len);
  out[2 + len] = low;
  out[3 + len] = high;
}

size_t CapacityFor(size_t n) {
  size_t capacity = kMinCapacity;
  while (capacity < n) capacity *= 2;
  return capacity;
}

}  // namespace

ListValue::Ring::Ring(size_t capacity_in)
    : slots(std::make_unique<std::string[]>(capacity_in)), capacity(capacity_in) {}

void ListValue::Ring::Reallocate(size_t new_capacity, size_t size) {
  auto fresh = std::make_unique<std::string[]>(new_capacity);
  for (size_t i = 0; i < size; i++) fresh[i] = std::move(slots[Slot(i)]);
  slots = std::move(fresh);
  capacity = new_capacity;
  head = 0;
}

void ListValue::Ring::Put(size_t i, std::string_view v) {
  assert(at(i).empty() && at(i).capacity() <= 15);  // nothing uncounted is dropped
  std::string s(v.data(), v.size());
  heap_bytes += StringHeapBytes(s);
  packed_bytes += EntryBytes(s.size());
  at(i).swap(s);
}

std::string ListValue::Ring::Take(size_t i) {
  std::string s;
  s.swap(at(i));
  heap_bytes -= StringHeapBytes(s);
  packed_bytes -= EntryBytes(s.size());
  return s;
}

ListValue::ListValue(const ListValue& o)
    : disk_version(o.disk_version),
      packed_(o.packed_),
      size_(o.size_),
      head_position_(o.head_position_),
      clean_from_(o.clean_from_),
      clean_to_(o.clean_to_),
      disk_head_(o.disk_head_),
      disk_size_(o.disk_size_),
      rewrite_needed_(o.rewrite_needed_) {
  if (o.set_positions_) set_positions_ = std::make_unique<std::vector<uint64_t>>(*o.set_positions_);
  if (!o.ring_) return;
  ring_ = std::make_unique<Ring>(CapacityFor(o.size_));
  for (size_t i = 0; i < o.size_; i++) ring_->Put(i, o.ring_->at(i));
}

ListValue& ListValue::operator=(const ListValue& o) {
  if (this != &o) {
    ListValue copy(o);
    *this = std::move(copy);
  }
  return *this;
}

ListValue::ListValue(ListValue&& o) noexcept
    : disk_version(o.disk_version),
      packed_(std::move(o.packed_)),
      ring_(std::move(o.ring_)),
      size_(std::exchange(o.size_, 0)),
      head_position_(o.head_position_),
      clean_from_(o.clean_from_),
      clean_to_(o.clean_to_),
      disk_head_(o.disk_head_),
      disk_size_(o.disk_size_),
      set_positions_(std::move(o.set_positions_)),
      rewrite_needed_(o.rewrite_needed_) {}

ListValue& ListValue::operator=(ListValue&& o) noexcept {
  if (this != &o) {
    disk_version = o.disk_version;
    packed_ = std::move(o.packed_);
    ring_ = std::move(o.ring_);
    size_ = std::exchange(o.size_, 0);
    head_position_ = o.head_position_;
    clean_from_ = o.clean_from_;
    clean_to_ = o.clean_to_;
    disk_head_ = o.disk_head_;
    disk_size_ = o.disk_size_;
    set_positions_ = std::move(o.set_positions_);
    rewrite_needed_ = o.rewrite_needed_;
  }
  return *this;
}

ListValue::~ListValue() = default;

// ---- the small form ----

ListValue::Packed ListValue::PackedAt(size_t at) const {
  const unsigned char first = packed_.byte(at);
  size_t len = first, head = 1;
  if (first >= 0x80) {
    len = (size_t{first} & 0x7f) << 8 | packed_.byte(at + 1);
    head = 2;
  }
  return {std::string_view(packed_.data() + at + head, len), at + 2 * head + len};
}

size_t ListValue::PackedPrev(size_t end) const {
  const unsigned char last = packed_.byte(end - 1);
  if (last < 0x80) return end - 2 - last;
  const size_t len = (size_t{last} & 0x7f) << 8 | packed_.byte(end - 2);
  return end - 4 - len;
}

size_t ListValue::PackedOffset(size_t i) const {
  if (i <= size_ / 2) {
    size_t at = 0;
    for (size_t n = 0; n < i; n++) at = PackedAt(at).next;
    return at;
  }
  size_t at = packed_.size();
  for (size_t n = size_; n > i; n--) at = PackedPrev(at);
  return at;
}

void ListValue::PackedPut(size_t at, size_t erase, std::string_view v) {
  EncodeEntry(packed_.Splice(at, erase, EntryBytes(v.size())), v);
}

bool ListValue::FitsPacked(std::string_view v) const {
  return v.size() <= kMaxPackedElement && packed_.size() + EntryBytes(v.size()) <= kPackedMaxBytes;
}

void ListValue::ToRing() {
  auto ring = std::make_unique<Ring>(CapacityFor(size_ + 1));
  size_t at = 0;
  for (size_t i = 0; i < size_; i++) {
    const Packed p = PackedAt(at);
    ring->Put(i, p.value);
    at = p.next;
  }
  ring_ = std::move(ring);
  packed_.Clear();
}

void ListValue::ToPacked() {
  PackedBytes<> packed;
  packed.Reserve(ring_->packed_bytes);
  for (size_t i = 0; i < size_; i++) {
    const std::string& v = ring_->at(i);
    EncodeEntry(packed.Splice(packed.size(), 0, EntryBytes(v.size())), v);
  }
  packed_ = std::move(packed);
  ring_.reset();
}

void ListValue::AfterRemoval() {
  if (!ring_) {
    if (size_ == 0) packed_.Clear();
    else packed_.MaybeShrink();
    return;
  }
  if (size_ == 0) {
    ring_.reset();
  } else if (ring_->packed_bytes <= kPackedMaxBytes / 2) {
    ToPacked();
  } else if (ring_->capacity > kMinCapacity && size_ * 4 <= ring_->capacity) {
    ring_->Reallocate(CapacityFor(size_ * 2), size_);
  }
}

// ---- reads ----

std::string_view ListValue::at(size_t i) const {
  if (ring_) return ring_->at(i);
  return PackedAt(PackedOffset(i)).value;
}

// ---- edits ----

void ListValue::NoteFrontChange(uint64_t position) {
  clean_from_ = std::max(clean_from_, position + 1);
}

void ListValue::NoteBackChange(uint64_t position) { clean_to_ = std::min(clean_to_, position); }

void ListValue::NoteSet(size_t i) {
  if (rewrite_needed_) return;
  // One record per LSET, up to a point: past it, one rewrite is cheaper to track.
  constexpr size_t kMaxSetPositions = 64;
  if (!set_positions_) set_positions_ = std::make_unique<std::vector<uint64_t>>();
  if (set_positions_->size() >= kMaxSetPositions) {
    rewrite_needed_ = true;
    set_positions_.reset();
    return;
  }
  set_positions_->push_back(head_position_ + i);
}

void ListValue::PushFront(std::string_view v) {
  if (!ring_ && !FitsPacked(v)) ToRing();
  if (ring_) {
    Ring& r = *ring_;
    if (size_ == r.capacity) r.Reallocate(r.capacity * 2, size_);
    r.head = (r.head + r.capacity - 1) & (r.capacity - 1);
    r.Put(0, v);
  } else {
    PackedPut(0, 0, v);
  }
  size_++;
  head_position_--;
  NoteFrontChange(head_position_);
}

void ListValue::PushBack(std::string_view v) {
  if (!ring_ && !FitsPacked(v)) ToRing();
  if (ring_) {
    Ring& r = *ring_;
    if (size_ == r.capacity) r.Reallocate(r.capacity * 2, size_);
    r.Put(size_, v);
  } else {
    PackedPut(packed_.size(), 0, v);
  }
  NoteBackChange(head_position_ + size_);
  size_++;
}

std::string ListValue::PopFront() {
  assert(size_ > 0);
  std::string out;
  if (ring_) {
    Ring& r = *ring_;
    out = r.Take(0);
    r.head = (r.head + 1) & (r.capacity - 1);
  } else {
    const Packed p = PackedAt(0);
    out.assign(p.value.data(), p.value.size());
    packed_.Splice(0, p.next, 0);
  }
  size_--;
  NoteFrontChange(head_position_);
  head_position_++;
  AfterRemoval();
  return out;
}

std::string ListValue::PopBack() {
  assert(size_ > 0);
  std::string out;
  if (ring_) {
    out = ring_->Take(size_ - 1);
  } else {
    const size_t start = PackedPrev(packed_.size());
    const std::string_view v = PackedAt(start).value;
    out.assign(v.data(), v.size());
    packed_.Splice(start, packed_.size() - start, 0);
  }
  size_--;
  NoteBackChange(head_position_ + size_);
  AfterRemoval();
  return out;
}

void ListValue::Set(size_t i, std::string_view v) {
  if (!ring_) {
    const size_t at = PackedOffset(i);
    const size_t old_bytes = PackedAt(at).next - at;
    if (v.size() <= kMaxPackedElement &&
        packed_.size() - old_bytes + EntryBytes(v.size()) <= kPackedMaxBytes) {
      PackedPut(at, old_bytes, v);
      NoteSet(i);
      return;
    }
    ToRing();
  }
  ring_->Take(i);
  ring_->Put(i, v);
  NoteSet(i);
}

void ListValue::Insert(size_t i, std::string_view v) {
  rewrite_needed_ = true;
  if (!ring_ && FitsPacked(v)) {
    PackedPut(PackedOffset(i), 0, v);
    size_++;
    return;
  }
  if (!ring_) ToRing();
  Ring& r = *ring_;
  if (size_ == r.capacity) r.Reallocate(r.capacity * 2, size_);
  // Shift [i, size) one slot towards the back (the empty slot at `size` comes forward),
  // then fill the hole.
  for (size_t j = size_; j > i; j--) r.at(j).swap(r.at(j - 1));
  r.Put(i, v);
  size_++;
}

void ListValue::Erase(size_t i) {
  if (ring_) {
    Ring& r = *ring_;
    r.Take(i);  // its now empty slot moves to the back
    for (size_t j = i; j + 1 < size_; j++) r.at(j).swap(r.at(j + 1));
  } else {
    const size_t at = PackedOffset(i);
    packed_.Splice(at, PackedAt(at).next - at, 0);
  }
  size_--;
  rewrite_needed_ = true;
  AfterRemoval();
}

size_t ListValue::RemoveEqual(std::string_view v, uint64_t limit, bool from_tail) {
  // Removals happen in [start, size): from the head, all of it (stopping after `limit`);
  // from the tail, from the limit-th match counted from the end.
  size_t start = 0;
  if (from_tail && size_ > 0) {
    uint64_t seen = 0;
    start = size_;
    Walk(size_ - 1, size_, /*reverse=*/true, [&](size_t i, std::string_view e) {
      if (seen == limit) return false;
      if (e == v) seen++;
      start = i;
      return true;
    });
  }
  size_t removed = 0, write = start;
  if (ring_) {
    Ring& r = *ring_;
    // Slots [write, read) are empty: taken, or left behind by a kept element's swap.
    for (size_t read = start; read < size_; read++) {
      if (removed < limit && r.at(read) == v) {
        r.Take(read);
        removed++;
        continue;
      }
      if (write != read) r.at(write).swap(r.at(read));
      write++;
    }
  } else if (start < size_) {
    // Kept elements slide down over removed ones, in place; the tail is cut once.
    char* bytes = packed_.data();
    size_t to = PackedOffset(start);
    for (size_t at = to, read = start; read < size_; read++) {
      const Packed p = PackedAt(at);
      const size_t n = p.next - at;
      if (removed < limit && p.value == v) {
        removed++;
      } else {
        if (to != at) std::memmove(bytes + to, bytes + at, n);
        to += n;
        write++;
      }
      at = p.next;
    }
    packed_.Splice(to, packed_.size() - to, 0);
  }
  size_ = write;
  if (removed > 0) {
    rewrite_needed_ = true;
    AfterRemoval();
  }
  return removed;
}

void ListValue::Trim(size_t start, size_t stop) {
  // Each end is cut once, and the positions change as that many pops would change them;
  // the list changes form (or the ring shrinks) once, at the end.
  if (ring_) {
    Ring& r = *ring_;
    if (stop < size_) {
      for (size_t i = stop; i < size_; i++) r.Take(i);
      size_ = stop;
      NoteBackChange(head_position_ + size_);
    }
    if (start > 0) {
      for (size_t i = 0; i < start; i++) r.Take(i);
      r.head = (r.head + start) & (r.capacity - 1);
      size_ -= start;
      NoteFrontChange(head_position_ + start - 1);
      head_position_ += start;
    }
    AfterRemoval();
    return;
  }
  if (stop < size_) {
    const size_t at = PackedOffset(stop);
    packed_.Splice(at, packed_.size() - at, 0);
    size_ = stop;
    NoteBackChange(head_position_ + size_);
  }
  if (start > 0) {
    packed_.Splice(0, PackedOffset(start), 0);
    size_ -= start;
    NoteFrontChange(head_position_ + start - 1);
    head_position_ += start;
  }
  AfterRemoval();
}

size_t ListValue::MemoryUsage() const {
  size_t bytes = sizeof(ListValue) + packed_.HeapBytes();
  if (ring_) bytes += sizeof(Ring) + ring_->capacity * sizeof(std::string) + ring_->heap_bytes;
  if (set_positions_) bytes += sizeof(*set_positions_) + set_positions_->capacity() * 8;
  return bytes;
}

void ListValue::MarkAllOnDisk() {
  disk_head_ = head_position_;
  disk_size_ = size_;
  clean_from_ = head_position_;
  clean_to_ = head_position_ + size_;
  set_positions_.reset();
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
