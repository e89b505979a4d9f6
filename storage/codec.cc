#include "storage/codec.h"

#include <cmath>
#include <cstring>

namespace vellum::storage::codec {
namespace {

void PutBigEndian32(std::string* out, uint32_t v) {
  char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
               static_cast<char>(v)};
  out->append(b, 4);
}
void PutBigEndian64(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}
uint64_t GetBigEndian(std::string_view s, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) v = (v << 8) | static_cast<uint8_t>(s[i]);
  return v;
}

constexpr size_t kMetaKeyHeader = 1 + 4;
constexpr size_t kMetaValueHeader = 1 + 8;

}  // namespace

void PutLittleEndian64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; i++) out->push_back(static_cast<char>(v >> (8 * i)));
}
uint64_t GetLittleEndian64(std::string_view s) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = (v << 8) | static_cast<uint8_t>(s[i]);
  return v;
}

void AppendMetaKey(std::string* out, uint8_t pdb, std::string_view key) {
  out->push_back(static_cast<char>(pdb));
  PutBigEndian32(out, static_cast<uint32_t>(key.size()));
  out->append(key);
}

std::string MetaKey(uint8_t pdb, std::string_view key) {
  std::string out;
  out.reserve(kMetaKeyHeader + key.size());
  AppendMetaKey(&out, pdb, key);
  return out;
}

bool ParseMetaKey(std::string_view raw, uint8_t* pdb, std::string_view* key) {
  if (raw.size() < kMetaKeyHeader) return false;
  uint64_t len = GetBigEndian(raw.substr(1), 4);
  if (raw.size() != kMetaKeyHeader + len) return false;
  *pdb = static_cast<uint8_t>(raw[0]);
  *key = raw.substr(kMetaKeyHeader);
  return *pdb < kNumPhysicalDbs;
}

std::string SubPrefix(uint8_t pdb, std::string_view key, uint64_t version) {
  std::string out;
  out.reserve(kMetaKeyHeader + key.size() + 8);
  AppendMetaKey(&out, pdb, key);
  PutBigEndian64(&out, version);
  return out;
}

std::string SubKey(uint8_t pdb, std::string_view key, uint64_t version, std::string_view field) {
  std::string out = SubPrefix(pdb, key, version);
  out.append(field);
  return out;
}

bool ParseSubKey(std::string_view raw, std::string_view* meta_key, uint64_t* version,
                 std::string_view* field) {
  if (raw.size() < kMetaKeyHeader) return false;
  uint64_t len = GetBigEndian(raw.substr(1), 4);
  if (raw.size() < kMetaKeyHeader + len + 8) return false;
  *meta_key = raw.substr(0, kMetaKeyHeader + len);
  *version = GetBigEndian(raw.substr(kMetaKeyHeader + len), 8);
  *field = raw.substr(kMetaKeyHeader + len + 8);
  return static_cast<uint8_t>(raw[0]) < kNumPhysicalDbs;
}

std::string DbBegin(uint8_t pdb) { return std::string(1, static_cast<char>(pdb)); }
std::string DbEnd(uint8_t pdb) { return std::string(1, static_cast<char>(pdb + 1)); }

void EncodeStringMeta(std::string* out, int64_t expire_at_ms, std::string_view value) {
  out->clear();
  out->reserve(kMetaValueHeader + value.size());
  out->push_back(static_cast<char>(DiskType::kString));
  PutLittleEndian64(out, static_cast<uint64_t>(expire_at_ms));
  out->append(value);
}

void EncodeStringMetaHeader(char (&out)[kStringMetaHeaderSize], int64_t expire_at_ms) {
  out[0] = static_cast<char>(DiskType::kString);
  for (int i = 0; i < 8; i++) out[1 + i] = static_cast<char>(static_cast<uint64_t>(expire_at_ms) >> (8 * i));
}

void EncodeCollectionMeta(std::string* out, DiskType type, int64_t expire_at_ms,
                          uint64_t version) {
  out->clear();
  out->push_back(static_cast<char>(type));
  PutLittleEndian64(out, static_cast<uint64_t>(expire_at_ms));
  PutLittleEndian64(out, version);
}

bool PeekExpire(std::string_view raw, int64_t* expire_at_ms) {
  if (raw.size() < kMetaValueHeader) return false;
  *expire_at_ms = static_cast<int64_t>(GetLittleEndian64(raw.substr(1)));
  return true;
}

Status DecodeMeta(std::string_view raw, Meta* out) {
  if (raw.size() < kMetaValueHeader) return Status::Error("meta record shorter than its header");
  uint8_t tag = static_cast<uint8_t>(raw[0]);
  out->expire_at_ms = static_cast<int64_t>(GetLittleEndian64(raw.substr(1)));
  if (out->expire_at_ms < 0) return Status::Error("meta record with a negative expiry");
  std::string_view body = raw.substr(kMetaValueHeader);
  switch (tag) {
    case static_cast<uint8_t>(DiskType::kString):
      out->type = DiskType::kString;
      out->payload = body;
      out->version = 0;
      return Status::Ok();
    case static_cast<uint8_t>(DiskType::kHash):
    case static_cast<uint8_t>(DiskType::kSet):
    case static_cast<uint8_t>(DiskType::kList):
    case static_cast<uint8_t>(DiskType::kZSet):
      if (body.size() != 8) return Status::Error("collection meta record of the wrong size");
      out->type = static_cast<DiskType>(tag);
      out->version = GetLittleEndian64(body);
      out->payload = {};
      return Status::Ok();
    default:
      return Status::Error("meta record of unknown type " + std::to_string(tag));
  }
}

std::string ListPosition(uint64_t position) {
  std::string out;
  out.reserve(8);
  PutBigEndian64(&out, position);
  return out;
}

bool ParseListPosition(std::string_view field, uint64_t* position) {
  if (field.size() != 8) return false;
  *position = GetBigEndian(field, 8);
  return true;
}

std::string ZSetScore(double score) {
  uint64_t bits = 0;
  std::memcpy(&bits, &score, sizeof(bits));
  std::string out;
  out.reserve(8);
  PutLittleEndian64(&out, bits);
  return out;
}

bool ParseZSetScore(std::string_view value, double* score) {
  if (value.size() != 8) return false;
  const uint64_t bits = GetLittleEndian64(value);
  std::memcpy(score, &bits, sizeof(bits));
  return !std::isnan(*score);
}

std::string EncodeDbMap(const uint8_t (&map)[kNumPhysicalDbs]) {
  return std::string(reinterpret_cast<const char*>(map), kNumPhysicalDbs);
}

Status DecodeDbMap(std::string_view raw, uint8_t (&map)[kNumPhysicalDbs]) {
  if (raw.size() != kNumPhysicalDbs) return Status::Error("db map of the wrong size");
  bool seen[kNumPhysicalDbs] = {};
  for (int i = 0; i < kNumPhysicalDbs; i++) {
    uint8_t p = static_cast<uint8_t>(raw[i]);
    if (p >= kNumPhysicalDbs || seen[p]) return Status::Error("db map is not a permutation");
    seen[p] = true;
    map[i] = p;
  }
  return Status::Ok();
}

}  // namespace vellum::storage::codec
