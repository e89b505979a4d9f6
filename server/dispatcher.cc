#include "server/dispatcher.h"
#include "server/monitor.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <vector>

#include "common/clock.h"
#include "protocol/errors.h"
#include "server/acl.h"
#include "server/blocking.h"
#include "server/commands/args.h"
#include "server/commands/blocking_ops.h"
#include "server/pubsub.h"
#include "server/scripting/script_engine.h"
#include "server/transaction.h"
#include "snapshot/replication.h"

namespace vellum::server {
namespace {

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// Pub/Sub state of a subscribed client (Redis's processCommand and resetCommand): in
// RESP2 only (P|S)(UN)SUBSCRIBE, PING, QUIT and RESET may run, and PING answers
// ["pong", message]; RESET drops the subscriptions. Returns false when it has replied
// (counted in `stat` as a call or a rejected call).
bool AdmitSubscribed(ServerState* server, const Command* cmd,
                     std::span<const std::string_view> argv, ClientState& client,
                     protocol::ReplyWriter& reply, CommandStat& stat) {
  const std::string& name = cmd->fullname;
  if (name == "reset") {
    if (server->pubsub() != nullptr) server->pubsub()->RemoveClient(client.id());
    client.pubsub_channels = 0;
    client.pubsub_patterns = 0;
    client.pubsub_shard_channels = 0;
    return true;
  }
  if (client.resp.load(std::memory_order_relaxed) != 2) return true;
  if (name == "ping" && argv.size() <= 2) {
    reply.ArrayHeader(2);
    reply.Bulk("pong");
    reply.Bulk(argv.size() == 2 ? argv[1] : std::string_view());
    stat.calls.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  static constexpr std::string_view kAllowed[] = {
      "subscribe", "ssubscribe", "unsubscribe", "sunsubscribe", "psubscribe", "punsubscribe",
      "ping",      "quit",       "reset"};
  for (std::string_view a : kAllowed) {
    if (name == a) return true;
  }
  stat.rejected_calls.fetch_add(1, std::memory_order_relaxed);
  reply.Error("ERR Can't execute '" + name + protocol::err::kOnlyPubSubAllowedSuffix);
  return false;
}

// Redis's reject_cmd_on_oom: commands flagged denyoom; inside MULTI, every command that
// would be queued (queueing itself takes memory) but DISCARD, QUIT and RESET, and EXEC
// when its queue holds a denyoom command (Redis's mstate.cmd_flags). A refused EXEC
// becomes EXECABORT and discards the transaction (OnCommandRejected).
bool RejectOnOom(const Command* cmd, const ClientState& client) {
  if (cmd->spec.flags & kDenyOom) return true;
  if (client.txn == nullptr || !client.txn->in_multi()) return false;
  const std::string& name = cmd->fullname;
  if (name == "exec") return client.txn->queued_any(kDenyOom);
  return name != "discard" && name != "quit" && name != "reset";
}

// ACL permissions (Redis's ACLCheckAllPerm): the client's user must be allowed the command
// and every key it names. Returns false when it has refused (counted as a rejected call).
// Denials are logged for ACL LOG.
bool AdmitAcl(ServerState* server, const Command* cmd, std::span<const std::string_view> argv,
              ClientState& client, protocol::ReplyWriter& reply, CommandStat& stat) {
  Acl& acl = *server->acl();
  AclVerdict verdict = acl.Check(client, *cmd, argv);
  if (verdict.denial == AclDenial::kNone) return true;
  stat.rejected_calls.fetch_add(1, std::memory_order_relaxed);
  const int64_t now_ms = server->clock().NowMs();
  const bool command = verdict.denial == AclDenial::kCommand;
  const bool key = verdict.denial == AclDenial::kKey;
  acl.Log(command ? "command" : key ? "key" : "channel",
          client.txn != nullptr && client.txn->in_multi() ? "multi" : "toplevel",
          command ? std::string_view(cmd->fullname) : argv[verdict.arg_index],
          client.user_name(), client.InfoLine(now_ms), now_ms);
  if (command) {
    reply.Error("NOPERM this user has no permissions to run the '" + cmd->fullname +
                "' command");
  } else {
    reply.Error(key ? protocol::err::kNoPermKey : protocol::err::kNoPermChannel);
  }
  return false;
}

// Redis's authRequired: the default user has a password (or is off) and the client has not
// authenticated. Without an ACL (bare unit-test servers), requirepass alone decides.
bool AuthRequired(ServerState* server) {
  return server->acl() != nullptr ? server->acl()->auth_required()
                                  : server->has_requirepass.load(std::memory_order_relaxed);
}

}  // namespace

std::string UnknownCommandError(std::span<const std::string_view> argv) {
  std::string args;
  for (size_t i = 1; i < argv.size() && args.size() < 128; i++) {
    size_t room = 128 - args.size();
    std::string_view a = argv[i].substr(0, room);
    args += "'";
    args.append(a);
    args += "' ";
  }
  std::string_view name = argv[0].substr(0, 128);
  std::string msg = "ERR unknown command '";
  msg.append(name);
  msg += "', with args beginning with: ";
  msg += args;
  return msg;
}

Dispatcher::Dispatcher(ServerState* server, int worker_index)
    : server_(server), worker_index_(worker_index), stats_(&server->worker_stats(worker_index)) {}

Dispatcher::~Dispatcher() = default;

ScriptEngine& Dispatcher::scripts() {
  if (scripts_ == nullptr) scripts_ = std::make_unique<ScriptEngine>(server_, this);
  return *scripts_;
}

const Command* Dispatcher::Resolve(std::span<const std::string_view> argv, ClientState& client,
                                   protocol::ReplyWriter& reply) {
  const Command* cmd = server_->commands().Find(argv[0]);
  if (cmd == nullptr) {
    reply.Error(UnknownCommandError(argv));
    return nullptr;
  }
  if (cmd->is_container()) {
    if (argv.size() < 2) {
      reply.Error("ERR wrong number of arguments for '" + cmd->fullname + "' command");
      return nullptr;
    }
    const Command* sub = cmd->FindSubcommand(argv[1]);
    if (sub == nullptr) {
      std::string name(argv[1].substr(0, 128));
      reply.Error("ERR unknown subcommand '" + name + "'. Try " + Upper(cmd->fullname) +
                  " HELP.");
      return nullptr;
    }
    cmd = sub;
  }
  if (!ArityOk(cmd->spec.arity, argv.size())) {
    stats_->command[cmd->id].rejected_calls.fetch_add(1, std::memory_order_relaxed);
    reply.Error("ERR wrong number of arguments for '" + cmd->fullname + "' command");
    return nullptr;
  }
  const Command* top = cmd->parent ? cmd->parent : cmd;
  if (!client.authenticated && AuthRequired(server_) &&
      !(cmd->spec.flags & kNoAuth) && !(top->spec.flags & kNoAuth)) {
    stats_->command[cmd->id].rejected_calls.fetch_add(1, std::memory_order_relaxed);
    reply.Error(protocol::err::kNoAuth);
    return nullptr;
  }
  return cmd;
}

void Dispatcher::AddKeyLocks(const Command* cmd, std::span<const std::string_view> argv,
                             storage::ShardLocks* locks) {
  const CommandSpec& spec = cmd->spec;
  if (spec.flags & kLockAll) {
    locks->AddAll();
    return;
  }
  ForEachKeyIndex(spec, argv, [&](size_t i) {
    locks->AddKey(argv[i]);
    return true;
  });
}

void Dispatcher::Execute(std::span<const std::string_view> argv, ClientState& client,
                         protocol::ReplyWriter& reply) {
  if (argv.empty()) return;
  if (!rerun_after_disk_) AddToCounter(stats_->commands_processed, 1);
  // 1. Which command (name, subcommand, arity, authentication).
  // A command refused before it is admitted flags a transaction in progress (MULTI).
  RejectionGuard rejection_guard(argv, client, reply);
  const Command* cmd = Resolve(argv, client, reply);
  if (cmd == nullptr) return;
  // 2. Admission checks that may refuse or divert the command go here, in Redis's order:
  //    ACL permissions, RESP2 subscribed-mode restrictions, MULTI queueing, OOM.
  if (server_->acl() != nullptr &&
      !AdmitAcl(server_, cmd, argv, client, reply, stats_->command[cmd->id])) {
    return;
  }
  if (client.subscribed() &&
      !AdmitSubscribed(server_, cmd, argv, client, reply, stats_->command[cmd->id])) {
    return;
  }
  //    A script has run past busy-reply-threshold (on another worker): only the commands
  //    flagged allow-busy (SCRIPT KILL, SHUTDOWN, AUTH, MULTI...) are served.
  if (!(cmd->spec.flags & kAllowBusy) && server_->ScriptBusy()) {
    stats_->command[cmd->id].rejected_calls.fetch_add(1, std::memory_order_relaxed);
    reply.Error(protocol::err::kBusyScript);
    return;
  }
  //    OOM (Redis's performEvictions): over maxmemory, evict first, holding no shard lock;
  //    if memory is still over the limit, refuse the commands that may grow it. Not again
  //    for a command run again once its keys came from disk: it was admitted, and evicting
  //    now would send those values (tiering) straight back to disk before it reads them.
  if (!rerun_after_disk_ && server_->maxmemory.load(std::memory_order_relaxed) != 0 &&
      !server_->FreeMemoryIfNeeded(server_->clock().NowMs()) && RejectOnOom(cmd, client)) {
    stats_->command[cmd->id].rejected_calls.fetch_add(1, std::memory_order_relaxed);
    reply.Error(protocol::err::kOom);
    return;
  }
  //    Disk failing (Redis's writeCommandsDeniedByDiskError): while the persister cannot
  //    write, write commands (and an EXEC whose queue holds one) are refused with the
  //    cause; reads go on. Writes resume by themselves once a retried batch goes through.
  const bool writes = (cmd->spec.flags & kWrite) ||
                      (cmd->fullname == "exec" && client.txn != nullptr &&
                       client.txn->in_multi() && client.txn->queued_writes());
  //    A replica without its primary answers only commands flagged stale, if asked to
  //    (replica-serve-stale-data no).
  if (!(cmd->spec.flags & kStale) && !server_->serve_stale_data.load(std::memory_order_relaxed) &&
      server_->is_replica() && !server_->replication()->link_up()) {
    stats_->command[cmd->id].rejected_calls.fetch_add(1, std::memory_order_relaxed);
    reply.Error(protocol::err::kMasterDown);
    return;
  }
  //    A replica takes its data from its primary only (Redis's replica-read-only yes).
  if (writes && server_->is_replica()) {
    stats_->command[cmd->id].rejected_calls.fetch_add(1, std::memory_order_relaxed);
    reply.Error(protocol::err::kReadOnlyReplica);
    return;
  }
  if (writes && server_->persister() != nullptr && server_->persister()->failing()) {
    stats_->command[cmd->id].rejected_calls.fetch_add(1, std::memory_order_relaxed);
    reply.Error(std::string(protocol::err::kMisconfPrefix) + server_->persister()->last_error());
    return;
  }
  //    MULTI queueing: inside MULTI, every command but MULTI EXEC DISCARD WATCH QUIT RESET
  //    is queued (+QUEUED) for EXEC.
  rejection_guard.Admitted();
  if (client.txn != nullptr && client.txn->MaybeQueue(cmd, argv, reply)) return;
  // 3. Lock the keys' shards and run.
  storage::ShardLocks locks(&server_->keyspace());
  AddKeyLocks(cmd, argv, &locks);
  // EXEC: also the shards of every queued and watched key; RESET: drops the transaction.
  if (client.txn != nullptr) client.txn->PrepareToRun(cmd, this, &locks);
  //    A long script holds every shard: rather than stall this worker behind it, give up
  //    once it is past busy-reply-threshold and answer -BUSY (the worker stays free for
  //    SCRIPT KILL from another connection).
  if (!locks.AcquireUnless([this] { return server_->ScriptBusy(); })) {
    stats_->command[cmd->id].rejected_calls.fetch_add(1, std::memory_order_relaxed);
    reply.Error(protocol::err::kBusyScript);
    return;
  }
  //    Keys still on disk only (warm-up after a start, values tiering offloaded) are read
  //    off this worker first.
  if (!rerun_after_disk_ && server_->keyspace().reads_disk() && server_->warmup() != nullptr &&
      WaitForDisk(cmd, argv, client, locks)) {
    return;
  }
  top_level_ = true;
  Invoke(cmd, argv, client, reply);
  // 4. Clients blocked on lists this command created take their elements now, under its
  //    locks (server/blocking.h); a BLMOVE whose destination was busy, under every lock.
  if (BlockingRegistry::AnyReady()) {
    CommandContext ctx{argv,   reply, server_->keyspace(), client, *server_,
                       server_->clock().NowMs(), client.db.load(std::memory_order_relaxed), this};
    auto later = ServeBlockedClients(ctx, locks, BlockingRegistry::TakeReady());
    locks.Release();
    while (!later.empty()) {
      storage::ShardLocks all(&server_->keyspace());
      all.AddAll();
      // Not behind a script past its busy threshold (see Execute): the keys then wait
      // for the next command this worker runs.
      if (!all.AcquireUnless([this] { return server_->ScriptBusy(); })) {
        for (const auto& [db, key] : later) BlockingRegistry::Requeue(db, key);
        break;
      }
      later = ServeBlockedClients(ctx, all, std::move(later));
    }
  }
}

bool Dispatcher::WaitForDisk(const Command* cmd, std::span<const std::string_view> argv,
                             ClientState& client, storage::ShardLocks& locks) {
  storage::Keyspace& ks = server_->keyspace();
  const bool in_exec = cmd->fullname == "exec" && client.txn != nullptr && client.txn->in_multi();
  const bool await_all = ks.warming() && ((cmd->spec.flags & kAwaitWarm) ||
                                          (in_exec && client.txn->queued_any(kAwaitWarm)));
  std::vector<storage::Warmup::Key> missing;
  if (!await_all) {
    // The keys of the client's database (the shards are locked). A key the command reaches
    // otherwise (a script's undeclared key, MOVE's target) is read by the fallback.
    const int db = client.db.load(std::memory_order_relaxed);
    // SET's GET option returns the old value: the one kNoValueRead command that may read.
    bool value_used = !(cmd->spec.flags & kNoValueRead);
    if (!value_used && cmd->fullname == "set") {
      for (size_t i = 3; i < argv.size(); i++) {
        if (EqualsIgnoreCase(argv[i], "get")) value_used = true;
      }
    }
    auto note = [&](std::string_view key) {
      if (!ks.NeedsDisk(db, key, value_used)) return;
      for (const storage::Warmup::Key& k : missing) {
        if (k.key == key) return;
      }
      missing.push_back({db, std::string(key)});
    };
    ForEachKeyIndex(cmd->spec, argv, [&](size_t i) {
      note(argv[i]);
      return true;
    });
    if (in_exec) client.txn->ForEachQueuedKey(note);
    if (missing.empty()) return false;
  }
  locks.Release();
  auto args = std::make_shared<const std::vector<std::string>>(argv.begin(), argv.end());
  ClientState* c = &client;  // DeliverDeferred runs only while the client's connection lives
  auto run_again = [this, args, c](const Status& st) -> ClientState::DeferredReply {
    return [this, args, c, st](protocol::ReplyWriter& reply) {
      if (!st.ok()) {
        reply.Error(st.message());
        return;
      }
      std::vector<std::string_view> views(args->begin(), args->end());
      rerun_after_disk_ = true;
      Execute(views, *c, reply);
      rerun_after_disk_ = false;
    };
  };
  ClientState::ReplySink sink = client.Defer();
  storage::Warmup* warmup = server_->warmup();
  if (await_all) {
    warmup->WhenDone([sink, run_again](Status st) { sink(run_again(st)); });
  } else {
    warmup->Fetch(std::move(missing),
                  [sink, run_again](Status st) { sink(run_again(st)); });
  }
  return true;
}

void Dispatcher::Invoke(const Command* cmd, std::span<const std::string_view> argv,
                        ClientState& client, protocol::ReplyWriter& reply, bool from_script) {
  const CommandSpec& spec = cmd->spec;
  const int64_t start_us = MonotonicUs();
  CommandContext ctx{argv,   reply, server_->keyspace(), client, *server_, server_->clock().NowMs(),
                     client.db.load(std::memory_order_relaxed), this};
  ctx.may_block = top_level_;
  top_level_ = false;
  Status status;
  const size_t reply_mark = reply.buffer()->size();
  try {
    status = spec.handler(ctx);
  } catch (const std::length_error&) {
    // A key over 4 GiB (storage::Entry), refused before anything changed.
    status = Status::Error(protocol::err::kKeyTooLong);
  } catch (const storage::DiskReadError& e) {
    // A value tiering left on disk that a command reached without the dispatcher reading
    // it first (a script's undeclared key), and the disk refused. What the handler had
    // written of its reply (MGET's array header) goes: the error is the whole reply.
    reply.buffer()->resize(reply_mark);
    status = Status::Error(e.what());
  }
  const int64_t duration_us = MonotonicUs() - start_us;

  CommandStat& st = stats_->command[cmd->id];
  AddToCounter(st.calls, 1);
  AddToCounter(st.usec, static_cast<uint64_t>(duration_us));
  if (!status.ok()) {
    AddToCounter(st.failed_calls, 1);
    reply.Error(status.message());
  }
  client.set_last_command(&cmd->fullname);
  // MONITOR: after it ran, with its locks still held (server/monitor.h); admin commands
  // are not shown, as in Redis, and EVAL showed itself before its script's commands.
  if (MonitorRegistry* m = server_->monitors();
      m != nullptr && m->active() && !(spec.flags & (kAdmin | kSkipMonitor))) {
    m->Feed(client, ctx.db, argv, server_->clock().NowUs(), from_script);
  }

  int64_t threshold = server_->slowlog_slower_than_us.load(std::memory_order_relaxed);
  if (threshold >= 0 && duration_us >= threshold && !(spec.flags & kSkipSlowlog)) {
    std::vector<std::string> args(argv.begin(), argv.end());
    server_->slowlog().Add(ctx.now_ms / 1000, duration_us, args, client.addr(), client.name(),
                           static_cast<size_t>(server_->slowlog_max_len.load()));
  }
}

}  // namespace vellum::server
