// What the collection families (hash.cc, set.cc, zset*.cc) do with a key after changing
// it, in one place: a *STORE result replaces its destination (StoreCollection), and a
// removal deletes a key left empty or reports the members it wrote (AfterMembersRemoved),
// as Redis does. The caller holds the key's shard lock.
#pragma once

#include <memory>
#include <span>
#include <string_view>

#include "server/command.h"
#include "server/keyspace_events.h"
#include "storage/entry.h"
#include "storage/keyspace.h"

namespace vellum::server {

// A *STORE command's result (SINTERSTORE.., ZUNIONSTORE.., ZRANGESTORE): the destination
// is replaced whatever it held and its TTL cleared; the caller raises its own family's
// event afterwards.
// Puts `result` (non-null) under dst as a value of `type` in `slot`, or deletes dst when
// the result is empty (raising "del" if dst existed). Raises "new" for a new key and
// reports a replaced one written. Returns the result's size (0: dst is gone).
template <typename Slot>
int64_t StoreCollection(CommandContext& ctx, std::string_view dst,
                        std::unique_ptr<typename Slot::element_type> result,
                        storage::ValueType type, Slot storage::Entry::*slot) {
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
  (e->*slot).Adopt(std::move(result));
  if (created) {
    ctx.Notify(KeyspaceEvents::kNew, "new", dst);
  } else {
    ctx.keyspace.MarkWritten(ctx.db, dst);
  }
  return size;
}

// After `members` were removed from the collection at key, now `empty` or not: deletes
// the key if empty, else reports those members written; raises `event` of class
// `event_class` (KeyspaceEvents::kHash, kSet, kZset), then "del" if the key went.
inline void AfterMembersRemoved(CommandContext& ctx, std::string_view key, bool empty,
                                int event_class, const char* event,
                                std::span<const std::string_view> members) {
  if (empty) {
    ctx.keyspace.Erase(ctx.db, key);
  } else {
    ctx.keyspace.MarkFieldsWritten(ctx.db, key, members);
  }
  ctx.Notify(event_class, event, key);
  if (empty) ctx.Notify(KeyspaceEvents::kGeneric, "del", key);
}

}  // namespace vellum::server
