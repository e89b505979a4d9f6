// The sorted-set helpers the zset command files share (zset.cc, zset_range.cc,
// zset_setops.cc, zset_blocking.cc): typed lookups, creation (which signals clients
// blocked on the key), the end of a removal, pops, Redis's score and lex range
// arguments, and the scored replies. The caller holds the key's shard lock.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "protocol/reply_writer.h"
#include "server/command.h"
#include "storage/entry.h"
#include "storage/zset_value.h"

namespace vellum::server {

using ScoredMember = std::pair<std::string, double>;

// The sorted set at key for a read: *z is nullptr when the key is missing; WRONGTYPE when
// it holds another type.
Status ReadZSet(CommandContext& ctx, std::string_view key, const storage::ZSetValue** z);
// The sorted set at key for a write, or nullptr when missing; WRONGTYPE for another type.
Status FindZSetForWrite(CommandContext& ctx, std::string_view key, storage::Entry** out);
// A new, empty sorted set at a key that Find reported missing ("new" event); clients
// blocked on the key are served once the current command ends.
storage::Entry* CreateZSet(CommandContext& ctx, std::string_view key);
// After `members` were removed from the sorted set at key (raising `event`): deletes it
// if empty (then "del"), else reports the write of those members.
void AfterZSetRemoval(CommandContext& ctx, storage::Entry* e, std::string_view key,
                      const char* event, std::span<const std::string_view> members);
// Replaces whatever dst holds with `result` (a *STORE), or deletes dst when the result is
// empty ("del" if it existed); raises `event` and replies with the result's size.
void StoreZSet(CommandContext& ctx, std::string_view dst,
               std::unique_ptr<storage::ZSetValue> result, const char* event);

// Pops up to n members from the lowest (min) or highest scores of the set at key,
// raising zpopmin/zpopmax (and "del" when it empties).
std::vector<ScoredMember> PopMembers(CommandContext& ctx, storage::Entry* e,
                                     std::string_view key, bool min, int64_t n);
// ZPOPMIN's and ZMPOP's replies: [member, score, ...] flat, or [[member, score], ...]
// nested; `key` first when given (BZPOPMIN: flat; ZMPOP/BZMPOP: [key, nested]).
void WritePopped(protocol::ReplyWriter& reply, const std::string* key,
                 const std::vector<ScoredMember>& popped, bool nested);

// A score range argument pair, as Redis's zslParseRange: "(" makes a bound exclusive,
// "-inf"/"+inf" are accepted, NaN is not. The ranks [from, to) of the items inside.
struct ScoreRange {
  double min = 0, max = 0;
  bool min_exclusive = false, max_exclusive = false;
  void Ranks(const storage::ZSetValue& z, size_t* from, size_t* to) const;
};
Status ParseScoreRange(std::string_view min, std::string_view max, ScoreRange* out);

// A lex range argument pair, as Redis's zslParseLexRange: "[x" inclusive, "(x" exclusive,
// "-" and "+" the ends.
struct LexRange {
  std::string_view min, max;  // without their "[" / "("
  bool min_exclusive = false, max_exclusive = false;
  bool min_is_start = false, max_is_end = false;      // "-" / "+"
  bool min_is_end = false, max_is_start = false;      // "+" as min, "-" as max: empty
  void Ranks(const storage::ZSetValue& z, size_t* from, size_t* to) const;
};
Status ParseLexRange(std::string_view min, std::string_view max, LexRange* out);

// Writes members (and their scores) as ZRANGE does: a flat array of members, or with
// scores [member, score, ...] in RESP2 and [[member, score], ...] in RESP3.
void WriteRangeHeader(protocol::ReplyWriter& reply, size_t n, bool withscores);
void WriteRangeItem(protocol::ReplyWriter& reply, std::string_view member, double score,
                    bool withscores);

// ZADD's and ZINCRBY's score argument: "value is not a valid float" unless a double
// (inf allowed, NaN not).
Status ParseScore(std::string_view arg, double* out);

}  // namespace vellum::server
