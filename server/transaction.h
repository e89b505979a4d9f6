// Transaction: one client's MULTI/EXEC state and its WATCHed keys (Redis's multiState,
// CLIENT_DIRTY_EXEC and watched_keys).
//
// While in MULTI, the dispatcher hands every command except MULTI, EXEC, DISCARD, WATCH,
// QUIT and RESET to MaybeQueue(), which keeps an owned copy of its arguments and answers
// +QUEUED; a command the dispatcher rejected (unknown, wrong arity, ...) flags the
// transaction, so EXEC answers EXECABORT. For EXEC, PrepareToRun() adds the shards of every
// queued key and every watched key to the dispatcher's lock set (all shards when a queued
// command may walk the keyspace), so Exec() checks the watches and runs the queue under one
// set of locks: no other client sees a partial transaction or writes between check and run.
//
// Owned by its ClientState (created on first MULTI or WATCH) and touched only by the
// client's worker thread, which also publishes the queue's size and bytes into the
// ClientState's atomics for CLIENT LIST on other threads (multi=, multi-mem, flag x); the
// destructor (which may run on any thread, when the last
// reference to the ClientState goes) drops the client's watches from the registry.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "protocol/reply_writer.h"
#include "server/watch_registry.h"
#include "storage/keyspace.h"

namespace vellum::server {

class ClientState;
class Dispatcher;
struct Command;
struct CommandContext;

class Transaction {
 public:
  // `published` (may be null): the client's CLIENT LIST view, kept up to date.
  explicit Transaction(WatchRegistry* registry, ClientState* published = nullptr)
      : registry_(registry), published_(published) {}
  ~Transaction() { Unwatch(); }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  bool in_multi() const { return in_multi_; }
  bool has_error() const { return has_error_; }
  size_t queued_count() const { return queued_.size(); }
  // Whether a queued command writes (EXEC then counts as a write, as in Redis).
  bool queued_writes() const;
  // Whether a queued command has any of these flags.
  bool queued_any(uint32_t flags) const;
  // Calls fn for each key argument of the queued commands.
  void ForEachQueuedKey(const std::function<void(std::string_view)>& fn) const;
  WatchSet& watches() { return watches_; }
  WatchRegistry* registry() const { return registry_; }

  // MULTI: starts queueing (the caller checked it is not nested).
  void Begin();
  // A command was rejected while queueing: EXEC will answer EXECABORT. Outside MULTI, nothing.
  void FlagError() {
    if (in_multi_) has_error_ = true;
  }
  // Leaves MULTI, drops the queue and every watch (DISCARD, RESET, an aborted EXEC).
  void Discard();
  // Drops every watch and the dirty flag (UNWATCH).
  void Unwatch();

  // ---- dispatcher hooks ----
  // In MULTI, queues any command but the ones that run at once, writes +QUEUED and
  // returns true. Otherwise returns false and the command runs as usual.
  bool MaybeQueue(const Command* cmd, std::span<const std::string_view> argv,
                  protocol::ReplyWriter& reply);
  // Before the dispatcher locks and runs `cmd`: for EXEC in MULTI, adds the shards of the
  // queued and watched keys to `locks` and remembers the dispatcher that will invoke the
  // queued commands; for RESET, discards the transaction and the watches.
  void PrepareToRun(const Command* cmd, Dispatcher* dispatcher, storage::ShardLocks* locks);
  // EXEC in MULTI, with the locks PrepareToRun asked for held: EXECABORT if a command was
  // rejected while queueing, a null array if a watched key changed, otherwise an array
  // with the reply of each queued command, run in order.
  Status Exec(CommandContext& ctx);

 private:
  struct Queued {
    const Command* cmd;
    std::vector<std::string> args;
  };

  // Tells published_ how many commands are queued and their bytes (-1: not in MULTI).
  void Publish();

  WatchRegistry* registry_;
  ClientState* published_;
  size_t queued_bytes_ = 0;
  WatchSet watches_;
  std::vector<Queued> queued_;
  Dispatcher* exec_dispatcher_ = nullptr;  // set by PrepareToRun for the EXEC about to run
  bool in_multi_ = false;
  bool has_error_ = false;
};

// The dispatcher's hook for a command it rejected (its error already written after
// reply_mark): flags a transaction in progress, and turns a rejected EXEC's error into
// Redis's "EXECABORT Transaction discarded because of: <reason>", discarding the transaction.
void OnCommandRejected(std::span<const std::string_view> argv, ClientState& client,
                       protocol::ReplyWriter& reply, size_t reply_mark);

// Spans the dispatcher's admission stages for one command: if the command is refused with
// an error before the dispatcher calls Admitted() (unknown, arity, NOAUTH, OOM, ...), the
// destructor calls OnCommandRejected, as Redis's rejectCommand does. Queued commands
// (+QUEUED) are not errors and flag nothing.
class RejectionGuard {
 public:
  RejectionGuard(std::span<const std::string_view> argv, ClientState& client,
                 protocol::ReplyWriter& reply)
      : argv_(argv), client_(client), reply_(reply), mark_(reply.buffer()->size()) {}
  ~RejectionGuard() {
    if (!admitted_ && reply_.buffer()->size() > mark_) {
      OnCommandRejected(argv_, client_, reply_, mark_);
    }
  }
  RejectionGuard(const RejectionGuard&) = delete;
  RejectionGuard& operator=(const RejectionGuard&) = delete;

  void Admitted() { admitted_ = true; }

 private:
  std::span<const std::string_view> argv_;
  ClientState& client_;
  protocol::ReplyWriter& reply_;
  size_t mark_;
  bool admitted_ = false;
};

}  // namespace vellum::server
