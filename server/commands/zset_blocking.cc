// Blocking sorted-set pops: BZPOPMIN BZPOPMAX BZMPOP, and the serving of the clients they
// block (server/blocking.h; the pass itself is blocking_ops.cc's, shared with lists).
//
// A blocking pop first does what ZPOPMIN/ZMPOP would on its keys (the first non-empty
// sorted set, in argument order; WRONGTYPE for another type met before it). If every key
// is empty it blocks until a command creates a sorted set at one of them; a list created
// there does not serve it (nor does a sorted set serve BLPOP), as in Redis. Inside
// MULTI/EXEC or a script it never blocks and answers a null array.
#include <string>
#include <vector>

#include "protocol/errors.h"
#include "server/blocking.h"
#include "server/command.h"
#include "server/command_table.h"
#include "server/commands/args.h"
#include "server/commands/blocking_ops.h"
#include "server/commands/collection_args.h"
#include "server/commands/registry.h"
#include "server/commands/zset_ops.h"
#include "server/server_state.h"
#include "storage/persister.h"

namespace vellum::server {
namespace {

using storage::Entry;

// BZPOPMIN / BZPOPMAX key [key ...] timeout -> [key, member, score]. The timeout is
// checked first.
Status BlockingPop(CommandContext& ctx, bool min) {
  int64_t timeout_ms = 0;
  VELLUM_RETURN_IF_ERROR(ParseBlockTimeout(ctx.arg(ctx.argc() - 1), &timeout_ms));
  std::vector<std::string> keys;
  for (size_t i = 1; i + 1 < ctx.argc(); i++) {
    const std::string key(ctx.arg(i));
    Entry* e = nullptr;
    VELLUM_RETURN_IF_ERROR(FindZSetForWrite(ctx, key, &e));
    if (e != nullptr) {
      WritePopped(ctx.reply, &key, PopMembers(ctx, e, key, min, 1), /*nested=*/false);
      return Status::Ok();
    }
    keys.push_back(key);
  }
  BlockedOp op;
  op.kind = BlockedOp::Kind::kZPop;
  op.from_left = min;
  Block(ctx, std::move(keys), std::move(op), timeout_ms);
  return Status::Ok();
}

Status BZPopMin(CommandContext& ctx) { return BlockingPop(ctx, true); }
Status BZPopMax(CommandContext& ctx) { return BlockingPop(ctx, false); }

// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]: numkeys, the direction and
// COUNT are checked before the timeout.
Status BZMPop(CommandContext& ctx) {
  MPopArgs args;
  VELLUM_RETURN_IF_ERROR(ParseMPopArgs(ctx, 2, "min", "max", &args));
  int64_t timeout_ms = 0;
  VELLUM_RETURN_IF_ERROR(ParseBlockTimeout(ctx.arg(1), &timeout_ms));
  std::vector<std::string> keys;
  for (size_t k = args.first_key; k < args.end_keys; k++) {
    const std::string key(ctx.arg(k));
    Entry* e = nullptr;
    VELLUM_RETURN_IF_ERROR(FindZSetForWrite(ctx, key, &e));
    if (e != nullptr) {
      WritePopped(ctx.reply, &key, PopMembers(ctx, e, key, args.left, args.count), true);
      return Status::Ok();
    }
    keys.push_back(key);
  }
  BlockedOp op;
  op.kind = BlockedOp::Kind::kZMPop;
  op.from_left = args.left;
  op.count = args.count;
  Block(ctx, std::move(keys), std::move(op), timeout_ms);
  return Status::Ok();
}

}  // namespace

void ServeZSetWaiter(CommandContext& ctx, Entry* e, const std::string& key,
                     const std::shared_ptr<Waiter>& w) {
  if (!ctx.server.blocking()->Claim(w)) return;  // it timed out or went away meanwhile
  const BlockedOp& op = w->op;
  const bool nested = op.kind == BlockedOp::Kind::kZMPop;
  std::vector<ScoredMember> popped =
      PopMembers(ctx, e, key, op.from_left, nested ? op.count : 1);
  w->reply([key, popped = std::move(popped), nested](protocol::ReplyWriter& r) {
    WritePopped(r, &key, popped, nested);
  }, storage::Persister::PeekThreadTicket());
}

void RegisterBlockingZSetCommands(CommandTable& table) {
  constexpr uint32_t kW = kCatWrite | kCatSortedSet | kCatSlow | kCatBlocking;
  constexpr const char* kGroup = "sorted_set";
  table.Register({"bzpopmin", -3, kWrite | kNoScript | kFast, kW, 1, -2, 1, kGroup, "5.0.0",
                  "Removes and returns the member with the lowest score from one or more "
                  "sorted sets. Blocks until a member is available otherwise. Deletes the "
                  "sorted set if the last element was popped.",
                  BZPopMin});
  table.Register({"bzpopmax", -3, kWrite | kNoScript | kFast, kW, 1, -2, 1, kGroup, "5.0.0",
                  "Removes and returns the member with the highest score from one or more "
                  "sorted sets. Blocks until a member available otherwise.  Deletes the "
                  "sorted set if the last element was popped.",
                  BZPopMax});
  // Its keys follow numkeys (numkeys_at: locks, ACL and GETKEYS take just those).
  table.Register({"bzmpop", -5, kWrite, kW, 3, -1, 1, kGroup, "7.0.0",
                  "Removes and returns a member by score from one or more sorted sets. Blocks "
                  "until a member is available otherwise. Deletes the sorted set if the last "
                  "element was popped.",
                  BZMPop, {}, /*numkeys_at=*/2});
}

}  // namespace vellum::server
