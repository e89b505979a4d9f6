// Transaction commands: MULTI EXEC DISCARD WATCH UNWATCH.
//
// The queueing itself happens in the dispatcher (Transaction::MaybeQueue), and EXEC's
// locks are taken there too (Transaction::PrepareToRun); these handlers change the
// client's Transaction and run EXEC's queue under those locks.
#include "server/transaction.h"

#include <memory>

#include "protocol/errors.h"
#include "server/client_state.h"
#include "server/command.h"
#include "server/command_table.h"
#include "server/commands/registry.h"
#include "server/server_state.h"
#include "server/watch_registry.h"

namespace vellum::server {
namespace {

// The client's transaction state, created on first use.
Transaction& TransactionOf(CommandContext& ctx) {
  if (ctx.client.txn == nullptr) {
    ctx.client.txn = std::make_unique<Transaction>(ctx.server.watch_registry(), &ctx.client);
  }
  return *ctx.client.txn;
}

Status Multi(CommandContext& ctx) {
  Transaction& txn = TransactionOf(ctx);
  if (txn.in_multi()) return Status::Error(protocol::err::kMultiNested);
  txn.Begin();
  ctx.reply.Ok();
  return Status::Ok();
}

Status Exec(CommandContext& ctx) {
  if (ctx.client.txn == nullptr || !ctx.client.txn->in_multi()) {
    return Status::Error(protocol::err::kExecWithoutMulti);
  }
  return ctx.client.txn->Exec(ctx);
}

Status Discard(CommandContext& ctx) {
  if (ctx.client.txn == nullptr || !ctx.client.txn->in_multi()) {
    return Status::Error(protocol::err::kDiscardWithoutMulti);
  }
  ctx.client.txn->Discard();
  ctx.reply.Ok();
  return Status::Ok();
}

// The dispatcher holds the shard locks of every key named (WATCH's key positions), so
// each registration is ordered against every write to its key.
Status Watch(CommandContext& ctx) {
  Transaction& txn = TransactionOf(ctx);
  if (txn.in_multi()) return Status::Error(protocol::err::kWatchInsideMulti);
  WatchRegistry* registry = txn.registry();
  if (registry == nullptr) return Status::Error("ERR WATCH is not available");
  for (size_t i = 1; i < ctx.argc(); i++) {
    // Looked up first: a key already past its expiry is deleted here, before the watch,
    // so it counts as absent (as in Redis 7, its expiry is then no change).
    const storage::Entry* e = ctx.keyspace.Find(ctx.db, ctx.arg(i), ctx.now_ms);
    registry->Watch(&txn.watches(), ctx.db, ctx.arg(i), e != nullptr,
                    e != nullptr ? e->expire_at_ms : 0);
  }
  ctx.reply.Ok();
  return Status::Ok();
}

Status Unwatch(CommandContext& ctx) {
  if (ctx.client.txn != nullptr) ctx.client.txn->Unwatch();
  ctx.reply.Ok();
  return Status::Ok();
}

}  // namespace

void RegisterTransactionCommands(CommandTable& table) {
  constexpr uint32_t kTxn = kCatTransaction;
  constexpr uint32_t kImmediate = kNoScript | kLoading | kStale | kFast | kAllowBusy;
  table.Register({"multi", 1, kImmediate, kTxn | kCatFast, 0, 0, 0, "transactions", "1.2.0",
                  "Mark the start of a transaction block", Multi});
  table.Register({"exec", 1, kNoScript | kLoading | kStale | kSkipSlowlog, kTxn | kCatSlow, 0, 0, 0,
                  "transactions", "1.2.0", "Execute all commands issued after MULTI", Exec});
  table.Register({"discard", 1, kImmediate, kTxn | kCatFast, 0, 0, 0, "transactions", "2.0.0",
                  "Discard all commands issued after MULTI", Discard});
  table.Register({"watch", -2, kImmediate, kTxn | kCatFast, 1, -1, 1, "transactions", "2.2.0",
                  "Watch the given keys to determine execution of the MULTI/EXEC block", Watch});
  table.Register({"unwatch", 1, kImmediate, kTxn | kCatFast, 0, 0, 0, "transactions", "2.2.0",
                  "Forget about all watched keys", Unwatch});
}

}  // namespace vellum::server
