// PackedOrLarge<Large>: the one pointer behind a hash or a sorted set, in either form.
//
// Small, it is a PackedBytes block whose header carries the collection's count and its
// version on disk, and the owner packs its entries into the block's bytes. Large, the
// block holds only a pointer to the owner's Large structure (a table, a skip list), its
// count saying kLargeForm, and its header still carries the version. So the whole value
// is one pointer, which the Entry keeps in its value slot in place (InPlaceValue): a
// small collection is the entry plus one block, as a listpack is in Redis, with no
// object in between. An empty value allocates nothing.
//
// Not thread-safe; owned by its value, touched under its shard lock.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <utility>

#include "storage/packed_bytes.h"

namespace vellum::storage {

template <typename Large>
class PackedOrLarge {
 public:
  struct Head {
    uint32_t size;
    uint32_t count;  // entries in the small form, or kLargeForm
    uint64_t disk_version;
  };
  static constexpr uint32_t kLargeForm = UINT32_MAX;

  PackedOrLarge() = default;
  PackedOrLarge(const PackedOrLarge& o) {
    if (const Large* l = o.large()) {
      BecomeLarge(std::make_unique<Large>(*l));
      set_disk_version(o.disk_version());
    } else {
      packed_ = o.packed_;
    }
  }
  PackedOrLarge(PackedOrLarge&& o) noexcept = default;
  PackedOrLarge& operator=(const PackedOrLarge&) = delete;
  PackedOrLarge& operator=(PackedOrLarge&& o) noexcept {
    PackedOrLarge gone(std::move(*this));
    packed_ = std::move(o.packed_);
    return *this;
  }
  ~PackedOrLarge() { delete large(); }

  // The large form, or null in the small one.
  Large* large() const {
    const Head* h = packed_.head();
    if (h == nullptr || h->count != kLargeForm) return nullptr;
    Large* l;
    std::memcpy(&l, packed_.data(), sizeof(l));
    return l;
  }
  // The small form's bytes and count (only while large() is null).
  PackedBytes<Head>& packed() { return packed_; }
  const PackedBytes<Head>& packed() const { return packed_; }
  size_t packed_count() const { return packed_.head() ? packed_.head()->count : 0; }
  void add_packed_count(int delta) { packed_.MutableHead().count += delta; }

  // Takes the large form, from the small one (whose bytes are dropped; the version
  // stays). Throws bad_alloc, changing nothing, when out of memory.
  void BecomeLarge(std::unique_ptr<Large> l) {
    PackedBytes<Head> block;
    block.Reserve(sizeof(Large*));  // the only allocation: nothing below throws
    block.MutableHead().disk_version = disk_version();
    Large* raw = l.release();
    std::memcpy(block.Splice(0, 0, sizeof(raw)), &raw, sizeof(raw));
    block.MutableHead().count = kLargeForm;
    packed_ = std::move(block);
  }
  // Gives up the large form, leaving an empty small one (the version stays).
  std::unique_ptr<Large> TakeLarge() {
    PackedBytes<Head> block;
    block.MutableHead().disk_version = disk_version();
    std::unique_ptr<Large> l(large());
    packed_ = std::move(block);
    return l;
  }

  uint64_t disk_version() const { return packed_.head() ? packed_.head()->disk_version : 0; }
  void set_disk_version(uint64_t v) { packed_.MutableHead().disk_version = v; }

  // Bytes of the block (the large structure's are its owner's to count).
  size_t BlockBytes() const { return packed_.HeapBytes(); }

 private:
  PackedBytes<Head> packed_;
};

}  // namespace vellum::storage
