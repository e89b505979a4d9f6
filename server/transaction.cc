#include "server/transaction.h"

#include <utility>

#include "protocol/errors.h"
#include "server/client_state.h"
#include "server/command.h"
#include "server/command_table.h"
#include "server/commands/args.h"
#include "server/dispatcher.h"

namespace vellum::server {

bool Transaction::queued_writes() const { return queued_any(kWrite); }

bool Transaction::queued_any(uint32_t flags) const {
  for (const Queued& q : queued_) {
    if (q.cmd->spec.flags & flags) return true;
  }
  return false;
}

void Transaction::ForEachQueuedKey(const std::function<void(std::string_view)>& fn) const {
  for (const Queued& q : queued_) {
    std::vector<std::string_view> argv(q.args.begin(), q.args.end());
    ForEachKeyIndex(q.cmd->spec, argv, [&](size_t i) {
      fn(argv[i]);
      return true;
    });
  }
}
namespace {

// The commands Redis runs at once inside MULTI instead of queueing them.
enum class Role { kQueued, kExec, kReset, kImmediate };

Role RoleOf(const Command* cmd) {
  if (cmd->parent != nullptr) return Role::kQueued;
  std::string_view name = cmd->spec.name;
  if (name == "exec") return Role::kExec;
  if (name == "reset") return Role::kReset;
  if (name == "multi" || name == "discard" || name == "watch" || name == "quit") {
    return Role::kImmediate;
  }
  return Role::kQueued;
}

// A command without key positions may walk the whole keyspace (DBSIZE, SCAN, KEYS, INFO
// keyspace...) through the self-locking iterations, which run safely only when the thread
// holds no shard lock or all of them; inside EXEC it holds some, so such a command makes
// the transaction lock every shard (which also makes what it reads atomic with the rest).
bool NeedsAllShards(const Command* cmd) {
  return (cmd->spec.flags & kLockAll) || cmd->spec.first_key <= 0;
}

std::vector<std::string_view> Views(const std::vector<std::string>& args) {
  return std::vector<std::string_view>(args.begin(), args.end());
}

}  // namespace

void Transaction::Begin() {
  in_multi_ = true;
  has_error_ = false;
  queued_.clear();
  queued_bytes_ = 0;
  Publish();
}

void Transaction::Discard() {
  queued_.clear();
  queued_.shrink_to_fit();
  queued_bytes_ = 0;
  in_multi_ = false;
  has_error_ = false;
  Unwatch();
  Publish();
}

void Transaction::Publish() {
  if (published_ == nullptr) return;
  published_->multi_queued.store(in_multi_ ? static_cast<int64_t>(queued_.size()) : -1,
                                 std::memory_order_relaxed);
  published_->multi_bytes.store(queued_bytes_, std::memory_order_relaxed);
}

void Transaction::Unwatch() {
  if (registry_ != nullptr) registry_->UnwatchAll(&watches_);
}

bool Transaction::MaybeQueue(const Command* cmd, std::span<const std::string_view> argv,
                             protocol::ReplyWriter& reply) {
  if (!in_multi_ || RoleOf(cmd) != Role::kQueued) return false;
  if (cmd->spec.flags & kNoMulti) {
    // As Redis: refused, and EXEC will answer EXECABORT.
    has_error_ = true;
    reply.Error("ERR Command not allowed inside a transaction");
    return true;
  }
  queued_.push_back(Queued{cmd, std::vector<std::string>(argv.begin(), argv.end())});
  for (std::string_view a : argv) queued_bytes_ += a.size();
  Publish();
  reply.Simple("QUEUED");
  return true;
}

void Transaction::PrepareToRun(const Command* cmd, Dispatcher* dispatcher,
                               storage::ShardLocks* locks) {
  switch (RoleOf(cmd)) {
    case Role::kExec:
      if (!in_multi_) return;
      exec_dispatcher_ = dispatcher;
      // EXECABORT, or a watched key already changed: nothing runs, nothing to lock.
      if (has_error_ || watches_.dirty()) return;
      for (const Queued& q : queued_) {
        if (NeedsAllShards(q.cmd)) {
          locks->AddAll();
        } else {
          std::vector<std::string_view> argv = Views(q.args);
          Dispatcher::AddKeyLocks(q.cmd, argv, locks);
        }
      }
      for (const WatchSet::Key& k : watches_.keys()) locks->AddKey(k.key);
      return;
    case Role::kReset:
      Discard();
      return;
    default:
      return;
  }
}

Status Transaction::Exec(CommandContext& ctx) {
  Dispatcher* dispatcher = std::exchange(exec_dispatcher_, nullptr);
  if (!in_multi_) return Status::Error(protocol::err::kExecWithoutMulti);
  if (has_error_ || dispatcher == nullptr) {
    Discard();
    return Status::Error(protocol::err::kExecAbort);
  }
  if (registry_ != nullptr && registry_->IsDirty(watches_, ctx.now_ms)) {
    Discard();
    ctx.reply.NullArray();
    return Status::Ok();
  }
  std::vector<Queued> queued = std::move(queued_);
  queued_.clear();
  queued_bytes_ = 0;
  in_multi_ = false;
  Unwatch();  // before running: the transaction's own writes need not mark anything
  ctx.reply.ArrayHeader(queued.size());
  std::vector<std::string_view> argv;
  for (const Queued& q : queued) {
    argv.assign(q.args.begin(), q.args.end());
    dispatcher->Invoke(q.cmd, argv, ctx.client, ctx.reply);
  }
  Publish();  // only now: a CLIENT LIST in the queue sees its client in MULTI, as in Redis
  return Status::Ok();
}

void OnCommandRejected(std::span<const std::string_view> argv, ClientState& client,
                       protocol::ReplyWriter& reply, size_t reply_mark) {
  std::string* out = reply.buffer();
  if (out->size() <= reply_mark || (*out)[reply_mark] != '-') return;  // not an error
  if (client.txn != nullptr) client.txn->FlagError();
  if (argv.empty() || !EqualsIgnoreCase(argv[0], "exec")) return;
  // Redis answers a rejected EXEC (wrong arity, NOAUTH, OOM) with the reason inside an
  // EXECABORT error, and discards the transaction and the watches, in MULTI or not.
  std::string_view line(out->data() + reply_mark, out->size() - reply_mark);
  if (!line.empty() && line.front() == '-') line.remove_prefix(1);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.substr(0, 4) == "ERR ") line.remove_prefix(4);
  std::string reason(line);
  out->resize(reply_mark);
  if (client.txn != nullptr) client.txn->Discard();
  reply.Error(protocol::err::kExecAbortBecause + reason);
}

}  // namespace vellum::server
