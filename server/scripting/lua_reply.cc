#include "server/scripting/lua_reply.h"

extern "C" {
#include <lua.h>
}

#include <charconv>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <string>

namespace vellum::server {
namespace {

constexpr int kMaxDepth = 512;  // Redis: "reached lua stack limit"

// The line at data[*pos] (after its type byte) up to CRLF; advances past the CRLF.
bool Line(std::string_view data, size_t* pos, std::string_view* line) {
  size_t end = data.find("\r\n", *pos);
  if (end == std::string_view::npos) return false;
  *line = data.substr(*pos, end - *pos);
  *pos = end + 2;
  return true;
}

bool ParseInt(std::string_view s, long long* out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

void SetStringField(lua_State* L, const char* name, std::string_view value) {
  lua_pushstring(L, name);
  lua_pushlstring(L, value.data(), value.size());
  lua_rawset(L, -3);
}

// A one-field table {name = <value on top of the stack>}.
void WrapTop(lua_State* L, const char* name) {
  lua_newtable(L);
  lua_pushstring(L, name);
  lua_pushvalue(L, -3);
  lua_rawset(L, -3);
  lua_remove(L, -2);
}

bool Aggregate(lua_State* L, std::string_view data, size_t* pos, long long n, char type) {
  lua_newtable(L);
  for (long long i = 0; i < n; i++) {
    if (type == '%') {
      if (!RespToLua(L, data, pos) || !RespToLua(L, data, pos)) return false;
      lua_rawset(L, -3);
    } else if (type == '~') {
      if (!RespToLua(L, data, pos)) return false;
      lua_pushboolean(L, 1);
      lua_rawset(L, -3);
    } else {
      if (!RespToLua(L, data, pos)) return false;
      lua_rawseti(L, -2, static_cast<int>(i + 1));
    }
  }
  if (type == '%') WrapTop(L, "map");
  if (type == '~') WrapTop(L, "set");
  return true;
}

// The string of a table's field `name` (raw access), or nullptr.
const char* RawStringField(lua_State* L, int idx, const char* name, size_t* len) {
  lua_pushstring(L, name);
  lua_rawget(L, idx);
  if (lua_type(L, -1) != LUA_TSTRING) {
    lua_pop(L, 1);
    return nullptr;
  }
  const char* s = lua_tolstring(L, -1, len);
  lua_pop(L, 1);  // the table still references it
  return s;
}

std::string SpacesForNewlines(const char* s, size_t len) {
  std::string out(s, len);
  for (char& c : out) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return out;
}

void Write(lua_State* L, int idx, protocol::ReplyWriter& reply, int resp3, int depth) {
  if (idx < 0) idx = lua_gettop(L) + idx + 1;
  switch (lua_type(L, idx)) {
    case LUA_TSTRING: {
      size_t len = 0;
      const char* s = lua_tolstring(L, idx, &len);
      reply.Bulk(std::string_view(s, len));
      return;
    }
    case LUA_TBOOLEAN:
      if (resp3) {
        reply.Bool(lua_toboolean(L, idx) != 0);
      } else if (lua_toboolean(L, idx)) {
        reply.Integer(1);
      } else {
        reply.Null();
      }
      return;
    case LUA_TNUMBER:
      reply.Integer(LuaNumberToInteger(lua_tonumber(L, idx)));
      return;
    case LUA_TTABLE:
      break;
    default:
      reply.Null();
      return;
  }
  if (depth >= kMaxDepth || !lua_checkstack(L, 4)) {
    reply.Error("ERR reached lua stack limit");
    return;
  }
  size_t len = 0;
  if (const char* err = RawStringField(L, idx, "err", &len)) {
    reply.Error(SpacesForNewlines(err, len));
    return;
  }
  if (const char* ok = RawStringField(L, idx, "ok", &len)) {
    reply.Simple(SpacesForNewlines(ok, len));
    return;
  }
  lua_pushstring(L, "double");
  lua_rawget(L, idx);
  if (lua_type(L, -1) == LUA_TNUMBER) {
    reply.Double(lua_tonumber(L, -1));
    lua_pop(L, 1);
    return;
  }
  lua_pop(L, 1);
  if (const char* big = RawStringField(L, idx, "big_number", &len)) {
    reply.BigNumber(SpacesForNewlines(big, len));
    return;
  }
  lua_pushstring(L, "verbatim_string");
  lua_rawget(L, idx);
  if (lua_type(L, -1) == LUA_TTABLE) {
    const int v = lua_gettop(L);
    size_t flen = 0;
    size_t slen = 0;
    const char* format = RawStringField(L, v, "format", &flen);
    const char* text = RawStringField(L, v, "string", &slen);
    if (format != nullptr && text != nullptr) {
      reply.Verbatim(std::string_view(text, slen), std::string_view(format, flen));
      lua_pop(L, 1);
      return;
    }
  }
  lua_pop(L, 1);
  for (const char* kind : {"map", "set"}) {
    lua_pushstring(L, kind);
    lua_rawget(L, idx);
    if (lua_type(L, -1) != LUA_TTABLE) {
      lua_pop(L, 1);
      continue;
    }
    const int t = lua_gettop(L);
    size_t n = 0;
    lua_pushnil(L);
    while (lua_next(L, t) != 0) {
      n++;
      lua_pop(L, 1);
    }
    const bool map = kind[0] == 'm';
    if (map) {
      reply.MapHeader(n);
    } else {
      reply.SetHeader(n);
    }
    lua_pushnil(L);
    while (lua_next(L, t) != 0) {
      // lua_next needs the key untouched: write a copy of it.
      lua_pushvalue(L, -2);
      Write(L, -1, reply, resp3, depth + 1);
      lua_pop(L, 1);
      if (map) Write(L, -1, reply, resp3, depth + 1);
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return;
  }
  // An array: elements 1..n up to the first nil.
  size_t n = 0;
  while (true) {
    lua_rawgeti(L, idx, static_cast<int>(n + 1));
    const bool nil = lua_isnil(L, -1);
    lua_pop(L, 1);
    if (nil) break;
    n++;
  }
  reply.ArrayHeader(n);
  for (size_t i = 1; i <= n; i++) {
    lua_rawgeti(L, idx, static_cast<int>(i));
    Write(L, -1, reply, resp3, depth + 1);
    lua_pop(L, 1);
  }
}

}  // namespace

long long LuaNumberToInteger(double d) {
  if (std::isnan(d) || d >= 9223372036854775808.0 || d < -9223372036854775808.0) return LLONG_MIN;
  return static_cast<long long>(d);
}

bool RespToLua(lua_State* L, std::string_view data, size_t* pos) {
  if (*pos >= data.size() || !lua_checkstack(L, 4)) return false;
  const char type = data[(*pos)++];
  std::string_view line;
  if (!Line(data, pos, &line)) return false;
  long long n = 0;
  switch (type) {
    case '+':
      lua_newtable(L);
      SetStringField(L, "ok", line);
      return true;
    case '-':
      lua_newtable(L);
      SetStringField(L, "err", line);
      return true;
    case ':':
      if (!ParseInt(line, &n)) return false;
      lua_pushnumber(L, static_cast<lua_Number>(n));
      return true;
    case '$':
    case '=':
      if (!ParseInt(line, &n)) return false;
      if (n < 0) {
        lua_pushboolean(L, 0);
        return true;
      }
      if (data.size() - *pos < static_cast<size_t>(n) + 2) return false;
      if (type == '=') {
        std::string_view body = data.substr(*pos, static_cast<size_t>(n));
        lua_newtable(L);
        SetStringField(L, "format", body.substr(0, 3));
        SetStringField(L, "string", body.size() > 4 ? body.substr(4) : std::string_view());
        WrapTop(L, "verbatim_string");
      } else {
        lua_pushlstring(L, data.data() + *pos, static_cast<size_t>(n));
      }
      *pos += static_cast<size_t>(n) + 2;
      return true;
    case '*':
    case '%':
    case '~':
    case '>':
      if (!ParseInt(line, &n)) return false;
      if (n < 0) {
        lua_pushboolean(L, 0);
        return true;
      }
      return Aggregate(L, data, pos, n, type);
    case '_':
      lua_pushnil(L);
      return true;
    case '#':
      lua_pushboolean(L, line == "t");
      return true;
    case ',': {
      std::string text(line);
      lua_pushnumber(L, std::strtod(text.c_str(), nullptr));
      WrapTop(L, "double");
      return true;
    }
    case '(':
      lua_pushlstring(L, line.data(), line.size());
      WrapTop(L, "big_number");
      return true;
    default:
      return false;
  }
}

void LuaToReply(lua_State* L, int idx, protocol::ReplyWriter& reply, int script_resp) {
  Write(L, idx, reply, script_resp == 3, 0);
}

}  // namespace vellum::server
