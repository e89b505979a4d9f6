// Hash commands: HSET HSETNX HGET HMGET HMSET HGETALL HDEL HEXISTS HLEN HKEYS HVALS
// HSTRLEN HINCRBY HINCRBYFLOAT HRANDFIELD HSCAN, with Redis 7.0's argument parsing,
// reply types (RESP3 maps and pairs) and error texts (t_hash.c).
//
// Each command names one key; the dispatcher holds its shard lock. Readers look up with
// FindForRead; writers with Find, and report the change once made (MarkWritten, or
// Create/Erase, which report themselves), so a command that fails reports nothing. A
// hash left with no field is deleted, as in Redis. The value itself is storage::HashValue.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "common/glob.h"
#include "protocol/errors.h"
#include "server/command.h"
#include "server/command_table.h"
#include "server/commands/args.h"
#include "server/commands/collection_args.h"
#include "server/commands/collection_writes.h"
#include "server/commands/registry.h"
#include "server/commands/typed_lookup.h"
#include "server/keyspace_events.h"

namespace vellum::server {
namespace {

using storage::Entry;
using storage::HashValue;
using storage::ValueType;

// ---- lookups ----

// The hash at key for a read: *h is nullptr when the key is missing; WRONGTYPE when it
// holds another type.
Status ReadHash(CommandContext& ctx, std::string_view key, const HashValue** h) {
  return ReadTyped(ctx, key, ValueType::kHash, &Entry::hash_value, h);
}

// The hash at key for a write, created empty if missing (*created says so; the caller
// must then store at least one field, or erase the key). WRONGTYPE for another type.
Status WriteHash(CommandContext& ctx, std::string_view key, Entry** out, bool* created) {
  Entry* e = ctx.keyspace.Find(ctx.db, key, ctx.now_ms);
  *created = e == nullptr;
  if (e == nullptr) {
    e = ctx.keyspace.Create(ctx.db, key, ctx.now_ms);
    e->type = ValueType::kHash;
    e->hash_value.emplace();
  } else if (e->type != ValueType::kHash) {
    return Status::Error(protocol::err::kWrongType);
  }
  *out = e;
  return Status::Ok();
}

// Reports a completed write of `fields` to key: "new" if it was created (Create reported
// the whole key), then `event`.
void Written(CommandContext& ctx, std::string_view key, bool created, const char* event,
             std::span<const std::string_view> fields) {
  if (created) {
    ctx.Notify(KeyspaceEvents::kNew, "new", key);
  } else {
    ctx.keyspace.MarkFieldsWritten(ctx.db, key, fields);
  }
  ctx.Notify(KeyspaceEvents::kHash, event, key);
}

// A stored value read as a float, as Redis's string2ld: at most 5119 bytes, no NUL.
bool ParseFloatValue(std::string_view s, long double* out) {
  if (s.size() >= 5 * 1024) return false;
  if (std::memchr(s.data(), '\0', s.size()) != nullptr) return false;
  return ParseLongDouble(s, out);
}

// ---- setters ----

// HSET key field value [field value ...] -> fields added; HMSET -> OK.
Status HSetGeneric(CommandContext& ctx, bool hmset) {
  if (ctx.argc() % 2 == 1) {
    return Status::Error(hmset ? "ERR wrong number of arguments for 'hmset' command"
                               : "ERR wrong number of arguments for 'hset' command");
  }
  const std::string_view key = ctx.arg(1);
  Entry* e = nullptr;
  bool created = false;
  VELLUM_RETURN_IF_ERROR(WriteHash(ctx, key, &e, &created));
  if (created) {  // no growth slack: room for exactly these fields
    size_t bytes = 0, longest = 0;
    for (size_t i = 2; i < ctx.argc(); i++) {
      bytes += 1 + ctx.arg(i).size();
      longest = std::max(longest, ctx.arg(i).size());
    }
    e->hash_value->Reserve((ctx.argc() - 2) / 2, bytes, longest);
  }
  int64_t added = 0;
  std::vector<std::string_view> fields;
  fields.reserve((ctx.argc() - 2) / 2);
  for (size_t i = 2; i < ctx.argc(); i += 2) {
    if (e->hash_value->Set(ctx.arg(i), ctx.arg(i + 1))) added++;
    fields.push_back(ctx.arg(i));
  }
  Written(ctx, key, created, "hset", fields);
  if (hmset) {
    ctx.reply.Ok();
  } else {
    ctx.reply.Integer(added);
  }
  return Status::Ok();
}

Status HSet(CommandContext& ctx) { return HSetGeneric(ctx, false); }
Status HMSet(CommandContext& ctx) { return HSetGeneric(ctx, true); }

// HSETNX key field value -> 1 if set, 0 if the field existed.
Status HSetNx(CommandContext& ctx) {
  const std::string_view key = ctx.arg(1);
  Entry* e = ctx.keyspace.Find(ctx.db, key, ctx.now_ms);
  if (e != nullptr && e->type != ValueType::kHash) {
    return Status::Error(protocol::err::kWrongType);
  }
  if (e != nullptr && e->hash_value->Get(ctx.arg(2)).has_value()) {
    ctx.reply.Integer(0);
    return Status::Ok();
  }
  bool created = false;
  VELLUM_RETURN_IF_ERROR(WriteHash(ctx, key, &e, &created));
  e->hash_value->Set(ctx.arg(2), ctx.arg(3));
  const std::string_view field = ctx.arg(2);
  Written(ctx, key, created, "hset", {&field, 1});
  ctx.reply.Integer(1);
  return Status::Ok();
}

// HDEL key field [field ...] -> fields removed. The key goes with its last field.
Status HDel(CommandContext& ctx) {
  const std::string_view key = ctx.arg(1);
  Entry* e = ctx.keyspace.Find(ctx.db, key, ctx.now_ms);
  if (e == nullptr) {
    ctx.reply.Integer(0);
    return Status::Ok();
  }
  if (e->type != ValueType::kHash) return Status::Error(protocol::err::kWrongType);
  int64_t removed = 0;
  std::vector<std::string_view> fields;
  for (size_t i = 2; i < ctx.argc(); i++) {
    if (e->hash_value->Delete(ctx.arg(i))) {
      removed++;
      fields.push_back(ctx.arg(i));
      if (e->hash_value->empty()) break;
    }
  }
  if (removed > 0) {
    AfterMembersRemoved(ctx, key, e->hash_value->empty(), KeyspaceEvents::kHash, "hdel", fields);
  }
  ctx.reply.Integer(removed);
  return Status::Ok();
}

// HINCRBY key field increment -> the new value. A missing field counts as 0.
Status HIncrBy(CommandContext& ctx) {
  int64_t incr = 0;
  VELLUM_RETURN_IF_ERROR(ParseIntArg(ctx.arg(3), &incr));
  const std::string_view key = ctx.arg(1), field = ctx.arg(2);
  Entry* e = ctx.keyspace.Find(ctx.db, key, ctx.now_ms);
  if (e != nullptr && e->type != ValueType::kHash) {
    return Status::Error(protocol::err::kWrongType);
  }
  int64_t value = 0;
  if (e != nullptr) {
    std::optional<std::string_view> old = e->hash_value->Get(field);
    if (old && !ParseInt64(*old, &value)) {
      return Status::Error(protocol::err::kHashValueNotInteger);
    }
  }
  if ((incr < 0 && value < 0 && incr < INT64_MIN - value) ||
      (incr > 0 && value > 0 && incr > INT64_MAX - value)) {
    return Status::Error(protocol::err::kOverflow);
  }
  value += incr;
  bool created = false;
  VELLUM_RETURN_IF_ERROR(WriteHash(ctx, key, &e, &created));
  e->hash_value->Set(field, std::to_string(value));
  Written(ctx, key, created, "hincrby", {&field, 1});
  ctx.reply.Integer(value);
  return Status::Ok();
}

// HINCRBYFLOAT key field increment -> the new value as a bulk string (Redis's human
// long-double format).
Status HIncrByFloat(CommandContext& ctx) {
  long double incr = 0;
  VELLUM_RETURN_IF_ERROR(ParseFloatArg(ctx.arg(3), &incr));
  if (std::isnan(incr) || std::isinf(incr)) return Status::Error(protocol::err::kIncrNanOrInf);
  const std::string_view key = ctx.arg(1), field = ctx.arg(2);
  Entry* e = ctx.keyspace.Find(ctx.db, key, ctx.now_ms);
  if (e != nullptr && e->type != ValueType::kHash) {
    return Status::Error(protocol::err::kWrongType);
  }
  long double value = 0;
  if (e != nullptr) {
    std::optional<std::string_view> old = e->hash_value->Get(field);
    if (old && !ParseFloatValue(*old, &value)) {
      return Status::Error(protocol::err::kHashValueNotFloat);
    }
  }
  value += incr;
  if (std::isnan(value) || std::isinf(value)) return Status::Error(protocol::err::kNanOrInf);
  const std::string text = FormatLongDoubleHuman(value);
  bool created = false;
  VELLUM_RETURN_IF_ERROR(WriteHash(ctx, key, &e, &created));
  e->hash_value->Set(field, text);
  Written(ctx, key, created, "hincrbyfloat", {&field, 1});
  ctx.reply.Bulk(text);
  return Status::Ok();
}

// ---- readers ----

Status HGet(CommandContext& ctx) {
  const HashValue* h = nullptr;
  VELLUM_RETURN_IF_ERROR(ReadHash(ctx, ctx.arg(1), &h));
  std::optional<std::string_view> v = h ? h->Get(ctx.arg(2)) : std::nullopt;
  if (!v) {
    ctx.reply.Null();
  } else {
    ctx.reply.Bulk(*v);
  }
  return Status::Ok();
}

Status HMGet(CommandContext& ctx) {
  const HashValue* h = nullptr;
  VELLUM_RETURN_IF_ERROR(ReadHash(ctx, ctx.arg(1), &h));
  ctx.reply.ArrayHeader(ctx.argc() - 2);
  for (size_t i = 2; i < ctx.argc(); i++) {
    std::optional<std::string_view> v = h ? h->Get(ctx.arg(i)) : std::nullopt;
    if (!v) {
      ctx.reply.Null();
    } else {
      ctx.reply.Bulk(*v);
    }
  }
  return Status::Ok();
}

Status HExists(CommandContext& ctx) {
  const HashValue* h = nullptr;
  VELLUM_RETURN_IF_ERROR(ReadHash(ctx, ctx.arg(1), &h));
  ctx.reply.Integer(h != nullptr && h->Get(ctx.arg(2)).has_value() ? 1 : 0);
  return Status::Ok();
}

Status HLen(CommandContext& ctx) {
  const HashValue* h = nullptr;
  VELLUM_RETURN_IF_ERROR(ReadHash(ctx, ctx.arg(1), &h));
  ctx.reply.Integer(h ? static_cast<int64_t>(h->size()) : 0);
  return Status::Ok();
}

Status HStrLen(CommandContext& ctx) {
  const HashValue* h = nullptr;
  VELLUM_RETURN_IF_ERROR(ReadHash(ctx, ctx.arg(1), &h));
  std::optional<std::string_view> v = h ? h->Get(ctx.arg(2)) : std::nullopt;
  ctx.reply.Integer(v ? static_cast<int64_t>(v->size()) : 0);
  return Status::Ok();
}

// HGETALL (a map in RESP3), HKEYS, HVALS: in iteration order.
enum class Part { kBoth, kFields, kValues };

Status HGetAllGeneric(CommandContext& ctx, Part part) {
  const HashValue* h = nullptr;
  VELLUM_RETURN_IF_ERROR(ReadHash(ctx, ctx.arg(1), &h));
  const size_t n = h ? h->size() : 0;
  if (part == Part::kBoth) {
    ctx.reply.MapHeader(n);
  } else {
    ctx.reply.ArrayHeader(n);
  }
  if (h == nullptr) return Status::Ok();
  h->ForEach([&](HashValue::Item f) {
    if (part != Part::kValues) ctx.reply.Bulk(f.name);
    if (part != Part::kFields) ctx.reply.Bulk(f.value);
  });
  return Status::Ok();
}

Status HGetAll(CommandContext& ctx) { return HGetAllGeneric(ctx, Part::kBoth); }
Status HKeys(CommandContext& ctx) { return HGetAllGeneric(ctx, Part::kFields); }
Status HVals(CommandContext& ctx) { return HGetAllGeneric(ctx, Part::kValues); }

// One HRANDFIELD element: a field, or with values a pair (a nested array in RESP3).
void ReplyRandomField(CommandContext& ctx, HashValue::Item f, bool withvalues) {
  if (withvalues && ctx.reply.resp() >= 3) ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(f.name);
  if (withvalues) ctx.reply.Bulk(f.value);
}

// HRANDFIELD key [count [WITHVALUES]]. Without count: one field or null. A positive count
// gives distinct fields (the whole hash when count >= its size), a negative one |count|
// fields that may repeat.
Status HRandField(CommandContext& ctx) {
  if (ctx.argc() == 2) {
    const HashValue* h = nullptr;
    VELLUM_RETURN_IF_ERROR(ReadHash(ctx, ctx.arg(1), &h));
    if (h == nullptr) {
      ctx.reply.Null();
    } else {
      ctx.reply.Bulk(h->Random(CollectionRng()).name);
    }
    return Status::Ok();
  }
  int64_t l = 0;
  VELLUM_RETURN_IF_ERROR(ParseRandomCount(ctx.arg(2), &l));
  bool withvalues = false;
  if (ctx.argc() > 4 || (ctx.argc() == 4 && !EqualsIgnoreCase(ctx.arg(3), "withvalues"))) {
    return Status::Error(protocol::err::kSyntax);
  }
  if (ctx.argc() == 4) {
    withvalues = true;
    if (l < -INT64_MAX / 2 || l > INT64_MAX / 2) {
      return Status::Error(protocol::err::kValueOutOfRange);
    }
  }
  const HashValue* h = nullptr;
  VELLUM_RETURN_IF_ERROR(ReadHash(ctx, ctx.arg(1), &h));
  if (h == nullptr || l == 0) {
    ctx.reply.ArrayHeader(0);
    return Status::Ok();
  }
  // A small hash is decoded once, so that every pick is O(1) in both forms.
  std::vector<HashValue::Item> small;
  if (h->listpack()) small = h->Items();
  auto item = [&](size_t i) { return h->listpack() ? small[i] : h->At(i); };
  const size_t size = h->size();
  auto& rng = CollectionRng();
  const bool pairs_flat = withvalues && ctx.reply.resp() < 3;
  if (l < 0) {  // repetitions allowed
    const auto count = static_cast<uint64_t>(-l);
    ctx.reply.ArrayHeader(pairs_flat ? count * 2 : count);
    for (uint64_t i = 0; i < count; i++) ReplyRandomField(ctx, item(rng() % size), withvalues);
    return Status::Ok();
  }
  const auto count = static_cast<uint64_t>(l);
  if (count >= size) {  // the whole hash
    ctx.reply.ArrayHeader(pairs_flat ? size * 2 : size);
    h->ForEach([&](HashValue::Item it) { ReplyRandomField(ctx, it, withvalues); });
    return Status::Ok();
  }
  ctx.reply.ArrayHeader(pairs_flat ? count * 2 : count);
  ForDistinctRandomIndexes(size, count, rng,
                           [&](size_t i) { ReplyRandomField(ctx, item(i), withvalues); });
  return Status::Ok();
}

// HSCAN key cursor [MATCH pattern] [COUNT count]. A listpack hash comes whole, cursor 0;
// a larger one by buckets with a cursor that survives resizes.
Status HScan(CommandContext& ctx) {
  uint64_t cursor = 0;
  if (!ParseScanCursor(ctx.arg(2), &cursor)) {
    return Status::Error(protocol::err::kInvalidCursor);
  }
  const HashValue* h = nullptr;
  VELLUM_RETURN_IF_ERROR(ReadHash(ctx, ctx.arg(1), &h));
  if (h == nullptr) {
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk("0");
    ctx.reply.ArrayHeader(0);
    return Status::Ok();
  }
  CollectionScanOptions o;
  VELLUM_RETURN_IF_ERROR(ParseCollectionScanOptions(ctx, 3, &o));
  std::vector<HashValue::Item> found;
  uint64_t next = h->Scan(cursor, o.count, [&](HashValue::Item f) {
    if (!o.use_pattern || GlobMatch(o.pattern, f.name)) found.push_back(f);
  });
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::to_string(next));
  ctx.reply.ArrayHeader(found.size() * 2);
  for (const HashValue::Item& f : found) {
    ctx.reply.Bulk(f.name);
    ctx.reply.Bulk(f.value);
  }
  return Status::Ok();
}

}  // namespace

void RegisterHashCommands(CommandTable& table) {
  constexpr uint32_t kR = kCatRead | kCatHash;
  constexpr uint32_t kW = kCatWrite | kCatHash;
  constexpr const char* kGroup = "hash";
  table.Register({"hset", -4, kWrite | kDenyOom | kFast, kW | kCatFast, 1, 1, 1, kGroup, "2.0.0",
                  "Creates or modifies the value of a field in a hash.", HSet});
  table.Register({"hsetnx", 4, kWrite | kDenyOom | kFast, kW | kCatFast, 1, 1, 1, kGroup, "2.0.0",
                  "Sets the value of a field in a hash only when the field doesn't exist.",
                  HSetNx});
  table.Register({"hmset", -4, kWrite | kDenyOom | kFast, kW | kCatFast, 1, 1, 1, kGroup, "2.0.0",
                  "Sets the values of multiple fields.", HMSet});
  table.Register({"hget", 3, kReadonly | kFast, kR | kCatFast, 1, 1, 1, kGroup, "2.0.0",
                  "Returns the value of a field in a hash.", HGet});
  table.Register({"hmget", -3, kReadonly | kFast, kR | kCatFast, 1, 1, 1, kGroup, "2.0.0",
                  "Returns the values of all fields in a hash.", HMGet});
  table.Register({"hgetall", 2, kReadonly, kR | kCatSlow, 1, 1, 1, kGroup, "2.0.0",
                  "Returns all fields and values in a hash.", HGetAll});
  table.Register({"hkeys", 2, kReadonly, kR | kCatSlow, 1, 1, 1, kGroup, "2.0.0",
                  "Returns all fields in a hash.", HKeys});
  table.Register({"hvals", 2, kReadonly, kR | kCatSlow, 1, 1, 1, kGroup, "2.0.0",
                  "Returns all values in a hash.", HVals});
  table.Register({"hdel", -3, kWrite | kFast, kW | kCatFast, 1, 1, 1, kGroup, "2.0.0",
                  "Deletes one or more fields and their values from a hash. Deletes the hash if "
                  "no fields remain.",
                  HDel});
  table.Register({"hexists", 3, kReadonly | kFast, kR | kCatFast, 1, 1, 1, kGroup, "2.0.0",
                  "Determines whether a field exists in a hash.", HExists});
  table.Register({"hlen", 2, kReadonly | kFast, kR | kCatFast, 1, 1, 1, kGroup, "2.0.0",
                  "Returns the number of fields in a hash.", HLen});
  table.Register({"hstrlen", 3, kReadonly | kFast, kR | kCatFast, 1, 1, 1, kGroup, "3.2.0",
                  "Returns the length of the value of a field.", HStrLen});
  table.Register({"hincrby", 4, kWrite | kDenyOom | kFast, kW | kCatFast, 1, 1, 1, kGroup, "2.0.0",
                  "Increments the integer value of a field in a hash by a number. Uses 0 as "
                  "initial value if the field doesn't exist.",
                  HIncrBy});
  table.Register({"hincrbyfloat", 4, kWrite | kDenyOom | kFast, kW | kCatFast, 1, 1, 1, kGroup,
                  "2.6.0",
                  "Increments the floating point value of a field by a number. Uses 0 as "
                  "initial value if the field doesn't exist.",
                  HIncrByFloat});
  table.Register({"hrandfield", -2, kReadonly, kR | kCatSlow, 1, 1, 1, kGroup, "6.2.0",
                  "Returns one or more random fields from a hash.", HRandField});
  table.Register({"hscan", -3, kReadonly, kR | kCatSlow, 1, 1, 1, kGroup, "2.8.0",
                  "Iterates over fields and values of a hash.", HScan});
}

}  // namespace vellum::server
