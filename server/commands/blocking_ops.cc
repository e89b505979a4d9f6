// The machinery the blocking pops of lists and sorted sets share (blocking_ops.h):
// timeouts, blocking a client, and the serving pass the dispatcher runs after a command
// that created a collection some client waits on.
#include "server/commands/blocking_ops.h"

#include <algorithm>
#include <cmath>

#include "common/clock.h"
#include "common/numbers.h"
#include "protocol/errors.h"
#include "server/dispatcher.h"
#include "server/server_state.h"

namespace vellum::server {
namespace {

using storage::Entry;
using storage::ValueType;

constexpr char kTimeoutNotFloat[] = "ERR timeout is not a float or out of range";

// The answer of a blocking command that may not block (MULTI/EXEC, a script) and found
// nothing: a null bulk for BLMOVE and BRPOPLPUSH, a null array for the others. (A blocked
// client that times out gets a null array whatever its command, as in Redis 7.0.)
void WriteEmptyReply(BlockedOp::Kind kind, protocol::ReplyWriter& w) {
  if (kind == BlockedOp::Kind::kMove) w.Null();
  else w.NullArray();
}

}  // namespace

Status ParseBlockTimeout(std::string_view arg, int64_t* ms) {
  long double seconds = 0;
  if (!ParseLongDouble(arg, &seconds)) return Status::Error(kTimeoutNotFloat);
  const long double millis = seconds * 1000.0L;
  // Redis 7.0 casts an out-of-range timeout to a negative number and says so.
  if (millis < 0 || millis > static_cast<long double>(INT64_MAX / 2)) {
    return Status::Error(protocol::err::kTimeoutNegative);
  }
  *ms = static_cast<int64_t>(std::ceil(millis));
  return Status::Ok();
}

void Block(CommandContext& ctx, std::vector<std::string> keys, BlockedOp op, int64_t timeout_ms) {
  BlockingRegistry* registry = ctx.server.blocking();
  if (!ctx.may_block || registry == nullptr) {
    WriteEmptyReply(op.kind, ctx.reply);
    return;
  }
  auto w = std::make_shared<Waiter>();
  w->client_id = ctx.client.id();
  w->worker = ctx.dispatcher->worker_index();
  w->db = ctx.db;
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  w->keys = std::move(keys);
  w->op = std::move(op);
  w->deadline_ms = timeout_ms == 0 ? 0 : MonotonicMs() + timeout_ms;
  w->reply = ctx.client.Defer();
  ctx.client.blocked.store(true, std::memory_order_relaxed);
  registry->Block(std::move(w));
}

ServingLocks::~ServingLocks() {
  for (storage::ShardMutexType* m : extra_) m->unlock();
}

bool ServingLocks::Hold(std::string_view key) {
  const size_t shard = keyspace_.ShardOf(key);
  if (held_.Holds(shard)) return true;
  storage::ShardMutexType& mu = keyspace_.ShardMutex(shard);
  for (storage::ShardMutexType* m : extra_) {
    if (m == &mu) return true;
  }
  if (!mu.try_lock()) return false;
  extra_.push_back(&mu);
  return true;
}

std::vector<std::pair<int, std::string>> ServeBlockedClients(
    CommandContext& base, storage::ShardLocks& held,
    std::vector<std::pair<int, std::string>> ready) {
  BlockingRegistry* registry = base.server.blocking();
  std::vector<std::pair<int, std::string>> later;
  if (registry == nullptr) return later;
  ServingLocks locks(base.keyspace, held);
  for (size_t next = 0; next < ready.size(); next++) {
    const int db = ready[next].first;
    const std::string key = ready[next].second;
    CommandContext ctx = base;
    ctx.db = db;
    for (;;) {
      Entry* e = ctx.keyspace.Find(db, key, ctx.now_ms);
      if (e == nullptr || (e->type != ValueType::kList && e->type != ValueType::kZSet)) break;
      const bool zset = e->type == ValueType::kZSet;
      std::shared_ptr<Waiter> w = registry->First(db, key, zset);
      if (w == nullptr) break;
      if (zset) {
        ServeZSetWaiter(ctx, e, key, w);
      } else if (!ServeListWaiter(ctx, e, key, w, locks)) {
        later.emplace_back(db, key);  // served again under every shard lock
        break;
      }
      // A BLMOVE may have created its destination, on which others may wait.
      for (auto& k : BlockingRegistry::TakeReady()) ready.push_back(std::move(k));
    }
  }
  return later;
}

void SendBlockTimeout(const Waiter& w) {
  w.reply([](protocol::ReplyWriter& r) { r.NullArray(); });
}

}  // namespace vellum::server
