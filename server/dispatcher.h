// Dispatcher: runs one parsed command for a client, the way Redis's processCommand does.
//
// In order: look the name up (and the subcommand of a container), check arity, check
// authentication, lock the shards of the command's keys (or all shards for kLockAll),
// call the handler, write its error if it failed, count it (per-worker commandstats) and
// log it to the slowlog if it was slow. One Dispatcher per worker thread.
#pragma once

#include <memory>
#include <span>
#include <string_view>

#include "protocol/reply_writer.h"
#include "server/client_state.h"
#include "server/server_state.h"

namespace vellum::server {

class ScriptEngine;

class Dispatcher {
 public:
  Dispatcher(ServerState* server, int worker_index);
  ~Dispatcher();

  void Execute(std::span<const std::string_view> argv, ClientState& client,
               protocol::ReplyWriter& reply);

  // Runs a resolved command whose shards the caller has locked (EXEC locks the union of
  // its queued commands' shards, then invokes each): handler, error reply, stats, slowlog.
  // from_script: a script's redis.call (MONITOR shows it as "lua").
  void Invoke(const Command* cmd, std::span<const std::string_view> argv, ClientState& client,
              protocol::ReplyWriter& reply, bool from_script = false);
  // Adds the shards of the command's keys (or all of them, for kLockAll) to `locks`.
  static void AddKeyLocks(const Command* cmd, std::span<const std::string_view> argv,
                          storage::ShardLocks* locks);

  // This worker's Lua VM (created on the first script).
  ScriptEngine& scripts();
  int worker_index() const { return worker_index_; }

 private:
  // Keys on disk only (storage/warmup.h: a warm-up's keys not loaded yet, values tiering
  // offloaded): if the command names such keys, or
  // counts or lists keys (kAwaitWarm) while the keyspace warms up, releases `locks`, defers
  // the client's reply and returns true; the command then runs again from the start,
  // once readers have brought its keys in (or the warm-up is over).
  bool WaitForDisk(const Command* cmd, std::span<const std::string_view> argv,
                   ClientState& client, storage::ShardLocks& locks);
  // Returns the command to run, or writes the rejection and returns nullptr.
  const Command* Resolve(std::span<const std::string_view> argv, ClientState& client,
                         protocol::ReplyWriter& reply);

  ServerState* server_;
  int worker_index_;
  WorkerStats* stats_;
  // Set by Execute for the command it invokes (not for those EXEC or a script invoke).
  bool top_level_ = false;
  // Set while a command deferred by WaitForDisk runs again: it does not wait twice (a
  // key still missing then is read by the keyspace's own fallback).
  bool rerun_after_disk_ = false;
  std::unique_ptr<ScriptEngine> scripts_;
};

// "ERR unknown command 'x', with args beginning with: 'a' 'b' " as Redis formats it.
std::string UnknownCommandError(std::span<const std::string_view> argv);

}  // namespace vellum::server
