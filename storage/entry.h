// Entry: one key and its value, as held in memory by a shard's table.
//
// Owned by exactly one Table (the one of its shard and database); touched only by a
// thread holding that shard's lock. The value is a type tag plus its payload: strings
// live in `str`, hashes in `hash_value`, sets in `set_value` (null for other types).
// Copying an Entry (COPY) deep-copies whichever payload it holds.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "storage/hash_value.h"
#include "storage/set_value.h"

namespace vellum::storage {

enum class ValueType : uint8_t { kString = 0, kHash = 1, kSet = 2 };

// Redis's TYPE names, indexed by ValueType.
inline const char* TypeName(ValueType t) {
  switch (t) {
    case ValueType::kString: return "string";
    case ValueType::kHash: return "hash";
    case ValueType::kSet: return "set";
  }
  return "none";
}

// An owning pointer whose copies are deep copies, so that Entry stays copyable.
template <typename T>
class DeepPtr {
 public:
  DeepPtr() = default;
  DeepPtr(const DeepPtr& o) : p_(o.p_ ? std::make_unique<T>(*o.p_) : nullptr) {}
  DeepPtr& operator=(const DeepPtr& o) {
    if (this != &o) p_ = o.p_ ? std::make_unique<T>(*o.p_) : nullptr;
    return *this;
  }
  DeepPtr(DeepPtr&&) noexcept = default;
  DeepPtr& operator=(DeepPtr&&) noexcept = default;

  T* get() const { return p_.get(); }
  T* operator->() const { return p_.get(); }
  T& operator*() const { return *p_; }
  explicit operator bool() const { return p_ != nullptr; }
  void reset() { p_.reset(); }
  // Replaces the payload with an empty T and returns it.
  T* emplace() {
    p_ = std::make_unique<T>();
    return p_.get();
  }

 private:
  std::unique_ptr<T> p_;
};

struct Entry {
  Entry* next = nullptr;  // chain within the bucket
  uint64_t hash = 0;      // XXH3_64bits(key)
  std::string key;
  std::string str;                        // kString payload
  DeepPtr<HashValue> hash_value;          // kHash payload
  DeepPtr<SetValue> set_value;            // kSet payload
  int64_t expire_at_ms = 0;               // absolute Unix ms; 0 = no expiry
  uint32_t volatile_index = UINT32_MAX;   // position in Table::volatile_ (if expire_at_ms)
  uint32_t access_clock = 0;              // seconds clock of last access (LRU, IDLETIME)
  uint16_t access_ms = 0;                 // milliseconds part of the last access (LRU order)
  uint8_t lfu_counter = 5;                // LFU_INIT_VAL, logarithmic access counter
  ValueType type = ValueType::kString;

  bool HasExpire() const { return expire_at_ms != 0; }
  // Releases a hash or set payload (when the entry becomes a string).
  void DropCollections() {
    hash_value.reset();
    set_value.reset();
  }
};

}  // namespace vellum::storage
