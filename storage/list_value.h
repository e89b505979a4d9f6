// ListValue: the payload of a Redis list (ValueType::kList), in one of two forms:
// - small (packed): every element in one PackedBytes block, [length][bytes][length],
//   with 1-byte lengths below 128 and 2-byte ones up to 32767 (the trailing copy lets a
//   walk go backwards), as long as the whole block stays within kPackedMaxBytes (8 KiB,
//   Redis's list-max-listpack-size -2). A list of five short elements is one small
//   allocation; every edit moves at most those 8 KiB.
// - large: a ring buffer of strings: O(1) push and pop at both ends, O(1) access by index
//   (LINDEX, LSET, LRANGE's start), O(n) insertion and removal in the middle (LINSERT,
//   LREM), as in Redis's quicklist. The ring doubles when full and halves when three
//   quarters empty, so a drained queue gives its memory back, and it packs itself again
//   once its elements fit in half the small form's room (Redis 7.2 converts back at half
//   its limit too, so a list on the border does not flip at every push and pop).
// OBJECT ENCODING says quicklist for both, as Redis 7.0 does for every list.
//
// Positions, for the persister (storage/FORMAT.md). Every element has a 64-bit position:
// element i sits at head_position() + i. A push at the front takes the position below the
// head, a push at the back the one after the tail, so the positions of the elements that
// stay never change and an LPUSH or RPOP is one record on disk, not a rewrite of the list.
// The value remembers what the last write to disk covered (disk_*) and which positions
// may have changed since (everything outside [clean_from, clean_to), plus the positions
// LSET replaced); a change that moves elements (LINSERT, LREM), or many LSETs, sets
// rewrite_needed(), and the persister then writes the whole list under a new version.
// Positions are the same in both forms.
//
// Owned by its Entry; touched only under that entry's shard lock.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "storage/packed_bytes.h"

namespace vellum::storage {

class ListValue {
 public:
  // The position of the first element of a new list: the middle of the range, so either
  // end can grow by 2^63 elements.
  static constexpr uint64_t kFirstPosition = uint64_t{1} << 63;
  // The small form's most bytes (elements and their lengths).
  static constexpr size_t kPackedMaxBytes = 8192;

  ListValue() = default;
  ListValue(const ListValue& o);
  ListValue& operator=(const ListValue& o);
  ListValue(ListValue&& o) noexcept;
  ListValue& operator=(ListValue&& o) noexcept;
  ~ListValue();

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Redis 7.0 reports every list as a quicklist (7.2 added listpack lists).
  const char* EncodingName() const { return "quicklist"; }
  // True in the small form (for tests and MEMORY USAGE's reader).
  bool packed() const { return ring_ == nullptr; }

  // Element i, 0 = head; i < size(). O(1) large, O(min(i, size - i)) small: walk with
  // Walk() rather than calling this in a loop. Valid until the next change.
  std::string_view at(size_t i) const;

  // Calls fn(index, element) for up to `count` elements from index `first` (< size()),
  // going towards the tail, or the head with `reverse`. Stops early when fn returns false.
  template <typename Fn>
  void Walk(size_t first, size_t count, bool reverse, Fn&& fn) const;

  void PushFront(std::string_view v);
  void PushBack(std::string_view v);
  // Removes and returns the head (tail); the list must not be empty.
  std::string PopFront();
  std::string PopBack();
  // Replaces element i (LSET).
  void Set(size_t i, std::string_view v);
  // Inserts v before element i; i == size() appends (LINSERT).
  void Insert(size_t i, std::string_view v);
  // Removes element i.
  void Erase(size_t i);
  // Removes up to `limit` elements equal to v, the first ones from the head (or from the
  // tail), in one pass over the list (LREM); returns how many.
  size_t RemoveEqual(std::string_view v, uint64_t limit, bool from_tail);
  // Keeps elements [start, stop) only (LTRIM); start <= stop <= size().
  void Trim(size_t start, size_t stop);

  // Bytes held by the list (MEMORY USAGE); O(1).
  size_t MemoryUsage() const;

  // ---- positions and what is on disk (the persister, under the shard lock) ----
  uint64_t head_position() const { return head_position_; }
  // A loaded list: its first element sits at `position` (before any push).
  void set_head_position(uint64_t position) {
    head_position_ = position;
    MarkAllOnDisk();
  }
  bool rewrite_needed() const { return rewrite_needed_; }
  // Positions whose element on disk may differ from memory: everything in
  // [head_position(), head_position() + size()) outside [clean_from(), clean_to()).
  uint64_t clean_from() const { return clean_from_; }
  uint64_t clean_to() const { return clean_to_; }
  // Positions whose element Set() replaced since the last write (a few; beyond that the
  // list asks for a rewrite instead).
  std::span<const uint64_t> set_positions() const {
    if (!set_positions_) return {};
    return *set_positions_;
  }
  // What the last write covered: positions [disk_head(), disk_head() + disk_size()).
  uint64_t disk_head() const { return disk_head_; }
  uint64_t disk_size() const { return disk_size_; }
  // The persister wrote the list as it is now (whole or its changed ends).
  void MarkAllOnDisk();

  // The version its elements carry on disk (storage/FORMAT.md); 0 = not written yet.
  uint64_t disk_version = 0;

 private:
  struct Ring;
  // The small form's element at byte offset `at`: its bytes, and where the next starts.
  struct Packed {
    std::string_view value;
    size_t next;
  };
  Packed PackedAt(size_t at) const;
  // The offset of the element ending at byte `end` (the start of the one after it).
  size_t PackedPrev(size_t end) const;
  // The byte offset of element i in the small form (packed_.size() for i == size()).
  size_t PackedOffset(size_t i) const;
  // Writes v as an element in place of `erase` bytes at `at` of the small form.
  void PackedPut(size_t at, size_t erase, std::string_view v);
  // Whether v, added to the small form, keeps it within its limits.
  bool FitsPacked(std::string_view v) const;
  // Moves the elements into the ring (the large form), or back into the small form.
  void ToRing();
  void ToPacked();
  // After a removal: gives room back (ring halves, block shrinks, ring packs again).
  void AfterRemoval();
  void NoteFrontChange(uint64_t position);  // `position` was pushed or popped at the front
  void NoteBackChange(uint64_t position);   // ... at the back
  void NoteSet(size_t i);                   // element i was replaced (LSET)

  PackedBytes<> packed_;        // the small form (empty in the large one)
  std::unique_ptr<Ring> ring_;  // the large form, or null
  size_t size_ = 0;

  uint64_t head_position_ = kFirstPosition;
  uint64_t clean_from_ = kFirstPosition;
  uint64_t clean_to_ = kFirstPosition;
  uint64_t disk_head_ = kFirstPosition;
  uint64_t disk_size_ = 0;
  std::unique_ptr<std::vector<uint64_t>> set_positions_;  // rarely any: kept out of line
  bool rewrite_needed_ = false;
};

// The large form: a ring of strings, its capacity a power of two.
struct ListValue::Ring {
  explicit Ring(size_t capacity);
  size_t Slot(size_t i) const { return (head + i) & (capacity - 1); }
  std::string& at(size_t i) { return slots[Slot(i)]; }
  const std::string& at(size_t i) const { return slots[Slot(i)]; }
  // Moves the elements into a new ring of `capacity` slots, head at slot 0.
  void Reallocate(size_t new_capacity, size_t size);
  // Makes element i, an empty slot, hold v (in a string of exactly its size), counted.
  void Put(size_t i, std::string_view v);
  // Element i's string, taken out and no longer counted; the slot is left empty.
  std::string Take(size_t i);

  std::unique_ptr<std::string[]> slots;
  size_t capacity;
  size_t head = 0;          // slot of element 0
  size_t heap_bytes = 0;    // the elements' bytes beyond their inline buffers
  size_t packed_bytes = 0;  // what the elements would take in the small form
};

template <typename Fn>
void ListValue::Walk(size_t first, size_t count, bool reverse, Fn&& fn) const {
  if (first >= size_) return;
  count = std::min(count, reverse ? first + 1 : size_ - first);
  if (ring_) {
    for (size_t n = 0; n < count; n++) {
      const size_t i = reverse ? first - n : first + n;
      if (!fn(i, std::string_view(ring_->at(i)))) return;
    }
    return;
  }
  size_t at = PackedOffset(first);
  for (size_t n = 0; n < count; n++) {
    const size_t i = reverse ? first - n : first + n;
    const Packed p = PackedAt(at);
    if (!fn(i, p.value)) return;
    if (reverse) {
      if (i == 0) return;
      at = PackedPrev(at);
    } else {
      at = p.next;
    }
  }
}

// Rebuilds a list from its elements on disk, read in position order (the loader and the
// replica applier). The positions must follow each other without a gap: a gap means
// records were lost, and the list is refused rather than served short.
class ListBuilder {
 public:
  explicit ListBuilder(ListValue* list) : list_(list) {}
  // False if `position` does not follow the previous element's.
  bool Add(uint64_t position, std::string_view value);
  // Records that the disk holds the list as built.
  void Finish() { list_->set_head_position(first_); }

 private:
  ListValue* list_;
  uint64_t first_ = ListValue::kFirstPosition;
};

}  // namespace vellum::storage
