// Argument helpers shared by the collection families (hash.cc, set.cc, list*.cc, zset*.cc):
// index ranges, HSCAN/SSCAN/ZSCAN options, the count of HRANDFIELD/SRANDMEMBER/ZRANDMEMBER, the
// arguments of LMPOP/ZMPOP and their blocking forms, and a per-thread random generator
// for random member selection. Header-only; pure except for the generator,
// which is thread_local (each worker has its own).
#pragma once

#include <cctype>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "common/numbers.h"
#include "common/status.h"
#include "protocol/errors.h"
#include "server/command.h"
#include "server/commands/args.h"

namespace vellum::server {

// Redis's range rule for indexes and ranks (LRANGE, LTRIM, ZRANGE, ZREMRANGEBYRANK): negative indexes count from the end, start is
// clamped at 0; false when the range is empty.
inline bool ResolveRange(int64_t start, int64_t stop, size_t size, size_t* from, size_t* to) {
  const auto n = static_cast<int64_t>(size);
  if (start < 0) start += n;
  if (stop < 0) stop += n;
  if (start < 0) start = 0;
  if (start > stop || start >= n) return false;
  if (stop >= n) stop = n - 1;
  *from = static_cast<size_t>(start);
  *to = static_cast<size_t>(stop) + 1;
  return true;
}

// The options of HSCAN/SSCAN (argv[3..]): MATCH pattern, COUNT n (>= 1). A later option
// of the same kind replaces an earlier one. TYPE is SCAN's alone: a syntax error here.
struct CollectionScanOptions {
  size_t count = 10;
  std::string_view pattern;
  bool use_pattern = false;
};

inline Status ParseCollectionScanOptions(const CommandContext& ctx, size_t first,
                                         CollectionScanOptions* o) {
  for (size_t i = first; i < ctx.argc(); i++) {
    std::string_view opt = ctx.arg(i);
    const bool has_value = i + 1 < ctx.argc();
    if (EqualsIgnoreCase(opt, "count") && has_value) {
      int64_t count = 0;
      VELLUM_RETURN_IF_ERROR(ParseIntArg(ctx.arg(++i), &count));
      if (count < 1) return Status::Error(protocol::err::kSyntax);
      o->count = static_cast<size_t>(count);
    } else if (EqualsIgnoreCase(opt, "match") && has_value) {
      o->pattern = ctx.arg(++i);
      o->use_pattern = o->pattern != "*";
    } else {
      return Status::Error(protocol::err::kSyntax);
    }
  }
  return Status::Ok();
}

// The count of HRANDFIELD/SRANDMEMBER: an integer in [-LONG_MAX, LONG_MAX], as Redis's
// getRangeLongFromObjectOrReply checks it.
inline Status ParseRandomCount(std::string_view s, int64_t* out) {
  VELLUM_RETURN_IF_ERROR(ParseIntArg(s, out));
  if (*out == std::numeric_limits<int64_t>::min()) {
    return Status::Error(protocol::err::kRandomCountRange);
  }
  return Status::Ok();
}

// LMPOP's, ZMPOP's and their blocking forms' arguments from numkeys on: numkeys key
// [key ...] END [COUNT count], with Redis's texts; END is `first_end` (LEFT, MIN) or
// `second_end` (RIGHT, MAX), any case. Keys are argv[first_key, end_keys).
struct MPopArgs {
  size_t first_key = 0;
  size_t end_keys = 0;
  bool left = true;  // the first end: LEFT or MIN
  int64_t count = 1;
};
inline Status ParseMPopArgs(const CommandContext& ctx, size_t numkeys_at,
                            std::string_view first_end, std::string_view second_end,
                            MPopArgs* out) {
  int64_t numkeys = 0;
  if (!ParseInt64(ctx.arg(numkeys_at), &numkeys) || numkeys <= 0) {
    return Status::Error(protocol::err::kNumkeysNotPositive);
  }
  // numkeys keys, then the direction: more keys than arguments is a syntax error.
  if (numkeys > static_cast<int64_t>(ctx.argc() - numkeys_at) - 2) {
    return Status::Error(protocol::err::kSyntax);
  }
  out->first_key = numkeys_at + 1;
  out->end_keys = out->first_key + static_cast<size_t>(numkeys);
  const std::string_view end = ctx.arg(out->end_keys);
  if (EqualsIgnoreCase(end, first_end)) {
    out->left = true;
  } else if (EqualsIgnoreCase(end, second_end)) {
    out->left = false;
  } else {
    return Status::Error(protocol::err::kSyntax);
  }
  int64_t count = -1;  // COUNT may be given once
  for (size_t i = out->end_keys + 1; i < ctx.argc(); i++) {
    if (count == -1 && EqualsIgnoreCase(ctx.arg(i), "count") && i + 1 < ctx.argc()) {
      if (!ParseInt64(ctx.arg(++i), &count) || count <= 0) {
        return Status::Error(protocol::err::kCountNotPositive);
      }
    } else {
      return Status::Error(protocol::err::kSyntax);
    }
  }
  out->count = count == -1 ? 1 : count;
  return Status::Ok();
}

// This worker thread's generator for random fields and members.
inline std::mt19937_64& CollectionRng() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng;
}

// Calls fn(index) for `count` distinct random indexes in [0, size), count < size, as
// HRANDFIELD and SRANDMEMBER with a positive count need. Many picks: a partial
// Fisher-Yates shuffle of every index; few: random picks retrying duplicates (expected
// O(count)). Either way every pick is O(1).
template <typename Fn>
void ForDistinctRandomIndexes(size_t size, size_t count, std::mt19937_64& rng, Fn&& fn) {
  if (count * 3 > size) {
    std::vector<uint32_t> idx(size);
    for (uint32_t i = 0; i < size; i++) idx[i] = i;
    for (size_t i = 0; i < count; i++) {
      size_t j = i + rng() % (size - i);
      std::swap(idx[i], idx[j]);
      fn(idx[i]);
    }
    return;
  }
  std::unordered_set<size_t> picked;
  picked.reserve(count);
  while (picked.size() < count) {
    size_t i = rng() % size;
    if (picked.insert(i).second) fn(i);
  }
}

}  // namespace vellum::server
