// Sorted-set commands on one key: ZADD ZINCRBY ZREM ZSCORE ZMSCORE ZCARD ZCOUNT ZLEXCOUNT
// ZRANK ZREVRANK ZREMRANGEBYRANK ZREMRANGEBYSCORE ZREMRANGEBYLEX ZPOPMIN ZPOPMAX ZMPOP
// ZRANDMEMBER ZSCAN, with Redis 7.0's argument order, reply types and error texts
// (t_zset.c). Ranges live in zset_range.cc, ZUNION/ZINTER/ZDIFF in zset_setops.cc, the
// blocking pops in zset_blocking.cc; the value itself is storage::ZSetValue.
//
// The dispatcher holds the key's shard lock. Writers report what they changed: the
// members whose scores changed or went (MarkFieldsWritten), so the persister writes those
// records only; a set left empty is deleted, as in Redis.
#include <cmath>
#include <string>
#include <vector>

#include "common/glob.h"
#include "common/numbers.h"
#include "protocol/errors.h"
#include "server/command.h"
#include "server/command_table.h"
#include "server/commands/args.h"
#include "server/commands/collection_args.h"
#include "server/commands/registry.h"
#include "server/commands/zset_ops.h"
#include "server/keyspace_events.h"

namespace vellum::server {
namespace {

using storage::Entry;
using storage::ZSetValue;

constexpr char kNxXx[] = "ERR XX and NX options at the same time are not compatible";
constexpr char kGtLtNx[] = "ERR GT, LT, and/or NX options at the same time are not compatible";
constexpr char kIncrPairs[] = "ERR INCR option supports a single increment-element pair";
constexpr char kScoreNaN[] = "ERR resulting score is not a number (NaN)";

// ---- ZADD, ZINCRBY ----

struct AddFlags {
  bool nx = false, xx = false, gt = false, lt = false, ch = false, incr = false;
};

// ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...], and ZINCRBY
// (incr set, no flags). Every score is parsed before anything changes.
Status ZAddGeneric(CommandContext& ctx, AddFlags f, size_t first) {
  const std::string_view key = ctx.arg(1);
  const size_t args = ctx.argc() - first;
  if (args == 0 || args % 2 != 0) return Status::Error(protocol::err::kSyntax);
  const size_t pairs = args / 2;
  if (f.nx && f.xx) return Status::Error(kNxXx);
  if ((f.gt && f.nx) || (f.lt && f.nx) || (f.gt && f.lt)) return Status::Error(kGtLtNx);
  if (f.incr && pairs > 1) return Status::Error(kIncrPairs);
  std::vector<double> scores(pairs);
  for (size_t i = 0; i < pairs; i++) {
    VELLUM_RETURN_IF_ERROR(ParseScore(ctx.arg(first + 2 * i), &scores[i]));
  }
  Entry* e = nullptr;
  VELLUM_RETURN_IF_ERROR(FindZSetForWrite(ctx, key, &e));
  if (e == nullptr && f.xx) {
    if (f.incr) ctx.reply.Null();
    else ctx.reply.Integer(0);
    return Status::Ok();
  }
  const bool created = e == nullptr;
  if (created) {
    e = CreateZSet(ctx, key);
    // Redis 7.0 picks a new key's encoding from the pair count and the first member.
    if (pairs > ZSetValue::max_listpack_entries() ||
        ctx.arg(first + 1).size() > ZSetValue::max_listpack_value()) {
      e->zset_value->LabelSkiplist();
    }
  }
  ZSetValue* z = e->zset_value.get();
  int64_t added = 0, updated = 0, processed = 0;
  double last_score = 0;
  std::vector<std::string_view> changed;
  for (size_t i = 0; i < pairs; i++) {
    const std::string_view member = ctx.arg(first + 2 * i + 1);
    double score = scores[i];
    const std::optional<double> current = z->Score(member);
    if (current) {
      if (f.nx) continue;
      if (f.incr) {
        score += *current;
        if (std::isnan(score)) return Status::Error(kScoreNaN);  // only one pair: no change yet
      }
      if ((f.lt && score >= *current) || (f.gt && score <= *current)) continue;
      processed++;
      last_score = score;
      if (score != *current) {
        z->Set(member, score);
        updated++;
        changed.push_back(member);
      }
    } else {
      if (f.xx) continue;
      z->Set(member, score);
      added++;
      processed++;
      last_score = score;
      changed.push_back(member);
    }
  }
  if (added + updated > 0) {
    if (!created) ctx.keyspace.MarkFieldsWritten(ctx.db, key, changed);
    ctx.Notify(KeyspaceEvents::kZset, f.incr ? "zincr" : "zadd", key);
  }
  if (f.incr) {
    if (processed > 0) ctx.reply.Double(last_score);
    else ctx.reply.Null();
  } else {
    ctx.reply.Integer(f.ch ? added + updated : added);
  }
  return Status::Ok();
}

Status ZAdd(CommandContext& ctx) {
  AddFlags f;
  size_t i = 2;
  for (; i < ctx.argc(); i++) {
    const std::string_view opt = ctx.arg(i);
    if (EqualsIgnoreCase(opt, "nx")) f.nx = true;
    else if (EqualsIgnoreCase(opt, "xx")) f.xx = true;
    else if (EqualsIgnoreCase(opt, "gt")) f.gt = true;
    else if (EqualsIgnoreCase(opt, "lt")) f.lt = true;
    else if (EqualsIgnoreCase(opt, "ch")) f.ch = true;
    else if (EqualsIgnoreCase(opt, "incr")) f.incr = true;
    else break;
  }
  return ZAddGeneric(ctx, f, i);
}

// ZINCRBY key increment member
Status ZIncrBy(CommandContext& ctx) {
  AddFlags f;
  f.incr = true;
  return ZAddGeneric(ctx, f, 2);
}

// ---- removal ----

// ZREM key member [member ...] -> members removed. The key goes with its last member.
Status ZRem(CommandContext& ctx) {
  const std::string_view key = ctx.arg(1);
  Entry* e = nullptr;
  VELLUM_RETURN_IF_ERROR(FindZSetForWrite(ctx, key, &e));
  int64_t removed = 0;
  if (e != nullptr) {
    std::vector<std::string_view> members;
    for (size_t i = 2; i < ctx.argc(); i++) {
      if (e->zset_value->Remove(ctx.arg(i))) {
        removed++;
        members.push_back(ctx.arg(i));
        if (e->zset_value->empty()) break;
      }
    }
    if (removed > 0) AfterZSetRemoval(ctx, e, key, "zrem", members);
  }
  ctx.reply.Integer(removed);
  return Status::Ok();
}

// Removes ranks [from, to) of the set at key (e), raising `event`; replies the count.
void RemoveRanks(CommandContext& ctx, Entry* e, std::string_view key, size_t from, size_t to,
                 const char* event) {
  if (e == nullptr || from >= to) {
    ctx.reply.Integer(0);
    return;
  }
  std::vector<std::string> gone;
  gone.reserve(to - from);
  e->zset_value->RemoveRanks(from, to, [&](std::string_view m) { gone.emplace_back(m); });
  std::vector<std::string_view> members(gone.begin(), gone.end());
  AfterZSetRemoval(ctx, e, key, event, members);
  ctx.reply.Integer(static_cast<int64_t>(gone.size()));
}

// ZREMRANGEBYRANK key start stop
Status ZRemRangeByRank(CommandContext& ctx) {
  int64_t start = 0, stop = 0;
  VELLUM_RETURN_IF_ERROR(ParseIntArg(ctx.arg(2), &start));
  VELLUM_RETURN_IF_ERROR(ParseIntArg(ctx.arg(3), &stop));
  Entry* e = nullptr;
  VELLUM_RETURN_IF_ERROR(FindZSetForWrite(ctx, ctx.arg(1), &e));
  size_t from = 0, to = 0;
  if (e != nullptr) ResolveRange(start, stop, e->zset_value->size(), &from, &to);  // else 0, 0
  RemoveRanks(ctx, e, ctx.arg(1), from, to, "zremrangebyrank");
  return Status::Ok();
}

// ZREMRANGEBYSCORE / ZREMRANGEBYLEX key min max: the bounds are parsed (by Parse, into
// a Range) before the key is looked up, then turned into ranks.
template <typename Range, Status (*Parse)(std::string_view, std::string_view, Range*)>
Status ZRemRangeByBounds(CommandContext& ctx, const char* event) {
  Range range;
  VELLUM_RETURN_IF_ERROR(Parse(ctx.arg(2), ctx.arg(3), &range));
  Entry* e = nullptr;
  VELLUM_RETURN_IF_ERROR(FindZSetForWrite(ctx, ctx.arg(1), &e));
  size_t from = 0, to = 0;
  if (e != nullptr) range.Ranks(*e->zset_value, &from, &to);
  RemoveRanks(ctx, e, ctx.arg(1), from, to, event);
  return Status::Ok();
}

Status ZRemRangeByScore(CommandContext& ctx) {
  return ZRemRangeByBounds<ScoreRange, ParseScoreRange>(ctx, "zremrangebyscore");
}

Status ZRemRangeByLex(CommandContext& ctx) {
  return ZRemRangeByBounds<LexRange, ParseLexRange>(ctx, "zremrangebylex");
}

// ---- reads ----

Status ZScore(CommandContext& ctx) {
  const ZSetValue* z = nullptr;
  VELLUM_RETURN_IF_ERROR(ReadZSet(ctx, ctx.arg(1), &z));
  std::optional<double> score = z ? z->Score(ctx.arg(2)) : std::nullopt;
  if (score) ctx.reply.Double(*score);
  else ctx.reply.Null();
  return Status::Ok();
}

Status ZMScore(CommandContext& ctx) {
  const ZSetValue* z = nullptr;
  VELLUM_RETURN_IF_ERROR(ReadZSet(ctx, ctx.arg(1), &z));
  ctx.reply.ArrayHeader(ctx.argc() - 2);
  for (size_t i = 2; i < ctx.argc(); i++) {
    std::optional<double> score = z ? z->Score(ctx.arg(i)) : std::nullopt;
    if (score) ctx.reply.Double(*score);
    else ctx.reply.Null();
  }
  return Status::Ok();
}

Status ZCard(CommandContext& ctx) {
  const ZSetValue* z = nullptr;
  VELLUM_RETURN_IF_ERROR(ReadZSet(ctx, ctx.arg(1), &z));
  ctx.reply.Integer(z ? static_cast<int64_t>(z->size()) : 0);
  return Status::Ok();
}

// ZCOUNT / ZLEXCOUNT key min max: the bounds are parsed (by Parse, into a Range) before
// the key is looked up, then turned into ranks.
template <typename Range, Status (*Parse)(std::string_view, std::string_view, Range*)>
Status CountInBounds(CommandContext& ctx) {
  Range range;
  VELLUM_RETURN_IF_ERROR(Parse(ctx.arg(2), ctx.arg(3), &range));
  const ZSetValue* z = nullptr;
  VELLUM_RETURN_IF_ERROR(ReadZSet(ctx, ctx.arg(1), &z));
  size_t from = 0, to = 0;
  if (z) range.Ranks(*z, &from, &to);
  ctx.reply.Integer(static_cast<int64_t>(to - from));
  return Status::Ok();
}

Status ZCount(CommandContext& ctx) { return CountInBounds<ScoreRange, ParseScoreRange>(ctx); }
Status ZLexCount(CommandContext& ctx) { return CountInBounds<LexRange, ParseLexRange>(ctx); }

Status RankGeneric(CommandContext& ctx, bool reverse) {
  const ZSetValue* z = nullptr;
  VELLUM_RETURN_IF_ERROR(ReadZSet(ctx, ctx.arg(1), &z));
  std::optional<size_t> rank = z ? z->Rank(ctx.arg(2)) : std::nullopt;
  if (!rank) {
    ctx.reply.Null();
  } else {
    ctx.reply.Integer(static_cast<int64_t>(reverse ? z->size() - 1 - *rank : *rank));
  }
  return Status::Ok();
}

Status ZRank(CommandContext& ctx) { return RankGeneric(ctx, false); }
Status ZRevRank(CommandContext& ctx) { return RankGeneric(ctx, true); }

// ---- pops ----

// ZPOPMIN / ZPOPMAX key [count]: without count one flat [member, score]; with it, in
// RESP3, [[member, score], ...].
Status PopGeneric(CommandContext& ctx, bool min) {
  if (ctx.argc() > 3) return Status::Error(protocol::err::kSyntax);
  int64_t count = -1;
  if (ctx.argc() == 3) {
    // One text for both, as Redis's getPositiveLongFromObjectOrReply gives it.
    if (!ParseInt64(ctx.arg(2), &count) || count < 0) {
      return Status::Error(protocol::err::kMustBePositive);
    }
  }
  const std::string_view key = ctx.arg(1);
  Entry* e = nullptr;
  VELLUM_RETURN_IF_ERROR(FindZSetForWrite(ctx, key, &e));
  if (e == nullptr || count == 0) {
    ctx.reply.EmptyArray();
    return Status::Ok();
  }
  const bool nested = ctx.reply.resp() >= 3 && count != -1;
  WritePopped(ctx.reply, nullptr, PopMembers(ctx, e, key, min, count == -1 ? 1 : count), nested);
  return Status::Ok();
}

Status ZPopMin(CommandContext& ctx) { return PopGeneric(ctx, true); }
Status ZPopMax(CommandContext& ctx) { return PopGeneric(ctx, false); }

// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count] -> [key, [[member, score], ...]] from
// the first non-empty set, or a null array.
Status ZMPop(CommandContext& ctx) {
  MPopArgs args;
  VELLUM_RETURN_IF_ERROR(ParseMPopArgs(ctx, 1, "min", "max", &args));
  for (size_t k = args.first_key; k < args.end_keys; k++) {
    const std::string key(ctx.arg(k));
    Entry* e = nullptr;
    VELLUM_RETURN_IF_ERROR(FindZSetForWrite(ctx, key, &e));
    if (e != nullptr) {
      WritePopped(ctx.reply, &key, PopMembers(ctx, e, key, args.left, args.count), true);
      return Status::Ok();
    }
  }
  ctx.reply.NullArray();
  return Status::Ok();
}

// ---- random members, scan ----

void ReplyRandomItem(CommandContext& ctx, ZSetValue::Item it, bool withscores) {
  WriteRangeItem(ctx.reply, it.member, it.score, withscores);
}

// ZRANDMEMBER key [count [WITHSCORES]], as HRANDFIELD: a negative count may repeat
// members, a positive one gives distinct members (the whole set when count >= size).
Status ZRandMember(CommandContext& ctx) {
  if (ctx.argc() == 2) {
    const ZSetValue* z = nullptr;
    VELLUM_RETURN_IF_ERROR(ReadZSet(ctx, ctx.arg(1), &z));
    if (z == nullptr) ctx.reply.Null();
    else ctx.reply.Bulk(z->AtIndex(z->RandomIndex(CollectionRng())).member);
    return Status::Ok();
  }
  int64_t l = 0;
  VELLUM_RETURN_IF_ERROR(ParseRandomCount(ctx.arg(2), &l));
  if (ctx.argc() > 4 || (ctx.argc() == 4 && !EqualsIgnoreCase(ctx.arg(3), "withscores"))) {
    return Status::Error(protocol::err::kSyntax);
  }
  const bool withscores = ctx.argc() == 4;
  if (withscores && (l < -INT64_MAX / 2 || l > INT64_MAX / 2)) {
    return Status::Error(protocol::err::kValueOutOfRange);
  }
  const ZSetValue* z = nullptr;
  VELLUM_RETURN_IF_ERROR(ReadZSet(ctx, ctx.arg(1), &z));
  if (z == nullptr || l == 0) {
    ctx.reply.EmptyArray();
    return Status::Ok();
  }
  auto& rng = CollectionRng();
  if (l < 0) {  // repetitions allowed
    const auto count = static_cast<uint64_t>(-l);
    WriteRangeHeader(ctx.reply, count, withscores);
    for (uint64_t i = 0; i < count; i++) {
      ReplyRandomItem(ctx, z->AtIndex(z->RandomIndex(rng)), withscores);
    }
    return Status::Ok();
  }
  const size_t size = z->size();
  const auto count = static_cast<uint64_t>(l);
  if (count >= size) {  // the whole set
    WriteRangeHeader(ctx.reply, size, withscores);
    z->Walk(0, size, /*reverse=*/false, [&](ZSetValue::Item it) {
      ReplyRandomItem(ctx, it, withscores);
      return true;
    });
    return Status::Ok();
  }
  WriteRangeHeader(ctx.reply, count, withscores);
  ForDistinctRandomIndexes(size, count, rng,
                           [&](size_t i) { ReplyRandomItem(ctx, z->AtIndex(i), withscores); });
  return Status::Ok();
}

// A listpack score as ZSCAN reads it back: Redis stores the "%.17g"-or-integer text, and
// listpack keeps an integral one up to 2^62 as an integer, which prints in full
// (1e17 scans as 100000000000000000 while ZSCORE says 1e+17).
std::string ListpackScoreText(double score) {
  constexpr double kTwo62 = 4611686018427387904.0;
  if (std::isfinite(score) && score == std::trunc(score) && std::fabs(score) <= kTwo62) {
    return std::to_string(static_cast<int64_t>(score));
  }
  return FormatDouble(score);
}

// ZSCAN key cursor [MATCH pattern] [COUNT count] -> [cursor, [member, score, ...]]. Scores
// are bulk strings in both protocols: as ZSCORE writes them for a skiplist, as the
// listpack's stored text for a listpack.
Status ZScan(CommandContext& ctx) {
  uint64_t cursor = 0;
  if (!ParseScanCursor(ctx.arg(2), &cursor)) {
    return Status::Error(protocol::err::kInvalidCursor);
  }
  const ZSetValue* z = nullptr;
  VELLUM_RETURN_IF_ERROR(ReadZSet(ctx, ctx.arg(1), &z));
  if (z == nullptr) {
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk("0");
    ctx.reply.ArrayHeader(0);
    return Status::Ok();
  }
  CollectionScanOptions o;
  VELLUM_RETURN_IF_ERROR(ParseCollectionScanOptions(ctx, 3, &o));
  std::vector<ZSetValue::Item> found;
  const uint64_t next = z->Scan(cursor, o.count, [&](ZSetValue::Item it) {
    if (!o.use_pattern || GlobMatch(o.pattern, it.member)) found.push_back(it);
  });
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::to_string(next));
  ctx.reply.ArrayHeader(found.size() * 2);
  for (const ZSetValue::Item& it : found) {
    ctx.reply.Bulk(it.member);
    ctx.reply.Bulk(z->listpack() ? ListpackScoreText(it.score) : FormatDouble(it.score));
  }
  return Status::Ok();
}

}  // namespace

void RegisterZSetCommands(CommandTable& table) {
  constexpr uint32_t kR = kCatRead | kCatSortedSet;
  constexpr uint32_t kW = kCatWrite | kCatSortedSet;
  constexpr const char* kGroup = "sorted_set";
  table.Register({"zadd", -4, kWrite | kDenyOom | kFast, kW | kCatFast, 1, 1, 1, kGroup, "1.2.0",
                  "Adds one or more members to a sorted set, or updates their scores. Creates "
                  "the key if it doesn't exist.",
                  ZAdd});
  table.Register({"zincrby", 4, kWrite | kDenyOom | kFast, kW | kCatFast, 1, 1, 1, kGroup,
                  "1.2.0", "Increments the score of a member in a sorted set.", ZIncrBy});
  table.Register({"zrem", -3, kWrite | kFast, kW | kCatFast, 1, 1, 1, kGroup, "1.2.0",
                  "Removes one or more members from a sorted set. Deletes the sorted set if "
                  "all members were removed.",
                  ZRem});
  table.Register({"zremrangebyrank", 4, kWrite, kW | kCatSlow, 1, 1, 1, kGroup, "2.0.0",
                  "Removes members in a sorted set within a range of indexes. Deletes the "
                  "sorted set if all members were removed.",
                  ZRemRangeByRank});
  table.Register({"zremrangebyscore", 4, kWrite, kW | kCatSlow, 1, 1, 1, kGroup, "1.2.0",
                  "Removes members in a sorted set within a range of scores. Deletes the "
                  "sorted set if all members were removed.",
                  ZRemRangeByScore});
  table.Register({"zremrangebylex", 4, kWrite, kW | kCatSlow, 1, 1, 1, kGroup, "2.8.9",
                  "Removes members in a sorted set within a lexicographical range. Deletes the "
                  "sorted set if all members were removed.",
                  ZRemRangeByLex});
  table.Register({"zscore", 3, kReadonly | kFast, kR | kCatFast, 1, 1, 1, kGroup, "1.2.0",
                  "Returns the score of a member in a sorted set.", ZScore});
  table.Register({"zmscore", -3, kReadonly | kFast, kR | kCatFast, 1, 1, 1, kGroup, "6.2.0",
                  "Returns the score of one or more members in a sorted set.", ZMScore});
  table.Register({"zcard", 2, kReadonly | kFast, kR | kCatFast, 1, 1, 1, kGroup, "1.2.0",
                  "Returns the number of members in a sorted set.", ZCard});
  table.Register({"zcount", 4, kReadonly | kFast, kR | kCatFast, 1, 1, 1, kGroup, "2.0.0",
                  "Returns the count of members in a sorted set that have scores within a "
                  "range.",
                  ZCount});
  table.Register({"zlexcount", 4, kReadonly | kFast, kR | kCatFast, 1, 1, 1, kGroup, "2.8.9",
                  "Returns the number of members in a sorted set within a lexicographical "
                  "range.",
                  ZLexCount});
  table.Register({"zrank", 3, kReadonly | kFast, kR | kCatFast, 1, 1, 1, kGroup, "2.0.0",
                  "Returns the index of a member in a sorted set ordered by ascending scores.",
                  ZRank});
  table.Register({"zrevrank", 3, kReadonly | kFast, kR | kCatFast, 1, 1, 1, kGroup, "2.0.0",
                  "Returns the index of a member in a sorted set ordered by descending scores.",
                  ZRevRank});
  table.Register({"zpopmin", -2, kWrite | kFast, kW | kCatFast, 1, 1, 1, kGroup, "5.0.0",
                  "Returns the lowest-scoring members from a sorted set after removing them. "
                  "Deletes the sorted set if the last member was popped.",
                  ZPopMin});
  table.Register({"zpopmax", -2, kWrite | kFast, kW | kCatFast, 1, 1, 1, kGroup, "5.0.0",
                  "Returns the highest-scoring members from a sorted set after removing them. "
                  "Deletes the sorted set if the last member was popped.",
                  ZPopMax});
  // Its keys follow numkeys (numkeys_at: locks, ACL and GETKEYS take just those).
  table.Register({"zmpop", -4, kWrite, kW | kCatSlow, 2, -1, 1, kGroup, "7.0.0",
                  "Returns the highest- or lowest-scoring members from one or more sorted sets "
                  "after removing them. Deletes the sorted set if the last member was popped.",
                  ZMPop, {}, /*numkeys_at=*/1});
  table.Register({"zrandmember", -2, kReadonly, kR | kCatSlow, 1, 1, 1, kGroup, "6.2.0",
                  "Returns one or more random members from a sorted set.", ZRandMember});
  table.Register({"zscan", -3, kReadonly, kR | kCatSlow, 1, 1, 1, kGroup, "2.8.0",
                  "Iterates over members and scores of a sorted set.", ZScan});
}

}  // namespace vellum::server
