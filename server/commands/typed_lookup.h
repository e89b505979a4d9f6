// The lookup every collection command starts with: the value at a key if it holds the
// command's type, nothing if the key is missing, WRONGTYPE otherwise. One definition for
// the hash, set, list and sorted-set families (each names its own thin wrapper, ReadSet,
// FindZSetForWrite, ...). The caller holds the key's shard lock.
#pragma once

#include <string_view>

#include "common/status.h"
#include "protocol/errors.h"
#include "server/command.h"
#include "storage/entry.h"
#include "storage/keyspace.h"

namespace vellum::server {

// The payload in `slot` (Entry::hash_value, ::set_value, ...) of the key for a read (hit
// and miss statistics counted): *out is nullptr when the key is missing.
template <typename Slot>
Status ReadTyped(CommandContext& ctx, std::string_view key, storage::ValueType type,
                 Slot storage::Entry::*slot, const typename Slot::element_type** out) {
  const storage::Entry* e = ctx.keyspace.FindForRead(ctx.db, key, ctx.now_ms);
  *out = nullptr;
  if (e == nullptr) return Status::Ok();
  if (e->type != type) return Status::Error(protocol::err::kWrongType);
  *out = (e->*slot).get();
  return Status::Ok();
}

// The entry at key for a write, or nullptr when the key is missing.
inline Status FindTypedForWrite(CommandContext& ctx, std::string_view key,
                                storage::ValueType type, storage::Entry** out) {
  storage::Entry* e = ctx.keyspace.Find(ctx.db, key, ctx.now_ms);
  if (e != nullptr && e->type != type) return Status::Error(protocol::err::kWrongType);
  *out = e;
  return Status::Ok();
}

}  // namespace vellum::server
