// What every *STORE command of a collection family (SINTERSTORE.., ZUNIONSTORE..,
// ZRANGESTORE) does with its result: the destination is replaced whatever it held, its
// TTL cleared, and an empty result deletes it, as Redis does. The caller holds the
// destination's shard lock and raises its own family's event afterwards.
#pragma once

#include <memory>
#include <string_view>

#include "server/command.h"
#include "server/keyspace_events.h"
#include "storage/entry.h"
#include "storage/keyspace.h"

namespace vellum::server {

// Puts `result` (non-null) under dst as a value of `type` in `slot`, or deletes dst when
// the result is empty (raising "del" if dst existed). Raises "new" for a new key and
// reports a replaced one written. Returns the result's size (0: dst is gone).
template <typename T>
int64_t StoreCollection(CommandContext& ctx, std::string_view dst, std::unique_ptr<T> result,
                        storage::ValueType type, storage::CollectionPtr<T> storage::Entry::*slot) {
  storage::Entry* e = ctx.keyspace.Find(ctx.db, dst, ctx.now_ms);
  const auto size = static_cast<int64_t>(result->size());
  if (size == 0) {
    if (e != nullptr) {
      ctx.keyspace.Erase(ctx.db, dst);
      ctx.Notify(KeyspaceEvents::kGeneric, "del", dst);
    }
    return 0;
  }
  const bool created = e == nullptr;
  if (created) {
    e = ctx.keyspace.Create(ctx.db, dst, ctx.now_ms);
  } else {
    e->DropValue();
    if (e->HasExpire()) ctx.keyspace.SetExpire(ctx.db, e, 0);
  }
  e->type = type;
  (e->*slot).p = result.release();
  if (created) {
    ctx.Notify(KeyspaceEvents::kNew, "new", dst);
  } else {
    ctx.keyspace.MarkWritten(ctx.db, dst);
  }
  return size;
}

}  // namespace vellum::server
