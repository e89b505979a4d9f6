#include "storage/loader.h"

#include <string>

#include "storage/codec.h"
#include "storage/disk_walk.h"

namespace vellum::storage {

Result<LoadResult> LoadKeyspace(Engine& engine, Keyspace& keyspace, int64_t now_ms) {
  LoadResult result;
  WalkStats stats;
  Status st = WalkKeys(
      engine, now_ms,
      [&](const DiskKey& k) {
        const codec::Meta& m = k.meta;
        Entry* e = keyspace.Create(k.db, k.key, now_ms,
                                   m.type == codec::DiskType::kString ? m.payload.size() : 0);
        switch (m.type) {
          case codec::DiskType::kString:
            e->SetStr(m.payload);
            break;
          case codec::DiskType::kHash: {
            e->type = ValueType::kHash;
            HashValue* h = e->hash_value.emplace();
            h->set_disk_version(m.version);
            k.ForEachElement([&](std::string_view f, std::string_view v) { h->Set(f, v); });
            h->ShrinkToFit();
            break;
          }
          case codec::DiskType::kSet: {
            e->type = ValueType::kSet;
            SetValue* s = e->set_value.emplace();
            s->disk_version = m.version;
            k.ForEachElement([&](std::string_view member, std::string_view) { s->Add(member); });
            break;
          }
          case codec::DiskType::kZSet: {
            e->type = ValueType::kZSet;
            ZSetValue* z = e->zset_value.emplace();
            z->set_disk_version(m.version);
            bool scored = true;
            k.ForEachElement([&](std::string_view member, std::string_view value) {
              double score = 0;
              if (codec::ParseZSetScore(value, &score)) z->Set(member, score);
              else scored = false;
            });
            if (!scored) {
              return Status::Error("sorted set '" + PrintableKey(k.key) + "' in " + engine.dir() +
                                   " has a member whose score is malformed on disk");
            }
            break;
          }
          case codec::DiskType::kList: {
            e->type = ValueType::kList;
            ListValue* l = e->list_value.emplace();
            l->disk_version = m.version;
            ListBuilder builder(l);
            bool contiguous = true;
            k.ForEachElement([&](std::string_view field, std::string_view value) {
              uint64_t position = 0;
              if (!codec::ParseListPosition(field, &position) || !builder.Add(position, value)) {
                contiguous = false;
              }
            });
            if (!contiguous) {
              return Status::Error("list '" + PrintableKey(k.key) + "' in " + engine.dir() +
                                   " has missing or malformed elements on disk");
            }
            builder.Finish();
            break;
          }
        }
        if ((e->type == ValueType::kHash && e->hash_value->empty()) ||
            (e->type == ValueType::kSet && e->set_value->empty()) ||
            (e->type == ValueType::kList && e->list_value->empty()) ||
            (e->type == ValueType::kZSet && e->zset_value->empty())) {
          // A collection is never empty in Redis; its members were lost. Refuse rather
          // than serve a key that should not exist.
          return Status::Error("key '" + PrintableKey(k.key) + "' in " + engine.dir() +
                               " has no fields or members on disk (missing sub records)");
        }
        if (m.expire_at_ms != 0) keyspace.SetExpire(k.db, e, m.expire_at_ms);
        result.keys++;
        return Status::Ok();
      },
      &stats);
  if (!st.ok()) return st;
  result.expired = stats.expired;
  result.max_version = stats.max_version;
  return result;
}

}  // namespace vellum::storage
