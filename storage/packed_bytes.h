// PackedBytes: a growable byte string behind one pointer, for the packed small forms of
// collections (a list's elements, a small hash's fields, as Redis's listpack holds them).
//
// A std::string costs 32 bytes in its owner and keeps its capacity in itself; here the
// owner holds 8 and the block holds its own header: [Head][bytes], where Head starts with
// the content's length (uint32_t size) and may carry the owner's own small fields (a
// count, a version), so that a small collection is one pointer and one block. The
// capacity is whatever the allocator's block has room for (AllocationSize), so the
// rounding malloc does anyway is used rather than wasted. An empty buffer with a
// default header allocates nothing.
//
// Not thread-safe; owned by one value, touched under its shard lock.
#pragma once

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <string_view>
#include <type_traits>
#include <utility>

#include "common/memory.h"

namespace vellum::storage {

// The smallest header: the content's length only.
struct PackedBytesHead {
  uint32_t size;
};

template <typename Head = PackedBytesHead>
class PackedBytes {
 public:
  static_assert(offsetof(Head, size) == 0, "a header starts with the content's length");
  static_assert(std::is_trivially_copyable_v<Head>, "a header is copied as bytes");
  // The longest content a block can hold (its length is 32 bits).
  static constexpr size_t kMaxSize = UINT32_MAX;

  PackedBytes() = default;
  PackedBytes(const PackedBytes& o) {
    if (o.block_ == nullptr) return;
    Reallocate(o.size(), 0, 0, 0);
    *Header() = *o.Header();
    if (o.size() > 0) std::memcpy(Bytes(), o.Bytes(), o.size());
  }
  PackedBytes(PackedBytes&& o) noexcept : block_(std::exchange(o.block_, nullptr)) {}
  PackedBytes& operator=(PackedBytes o) noexcept {
    std::swap(block_, o.block_);
    return *this;
  }
  ~PackedBytes() { ::operator delete(block_); }

  size_t size() const { return block_ ? Header()->size : 0; }
  // The header, or null before anything was stored.
  const Head* head() const { return block_ ? Header() : nullptr; }
  // The header to change, a block made for it if there was none (its fields zeroed).
  Head& MutableHead() {
    if (block_ == nullptr) Reallocate(0, 0, 0, 0);
    return *Header();
  }
  bool empty() const { return size() == 0; }
  const char* data() const { return block_ ? Bytes() : nullptr; }
  char* data() { return block_ ? Bytes() : nullptr; }
  std::string_view view() const { return {data(), size()}; }
  unsigned char byte(size_t at) const { return static_cast<unsigned char>(Bytes()[at]); }

  // Replaces bytes [at, at + erase) with `insert` bytes of room and returns where that
  // room starts (for the caller to fill). Growing takes an eighth more than needed: the
  // small forms are at most a few KiB, where a copy now and then costs less than the
  // memory half-empty blocks would hold (Redis's listpack reallocates to the exact size).
  // Throws bad_alloc, changing nothing, when out of memory.
  char* Splice(size_t at, size_t erase, size_t insert) {
    const size_t old_size = size();
    assert(at + erase <= old_size);
    const size_t new_size = old_size - erase + insert;
    if (new_size > capacity()) {
      Reallocate(std::max(new_size, old_size + old_size / 8), at, erase, insert);
    } else if (insert != erase) {
      std::memmove(Bytes() + at + insert, Bytes() + at + erase, old_size - at - erase);
    }
    if (block_ != nullptr) Header()->size = static_cast<uint32_t>(new_size);
    return block_ ? Bytes() + at : nullptr;
  }
  void Append(std::string_view bytes) {
    if (!bytes.empty()) std::memcpy(Splice(size(), 0, bytes.size()), bytes.data(), bytes.size());
  }
  // Room for `n` bytes in all without another allocation.
  void Reserve(size_t n) {
    if (n > capacity()) Reallocate(n, size(), 0, 0);
  }
  // Gives back spare room once most of the block is unused (after removals).
  void MaybeShrink() {
    const size_t n = size();
    if (block_ != nullptr && capacity() > 2 * n + 64) Reallocate(n, n, 0, 0);
  }
  // Gives back all spare room (a collection just built whole).
  void ShrinkToFit() {
    const size_t n = size();
    if (block_ != nullptr && capacity() > n + 16) Reallocate(n, n, 0, 0);
  }
  void Clear() {
    ::operator delete(block_);
    block_ = nullptr;
  }

  // Bytes the block takes from the allocator (MEMORY USAGE).
  size_t HeapBytes() const { return block_ ? AllocationSize(block_) : 0; }
  size_t capacity() const { return block_ ? AllocationSize(block_) - sizeof(Head) : 0; }

 private:
  Head* Header() const { return reinterpret_cast<Head*>(block_); }
  char* Bytes() const { return block_ + sizeof(Head); }

  // Moves the content into a block with room for at least `room` bytes, leaving a hole
  // of `insert` bytes at `at` in place of the `erase` bytes there.
  void Reallocate(size_t room, size_t at, size_t erase, size_t insert) {
    if (room > kMaxSize) throw std::bad_alloc();
    char* fresh = static_cast<char*>(::operator new(sizeof(Head) + room));
    const size_t old_size = size();
    if (block_ == nullptr) {
      new (fresh) Head{};
    } else {
      std::memcpy(fresh, block_, sizeof(Head));
      std::memcpy(fresh + sizeof(Head), Bytes(), at);
      std::memcpy(fresh + sizeof(Head) + at + insert, Bytes() + at + erase,
                  old_size - at - erase);
      ::operator delete(block_);
    }
    block_ = fresh;
    Header()->size = static_cast<uint32_t>(old_size);
  }

  char* block_ = nullptr;
};

}  // namespace vellum::storage
