// Sorted-set algebra: ZUNION ZINTER ZDIFF, their STORE forms, and ZINTERCARD, with Redis
// 7.0's options (WEIGHTS, AGGREGATE SUM|MIN|MAX, WITHSCORES, LIMIT), texts and quirks
// (zunionInterDiffGenericCommand in t_zset.c): plain sets count as sorted sets whose
// scores are all 1; a weighted score or a sum that comes out NaN (inf - inf, 0 * inf) is 0.
//
// The dispatcher holds the shard locks of every key named (and of the destination), so
// each command sees its inputs and writes its result atomically.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "common/numbers.h"
#include "protocol/errors.h"
#include "server/command.h"
#include "server/command_table.h"
#include "server/commands/args.h"
#include "server/commands/registry.h"
#include "server/commands/zset_ops.h"

namespace vellum::server {
namespace {

using storage::Entry;
using storage::SetValue;
using storage::ValueType;
using storage::ZSetValue;

constexpr char kWeightNotFloat[] = "ERR weight value is not a float";

enum class SetOp { kUnion, kInter, kDiff };
enum class Aggregate { kSum, kMin, kMax };

// One input: a sorted set, a plain set (every score 1), or nothing (a missing key).
struct Source {
  const ZSetValue* zset = nullptr;
  const SetValue* set = nullptr;
  double weight = 1;

  size_t size() const { return zset ? zset->size() : set ? set->size() : 0; }
  bool Find(std::string_view member, double* score) const {
    if (zset) {
      std::optional<double> s = zset->Score(member);
      if (s) *score = *s;
      return s.has_value();
    }
    if (set && set->Contains(member)) {
      *score = 1;
      return true;
    }
    return false;
  }
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    if (zset) {
      zset->Walk(0, zset->size(), /*reverse=*/false, [&](ZSetValue::Item it) {
        fn(it.member, it.score);
        return true;
      });
    } else if (set) {
      set->ForEach([&](std::string_view m) { fn(m, 1.0); });
    }
  }
};

double Weighted(double score, double weight) {
  const double v = score * weight;
  return std::isnan(v) ? 0 : v;
}

void Combine(double* target, double value, Aggregate agg) {
  switch (agg) {
    case Aggregate::kSum:
      *target += value;
      if (std::isnan(*target)) *target = 0;  // inf + -inf
      break;
    case Aggregate::kMin:
      *target = std::min(*target, value);
      break;
    case Aggregate::kMax:
      *target = std::max(*target, value);
      break;
  }
}

struct SetOpArgs {
  std::vector<Source> sources;
  Aggregate aggregate = Aggregate::kSum;
  bool withscores = false;
  int64_t limit = 0;  // ZINTERCARD; 0 = none
};

// numkeys at argv[numkeys_at], then the keys (each a sorted set, a set or missing:
// WRONGTYPE otherwise, checked before any option), then the options this command allows.
Status ParseSetOp(CommandContext& ctx, size_t numkeys_at, SetOp op, bool store,
                  bool cardinality_only, SetOpArgs* out) {
  int64_t numkeys = 0;
  VELLUM_RETURN_IF_ERROR(ParseIntArg(ctx.arg(numkeys_at), &numkeys));
  if (numkeys < 1) {
    std::string name(ctx.arg(0));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return Status::Error("ERR at least 1 input key is needed for '" + name + "' command");
  }
  if (numkeys > static_cast<int64_t>(ctx.argc() - numkeys_at - 1)) {
    return Status::Error(protocol::err::kSyntax);
  }
  const auto n = static_cast<size_t>(numkeys);
  size_t j = numkeys_at + 1;
  for (size_t i = 0; i < n; i++, j++) {
    const Entry* e = ctx.keyspace.FindForRead(ctx.db, ctx.arg(j), ctx.now_ms);
    Source s;
    if (e != nullptr) {
      if (e->type == ValueType::kZSet) s.zset = e->zset_value.get();
      else if (e->type == ValueType::kSet) s.set = e->set_value.get();
      else return Status::Error(protocol::err::kWrongType);
    }
    out->sources.push_back(s);
  }
  while (j < ctx.argc()) {
    const std::string_view opt = ctx.arg(j);
    const size_t remaining = ctx.argc() - j;
    if (op != SetOp::kDiff && !cardinality_only && remaining >= n + 1 &&
        EqualsIgnoreCase(opt, "weights")) {
      j++;
      for (size_t i = 0; i < n; i++, j++) {
        if (!ParseDouble(ctx.arg(j), &out->sources[i].weight)) {
          return Status::Error(kWeightNotFloat);
        }
      }
    } else if (op != SetOp::kDiff && !cardinality_only && remaining >= 2 &&
               EqualsIgnoreCase(opt, "aggregate")) {
      const std::string_view agg = ctx.arg(j + 1);
      if (EqualsIgnoreCase(agg, "sum")) out->aggregate = Aggregate::kSum;
      else if (EqualsIgnoreCase(agg, "min")) out->aggregate = Aggregate::kMin;
      else if (EqualsIgnoreCase(agg, "max")) out->aggregate = Aggregate::kMax;
      else return Status::Error(protocol::err::kSyntax);
      j += 2;
    } else if (!store && !cardinality_only && EqualsIgnoreCase(opt, "withscores")) {
      out->withscores = true;
      j++;
    } else if (cardinality_only && remaining >= 2 && EqualsIgnoreCase(opt, "limit")) {
      // Redis gives the same text for a LIMIT that is not an integer.
      if (!ParseInt64(ctx.arg(j + 1), &out->limit) || out->limit < 0) {
        return Status::Error(protocol::err::kLimitNegative);
      }
      j += 2;
    } else {
      return Status::Error(protocol::err::kSyntax);
    }
  }
  return Status::Ok();
}

// Calls fn(member, score) for each member of the intersection, smallest input first;
// stops when fn returns false.
template <typename Fn>
void ForEachInIntersection(std::vector<Source> sources, Aggregate agg, Fn&& fn) {
  for (const Source& s : sources) {
    if (s.size() == 0) return;
  }
  std::stable_sort(sources.begin(), sources.end(),
                   [](const Source& a, const Source& b) { return a.size() < b.size(); });
  bool go = true;
  sources[0].ForEach([&](std::string_view member, double score) {
    if (!go) return;
    double total = Weighted(score, sources[0].weight);
    for (size_t i = 1; i < sources.size(); i++) {
      double other = 0;
      if (!sources[i].Find(member, &other)) return;
      Combine(&total, other * sources[i].weight, agg);
    }
    go = fn(member, total);
  });
}

std::unique_ptr<ZSetValue> Compute(SetOp op, const SetOpArgs& a) {
  auto result = std::make_unique<ZSetValue>();
  switch (op) {
    case SetOp::kUnion:
      for (const Source& s : a.sources) {
        s.ForEach([&](std::string_view member, double score) {
          const double v = Weighted(score, s.weight);
          std::optional<double> have = result->Score(member);
          if (!have) {
            result->Set(member, v);
          } else {
            double total = *have;
            Combine(&total, v, a.aggregate);
            result->Set(member, total);
          }
        });
      }
      break;
    case SetOp::kInter:
      ForEachInIntersection(a.sources, a.aggregate, [&](std::string_view member, double score) {
        result->Set(member, score);
        return true;
      });
      break;
    case SetOp::kDiff:
      a.sources[0].ForEach([&](std::string_view member, double score) {
        double unused = 0;
        for (size_t i = 1; i < a.sources.size(); i++) {
          if (a.sources[i].Find(member, &unused)) return;
        }
        result->Set(member, score);
      });
      break;
  }
  return result;
}

// ZUNION / ZINTER / ZDIFF numkeys key [key ...] [options] [WITHSCORES]
Status SetOpReply(CommandContext& ctx, SetOp op) {
  SetOpArgs a;
  VELLUM_RETURN_IF_ERROR(ParseSetOp(ctx, 1, op, /*store=*/false, /*cardinality_only=*/false, &a));
  std::unique_ptr<ZSetValue> result = Compute(op, a);
  WriteRangeHeader(ctx.reply, result->size(), a.withscores);
  result->Walk(0, result->size(), /*reverse=*/false, [&](ZSetValue::Item it) {
    WriteRangeItem(ctx.reply, it.member, it.score, a.withscores);
    return true;
  });
  return Status::Ok();
}

// Z*STORE destination numkeys key [key ...] [options]
Status SetOpStore(CommandContext& ctx, SetOp op, const char* event) {
  SetOpArgs a;
  VELLUM_RETURN_IF_ERROR(ParseSetOp(ctx, 2, op, /*store=*/true, /*cardinality_only=*/false, &a));
  StoreZSet(ctx, ctx.arg(1), Compute(op, a), event);
  return Status::Ok();
}

Status ZUnion(CommandContext& ctx) { return SetOpReply(ctx, SetOp::kUnion); }
Status ZInter(CommandContext& ctx) { return SetOpReply(ctx, SetOp::kInter); }
Status ZDiff(CommandContext& ctx) { return SetOpReply(ctx, SetOp::kDiff); }
Status ZUnionStore(CommandContext& ctx) { return SetOpStore(ctx, SetOp::kUnion, "zunionstore"); }
Status ZInterStore(CommandContext& ctx) { return SetOpStore(ctx, SetOp::kInter, "zinterstore"); }
Status ZDiffStore(CommandContext& ctx) { return SetOpStore(ctx, SetOp::kDiff, "zdiffstore"); }

// ZINTERCARD numkeys key [key ...] [LIMIT limit] -> the intersection's size, counting
// up to limit (0: no limit).
Status ZInterCard(CommandContext& ctx) {
  SetOpArgs a;
  VELLUM_RETURN_IF_ERROR(
      ParseSetOp(ctx, 1, SetOp::kInter, /*store=*/false, /*cardinality_only=*/true, &a));
  int64_t n = 0;
  ForEachInIntersection(a.sources, a.aggregate, [&](std::string_view, double) {
    n++;
    return a.limit == 0 || n < a.limit;
  });
  ctx.reply.Integer(n);
  return Status::Ok();
}

}  // namespace

void RegisterZSetAlgebraCommands(CommandTable& table) {
  constexpr uint32_t kR = kCatRead | kCatSortedSet | kCatSlow;
  constexpr uint32_t kW = kCatWrite | kCatSortedSet | kCatSlow;
  constexpr const char* kGroup = "sorted_set";
  // Keys follow numkeys (numkeys_at: locks, ACL and GETKEYS take just those, plus the
  // destination of the STORE forms).
  table.Register({"zunion", -3, kReadonly, kR, 2, -1, 1, kGroup, "6.2.0",
                  "Returns the union of multiple sorted sets.", ZUnion, {}, 1});
  table.Register({"zinter", -3, kReadonly, kR, 2, -1, 1, kGroup, "6.2.0",
                  "Returns the intersect of multiple sorted sets.", ZInter, {}, 1});
  table.Register({"zdiff", -3, kReadonly, kR, 2, -1, 1, kGroup, "6.2.0",
                  "Returns the difference between multiple sorted sets.", ZDiff, {}, 1});
  table.Register({"zunionstore", -4, kWrite | kDenyOom, kW, 1, 1, 1, kGroup, "2.0.0",
                  "Stores the union of multiple sorted sets in a key.", ZUnionStore, {}, 2});
  table.Register({"zinterstore", -4, kWrite | kDenyOom, kW, 1, 1, 1, kGroup, "2.0.0",
                  "Stores the intersect of multiple sorted sets in a key.", ZInterStore, {}, 2});
  table.Register({"zdiffstore", -4, kWrite | kDenyOom, kW, 1, 1, 1, kGroup, "6.2.0",
                  "Stores the difference of multiple sorted sets in a key.", ZDiffStore, {}, 2});
  table.Register({"zintercard", -3, kReadonly, kR, 2, -1, 1, kGroup, "7.0.0",
                  "Returns the number of members of the intersect of multiple sorted sets.",
                  ZInterCard, {}, 1});
}

}  // namespace vellum::server
