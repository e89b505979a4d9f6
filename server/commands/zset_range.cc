// Sorted-set range reads: ZRANGE (BYSCORE BYLEX REV LIMIT WITHSCORES), ZRANGESTORE and
// the older ZREVRANGE ZRANGEBYSCORE ZREVRANGEBYSCORE ZRANGEBYLEX ZREVRANGEBYLEX, all
// through one parser and one walk, as Redis 7.0's zrangeGenericCommand.
//
// Every range becomes ranks first (storage::ZSetValue counts the items below a score or a
// member in O(log n)), then a walk from a rank: a range costs O(log n + items returned).
#include <algorithm>
#include <memory>
#include <string>

#include "protocol/errors.h"
#include "server/command.h"
#include "server/command_table.h"
#include "server/commands/collection_args.h"
#include "server/commands/args.h"
#include "server/commands/registry.h"
#include "server/commands/zset_ops.h"

namespace vellum::server {
namespace {

using storage::ZSetValue;

constexpr char kLimitNeedsByScoreOrLex[] =
    "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX";
constexpr char kWithScoresByLex[] =
    "ERR syntax error, WITHSCORES not supported in combination with BYLEX";

enum class RangeType { kAuto, kRank, kScore, kLex };
enum class Direction { kAuto, kForward, kReverse };

// The items a range selects: `count` items from rank `first`, going down when reverse.
struct Selection {
  size_t first = 0;
  size_t count = 0;
  bool reverse = false;
};

// Ranks [from, to) seen in `reverse` order, after skipping `offset` and keeping at most
// `limit` (negative: all). A negative offset selects nothing, as in Redis.
Selection Select(size_t from, size_t to, bool reverse, int64_t offset, int64_t limit) {
  Selection s;
  s.reverse = reverse;
  if (offset < 0 || from >= to || static_cast<uint64_t>(offset) >= to - from) return s;
  const size_t skip = static_cast<size_t>(offset);
  s.first = reverse ? to - 1 - skip : from + skip;
  s.count = to - from - skip;
  if (limit >= 0) s.count = std::min(s.count, static_cast<size_t>(limit));
  return s;
}

// ZRANGE and its family. The source key is argv[src]; its range arguments follow it, then
// the options. `dst` is ZRANGESTORE's destination (nullptr for the others). `type` and
// `dir` are fixed by the older commands and chosen by the options for ZRANGE.
Status RangeGeneric(CommandContext& ctx, size_t src, const std::string_view* dst, RangeType type,
                    Direction dir) {
  bool withscores = false;
  int64_t offset = 0, limit = -1;
  for (size_t j = src + 3; j < ctx.argc(); j++) {
    const std::string_view opt = ctx.arg(j);
    const size_t left = ctx.argc() - j - 1;
    if (dst == nullptr && EqualsIgnoreCase(opt, "withscores")) {
      withscores = true;
    } else if (EqualsIgnoreCase(opt, "limit") && left >= 2) {
      VELLUM_RETURN_IF_ERROR(ParseIntArg(ctx.arg(j + 1), &offset));
      VELLUM_RETURN_IF_ERROR(ParseIntArg(ctx.arg(j + 2), &limit));
      j += 2;
    } else if (dir == Direction::kAuto && EqualsIgnoreCase(opt, "rev")) {
      dir = Direction::kReverse;
    } else if (type == RangeType::kAuto && EqualsIgnoreCase(opt, "bylex")) {
      type = RangeType::kLex;
    } else if (type == RangeType::kAuto && EqualsIgnoreCase(opt, "byscore")) {
      type = RangeType::kScore;
    } else {
      return Status::Error(protocol::err::kSyntax);
    }
  }
  if (dir == Direction::kAuto) dir = Direction::kForward;
  if (type == RangeType::kAuto) type = RangeType::kRank;
  // Redis checks the count only: "LIMIT 5 -1" passes with a rank range.
  if (limit != -1 && type == RangeType::kRank) return Status::Error(kLimitNeedsByScoreOrLex);
  if (withscores && type == RangeType::kLex) return Status::Error(kWithScoresByLex);
  const bool reverse = dir == Direction::kReverse;
  std::string_view min = ctx.arg(src + 1), max = ctx.arg(src + 2);
  if (reverse && type != RangeType::kRank) std::swap(min, max);

  int64_t start = 0, stop = 0;
  ScoreRange score_range;
  LexRange lex_range;
  switch (type) {
    case RangeType::kAuto:
    case RangeType::kRank:
      VELLUM_RETURN_IF_ERROR(ParseIntArg(min, &start));
      VELLUM_RETURN_IF_ERROR(ParseIntArg(max, &stop));
      break;
    case RangeType::kScore:
      VELLUM_RETURN_IF_ERROR(ParseScoreRange(min, max, &score_range));
      break;
    case RangeType::kLex:
      VELLUM_RETURN_IF_ERROR(ParseLexRange(min, max, &lex_range));
      break;
  }

  const ZSetValue* z = nullptr;
  VELLUM_RETURN_IF_ERROR(ReadZSet(ctx, ctx.arg(src), &z));
  Selection sel;
  if (z != nullptr) {
    const size_t size = z->size();
    size_t from = 0, to = 0;
    if (type == RangeType::kRank) {
      if (ResolveRange(start, stop, size, &from, &to)) {
        sel.reverse = reverse;
        sel.count = to - from;
        sel.first = reverse ? size - 1 - from : from;
      }
    } else {
      if (type == RangeType::kScore) score_range.Ranks(*z, &from, &to);
      else lex_range.Ranks(*z, &from, &to);
      sel = Select(from, to, reverse, offset, limit);
    }
  }

  if (dst != nullptr) {
    auto result = std::make_unique<ZSetValue>();
    if (z != nullptr) {
      z->Walk(sel.first, sel.count, sel.reverse, [&](ZSetValue::Item it) {
        result->Set(it.member, it.score);
        return true;
      });
    }
    StoreZSet(ctx, *dst, std::move(result), "zrangestore");
    return Status::Ok();
  }
  WriteRangeHeader(ctx.reply, sel.count, withscores);
  if (z != nullptr) {
    z->Walk(sel.first, sel.count, sel.reverse, [&](ZSetValue::Item it) {
      WriteRangeItem(ctx.reply, it.member, it.score, withscores);
      return true;
    });
  }
  return Status::Ok();
}

// ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]
Status ZRange(CommandContext& ctx) {
  return RangeGeneric(ctx, 1, nullptr, RangeType::kAuto, Direction::kAuto);
}
// ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]
Status ZRangeStore(CommandContext& ctx) {
  const std::string_view dst = ctx.arg(1);
  return RangeGeneric(ctx, 2, &dst, RangeType::kAuto, Direction::kAuto);
}
Status ZRevRange(CommandContext& ctx) {
  return RangeGeneric(ctx, 1, nullptr, RangeType::kRank, Direction::kReverse);
}
Status ZRangeByScore(CommandContext& ctx) {
  return RangeGeneric(ctx, 1, nullptr, RangeType::kScore, Direction::kForward);
}
Status ZRevRangeByScore(CommandContext& ctx) {
  return RangeGeneric(ctx, 1, nullptr, RangeType::kScore, Direction::kReverse);
}
Status ZRangeByLex(CommandContext& ctx) {
  return RangeGeneric(ctx, 1, nullptr, RangeType::kLex, Direction::kForward);
}
Status ZRevRangeByLex(CommandContext& ctx) {
  return RangeGeneric(ctx, 1, nullptr, RangeType::kLex, Direction::kReverse);
}

}  // namespace

void RegisterZSetRangeCommands(CommandTable& table) {
  constexpr uint32_t kR = kCatRead | kCatSortedSet | kCatSlow;
  constexpr const char* kGroup = "sorted_set";
  table.Register({"zrange", -4, kReadonly, kR, 1, 1, 1, kGroup, "1.2.0",
                  "Returns members in a sorted set within a range of indexes.", ZRange});
  table.Register({"zrangestore", -5, kWrite | kDenyOom, kCatWrite | kCatSortedSet | kCatSlow, 1,
                  2, 1, kGroup, "6.2.0", "Stores a range of members from sorted set in a key.",
                  ZRangeStore});
  table.Register({"zrevrange", -4, kReadonly, kR, 1, 1, 1, kGroup, "1.2.0",
                  "Returns members in a sorted set within a range of indexes in reverse order.",
                  ZRevRange});
  table.Register({"zrangebyscore", -4, kReadonly, kR, 1, 1, 1, kGroup, "1.0.5",
                  "Returns members in a sorted set within a range of scores.", ZRangeByScore});
  table.Register({"zrevrangebyscore", -4, kReadonly, kR, 1, 1, 1, kGroup, "2.2.0",
                  "Returns members in a sorted set within a range of scores in reverse order.",
                  ZRevRangeByScore});
  table.Register({"zrangebylex", -4, kReadonly, kR, 1, 1, 1, kGroup, "2.8.9",
                  "Returns members in a sorted set within a lexicographical range.",
                  ZRangeByLex});
  table.Register({"zrevrangebylex", -4, kReadonly, kR, 1, 1, 1, kGroup, "2.8.9",
                  "Returns members in a sorted set within a lexicographical range in reverse "
                  "order.",
                  ZRevRangeByLex});
}

}  // namespace vellum::server
