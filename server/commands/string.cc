// String commands: GET SET SETNX SETEX PSETEX MGET MSET MSETNX GETEX GETDEL GETSET APPEND
// STRLEN GETRANGE SUBSTR SETRANGE INCR DECR INCRBY DECRBY INCRBYFLOAT, with Redis 7's
// argument parsing, reply types and error texts (t_string.c).
//
// Handlers run on a worker with the shards of their keys locked by the dispatcher (all
// keys of MGET/MSET/MSETNX at once, so those are atomic). Lookups that a read command
// does use FindForRead (keyspace hits/misses, as Redis's lookupKeyRead); writers look up
// with Find and report each change with MarkWritten only once it is made, so a command
// that fails (wrong type, overflow, ...) reports nothing. Create/Erase report themselves.
#include <charconv>
#include <climits>
#include <cmath>
#include <cstring>
#include <string>

#include "protocol/errors.h"
#include "server/client_state.h"
#include "server/command.h"
#include "server/command_table.h"
#include "server/commands/args.h"
#include "server/commands/registry.h"
#include "server/commands/string_ops.h"
#include "server/keyspace_events.h"
#include "server/server_state.h"

namespace vellum::server {
namespace {

using storage::Entry;
using storage::ValueType;

// ---- shared helpers ----

// Makes e hold the string v, dropping whatever it held before (of any type).
void StoreString(Entry* e, std::string_view v) {
  if (e->type != ValueType::kString) {
    e->DropValue();  // a collection payload
    e->type = ValueType::kString;
  }
  e->SetStr(v);
}

constexpr int64_t kKeepTtl = -1;
constexpr int64_t kClearTtl = 0;

// Redis's setKey (+ setExpire): stores v as a new string under key, replacing any value
// of any type. expire_at_ms: kKeepTtl, kClearTtl, or an absolute Unix time in ms; one
// already in the past leaves the key expired, so it is deleted at once (as the next
// access would) and nullptr is returned. `existing` is what Find returned for the key.
// A change to an existing entry is reported once complete (Create reports a new one).
// Raises Redis's keyspace events: "new" for a new key, `event`, "expire" with a TTL.
Entry* SetKey(CommandContext& ctx, std::string_view key, std::string_view v, Entry* existing,
              int64_t expire_at_ms, const char* event = "set") {
  Entry* e = existing;
  if (e == nullptr) {
    e = ctx.keyspace.Create(ctx.db, key, ctx.now_ms, v.size());
    StoreString(e, v);
    if (expire_at_ms > 0) ctx.keyspace.SetExpire(ctx.db, e, expire_at_ms);
  } else {
    StoreString(e, v);
    if (expire_at_ms > 0 || (expire_at_ms == kClearTtl && e->HasExpire())) {
      ctx.keyspace.SetExpire(ctx.db, e, expire_at_ms);
    }
    ctx.keyspace.MarkWritten(ctx.db, key);
  }
  if (existing == nullptr) ctx.Notify(KeyspaceEvents::kNew, "new", key);
  ctx.Notify(KeyspaceEvents::kString, event, key);
  if (expire_at_ms > 0) ctx.Notify(KeyspaceEvents::kGeneric, "expire", key);
  if (expire_at_ms > 0 && expire_at_ms <= ctx.now_ms) {
    ctx.keyspace.Find(ctx.db, key, ctx.now_ms);  // lazy expiry deletes it
    return nullptr;
  }
  return e;
}

// Redis's checkStringLength: would a string of size + append bytes exceed
// proto-max-bulk-len? Both are non-negative; no overflow.
Status CheckStringLength(CommandContext& ctx, uint64_t size, uint64_t append) {
  const int64_t limit = ctx.server.proto_max_bulk_len.load(std::memory_order_relaxed);
  if (limit < 0 || size > static_cast<uint64_t>(limit) ||
      append > static_cast<uint64_t>(limit) - size) {
    return Status::Error(protocol::err::kStringTooLong);
  }
  return Status::Ok();
}

// A stored value read as a float, as Redis's string2ld: besides ParseLongDouble's rules,
// at most 5119 bytes and no embedded NUL (strtold would stop at it).
bool ParseFloatValue(std::string_view s, long double* out) {
  if (s.size() >= 5 * 1024) return false;
  if (std::memchr(s.data(), '\0', s.size()) != nullptr) return false;
  return ParseLongDouble(s, out);
}

// ---- expiry options ----

enum class ExpireUnit : uint8_t { kNone, kSeconds, kMillis, kUnixSeconds, kUnixMillis };

Status InvalidExpireTime(const char* command) {
  return Status::Error(std::string("ERR invalid expire time in '") + command + "' command");
}

// Redis's getExpireMillisecondsOrReply: the argument as an absolute Unix time in ms.
// Relative units are added to now. `command` names the command in the error text.
Status ExpireAtMs(std::string_view arg, ExpireUnit unit, int64_t now_ms, const char* command,
                  int64_t* at_ms) {
  int64_t v = 0;
  VELLUM_RETURN_IF_ERROR(ParseIntArg(arg, &v));
  const bool seconds = unit == ExpireUnit::kSeconds || unit == ExpireUnit::kUnixSeconds;
  if (v <= 0 || (seconds && v > INT64_MAX / 1000)) return InvalidExpireTime(command);
  if (seconds) v *= 1000;
  if (unit == ExpireUnit::kSeconds || unit == ExpireUnit::kMillis) {
    if (v > INT64_MAX - now_ms) return InvalidExpireTime(command);
    v += now_ms;
  }
  *at_ms = v;
  return Status::Ok();
}

// The options SET shares with GETEX: NX XX GET KEEPTTL (SET only), PERSIST (GETEX only),
// EX PX EXAT PXAT. As in Redis, repeating an option is allowed (the last expire value
// wins) and only conflicting ones are a syntax error; the expire value is validated
// after the whole line parsed (ResolveExpire), so a syntax error anywhere comes first.
struct SetOptions {
  bool nx = false, xx = false, get = false, keepttl = false, persist = false;
  ExpireUnit unit = ExpireUnit::kNone;
  std::string_view expire_arg;
  bool has_expire() const { return unit != ExpireUnit::kNone; }
  bool absolute() const {
    return unit == ExpireUnit::kUnixSeconds || unit == ExpireUnit::kUnixMillis;
  }
};

enum OptionSet { kSetOptions, kGetExOptions };

// Parses options from argv[first..] as Redis's parseExtendedStringArgumentsOrReply.
Status ParseSetOptions(CommandContext& ctx, size_t first, OptionSet allowed, SetOptions* o) {
  const bool set = allowed == kSetOptions;
  for (size_t i = first; i < ctx.argc(); i++) {
    std::string_view a = ctx.arg(i);
    const bool has_next = i + 1 < ctx.argc();
    ExpireUnit unit = ExpireUnit::kNone;
    if (EqualsIgnoreCase(a, "ex")) unit = ExpireUnit::kSeconds;
    else if (EqualsIgnoreCase(a, "px")) unit = ExpireUnit::kMillis;
    else if (EqualsIgnoreCase(a, "exat")) unit = ExpireUnit::kUnixSeconds;
    else if (EqualsIgnoreCase(a, "pxat")) unit = ExpireUnit::kUnixMillis;

    if (unit != ExpireUnit::kNone) {
      if (!has_next || o->keepttl || o->persist || (o->has_expire() && o->unit != unit)) {
        return Status::Error(protocol::err::kSyntax);
      }
      o->unit = unit;
      o->expire_arg = ctx.arg(++i);
    } else if (set && EqualsIgnoreCase(a, "nx") && !o->xx) {
      o->nx = true;
    } else if (set && EqualsIgnoreCase(a, "xx") && !o->nx) {
      o->xx = true;
    } else if (set && EqualsIgnoreCase(a, "get")) {
      o->get = true;
    } else if (set && EqualsIgnoreCase(a, "keepttl") && !o->has_expire()) {
      o->keepttl = true;
    } else if (!set && EqualsIgnoreCase(a, "persist") && !o->has_expire()) {
      o->persist = true;
    } else {
      return Status::Error(protocol::err::kSyntax);
    }
  }
  return Status::Ok();
}

// The absolute expiry the options ask for (validated), or 0 when they give none.
Status ResolveExpire(CommandContext& ctx, const SetOptions& o, const char* command,
                     int64_t* at_ms) {
  *at_ms = 0;
  if (!o.has_expire()) return Status::Ok();
  return ExpireAtMs(o.expire_arg, o.unit, ctx.now_ms, command, at_ms);
}

// ---- GET SET and friends ----

Status Get(CommandContext& ctx) {
  Entry* e = ctx.keyspace.FindForRead(ctx.db, ctx.arg(1), ctx.now_ms);
  if (e == nullptr) {
    ctx.reply.Null();
    return Status::Ok();
  }
  if (e->type != ValueType::kString) return Status::Error(protocol::err::kWrongType);
  ctx.reply.Bulk(e->str());
  return Status::Ok();
}

// SET key value [NX | XX] [GET] [EX s | PX ms | EXAT ts | PXAT ms-ts | KEEPTTL]
Status Set(CommandContext& ctx) {
  SetOptions o;
  VELLUM_RETURN_IF_ERROR(ParseSetOptions(ctx, 3, kSetOptions, &o));
  int64_t at_ms = 0;
  VELLUM_RETURN_IF_ERROR(ResolveExpire(ctx, o, "set", &at_ms));
  const std::string_view key = ctx.arg(1);
  // Without GET the old value is never used: a value tiering left on disk is not read
  // back (kNoValueRead), only whether the key exists.
  Entry* e = o.get ? ctx.keyspace.FindForRead(ctx.db, key, ctx.now_ms)
                   : ctx.keyspace.FindKeyOnly(ctx.db, key, ctx.now_ms, /*count_lookup=*/false);
  if (o.get && e != nullptr && e->type != ValueType::kString) {
    return Status::Error(protocol::err::kWrongType);
  }
  if (o.get) {
    if (e == nullptr) ctx.reply.Null();
    else ctx.reply.Bulk(e->str());  // copied into the reply before the value changes
  }
  if ((o.nx && e != nullptr) || (o.xx && e == nullptr)) {
    if (!o.get) ctx.reply.Null();
    return Status::Ok();
  }
  // The write's own lookup (touches the access clock; an offloaded value is not read).
  if (e != nullptr) e = ctx.keyspace.FindToOverwrite(ctx.db, key, ctx.now_ms, ctx.arg(2).size());
  SetKey(ctx, key, ctx.arg(2), e, o.has_expire() ? at_ms : o.keepttl ? kKeepTtl : kClearTtl);
  if (!o.get) ctx.reply.Ok();
  return Status::Ok();
}

// SETNX key value -> 1 if set, 0 if the key existed.
Status SetNx(CommandContext& ctx) {
  Entry* e = ctx.keyspace.FindKeyOnly(ctx.db, ctx.arg(1), ctx.now_ms, /*count_lookup=*/false);
  if (e != nullptr) {
    ctx.reply.Integer(0);
    return Status::Ok();
  }
  SetKey(ctx, ctx.arg(1), ctx.arg(2), nullptr, kClearTtl);
  ctx.reply.Integer(1);
  return Status::Ok();
}

// SETEX key seconds value / PSETEX key milliseconds value.
Status SetWithExpire(CommandContext& ctx, ExpireUnit unit, const char* command) {
  int64_t at_ms = 0;
  VELLUM_RETURN_IF_ERROR(ExpireAtMs(ctx.arg(2), unit, ctx.now_ms, command, &at_ms));
  const std::string_view key = ctx.arg(1);
  Entry* e = ctx.keyspace.FindToOverwrite(ctx.db, key, ctx.now_ms, ctx.arg(3).size());
  SetKey(ctx, key, ctx.arg(3), e, at_ms);
  ctx.reply.Ok();
  return Status::Ok();
}

Status SetEx(CommandContext& ctx) { return SetWithExpire(ctx, ExpireUnit::kSeconds, "setex"); }
Status PSetEx(CommandContext& ctx) { return SetWithExpire(ctx, ExpireUnit::kMillis, "psetex"); }

// MGET key [key ...]: a missing key or one of another type is a null.
Status MGet(CommandContext& ctx) {
  ctx.reply.ArrayHeader(ctx.argc() - 1);
  for (size_t i = 1; i < ctx.argc(); i++) {
    Entry* e = ctx.keyspace.FindForRead(ctx.db, ctx.arg(i), ctx.now_ms);
    if (e == nullptr || e->type != ValueType::kString) ctx.reply.Null();
    else ctx.reply.Bulk(e->str());
  }
  return Status::Ok();
}

// MSET / MSETNX key value [key value ...]. All shards are locked: atomic.
Status MSetGeneric(CommandContext& ctx, bool nx) {
  if (ctx.argc() % 2 == 0) {
    return Status::Error(nx ? "ERR wrong number of arguments for 'msetnx' command"
                            : "ERR wrong number of arguments for 'mset' command");
  }
  if (nx) {
    for (size_t i = 1; i < ctx.argc(); i += 2) {
      if (ctx.keyspace.FindKeyOnly(ctx.db, ctx.arg(i), ctx.now_ms, false) != nullptr) {
        ctx.reply.Integer(0);
        return Status::Ok();
      }
    }
  }
  for (size_t i = 1; i < ctx.argc(); i += 2) {
    // Looked up again each time: a key may repeat in the list (the last value wins).
    Entry* e = ctx.keyspace.FindToOverwrite(ctx.db, ctx.arg(i), ctx.now_ms, ctx.arg(i + 1).size());
    SetKey(ctx, ctx.arg(i), ctx.arg(i + 1), e, kClearTtl);
  }
  if (nx) ctx.reply.Integer(1);
  else ctx.reply.Ok();
  return Status::Ok();
}

Status MSet(CommandContext& ctx) { return MSetGeneric(ctx, false); }
Status MSetNx(CommandContext& ctx) { return MSetGeneric(ctx, true); }

// GETEX key [EX s | PX ms | EXAT ts | PXAT ms-ts | PERSIST]. Without options the TTL
// is left alone.
Status GetEx(CommandContext& ctx) {
  SetOptions o;
  VELLUM_RETURN_IF_ERROR(ParseSetOptions(ctx, 2, kGetExOptions, &o));
  const std::string_view key = ctx.arg(1);
  Entry* e = ctx.keyspace.FindForRead(ctx.db, key, ctx.now_ms);
  if (e == nullptr) {
    ctx.reply.Null();  // as Redis: even when the expire value is invalid
    return Status::Ok();
  }
  if (e->type != ValueType::kString) return Status::Error(protocol::err::kWrongType);
  int64_t at_ms = 0;
  VELLUM_RETURN_IF_ERROR(ResolveExpire(ctx, o, "getex", &at_ms));
  ctx.reply.Bulk(e->str());
  if (o.absolute() && at_ms <= ctx.now_ms) {
    ctx.keyspace.Erase(ctx.db, key);
    ctx.Notify(KeyspaceEvents::kGeneric, "del", key);
  } else if (o.has_expire()) {
    ctx.keyspace.SetExpire(ctx.db, e, at_ms);
    ctx.keyspace.MarkWritten(ctx.db, key);
    ctx.Notify(KeyspaceEvents::kGeneric, "expire", key);
  } else if (o.persist && e->HasExpire()) {
    ctx.keyspace.SetExpire(ctx.db, e, 0);
    ctx.keyspace.MarkWritten(ctx.db, key);
    ctx.Notify(KeyspaceEvents::kGeneric, "persist", key);
  }
  return Status::Ok();
}

// GETDEL key: the value, then the key is deleted.
Status GetDel(CommandContext& ctx) {
  Entry* e = ctx.keyspace.FindForRead(ctx.db, ctx.arg(1), ctx.now_ms);
  if (e == nullptr) {
    ctx.reply.Null();
    return Status::Ok();
  }
  if (e->type != ValueType::kString) return Status::Error(protocol::err::kWrongType);
  ctx.reply.Bulk(e->str());
  ctx.keyspace.Erase(ctx.db, ctx.arg(1));
  ctx.Notify(KeyspaceEvents::kGeneric, "del", ctx.arg(1));
  return Status::Ok();
}

// GETSET key value: the old value (or null); the new one is set and the TTL cleared.
Status GetSet(CommandContext& ctx) {
  Entry* e = ctx.keyspace.FindForRead(ctx.db, ctx.arg(1), ctx.now_ms);
  if (e != nullptr && e->type != ValueType::kString) {
    return Status::Error(protocol::err::kWrongType);
  }
  if (e == nullptr) ctx.reply.Null();
  else ctx.reply.Bulk(e->str());
  SetKey(ctx, ctx.arg(1), ctx.arg(2), e, kClearTtl);
  return Status::Ok();
}

// APPEND key value -> the new length. Keeps the TTL.
Status Append(CommandContext& ctx) {
  const std::string_view key = ctx.arg(1), value = ctx.arg(2);
  Entry* e = ctx.keyspace.Find(ctx.db, key, ctx.now_ms);
  if (e == nullptr) {
    e = SetKey(ctx, key, value, nullptr, kClearTtl, "append");
  } else {
    if (e->type != ValueType::kString) return Status::Error(protocol::err::kWrongType);
    VELLUM_RETURN_IF_ERROR(CheckStringLength(ctx, e->str().size(), value.size()));
    e->MutableStr().append(value.data(), value.size());
    ctx.keyspace.MarkWritten(ctx.db, key);
    ctx.Notify(KeyspaceEvents::kString, "append", key);
  }
  ctx.reply.Integer(static_cast<int64_t>(e->str().size()));
  return Status::Ok();
}

// STRLEN key -> the length, 0 for a missing key.
Status StrLen(CommandContext& ctx) {
  Entry* e = ctx.keyspace.FindForRead(ctx.db, ctx.arg(1), ctx.now_ms);
  if (e == nullptr) {
    ctx.reply.Integer(0);
    return Status::Ok();
  }
  if (e->type != ValueType::kString) return Status::Error(protocol::err::kWrongType);
  ctx.reply.Integer(static_cast<int64_t>(e->str().size()));
  return Status::Ok();
}

// GETRANGE key start end (and SUBSTR): inclusive, negative indexes count from the end;
// anything out of range is an empty string (also for a missing key).
Status GetRange(CommandContext& ctx) {
  int64_t start = 0, end = 0;
  VELLUM_RETURN_IF_ERROR(ParseIntArg(ctx.arg(2), &start));
  VELLUM_RETURN_IF_ERROR(ParseIntArg(ctx.arg(3), &end));
  Entry* e = ctx.keyspace.FindForRead(ctx.db, ctx.arg(1), ctx.now_ms);
  if (e == nullptr) {
    ctx.reply.Bulk("");
    return Status::Ok();
  }
  if (e->type != ValueType::kString) return Status::Error(protocol::err::kWrongType);
  const std::string_view s = e->str();
  const int64_t len = static_cast<int64_t>(s.size());
  if (start < 0 && end < 0 && start > end) {
    ctx.reply.Bulk("");
    return Status::Ok();
  }
  if (start < 0) start += len;  // len < 2^62: no overflow
  if (end < 0) end += len;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (len == 0 || start > end) {
    ctx.reply.Bulk("");
  } else {
    ctx.reply.Bulk(s.substr(static_cast<size_t>(start), static_cast<size_t>(end - start + 1)));
  }
  return Status::Ok();
}

// SETRANGE key offset value -> the new length. Pads with zero bytes; keeps the TTL.
Status SetRange(CommandContext& ctx) {
  int64_t offset = 0;
  VELLUM_RETURN_IF_ERROR(ParseIntArg(ctx.arg(2), &offset));
  if (offset < 0) return Status::Error(protocol::err::kOffsetOutOfRange);
  const std::string_view key = ctx.arg(1), value = ctx.arg(3);
  Entry* e = ctx.keyspace.Find(ctx.db, key, ctx.now_ms);
  const bool existed = e != nullptr;
  if (e == nullptr) {
    if (value.empty()) {  // nothing to set: no key is created
      ctx.reply.Integer(0);
      return Status::Ok();
    }
    VELLUM_RETURN_IF_ERROR(CheckStringLength(ctx, static_cast<uint64_t>(offset), value.size()));
    e = ctx.keyspace.Create(ctx.db, key, ctx.now_ms);
  } else {
    if (e->type != ValueType::kString) return Status::Error(protocol::err::kWrongType);
    if (value.empty()) {
      ctx.reply.Integer(static_cast<int64_t>(e->str().size()));
      return Status::Ok();
    }
    VELLUM_RETURN_IF_ERROR(CheckStringLength(ctx, static_cast<uint64_t>(offset), value.size()));
  }
  const size_t off = static_cast<size_t>(offset);
  if (e->str().size() < off + value.size()) e->MutableStr().resize(off + value.size(), '\0');
  e->MutableStr().replace(off, value.size(), value.data(), value.size());
  if (existed) ctx.keyspace.MarkWritten(ctx.db, key);  // Create reported a new key
  if (!existed) ctx.Notify(KeyspaceEvents::kNew, "new", key);
  ctx.Notify(KeyspaceEvents::kString, "setrange", key);
  ctx.reply.Integer(static_cast<int64_t>(e->str().size()));
  return Status::Ok();
}

// ---- counters ----

// Redis's incrDecrCommand: adds incr to the integer at key (0 if missing). Keeps the TTL.
// Allocation-free for an existing key: the digits go straight into its buffer.
Status IncrDecr(CommandContext& ctx, int64_t incr) {
  const std::string_view key = ctx.arg(1);
  Entry* e = ctx.keyspace.Find(ctx.db, key, ctx.now_ms);
  int64_t value = 0;
  if (e != nullptr) {
    if (e->type != ValueType::kString) return Status::Error(protocol::err::kWrongType);
    if (!ParseInt64(e->str(), &value)) return Status::Error(protocol::err::kNotInteger);
  }
  if ((incr < 0 && value < 0 && incr < INT64_MIN - value) ||
      (incr > 0 && value > 0 && incr > INT64_MAX - value)) {
    return Status::Error(protocol::err::kOverflow);
  }
  value += incr;
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  (void)ec;  // 24 bytes always hold an int64
  if (e == nullptr) {
    e = ctx.keyspace.Create(ctx.db, key, ctx.now_ms);
    StoreString(e, std::string_view(buf, static_cast<size_t>(end - buf)));
    ctx.Notify(KeyspaceEvents::kNew, "new", key);
  } else {
    e->SetStr(std::string_view(buf, static_cast<size_t>(end - buf)));
    ctx.keyspace.MarkWritten(ctx.db, key);
  }
  ctx.Notify(KeyspaceEvents::kString, "incrby", key);
  ctx.reply.Integer(value);
  return Status::Ok();
}

Status Incr(CommandContext& ctx) { return IncrDecr(ctx, 1); }
Status Decr(CommandContext& ctx) { return IncrDecr(ctx, -1); }

Status IncrBy(CommandContext& ctx) {
  int64_t incr = 0;
  VELLUM_RETURN_IF_ERROR(ParseIntArg(ctx.arg(2), &incr));
  return IncrDecr(ctx, incr);
}

Status DecrBy(CommandContext& ctx) {
  int64_t decr = 0;
  VELLUM_RETURN_IF_ERROR(ParseIntArg(ctx.arg(2), &decr));
  if (decr == INT64_MIN) return Status::Error(protocol::err::kDecrementOverflow);
  return IncrDecr(ctx, -decr);
}

// INCRBYFLOAT key increment -> the new value as a bulk string ("%.17Lf", trailing zeros
// trimmed). Keeps the TTL.
Status IncrByFloat(CommandContext& ctx) {
  const std::string_view key = ctx.arg(1);
  Entry* e = ctx.keyspace.Find(ctx.db, key, ctx.now_ms);
  long double value = 0, incr = 0;
  if (e != nullptr) {
    if (e->type != ValueType::kString) return Status::Error(protocol::err::kWrongType);
    if (!ParseFloatValue(e->str(), &value)) return Status::Error(protocol::err::kNotFloat);
  }
  if (!ParseFloatValue(ctx.arg(2), &incr)) return Status::Error(protocol::err::kNotFloat);
  value += incr;
  if (std::isnan(value) || std::isinf(value)) return Status::Error(protocol::err::kNanOrInf);
  const std::string text = FormatLongDoubleHuman(value);
  if (e == nullptr) {
    e = ctx.keyspace.Create(ctx.db, key, ctx.now_ms);
    StoreString(e, text);
    ctx.Notify(KeyspaceEvents::kNew, "new", key);
  } else {
    e->SetStr(text);
    ctx.keyspace.MarkWritten(ctx.db, key);
  }
  ctx.Notify(KeyspaceEvents::kString, "incrbyfloat", key);
  ctx.reply.Bulk(text);
  return Status::Ok();
}

}  // namespace

Entry* StoreStringKey(CommandContext& ctx, std::string_view key, std::string_view v,
                      Entry* existing, const char* event) {
  return SetKey(ctx, key, v, existing, kClearTtl, event);
}

void RegisterStringCommands(CommandTable& table) {
  constexpr uint32_t kR = kCatRead | kCatString;
  constexpr uint32_t kW = kCatWrite | kCatString;
  table.Register({"get", 2, kReadonly | kFast, kR | kCatFast, 1, 1, 1, "string", "1.0.0",
                  "Returns the string value of a key.", Get});
  table.Register({"set", -3, kWrite | kDenyOom | kNoValueRead, kW | kCatSlow, 1, 1, 1, "string",
                  "1.0.0",
                  "Sets the string value of a key, ignoring its type. The key is created if "
                  "it doesn't exist.",
                  Set});
  table.Register({"setnx", 3, kWrite | kDenyOom | kFast | kNoValueRead, kW | kCatFast, 1, 1, 1,
                  "string", "1.0.0",
                  "Set the string value of a key only when the key doesn't exist.", SetNx});
  table.Register({"setex", 4, kWrite | kDenyOom | kNoValueRead, kW | kCatSlow, 1, 1, 1, "string",
                  "2.0.0",
                  "Sets the string value and expiration time of a key. Creates the key if it "
                  "doesn't exist.",
                  SetEx});
  table.Register({"psetex", 4, kWrite | kDenyOom | kNoValueRead, kW | kCatSlow, 1, 1, 1, "string",
                  "2.6.0",
                  "Sets both string value and expiration time in milliseconds of a key. The "
                  "key is created if it doesn't exist.",
                  PSetEx});
  table.Register({"mget", -2, kReadonly | kFast, kR | kCatFast, 1, -1, 1, "string", "1.0.0",
                  "Atomically returns the string values of one or more keys.", MGet});
  table.Register({"mset", -3, kWrite | kDenyOom | kNoValueRead, kW | kCatSlow, 1, -1, 2, "string",
                  "1.0.1", "Atomically creates or modifies the string values of one or more keys.",
                  MSet});
  table.Register({"msetnx", -3, kWrite | kDenyOom | kNoValueRead, kW | kCatSlow, 1, -1, 2, "string",
                  "1.0.1",
                  "Atomically modifies the string values of one or more keys only when all "
                  "keys don't exist.",
                  MSetNx});
  table.Register({"getex", -2, kWrite | kFast, kW | kCatFast, 1, 1, 1, "string", "6.2.0",
                  "Returns the string value of a key after setting its expiration time.",
                  GetEx});
  table.Register({"getdel", 2, kWrite | kFast, kW | kCatFast, 1, 1, 1, "string", "6.2.0",
                  "Returns the string value of a key after deleting the key.", GetDel});
  table.Register({"getset", 3, kWrite | kDenyOom | kFast, kW | kCatFast, 1, 1, 1, "string",
                  "1.0.0",
                  "Returns the previous string value of a key after setting it to a new value.",
                  GetSet});
  table.Register({"append", 3, kWrite | kDenyOom | kFast, kW | kCatFast, 1, 1, 1, "string",
                  "2.0.0",
                  "Appends a string to the value of a key. Creates the key if it doesn't exist.",
                  Append});
  table.Register({"strlen", 2, kReadonly | kFast, kR | kCatFast, 1, 1, 1, "string", "2.2.0",
                  "Returns the length of a string value.", StrLen});
  table.Register({"getrange", 4, kReadonly, kR | kCatSlow, 1, 1, 1, "string", "2.4.0",
                  "Returns a substring of the string stored at a key.", GetRange});
  table.Register({"substr", 4, kReadonly, kR | kCatSlow, 1, 1, 1, "string", "1.0.0",
                  "Returns a substring from a string value.", GetRange});
  table.Register({"setrange", 4, kWrite | kDenyOom, kW | kCatSlow, 1, 1, 1, "string", "2.2.0",
                  "Overwrites a part of a string value with another by an offset. Creates the "
                  "key if it doesn't exist.",
                  SetRange});
  table.Register({"incr", 2, kWrite | kDenyOom | kFast, kW | kCatFast, 1, 1, 1, "string",
                  "1.0.0",
                  "Increments the integer value of a key by one. Uses 0 as initial value if "
                  "the key doesn't exist.",
                  Incr});
  table.Register({"decr", 2, kWrite | kDenyOom | kFast, kW | kCatFast, 1, 1, 1, "string",
                  "1.0.0",
                  "Decrements the integer value of a key by one. Uses 0 as initial value if "
                  "the key doesn't exist.",
                  Decr});
  table.Register({"incrby", 3, kWrite | kDenyOom | kFast, kW | kCatFast, 1, 1, 1, "string",
                  "1.0.0",
                  "Increments the integer value of a key by a number. Uses 0 as initial value "
                  "if the key doesn't exist.",
                  IncrBy});
  table.Register({"decrby", 3, kWrite | kDenyOom | kFast, kW | kCatFast, 1, 1, 1, "string",
                  "1.0.0",
                  "Decrements a number from the integer value of a key. Uses 0 as initial "
                  "value if the key doesn't exist.",
                  DecrBy});
  table.Register({"incrbyfloat", 3, kWrite | kDenyOom | kFast, kW | kCatFast, 1, 1, 1,
                  "string", "2.6.0",
                  "Increment the floating point value of a key by a number. Uses 0 as initial "
                  "value if the key doesn't exist.",
                  IncrByFloat});
}

}  // namespace vellum::server
