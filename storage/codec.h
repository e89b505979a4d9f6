// Codec: the on-disk format of storage/FORMAT.md (version 1), as pure functions.
//
// Knows nothing of RocksDB or of the in-memory Entry: it turns (physical db, key),
// (type, expiry, payload) and (key, version, field) into bytes and back, and rejects bytes
// that do not decode (a corrupt record is a Status, never a crash). Thread-safe: no state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace vellum::storage::codec {

inline constexpr uint32_t kFormatVersion = 1;
inline constexpr int kNumPhysicalDbs = 16;

// Records of the default column family.
inline constexpr std::string_view kFormatKey = "vellum.format";
inline constexpr std::string_view kDbMapKey = "vellum.dbmap";
// u64 little-endian: every collection version below it was handed out (versions are never
// reused for a key, even when the clock steps back; FORMAT.md).
inline constexpr std::string_view kVersionMarkKey = "vellum.versions";

// On-disk type tags (the first byte of a meta value). New types get new tags; a tag is
// never reused.
enum class DiskType : uint8_t { kString = 1, kHash = 2, kSet = 3, kList = 4, kZSet = 5 };

// meta key: [pdb u8][key length u32 big-endian][key bytes]. The length prefix makes
// a meta key a proper prefix of exactly its own sub keys, so both column families sort
// the same way and can be walked side by side.
std::string MetaKey(uint8_t pdb, std::string_view key);
void AppendMetaKey(std::string* out, uint8_t pdb, std::string_view key);
// Splits a meta key; false if it is malformed.
bool ParseMetaKey(std::string_view raw, uint8_t* pdb, std::string_view* key);

// sub key: meta key + [version u64 big-endian] + [field or member bytes].
std::string SubKey(uint8_t pdb, std::string_view key, uint64_t version, std::string_view field);
// The prefix shared by every sub key of (pdb, key, version).
std::string SubPrefix(uint8_t pdb, std::string_view key, uint64_t version);
// Splits a sub key into its meta key part, version and field; false if malformed.
bool ParseSubKey(std::string_view raw, std::string_view* meta_key, uint64_t* version,
                 std::string_view* field);

// A list element's sub record names its position (storage/list_value.h) as 8 bytes
// big-endian, so the sub records of a list sort in list order.
std::string ListPosition(uint64_t position);
// The position a list element's field names; false unless it is 8 bytes.
bool ParseListPosition(std::string_view field, uint64_t* position);

// A sorted-set member's sub record holds its score: the IEEE 754 double's bits, 8 bytes
// little-endian.
std::string ZSetScore(double score);
// The score a member's record holds; false unless it is 8 bytes and not NaN.
bool ParseZSetScore(std::string_view value, double* score);

// The first key of physical db `pdb` and the first key after it (range deletion bounds).
std::string DbBegin(uint8_t pdb);
std::string DbEnd(uint8_t pdb);

// meta value: [type u8][expire_at_ms i64 little-endian][body], where body is the string's
// bytes for kString and [version u64 little-endian] for kHash, kSet, kList and kZSet.
struct Meta {
  DiskType type = DiskType::kString;
  int64_t expire_at_ms = 0;   // absolute Unix ms; 0 = none
  uint64_t version = 0;       // kHash, kSet, kList, kZSet
  std::string_view payload;   // kString: the value (points into the decoded bytes)
};
void EncodeStringMeta(std::string* out, int64_t expire_at_ms, std::string_view value);
// The first bytes of a string's meta value (type and expiry); the value's bytes follow.
// Lets the persister hand RocksDB the header and the value as two parts, with no copy.
inline constexpr size_t kStringMetaHeaderSize = 1 + 8;
void EncodeStringMetaHeader(char (&out)[kStringMetaHeaderSize], int64_t expire_at_ms);
void EncodeCollectionMeta(std::string* out, DiskType type, int64_t expire_at_ms,
                          uint64_t version);
Status DecodeMeta(std::string_view raw, Meta* out);
// Only the expiry, for the compaction filter (false if malformed).
bool PeekExpire(std::string_view raw, int64_t* expire_at_ms);

// The fixed 8-byte little-endian integers of the format (expiry, versions, the version
// mark; RocksDB's WriteBatch header uses the same layout for its sequence number).
void PutLittleEndian64(std::string* out, uint64_t v);
uint64_t GetLittleEndian64(std::string_view s);  // s holds at least 8 bytes

// The db map: logical db i lives under physical db map[i] (SWAPDB swaps two entries).
std::string EncodeDbMap(const uint8_t (&map)[kNumPhysicalDbs]);
Status DecodeDbMap(std::string_view raw, uint8_t (&map)[kNumPhysicalDbs]);

}  // namespace vellum::storage::codec
