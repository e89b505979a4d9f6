// DiskRecord: one key as stored on disk, read whole and checked, and the in-memory value
// built from what the disk holds.
//
// Every path that brings a key from disk into memory goes through here: the start-up
// loader (walking the database), the warm-up and the cold reads of commands
// (storage/warmup.h), and a replica installing what its primary's batch changed
// (storage/replica_applier.h). So a key reads back one way whichever path brings it,
// and a malformed record is refused with the same words.
//
// Pure functions over an Engine::ReadView (or a walk's elements) and an Entry the caller
// has created and holds the shard lock of.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "storage/codec.h"
#include "storage/engine.h"
#include "storage/entry.h"

namespace vellum::storage {

struct DiskRecord {
  codec::DiskType type = codec::DiskType::kString;
  int64_t expire_at_ms = 0;  // absolute Unix ms; 0 = none
  uint64_t version = 0;      // a collection's live version
  std::string str;           // a string's value
  // A collection's sub records of the live version, in key order: (field, value) of a
  // hash, (member, "") of a set, (member, score bytes) of a sorted set, (position bytes,
  // element) of a list.
  std::vector<std::pair<std::string, std::string>> elements;
};

// The in-memory type of a value stored as `t`.
ValueType ValueTypeOf(codec::DiskType t);
// The string room an Entry made for this record needs (Entry::New's value_room).
inline size_t ValueRoomOf(const DiskRecord& r) {
  return r.type == codec::DiskType::kString ? r.str.size() : 0;
}

// Reads (pdb, key) whole through `view`: its meta record and, for a collection, the sub
// records of the version it names. *found = false without a meta record. A record that
// does not decode is an error naming the key; so is a collection without elements (its
// sub records are missing), unless `empty_is_absent` (a replica, whose primary writes a
// collection's meta and elements in one batch, reads that as deleted).
Status ReadDiskRecord(Engine::ReadView& view, uint8_t pdb, std::string_view key,
                      bool empty_is_absent, DiskRecord* out, bool* found);
// The same, for a key whose meta record the caller has already read and decoded (a walk
// of the meta family): reads only the sub records it names.
Status ReadDiskRecord(Engine::ReadView& view, uint8_t pdb, std::string_view key,
                      const codec::Meta& meta, bool empty_is_absent, DiskRecord* out,
                      bool* found);

// The elements of a record, one call of fn(name, value) each, in key order.
using ElementFn = std::function<void(std::string_view, std::string_view)>;
using ElementWalk = std::function<void(const ElementFn&)>;

// Gives `e`, an entry just created for the key (with room for a string of the record's
// size), the value and expiry the record holds: what `meta` says and the elements `walk`
// yields. Refuses a sorted set with a malformed score, a list whose positions have a gap,
// and a collection without elements, naming the key (`where`: the directory). The expiry
// is only returned in *expire_at_ms: setting it is the Keyspace's (it indexes it).
Status FillEntry(Entry* e, std::string_view key, std::string_view where, const codec::Meta& meta,
                 const ElementWalk& walk);
Status FillEntry(Entry* e, std::string_view key, std::string_view where, const DiskRecord& r);

}  // namespace vellum::storage
