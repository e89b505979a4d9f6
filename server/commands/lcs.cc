// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]: the longest common
// subsequence of two strings (missing keys are empty), by Redis 7.0's dynamic programme,
// walked back from the end so that IDX lists the matching ranges in Redis's order (last
// first). The table costs 4 bytes per pair of characters, so it is refused beyond
// proto-max-bulk-len, as in Redis.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "protocol/errors.h"
#include "server/command.h"
#include "server/command_table.h"
#include "server/commands/args.h"
#include "server/commands/registry.h"
#include "server/server_state.h"

namespace vellum::server {
namespace {

using storage::Entry;
using storage::ValueType;

struct Match {
  uint32_t a_start, a_end, b_start, b_end;
};

Status Lcs(CommandContext& ctx) {
  const Entry* ea = ctx.keyspace.FindForRead(ctx.db, ctx.arg(1), ctx.now_ms);
  const Entry* eb = ctx.keyspace.FindForRead(ctx.db, ctx.arg(2), ctx.now_ms);
  if ((ea && ea->type != ValueType::kString) || (eb && eb->type != ValueType::kString)) {
    return Status::Error("ERR The specified keys must contain string values");
  }
  bool get_len = false, get_idx = false, with_match_len = false;
  int64_t min_match_len = 0;
  for (size_t i = 3; i < ctx.argc(); i++) {
    const std::string_view opt = ctx.arg(i);
    if (EqualsIgnoreCase(opt, "idx")) {
      get_idx = true;
    } else if (EqualsIgnoreCase(opt, "len")) {
      get_len = true;
    } else if (EqualsIgnoreCase(opt, "withmatchlen")) {
      with_match_len = true;
    } else if (EqualsIgnoreCase(opt, "minmatchlen") && i + 1 < ctx.argc()) {
      VELLUM_RETURN_IF_ERROR(ParseIntArg(ctx.arg(++i), &min_match_len));
      if (min_match_len < 0) min_match_len = 0;
    } else {
      return Status::Error(protocol::err::kSyntax);
    }
  }
  if (get_idx && get_len) {
    return Status::Error("ERR If you want both the length and indexes, please just use IDX.");
  }
  const std::string_view a = ea ? std::string_view(ea->str()) : std::string_view();
  const std::string_view b = eb ? std::string_view(eb->str()) : std::string_view();
  const uint64_t alen = a.size(), blen = b.size();
  const int64_t limit = ctx.server.proto_max_bulk_len.load(std::memory_order_relaxed);
  if (alen >= UINT32_MAX - 1 || blen >= UINT32_MAX - 1) {
    return Status::Error("ERR String too long for LCS");
  }
  uint64_t table_bytes = 0;
  if (__builtin_mul_overflow(alen + 1, blen + 1, &table_bytes) ||
      __builtin_mul_overflow(table_bytes, sizeof(uint32_t), &table_bytes) ||
      (limit >= 0 && table_bytes > static_cast<uint64_t>(limit))) {
    return Status::Error(
        "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
  }
  // lcs[i * (blen + 1) + j]: the LCS length of a[0, i) and b[0, j).
  std::vector<uint32_t> lcs((alen + 1) * (blen + 1), 0);
  auto at = [&](uint64_t i, uint64_t j) -> uint32_t& { return lcs[i * (blen + 1) + j]; };
  for (uint64_t i = 1; i <= alen; i++) {
    for (uint64_t j = 1; j <= blen; j++) {
      at(i, j) = a[i - 1] == b[j - 1] ? at(i - 1, j - 1) + 1 : std::max(at(i - 1, j), at(i, j - 1));
    }
  }
  const uint32_t length = at(alen, blen);
  if (get_len) {
    ctx.reply.Integer(length);
    return Status::Ok();
  }
  // Walk back from the end, collecting the LCS backwards and its contiguous ranges.
  std::string result(length, '\0');
  std::vector<Match> matches;
  uint64_t i = alen, j = blen, left = length;
  bool in_range = false;
  Match m{};
  while (i > 0 && j > 0) {
    bool emit = false;
    if (a[i - 1] == b[j - 1]) {
      result[--left] = a[i - 1];
      if (!in_range) {
        m = {static_cast<uint32_t>(i - 1), static_cast<uint32_t>(i - 1),
             static_cast<uint32_t>(j - 1), static_cast<uint32_t>(j - 1)};
        in_range = true;
      } else {  // right after a match, so contiguous with it
        m.a_start--;
        m.b_start--;
      }
      if (m.a_start == 0 || m.b_start == 0) emit = true;
      i--;
      j--;
    } else {
      if (at(i - 1, j) > at(i, j - 1)) i--;
      else j--;
      emit = in_range;
    }
    if (emit) {
      const uint32_t len = m.a_end - m.a_start + 1;
      if (min_match_len == 0 || len >= min_match_len) matches.push_back(m);
      in_range = false;
    }
  }
  if (!get_idx) {
    ctx.reply.Bulk(result);
    return Status::Ok();
  }
  ctx.reply.MapHeader(2);
  ctx.reply.Bulk("matches");
  ctx.reply.ArrayHeader(matches.size());
  for (const Match& r : matches) {
    ctx.reply.ArrayHeader(with_match_len ? 3 : 2);
    ctx.reply.ArrayHeader(2);
    ctx.reply.Integer(r.a_start);
    ctx.reply.Integer(r.a_end);
    ctx.reply.ArrayHeader(2);
    ctx.reply.Integer(r.b_start);
    ctx.reply.Integer(r.b_end);
    if (with_match_len) ctx.reply.Integer(r.a_end - r.a_start + 1);
  }
  ctx.reply.Bulk("len");
  ctx.reply.Integer(length);
  return Status::Ok();
}

}  // namespace

void RegisterLcsCommands(CommandTable& table) {
  table.Register({"lcs", -3, kReadonly, kCatRead | kCatString | kCatSlow, 1, 2, 1, "string",
                  "7.0.0", "Finds the longest common substring.", Lcs});
}

}  // namespace vellum::server
