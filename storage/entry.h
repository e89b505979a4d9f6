// Entry: one key and its value, as held in memory by a shard's table.
//
// Owned by exactly one Table (the one of its shard and database); touched only by a
// thread holding that shard's lock. The value is a type tag plus its payload; strings
// live in `str`. Hashes and sets (cache-semantics issue) will add their own payloads
// here without changing the table or the locking.
#pragma once

#include <cstdint>
#include <string>

namespace vellum::storage {

enum class ValueType : uint8_t { kString = 0 };

// Redis's TYPE names, indexed by ValueType.
inline const char* TypeName(ValueType t) {
  switch (t) {
    case ValueType::kString: return "string";
  }
  return "none";
}

struct Entry {
  Entry* next = nullptr;  // chain within the bucket
  uint64_t hash = 0;      // XXH3_64bits(key)
  std::string key;
  std::string str;                        // kString payload
  int64_t expire_at_ms = 0;               // absolute Unix ms; 0 = no expiry
  uint32_t volatile_index = UINT32_MAX;   // position in Table::volatile_ (if expire_at_ms)
  uint32_t access_clock = 0;              // seconds clock of last access (LRU, IDLETIME)
  uint8_t lfu_counter = 5;                // LFU_INIT_VAL, logarithmic access counter
  ValueType type = ValueType::kString;

  bool HasExpire() const { return expire_at_ms != 0; }
};

}  // namespace vellum::storage
