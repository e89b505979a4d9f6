#include "storage/disk_record.h"

#include "storage/disk_walk.h"
#include "storage/list_value.h"

namespace vellum::storage {

Status ReadDiskRecord(Engine::ReadView& view, uint8_t pdb, std::string_view key,
                      bool empty_is_absent, DiskRecord* out, bool* found) {
  *found = false;
  std::string raw;
  bool present = false;
  if (Status st = view.GetMeta(codec::MetaKey(pdb, key), &raw, &present); !st.ok()) return st;
  if (!present) return Status::Ok();
  codec::Meta m;
  if (Status st = codec::DecodeMeta(raw, &m); !st.ok()) {
    return Status::Error("corrupt record of key '" + PrintableKey(key) + "': " + st.message());
  }
  return ReadDiskRecord(view, pdb, key, m, empty_is_absent, out, found);
}

Status ReadDiskRecord(Engine::ReadView& view, uint8_t pdb, std::string_view key,
                      const codec::Meta& m, bool empty_is_absent, DiskRecord* out,
                      bool* found) {
  *found = false;
  out->type = m.type;
  out->expire_at_ms = m.expire_at_ms;
  out->version = m.version;
  out->str.clear();
  out->elements.clear();
  if (m.type == codec::DiskType::kString) {
    out->str.assign(m.payload);
    *found = true;
    return Status::Ok();
  }
  const std::string prefix = codec::SubPrefix(pdb, key, m.version);
  std::unique_ptr<Engine::Iterator> it = view.NewSubIterator(/*fill_cache=*/true);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    out->elements.emplace_back(std::string(it->key().substr(prefix.size())),
                               std::string(it->value()));
  }
  if (Status st = it->status(); !st.ok()) return st;
  if (out->elements.empty()) {
    if (empty_is_absent) return Status::Ok();
    return Status::Error("key '" + PrintableKey(key) +
                         "' has no fields or members on disk (missing sub records)");
  }
  // Checked here, before the caller takes a lock: FillEntry then cannot refuse it.
  if (m.type == codec::DiskType::kList) {
    ListValue probe;
    ListBuilder builder(&probe);
    for (const auto& [field, unused] : out->elements) {
      uint64_t position = 0;
      if (!codec::ParseListPosition(field, &position) || !builder.Add(position, {})) {
        return Status::Error("list '" + PrintableKey(key) +
                             "' has missing or malformed elements on disk");
      }
    }
  }
  if (m.type == codec::DiskType::kZSet) {
    for (const auto& [member, value] : out->elements) {
      double score = 0;
      if (!codec::ParseZSetScore(value, &score)) {
        return Status::Error("sorted set '" + PrintableKey(key) +
                             "' has a member whose score is malformed on disk");
      }
    }
  }
  *found = true;
  return Status::Ok();
}

ValueType ValueTypeOf(codec::DiskType t) {
  switch (t) {
    case codec::DiskType::kString: return ValueType::kString;
    case codec::DiskType::kHash: return ValueType::kHash;
    case codec::DiskType::kSet: return ValueType::kSet;
    case codec::DiskType::kList: return ValueType::kList;
    case codec::DiskType::kZSet: return ValueType::kZSet;
  }
  return ValueType::kString;
}

Status FillEntry(Entry* e, std::string_view key, std::string_view where, const codec::Meta& m,
                 const ElementWalk& walk) {
  const std::string in = where.empty() ? std::string() : " in " + std::string(where);
  switch (m.type) {
    case codec::DiskType::kString:
      e->SetStr(m.payload);
      return Status::Ok();
    case codec::DiskType::kHash: {
      e->type = ValueType::kHash;
      HashValue* h = e->hash_value.emplace();
      h->set_disk_version(m.version);
      walk([&](std::string_view f, std::string_view v) { h->Set(f, v); });
      h->ShrinkToFit();
      break;
    }
    case codec::DiskType::kSet: {
      e->type = ValueType::kSet;
      SetValue* s = e->set_value.emplace();
      s->disk_version = m.version;
      walk([&](std::string_view member, std::string_view) { s->Add(member); });
      break;
    }
    case codec::DiskType::kZSet: {
      e->type = ValueType::kZSet;
      ZSetValue* z = e->zset_value.emplace();
      z->set_disk_version(m.version);
      bool scored = true;
      walk([&](std::string_view member, std::string_view value) {
        double score = 0;
        if (codec::ParseZSetScore(value, &score)) z->Set(member, score);
        else scored = false;
      });
      if (!scored) {
        return Status::Error("sorted set '" + PrintableKey(key) + "'" + in +
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
      walk([&](std::string_view field, std::string_view value) {
        uint64_t position = 0;
        if (!codec::ParseListPosition(field, &position) || !builder.Add(position, value)) {
          contiguous = false;
        }
      });
      if (!contiguous) {
        return Status::Error("list '" + PrintableKey(key) + "'" + in +
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
    // A collection is never empty in Redis; its members were lost. Refuse rather than
    // serve a key that should not exist.
    return Status::Error("key '" + PrintableKey(key) + "'" + in +
                         " has no fields or members on disk (missing sub records)");
  }
  return Status::Ok();
}

Status FillEntry(Entry* e, std::string_view key, std::string_view where, const DiskRecord& r) {
  codec::Meta m;
  m.type = r.type;
  m.expire_at_ms = r.expire_at_ms;
  m.version = r.version;
  m.payload = r.str;
  return FillEntry(e, key, where, m, [&r](const ElementFn& fn) {
    for (const auto& [name, value] : r.elements) fn(name, value);
  });
}

}  // namespace vellum::storage
