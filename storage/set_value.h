// SetValue: the payload of a Redis set (ValueType::kSet).
//
// Members live in a CollectionTable (dense vector + chained 32-bit buckets): O(1)
// membership, O(1) uniform random member (SRANDMEMBER, SPOP), and an SSCAN cursor that
// survives resizes. Redis 7.0's encoding is tracked as a label only (OBJECT ENCODING):
// "intset" while every member is an integer (as Redis's string2ll reads it) and there are
// at most kIntsetEntries members, "hashtable" from the first add that breaks either rule,
// never back. While "intset", iteration (SMEMBERS, SSCAN, ...) is in ascending numeric
// order and SSCAN returns everything in one call, as Redis's intset does.
//
// Owned by its Entry; touched only under that entry's shard lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "storage/collection_table.h"

namespace vellum::storage {

class SetValue {
 public:
  static constexpr size_t kIntsetEntries = 512;  // set-max-intset-entries

  struct Member {
    std::string name;
    uint32_t next = 0;
    uint32_t hash = 0;
    std::string_view key() const { return name; }
  };

  size_t size() const { return table_.size(); }
  bool empty() const { return table_.empty(); }
  bool intset() const { return !hashtable_; }
  const char* EncodingName() const { return hashtable_ ? "hashtable" : "intset"; }

  bool Contains(std::string_view member) const;
  // Adds a member; returns true if it was new.
  bool Add(std::string_view member);
  // Removes a member; returns true if it was there.
  bool Remove(std::string_view member);
  // Makes room for n members in all (a new set about to receive them).
  void Reserve(size_t n) { table_.Reserve(n); }
  // Removes the member at storage index i (0 <= i < size()); unordered, O(1).
  void RemoveAt(size_t i);

  const Member& at(size_t i) const { return table_.at(i); }
  // A uniformly random member's storage index; the set must not be empty.
  size_t RandomIndex(std::mt19937_64& rng) const { return rng() % table_.size(); }

  // Every member's storage index in Redis's iteration order: ascending numeric for an
  // intset, storage order otherwise.
  std::vector<uint32_t> IterationOrder() const;
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    if (intset()) {
      for (uint32_t i : IterationOrder()) fn(table_.at(i).name);
    } else {
      for (const Member& m : table_.nodes()) fn(m.name);
    }
  }

  // One SSCAN call, as HashValue::Scan: an intset is returned whole, cursor 0.
  template <typename Fn>
  uint64_t Scan(uint64_t cursor, size_t count, Fn&& fn) const {
    if (intset()) {
      ForEach(fn);
      return 0;
    }
    size_t visited = 0;
    size_t budget = count * 10;
    do {
      cursor = table_.ScanStep(cursor, [&](const Member& m) {
        fn(m.name);
        visited++;
      });
    } while (cursor != 0 && budget-- > 0 && visited < count);
    return cursor;
  }

  // Bytes held by the set (MEMORY USAGE); O(1).
  size_t MemoryUsage() const;

  // The version its fields/members carry on disk (storage/FORMAT.md), set by the
  // persister when it writes the collection whole; 0 = not written yet.
  uint64_t disk_version = 0;

 private:
  CollectionTable<Member> table_;
  size_t heap_bytes_ = 0;  // the members' strings beyond their inline buffers
  bool hashtable_ = false;
};

}  // namespace vellum::storage
