// Scripting commands: EVAL EVALSHA EVAL_RO EVALSHA_RO and SCRIPT LOAD|EXISTS|FLUSH|KILL.
//
// The scripts themselves run in the worker's ScriptEngine (server/scripting/); these
// handlers parse the arguments, find the body, and answer SCRIPT's questions from the
// server-wide cache. EVAL and its family are kLockAll: the dispatcher has locked every
// shard before they run, which is what makes a script atomic.
#include "protocol/errors.h"
#include "server/client_state.h"
#include "server/command.h"
#include "server/command_table.h"
#include "server/commands/args.h"
#include "server/commands/help.h"
#include "server/commands/registry.h"
#include "server/dispatcher.h"
#include "server/monitor.h"
#include "server/scripting/script_cache.h"
#include "server/scripting/script_engine.h"
#include "server/scripting/script_run.h"
#include "server/server_state.h"

namespace vellum::server {
namespace {

// EVAL body|sha numkeys key... arg...: the number of keys, checked as Redis does.
Status ParseNumKeys(CommandContext& ctx, size_t* numkeys) {
  int64_t n = 0;
  if (Status s = ParseIntArg(ctx.arg(2), &n); !s.ok()) return s;
  if (n < 0) return Status::Error("ERR Number of keys can't be negative");
  if (static_cast<uint64_t>(n) > ctx.argc() - 3) {
    return Status::Error("ERR Number of keys can't be greater than number of args");
  }
  *numkeys = static_cast<size_t>(n);
  return Status::Ok();
}

Status Evaluate(CommandContext& ctx, bool by_sha, bool read_only) {
  size_t numkeys = 0;
  if (Status s = ParseNumKeys(ctx, &numkeys); !s.ok()) return s;
  // MONITOR shows the EVAL before the commands its script runs, as Redis does.
  if (MonitorRegistry* m = ctx.server.monitors(); m != nullptr && m->active()) {
    m->Feed(ctx.client, ctx.db, ctx.argv, ctx.server.clock().NowUs());
  }
  ScriptEngine& engine = ctx.dispatcher->scripts();
  if (by_sha) {
    return engine.Run(ctx, ctx.arg(1), nullptr, numkeys, ctx.argv.subspan(3), read_only);
  }
  const std::string_view body = ctx.arg(1);
  return engine.Run(ctx, Sha1Hex(body), &body, numkeys, ctx.argv.subspan(3), read_only);
}

Status Eval(CommandContext& ctx) { return Evaluate(ctx, false, false); }
Status EvalSha(CommandContext& ctx) { return Evaluate(ctx, true, false); }
Status EvalRo(CommandContext& ctx) { return Evaluate(ctx, false, true); }
Status EvalShaRo(CommandContext& ctx) { return Evaluate(ctx, true, true); }

Status ScriptLoad(CommandContext& ctx) {
  const std::string sha = Sha1Hex(ctx.arg(2));
  if (Status s = ctx.dispatcher->scripts().Load(sha, ctx.arg(2)); !s.ok()) return s;
  ctx.reply.Bulk(sha);
  return Status::Ok();
}

Status ScriptExists(CommandContext& ctx) {
  ctx.reply.ArrayHeader(ctx.argc() - 2);
  for (size_t i = 2; i < ctx.argc(); i++) {
    ctx.reply.Integer(ctx.server.scripts().Contains(ctx.arg(i)) ? 1 : 0);
  }
  return Status::Ok();
}

Status ScriptFlush(CommandContext& ctx) {
  if (ctx.argc() == 3 && !EqualsIgnoreCase(ctx.arg(2), "sync") &&
      !EqualsIgnoreCase(ctx.arg(2), "async")) {
    return Status::Error("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
  }
  if (ctx.argc() > 3) return Status::Error("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
  ctx.server.scripts().Flush();  // each worker's VM starts afresh at its next script
  ctx.reply.Ok();
  return Status::Ok();
}

Status ScriptKill(CommandContext& ctx) {
  switch (ctx.server.script_run().RequestKill()) {
    case ScriptRun::KillResult::kNotBusy:
      return Status::Error("NOTBUSY No scripts in execution right now.");
    case ScriptRun::KillResult::kUnkillable:
      return Status::Error(
          "UNKILLABLE Sorry the script already executed write commands against the dataset. "
          "You can either wait the script termination or kill the server in a hard way "
          "using the SHUTDOWN NOSAVE command.");
    case ScriptRun::KillResult::kKilled:
      break;
  }
  ctx.reply.Ok();
  return Status::Ok();
}

Status ScriptHelp(CommandContext& ctx) {
  ReplyHelp(ctx, "SCRIPT",
            {"EXISTS <sha1> [<sha1> ...]",
             "    Return information about the existence of the scripts in the script cache.",
             "FLUSH [ASYNC|SYNC]",
             "    Flush the Lua scripts cache. Very dangerous on replicas.",
             "    When called without the optional mode argument, the behavior is determined by the",
             "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
             "    * ASYNC: Asynchronously flush the scripts cache.",
             "    * SYNC: Synchronously flush the scripts cache.",
             "KILL",
             "    Kill the currently executing Lua script.",
             "LOAD <script>",
             "    Load a script into the scripts cache without executing it."});
  return Status::Ok();
}

}  // namespace

void RegisterScriptingCommands(CommandTable& table) {
  // kLockAll: a script may touch any key, declared or not, and must be atomic.
  constexpr uint32_t kRun = kNoScript | kStale | kSkipMonitor | kLockAll;
  constexpr uint32_t kCats = kCatSlow | kCatScripting;
  table.Register({"eval", -3, kRun, kCats, 0, 0, 0, "scripting", "2.6.0",
                  "Executes a server-side Lua script.", Eval});
  table.Register({"evalsha", -3, kRun, kCats, 0, 0, 0, "scripting", "2.6.0",
                  "Executes a server-side Lua script by SHA1 digest.", EvalSha});
  table.Register({"eval_ro", -3, kRun | kReadonly, kCats, 0, 0, 0, "scripting", "7.0.0",
                  "Executes a read-only server-side Lua script.", EvalRo});
  table.Register({"evalsha_ro", -3, kRun | kReadonly, kCats, 0, 0, 0, "scripting", "7.0.0",
                  "Executes a read-only server-side Lua script by SHA1 digest.", EvalShaRo});
  constexpr uint32_t kSub = kNoScript;
  std::vector<CommandSpec> subcommands = {
      {"load", 3, kSub | kStale, kCats, 0, 0, 0, "scripting", "2.6.0",
       "Loads a server-side Lua script to the script cache.", ScriptLoad},
      {"exists", -3, kSub, kCats, 0, 0, 0, "scripting", "2.6.0",
       "Determines whether server-side Lua scripts exist in the script cache.", ScriptExists},
      {"flush", -2, kSub, kCats, 0, 0, 0, "scripting", "2.6.0",
       "Removes all server-side Lua scripts from the script cache.", ScriptFlush},
      {"kill", 2, kSub | kAllowBusy, kCats, 0, 0, 0, "scripting", "2.6.0",
       "Terminates a server-side Lua script during execution.", ScriptKill},
      {"help", 2, kLoading | kStale, kCats, 0, 0, 0, "scripting", "5.0.0",
       "Returns helpful text about the different subcommands.", ScriptHelp}};
  table.Register({"script", -2, 0, kCatSlow, 0, 0, 0, "scripting", "2.6.0",
                  "A container for Lua scripts management commands.", nullptr,
                  std::move(subcommands)});
}

}  // namespace vellum::server
