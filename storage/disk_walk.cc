#include "storage/disk_walk.h"

#include <string>
#include <thread>
#include <vector>

namespace vellum::storage {

std::string PrintableKey(std::string_view key) {
  std::string out;
  for (char c : key.substr(0, 64)) out.push_back(c >= 32 && c < 127 ? c : '?');
  return out;
}

void DiskKey::ForEachElement(
    const std::function<void(std::string_view, std::string_view)>& fn) const {
  if (meta.type == codec::DiskType::kString) return;
  const std::string prefix = codec::SubPrefix(pdb_, key, meta.version);
  const bool is_set = meta.type == codec::DiskType::kSet;
  for (sub_->Seek(prefix); sub_->Valid() && sub_->key().starts_with(prefix); sub_->Next()) {
    fn(sub_->key().substr(prefix.size()), is_set ? std::string_view() : sub_->value());
  }
}

Status DecodeMetaRecord(std::string_view raw_key, std::string_view raw_value,
                        std::string_view dir, uint8_t* pdb, std::string_view* key,
                        codec::Meta* meta) {
  if (!codec::ParseMetaKey(raw_key, pdb, key) || *pdb >= codec::kNumPhysicalDbs) {
    return Status::Error("corrupt key record in the meta column family of " + std::string(dir));
  }
  if (Status st = codec::DecodeMeta(raw_value, meta); !st.ok()) {
    return Status::Error("corrupt record of key '" + PrintableKey(*key) + "' in " +
                         std::string(dir) + ": " + st.message());
  }
  return Status::Ok();
}

Status WalkKeys(Engine& engine, int64_t now_ms, const std::function<Status(const DiskKey&)>& fn,
                WalkStats* stats, std::string_view begin, std::string_view end) {
  WalkStats ignored;
  if (stats == nullptr) stats = &ignored;
  uint8_t db_map[codec::kNumPhysicalDbs];
  engine.LoadedDbMap(db_map);
  uint8_t logical_of[codec::kNumPhysicalDbs];
  for (int i = 0; i < codec::kNumPhysicalDbs; i++) logical_of[db_map[i]] = static_cast<uint8_t>(i);

  auto meta = engine.NewMetaIterator();
  auto sub = engine.NewSubIterator();
  DiskKey k;
  k.sub_ = sub.get();
  if (begin.empty()) {
    meta->SeekToFirst();
  } else {
    meta->Seek(begin);
  }
  for (; meta->Valid() && (end.empty() || meta->key() < end); meta->Next()) {
    Status st = DecodeMetaRecord(meta->key(), meta->value(), engine.dir(), &k.pdb_, &k.key,
                                 &k.meta);
    if (!st.ok()) return st;
    if (k.meta.type != codec::DiskType::kString && k.meta.version > stats->max_version) {
      stats->max_version = k.meta.version;
    }
    if (k.meta.expire_at_ms != 0 && k.meta.expire_at_ms <= now_ms) {
      stats->expired++;
      continue;
    }
    k.db = logical_of[k.pdb_];
    st = fn(k);
    if (!st.ok()) return st;
    if (!sub->status().ok()) return sub->status();
  }
  return meta->status();
}

namespace {

// The summary of the keys whose meta record's key is in [begin, end).
Status SummarizeRange(Engine& engine, int64_t now_ms, ProgressMeter* meter, std::string_view begin,
                      std::string_view end, DiskSummary* out) {
  WalkStats stats;
  Status st = WalkKeys(
      engine, now_ms,
      [&](const DiskKey& k) {
        Digest value;
        ValueType type = ValueType::kString;
        switch (k.meta.type) {
          case codec::DiskType::kString:
            value = ElementDigest(k.meta.payload);
            break;
          case codec::DiskType::kHash:
            type = ValueType::kHash;
            break;
          case codec::DiskType::kSet:
            type = ValueType::kSet;
            break;
          case codec::DiskType::kList:
            type = ValueType::kList;
            break;
          case codec::DiskType::kZSet:
            type = ValueType::kZSet;
            break;
        }
        if (type == ValueType::kList) {
          uint64_t index = 0;
          k.ForEachElement([&](std::string_view, std::string_view v) {
            value.Add(ListElementDigest(index++, v));
          });
        } else {
          k.ForEachElement(
              [&](std::string_view a, std::string_view b) { value.Add(ElementDigest(a, b)); });
        }
        out->digest.Add(KeyDigestOf(k.db, k.key, type, k.meta.expire_at_ms, value));
        out->keys_by_db[k.db]++;
        out->keys++;
        if (meter != nullptr) meter->Add(1);
        return Status::Ok();
      },
      &stats, begin, end);
  out->expired = stats.expired;
  return st;
}

}  // namespace

Result<DiskSummary> SummarizeDisk(Engine& engine, int64_t now_ms, ProgressMeter* meter,
                                  int threads) {
  const std::vector<std::string> cuts = engine.MetaSplitKeys(threads);
  const size_t parts = cuts.size() + 1;
  std::vector<DiskSummary> summaries(parts);
  std::vector<Status> statuses(parts, Status::Ok());
  auto run = [&](size_t i) {
    const std::string_view begin = i == 0 ? std::string_view() : cuts[i - 1];
    const std::string_view end = i == parts - 1 ? std::string_view() : cuts[i];
    statuses[i] = SummarizeRange(engine, now_ms, meter, begin, end, &summaries[i]);
  };
  // The first range on this thread, the others on threads of their own (which inherit
  // this thread's scheduling priority: a snapshot's stays below the workers').
  std::vector<std::thread> others;
  for (size_t i = 1; i < parts; i++) others.emplace_back(run, i);
  run(0);
  for (std::thread& t : others) t.join();
  DiskSummary out;
  for (size_t i = 0; i < parts; i++) {
    if (!statuses[i].ok()) return statuses[i];
    out.digest.Add(summaries[i].digest);
    for (size_t db = 0; db < out.keys_by_db.size(); db++) {
      out.keys_by_db[db] += summaries[i].keys_by_db[db];
    }
    out.keys += summaries[i].keys;
    out.expired += summaries[i].expired;
  }
  return out;
}

}  // namespace vellum::storage
