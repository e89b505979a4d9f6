// ScriptEngine: one worker's Lua VM, running EVAL/EVALSHA scripts (Redis's eval.c and
// script_lua.c).
//
// One per worker thread (owned by its Dispatcher), so scripts on different workers never
// share a VM and no VM needs a lock; the bodies live in the server-wide ScriptCache, and
// a VM compiles a script the first time its worker runs it. SCRIPT FLUSH bumps the
// cache's generation and each VM starts afresh at its next script.
//
// Atomicity: EVAL and its family are kLockAll commands, so a script runs with every
// shard locked: no other client on any worker sees a partial script or writes between
// its calls, whatever keys it touches (declared in KEYS or not, as Redis allows outside
// cluster mode). redis.call runs the inner command through Dispatcher::Invoke under
// those locks, so it is counted, shown to MONITOR and reported to the persister, WATCH
// and keyspace notifications like any other command: scripts are persisted and
// replicated by their effects, never re-run.
//
// While it runs, ScriptRun (server-wide) tells other workers how long it has been
// running; past busy-reply-threshold they answer -BUSY instead of waiting for their
// locks, and SCRIPT KILL (from another worker) stops a script that has not written yet.
// A hook every 100,000 Lua instructions checks for the kill.
//
// Lua errors unwind with longjmp (Debian's liblua5.1 is C): the functions Lua calls here
// finish every C++ object's lifetime before they raise.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "server/command.h"

struct lua_State;
struct lua_Debug;

namespace vellum::server {

class Dispatcher;
struct Command;

class ScriptEngine {
 public:
  ScriptEngine(ServerState* server, Dispatcher* dispatcher);
  ~ScriptEngine();
  ScriptEngine(const ScriptEngine&) = delete;
  ScriptEngine& operator=(const ScriptEngine&) = delete;

  // Compiles body (whose digest is sha) into this worker's VM if it is not there yet, and
  // adds it to the server's cache. The error is Redis's "Error compiling script" text.
  Status Load(const std::string& sha, std::string_view body);

  // Runs a script with the command's locks (all shards) held: KEYS and ARGV from
  // keys_and_args split at numkeys. Writes the script's reply to ctx.reply, or returns
  // its error. read_only: EVAL_RO/EVALSHA_RO (writes refused).
  // EVAL: the body is given; EVALSHA: body is nullptr and the digest (any case) names a
  // script this VM compiled already (no lock, no copy: the hot path) or one in the
  // server's cache (-NOSCRIPT if none).
  Status Run(CommandContext& ctx, std::string_view sha, const std::string_view* body,
             size_t numkeys, std::span<const std::string_view> keys_and_args, bool read_only);

 private:
  static int LuaCall(lua_State* L);
  static int LuaPcall(lua_State* L);
  static int LuaSetResp(lua_State* L);
  static int LuaAclCheckCmd(lua_State* L);
  static void Hook(lua_State* L, lua_Debug* ar);
  static int CallFromLua(lua_State* L, bool raise);
  static ScriptEngine* Self(lua_State* L);

  bool EnsureVm();
  // Publishes this VM's heap size to ServerState::lua_memory (after each run).
  void PublishMemory();
  // Pushes the compiled function named "f_<sha>" (sha lower-case), compiling body if this
  // VM has not yet; on a compile error pushes nothing.
  Status PushFunction(const char* name, std::string_view sha, std::string_view body);
  void RegisterRedisTable();
  // redis.call's work, with no Lua error raised: false with call_error_ set when the
  // command may not run; otherwise its reply is in call_reply_.
  bool Call(lua_State* L);
  const Command* Lookup(std::span<const std::string_view> argv) const;

  ServerState* server_;
  Dispatcher* dispatcher_;
  lua_State* L_ = nullptr;
  uint64_t generation_ = 0;
  unsigned runs_since_gc_ = 0;
  int64_t published_bytes_ = 0;
  // Shebang flags of the scripts compiled here that have any (server/scripting/shebang.h).
  std::unordered_map<std::string, uint32_t> flags_;

  // The script running now (valid inside Run).
  CommandContext* ctx_ = nullptr;
  bool read_only_ = false;
  int resp_ = 2;
  uint64_t run_ = 0;
  std::vector<std::string_view> call_argv_;
  std::string call_reply_;
  std::string call_error_;
};

}  // namespace vellum::server
