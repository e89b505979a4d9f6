// HashValue: the payload of a Redis hash (ValueType::kHash), in one of two forms, as
// Redis keeps it:
// - small ("listpack", up to hash-max-listpack-entries fields, 512 here as in Redis
//   7.0.15, with no field or value longer than hash-max-listpack-value, 64): every field
//   and its value packed in insertion order in one PackedBytes block, entry by entry
//   [field length u8][field][value length u8][value]. Operations scan it linearly, which
//   for a few hundred short fields costs less than chasing pointers, and a hash of five
//   fields is one small allocation; deletes keep the order, as Redis's listpack does, and
//   HSCAN returns the whole hash in one call, as Redis does;
// - large ("hashtable"): a CollectionTable of Fields (dense vector + chained 32-bit
//   buckets): O(1) lookup, O(1) uniform random field, and an HSCAN cursor that survives
//   resizes.
// A hash turns large on the first write that breaks either limit and never turns back,
// as in Redis. OBJECT ENCODING names the form.
//
// The value itself is one pointer, so that it sits in the Entry's value slot with no
// allocation of its own: the block's header holds the field count and the version on
// disk, and in the large form the block holds only the pointer to the table (its count
// says kLargeForm). A hash of five short fields is then the entry plus one block.
//
// Owned by its Entry; touched only under that entry's shard lock.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/collection_table.h"
#include "storage/packed_or_large.h"

namespace vellum::storage {

class HashValue {
 public:
  // The defaults (CONFIG GET hash-max-listpack-entries on Redis 7.0.15 says 512).
  static constexpr size_t kListpackEntries = 512;  // hash-max-listpack-entries
  static constexpr size_t kListpackValue = 64;     // hash-max-listpack-value

  // A field and its value packed in one buffer: inline when together they fit kInline
  // bytes (no allocation at all), else one heap block. 40 bytes plus that block.
  class Field {
   public:
    static constexpr size_t kInline = 24;

    Field() : inline_{} {}
    Field(std::string_view name, std::string_view value) : inline_{} { Init(name, value); }
    Field(const Field& o) : next(o.next), hash(o.hash), inline_{} { Init(o.name(), o.value()); }
    Field(Field&& o) noexcept : next(o.next), hash(o.hash) { Steal(o); }
    Field& operator=(const Field& o) {
      if (this != &o) {
        Field copy(o);
        *this = std::move(copy);
      }
      return *this;
    }
    Field& operator=(Field&& o) noexcept {
      if (this != &o) {
        Free();
        next = o.next;
        hash = o.hash;
        Steal(o);
      }
      return *this;
    }
    ~Field() { Free(); }

    std::string_view name() const { return {data(), name_len_}; }
    std::string_view value() const { return {data() + name_len_, value_len_}; }
    std::string_view key() const { return name(); }
    // Replaces the value (the name stays).
    void SetValue(std::string_view v) {
      Field f(name(), v);
      Free();
      Steal(f);
    }
    // Bytes allocated beyond the Field itself.
    size_t HeapBytes() const { return on_heap() ? size_t{name_len_} + value_len_ : 0; }

    uint32_t next = 0;  // CollectionTable's chain
    uint32_t hash = 0;

   private:
    bool on_heap() const { return size_t{name_len_} + value_len_ > kInline; }
    const char* data() const { return on_heap() ? heap_ : inline_; }
    void Init(std::string_view name, std::string_view value) {
      name_len_ = static_cast<uint32_t>(name.size());
      value_len_ = static_cast<uint32_t>(value.size());
      char* p = on_heap() ? (heap_ = new char[name.size() + value.size()]) : inline_;
      if (!name.empty()) std::memcpy(p, name.data(), name.size());
      if (!value.empty()) std::memcpy(p + name.size(), value.data(), value.size());
    }
    void Steal(Field& o) {
      std::memcpy(inline_, o.inline_, kInline);  // the inline bytes or the heap pointer
      name_len_ = o.name_len_;
      value_len_ = o.value_len_;
      o.name_len_ = o.value_len_ = 0;  // o is now empty and inline: frees nothing
    }
    void Free() {
      if (on_heap()) delete[] heap_;
      name_len_ = value_len_ = 0;
    }

    union {
      char inline_[kInline];
      char* heap_;
    };
    uint32_t name_len_ = 0;
    uint32_t value_len_ = 0;
  };

  // A field and its value as the readers see them; valid until the next change.
  struct Item {
    std::string_view name;
    std::string_view value;
  };

  // The longest field or value the small form can hold (its length is one byte),
  // whatever hash-max-listpack-value says.
  static constexpr size_t kMaxPackedString = 255;
  // The limits of the small form, process-wide: the config sets them at start and on
  // CONFIG SET. Hashes already built keep their form until they next change, as in Redis.
  static void SetListpackLimits(size_t entries, size_t value) {
    limit_entries_.store(entries, std::memory_order_relaxed);
    limit_value_.store(std::min(value, kMaxPackedString), std::memory_order_relaxed);
  }
  static size_t max_listpack_entries() { return limit_entries_.load(std::memory_order_relaxed); }
  static size_t max_listpack_value() { return limit_value_.load(std::memory_order_relaxed); }

  size_t size() const {
    const Table* t = table();
    return t ? t->fields.size() : rep_.packed_count();
  }
  bool empty() const { return size() == 0; }
  bool listpack() const { return table() == nullptr; }
  const char* EncodingName() const { return table() ? "hashtable" : "listpack"; }

  // The value of a field, or nullopt. Valid until the next change to the hash.
  std::optional<std::string_view> Get(std::string_view field) const;
  // Makes room for n fields of `bytes` bytes in all (names and values, the longest
  // `longest` bytes; a new hash about to receive them): a hash past either limit of the
  // small form turns large and takes room for n fields, a small one exactly `bytes`.
  void Reserve(size_t n, size_t bytes, size_t longest);
  // Gives back the small form's spare room (a hash built field by field, as the loader
  // and a replica build them).
  void ShrinkToFit() {
    if (listpack()) rep_.packed().ShrinkToFit();
  }
  // Sets a field; returns true if it was new.
  bool Set(std::string_view field, std::string_view value);
  // Removes a field; returns true if it was there.
  bool Delete(std::string_view field);

  // Calls fn(Item) for every field, in iteration order (insertion order while small).
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    if (const Table* t = table()) {
      for (const Field& f : t->fields.nodes()) fn(Item{f.name(), f.value()});
      return;
    }
    for (size_t at = 0; at < rep_.packed().size(); at = PackedNext(at)) fn(PackedAt(at));
  }
  // Every field, in ForEach's order (for random access into a small hash: one walk).
  std::vector<Item> Items() const;
  // The i-th field in ForEach's order, 0 <= i < size(): O(1) large, O(i) small.
  Item At(size_t i) const;
  // A uniformly random field (the hash must not be empty): O(1) large, O(n) small.
  Item Random(std::mt19937_64& rng) const;

  // One HSCAN call: calls fn(Item) for fields from `cursor` until about `count` were
  // visited; returns the next cursor (0 = done). A small hash is returned whole, cursor 0.
  template <typename Fn>
  uint64_t Scan(uint64_t cursor, size_t count, Fn&& fn) const {
    if (listpack()) {
      ForEach(fn);
      return 0;
    }
    size_t visited = 0;
    size_t budget = count * 10;  // Redis's maxiterations: empty buckets count too
    do {
      cursor = table()->fields.ScanStep(cursor, [&](const Field& f) {
        fn(Item{f.name(), f.value()});
        visited++;
      });
    } while (cursor != 0 && budget-- > 0 && visited < count);
    return cursor;
  }

  // Bytes the hash holds beyond itself (MEMORY USAGE; the value sits in its entry's
  // slot); O(1).
  size_t MemoryUsage() const;

  // The version its fields carry on disk (storage/FORMAT.md), set by the persister when
  // it writes the hash whole; 0 = not written yet.
  uint64_t disk_version() const { return rep_.disk_version(); }
  void set_disk_version(uint64_t v) { rep_.set_disk_version(v); }

 private:
  // The large form.
  struct Table {
    CollectionTable<Field> fields;
    size_t heap_bytes = 0;  // the fields' heap blocks
  };

  Table* table() const { return rep_.large(); }

  // The small form's entry at byte offset `at`, and the offset of the next one.
  Item PackedAt(size_t at) const {
    const auto& packed = rep_.packed();
    const char* p = packed.data();
    const size_t flen = packed.byte(at);
    const size_t vlen = packed.byte(at + 1 + flen);
    return {std::string_view(p + at + 1, flen), std::string_view(p + at + 2 + flen, vlen)};
  }
  size_t PackedNext(size_t at) const {
    const size_t flen = rep_.packed().byte(at);
    return at + 2 + flen + rep_.packed().byte(at + 1 + flen);
  }
  // The offset of field's entry, or npos.
  size_t PackedFind(std::string_view field) const;
  // Moves every field into the large form.
  void ToTable();
  bool TableSet(std::string_view field, std::string_view value);

  inline static std::atomic<size_t> limit_entries_{kListpackEntries};
  inline static std::atomic<size_t> limit_value_{kListpackValue};

  PackedOrLarge<Table> rep_;  // the small form's block, or the table behind it
};

static_assert(sizeof(HashValue) == sizeof(void*), "a hash is one pointer in the value slot");

}  // namespace vellum::storage
