// List commands: LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LLEN LRANGE LINDEX LSET LINSERT LREM
// LTRIM LPOS LMOVE RPOPLPUSH LMPOP, with Redis 7.0's argument parsing, reply types and
// error texts (t_list.c), including which arguments are checked before the key is looked
// up and which after.
//
// The dispatcher holds the shard locks of every key a command names (LMOVE: both), so
// moves between lists are atomic. A list left empty is deleted, as in Redis. Changes at
// the ends are reported with MarkListEndsWritten (the persister writes the positions that
// changed); LSET, LINSERT and LREM change the middle, which the ListValue records, so they
// report the same way and the persister rewrites the list. The value itself is
// storage::ListValue.
#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/errors.h"
#include "server/command.h"
#include "server/command_table.h"
#include "server/blocking.h"
#include "server/commands/args.h"
#include "server/commands/collection_args.h"
#include "server/commands/list_ops.h"
#include "server/commands/registry.h"
#include "server/commands/typed_lookup.h"
#include "server/keyspace_events.h"
#include "server/server_state.h"

namespace vellum::server {
namespace {

using storage::Entry;
using storage::ListValue;
using storage::ValueType;

constexpr char kRankZero[] =
    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use "
    "negative to start from the end of the list";
constexpr char kCountNegative[] = "ERR COUNT can't be negative";
constexpr char kMaxlenNegative[] = "ERR MAXLEN can't be negative";
constexpr char kIndexOutOfRange[] = "ERR index out of range";

Status ArityError(CommandContext& ctx) {
  std::string name(ctx.arg(0));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return Status::Error("ERR wrong number of arguments for '" + name + "' command");
}

// ---- lookups and helpers ----

// The list at key for a read: *l is nullptr when the key is missing; WRONGTYPE when it
// holds another type.
Status ReadList(CommandContext& ctx, std::string_view key, const ListValue** l) {
  return ReadTyped(ctx, key, ValueType::kList, &Entry::list_value, l);
}

// Element index of a (possibly negative) LINDEX/LSET index, or false when out of range.
bool ResolveIndex(int64_t index, size_t size, size_t* out) {
  const auto n = static_cast<int64_t>(size);
  if (index < 0) index += n;
  if (index < 0 || index >= n) return false;
  *out = static_cast<size_t>(index);
  return true;
}

// ---- pushes ----

// LPUSH / RPUSH / LPUSHX / RPUSHX key element [element ...] -> the new length.
Status Push(CommandContext& ctx, bool left, bool only_existing) {
  const std::string_view key = ctx.arg(1);
  Entry* e = nullptr;
  VELLUM_RETURN_IF_ERROR(FindListForWrite(ctx, key, &e));
  if (e == nullptr) {
    if (only_existing) {
      ctx.reply.Integer(0);
      return Status::Ok();
    }
    e = CreateList(ctx, key);
  }
  ListValue* l = e->list_value.get();
  for (size_t i = 2; i < ctx.argc(); i++) {
    if (left) l->PushFront(ctx.arg(i));
    else l->PushBack(ctx.arg(i));
  }
  AfterListChange(ctx, e, key, left ? "lpush" : "rpush");
  ctx.reply.Integer(static_cast<int64_t>(l->size()));
  return Status::Ok();
}

Status LPush(CommandContext& ctx) { return Push(ctx, true, false); }
Status RPush(CommandContext& ctx) { return Push(ctx, false, false); }
Status LPushX(CommandContext& ctx) { return Push(ctx, true, true); }
Status RPushX(CommandContext& ctx) { return Push(ctx, false, true); }

// ---- pops ----

// LPOP / RPOP key [count]. Without count: the element or null. With count: an array of up
// to count elements, a null array for a missing key, an empty array for count 0.
Status Pop(CommandContext& ctx, bool left) {
  if (ctx.argc() > 3) return ArityError(ctx);
  const std::string_view key = ctx.arg(1);
  const bool with_count = ctx.argc() == 3;
  int64_t count = 1;
  if (with_count && (!ParseInt64(ctx.arg(2), &count) || count < 0)) {
    return Status::Error(protocol::err::kMustBePositive);
  }
  Entry* e = nullptr;
  VELLUM_RETURN_IF_ERROR(FindListForWrite(ctx, key, &e));
  if (e == nullptr) {
    if (with_count) ctx.reply.NullArray();
    else ctx.reply.Null();
    return Status::Ok();
  }
  if (count == 0) {
    ctx.reply.EmptyArray();
    return Status::Ok();
  }
  const std::vector<std::string> popped = PopElements(ctx, e, key, left, count);
  if (!with_count) {
    ctx.reply.Bulk(popped.front());
  } else {
    ctx.reply.ArrayHeader(popped.size());
    for (const std::string& v : popped) ctx.reply.Bulk(v);
  }
  return Status::Ok();
}

Status LPop(CommandContext& ctx) { return Pop(ctx, true); }
Status RPop(CommandContext& ctx) { return Pop(ctx, false); }

// ---- reads ----

Status LLen(CommandContext& ctx) {
  const ListValue* l = nullptr;
  VELLUM_RETURN_IF_ERROR(ReadList(ctx, ctx.arg(1), &l));
  ctx.reply.Integer(l ? static_cast<int64_t>(l->size()) : 0);
  return Status::Ok();
}

// LRANGE key start stop: the indexes are checked before the key.
Status LRange(CommandContext& ctx) {
  int64_t start = 0, stop = 0;
  VELLUM_RETURN_IF_ERROR(ParseIntArg(ctx.arg(2), &start));
  VELLUM_RETURN_IF_ERROR(ParseIntArg(ctx.arg(3), &stop));
  const ListValue* l = nullptr;
  VELLUM_RETURN_IF_ERROR(ReadList(ctx, ctx.arg(1), &l));
  size_t from = 0, to = 0;
  if (l == nullptr || !ResolveRange(start, stop, l->size(), &from, &to)) {
    ctx.reply.EmptyArray();
    return Status::Ok();
  }
  ctx.reply.ArrayHeader(to - from);
  l->Walk(from, to - from, /*reverse=*/false, [&](size_t, std::string_view v) {
    ctx.reply.Bulk(v);
    return true;
  });
  return Status::Ok();
}

// LINDEX key index: the key is looked up before the index is parsed.
Status LIndex(CommandContext& ctx) {
  const ListValue* l = nullptr;
  VELLUM_RETURN_IF_ERROR(ReadList(ctx, ctx.arg(1), &l));
  if (l == nullptr) {
    ctx.reply.Null();
    return Status::Ok();
  }
  int64_t index = 0;
  VELLUM_RETURN_IF_ERROR(ParseIntArg(ctx.arg(2), &index));
  size_t i = 0;
  if (ResolveIndex(index, l->size(), &i)) {
    ctx.reply.Bulk(l->at(i));
  } else {
    ctx.reply.Null();
  }
  return Status::Ok();
}

// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]: the options are checked
// before the key. Without COUNT: the first match's index or null; with COUNT (0 = all):
// an array of indexes. A negative RANK searches from the tail.
Status LPos(CommandContext& ctx) {
  int64_t rank = 1, count = -1, maxlen = 0;
  for (size_t i = 3; i < ctx.argc(); i++) {
    const std::string_view opt = ctx.arg(i);
    const bool has_value = i + 1 < ctx.argc();
    if (EqualsIgnoreCase(opt, "rank") && has_value) {
      VELLUM_RETURN_IF_ERROR(ParseIntArg(ctx.arg(++i), &rank));
      if (rank == INT64_MIN) return Status::Error(protocol::err::kNotInteger);
      if (rank == 0) return Status::Error(kRankZero);
    } else if (EqualsIgnoreCase(opt, "count") && has_value) {
      if (!ParseInt64(ctx.arg(++i), &count) || count < 0) return Status::Error(kCountNegative);
    } else if (EqualsIgnoreCase(opt, "maxlen") && has_value) {
      if (!ParseInt64(ctx.arg(++i), &maxlen) || maxlen < 0) return Status::Error(kMaxlenNegative);
    } else {
      return Status::Error(protocol::err::kSyntax);
    }
  }
  const ListValue* l = nullptr;
  VELLUM_RETURN_IF_ERROR(ReadList(ctx, ctx.arg(1), &l));
  const bool with_count = count >= 0;
  if (l == nullptr) {
    if (with_count) ctx.reply.EmptyArray();
    else ctx.reply.Null();
    return Status::Ok();
  }
  const std::string_view element = ctx.arg(2);
  const size_t n = l->size();
  const size_t limit = maxlen == 0 ? n : std::min(n, static_cast<size_t>(maxlen));
  uint64_t skip = static_cast<uint64_t>(rank > 0 ? rank : -rank) - 1;
  const uint64_t wanted = count == 0 ? UINT64_MAX : static_cast<uint64_t>(with_count ? count : 1);
  std::vector<int64_t> found;
  l->Walk(rank > 0 ? 0 : n - 1, limit, /*reverse=*/rank < 0, [&](size_t i, std::string_view v) {
    if (v != element) return true;
    if (skip > 0) {
      skip--;
      return true;
    }
    found.push_back(static_cast<int64_t>(i));
    return found.size() < wanted;
  });
  if (!with_count) {
    if (found.empty()) ctx.reply.Null();
    else ctx.reply.Integer(found.front());
    return Status::Ok();
  }
  ctx.reply.ArrayHeader(found.size());
  for (int64_t i : found) ctx.reply.Integer(i);
  return Status::Ok();
}

// ---- edits ----

// LSET key index element: the key is looked up before the index is parsed.
Status LSet(CommandContext& ctx) {
  const std::string_view key = ctx.arg(1);
  Entry* e = nullptr;
  VELLUM_RETURN_IF_ERROR(FindListForWrite(ctx, key, &e));
  if (e == nullptr) return Status::Error(protocol::err::kNoSuchKey);
  int64_t index = 0;
  VELLUM_RETURN_IF_ERROR(ParseIntArg(ctx.arg(2), &index));
  size_t i = 0;
  if (!ResolveIndex(index, e->list_value->size(), &i)) return Status::Error(kIndexOutOfRange);
  e->list_value->Set(i, ctx.arg(3));
  AfterListChange(ctx, e, key, "lset");
  ctx.reply.Ok();
  return Status::Ok();
}

// LINSERT key BEFORE|AFTER pivot element -> the new length, -1 without the pivot, 0
// without the key.
Status LInsert(CommandContext& ctx) {
  const std::string_view key = ctx.arg(1);
  bool after = false;
  if (EqualsIgnoreCase(ctx.arg(2), "after")) {
    after = true;
  } else if (!EqualsIgnoreCase(ctx.arg(2), "before")) {
    return Status::Error(protocol::err::kSyntax);
  }
  Entry* e = nullptr;
  VELLUM_RETURN_IF_ERROR(FindListForWrite(ctx, key, &e));
  if (e == nullptr) {
    ctx.reply.Integer(0);
    return Status::Ok();
  }
  ListValue* l = e->list_value.get();
  const std::string_view pivot = ctx.arg(3);
  std::optional<size_t> found;
  l->Walk(0, l->size(), /*reverse=*/false, [&](size_t i, std::string_view v) {
    if (v == pivot) found = i;
    return !found;
  });
  if (!found) {
    ctx.reply.Integer(-1);
    return Status::Ok();
  }
  l->Insert(after ? *found + 1 : *found, ctx.arg(4));
  AfterListChange(ctx, e, key, "linsert");
  ctx.reply.Integer(static_cast<int64_t>(l->size()));
  return Status::Ok();
}

// LREM key count element -> elements removed: the first count from the head (count > 0),
// from the tail (count < 0), or all (0).
Status LRem(CommandContext& ctx) {
  const std::string_view key = ctx.arg(1);
  int64_t count = 0;
  VELLUM_RETURN_IF_ERROR(ParseIntArg(ctx.arg(2), &count));
  Entry* e = nullptr;
  VELLUM_RETURN_IF_ERROR(FindListForWrite(ctx, key, &e));
  int64_t removed = 0;
  if (e != nullptr) {
    ListValue* l = e->list_value.get();
    const std::string_view element = ctx.arg(3);
    const uint64_t limit = count == 0 ? UINT64_MAX
                                      : (count > 0 ? static_cast<uint64_t>(count)
                                                   : static_cast<uint64_t>(-(count + 1)) + 1);
    removed = static_cast<int64_t>(l->RemoveEqual(element, limit, count < 0));
    if (removed > 0) AfterListChange(ctx, e, key, "lrem");
  }
  ctx.reply.Integer(removed);
  return Status::Ok();
}

// LTRIM key start stop: keeps the range (Redis's LRANGE rule); an empty range deletes the
// key. The indexes are checked before the key.
Status LTrim(CommandContext& ctx) {
  const std::string_view key = ctx.arg(1);
  int64_t start = 0, stop = 0;
  VELLUM_RETURN_IF_ERROR(ParseIntArg(ctx.arg(2), &start));
  VELLUM_RETURN_IF_ERROR(ParseIntArg(ctx.arg(3), &stop));
  Entry* e = nullptr;
  VELLUM_RETURN_IF_ERROR(FindListForWrite(ctx, key, &e));
  if (e != nullptr) {
    ListValue* l = e->list_value.get();
    size_t from = 0, to = 0;
    if (ResolveRange(start, stop, l->size(), &from, &to)) {
      l->Trim(from, to);
    } else {
      l->Trim(0, 0);
    }
    AfterListChange(ctx, e, key, "ltrim");
  }
  ctx.reply.Ok();
  return Status::Ok();
}

// ---- moves ----

// Pops from one end of the list at src and pushes onto one end of the list at dst (created
// if missing); replies with the element, or null for a missing source. The destination's
// type is checked before anything moves; its push event comes before the source's pop.
Status Move(CommandContext& ctx, std::string_view src, std::string_view dst, bool from_left,
            bool to_left) {
  Entry* s = nullptr;
  VELLUM_RETURN_IF_ERROR(FindListForWrite(ctx, src, &s));
  if (s == nullptr) {
    ctx.reply.Null();
    return Status::Ok();
  }
  Entry* d = nullptr;
  VELLUM_RETURN_IF_ERROR(FindListForWrite(ctx, dst, &d));
  const std::string element = MoveElement(ctx, s, src, d, dst, from_left, to_left);
  ctx.reply.Bulk(element);
  return Status::Ok();
}

// LMOVE source destination LEFT|RIGHT LEFT|RIGHT: the directions are checked first.
Status LMove(CommandContext& ctx) {
  bool from_left = false, to_left = false;
  VELLUM_RETURN_IF_ERROR(ParseListEnd(ctx.arg(3), &from_left));
  VELLUM_RETURN_IF_ERROR(ParseListEnd(ctx.arg(4), &to_left));
  return Move(ctx, ctx.arg(1), ctx.arg(2), from_left, to_left);
}

Status RPopLPush(CommandContext& ctx) { return Move(ctx, ctx.arg(1), ctx.arg(2), false, true); }

// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]: pops up to count elements from the
// first non-empty list; replies [key, [elements]], or a null array when every list is
// empty. A key holding another type before that list is WRONGTYPE.
Status LMPop(CommandContext& ctx) {
  MPopArgs args;
  VELLUM_RETURN_IF_ERROR(ParseMPopArgs(ctx, 1, "left", "right", &args));
  for (size_t k = args.first_key; k < args.end_keys; k++) {
    const std::string_view key = ctx.arg(k);
    Entry* e = nullptr;
    VELLUM_RETURN_IF_ERROR(FindListForWrite(ctx, key, &e));
    if (e == nullptr) continue;
    WriteKeyElements(ctx.reply, key, PopElements(ctx, e, key, args.left, args.count));
    return Status::Ok();
  }
  ctx.reply.NullArray();
  return Status::Ok();
}

}  // namespace

// ---- shared with list_blocking.cc (list_ops.h) ----

Status FindListForWrite(CommandContext& ctx, std::string_view key, Entry** out) {
  return FindTypedForWrite(ctx, key, ValueType::kList, out);
}

Entry* CreateList(CommandContext& ctx, std::string_view key) {
  Entry* e = ctx.keyspace.Create(ctx.db, key, ctx.now_ms);  // reports the write itself
  e->type = ValueType::kList;
  e->list_value.emplace();
  ctx.Notify(KeyspaceEvents::kNew, "new", key);
  if (BlockingRegistry* b = ctx.server.blocking()) b->SignalReady(ctx.db, key);
  return e;
}

void AfterListChange(CommandContext& ctx, Entry* e, std::string_view key, const char* event) {
  const bool gone = e->list_value->empty();
  if (gone) {
    ctx.keyspace.Erase(ctx.db, key);
  } else {
    ctx.keyspace.MarkListEndsWritten(ctx.db, key);
  }
  ctx.Notify(KeyspaceEvents::kList, event, key);
  if (gone) ctx.Notify(KeyspaceEvents::kGeneric, "del", key);
}

std::vector<std::string> PopElements(CommandContext& ctx, Entry* e, std::string_view key,
                                     bool left, int64_t n) {
  ListValue* l = e->list_value.get();
  const size_t count = std::min(static_cast<uint64_t>(n), static_cast<uint64_t>(l->size()));
  std::vector<std::string> out;
  out.reserve(count);
  for (size_t i = 0; i < count; i++) out.push_back(left ? l->PopFront() : l->PopBack());
  AfterListChange(ctx, e, key, left ? "lpop" : "rpop");
  return out;
}

std::string MoveElement(CommandContext& ctx, Entry* s, std::string_view src, Entry* d,
                        std::string_view dst, bool from_left, bool to_left) {
  ListValue* sl = s->list_value.get();
  std::string element = from_left ? sl->PopFront() : sl->PopBack();
  if (src == dst) {
    d = s;  // a rotation: the popped element goes back onto the same list
  } else if (d == nullptr) {
    d = CreateList(ctx, dst);
  }
  if (to_left) d->list_value->PushFront(element);
  else d->list_value->PushBack(element);
  AfterListChange(ctx, d, dst, to_left ? "lpush" : "rpush");
  if (src != dst) AfterListChange(ctx, s, src, from_left ? "lpop" : "rpop");
  else ctx.Notify(KeyspaceEvents::kList, from_left ? "lpop" : "rpop", src);
  return element;
}

void WriteKeyElements(protocol::ReplyWriter& reply, std::string_view key,
                      const std::vector<std::string>& elements) {
  reply.ArrayHeader(2);
  reply.Bulk(key);
  reply.ArrayHeader(elements.size());
  for (const std::string& v : elements) reply.Bulk(v);
}

Status ParseListEnd(std::string_view word, bool* left) {
  if (EqualsIgnoreCase(word, "left")) {
    *left = true;
  } else if (EqualsIgnoreCase(word, "right")) {
    *left = false;
  } else {
    return Status::Error(protocol::err::kSyntax);
  }
  return Status::Ok();
}

void RegisterListCommands(CommandTable& table) {
  constexpr uint32_t kR = kCatRead | kCatList;
  constexpr uint32_t kW = kCatWrite | kCatList;
  constexpr const char* kGroup = "list";
  table.Register({"lpush", -3, kWrite | kDenyOom | kFast, kW | kCatFast, 1, 1, 1, kGroup, "1.0.0",
                  "Prepends one or more elements to a list. Creates the key if it doesn't exist.",
                  LPush});
  table.Register({"rpush", -3, kWrite | kDenyOom | kFast, kW | kCatFast, 1, 1, 1, kGroup, "1.0.0",
                  "Appends one or more elements to a list. Creates the key if it doesn't exist.",
                  RPush});
  table.Register({"lpushx", -3, kWrite | kDenyOom | kFast, kW | kCatFast, 1, 1, 1, kGroup,
                  "2.2.0", "Prepends one or more elements to a list only when the list exists.",
                  LPushX});
  table.Register({"rpushx", -3, kWrite | kDenyOom | kFast, kW | kCatFast, 1, 1, 1, kGroup,
                  "2.2.0", "Appends an element to a list only when the list exists.", RPushX});
  table.Register({"lpop", -2, kWrite | kFast, kW | kCatFast, 1, 1, 1, kGroup, "1.0.0",
                  "Returns the first elements in a list after removing it. Deletes the list if "
                  "the last element was popped.",
                  LPop});
  table.Register({"rpop", -2, kWrite | kFast, kW | kCatFast, 1, 1, 1, kGroup, "1.0.0",
                  "Returns and removes the last elements of a list. Deletes the list if the "
                  "last element was popped.",
                  RPop});
  table.Register({"llen", 2, kReadonly | kFast, kR | kCatFast, 1, 1, 1, kGroup, "1.0.0",
                  "Returns the length of a list.", LLen});
  table.Register({"lrange", 4, kReadonly, kR | kCatSlow, 1, 1, 1, kGroup, "1.0.0",
                  "Returns a range of elements from a list.", LRange});
  table.Register({"lindex", 3, kReadonly, kR | kCatSlow, 1, 1, 1, kGroup, "1.0.0",
                  "Returns an element from a list by its index.", LIndex});
  table.Register({"lpos", -3, kReadonly, kR | kCatSlow, 1, 1, 1, kGroup, "6.0.6",
                  "Returns the index of matching elements in a list.", LPos});
  table.Register({"lset", 4, kWrite | kDenyOom, kW | kCatSlow, 1, 1, 1, kGroup, "1.0.0",
                  "Sets the value of an element in a list by its index.", LSet});
  table.Register({"linsert", 5, kWrite | kDenyOom, kW | kCatSlow, 1, 1, 1, kGroup, "2.2.0",
                  "Inserts an element before or after another element in a list.", LInsert});
  table.Register({"lrem", 4, kWrite, kW | kCatSlow, 1, 1, 1, kGroup, "1.0.0",
                  "Removes elements from a list. Deletes the list if the last element was "
                  "removed.",
                  LRem});
  table.Register({"ltrim", 4, kWrite, kW | kCatSlow, 1, 1, 1, kGroup, "1.0.0",
                  "Removes elements from both ends a list. Deletes the list if all elements "
                  "were trimmed.",
                  LTrim});
  table.Register({"lmove", 5, kWrite | kDenyOom, kW | kCatSlow, 1, 2, 1, kGroup, "6.2.0",
                  "Returns an element after popping it from one list and pushing it to another. "
                  "Deletes the list if the last element was moved.",
                  LMove});
  table.Register({"rpoplpush", 3, kWrite | kDenyOom, kW | kCatSlow, 1, 2, 1, kGroup, "1.2.0",
                  "Returns the last element of a list after removing and pushing it to another "
                  "list. Deletes the list if the last element was popped.",
                  RPopLPush});
  // Its keys follow numkeys (numkeys_at: locks, ACL and GETKEYS take just those).
  table.Register({"lmpop", -4, kWrite, kW | kCatSlow, 2, -1, 1, kGroup, "7.0.0",
                  "Returns multiple elements from a list after removing them. Deletes the list "
                  "if the last element was popped.",
                  LMPop, {}, /*numkeys_at=*/1});
}

}  // namespace vellum::server
