// Writes to a Keyspace made the way commands make them (the key's shard locked, the
// WriteListener told), for tests that drive the persister and replication without a
// server. Header-only; tests of storage/ share it.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

#include "storage/digest.h"
#include "storage/keyspace.h"

namespace vellum::storage::testing {

inline int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline void SetString(Keyspace& ks, int db, const std::string& key, const std::string& value,
                      int64_t expire_at = 0) {
  std::lock_guard<storage::ShardMutexType> lock(ks.ShardMutex(ks.ShardOf(key)));
  bool created;
  Entry* e = ks.Upsert(db, key, WallMs(), &created);
  e->DropValue();
  e->type = ValueType::kString;
  e->SetStr(value);
  ks.SetExpire(db, e, expire_at);
}

// HSET of one field. `field_only`: an existing hash reports just that field, as HSET does
// (the persister writes one record); otherwise the whole hash is reported written.
inline void SetHashField(Keyspace& ks, int db, const std::string& key, const std::string& field,
                         const std::string& value, bool field_only = false) {
  std::lock_guard<storage::ShardMutexType> lock(ks.ShardMutex(ks.ShardOf(key)));
  Entry* e = ks.Find(db, key, WallMs());
  if (e == nullptr) {
    e = ks.Create(db, key, WallMs());
    e->type = ValueType::kHash;
    e->hash_value.emplace();
    e->hash_value->Set(field, value);
    ks.MarkWritten(db, key);
    return;
  }
  e->hash_value->Set(field, value);
  if (field_only) {
    std::string_view f = field;
    ks.MarkFieldsWritten(db, key, std::span<const std::string_view>(&f, 1));
  } else {
    ks.MarkWritten(db, key);
  }
}

inline void AddSetMember(Keyspace& ks, int db, const std::string& key, const std::string& member) {
  std::lock_guard<storage::ShardMutexType> lock(ks.ShardMutex(ks.ShardOf(key)));
  Entry* e = ks.Find(db, key, WallMs());
  if (e == nullptr) {
    e = ks.Create(db, key, WallMs());
    e->type = ValueType::kSet;
    e->set_value.emplace();
  }
  e->set_value->Add(member);
  ks.MarkWritten(db, key);
}

// LPUSH (front) or RPUSH of one element, reported as LPUSH reports it: a new list
// whole, an existing one by its ends.
inline void PushList(Keyspace& ks, int db, const std::string& key, const std::string& value,
                     bool front) {
  std::lock_guard<storage::ShardMutexType> lock(ks.ShardMutex(ks.ShardOf(key)));
  Entry* e = ks.Find(db, key, WallMs());
  const bool created = e == nullptr;
  if (created) {
    e = ks.Create(db, key, WallMs());
    e->type = ValueType::kList;
    e->list_value.emplace();
  }
  if (front) e->list_value->PushFront(value);
  else e->list_value->PushBack(value);
  if (created) ks.MarkWritten(db, key);
  else ks.MarkListEndsWritten(db, key);
}

// ZADD of one member (a new set whole, an existing one by that member), or ZREM of it
// when `remove` (the key goes with its last member).
inline void ZAddOrRem(Keyspace& ks, int db, const std::string& key, const std::string& member,
                      double score, bool remove = false) {
  std::lock_guard<storage::ShardMutexType> lock(ks.ShardMutex(ks.ShardOf(key)));
  Entry* e = ks.Find(db, key, WallMs());
  const bool created = e == nullptr;
  if (remove) {
    e->zset_value->Remove(member);
    if (e->zset_value->empty()) {
      ks.Erase(db, key);
      return;
    }
  } else {
    if (created) {
      e = ks.Create(db, key, WallMs());
      e->type = ValueType::kZSet;
      e->zset_value.emplace();
    }
    e->zset_value->Set(member, score);
  }
  const std::string_view members[] = {member};
  if (created) ks.MarkWritten(db, key);
  else ks.MarkFieldsWritten(db, key, members);
}

// LPOP (front) or RPOP of one element of an existing list; the key goes with its last.
inline void PopList(Keyspace& ks, int db, const std::string& key, bool front) {
  std::lock_guard<storage::ShardMutexType> lock(ks.ShardMutex(ks.ShardOf(key)));
  Entry* e = ks.Find(db, key, WallMs());
  if (front) e->list_value->PopFront();
  else e->list_value->PopBack();
  if (e->list_value->empty()) ks.Erase(db, key);
  else ks.MarkListEndsWritten(db, key);
}

inline void DeleteKey(Keyspace& ks, int db, const std::string& key) {
  std::lock_guard<storage::ShardMutexType> lock(ks.ShardMutex(ks.ShardOf(key)));
  ks.Erase(db, key);
}

// Runs fn with every shard locked (FLUSHDB, SWAPDB and the like).
template <typename Fn>
void WithAllLocks(Keyspace& ks, Fn fn) {
  ShardLocks locks(&ks);
  locks.AddAll();
  locks.Acquire();
  fn();
}

// DEBUG DIGEST of what a keyspace holds in memory (every database).
inline Digest MemoryDigest(Keyspace& ks) {
  Digest d;
  for (int db = 0; db < kNumDbs; db++) {
    uint64_t cursor = 0;
    do {
      cursor = ks.Scan(db, cursor, 100, WallMs(), [&](const Entry& e) { d.Add(KeyDigest(db, e)); });
    } while (cursor != 0);
  }
  return d;
}

}  // namespace vellum::storage::testing
