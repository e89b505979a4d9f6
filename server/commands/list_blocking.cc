// Blocking list commands: BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP, and the serving of the
// clients they block (server/blocking.h).
//
// A blocking command first does what its non-blocking form would on its keys (the first
// non-empty list, in argument order; WRONGTYPE for another type met before it). If every
// list is empty it blocks: the client is registered with the BlockingRegistry under its
// keys' shard locks, and its reply is deferred. Inside MULTI/EXEC or a script it never
// blocks and answers as a timeout would, as in Redis.
//
// ServeListWaiter serves a list's first waiter at the end of the command that created the
// list (blocking_ops.cc runs the pass), with that command's shard locks still held: the
// waiter takes its element(s) there and then, with the keyspace events Redis raises, and
// its reply leaves on its own worker once the persister has the write. A BLMOVE whose
// destination's shard the command does not hold takes it with try_lock; if another
// thread holds it, the key is served again after the command's locks are released, under
// every shard lock (rare: a moment in which another client may take the element first).
#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/numbers.h"
#include "protocol/errors.h"
#include "server/blocking.h"
#include "server/command.h"
#include "server/command_table.h"
#include "server/commands/args.h"
#include "server/commands/blocking_ops.h"
#include "server/commands/collection_args.h"
#include "server/commands/list_ops.h"
#include "server/commands/registry.h"
#include "server/dispatcher.h"
#include "server/keyspace_events.h"
#include "server/server_state.h"
#include "storage/persister.h"

namespace vellum::server {
namespace {

using storage::Entry;
using storage::ValueType;

// BLPOP / BRPOP key [key ...] timeout
Status BlockingPop(CommandContext& ctx, bool left) {
  int64_t timeout_ms = 0;
  VELLUM_RETURN_IF_ERROR(ParseBlockTimeout(ctx.arg(ctx.argc() - 1), &timeout_ms));
  std::vector<std::string> keys;
  for (size_t i = 1; i + 1 < ctx.argc(); i++) {
    const std::string_view key = ctx.arg(i);
    Entry* e = nullptr;
    VELLUM_RETURN_IF_ERROR(FindListForWrite(ctx, key, &e));
    if (e != nullptr) {
      std::vector<std::string> popped = PopElements(ctx, e, key, left, 1);
      ctx.reply.ArrayHeader(2);
      ctx.reply.Bulk(key);
      ctx.reply.Bulk(popped.front());
      return Status::Ok();
    }
    keys.emplace_back(key);
  }
  BlockedOp op;
  op.kind = BlockedOp::Kind::kPop;
  op.from_left = left;
  Block(ctx, std::move(keys), std::move(op), timeout_ms);
  return Status::Ok();
}

Status BLPop(CommandContext& ctx) { return BlockingPop(ctx, true); }
Status BRPop(CommandContext& ctx) { return BlockingPop(ctx, false); }

// BLMOVE / BRPOPLPUSH: the source first (missing: block), then the destination's type.
Status BlockingMove(CommandContext& ctx, std::string_view src, std::string_view dst,
                    bool from_left, bool to_left, std::string_view timeout) {
  int64_t timeout_ms = 0;
  VELLUM_RETURN_IF_ERROR(ParseBlockTimeout(timeout, &timeout_ms));
  Entry* s = nullptr;
  VELLUM_RETURN_IF_ERROR(FindListForWrite(ctx, src, &s));
  if (s == nullptr) {
    BlockedOp op;
    op.kind = BlockedOp::Kind::kMove;
    op.from_left = from_left;
    op.to_left = to_left;
    op.destination = std::string(dst);
    Block(ctx, {std::string(src)}, std::move(op), timeout_ms);
    return Status::Ok();
  }
  Entry* d = nullptr;
  VELLUM_RETURN_IF_ERROR(FindListForWrite(ctx, dst, &d));
  const std::string element = MoveElement(ctx, s, src, d, dst, from_left, to_left);
  ctx.reply.Bulk(element);
  return Status::Ok();
}

// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout
Status BLMove(CommandContext& ctx) {
  bool from_left = false, to_left = false;
  VELLUM_RETURN_IF_ERROR(ParseListEnd(ctx.arg(3), &from_left));
  VELLUM_RETURN_IF_ERROR(ParseListEnd(ctx.arg(4), &to_left));
  return BlockingMove(ctx, ctx.arg(1), ctx.arg(2), from_left, to_left, ctx.arg(5));
}

// BRPOPLPUSH source destination timeout
Status BRPopLPush(CommandContext& ctx) {
  return BlockingMove(ctx, ctx.arg(1), ctx.arg(2), false, true, ctx.arg(3));
}

// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]: numkeys, the direction
// and COUNT are checked before the timeout.
Status BLMPop(CommandContext& ctx) {
  MPopArgs args;
  VELLUM_RETURN_IF_ERROR(ParseMPopArgs(ctx, 2, "left", "right", &args));
  int64_t timeout_ms = 0;
  VELLUM_RETURN_IF_ERROR(ParseBlockTimeout(ctx.arg(1), &timeout_ms));
  std::vector<std::string> keys;
  for (size_t k = args.first_key; k < args.end_keys; k++) {
    const std::string_view key = ctx.arg(k);
    Entry* e = nullptr;
    VELLUM_RETURN_IF_ERROR(FindListForWrite(ctx, key, &e));
    if (e != nullptr) {
      WriteKeyElements(ctx.reply, key, PopElements(ctx, e, key, args.left, args.count));
      return Status::Ok();
    }
    keys.emplace_back(key);
  }
  BlockedOp op;
  op.kind = BlockedOp::Kind::kMPop;
  op.from_left = args.left;
  op.count = args.count;
  Block(ctx, std::move(keys), std::move(op), timeout_ms);
  return Status::Ok();
}

}  // namespace

bool ServeListWaiter(CommandContext& ctx, Entry* e, const std::string& key,
                     const std::shared_ptr<Waiter>& w, ServingLocks& locks) {
  BlockingRegistry* registry = ctx.server.blocking();
  Entry* d = nullptr;
  if (w->op.kind == BlockedOp::Kind::kMove) {
    if (!locks.Hold(w->op.destination)) return false;
    if (w->op.destination != key) {
      Entry* found = nullptr;
      try {
        found = ctx.keyspace.Find(ctx.db, w->op.destination, ctx.now_ms);
      } catch (const storage::DiskReadError& err) {
        // The destination's value is on disk only (tiering) and the disk refused it:
        // nothing has moved; the waiter gets the error.
        if (registry->Claim(w)) {
          std::string why = err.what();
          w->reply([why](protocol::ReplyWriter& r) { r.Error(why); });
        }
        return true;
      }
      if (found != nullptr && found->type != ValueType::kList) {
        if (registry->Claim(w)) {
          w->reply([](protocol::ReplyWriter& r) { r.Error(protocol::err::kWrongType); });
        }
        return true;
      }
      d = found;
    }
  }
  if (!registry->Claim(w)) return true;  // it timed out or went away meanwhile
  const BlockedOp& op = w->op;
  switch (op.kind) {
    case BlockedOp::Kind::kPop: {
      std::string v = PopElements(ctx, e, key, op.from_left, 1).front();
      w->reply([key, v = std::move(v)](protocol::ReplyWriter& r) {
        r.ArrayHeader(2);
        r.Bulk(key);
        r.Bulk(v);
      }, storage::Persister::PeekThreadTicket());
      break;
    }
    case BlockedOp::Kind::kMPop: {
      std::vector<std::string> vs = PopElements(ctx, e, key, op.from_left, op.count);
      w->reply([key, vs = std::move(vs)](protocol::ReplyWriter& r) {
        WriteKeyElements(r, key, vs);
      }, storage::Persister::PeekThreadTicket());
      break;
    }
    case BlockedOp::Kind::kMove: {
      std::string v = MoveElement(ctx, e, key, d, op.destination, op.from_left, op.to_left);
      w->reply([v = std::move(v)](protocol::ReplyWriter& r) { r.Bulk(v); },
               storage::Persister::PeekThreadTicket());
      break;
    }
    case BlockedOp::Kind::kZPop:
    case BlockedOp::Kind::kZMPop:
      break;  // First() hands a list's waiters only
  }
  return true;
}

void RegisterBlockingListCommands(CommandTable& table) {
  constexpr uint32_t kW = kCatWrite | kCatList | kCatSlow | kCatBlocking;
  constexpr const char* kGroup = "list";
  table.Register({"blpop", -3, kWrite | kNoScript, kW, 1, -2, 1, kGroup, "2.0.0",
                  "Removes and returns the first element in a list. Blocks until an element is "
                  "available otherwise. Deletes the list if the last element was popped.",
                  BLPop});
  table.Register({"brpop", -3, kWrite | kNoScript, kW, 1, -2, 1, kGroup, "2.0.0",
                  "Removes and returns the last element in a list. Blocks until an element is "
                  "available otherwise. Deletes the list if the last element was popped.",
                  BRPop});
  table.Register({"blmove", 6, kWrite | kDenyOom | kNoScript, kW, 1, 2, 1, kGroup, "6.2.0",
                  "Pops an element from a list, pushes it to another list and returns it. "
                  "Blocks until an element is available otherwise. Deletes the list if the "
                  "last element was moved.",
                  BLMove});
  table.Register({"brpoplpush", 4, kWrite | kDenyOom | kNoScript, kW, 1, 2, 1, kGroup, "2.2.0",
                  "Pops an element from a list, pushes it to another list and returns it. Block "
                  "until an element is available otherwise. Deletes the list if the last "
                  "element was popped.",
                  BRPopLPush});
  // Its keys follow numkeys (numkeys_at: locks, ACL and GETKEYS take just those).
  table.Register({"blmpop", -5, kWrite, kW, 3, -1, 1, kGroup, "7.0.0",
                  "Pops the first element from one of multiple lists. Blocks until an element "
                  "is available otherwise. Deletes the list if the last element was popped.",
                  BLMPop, {}, /*numkeys_at=*/2});
}

}  // namespace vellum::server
