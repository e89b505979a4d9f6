// The sorted-set helpers of zset_ops.h.
#include "server/commands/zset_ops.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "common/numbers.h"
#include "protocol/errors.h"
#include "server/blocking.h"
#include "server/commands/collection_writes.h"
#include "server/commands/typed_lookup.h"
#include "server/keyspace_events.h"
#include "server/server_state.h"

namespace vellum::server {
namespace {

using storage::Entry;
using storage::ValueType;
using storage::ZSetValue;

constexpr char kScoreRangeNotFloat[] = "ERR min or max is not a float";
constexpr char kLexRangeInvalid[] = "ERR min or max not valid string range item";

// One bound of a score range: "(" for exclusive, then what strtod reads of the rest, as
// Redis's zslParseRange: the whole text must be consumed (an empty one reads as 0), NaN
// is refused, leading spaces and overflow to infinity are not.
bool ParseScoreBound(std::string_view arg, double* value, bool* exclusive) {
  *exclusive = !arg.empty() && arg[0] == '(';
  if (*exclusive) arg.remove_prefix(1);
  const std::string text(arg);
  char* end = nullptr;
  *value = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size() && !std::isnan(*value);
}

}  // namespace

Status ReadZSet(CommandContext& ctx, std::string_view key, const ZSetValue** z) {
  return ReadTyped(ctx, key, ValueType::kZSet, &Entry::zset_value, z);
}

Status FindZSetForWrite(CommandContext& ctx, std::string_view key, Entry** out) {
  return FindTypedForWrite(ctx, key, ValueType::kZSet, out);
}

Entry* CreateZSet(CommandContext& ctx, std::string_view key) {
  Entry* e = ctx.keyspace.Create(ctx.db, key, ctx.now_ms);  // reports the write itself
  e->type = ValueType::kZSet;
  e->zset_value.emplace();
  ctx.Notify(KeyspaceEvents::kNew, "new", key);
  if (BlockingRegistry* b = ctx.server.blocking()) b->SignalReady(ctx.db, key);
  return e;
}

void AfterZSetRemoval(CommandContext& ctx, Entry* e, std::string_view key, const char* event,
                      std::span<const std::string_view> members) {
  AfterMembersRemoved(ctx, key, e->zset_value->empty(), KeyspaceEvents::kZset, event, members);
}

void StoreZSet(CommandContext& ctx, std::string_view dst, std::unique_ptr<ZSetValue> result,
               const char* event) {
  result->RelabelEncoding();
  const int64_t size =
      StoreCollection(ctx, dst, std::move(result), ValueType::kZSet, &Entry::zset_value);
  if (size > 0) {
    if (BlockingRegistry* b = ctx.server.blocking()) b->SignalReady(ctx.db, dst);
    ctx.Notify(KeyspaceEvents::kZset, event, dst);
  }
  ctx.reply.Integer(size);
}

std::vector<ScoredMember> PopMembers(CommandContext& ctx, Entry* e, std::string_view key,
                                     bool min, int64_t n) {
  ZSetValue* z = e->zset_value.get();
  const size_t count = std::min(static_cast<uint64_t>(n), static_cast<uint64_t>(z->size()));
  std::vector<ScoredMember> out;
  out.reserve(count);
  const size_t from = min ? 0 : z->size() - count;
  z->Walk(min ? 0 : z->size() - 1, count, /*reverse=*/!min, [&](ZSetValue::Item it) {
    out.emplace_back(std::string(it.member), it.score);
    return true;
  });
  z->RemoveRanks(from, from + count, [](std::string_view) {});
  std::vector<std::string_view> members;
  members.reserve(out.size());
  for (const ScoredMember& m : out) members.push_back(m.first);
  AfterZSetRemoval(ctx, e, key, min ? "zpopmin" : "zpopmax", members);
  return out;
}

void WritePopped(protocol::ReplyWriter& reply, const std::string* key,
                 const std::vector<ScoredMember>& popped, bool nested) {
  if (key != nullptr && nested) {
    reply.ArrayHeader(2);
    reply.Bulk(*key);
    reply.ArrayHeader(popped.size());
  } else {
    reply.ArrayHeader((nested ? popped.size() : popped.size() * 2) + (key != nullptr ? 1 : 0));
    if (key != nullptr) reply.Bulk(*key);
  }
  for (const ScoredMember& m : popped) {
    if (nested) reply.ArrayHeader(2);
    reply.Bulk(m.first);
    reply.Double(m.second);
  }
}

void ScoreRange::Ranks(const ZSetValue& z, size_t* from, size_t* to) const {
  *from = z.CountBelow(min, /*or_equal=*/min_exclusive);
  *to = z.CountBelow(max, /*or_equal=*/!max_exclusive);
  if (*to < *from) *to = *from;
}

Status ParseScoreRange(std::string_view min, std::string_view max, ScoreRange* out) {
  if (!ParseScoreBound(min, &out->min, &out->min_exclusive) ||
      !ParseScoreBound(max, &out->max, &out->max_exclusive)) {
    return Status::Error(kScoreRangeNotFloat);
  }
  return Status::Ok();
}

void LexRange::Ranks(const ZSetValue& z, size_t* from, size_t* to) const {
  if (min_is_end || max_is_start) {
    *from = *to = 0;
    return;
  }
  if (z.listpack()) {
    // As Redis walks a listpack: from the first member at or past min, up to the first
    // past max. The same ranks as below when every score is equal, and Redis's exact
    // (unspecified) answer when they are not.
    auto past_min = [&](std::string_view m) {
      return min_is_start || (min_exclusive ? m > min : m >= min);
    };
    auto within_max = [&](std::string_view m) {
      return max_is_end || (max_exclusive ? m < max : m <= max);
    };
    size_t rank = 0;
    *from = *to = z.size();
    z.Walk(0, z.size(), /*reverse=*/false, [&](storage::ZSetValue::Item it) {
      if (*from == z.size()) {
        if (!past_min(it.member)) {
          rank++;
          return true;
        }
        *from = rank;
      }
      if (!within_max(it.member)) {
        *to = rank;
        return false;
      }
      rank++;
      return true;
    });
    if (*to < *from) *to = *from;
    return;
  }
  *from = min_is_start ? 0 : z.CountBelowLex(min, /*or_equal=*/min_exclusive);
  *to = max_is_end ? z.size() : z.CountBelowLex(max, /*or_equal=*/!max_exclusive);
  if (*to < *from) *to = *from;
}

Status ParseLexRange(std::string_view min, std::string_view max, LexRange* out) {
  auto bound = [](std::string_view arg, std::string_view* value, bool* exclusive, bool* start,
                  bool* end) {
    if (arg.empty()) return false;
    switch (arg[0]) {
      case '-':
        if (arg.size() != 1) return false;
        *start = true;
        return true;
      case '+':
        if (arg.size() != 1) return false;
        *end = true;
        return true;
      case '(':
      case '[':
        *exclusive = arg[0] == '(';
        *value = arg.substr(1);
        return true;
      default:
        return false;
    }
  };
  if (!bound(min, &out->min, &out->min_exclusive, &out->min_is_start, &out->min_is_end) ||
      !bound(max, &out->max, &out->max_exclusive, &out->max_is_start, &out->max_is_end)) {
    return Status::Error(kLexRangeInvalid);
  }
  return Status::Ok();
}

void WriteRangeHeader(protocol::ReplyWriter& reply, size_t n, bool withscores) {
  reply.ArrayHeader(withscores && reply.resp() < 3 ? n * 2 : n);
}

void WriteRangeItem(protocol::ReplyWriter& reply, std::string_view member, double score,
                    bool withscores) {
  if (!withscores) {
    reply.Bulk(member);
    return;
  }
  if (reply.resp() >= 3) reply.ArrayHeader(2);
  reply.Bulk(member);
  reply.Double(score);
}

Status ParseScore(std::string_view arg, double* out) {
  if (!ParseDouble(arg, out)) return Status::Error(protocol::err::kNotFloat);
  return Status::Ok();
}

}  // namespace vellum::server
