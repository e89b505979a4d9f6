#include "storage/loader.h"

#include <algorithm>
#include <string>

#include "storage/codec.h"

namespace vellum::storage {
namespace {

std::string Printable(std::string_view key) {
  std::string out;
  for (char c : key.substr(0, 64)) out.push_back(c >= 32 && c < 127 ? c : '?');
  return out;
}

}  // namespace

Result<LoadResult> LoadKeyspace(Engine& engine, Keyspace& keyspace, int64_t now_ms) {
  uint8_t db_map[codec::kNumPhysicalDbs];
  engine.LoadedDbMap(db_map);
  uint8_t logical_of[codec::kNumPhysicalDbs];
  for (int i = 0; i < codec::kNumPhysicalDbs; i++) logical_of[db_map[i]] = static_cast<uint8_t>(i);

  LoadResult result;
  auto meta = engine.NewMetaIterator();
  auto sub = engine.NewSubIterator();
  // Calls fn(name, value) for each sub record of (pdb, key, version).
  auto for_each_element = [&](uint8_t pdb, std::string_view key, uint64_t version, auto fn) {
    const std::string prefix = codec::SubPrefix(pdb, key, version);
    for (sub->Seek(prefix); sub->Valid() && sub->key().starts_with(prefix); sub->Next()) {
      fn(sub->key().substr(prefix.size()), sub->value());
    }
  };
  for (meta->SeekToFirst(); meta->Valid(); meta->Next()) {
    uint8_t pdb = 0;
    std::string_view key;
    if (!codec::ParseMetaKey(meta->key(), &pdb, &key)) {
      return Status::Error("corrupt key record in the meta column family of " + engine.dir());
    }
    codec::Meta m;
    Status st = codec::DecodeMeta(meta->value(), &m);
    if (!st.ok()) {
      return Status::Error("corrupt record of key '" + Printable(key) + "' in " + engine.dir() +
                           ": " + st.message());
    }
    if (m.type != codec::DiskType::kString) result.max_version = std::max(result.max_version, m.version);
    if (m.expire_at_ms != 0 && m.expire_at_ms <= now_ms) {
      result.expired++;
      continue;
    }
    const int db = logical_of[pdb];
    Entry* e = keyspace.Create(db, key, now_ms);
    switch (m.type) {
      case codec::DiskType::kString:
        e->str.assign(m.payload);
        break;
      case codec::DiskType::kHash: {
        e->type = ValueType::kHash;
        HashValue* h = e->hash_value.emplace();
        h->disk_version = m.version;
        for_each_element(pdb, key, m.version,
                         [&](std::string_view f, std::string_view v) { h->Set(f, v); });
        break;
      }
      case codec::DiskType::kSet: {
        e->type = ValueType::kSet;
        SetValue* s = e->set_value.emplace();
        s->disk_version = m.version;
        for_each_element(pdb, key, m.version,
                         [&](std::string_view member, std::string_view) { s->Add(member); });
        break;
      }
    }
    if (!sub->status().ok()) return sub->status();
    if ((e->type == ValueType::kHash && e->hash_value->empty()) ||
        (e->type == ValueType::kSet && e->set_value->empty())) {
      // A collection is never empty in Redis; its members were lost. Refuse rather than
      // serve a key that should not exist.
      return Status::Error("key '" + Printable(key) + "' in " + engine.dir() +
                           " has no fields or members on disk (missing sub records)");
    }
    if (m.expire_at_ms != 0) keyspace.SetExpire(db, e, m.expire_at_ms);
    result.keys++;
  }
  if (!meta->status().ok()) return meta->status();
  return result;
}

}  // namespace vellum::storage
