// The Lua 5.1 state a script runs in, sandboxed as Redis 7 does.
//
// OpenSandbox opens the libraries Redis gives scripts (base, table, string, math, and
// Debian's lua-cjson and lua-bitop as `cjson` and `bit`) and removes what could reach
// outside the server or leak between scripts (io, os, debug, package, require, module,
// dofile, loadfile, print, setfenv, getfenv, newproxy). The caller then adds its own
// tables (`redis`) and calls SealGlobals: from then on the global table every chunk sees
// is a read-only proxy, reading a global that does not exist raises "Script attempted to
// access nonexistent global variable", and assigning to a global or to a library table
// raises "Attempt to modify a readonly table", so one script cannot change what the
// next one sees. `cmsgpack` and `struct` are not provided: Debian packages neither.
//
// SetRawGlobal writes past the seal (KEYS and ARGV before each run).
#pragma once

#include <string_view>

struct lua_State;

namespace vellum::server {

lua_State* OpenSandbox();
void SealGlobals(lua_State* L);
// Sets global `name` to the value on top of the stack (popped), bypassing the seal.
void SetRawGlobal(lua_State* L, const char* name);

}  // namespace vellum::server
