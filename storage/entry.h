// Entry: one key and its value, as held in memory by a shard's table.
//
// Owned by exactly one Table (the one of its shard and database); touched only by a
// thread holding that shard's lock. The value is a type tag plus its payload: strings
// live in `str`, hashes in `hash_value`, sets in `set_value`, lists in `list_value`,
// sorted sets in `zset_value` (null for other types).
//
// The key's bytes live right behind the Entry, in the same allocation: one allocation
// per key instead of two, and a lookup compares the key on the cache lines it already
// loaded for the hash. So entries are made and freed only through Entry::New, NewCopy,
// NewRenamed and Delete (plain new/delete do not compile).
#pragma once

#include <cstdint>
#include <cstring>
#include <new>
#include <stdexcept>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "storage/hash_value.h"
#include "storage/list_value.h"
#include "storage/set_value.h"
#include "storage/zset_value.h"

namespace vellum::storage {

enum class ValueType : uint8_t { kString = 0, kHash = 1, kSet = 2, kList = 3, kZSet = 4 };

// Redis's TYPE names, indexed by ValueType.
inline const char* TypeName(ValueType t) {
  switch (t) {
    case ValueType::kString: return "string";
    case ValueType::kHash: return "hash";
    case ValueType::kSet: return "set";
    case ValueType::kList: return "list";
    case ValueType::kZSet: return "zset";
  }
  return "none";
}

// The pointer to an Entry's collection payload (a hash, a set, a list or a sorted set). Trivial on
// purpose, with no constructor, destructor or copy of its own: the three kinds share one
// slot (a union in Entry), and the Entry, which knows its type, frees and deep-copies the
// payload. One slot instead of four keeps every key, strings included, 16 bytes smaller.
template <typename T>
struct CollectionPtr {
  T* get() const { return p; }
  T* operator->() const { return p; }
  T& operator*() const { return *p; }
  explicit operator bool() const { return p != nullptr; }
  // Replaces the payload (of this kind, or none) with an empty T and returns it.
  T* emplace() {
    T* fresh = new T();
    delete p;
    p = fresh;
    return p;
  }
  void reset() {
    delete p;
    p = nullptr;
  }

  T* p;
};

struct Entry {
  // A new empty string entry for `key` (hash and clocks left to the caller).
  static Entry* New(std::string_view key);
  // A deep copy of src's value and expiry under `key` (COPY); the slot fields (next,
  // hash, volatile_index) and the access statistics start fresh.
  static Entry* NewCopy(const Entry& src, std::string_view key);
  // Room for an Entry and its key, with the key copied in place. Throws length_error
  // for a key over 4 GiB, bad_alloc when out of memory.
  static void* AllocateFor(std::string_view key);
  // src's value, expiry and statistics moved under `key` (MOVE, RENAME) into `mem`, from
  // AllocateFor(key) (taken first, so that a failed allocation changes nothing); src is
  // freed.
  static Entry* NewRenamed(void* mem, Entry* src, std::string_view key) noexcept;
  static void Delete(Entry* e);
  void operator delete(void*) = delete;

  std::string_view key() const { return {reinterpret_cast<const char*>(this + 1), key_size}; }

  Entry* next = nullptr;  // chain within the bucket
  uint64_t hash = 0;      // XXH3_64bits(key)
  std::string str;                        // kString payload
  union {                                 // the collection payload of `type` (null else)
    CollectionPtr<HashValue> hash_value{nullptr};  // kHash
    CollectionPtr<SetValue> set_value;             // kSet
    CollectionPtr<ListValue> list_value;           // kList
    CollectionPtr<ZSetValue> zset_value;           // kZSet
  };
  int64_t expire_at_ms = 0;               // absolute Unix ms; 0 = no expiry
  uint32_t volatile_index = UINT32_MAX;   // position in Table::volatile_ (if expire_at_ms)
  uint32_t access_clock = 0;              // seconds clock of last access (LRU, IDLETIME)
  uint16_t access_ms = 0;                 // milliseconds part of the last access (LRU order)
  uint8_t lfu_counter = 5;                // LFU_INIT_VAL, logarithmic access counter
  ValueType type = ValueType::kString;
  uint32_t key_size = 0;                  // the key's bytes follow the Entry

  bool HasExpire() const { return expire_at_ms != 0; }
  // Releases the collection payload, if any (the entry is about to hold another type;
  // call it before changing `type`).
  void DropCollections() {
    switch (type) {
      case ValueType::kString: break;
      case ValueType::kHash: hash_value.reset(); break;
      case ValueType::kSet: set_value.reset(); break;
      case ValueType::kList: list_value.reset(); break;
      case ValueType::kZSet: zset_value.reset(); break;
    }
    hash_value.p = nullptr;
  }

 private:
  Entry() = default;
  // Deep-copies the payload (COPY).
  Entry(const Entry& o);
  // Takes o's payload; o is left without one (RENAME, MOVE).
  Entry(Entry&& o) noexcept;
  ~Entry() { DropCollections(); }
};

inline Entry::Entry(const Entry& o)
    : next(o.next),
      hash(o.hash),
      str(o.str),
      expire_at_ms(o.expire_at_ms),
      volatile_index(o.volatile_index),
      access_clock(o.access_clock),
      access_ms(o.access_ms),
      lfu_counter(o.lfu_counter),
      type(o.type),
      key_size(o.key_size) {
  switch (o.type) {
    case ValueType::kString: break;
    case ValueType::kHash: if (o.hash_value) hash_value.p = new HashValue(*o.hash_value); break;
    case ValueType::kSet: if (o.set_value) set_value.p = new SetValue(*o.set_value); break;
    case ValueType::kList: if (o.list_value) list_value.p = new ListValue(*o.list_value); break;
    case ValueType::kZSet: if (o.zset_value) zset_value.p = new ZSetValue(*o.zset_value); break;
  }
}

inline Entry::Entry(Entry&& o) noexcept
    : next(o.next),
      hash(o.hash),
      str(std::move(o.str)),
      expire_at_ms(o.expire_at_ms),
      volatile_index(o.volatile_index),
      access_clock(o.access_clock),
      access_ms(o.access_ms),
      lfu_counter(o.lfu_counter),
      type(o.type),
      key_size(o.key_size) {
  hash_value.p = o.hash_value.p;  // whichever kind it is: the slot is one pointer
  o.hash_value.p = nullptr;
}

inline void* Entry::AllocateFor(std::string_view key) {
  if (key.size() > UINT32_MAX) throw std::length_error("key longer than 4 GiB");
  void* mem = ::operator new(sizeof(Entry) + key.size());
  if (!key.empty()) std::memcpy(static_cast<char*>(mem) + sizeof(Entry), key.data(), key.size());
  return mem;
}

inline Entry* Entry::New(std::string_view key) {
  Entry* e = new (AllocateFor(key)) Entry();
  e->key_size = static_cast<uint32_t>(key.size());
  return e;
}

inline Entry* Entry::NewCopy(const Entry& src, std::string_view key) {
  void* mem = AllocateFor(key);
  Entry* e;
  try {
    e = new (mem) Entry(src);  // deep-copies a hash or set: may throw bad_alloc
  } catch (...) {
    ::operator delete(mem);
    throw;
  }
  e->key_size = static_cast<uint32_t>(key.size());
  const Entry fresh;
  e->next = nullptr;
  e->volatile_index = fresh.volatile_index;
  e->lfu_counter = fresh.lfu_counter;
  e->access_clock = fresh.access_clock;
  e->access_ms = fresh.access_ms;
  return e;
}

inline Entry* Entry::NewRenamed(void* mem, Entry* src, std::string_view key) noexcept {
  Entry* e = new (mem) Entry(std::move(*src));
  e->key_size = static_cast<uint32_t>(key.size());
  e->next = nullptr;
  e->volatile_index = UINT32_MAX;
  Delete(src);
  return e;
}

inline void Entry::Delete(Entry* e) {
  if (e == nullptr) return;
  e->~Entry();
  ::operator delete(static_cast<void*>(e));
}

}  // namespace vellum::storage
