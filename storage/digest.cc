#include "storage/digest.h"

#include "storage/codec.h"

#define XXH_STATIC_LINKING_ONLY  // XXH3_state_t on the stack: no allocation per key
#include <xxhash.h>

#include <cstdio>
#include <cstring>

namespace vellum::storage {
namespace {

// Feeds length-prefixed fields into one XXH3-128 state, so ("ab","c") != ("a","bc").
class Hasher {
 public:
  Hasher() { XXH3_128bits_reset(&state_); }
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;

  void Int(uint64_t v) { XXH3_128bits_update(&state_, &v, sizeof(v)); }
  void Bytes(std::string_view s) {
    Int(s.size());
    XXH3_128bits_update(&state_, s.data(), s.size());
  }
  void Part(const Digest& d) {
    Int(d.hi);
    Int(d.lo);
  }
  Digest Done() const {
    XXH128_hash_t h = XXH3_128bits_digest(&state_);
    return {h.high64, h.low64};
  }

 private:
  XXH3_state_t state_;
};

Digest Of(std::string_view a, std::string_view b = {}) {
  Hasher h;
  h.Bytes(a);
  h.Bytes(b);
  return h.Done();
}

}  // namespace

std::string Digest::Hex() const {
  char buf[33];
  std::snprintf(buf, sizeof(buf), "%016llx%016llx", static_cast<unsigned long long>(hi),
                static_cast<unsigned long long>(lo));
  return buf;
}

Digest ElementDigest(std::string_view a, std::string_view b) { return Of(a, b); }

Digest ListElementDigest(uint64_t index, std::string_view value) {
  char bytes[8];
  for (int i = 0; i < 8; i++) bytes[i] = static_cast<char>(index >> (8 * i));
  return Of(std::string_view(bytes, 8), value);
}

Digest KeyDigestOf(int db, std::string_view key, ValueType type, int64_t expire_at_ms,
                   const Digest& value) {
  Hasher h;
  h.Int(static_cast<uint64_t>(db));
  h.Bytes(key);
  h.Int(static_cast<uint64_t>(type));
  h.Int(static_cast<uint64_t>(expire_at_ms));
  h.Part(value);
  return h.Done();
}

Digest KeyDigest(int db, const Entry& e) {
  // The value's digest first: for collections the sum of their elements' digests.
  Digest value;
  switch (e.type) {
    case ValueType::kString:
      value = Of(e.str());
      break;
    case ValueType::kHash:
      e.hash_value->ForEach([&](HashValue::Item f) { value.Add(Of(f.name, f.value)); });
      break;
    case ValueType::kSet:
      e.set_value->ForEach([&](std::string_view m) { value.Add(Of(m)); });
      break;
    case ValueType::kZSet:
      e.zset_value->Walk(0, e.zset_value->size(), /*reverse=*/false, [&](ZSetValue::Item it) {
        value.Add(Of(it.member, codec::ZSetScore(it.score)));
        return true;
      });
      break;
    case ValueType::kList:
      e.list_value->Walk(0, e.list_value->size(), /*reverse=*/false,
                         [&](size_t i, std::string_view v) {
                           value.Add(ListElementDigest(i, v));
                           return true;
                         });
      break;
  }
  return KeyDigestOf(db, e.key(), e.type, e.expire_at_ms, value);
}

}  // namespace vellum::storage
