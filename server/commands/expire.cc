// Expiry commands: EXPIRE PEXPIRE EXPIREAT PEXPIREAT (with NX XX GT LT), TTL PTTL
// EXPIRETIME PEXPIRETIME PERSIST. Each names one key, whose shard the dispatcher has
// locked. Expired keys are removed lazily by Keyspace::Find and actively by the
// server's expiry cycle; nothing here needs to know about either.
#include "server/commands/expire.h"

#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/errors.h"
#include "server/command.h"
#include "server/commands/args.h"
#include "server/keyspace_events.h"

namespace vellum::server {
namespace {

using storage::Entry;

enum ExpireFlag : unsigned { kExpireNx = 1, kExpireXx = 2, kExpireGt = 4, kExpireLt = 8 };

// The NX XX GT LT options from argv[3..], checked as Redis 7 does: unknown options
// first, then the incompatible pairs. Repeating an option is allowed.
Status ParseExpireFlags(const CommandContext& ctx, unsigned* flags) {
  *flags = 0;
  for (size_t i = 3; i < ctx.argc(); i++) {
    std::string_view opt = ctx.arg(i);
    if (EqualsIgnoreCase(opt, "nx")) {
      *flags |= kExpireNx;
    } else if (EqualsIgnoreCase(opt, "xx")) {
      *flags |= kExpireXx;
    } else if (EqualsIgnoreCase(opt, "gt")) {
      *flags |= kExpireGt;
    } else if (EqualsIgnoreCase(opt, "lt")) {
      *flags |= kExpireLt;
    } else {
      return Status::Error("ERR Unsupported option " + std::string(opt));
    }
  }
  if ((*flags & kExpireNx) && (*flags & (kExpireXx | kExpireGt | kExpireLt))) {
    return Status::Error(protocol::err::kExpireNxConflict);
  }
  if ((*flags & kExpireGt) && (*flags & kExpireLt)) {
    return Status::Error(protocol::err::kExpireGtLtConflict);
  }
  return Status::Ok();
}

// Whether the flags let a key whose expiry is `current` (-1: none, i.e. infinite) take
// the new absolute expiry `when`.
bool FlagsAllow(unsigned flags, int64_t current, int64_t when) {
  if ((flags & kExpireNx) && current != -1) return false;
  if ((flags & kExpireXx) && current == -1) return false;
  if ((flags & kExpireGt) && (current == -1 || when <= current)) return false;
  if ((flags & kExpireLt) && current != -1 && when >= current) return false;
  return true;
}

// The body of the four EXPIRE commands. `name` is the command's name for the overflow
// error; the time argument is in seconds if `seconds`, and relative to now if
// `relative`. Replies 1 when the expiry was set (or the key deleted because the time
// is already past), 0 when the key is missing or a flag refused the change.
Status ExpireGeneric(CommandContext& ctx, const char* name, bool relative, bool seconds) {
  unsigned flags = 0;
  VELLUM_RETURN_IF_ERROR(ParseExpireFlags(ctx, &flags));
  int64_t when = 0;
  VELLUM_RETURN_IF_ERROR(ParseIntArg(ctx.arg(2), &when));
  const int64_t base = relative ? ctx.now_ms : 0;
  auto invalid = [name] {
    return Status::Error(std::string("ERR invalid expire time in '") + name + "' command");
  };
  if (seconds) {
    if (when > INT64_MAX / 1000 || when < INT64_MIN / 1000) return invalid();
    when *= 1000;
  }
  if (when > INT64_MAX - base) return invalid();
  when += base;

  std::string_view key = ctx.arg(1);
  Entry* e = ctx.keyspace.Find(ctx.db, key, ctx.now_ms);
  if (e == nullptr || !FlagsAllow(flags, e->HasExpire() ? e->expire_at_ms : -1, when)) {
    ctx.reply.Integer(0);
    return Status::Ok();
  }
  if (when <= ctx.now_ms) {
    (void)ctx.keyspace.Erase(ctx.db, key);  // a time already past deletes the key
    ctx.Notify(KeyspaceEvents::kGeneric, "del", key);
  } else {
    ctx.keyspace.SetExpire(ctx.db, e, when);
    ctx.keyspace.MarkWritten(ctx.db, key);
    ctx.Notify(KeyspaceEvents::kGeneric, "expire", key);
  }
  ctx.reply.Integer(1);
  return Status::Ok();
}

Status Expire(CommandContext& ctx) { return ExpireGeneric(ctx, "expire", true, true); }
Status PExpire(CommandContext& ctx) { return ExpireGeneric(ctx, "pexpire", true, false); }
Status ExpireAt(CommandContext& ctx) { return ExpireGeneric(ctx, "expireat", false, true); }
Status PExpireAt(CommandContext& ctx) { return ExpireGeneric(ctx, "pexpireat", false, false); }

// TTL PTTL EXPIRETIME PEXPIRETIME: -2 if the key is missing, -1 if it has no expiry,
// else the time left (or the absolute expiry if `absolute`), never negative. Seconds are
// rounded to the nearest, as Redis's (ms + 500) / 1000 (computed without overflow).
Status TtlGeneric(CommandContext& ctx, bool ms, bool absolute) {
  const Entry* e = ctx.keyspace.FindKeyOnly(ctx.db, ctx.arg(1), ctx.now_ms, true);
  if (e == nullptr || !e->HasExpire()) {
    ctx.reply.Integer(e == nullptr ? -2 : -1);
    return Status::Ok();
  }
  int64_t v = absolute ? e->expire_at_ms : e->expire_at_ms - ctx.now_ms;
  if (v < 0) v = 0;
  if (!ms) v = v / 1000 + (v % 1000 >= 500 ? 1 : 0);
  ctx.reply.Integer(v);
  return Status::Ok();
}

Status Ttl(CommandContext& ctx) { return TtlGeneric(ctx, false, false); }
Status PTtl(CommandContext& ctx) { return TtlGeneric(ctx, true, false); }
Status ExpireTime(CommandContext& ctx) { return TtlGeneric(ctx, false, true); }
Status PExpireTime(CommandContext& ctx) { return TtlGeneric(ctx, true, true); }

// PERSIST: 1 if an expiry was removed, 0 if the key is missing or had none.
Status Persist(CommandContext& ctx) {
  Entry* e = ctx.keyspace.Find(ctx.db, ctx.arg(1), ctx.now_ms);
  if (e == nullptr || !e->HasExpire()) {
    ctx.reply.Integer(0);
    return Status::Ok();
  }
  ctx.keyspace.SetExpire(ctx.db, e, 0);
  ctx.keyspace.MarkWritten(ctx.db, ctx.arg(1));
  ctx.Notify(KeyspaceEvents::kGeneric, "persist", ctx.arg(1));
  ctx.reply.Integer(1);
  return Status::Ok();
}

}  // namespace

void RegisterExpireCommands(CommandTable& table) {
  constexpr uint32_t kWriteCats = kCatKeyspace | kCatWrite | kCatFast;
  constexpr uint32_t kReadCats = kCatKeyspace | kCatRead | kCatFast;
  constexpr const char* kGroup = "generic";
  table.Register({"expire", -3, kWrite | kFast, kWriteCats, 1, 1, 1, kGroup, "1.0.0",
                  "Sets the expiration time of a key in seconds.", Expire});
  table.Register({"pexpire", -3, kWrite | kFast, kWriteCats, 1, 1, 1, kGroup, "2.6.0",
                  "Sets the expiration time of a key in milliseconds.", PExpire});
  table.Register({"expireat", -3, kWrite | kFast, kWriteCats, 1, 1, 1, kGroup, "1.2.0",
                  "Sets the expiration time of a key to a Unix timestamp.", ExpireAt});
  table.Register({"pexpireat", -3, kWrite | kFast, kWriteCats, 1, 1, 1, kGroup, "2.6.0",
                  "Sets the expiration time of a key to a Unix milliseconds timestamp.",
                  PExpireAt});
  table.Register({"ttl", 2, kReadonly | kFast | kNoValueRead, kReadCats, 1, 1, 1, kGroup, "1.0.0",
                  "Returns the expiration time in seconds of a key.", Ttl});
  table.Register({"pttl", 2, kReadonly | kFast | kNoValueRead, kReadCats, 1, 1, 1, kGroup, "2.6.0",
                  "Returns the expiration time in milliseconds of a key.", PTtl});
  table.Register({"expiretime", 2, kReadonly | kFast | kNoValueRead, kReadCats, 1, 1, 1, kGroup,
                  "7.0.0", "Returns the expiration time of a key as a Unix timestamp.",
                  ExpireTime});
  table.Register({"pexpiretime", 2, kReadonly | kFast | kNoValueRead, kReadCats, 1, 1, 1, kGroup,
                  "7.0.0", "Returns the expiration time of a key as a Unix milliseconds timestamp.",
                  PExpireTime});
  table.Register({"persist", 2, kWrite | kFast, kWriteCats, 1, 1, 1, kGroup, "2.2.0",
                  "Removes the expiration time of a key.", Persist});
}

}  // namespace vellum::server
