#include "server/scripting/script_engine.h"

extern "C" {
#include <lauxlib.h>
#include <lua.h>
}

#include <cctype>
#include <cstring>

#include "common/log.h"
#include "common/memory.h"
#include "protocol/errors.h"
#include "protocol/reply_writer.h"
#include "server/acl.h"
#include "server/client_state.h"
#include "server/command_table.h"
#include "server/dispatcher.h"
#include "server/scripting/lua_reply.h"
#include "server/scripting/lua_sandbox.h"
#include "server/scripting/script_cache.h"
#include "server/scripting/script_run.h"
#include "server/scripting/shebang.h"
#include "server/server_state.h"
#include "storage/persister.h"

namespace vellum::server {
namespace {

constexpr int kHookInstructions = 100000;
constexpr unsigned kRunsPerGcStep = 50;
constexpr char kKilled[] = "ERR Script killed by user with SCRIPT KILL...";
constexpr char kVersion[] = "7.0.0";  // as INFO's redis_version
constexpr int kVersionNum = 0x00070000;

// Pushes {err = msg}.
void PushErrorTable(lua_State* L, const char* msg, size_t len) {
  lua_newtable(L);
  lua_pushstring(L, "err");
  lua_pushlstring(L, msg, len);
  lua_rawset(L, -3);
}

// The message handler of every script run: turns the error into a table {err, source,
// line} naming where in the script it happened (Redis's __redis__err__handler). A string
// error (a Lua runtime error, error("...")) gets Redis's generic "ERR " code.
int ErrorHandler(lua_State* L) {
  if (!lua_istable(L, 1)) {
    const char* msg = lua_tostring(L, 1);
    lua_pushfstring(L, "ERR %s", msg != nullptr ? msg : luaL_typename(L, 1));
    lua_newtable(L);
    lua_pushstring(L, "err");
    lua_pushvalue(L, -3);
    lua_rawset(L, -3);
    lua_replace(L, 1);
    lua_settop(L, 1);
  }
  lua_Debug ar;
  bool found = lua_getstack(L, 1, &ar) && lua_getinfo(L, "Sl", &ar);
  if (found && std::strcmp(ar.what, "C") == 0) {
    found = lua_getstack(L, 2, &ar) && lua_getinfo(L, "Sl", &ar);
  }
  if (found) {
    lua_pushstring(L, "source");
    lua_pushstring(L, ar.source);
    lua_rawset(L, 1);
    lua_pushstring(L, "line");
    lua_pushinteger(L, ar.currentline);
    lua_rawset(L, 1);
  }
  lua_settop(L, 1);
  return 1;
}

// The client's error for a failed run: "<err> script: <sha>, on <source>:<line>."
std::string RunError(lua_State* L, std::string_view sha) {
  std::string err = "ERR unknown error";
  std::string where;
  if (lua_istable(L, -1)) {
    const int t = lua_gettop(L);
    // Raw reads: the table is the script's, and a metamethod must not run out here.
    for (const char* field : {"err", "source", "line"}) {
      lua_pushstring(L, field);
      lua_rawget(L, t);
    }
    if (lua_type(L, -3) == LUA_TSTRING) err = lua_tostring(L, -3);
    if (lua_isstring(L, -2) && lua_isnumber(L, -1)) {
      where = std::string(", on ") + lua_tostring(L, -2) + ":" +
              std::to_string(static_cast<long long>(lua_tonumber(L, -1))) + ".";
    }
    lua_settop(L, t);
  } else if (const char* s = lua_tostring(L, -1)) {
    err = std::string("ERR ") + s;
  }
  return err + " script: " + std::string(sha) + where;
}

int LuaSha1hex(lua_State* L) {
  if (lua_gettop(L) != 1) return luaL_error(L, "wrong number of arguments");
  size_t len = 0;
  const char* s = lua_tolstring(L, 1, &len);
  char hex[41];
  {
    const std::string digest = Sha1Hex(std::string_view(s != nullptr ? s : "", len));
    std::memcpy(hex, digest.data(), 40);
  }
  lua_pushlstring(L, hex, 40);
  return 1;
}

int LuaStatusReply(lua_State* L) {
  if (lua_gettop(L) != 1 || !lua_isstring(L, 1)) {
    return luaL_error(L, "wrong number or type of arguments");
  }
  lua_newtable(L);
  lua_pushstring(L, "ok");
  lua_pushvalue(L, 1);
  lua_rawset(L, -3);
  return 1;
}

// Redis's rule: a leading '-' is dropped; a message without an error code (no space)
// gets "ERR ".
int LuaErrorReply(lua_State* L) {
  if (lua_gettop(L) != 1 || !lua_isstring(L, 1)) {
    return luaL_error(L, "wrong number or type of arguments");
  }
  size_t len = 0;
  const char* s = lua_tolstring(L, 1, &len);
  if (len > 0 && s[0] == '-') {
    s++;
    len--;
  }
  if (std::memchr(s, ' ', len) == nullptr) {
    lua_pushstring(L, "ERR ");
    lua_pushlstring(L, s, len);
    lua_concat(L, 2);
  } else {
    lua_pushlstring(L, s, len);
  }
  lua_newtable(L);
  lua_pushstring(L, "err");
  lua_pushvalue(L, -3);
  lua_rawset(L, -3);
  return 1;
}

int LuaLog(lua_State* L) {
  const int argc = lua_gettop(L);
  if (argc < 2) return luaL_error(L, "redis.log() requires two arguments or more.");
  if (!lua_isnumber(L, 1)) return luaL_error(L, "First argument must be a number (log level).");
  const int level = static_cast<int>(lua_tonumber(L, 1));
  if (level < 0 || level > 3) return luaL_error(L, "Invalid debug level.");
  for (int i = 2; i <= argc; i++) {
    if (i > 2) lua_pushstring(L, " ");
    lua_pushvalue(L, i);
    if (!lua_isstring(L, -1)) {
      lua_pop(L, 1);
      lua_pushstring(L, luaL_typename(L, i));
    }
  }
  lua_concat(L, 2 * (argc - 1) - 1);
  log::Logf(static_cast<log::Level>(level), "%s", lua_tostring(L, -1));
  return 0;
}

int LuaNothing(lua_State*) { return 0; }
int LuaTrue(lua_State* L) {
  lua_pushboolean(L, 1);
  return 1;
}
int LuaFalse(lua_State* L) {
  lua_pushboolean(L, 0);
  return 1;
}

}  // namespace

ScriptEngine::ScriptEngine(ServerState* server, Dispatcher* dispatcher)
    : server_(server), dispatcher_(dispatcher) {}

ScriptEngine::~ScriptEngine() {
  if (L_ != nullptr) lua_close(L_);
  server_->lua_memory.fetch_sub(published_bytes_, std::memory_order_relaxed);
}

void ScriptEngine::PublishMemory() {
  const int64_t bytes =
      L_ == nullptr ? 0 : int64_t{lua_gc(L_, LUA_GCCOUNT, 0)} * 1024 + lua_gc(L_, LUA_GCCOUNTB, 0);
  server_->lua_memory.fetch_add(bytes - published_bytes_, std::memory_order_relaxed);
  published_bytes_ = bytes;
}

ScriptEngine* ScriptEngine::Self(lua_State* L) {
  return static_cast<ScriptEngine*>(lua_touserdata(L, lua_upvalueindex(1)));
}

bool ScriptEngine::EnsureVm() {
  const uint64_t generation = server_->scripts().generation();
  if (L_ != nullptr && generation == generation_) return true;
  if (L_ != nullptr) lua_close(L_);
  flags_.clear();
  L_ = OpenSandbox();
  if (L_ == nullptr) return false;
  generation_ = generation;
  PublishMemory();
  lua_pushlightuserdata(L_, this);
  lua_setfield(L_, LUA_REGISTRYINDEX, "vellum.engine");  // for the hook
  RegisterRedisTable();
  SealGlobals(L_);
  return true;
}

void ScriptEngine::RegisterRedisTable() {
  lua_State* L = L_;
  lua_newtable(L);
  auto bind = [&](const char* name, lua_CFunction fn) {
    lua_pushlightuserdata(L, this);
    lua_pushcclosure(L, fn, 1);
    lua_setfield(L, -2, name);
  };
  auto plain = [&](const char* name, lua_CFunction fn) {
    lua_pushcfunction(L, fn);
    lua_setfield(L, -2, name);
  };
  auto number = [&](const char* name, lua_Number v) {
    lua_pushnumber(L, v);
    lua_setfield(L, -2, name);
  };
  bind("call", LuaCall);
  bind("pcall", LuaPcall);
  bind("setresp", LuaSetResp);
  bind("acl_check_cmd", LuaAclCheckCmd);
  plain("sha1hex", LuaSha1hex);
  plain("error_reply", LuaErrorReply);
  plain("status_reply", LuaStatusReply);
  plain("log", LuaLog);
  plain("set_repl", LuaNothing);  // effects are always what replicates
  plain("replicate_commands", LuaTrue);
  plain("breakpoint", LuaFalse);
  plain("debug", LuaNothing);
  number("LOG_DEBUG", 0);
  number("LOG_VERBOSE", 1);
  number("LOG_NOTICE", 2);
  number("LOG_WARNING", 3);
  number("REPL_NONE", 0);
  number("REPL_AOF", 1);
  number("REPL_SLAVE", 2);
  number("REPL_REPLICA", 2);
  number("REPL_ALL", 3);
  number("REDIS_VERSION_NUM", kVersionNum);
  lua_pushstring(L, kVersion);
  lua_setfield(L, -2, "REDIS_VERSION");
  lua_setglobal(L, "redis");
}

namespace {

constexpr char kNoScriptError[] = "NOSCRIPT No matching script. Please use EVAL.";

// "f_" + the lower-case digest, NUL-terminated: the function's name in the VM's registry.
bool FunctionName(std::string_view sha, char (&name)[43]) {
  if (sha.size() != 40) return false;
  name[0] = 'f';
  name[1] = '_';
  for (size_t i = 0; i < 40; i++) {
    name[i + 2] = static_cast<char>(std::tolower(static_cast<unsigned char>(sha[i])));
  }
  name[42] = '\0';
  return true;
}

}  // namespace

Status ScriptEngine::PushFunction(const char* name, std::string_view sha, std::string_view body) {
  lua_getfield(L_, LUA_REGISTRYINDEX, name);
  if (lua_isfunction(L_, -1)) return Status::Ok();
  lua_pop(L_, 1);
  uint32_t flags = 0;
  size_t shebang = 0;
  if (Status s = ParseShebang(body, &flags, &shebang); !s.ok()) return s;
  std::string without_shebang;
  std::string_view code = body;
  if (shebang > 0) {
    // The shebang line is not Lua: compile the rest, keeping its line numbers.
    without_shebang = body.substr(shebang);
    code = without_shebang;
  }
  if (luaL_loadbuffer(L_, code.data(), code.size(), "@user_script") != 0) {
    std::string msg = std::string("ERR Error compiling script (new function): ") +
                      (lua_tostring(L_, -1) != nullptr ? lua_tostring(L_, -1) : "?");
    lua_pop(L_, 1);
    return Status::Error(std::move(msg));
  }
  lua_pushvalue(L_, -1);
  lua_setfield(L_, LUA_REGISTRYINDEX, name);
  if (flags != 0) flags_[std::string(name + 2)] = flags;
  PublishMemory();
  // Compiled, so worth keeping: the server's cache gets it (EVAL caches, as in Redis 7.0).
  if (!server_->scripts().Contains(sha)) server_->scripts().Add(std::string(name + 2), body);
  return Status::Ok();
}

Status ScriptEngine::Load(const std::string& sha, std::string_view body) {
  if (!EnsureVm()) return Status::Error("ERR could not create the Lua VM");
  char name[43];
  if (!FunctionName(sha, name)) return Status::Error("ERR bad script digest");
  if (Status s = PushFunction(name, sha, body); !s.ok()) return s;
  lua_pop(L_, 1);
  return Status::Ok();
}

Status ScriptEngine::Run(CommandContext& ctx, std::string_view sha, const std::string_view* body,
                         size_t numkeys, std::span<const std::string_view> keys_and_args,
                         bool read_only) {
  if (!EnsureVm()) return Status::Error("ERR could not create the Lua VM");
  char name[43];
  if (!FunctionName(sha, name)) return Status::Error(kNoScriptError);
  lua_State* L = L_;
  const int base = lua_gettop(L);
  lua_pushcfunction(L, ErrorHandler);
  const int handler = lua_gettop(L);
  lua_getfield(L, LUA_REGISTRYINDEX, name);
  if (!lua_isfunction(L, -1)) {
    lua_settop(L, handler);
    std::string cached;
    if (body == nullptr && !server_->scripts().Get(sha, &cached)) {
      lua_settop(L, base);
      return Status::Error(kNoScriptError);
    }
    if (Status s = PushFunction(name, sha, body != nullptr ? *body : cached); !s.ok()) {
      lua_settop(L, base);
      return s;
    }
  }
  for (int part = 0; part < 2; part++) {
    const size_t from = part == 0 ? 0 : numkeys;
    const size_t to = part == 0 ? numkeys : keys_and_args.size();
    lua_createtable(L, static_cast<int>(to - from), 0);
    for (size_t i = from; i < to; i++) {
      lua_pushlstring(L, keys_and_args[i].data(), keys_and_args[i].size());
      lua_rawseti(L, -2, static_cast<int>(i - from + 1));
    }
    SetRawGlobal(L, part == 0 ? "KEYS" : "ARGV");
  }

  if (!flags_.empty()) {
    auto it = flags_.find(std::string(name + 2));
    if (it != flags_.end() && (it->second & kScriptNoWrites)) read_only = true;
  }
  ctx_ = &ctx;
  read_only_ = read_only;
  resp_ = 2;
  const int db = ctx.client.db.load(std::memory_order_relaxed);
  ScriptRun& state = server_->script_run();
  run_ = state.Begin(server_->clock().NowMs());
  lua_sethook(L, Hook, LUA_MASKCOUNT, kHookInstructions);
  const int rc = lua_pcall(L, 0, 1, handler);
  lua_sethook(L, nullptr, 0, 0);
  state.End();
  ctx.client.db.store(db, std::memory_order_relaxed);  // SELECT in a script is its own
  ctx_ = nullptr;

  Status status;
  if (rc != 0) {
    status = Status::Error(RunError(L, name + 2));
  } else {
    LuaToReply(L, -1, ctx.reply, resp_);
  }
  lua_settop(L, base);
  if (++runs_since_gc_ >= kRunsPerGcStep) {
    runs_since_gc_ = 0;
    lua_gc(L, LUA_GCSTEP, 1);
    PublishMemory();
  }
  return status;
}

void ScriptEngine::Hook(lua_State* L, lua_Debug*) {
  // A hook has no upvalues: the engine is in the registry.
  lua_getfield(L, LUA_REGISTRYINDEX, "vellum.engine");
  auto* self = static_cast<ScriptEngine*>(lua_touserdata(L, -1));
  lua_pop(L, 1);
  if (self == nullptr || !self->server_->script_run().KillRequested(self->run_)) return;
  PushErrorTable(L, kKilled, sizeof(kKilled) - 1);
  lua_error(L);
}

const Command* ScriptEngine::Lookup(std::span<const std::string_view> argv) const {
  const Command* cmd = server_->commands().Find(argv[0]);
  if (cmd == nullptr || !cmd->is_container()) return cmd;
  if (argv.size() < 2) return cmd;  // arity check below refuses it
  return cmd->FindSubcommand(argv[1]);
}

bool ScriptEngine::Call(lua_State* L) {
  const int argc = lua_gettop(L);
  if (argc == 0) {
    call_error_ = "ERR Please specify at least one argument for this redis lib call";
    return false;
  }
  call_argv_.clear();
  for (int i = 1; i <= argc; i++) {
    const int type = lua_type(L, i);
    if (type != LUA_TSTRING && type != LUA_TNUMBER) {
      call_error_ = "ERR Lua redis lib command arguments must be strings or integers";
      return false;
    }
    size_t len = 0;
    const char* s = lua_tolstring(L, i, &len);  // a number becomes its string in place
    call_argv_.emplace_back(s, len);
  }
  const Command* cmd = Lookup(call_argv_);
  if (cmd == nullptr) {
    call_error_ = "ERR Unknown Redis command called from script";
    return false;
  }
  if (cmd->is_container() || !ArityOk(cmd->spec.arity, call_argv_.size())) {
    call_error_ = "ERR Wrong number of args calling Redis command from script";
    return false;
  }
  const uint32_t flags = cmd->spec.flags | (cmd->parent ? cmd->parent->spec.flags & kNoScript : 0);
  if (flags & kNoScript) {
    call_error_ = "ERR This Redis command is not allowed from script";
    return false;
  }
  if (server_->acl() != nullptr &&
      server_->acl()->Check(ctx_->client, *cmd, call_argv_).denial != AclDenial::kNone) {
    call_error_ = "ERR The user executing the script can't run this command or subcommand";
    return false;
  }
  if (flags & kWrite) {
    if (read_only_) {
      call_error_ = "ERR Write commands are not allowed from read-only scripts.";
      return false;
    }
    if (server_->is_replica()) {
      call_error_ = protocol::err::kReadOnlyReplica;
      return false;
    }
    if (server_->persister() != nullptr && server_->persister()->failing()) {
      call_error_ = std::string(protocol::err::kMisconfPrefix) + server_->persister()->last_error();
      return false;
    }
    const uint64_t maxmemory = server_->maxmemory.load(std::memory_order_relaxed);
    if ((flags & kDenyOom) && maxmemory != 0 && UsedMemoryForEviction() > maxmemory) {
      call_error_ = protocol::err::kOom;
      return false;
    }
    if (!server_->script_run().NoteWrite(run_)) {
      call_error_ = kKilled;
      return false;
    }
  }
  call_reply_.clear();
  protocol::ReplyWriter writer(&call_reply_, resp_);
  dispatcher_->Invoke(cmd, call_argv_, ctx_->client, writer, /*from_script=*/true);
  return true;
}

int ScriptEngine::CallFromLua(lua_State* L, bool raise) {
  ScriptEngine* self = Self(L);
  if (self->ctx_ == nullptr) return luaL_error(L, "redis.call is only available inside a script");
  if (!self->Call(L)) {
    PushErrorTable(L, self->call_error_.data(), self->call_error_.size());
    if (raise) return lua_error(L);
    return 1;
  }
  lua_settop(L, 0);
  size_t pos = 0;
  if (!RespToLua(L, self->call_reply_, &pos)) {
    lua_settop(L, 0);
    static constexpr char kBad[] = "ERR the reply of the command could not be converted";
    PushErrorTable(L, kBad, sizeof(kBad) - 1);
    if (raise) return lua_error(L);
    return 1;
  }
  if (raise && !self->call_reply_.empty() && self->call_reply_[0] == '-') return lua_error(L);
  return 1;
}

int ScriptEngine::LuaCall(lua_State* L) { return CallFromLua(L, true); }
int ScriptEngine::LuaPcall(lua_State* L) { return CallFromLua(L, false); }

int ScriptEngine::LuaSetResp(lua_State* L) {
  ScriptEngine* self = Self(L);
  const int v = lua_gettop(L) == 1 && lua_isnumber(L, 1) ? static_cast<int>(lua_tonumber(L, 1)) : 0;
  if (v != 2 && v != 3) {
    static constexpr char kBad[] = "ERR RESP version must be 2 or 3.";
    PushErrorTable(L, kBad, sizeof(kBad) - 1);
    return lua_error(L);
  }
  self->resp_ = v;
  return 0;
}

int ScriptEngine::LuaAclCheckCmd(lua_State* L) {
  ScriptEngine* self = Self(L);
  bool allowed = false;
  bool known = false;
  if (self->ctx_ != nullptr && lua_gettop(L) >= 1) {
    std::vector<std::string_view> argv;
    for (int i = 1; i <= lua_gettop(L); i++) {
      size_t len = 0;
      const char* s = lua_tolstring(L, i, &len);
      argv.emplace_back(s != nullptr ? s : "", len);
    }
    const Command* cmd = self->Lookup(argv);
    known = cmd != nullptr && !cmd->is_container();
    allowed = known && (self->server_->acl() == nullptr ||
                        self->server_->acl()->Check(self->ctx_->client, *cmd, argv).denial ==
                            AclDenial::kNone);
  }
  if (!known) {
    static constexpr char kBad[] = "ERR Invalid command passed to redis.acl_check_cmd()";
    PushErrorTable(L, kBad, sizeof(kBad) - 1);
    return lua_error(L);
  }
  lua_pushboolean(L, allowed ? 1 : 0);
  return 1;
}

}  // namespace vellum::server
