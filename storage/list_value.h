// ListValue: the payload of a Redis list (ValueType::kList).
//
// Elements live in a ring buffer of strings: O(1) push and pop at both ends, O(1) access
// by index (LINDEX, LSET, LRANGE's start), O(n) insertion and removal in the middle
// (LINSERT, LREM), as in Redis's quicklist. The ring doubles when full and halves when
// three quarters empty, so a drained queue gives its memory back.
//
// Positions, for the persister (storage/FORMAT.md). Every element has a 64-bit position:
// element i sits at head_position() + i. A push at the front takes the position below the
// head, a push at the back the one after the tail, so the positions of the elements that
// stay never change and an LPUSH or RPOP is one record on disk, not a rewrite of the list.
// The value remembers what the last write to disk covered (disk_*) and which positions
// may have changed since (everything outside [clean_from, clean_to), plus the positions
// LSET replaced); a change that moves elements (LINSERT, LREM), or many LSETs, sets
// rewrite_needed(), and the persister then writes the whole list under a new version.
//
// Owned by its Entry; touched only under that entry's shard lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace vellum::storage {

class ListValue {
 public:
  // The position of the first element of a new list: the middle of the range, so either
  // end can grow by 2^63 elements.
  static constexpr uint64_t kFirstPosition = uint64_t{1} << 63;

  ListValue() = default;
  ListValue(const ListValue& o);
  ListValue& operator=(const ListValue& o);
  ListValue(ListValue&&) noexcept = default;
  ListValue& operator=(ListValue&&) noexcept = default;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Redis 7.0 reports every list as a quicklist (7.2 added listpack lists).
  const char* EncodingName() const { return "quicklist"; }

  // Element i, 0 = head; i < size().
  const std::string& at(size_t i) const { return ring_[Slot(i)]; }

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
  const std::vector<uint64_t>& set_positions() const { return set_positions_; }
  // What the last write covered: positions [disk_head(), disk_head() + disk_size()).
  uint64_t disk_head() const { return disk_head_; }
  uint64_t disk_size() const { return disk_size_; }
  // The persister wrote the list as it is now (whole or its changed ends).
  void MarkAllOnDisk();

  // The version its elements carry on disk (storage/FORMAT.md); 0 = not written yet.
  uint64_t disk_version = 0;

 private:
  size_t Slot(size_t i) const { return (head_ + i) & (capacity_ - 1); }
  // Makes room for one more element (capacity doubles).
  void Grow();
  // Halves the ring when it is at most a quarter full.
  void MaybeShrink();
  // Moves the elements into a new ring of `capacity` slots, head at slot 0.
  void Reallocate(size_t capacity);
  void NoteFrontChange(uint64_t position);  // `position` was pushed or popped at the front
  void NoteBackChange(uint64_t position);   // ... at the back

  std::unique_ptr<std::string[]> ring_;
  size_t capacity_ = 0;  // a power of two, or 0
  size_t head_ = 0;      // slot of element 0
  size_t size_ = 0;
  size_t heap_bytes_ = 0;  // the elements' bytes beyond their inline buffers

  uint64_t head_position_ = kFirstPosition;
  uint64_t clean_from_ = kFirstPosition;
  uint64_t clean_to_ = kFirstPosition;
  uint64_t disk_head_ = kFirstPosition;
  uint64_t disk_size_ = 0;
  std::vector<uint64_t> set_positions_;
  bool rewrite_needed_ = false;
};

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
