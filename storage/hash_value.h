// HashValue: the payload of a Redis hash (ValueType::kHash).
//
// Fields live in a CollectionTable (dense vector + chained 32-bit buckets): O(1) lookup,
// O(1) uniform random field, and an HSCAN cursor that survives resizes. Redis 7.0's
// encoding is tracked as a label only (OBJECT ENCODING): "listpack" while the hash has
// at most kListpackEntries fields and no field or value longer than kListpackValue
// bytes, "hashtable" from the first write that breaks either limit, never back. While
// "listpack", fields keep insertion order (deletes preserve it), as Redis's listpack
// replies do; HSCAN then returns everything in one call, as Redis does.
//
// Owned by its Entry; touched only under that entry's shard lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/collection_table.h"

namespace vellum::storage {

class HashValue {
 public:
  // Redis 7.0's defaults (CONFIG GET hash-max-listpack-entries on 7.0.15 says 512).
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

  size_t size() const { return table_.size(); }
  bool empty() const { return table_.empty(); }
  bool listpack() const { return !hashtable_; }
  const char* EncodingName() const { return hashtable_ ? "hashtable" : "listpack"; }

  // The value of a field, or nullopt. Valid until the next change to the hash.
  std::optional<std::string_view> Get(std::string_view field) const;
  // Makes room for n fields in all (a new hash about to receive them).
  void Reserve(size_t n) { table_.Reserve(n); }
  // Sets a field; returns true if it was new.
  bool Set(std::string_view field, std::string_view value);
  // Removes a field; returns true if it was there.
  bool Delete(std::string_view field);

  // The i-th field in iteration order, 0 <= i < size(): fields() order.
  const Field& at(size_t i) const { return table_.at(i); }
  const std::vector<Field>& fields() const { return table_.nodes(); }
  // A uniformly random field; the hash must not be empty.
  const Field& Random(std::mt19937_64& rng) const { return table_.at(rng() % table_.size()); }

  // One HSCAN call: calls fn for fields from `cursor` until about `count` were visited;
  // returns the next cursor (0 = done). A listpack hash is returned whole, cursor 0.
  template <typename Fn>
  uint64_t Scan(uint64_t cursor, size_t count, Fn&& fn) const {
    if (listpack()) {
      for (const Field& f : table_.nodes()) fn(f);
      return 0;
    }
    size_t visited = 0;
    size_t budget = count * 10;  // Redis's maxiterations: empty buckets count too
    do {
      cursor = table_.ScanStep(cursor, [&](const Field& f) {
        fn(f);
        visited++;
      });
    } while (cursor != 0 && budget-- > 0 && visited < count);
    return cursor;
  }

  // Bytes held by the hash (MEMORY USAGE); O(1).
  size_t MemoryUsage() const;

  // The version its fields/members carry on disk (storage/FORMAT.md), set by the
  // persister when it writes the collection whole; 0 = not written yet.
  uint64_t disk_version = 0;

 private:
  CollectionTable<Field> table_;
  size_t heap_bytes_ = 0;  // the fields' heap blocks
  bool hashtable_ = false;
};

}  // namespace vellum::storage
