// Entry: one key and its value, as held in memory by a shard's table.
//
// Owned by exactly one Table (the one of its shard and database); touched only by a
// thread holding that shard's lock. The value is a type tag plus one slot for its
// payload: hashes in `hash_value` and sorted sets in `zset_value` (both in place: each is
// one pointer), sets in `set_value`, lists in `list_value`, sorted sets
// in `zset_value`, a string in `heap_str` or inline (see str()).
//
// The key's bytes live right behind the Entry, in the same allocation, and a string
// value that fits right behind the key (one allocation per key, as Redis's embstr: 48
// bytes of metadata, then key and value), and a lookup compares the key on the cache
// lines it already loaded for the hash. So entries are made and freed only through Entry::New, NewCopy,
// NewRenamed and Delete (plain new/delete do not compile).
#pragma once

#include <cassert>
#include <cstdint>
#include <cstring>
#include <new>
#include <stdexcept>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "common/memory.h"
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

// The pointer to an Entry's collection payload (a hash, a set, a list or a sorted set).
// Trivial on purpose, with no constructor, destructor or copy of its own: every kind, and
// a string that does not fit inline, shares one slot (a union in Entry), and the Entry,
// which knows its type, frees and deep-copies the payload.
template <typename T>
struct CollectionPtr {
  using element_type = T;

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
  // Takes v's payload (the slot holding none).
  void Adopt(std::unique_ptr<T> v) { p = v.release(); }
  void reset() {
    delete p;
    p = nullptr;
  }

  T* p;
};

// A payload that is itself one pointer (a hash), held in the slot in place rather than
// behind a pointer of its own: no allocation, no indirection. All-zero bytes (the slot's
// state in a new Entry) are an empty T, so T must be one pointer that owns nothing when
// null, and movable as bytes (NewRenamed moves the slot as a word). The Entry, which
// knows its type, destroys it.
template <typename T>
struct InPlaceValue {
  static_assert(sizeof(T) == sizeof(void*), "the value slot is one pointer");
  using element_type = T;

  T* get() { return std::launder(reinterpret_cast<T*>(bytes)); }
  const T* get() const { return std::launder(reinterpret_cast<const T*>(bytes)); }
  T* operator->() { return get(); }
  const T* operator->() const { return get(); }
  T& operator*() { return *get(); }
  const T& operator*() const { return *get(); }
  // Makes an empty T in the slot, which holds no payload (a new entry, or one whose
  // value was dropped), and returns it.
  T* emplace() { return new (bytes) T(); }
  void reset() {
    get()->~T();
    new (bytes) T();
  }
  // Makes the slot (holding no payload) a copy of o, or takes v's payload.
  void CopyFrom(const InPlaceValue& o) { new (bytes) T(*o.get()); }
  void Adopt(std::unique_ptr<T> v) { new (bytes) T(std::move(*v)); }

  alignas(T) unsigned char bytes[sizeof(T)];
};

struct Entry {
  // A new empty string entry for `key` (hash and clocks left to the caller), with room
  // behind the key for a string value of `value_room` bytes (SET's value: one allocation
  // for key, metadata and value, as Redis's embstr).
  static Entry* New(std::string_view key, size_t value_room = 0);
  // A deep copy of src's value and expiry under `key` (COPY); the slot fields (next,
  // hash, volatile_index) and the access statistics start fresh.
  static Entry* NewCopy(const Entry& src, std::string_view key);
  // Room for an Entry, its key (copied in place) and a string value of value_room bytes,
  // if that is at most kMaxInlineValue (a longer value gets a std::string of its own).
  // Throws length_error for a key over 4 GiB, bad_alloc when out of memory.
  static void* AllocateFor(std::string_view key, size_t value_room = 0);
  // src's value, expiry and statistics moved under `key` (MOVE, RENAME) into `mem`, from
  // AllocateFor(key, src->InlineRoomNeeded()) (taken first, so that a failed allocation
  // changes nothing); src is freed.
  static Entry* NewRenamed(void* mem, Entry* src, std::string_view key) noexcept;
  static void Delete(Entry* e);
  void operator delete(void*) = delete;

  std::string_view key() const { return {reinterpret_cast<const char*>(this + 1), key_size}; }

  // ---- the string value (type kString) ----
  // Held in one of two places: behind the key, in the entry's own allocation, when it fits
  // the room that allocation has (inline_size bytes of it); otherwise in a std::string
  // of its own (heap_str, inline_size == kHeapString), which edits in place (APPEND,
  // SETRANGE, SETBIT, PFADD) move it to, so that growing stays amortised.
  std::string_view str() const {
    if (inline_size == kHeapString) return *heap_str;
    return {InlineData(), inline_size};
  }
  // Makes the string value v (the type is the caller's to set): inline when it fits.
  void SetStr(std::string_view v);
  // The string value as a std::string to edit in place; moves an inline value out first.
  std::string& MutableStr();
  // Bytes of room an entry needs to hold this one's string value inline (0 for a value
  // already in its own std::string, or for a collection).
  size_t InlineRoomNeeded() const { return inline_size == kHeapString ? 0 : inline_size; }

  Entry* next = nullptr;  // chain within the bucket
  union {                 // the one value slot: the payload of `type`
    std::string* heap_str{nullptr};                // kString, when not inline
    InPlaceValue<HashValue> hash_value;            // kHash
    CollectionPtr<SetValue> set_value;             // kSet
    CollectionPtr<ListValue> list_value;           // kList
    InPlaceValue<ZSetValue> zset_value;            // kZSet
    uint64_t offload_epoch;  // on_disk: when the value was dropped (Keyspace::Offload)
  };
  int64_t expire_at_ms = 0;               // absolute Unix ms; 0 = no expiry
  // The low 32 bits of XXH3_64bits(key): what the table's buckets and its lookups use
  // (a shard has far fewer than 2^32 buckets). The shard comes from the top bits, which
  // the entry does not keep (HashKey(key()) when needed: SetExpire, eviction).
  uint32_t hash = 0;
  uint32_t volatile_index = UINT32_MAX;   // position in Table::volatile_ (if expire_at_ms)
  uint32_t access_clock = 0;              // seconds clock of last access (LRU, IDLETIME)
  uint32_t key_size = 0;                  // the key's bytes follow the Entry
  uint16_t inline_size = 0;               // the inline string's bytes follow the key
  uint16_t access_ms = 0;                 // milliseconds part of the last access (LRU order)
  uint8_t lfu_counter = 5;                // LFU_INIT_VAL, logarithmic access counter
  ValueType type = ValueType::kString;
  // Tiering: the value was dropped from memory and is on disk only. The slot then holds
  // no payload (offload_epoch instead); the key, type, expiry and access clocks are the
  // key's. Only the Keyspace sees such an entry: its lookups read the value back first.
  bool on_disk = false;
  // Tiering: the value was just read back from disk for a command; the next lookup counts
  // a disk hit, and until then the value is not offloaded again.
  bool read_back = false;

  static constexpr uint16_t kHeapString = UINT16_MAX;
  // The longest value an entry is allocated to hold inline. Beyond it the saved
  // allocation is noise, and a value edited in place (a bitmap, a HyperLogLog, an APPEND
  // log), which moves to a std::string of its own, would leave that much dead room behind.
  static constexpr size_t kMaxInlineValue = 4096;

  bool HasExpire() const { return expire_at_ms != 0; }
  // Releases the value, whatever its type (or the mark of a value on disk only): the
  // entry is left an empty string (call it before the entry takes another value).
  void DropValue() {
    if (on_disk) {
      heap_str = nullptr;
      inline_size = 0;
      on_disk = false;
      return;
    }
    switch (type) {
      case ValueType::kString:
        if (inline_size == kHeapString) delete heap_str;
        break;
      case ValueType::kHash: hash_value.reset(); break;
      case ValueType::kSet: set_value.reset(); break;
      case ValueType::kList: list_value.reset(); break;
      case ValueType::kZSet: zset_value.reset(); break;
    }
    heap_str = nullptr;
    inline_size = 0;
  }

 private:
  Entry() = default;
  // Copies o's metadata and deep-copies a collection payload (COPY); a string value is
  // copied by NewCopy once the key (which the inline bytes follow) is in place.
  Entry(const Entry& o);
  ~Entry() { DropValue(); }

  const char* InlineData() const { return reinterpret_cast<const char*>(this + 1) + key_size; }
  char* InlineData() { return reinterpret_cast<char*>(this + 1) + key_size; }
  // Bytes behind the key that this entry's allocation has room for.
  size_t InlineCapacity() const;
};

// 48 bytes, so that an entry with a key of up to 16 bytes fits the 64-byte size class of
// jemalloc and the 72-byte chunk of glibc.
static_assert(sizeof(Entry) == 48, "Entry grew: every key pays for it");
static_assert(Entry::kMaxInlineValue < Entry::kHeapString, "an inline length fits 16 bits");

inline Entry::Entry(const Entry& o)
    : next(o.next),
      expire_at_ms(o.expire_at_ms),
      hash(o.hash),
      volatile_index(o.volatile_index),
      access_clock(o.access_clock),
      key_size(o.key_size),
      access_ms(o.access_ms),
      lfu_counter(o.lfu_counter),
      type(o.type) {
  assert(!o.on_disk);  // a lookup reads the value back first
  switch (o.type) {
    case ValueType::kString: break;
    case ValueType::kHash: hash_value.CopyFrom(o.hash_value); break;
    case ValueType::kSet: if (o.set_value) set_value.p = new SetValue(*o.set_value); break;
    case ValueType::kList: if (o.list_value) list_value.p = new ListValue(*o.list_value); break;
    case ValueType::kZSet: zset_value.CopyFrom(o.zset_value); break;
  }
}

inline size_t Entry::InlineCapacity() const {
  return AllocationSize(this) - sizeof(Entry) - key_size;
}

inline void Entry::SetStr(std::string_view v) {
  if (inline_size == kHeapString) {
    std::string* old = heap_str;
    if (v.size() <= InlineCapacity() && v.size() < kHeapString) {
      // Copied before the old string goes: v may point into it.
      if (!v.empty()) std::memcpy(InlineData(), v.data(), v.size());
      inline_size = static_cast<uint16_t>(v.size());
      heap_str = nullptr;
      delete old;
    } else if (old->capacity() > 4096 && old->capacity() / 4 > v.size()) {
      // A much smaller value releases the old buffer rather than keeping its capacity.
      std::string(v).swap(*old);
    } else {
      old->assign(v.data(), v.size());
    }
    return;
  }
  if (v.size() > InlineCapacity() || v.size() >= kHeapString) {
    heap_str = new std::string(v);
    inline_size = kHeapString;
    return;
  }
  if (!v.empty()) std::memmove(InlineData(), v.data(), v.size());
  inline_size = static_cast<uint16_t>(v.size());
}

inline std::string& Entry::MutableStr() {
  if (inline_size != kHeapString) {
    auto* s = new std::string(InlineData(), inline_size);
    heap_str = s;
    inline_size = kHeapString;
  }
  return *heap_str;
}

inline void* Entry::AllocateFor(std::string_view key, size_t value_room) {
  if (key.size() > UINT32_MAX) throw std::length_error("key longer than 4 GiB");
  if (value_room > kMaxInlineValue) value_room = 0;
  void* mem = ::operator new(sizeof(Entry) + key.size() + value_room);
  if (!key.empty()) std::memcpy(static_cast<char*>(mem) + sizeof(Entry), key.data(), key.size());
  return mem;
}

inline Entry* Entry::New(std::string_view key, size_t value_room) {
  Entry* e = new (AllocateFor(key, value_room)) Entry();
  e->key_size = static_cast<uint32_t>(key.size());
  return e;
}

inline Entry* Entry::NewCopy(const Entry& src, std::string_view key) {
  void* mem = AllocateFor(key, src.InlineRoomNeeded());
  Entry* e;
  try {
    e = new (mem) Entry(src);  // deep-copies a collection: may throw bad_alloc
  } catch (...) {
    ::operator delete(mem);
    throw;
  }
  e->key_size = static_cast<uint32_t>(key.size());
  if (src.type == ValueType::kString) {
    try {
      e->SetStr(src.str());  // inline when src's was (the room was asked for above)
    } catch (...) {
      Delete(e);
      throw;
    }
  }
  const Entry fresh;
  e->next = nullptr;
  e->volatile_index = fresh.volatile_index;
  e->lfu_counter = fresh.lfu_counter;
  e->access_clock = fresh.access_clock;
  e->access_ms = fresh.access_ms;
  return e;
}

inline Entry* Entry::NewRenamed(void* mem, Entry* src, std::string_view key) noexcept {
  assert(!src->on_disk);  // a lookup reads the value back first
  Entry* e = new (mem) Entry();
  e->hash = src->hash;
  e->expire_at_ms = src->expire_at_ms;
  e->access_clock = src->access_clock;
  e->access_ms = src->access_ms;
  e->lfu_counter = src->lfu_counter;
  e->type = src->type;
  e->key_size = static_cast<uint32_t>(key.size());
  if (src->type == ValueType::kString && src->inline_size != kHeapString) {
    // mem has room for it (AllocateFor(key, src->InlineRoomNeeded())).
    assert(src->inline_size <= e->InlineCapacity());
    if (src->inline_size > 0) std::memcpy(e->InlineData(), src->InlineData(), src->inline_size);
    e->inline_size = src->inline_size;
  } else {
    e->heap_str = src->heap_str;  // whichever kind it is: the slot is one pointer
    e->inline_size = src->inline_size;
    src->heap_str = nullptr;
    src->inline_size = 0;
    src->type = ValueType::kString;
  }
  Delete(src);
  return e;
}

inline void Entry::Delete(Entry* e) {
  if (e == nullptr) return;
  e->~Entry();
  ::operator delete(static_cast<void*>(e));
}

}  // namespace vellum::storage
