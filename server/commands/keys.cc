// Generic key commands: DEL UNLINK EXISTS TOUCH TYPE RENAME RENAMENX COPY MOVE KEYS SCAN
// RANDOMKEY DBSIZE FLUSHDB FLUSHALL SWAPDB. The expiry commands live in expire.cc and are
// registered from here.
//
// Locking: commands naming keys run with those keys' shards locked by the dispatcher (a
// key's shard is the same in every database, so COPY ... DB n and MOVE need nothing more).
// KEYS, SCAN, RANDOMKEY and DBSIZE name no keys and use the Keyspace's self-locking
// iterations; FLUSHDB, FLUSHALL and SWAPDB are kLockAll, so they are atomic.
#include <cctype>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "common/glob.h"
#include "protocol/errors.h"
#include "server/blocking.h"
#include "server/command.h"
#include "server/command_table.h"
#include "server/commands/args.h"
#include "server/commands/expire.h"
#include "server/commands/registry.h"
#include "server/keyspace_events.h"
#include "server/server_state.h"

namespace vellum::server {
namespace {

using storage::Entry;

// A database index argument as Redis's getIntFromObjectOrReply + selectDb read it:
// not an integer, then outside int32, then outside the configured databases.
Status ParseDbArg(std::string_view s, int* out) {
  int64_t v = 0;
  VELLUM_RETURN_IF_ERROR(ParseIntArg(s, &v));
  if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) {
    return Status::Error(protocol::err::kIntOutOfRange);
  }
  if (v < 0 || v >= storage::kNumDbs) return Status::Error(protocol::err::kDbOutOfRange);
  *out = static_cast<int>(v);
  return Status::Ok();
}

// DEL and UNLINK: the number of keys removed. A key named twice counts once; an expired
// key is not counted.
Status Del(CommandContext& ctx) {
  int64_t removed = 0;
  for (size_t i = 1; i < ctx.argc(); i++) {
    if (ctx.keyspace.FindKeyOnly(ctx.db, ctx.arg(i), ctx.now_ms, false) == nullptr) continue;
    if (ctx.keyspace.Erase(ctx.db, ctx.arg(i))) {
      removed++;
      ctx.Notify(KeyspaceEvents::kGeneric, "del", ctx.arg(i));
    }
  }
  ctx.reply.Integer(removed);
  return Status::Ok();
}

// EXISTS counts a key once per time it is named; it does not touch the access clock.
Status Exists(CommandContext& ctx) {
  int64_t n = 0;
  for (size_t i = 1; i < ctx.argc(); i++) {
    if (ctx.keyspace.FindKeyOnly(ctx.db, ctx.arg(i), ctx.now_ms, true) != nullptr) n++;
  }
  ctx.reply.Integer(n);
  return Status::Ok();
}

Status Touch(CommandContext& ctx) {
  int64_t n = 0;
  for (size_t i = 1; i < ctx.argc(); i++) {
    if (ctx.keyspace.FindForRead(ctx.db, ctx.arg(i), ctx.now_ms) != nullptr) n++;
  }
  ctx.reply.Integer(n);
  return Status::Ok();
}

Status Type(CommandContext& ctx) {
  const Entry* e = ctx.keyspace.FindKeyOnly(ctx.db, ctx.arg(1), ctx.now_ms, true);
  ctx.reply.Simple(e == nullptr ? "none" : storage::TypeName(e->type));
  return Status::Ok();
}

// A list or sorted set arrived at (db, key) by RENAME, COPY or MOVE: clients blocked on it
// are served when the command ends, as after a push.
void SignalIfBlockable(CommandContext& ctx, int db, std::string_view key) {
  BlockingRegistry* blocking = ctx.server.blocking();
  if (blocking == nullptr) return;
  const storage::Entry* e = ctx.keyspace.Peek(db, key);
  if (e != nullptr &&
      (e->type == storage::ValueType::kList || e->type == storage::ValueType::kZSet)) {
    blocking->SignalReady(db, key);
  }
}

// RENAME / RENAMENX. The value keeps its expiry. Renaming a key to itself is OK (RENAME)
// or 0 (RENAMENX) when it exists, "no such key" otherwise, as in Redis 7.
Status RenameGeneric(CommandContext& ctx, bool nx) {
  std::string_view src = ctx.arg(1), dst = ctx.arg(2);
  if (ctx.keyspace.Find(ctx.db, src, ctx.now_ms) == nullptr) {
    return Status::Error(protocol::err::kNoSuchKey);
  }
  bool moved = false;
  if (src != dst && !(nx && ctx.keyspace.Find(ctx.db, dst, ctx.now_ms) != nullptr)) {
    moved = ctx.keyspace.Move(ctx.db, src, ctx.db, dst, ctx.now_ms);
  }
  if (moved) {
    ctx.Notify(KeyspaceEvents::kNew, "new", dst);
    ctx.Notify(KeyspaceEvents::kGeneric, "rename_from", src);
    ctx.Notify(KeyspaceEvents::kGeneric, "rename_to", dst);
    SignalIfBlockable(ctx, ctx.db, dst);
  }
  if (nx) {
    ctx.reply.Integer(moved ? 1 : 0);
  } else {
    ctx.reply.Ok();
  }
  return Status::Ok();
}

Status Rename(CommandContext& ctx) { return RenameGeneric(ctx, /*nx=*/false); }
Status RenameNx(CommandContext& ctx) { return RenameGeneric(ctx, /*nx=*/true); }

// COPY source destination [DB destination-db] [REPLACE]: 1 if copied, 0 if the source is
// missing or the destination exists without REPLACE. Value and expiry are duplicated.
Status Copy(CommandContext& ctx) {
  int dst_db = ctx.db;
  bool replace = false;
  for (size_t i = 3; i < ctx.argc(); i++) {
    if (EqualsIgnoreCase(ctx.arg(i), "replace")) {
      replace = true;
    } else if (EqualsIgnoreCase(ctx.arg(i), "db") && i + 1 < ctx.argc()) {
      VELLUM_RETURN_IF_ERROR(ParseDbArg(ctx.arg(++i), &dst_db));
    } else {
      return Status::Error(protocol::err::kSyntax);
    }
  }
  std::string_view src = ctx.arg(1), dst = ctx.arg(2);
  if (dst_db == ctx.db && src == dst) return Status::Error(protocol::err::kSameObject);
  if (ctx.keyspace.FindForRead(ctx.db, src, ctx.now_ms) == nullptr ||
      (!replace && ctx.keyspace.Find(dst_db, dst, ctx.now_ms) != nullptr)) {
    ctx.reply.Integer(0);
    return Status::Ok();
  }
  bool copied = ctx.keyspace.Copy(ctx.db, src, dst_db, dst, ctx.now_ms);
  if (copied) {
    ctx.NotifyDb(KeyspaceEvents::kNew, "new", dst_db, dst);
    ctx.NotifyDb(KeyspaceEvents::kGeneric, "copy_to", dst_db, dst);
    SignalIfBlockable(ctx, dst_db, dst);
  }
  ctx.reply.Integer(copied ? 1 : 0);
  return Status::Ok();
}

// MOVE key db: 1 if moved, 0 if the key is missing here or already exists there.
Status Move(CommandContext& ctx) {
  int dst_db = 0;
  VELLUM_RETURN_IF_ERROR(ParseDbArg(ctx.arg(2), &dst_db));
  if (dst_db == ctx.db) return Status::Error(protocol::err::kSameObject);
  std::string_view key = ctx.arg(1);
  bool moved = ctx.keyspace.Find(ctx.db, key, ctx.now_ms) != nullptr &&
               ctx.keyspace.Find(dst_db, key, ctx.now_ms) == nullptr &&
               ctx.keyspace.Move(ctx.db, key, dst_db, key, ctx.now_ms);
  if (moved) {
    ctx.NotifyDb(KeyspaceEvents::kNew, "new", dst_db, key);
    ctx.Notify(KeyspaceEvents::kGeneric, "move_from", key);
    ctx.NotifyDb(KeyspaceEvents::kGeneric, "move_to", dst_db, key);
    SignalIfBlockable(ctx, dst_db, key);
  }
  ctx.reply.Integer(moved ? 1 : 0);
  return Status::Ok();
}

// KEYS pattern: every live key matching the glob, one shard locked at a time (so not a
// snapshot: a key written meanwhile may or may not appear, as with SCAN).
Status Keys(CommandContext& ctx) {
  std::string_view pattern = ctx.arg(1);
  const bool all = pattern == "*";
  std::vector<std::string> keys;
  uint64_t cursor = ctx.keyspace.Scan(ctx.db, 0, SIZE_MAX, ctx.now_ms, [&](const Entry& e) {
    if (all || GlobMatch(pattern, e.key())) keys.push_back(std::string(e.key()));
  });
  (void)cursor;  // 0: a budget of SIZE_MAX buckets walks the whole database in one call
  ctx.reply.ArrayHeader(keys.size());
  for (const std::string& k : keys) ctx.reply.Bulk(k);
  return Status::Ok();
}

// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]. A later option of the same kind
// replaces an earlier one; an unknown TYPE name matches nothing (Redis 7.0).
Status Scan(CommandContext& ctx) {
  uint64_t cursor = 0;
  if (!ParseScanCursor(ctx.arg(1), &cursor)) return Status::Error(protocol::err::kInvalidCursor);
  int64_t count = 10;
  std::string_view pattern;
  bool use_pattern = false;
  std::string_view type;
  bool use_type = false;
  for (size_t i = 2; i < ctx.argc(); i++) {
    std::string_view opt = ctx.arg(i);
    bool has_value = i + 1 < ctx.argc();
    if (EqualsIgnoreCase(opt, "count") && has_value) {
      VELLUM_RETURN_IF_ERROR(ParseIntArg(ctx.arg(++i), &count));
      if (count < 1) return Status::Error(protocol::err::kSyntax);
    } else if (EqualsIgnoreCase(opt, "match") && has_value) {
      pattern = ctx.arg(++i);
      use_pattern = pattern != "*";
    } else if (EqualsIgnoreCase(opt, "type") && has_value) {
      type = ctx.arg(++i);
      use_type = true;
    } else {
      return Status::Error(protocol::err::kSyntax);
    }
  }
  std::vector<std::string> keys;
  uint64_t next = ctx.keyspace.Scan(
      ctx.db, cursor, static_cast<size_t>(count), ctx.now_ms, [&](const Entry& e) {
        if (use_pattern && !GlobMatch(pattern, e.key())) return;
        if (use_type && !EqualsIgnoreCase(type, storage::TypeName(e.type))) return;
        keys.push_back(std::string(e.key()));
      });
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::to_string(next));
  ctx.reply.ArrayHeader(keys.size());
  for (const std::string& k : keys) ctx.reply.Bulk(k);
  return Status::Ok();
}

Status RandomKey(CommandContext& ctx) {
  std::string key;
  if (ctx.keyspace.RandomKey(ctx.db, ctx.now_ms, &key)) {
    ctx.reply.Bulk(key);
  } else {
    ctx.reply.Null();
  }
  return Status::Ok();
}

Status DbSize(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.keyspace.DbSize(ctx.db)));
  return Status::Ok();
}

// The optional ASYNC|SYNC argument of FLUSHDB and FLUSHALL; *async tells which.
Status ParseFlushMode(CommandContext& ctx, bool* async) {
  *async = false;
  if (ctx.argc() > 2) return Status::Error(protocol::err::kSyntax);
  if (ctx.argc() == 2) {
    *async = EqualsIgnoreCase(ctx.arg(1), "async");
    if (!*async && !EqualsIgnoreCase(ctx.arg(1), "sync")) {
      return Status::Error(protocol::err::kSyntax);
    }
  }
  return Status::Ok();
}

Status FlushDb(CommandContext& ctx) {
  bool async = false;
  VELLUM_RETURN_IF_ERROR(ParseFlushMode(ctx, &async));
  if (async) {
    ctx.keyspace.FlushDbAsync(ctx.db);
  } else {
    ctx.keyspace.FlushDb(ctx.db);
  }
  ctx.reply.Ok();
  return Status::Ok();
}

Status FlushAll(CommandContext& ctx) {
  bool async = false;
  VELLUM_RETURN_IF_ERROR(ParseFlushMode(ctx, &async));
  if (async) {
    ctx.keyspace.FlushAllAsync();
  } else {
    ctx.keyspace.FlushAll();
  }
  ctx.reply.Ok();
  return Status::Ok();
}

// SWAPDB index1 index2: clients keep their selected index and so see the other data.
Status SwapDb(CommandContext& ctx) {
  int64_t ids[2] = {0, 0};
  const char* invalid[2] = {protocol::err::kInvalidFirstDb, protocol::err::kInvalidSecondDb};
  for (int i = 0; i < 2; i++) {
    if (!ParseInt64(ctx.arg(static_cast<size_t>(i) + 1), &ids[i]) ||
        ids[i] < std::numeric_limits<int32_t>::min() ||
        ids[i] > std::numeric_limits<int32_t>::max()) {
      return Status::Error(invalid[i]);
    }
  }
  for (int64_t id : ids) {
    if (id < 0 || id >= storage::kNumDbs) return Status::Error(protocol::err::kDbOutOfRange);
  }
  ctx.keyspace.SwapDb(static_cast<int>(ids[0]), static_cast<int>(ids[1]));
  // Clients blocked in either database may now find a list, as in Redis (every shard is
  // locked: SWAPDB is kLockAll).
  if (BlockingRegistry* blocking = ctx.server.blocking();
      blocking != nullptr && blocking->blocked_clients() > 0) {
    for (int64_t id : ids) {
      for (const std::string& key : blocking->WaitedKeys(static_cast<int>(id))) {
        SignalIfBlockable(ctx, static_cast<int>(id), key);
      }
    }
  }
  ctx.reply.Ok();
  return Status::Ok();
}

}  // namespace

void RegisterKeyCommands(CommandTable& table) {
  constexpr uint32_t kKs = kCatKeyspace;
  constexpr const char* kGroup = "generic";
  table.Register({"del", -2, kWrite | kNoValueRead, kKs | kCatWrite | kCatSlow, 1, -1, 1, kGroup,
                  "1.0.0", "Deletes one or more keys.", Del});
  table.Register({"unlink", -2, kWrite | kFast | kNoValueRead, kKs | kCatWrite | kCatFast, 1, -1, 1,
                  kGroup, "4.0.0",
                  "Asynchronously deletes one or more keys. Otherwise it is just as DEL, but "
                  "non blocking.",
                  Del});
  table.Register({"exists", -2, kReadonly | kFast | kNoValueRead, kKs | kCatRead | kCatFast, 1, -1,
                  1, kGroup, "1.0.0", "Determines whether one or more keys exist.", Exists});
  table.Register({"touch", -2, kReadonly | kFast, kKs | kCatRead | kCatFast, 1, -1, 1, kGroup,
                  "3.2.1",
                  "Returns the number of existing keys out of those specified after updating "
                  "the time they were last accessed.",
                  Touch});
  table.Register({"type", 2, kReadonly | kFast | kNoValueRead, kKs | kCatRead | kCatFast, 1, 1, 1,
                  kGroup, "1.0.0", "Determines the type of value stored at a key.", Type});
  table.Register({"rename", 3, kWrite, kKs | kCatWrite | kCatSlow, 1, 2, 1, kGroup, "1.0.0",
                  "Renames a key and overwrites the destination.", Rename});
  table.Register({"renamenx", 3, kWrite | kFast, kKs | kCatWrite | kCatFast, 1, 2, 1, kGroup,
                  "1.0.0", "Renames a key only when the target key name doesn't exist.", RenameNx});
  table.Register({"copy", -3, kWrite | kDenyOom, kKs | kCatWrite | kCatSlow, 1, 2, 1, kGroup,
                  "6.2.0", "Copies the value of a key to a new key.", Copy});
  table.Register({"move", 3, kWrite | kFast, kKs | kCatWrite | kCatFast, 1, 1, 1, kGroup, "1.0.0",
                  "Moves a key to another database.", Move});
  table.Register({"keys", 2, kReadonly | kAwaitWarm, kKs | kCatRead | kCatSlow | kCatDangerous, 0, 0, 0, kGroup,
                  "1.0.0", "Returns all key names that match a pattern.", Keys});
  table.Register({"scan", -2, kReadonly | kAwaitWarm, kKs | kCatRead | kCatSlow, 0, 0, 0, kGroup, "2.8.0",
                  "Iterates over the key names in the database.", Scan});
  table.Register({"randomkey", 1, kReadonly | kAwaitWarm, kKs | kCatRead | kCatSlow, 0, 0, 0, kGroup, "1.0.0",
                  "Returns a random key name from the database.", RandomKey});
  table.Register({"dbsize", 1, kReadonly | kFast | kAwaitWarm, kKs | kCatRead | kCatFast, 0, 0, 0, kGroup,
                  "1.0.0", "Returns the number of keys in the database.", DbSize});
  table.Register({"flushdb", -1, kWrite | kLockAll, kKs | kCatWrite | kCatSlow | kCatDangerous, 0,
                  0, 0, kGroup, "1.0.0", "Removes all keys from the current database.", FlushDb});
  table.Register({"flushall", -1, kWrite | kLockAll, kKs | kCatWrite | kCatSlow | kCatDangerous, 0,
                  0, 0, kGroup, "1.0.0", "Removes all keys from all databases.", FlushAll});
  table.Register({"swapdb", 3, kWrite | kFast | kLockAll,
                  kKs | kCatWrite | kCatFast | kCatDangerous, 0, 0, 0, kGroup, "4.0.0",
                  "Swaps two Redis databases.", SwapDb});
  RegisterExpireCommands(table);
}

}  // namespace vellum::server
