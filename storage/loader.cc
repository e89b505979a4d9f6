#include "storage/loader.h"

#include <string>

#include "storage/codec.h"
#include "storage/disk_record.h"
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
        Status filled = FillEntry(e, k.key, engine.dir(), m,
                                  [&k](const ElementFn& fn) { k.ForEachElement(fn); });
        if (!filled.ok()) return filled;
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
