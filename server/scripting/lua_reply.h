// Conversions between Redis replies and Lua values, by Redis's rules for scripts.
//
// RESP -> Lua (what redis.call returns): an integer is a number, a bulk string a string,
// a null bulk or null array `false` (RESP3 null: nil), an array a table, a status
// {ok=...}, an error {err=...}; in RESP3 (redis.setresp(3)) a map is {map={...}}, a set
// {set={member=true}}, a double {double=n}, a boolean a boolean, a big number
// {big_number=s}, a verbatim string {verbatim_string={format=f, string=s}}.
//
// Lua -> reply (what a script returns): a string is a bulk, a number an integer
// (truncated), true 1 and false a null (after redis.setresp(3): booleans, which a RESP2
// caller sees as 1 and 0), a table with a string
// `err` an error and with `ok` a status (CR and LF become spaces), the RESP3 forms
// above, any other table an array up to its first nil, anything else a null.
//
// Pure: no server state. The caller owns the lua_State; RespToLua needs a well-formed
// reply (the server's own) and never raises; LuaToReply reads tables without their
// metamethods, so it cannot raise either.
#pragma once

#include <string_view>

#include "protocol/reply_writer.h"

struct lua_State;

namespace vellum::server {

// Pushes the reply at data[*pos] as one Lua value and advances *pos past it. Returns
// false (pushing nothing more) on a truncated or unknown reply.
bool RespToLua(lua_State* L, std::string_view data, size_t* pos);

// Writes the Lua value at stack index idx as a reply; script_resp is the protocol the
// script chose with redis.setresp (2 or 3).
void LuaToReply(lua_State* L, int idx, protocol::ReplyWriter& reply, int script_resp = 2);

// Redis's conversion of a Lua number to an integer reply: truncation toward zero, and
// LLONG_MIN for NaN and values beyond the 64-bit range (what the C cast gives on x86).
long long LuaNumberToInteger(double d);

}  // namespace vellum::server
