// Set commands: SADD SREM SMEMBERS SISMEMBER SMISMEMBER SCARD SPOP SRANDMEMBER SSCAN SINTER
// SUNION SDIFF SINTERSTORE SUNIONSTORE SDIFFSTORE SINTERCARD SMOVE, with Redis 7.0's
// argument parsing, reply types (RESP3 sets) and error texts (t_set.c).
//
// The dispatcher holds the shard locks of every key a command names (SINTER and the
// *STORE commands: all of them; SMOVE: both), so multi-key commands are atomic. Readers
// look up with FindForRead; writers with Find, and report the change once made
// (MarkWritten, or Create/Erase, which report themselves). A set left empty is deleted,
// as in Redis. The value itself is storage::SetValue.
#include <algorithm>
#include <memory>
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
using storage::SetValue;
using storage::ValueType;

// ---- lookups and helpers ----

// The set at key for a read: *s is nullptr when the key is missing; WRONGTYPE when it
// holds another type.
Status ReadSet(CommandContext& ctx, std::string_view key, const SetValue** s) {
  return ReadTyped(ctx, key, ValueType::kSet, &Entry::set_value, s);
}

// The set at key for a write, or nullptr when missing; WRONGTYPE for another type.
Status FindSetForWrite(CommandContext& ctx, std::string_view key, Entry** out) {
  return FindTypedForWrite(ctx, key, ValueType::kSet, out);
}

// A new, empty set entry at a key that Find reported missing.
Entry* CreateSet(CommandContext& ctx, std::string_view key) {
  Entry* e = ctx.keyspace.Create(ctx.db, key, ctx.now_ms);
  e->type = ValueType::kSet;
  e->set_value.emplace();
  return e;
}

// After `members` were removed from the set at key: deletes it if empty (raising "del"
// after `event`), else reports the write of those members.
void AfterRemoval(CommandContext& ctx, Entry* e, std::string_view key, const char* event,
                  std::span<const std::string_view> members) {
  AfterMembersRemoved(ctx, key, e->set_value->empty(), KeyspaceEvents::kSet, event, members);
}

// Writes a set reply (a RESP3 set, a RESP2 array) of every member in iteration order.
void ReplyMembers(CommandContext& ctx, const SetValue* s) {
  ctx.reply.SetHeader(s ? s->size() : 0);
  if (s) s->ForEach([&](const std::string& m) { ctx.reply.Bulk(m); });
}

// ---- single-set commands ----

// SADD key member [member ...] -> members added.
Status SAdd(CommandContext& ctx) {
  const std::string_view key = ctx.arg(1);
  Entry* e = nullptr;
  VELLUM_RETURN_IF_ERROR(FindSetForWrite(ctx, key, &e));
  const bool created = e == nullptr;
  if (created) {
    e = CreateSet(ctx, key);
    e->set_value->Reserve(ctx.argc() - 2);  // no growth slack
  }
  int64_t added = 0;
  std::vector<std::string_view> members;
  for (size_t i = 2; i < ctx.argc(); i++) {
    if (e->set_value->Add(ctx.arg(i))) {
      added++;
      if (!created) members.push_back(ctx.arg(i));
    }
  }
  if (created) ctx.Notify(KeyspaceEvents::kNew, "new", key);
  if (added > 0) {
    if (!created) ctx.keyspace.MarkFieldsWritten(ctx.db, key, members);
    ctx.Notify(KeyspaceEvents::kSet, "sadd", key);
  }
  ctx.reply.Integer(added);
  return Status::Ok();
}

// SREM key member [member ...] -> members removed. The key goes with its last member.
Status SRem(CommandContext& ctx) {
  const std::string_view key = ctx.arg(1);
  Entry* e = nullptr;
  VELLUM_RETURN_IF_ERROR(FindSetForWrite(ctx, key, &e));
  int64_t removed = 0;
  if (e != nullptr) {
    std::vector<std::string_view> members;
    for (size_t i = 2; i < ctx.argc(); i++) {
      if (e->set_value->Remove(ctx.arg(i))) {
        removed++;
        members.push_back(ctx.arg(i));
        if (e->set_value->empty()) break;
      }
    }
    if (removed > 0) AfterRemoval(ctx, e, key, "srem", members);
  }
  ctx.reply.Integer(removed);
  return Status::Ok();
}

Status SMembers(CommandContext& ctx) {
  const SetValue* s = nullptr;
  VELLUM_RETURN_IF_ERROR(ReadSet(ctx, ctx.arg(1), &s));
  ReplyMembers(ctx, s);
  return Status::Ok();
}

Status SIsMember(CommandContext& ctx) {
  const SetValue* s = nullptr;
  VELLUM_RETURN_IF_ERROR(ReadSet(ctx, ctx.arg(1), &s));
  ctx.reply.Integer(s != nullptr && s->Contains(ctx.arg(2)) ? 1 : 0);
  return Status::Ok();
}

Status SMIsMember(CommandContext& ctx) {
  const SetValue* s = nullptr;
  VELLUM_RETURN_IF_ERROR(ReadSet(ctx, ctx.arg(1), &s));
  ctx.reply.ArrayHeader(ctx.argc() - 2);
  for (size_t i = 2; i < ctx.argc(); i++) {
    ctx.reply.Integer(s != nullptr && s->Contains(ctx.arg(i)) ? 1 : 0);
  }
  return Status::Ok();
}

Status SCard(CommandContext& ctx) {
  const SetValue* s = nullptr;
  VELLUM_RETURN_IF_ERROR(ReadSet(ctx, ctx.arg(1), &s));
  ctx.reply.Integer(s ? static_cast<int64_t>(s->size()) : 0);
  return Status::Ok();
}

// SPOP key [count]. Without count: one random member (removed) or null. With count: a set
// of up to count distinct random members, removed; the whole set (and the key) when count
// >= its size. Each pick is O(1).
Status SPop(CommandContext& ctx) {
  if (ctx.argc() > 3) return Status::Error(protocol::err::kSyntax);
  const std::string_view key = ctx.arg(1);
  int64_t count = 1;
  const bool with_count = ctx.argc() == 3;
  if (with_count) {
    // As Redis's getPositiveLongFromObjectOrReply: one text for both failures.
    if (!ParseInt64(ctx.arg(2), &count) || count < 0) {
      return Status::Error(protocol::err::kMustBePositive);
    }
  }
  Entry* e = nullptr;
  VELLUM_RETURN_IF_ERROR(FindSetForWrite(ctx, key, &e));
  if (e == nullptr || count == 0) {
    if (with_count) {
      ctx.reply.SetHeader(0);
    } else {
      ctx.reply.Null();
    }
    return Status::Ok();
  }
  SetValue* s = e->set_value.get();
  auto& rng = CollectionRng();
  if (!with_count) {
    const size_t i = s->RandomIndex(rng);
    ctx.reply.Bulk(s->at(i).name);
    const std::string popped = s->at(i).name;
    s->RemoveAt(i);
    const std::string_view member = popped;
    AfterRemoval(ctx, e, key, "spop", {&member, 1});
    return Status::Ok();
  }
  if (static_cast<uint64_t>(count) >= s->size()) {
    ReplyMembers(ctx, s);
    ctx.keyspace.Erase(ctx.db, key);
    ctx.Notify(KeyspaceEvents::kSet, "spop", key);
    ctx.Notify(KeyspaceEvents::kGeneric, "del", key);
    return Status::Ok();
  }
  ctx.reply.SetHeader(static_cast<size_t>(count));
  std::vector<std::string> popped;
  popped.reserve(static_cast<size_t>(count));
  for (int64_t n = 0; n < count; n++) {
    const size_t i = s->RandomIndex(rng);
    ctx.reply.Bulk(s->at(i).name);
    popped.push_back(s->at(i).name);
    s->RemoveAt(i);
  }
  const std::vector<std::string_view> members(popped.begin(), popped.end());
  AfterRemoval(ctx, e, key, "spop", members);
  return Status::Ok();
}

// SRANDMEMBER key [count]. Without count: one random member or null. A positive count
// gives distinct members (the whole set when count >= its size), a negative one |count|
// members that may repeat. Every pick is O(1).
Status SRandMember(CommandContext& ctx) {
  if (ctx.argc() > 3) return Status::Error(protocol::err::kSyntax);
  if (ctx.argc() == 2) {
    const SetValue* s = nullptr;
    VELLUM_RETURN_IF_ERROR(ReadSet(ctx, ctx.arg(1), &s));
    if (s == nullptr) {
      ctx.reply.Null();
    } else {
      ctx.reply.Bulk(s->at(s->RandomIndex(CollectionRng())).name);
    }
    return Status::Ok();
  }
  int64_t l = 0;
  VELLUM_RETURN_IF_ERROR(ParseRandomCount(ctx.arg(2), &l));
  const SetValue* s = nullptr;
  VELLUM_RETURN_IF_ERROR(ReadSet(ctx, ctx.arg(1), &s));
  if (s == nullptr || l == 0) {
    ctx.reply.ArrayHeader(0);
    return Status::Ok();
  }
  const size_t size = s->size();
  auto& rng = CollectionRng();
  if (l < 0) {
    const auto count = static_cast<uint64_t>(-l);
    ctx.reply.ArrayHeader(count);
    for (uint64_t i = 0; i < count; i++) ctx.reply.Bulk(s->at(s->RandomIndex(rng)).name);
    return Status::Ok();
  }
  const auto count = static_cast<uint64_t>(l);
  if (count >= size) {
    ctx.reply.ArrayHeader(size);
    s->ForEach([&](const std::string& m) { ctx.reply.Bulk(m); });
    return Status::Ok();
  }
  ctx.reply.ArrayHeader(count);
  ForDistinctRandomIndexes(size, count, rng, [&](size_t i) { ctx.reply.Bulk(s->at(i).name); });
  return Status::Ok();
}

// SSCAN key cursor [MATCH pattern] [COUNT count]. An intset comes whole, cursor 0; a
// larger set by buckets with a cursor that survives resizes.
Status SScan(CommandContext& ctx) {
  uint64_t cursor = 0;
  if (!ParseScanCursor(ctx.arg(2), &cursor)) {
    return Status::Error(protocol::err::kInvalidCursor);
  }
  const SetValue* s = nullptr;
  VELLUM_RETURN_IF_ERROR(ReadSet(ctx, ctx.arg(1), &s));
  if (s == nullptr) {
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk("0");
    ctx.reply.ArrayHeader(0);
    return Status::Ok();
  }
  CollectionScanOptions o;
  VELLUM_RETURN_IF_ERROR(ParseCollectionScanOptions(ctx, 3, &o));
  std::vector<const std::string*> found;
  uint64_t next = s->Scan(cursor, o.count, [&](const std::string& m) {
    if (!o.use_pattern || GlobMatch(o.pattern, m)) found.push_back(&m);
  });
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::to_string(next));
  ctx.reply.ArrayHeader(found.size());
  for (const std::string* m : found) ctx.reply.Bulk(*m);
  return Status::Ok();
}

// SMOVE source destination member -> 1 if moved, 0 if not in source.
Status SMove(CommandContext& ctx) {
  const std::string_view src = ctx.arg(1), dst = ctx.arg(2), member = ctx.arg(3);
  Entry* se = ctx.keyspace.Find(ctx.db, src, ctx.now_ms);
  Entry* de = ctx.keyspace.Find(ctx.db, dst, ctx.now_ms);
  if (se == nullptr) {
    ctx.reply.Integer(0);
    return Status::Ok();
  }
  if (se->type != ValueType::kSet || (de != nullptr && de->type != ValueType::kSet)) {
    return Status::Error(protocol::err::kWrongType);
  }
  if (se == de) {
    ctx.reply.Integer(se->set_value->Contains(member) ? 1 : 0);
    return Status::Ok();
  }
  if (!se->set_value->Remove(member)) {
    ctx.reply.Integer(0);
    return Status::Ok();
  }
  AfterRemoval(ctx, se, src, "srem", {&member, 1});
  const bool created = de == nullptr;
  if (created) de = CreateSet(ctx, dst);
  if (de->set_value->Add(member)) {
    if (created) {
      ctx.Notify(KeyspaceEvents::kNew, "new", dst);
    } else {
      ctx.keyspace.MarkFieldsWritten(ctx.db, dst, {&member, 1});
    }
    ctx.Notify(KeyspaceEvents::kSet, "sadd", dst);
  }
  ctx.reply.Integer(1);
  return Status::Ok();
}

// ---- algebra: SINTER SUNION SDIFF, their STORE forms, SINTERCARD ----

enum class SetOp { kInter, kUnion, kDiff };

// Reads the sets named by argv[first..last]; a missing key is a nullptr (an empty set).
// WRONGTYPE if any holds another type, whatever comes before it.
Status ReadSets(CommandContext& ctx, size_t first, size_t last, bool for_write,
                std::vector<const SetValue*>* sets) {
  for (size_t i = first; i <= last; i++) {
    const Entry* e = for_write ? ctx.keyspace.Find(ctx.db, ctx.arg(i), ctx.now_ms)
                               : ctx.keyspace.FindForRead(ctx.db, ctx.arg(i), ctx.now_ms);
    if (e != nullptr && e->type != ValueType::kSet) {
      return Status::Error(protocol::err::kWrongType);
    }
    sets->push_back(e ? e->set_value.get() : nullptr);
  }
  return Status::Ok();
}

// Calls fn for each member of the intersection, in the iteration order of the smallest
// set, until fn returns false.
template <typename Fn>
void ForEachInIntersection(std::vector<const SetValue*> sets, Fn&& fn) {
  for (const SetValue* s : sets) {
    if (s == nullptr) return;  // with an empty set, the intersection is empty
  }
  std::stable_sort(sets.begin(), sets.end(),
                   [](const SetValue* a, const SetValue* b) { return a->size() < b->size(); });
  bool more = true;
  sets[0]->ForEach([&](const std::string& m) {
    if (!more) return;
    for (size_t j = 1; j < sets.size(); j++) {
      if (sets[j] != sets[0] && !sets[j]->Contains(m)) return;
    }
    more = fn(m);
  });
}

// The result of op over the sets, as a new set (its encoding follows from its members).
std::unique_ptr<SetValue> Compute(SetOp op, const std::vector<const SetValue*>& sets) {
  auto out = std::make_unique<SetValue>();
  switch (op) {
    case SetOp::kInter:
      ForEachInIntersection(sets, [&](const std::string& m) {
        out->Add(m);
        return true;
      });
      break;
    case SetOp::kUnion:
      for (const SetValue* s : sets) {
        if (s) s->ForEach([&](const std::string& m) { out->Add(m); });
      }
      break;
    case SetOp::kDiff:
      if (sets[0] == nullptr) break;
      sets[0]->ForEach([&](const std::string& m) {
        for (size_t j = 1; j < sets.size(); j++) {
          if (sets[j] != nullptr && sets[j]->Contains(m)) return;
        }
        out->Add(m);
      });
      break;
  }
  return out;
}

// SINTER / SUNION / SDIFF key [key ...] -> a set reply.
Status SetOpRead(CommandContext& ctx, SetOp op) {
  std::vector<const SetValue*> sets;
  VELLUM_RETURN_IF_ERROR(ReadSets(ctx, 1, ctx.argc() - 1, false, &sets));
  if (op == SetOp::kInter) {
    // Streamed in the smallest set's order, without building a result set.
    std::vector<const std::string*> members;
    ForEachInIntersection(sets, [&](const std::string& m) {
      members.push_back(&m);
      return true;
    });
    ctx.reply.SetHeader(members.size());
    for (const std::string* m : members) ctx.reply.Bulk(*m);
    return Status::Ok();
  }
  std::unique_ptr<SetValue> result = Compute(op, sets);
  ReplyMembers(ctx, result.get());
  return Status::Ok();
}

Status SInter(CommandContext& ctx) { return SetOpRead(ctx, SetOp::kInter); }
Status SUnion(CommandContext& ctx) { return SetOpRead(ctx, SetOp::kUnion); }
Status SDiff(CommandContext& ctx) { return SetOpRead(ctx, SetOp::kDiff); }

// SINTERSTORE / SUNIONSTORE / SDIFFSTORE destination key [key ...] -> the result's size.
// The destination is replaced whatever it held (its TTL cleared); an empty result
// deletes it.
Status SetOpStore(CommandContext& ctx, SetOp op, const char* event) {
  std::vector<const SetValue*> sets;
  VELLUM_RETURN_IF_ERROR(ReadSets(ctx, 2, ctx.argc() - 1, true, &sets));
  std::unique_ptr<SetValue> result = Compute(op, sets);
  const std::string_view dst = ctx.arg(1);
  const int64_t size =
      StoreCollection(ctx, dst, std::move(result), ValueType::kSet, &Entry::set_value);
  if (size > 0) ctx.Notify(KeyspaceEvents::kSet, event, dst);
  ctx.reply.Integer(size);
  return Status::Ok();
}

Status SInterStore(CommandContext& ctx) { return SetOpStore(ctx, SetOp::kInter, "sinterstore"); }
Status SUnionStore(CommandContext& ctx) { return SetOpStore(ctx, SetOp::kUnion, "sunionstore"); }
Status SDiffStore(CommandContext& ctx) { return SetOpStore(ctx, SetOp::kDiff, "sdiffstore"); }

// SINTERCARD numkeys key [key ...] [LIMIT limit] -> the intersection's size, counting
// stops at limit (0: no limit).
Status SInterCard(CommandContext& ctx) {
  int64_t numkeys = 0;
  if (!ParseInt64(ctx.arg(1), &numkeys) || numkeys <= 0) {
    return Status::Error(protocol::err::kNumkeysNotPositive);
  }
  if (numkeys > static_cast<int64_t>(ctx.argc()) - 2) {
    return Status::Error(protocol::err::kTooManyNumkeys);
  }
  int64_t limit = 0;
  for (size_t i = 2 + static_cast<size_t>(numkeys); i < ctx.argc(); i++) {
    if (EqualsIgnoreCase(ctx.arg(i), "limit") && i + 1 < ctx.argc()) {
      if (!ParseInt64(ctx.arg(++i), &limit) || limit < 0) {
        return Status::Error(protocol::err::kLimitNegative);
      }
    } else {
      return Status::Error(protocol::err::kSyntax);
    }
  }
  std::vector<const SetValue*> sets;
  VELLUM_RETURN_IF_ERROR(ReadSets(ctx, 2, 1 + static_cast<size_t>(numkeys), false, &sets));
  int64_t n = 0;
  ForEachInIntersection(sets, [&](const std::string&) {
    n++;
    return limit == 0 || n < limit;
  });
  ctx.reply.Integer(n);
  return Status::Ok();
}

}  // namespace

void RegisterSetCommands(CommandTable& table) {
  constexpr uint32_t kR = kCatRead | kCatSet;
  constexpr uint32_t kW = kCatWrite | kCatSet;
  constexpr const char* kGroup = "set";
  table.Register({"sadd", -3, kWrite | kDenyOom | kFast, kW | kCatFast, 1, 1, 1, kGroup, "1.0.0",
                  "Adds one or more members to a set. Creates the key if it doesn't exist.", SAdd});
  table.Register({"srem", -3, kWrite | kFast, kW | kCatFast, 1, 1, 1, kGroup, "1.0.0",
                  "Removes one or more members from a set. Deletes the set if the last member "
                  "was removed.",
                  SRem});
  table.Register({"smembers", 2, kReadonly, kR | kCatSlow, 1, 1, 1, kGroup, "1.0.0",
                  "Returns all members of a set.", SMembers});
  table.Register({"sismember", 3, kReadonly | kFast, kR | kCatFast, 1, 1, 1, kGroup, "1.0.0",
                  "Determines whether a member belongs to a set.", SIsMember});
  table.Register({"smismember", -3, kReadonly | kFast, kR | kCatFast, 1, 1, 1, kGroup, "6.2.0",
                  "Determines whether multiple members belong to a set.", SMIsMember});
  table.Register({"scard", 2, kReadonly | kFast, kR | kCatFast, 1, 1, 1, kGroup, "1.0.0",
                  "Returns the number of members in a set.", SCard});
  table.Register({"spop", -2, kWrite | kFast, kW | kCatFast, 1, 1, 1, kGroup, "1.0.0",
                  "Returns one or more random members from a set after removing them. Deletes "
                  "the set if the last member was popped.",
                  SPop});
  table.Register({"srandmember", -2, kReadonly, kR | kCatSlow, 1, 1, 1, kGroup, "1.0.0",
                  "Get one or multiple random members from a set", SRandMember});
  table.Register({"sscan", -3, kReadonly, kR | kCatSlow, 1, 1, 1, kGroup, "2.8.0",
                  "Iterates over members of a set.", SScan});
  table.Register({"smove", 4, kWrite | kFast, kW | kCatFast, 1, 2, 1, kGroup, "1.0.0",
                  "Moves a member from one set to another.", SMove});
  table.Register({"sinter", -2, kReadonly, kR | kCatSlow, 1, -1, 1, kGroup, "1.0.0",
                  "Returns the intersect of multiple sets.", SInter});
  table.Register({"sunion", -2, kReadonly, kR | kCatSlow, 1, -1, 1, kGroup, "1.0.0",
                  "Returns the union of multiple sets.", SUnion});
  table.Register({"sdiff", -2, kReadonly, kR | kCatSlow, 1, -1, 1, kGroup, "1.0.0",
                  "Returns the difference of multiple sets.", SDiff});
  table.Register({"sinterstore", -3, kWrite | kDenyOom, kW | kCatSlow, 1, -1, 1, kGroup, "1.0.0",
                  "Stores the intersect of multiple sets in a key.", SInterStore});
  table.Register({"sunionstore", -3, kWrite | kDenyOom, kW | kCatSlow, 1, -1, 1, kGroup, "1.0.0",
                  "Stores the union of multiple sets in a key.", SUnionStore});
  table.Register({"sdiffstore", -3, kWrite | kDenyOom, kW | kCatSlow, 1, -1, 1, kGroup, "1.0.0",
                  "Stores the difference of multiple sets in a key.", SDiffStore});
  // Its keys follow numkeys (numkeys_at: locks, ACL and GETKEYS take just those).
  table.Register({"sintercard", -3, kReadonly, kR | kCatSlow, 2, -1, 1, kGroup, "7.0.0",
                  "Returns the number of members of the intersect of multiple sets.", SInterCard,
                  {}, /*numkeys_at=*/1});
}

}  // namespace vellum::server
