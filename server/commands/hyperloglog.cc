// HyperLogLog commands: PFADD PFCOUNT PFMERGE, on strings in Redis's HLL format
// (storage/hyperloglog.h), so counts equal Redis's for the same elements. Vellum writes
// dense HLLs only; PFCOUNT never writes its estimate back into the string (Redis caches
// it there), so it stays a read: it never aborts a WATCH nor reaches the disk.
#include <algorithm>
#include <string>

#include "protocol/errors.h"
#include "server/command.h"
#include "server/command_table.h"
#include "server/commands/args.h"
#include "server/commands/registry.h"
#include "server/keyspace_events.h"
#include "storage/hyperloglog.h"

namespace vellum::server {
namespace {

namespace hll = storage::hll;
using storage::Entry;
using storage::ValueType;

constexpr char kNotHll[] = "WRONGTYPE Key is not a valid HyperLogLog string value.";
constexpr char kCorrupt[] = "INVALIDOBJ Corrupted HLL object detected";

// WRONGTYPE for another type, Redis's HLL errors for a string that is not a valid HLL.
Status CheckHll(const Entry* e) {
  if (e->type != ValueType::kString) return Status::Error(protocol::err::kWrongType);
  switch (hll::Validate(e->str())) {
    case hll::Check::kValid: return Status::Ok();
    case hll::Check::kNotHll: return Status::Error(kNotHll);
    case hll::Check::kCorrupt: return Status::Error(kCorrupt);
  }
  return Status::Ok();
}

// The registers of the union of the HLLs at argv[1..] (missing keys are empty), into
// *max; count_lookups: as reads (keyspace hits and misses).
Status UnionOfArguments(CommandContext& ctx, bool count_lookups, hll::Registers* max) {
  hll::Registers regs;
  for (size_t i = 1; i < ctx.argc(); i++) {
    const Entry* e = count_lookups ? ctx.keyspace.FindForRead(ctx.db, ctx.arg(i), ctx.now_ms)
                                   : ctx.keyspace.Find(ctx.db, ctx.arg(i), ctx.now_ms);
    if (e == nullptr) continue;
    VELLUM_RETURN_IF_ERROR(CheckHll(e));
    if (!hll::ReadRegisters(e->str(), &regs)) return Status::Error(kCorrupt);
    for (size_t r = 0; r < regs.size(); r++) (*max)[r] = std::max((*max)[r], regs[r]);
  }
  return Status::Ok();
}

// PFADD key [element ...] -> 1 if the HLL was created or a register changed, else 0.
Status PfAdd(CommandContext& ctx) {
  const std::string_view key = ctx.arg(1);
  Entry* e = ctx.keyspace.Find(ctx.db, key, ctx.now_ms);
  bool updated = false;
  if (e == nullptr) {
    e = ctx.keyspace.Create(ctx.db, key, ctx.now_ms);  // reports itself
    e->SetStr(hll::NewDense());
    ctx.Notify(KeyspaceEvents::kNew, "new", key);
    updated = true;
  } else {
    VELLUM_RETURN_IF_ERROR(CheckHll(e));
    if (!hll::MakeDense(&e->MutableStr())) return Status::Error(kCorrupt);
  }
  for (size_t i = 2; i < ctx.argc(); i++) updated |= hll::Add(&e->MutableStr(), ctx.arg(i));
  if (updated) {
    ctx.keyspace.MarkWritten(ctx.db, key);
    ctx.Notify(KeyspaceEvents::kString, "pfadd", key);
  }
  ctx.reply.Integer(updated ? 1 : 0);
  return Status::Ok();
}

// PFCOUNT key [key ...] -> the estimated cardinality of one HLL, or of the union of several
// (missing keys are empty HLLs).
Status PfCount(CommandContext& ctx) {
  if (ctx.argc() == 2) {
    const Entry* e = ctx.keyspace.FindForRead(ctx.db, ctx.arg(1), ctx.now_ms);
    uint64_t n = 0;
    if (e != nullptr) {
      VELLUM_RETURN_IF_ERROR(CheckHll(e));
      if (!hll::Count(e->str(), &n)) return Status::Error(kCorrupt);
    }
    ctx.reply.Integer(static_cast<int64_t>(n));
    return Status::Ok();
  }
  hll::Registers max{};
  VELLUM_RETURN_IF_ERROR(UnionOfArguments(ctx, /*count_lookups=*/true, &max));
  ctx.reply.Integer(static_cast<int64_t>(hll::Estimate(max)));
  return Status::Ok();
}

// PFMERGE destkey [sourcekey ...]: destkey (created if missing, keeping its TTL if not)
// becomes the union of itself and the sources.
Status PfMerge(CommandContext& ctx) {
  hll::Registers max{};
  VELLUM_RETURN_IF_ERROR(UnionOfArguments(ctx, /*count_lookups=*/false, &max));
  const std::string_view key = ctx.arg(1);
  Entry* e = ctx.keyspace.Find(ctx.db, key, ctx.now_ms);
  if (e == nullptr) {
    e = ctx.keyspace.Create(ctx.db, key, ctx.now_ms);
    e->SetStr(hll::NewDense());
    ctx.Notify(KeyspaceEvents::kNew, "new", key);
  } else if (!hll::MakeDense(&e->MutableStr())) {
    return Status::Error(kCorrupt);
  }
  hll::MergeInto(&e->MutableStr(), max);
  ctx.keyspace.MarkWritten(ctx.db, key);
  // Redis raises pfadd for PFMERGE too: a merge is a mass add.
  ctx.Notify(KeyspaceEvents::kString, "pfadd", key);
  ctx.reply.Ok();
  return Status::Ok();
}

}  // namespace

void RegisterHyperLogLogCommands(CommandTable& table) {
  constexpr const char* kGroup = "hyperloglog";
  table.Register({"pfadd", -2, kWrite | kDenyOom | kFast, kCatWrite | kCatHyperLogLog | kCatFast,
                  1, 1, 1, kGroup, "2.8.9",
                  "Adds elements to a HyperLogLog key. Creates the key if it doesn't exist.",
                  PfAdd});
  table.Register({"pfcount", -2, kReadonly, kCatRead | kCatHyperLogLog | kCatSlow, 1, -1, 1,
                  kGroup, "2.8.9",
                  "Returns the approximated cardinality of the set(s) observed by the "
                  "HyperLogLog key(s).",
                  PfCount});
  table.Register({"pfmerge", -2, kWrite | kDenyOom, kCatWrite | kCatHyperLogLog | kCatSlow, 1, -1,
                  1, kGroup, "2.8.9", "Merges one or more HyperLogLog values into a single key.",
                  PfMerge});
}

}  // namespace vellum::server
