// What the blocking pops of lists (list_blocking.cc) and sorted sets (zset_blocking.cc)
// share: the timeout argument, blocking a client, and serving the clients blocked on the
// keys a command made ready (server/blocking.h explains the protocol).
//
// Everything here runs on a worker thread inside a command, with the command's shard
// locks held.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "server/blocking.h"
#include "server/command.h"
#include "storage/entry.h"
#include "storage/keyspace.h"

namespace vellum::server {

// A timeout in seconds (a float), as Redis's getTimeoutFromObjectOrReply: milliseconds,
// rounded up; 0 = block forever.
Status ParseBlockTimeout(std::string_view arg, int64_t* ms);

// Registers the client as blocked on `keys` (their shard locks held) and defers its reply;
// or, where blocking is not allowed (MULTI, scripts), answers as a timeout does.
void Block(CommandContext& ctx, std::vector<std::string> keys, BlockedOp op, int64_t timeout_ms);

// The shards a serving pass may touch: the command's own, plus any it takes with try_lock
// (a BLMOVE's destination); those are released when the pass ends.
class ServingLocks {
 public:
  ServingLocks(storage::Keyspace& keyspace, storage::ShardLocks& held)
      : keyspace_(keyspace), held_(held) {}
  ~ServingLocks();
  ServingLocks(const ServingLocks&) = delete;
  ServingLocks& operator=(const ServingLocks&) = delete;
  // Holds the shard of key, taking it with try_lock if needed; false if another thread
  // has it.
  bool Hold(std::string_view key);

 private:
  storage::Keyspace& keyspace_;
  storage::ShardLocks& held_;
  std::vector<storage::ShardMutexType*> extra_;
};

// Serves w, the first list waiter of key (e holds a list): false if it must wait for
// every shard lock (its BLMOVE destination's shard is busy). list_blocking.cc.
bool ServeListWaiter(CommandContext& ctx, storage::Entry* e, const std::string& key,
                     const std::shared_ptr<Waiter>& w, ServingLocks& locks);
// Serves w, the first sorted-set waiter of key (e holds a sorted set). zset_blocking.cc.
void ServeZSetWaiter(CommandContext& ctx, storage::Entry* e, const std::string& key,
                     const std::shared_ptr<Waiter>& w);

// Serves the clients blocked on the `ready` keys (collections just created there), in the
// order they blocked, at the end of the command that created them. `held` are that
// command's shard locks; `base` its context. Returns the keys it could not serve because
// a BLMOVE destination's shard was busy: serve them again under every shard lock.
std::vector<std::pair<int, std::string>> ServeBlockedClients(
    CommandContext& base, storage::ShardLocks& held,
    std::vector<std::pair<int, std::string>> ready);
// Sends a timed-out (or CLIENT UNBLOCKed) waiter its reply: a null array, for every
// blocking pop, as Redis 7.0 does.
void SendBlockTimeout(const Waiter& w);

}  // namespace vellum::server
