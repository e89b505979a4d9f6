#include "server/scripting/lua_sandbox.h"

extern "C" {
#include <lauxlib.h>
#include <lua-bitop.h>
#include <lua-cjson.h>
#include <lua.h>
#include <lualib.h>
}

namespace vellum::server {
namespace {

// The registry key of the real global table (the sealed proxy's backing table).
constexpr const char* kRealGlobals = "vellum.globals";

int ReadonlyError(lua_State* L) { return luaL_error(L, "Attempt to modify a readonly table"); }

// rawset, refusing the sealed tables (Lua's own rawset is the upvalue).
int GuardedRawset(lua_State* L) {
  if (lua_getmetatable(L, 1)) {
    lua_getfield(L, -1, "__newindex");
    const bool sealed = lua_tocfunction(L, -1) == ReadonlyError;
    lua_pop(L, 2);
    if (sealed) {
      lua_pushstring(L, "Attempt to modify a readonly table");
      return lua_error(L);
    }
  }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  return lua_gettop(L);
}

int MissingGlobal(lua_State* L) {
  const char* name = lua_tostring(L, 2);
  return luaL_error(L, "Script attempted to access nonexistent global variable '%s'",
                    name != nullptr ? name : "?");
}

void OpenLibrary(lua_State* L, lua_CFunction open, const char* name) {
  lua_pushcfunction(L, open);
  lua_pushstring(L, name);
  lua_call(L, 1, 0);
}

// Replaces the table at stack top with a read-only proxy of it.
void PushReadonlyProxy(lua_State* L, int real_index, bool error_on_missing) {
  lua_newtable(L);                  // proxy
  lua_newtable(L);                  // its metatable
  lua_pushvalue(L, real_index);
  if (error_on_missing) {
    // The real table errs on a missing name through its own metatable.
    lua_newtable(L);
    lua_pushcfunction(L, MissingGlobal);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, -2);
  }
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, ReadonlyError);
  lua_setfield(L, -2, "__newindex");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");  // getmetatable() cannot reach the real table
  lua_setmetatable(L, -2);
}

}  // namespace

lua_State* OpenSandbox() {
  lua_State* L = luaL_newstate();
  if (L == nullptr) return nullptr;
  OpenLibrary(L, luaopen_base, "");
  OpenLibrary(L, luaopen_table, LUA_TABLIBNAME);
  OpenLibrary(L, luaopen_string, LUA_STRLIBNAME);
  OpenLibrary(L, luaopen_math, LUA_MATHLIBNAME);
  lua_pushcfunction(L, luaopen_cjson);
  lua_call(L, 0, 1);
  lua_setglobal(L, "cjson");
  lua_pushcfunction(L, luaopen_bit);
  lua_call(L, 0, 1);
  lua_setglobal(L, "bit");
  lua_getglobal(L, "rawset");
  lua_pushcclosure(L, GuardedRawset, 1);
  lua_setglobal(L, "rawset");
  for (const char* name : {"dofile", "loadfile", "print", "setfenv", "getfenv", "newproxy",
                           "module", "require", "io", "os", "debug", "package"}) {
    lua_pushnil(L);
    lua_setglobal(L, name);
  }
  return L;
}

void SealGlobals(lua_State* L) {
  lua_pushvalue(L, LUA_GLOBALSINDEX);
  const int real = lua_gettop(L);
  // Library tables become read-only proxies in the real table.
  for (const char* name : {"redis", "cjson", "bit", "string", "table", "math", "coroutine"}) {
    lua_getfield(L, real, name);
    if (lua_istable(L, -1)) {
      const int lib = lua_gettop(L);
      PushReadonlyProxy(L, lib, false);
      lua_setfield(L, real, name);
    }
    lua_pop(L, 1);
  }
  // The string metatable's __index is the real string table: hide it.
  lua_pushstring(L, "");
  if (lua_getmetatable(L, -1)) {
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  lua_pushvalue(L, real);
  lua_setfield(L, LUA_REGISTRYINDEX, kRealGlobals);
  PushReadonlyProxy(L, real, true);
  // _G names the proxy, and every chunk compiled from now on sees the proxy.
  lua_pushstring(L, "_G");
  lua_pushvalue(L, -2);
  lua_rawset(L, real);
  lua_replace(L, LUA_GLOBALSINDEX);
  lua_pop(L, 1);  // real
}

void SetRawGlobal(lua_State* L, const char* name) {
  lua_getfield(L, LUA_REGISTRYINDEX, kRealGlobals);
  lua_pushstring(L, name);
  lua_pushvalue(L, -3);
  lua_rawset(L, -3);
  lua_pop(L, 2);
}

}  // namespace vellum::server
