#include "server/dispatcher.h"

#include <algorithm>
#include <cctype>
#include <vector>

#include "common/clock.h"
#include "protocol/errors.h"

namespace vellum::server {
namespace {

bool ArityOk(int arity, size_t argc) {
  return arity > 0 ? argc == static_cast<size_t>(arity) : argc >= static_cast<size_t>(-arity);
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
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
    : server_(server), stats_(&server->worker_stats(worker_index)) {}

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
  if (!client.authenticated && server_->has_requirepass.load(std::memory_order_relaxed) &&
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
  if (spec.first_key <= 0 || static_cast<size_t>(spec.first_key) >= argv.size()) return;
  int last = spec.last_key >= 0 ? spec.last_key : static_cast<int>(argv.size()) + spec.last_key;
  last = std::min(last, static_cast<int>(argv.size()) - 1);
  for (int i = spec.first_key; i <= last; i += spec.key_step) locks->AddKey(argv[i]);
}

void Dispatcher::Execute(std::span<const std::string_view> argv, ClientState& client,
                         protocol::ReplyWriter& reply) {
  if (argv.empty()) return;
  stats_->commands_processed.fetch_add(1, std::memory_order_relaxed);
  // 1. Which command (name, subcommand, arity, authentication).
  const Command* cmd = Resolve(argv, client, reply);
  if (cmd == nullptr) return;
  // 2. Admission checks that may refuse or divert the command go here, in Redis's order:
  //    ACL permissions, RESP2 subscribed-mode restrictions, MULTI queueing, OOM.
  // 3. Lock the keys' shards and run.
  storage::ShardLocks locks(&server_->keyspace());
  AddKeyLocks(cmd, argv, &locks);
  locks.Acquire();
  Invoke(cmd, argv, client, reply);
}

void Dispatcher::Invoke(const Command* cmd, std::span<const std::string_view> argv,
                        ClientState& client, protocol::ReplyWriter& reply) {
  const CommandSpec& spec = cmd->spec;
  const int64_t start_us = MonotonicUs();
  CommandContext ctx{argv,   reply, server_->keyspace(), client, *server_, server_->clock().NowMs(),
                     client.db.load(std::memory_order_relaxed)};
  Status status = spec.handler(ctx);
  const int64_t duration_us = MonotonicUs() - start_us;

  CommandStat& st = stats_->command[cmd->id];
  st.calls.fetch_add(1, std::memory_order_relaxed);
  st.usec.fetch_add(static_cast<uint64_t>(duration_us), std::memory_order_relaxed);
  if (!status.ok()) {
    st.failed_calls.fetch_add(1, std::memory_order_relaxed);
    reply.Error(status.message());
  }
  client.set_last_command(&cmd->fullname);

  int64_t threshold = server_->slowlog_slower_than_us.load(std::memory_order_relaxed);
  if (threshold >= 0 && duration_us >= threshold && !(spec.flags & kSkipSlowlog)) {
    std::vector<std::string> args(argv.begin(), argv.end());
    server_->slowlog().Add(ctx.now_ms / 1000, duration_us, args, client.addr(), client.name(),
                           static_cast<size_t>(server_->slowlog_max_len.load()));
  }
}

}  // namespace vellum::server
