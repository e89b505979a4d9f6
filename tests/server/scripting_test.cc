// The scripting unit's pure parts: the script cache and its digests, the running-script
// state other workers read (kill vs. write), and Redis's reply <-> Lua conversions.
#include <gtest/gtest.h>

extern "C" {
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
}

#include <atomic>
#include <climits>
#include <string>
#include <thread>

#include "server/scripting/lua_reply.h"
#include "server/scripting/script_cache.h"
#include "server/scripting/script_run.h"
#include "server/scripting/shebang.h"

namespace vellum::server {
namespace {

TEST(ScriptCacheTest, DigestsAreSha1Hex) {
  EXPECT_EQ(Sha1Hex(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(Sha1Hex("return 1"), "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
}

TEST(ScriptCacheTest, LookupIgnoresCaseAndFlushForgets) {
  ScriptCache cache;
  const std::string sha = Sha1Hex("return 1");
  cache.Add(sha, "return 1");
  std::string body;
  ASSERT_TRUE(cache.Get("E0E1F9FABFC9D4800C877A703B823AC0578FF8DB", &body));
  EXPECT_EQ(body, "return 1");
  EXPECT_FALSE(cache.Contains("e0e1"));
  EXPECT_EQ(cache.size(), 1u);
  const uint64_t generation = cache.generation();
  cache.Flush();
  EXPECT_FALSE(cache.Contains(sha));
  EXPECT_EQ(cache.memory(), 0u);
  EXPECT_GT(cache.generation(), generation);
}

TEST(ScriptRunTest, KillBeforeTheFirstWriteStopsTheWrite) {
  ScriptRun run;
  EXPECT_EQ(run.RequestKill(), ScriptRun::KillResult::kNotBusy);
  const uint64_t id = run.Begin(1000);
  EXPECT_EQ(run.RequestKill(), ScriptRun::KillResult::kKilled);
  EXPECT_TRUE(run.KillRequested(id));
  EXPECT_FALSE(run.NoteWrite(id));
  run.End();
  EXPECT_FALSE(run.running());
}

TEST(ScriptRunTest, AScriptThatWroteIsUnkillable) {
  ScriptRun run;
  const uint64_t id = run.Begin(1000);
  EXPECT_TRUE(run.NoteWrite(id));
  EXPECT_EQ(run.RequestKill(), ScriptRun::KillResult::kUnkillable);
  EXPECT_FALSE(run.KillRequested(id));
  run.End();
  // A kill granted to one run never reaches the next.
  const uint64_t next = run.Begin(2000);
  EXPECT_FALSE(run.KillRequested(next));
}

TEST(ScriptRunTest, BusyOnlyPastTheThreshold) {
  ScriptRun run;
  EXPECT_FALSE(run.Busy(5000, 100));
  run.Begin(1000);
  EXPECT_FALSE(run.Busy(1099, 100));
  EXPECT_TRUE(run.Busy(1100, 100));
  EXPECT_FALSE(run.Busy(999999, 0));  // 0: never busy
  run.End();
  EXPECT_FALSE(run.Busy(5000, 100));
}

// The script's first write and SCRIPT KILL from another worker race: exactly one wins.
TEST(ScriptRunThreadTest, KillAndFirstWriteNeverBothWin) {
  ScriptRun run;
  for (int i = 0; i < 2000; i++) {
    const uint64_t id = run.Begin(i);
    std::atomic<bool> go{false};
    bool wrote = false;
    ScriptRun::KillResult kill = ScriptRun::KillResult::kNotBusy;
    std::thread killer([&] {
      while (!go.load()) {
      }
      kill = run.RequestKill();
    });
    go = true;
    wrote = run.NoteWrite(id);
    killer.join();
    if (wrote) {
      EXPECT_EQ(kill, ScriptRun::KillResult::kUnkillable);
      EXPECT_FALSE(run.KillRequested(id));
    } else {
      EXPECT_EQ(kill, ScriptRun::KillResult::kKilled);
    }
    run.End();
  }
}

class LuaReplyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    L_ = luaL_newstate();
    luaL_openlibs(L_);
  }
  void TearDown() override { lua_close(L_); }

  // RESP in -> Lua value -> reply out.
  std::string RoundTrip(std::string_view resp, int caller_resp = 2) {
    size_t pos = 0;
    EXPECT_TRUE(RespToLua(L_, resp, &pos));
    EXPECT_EQ(pos, resp.size());
    std::string out;
    protocol::ReplyWriter writer(&out, caller_resp);
    LuaToReply(L_, -1, writer, caller_resp);  // a script that reads RESP3 called setresp(3)
    lua_pop(L_, 1);
    return out;
  }
  std::string Eval(const char* chunk, int caller_resp = 2, int script_resp = 2) {
    EXPECT_EQ(luaL_dostring(L_, chunk), 0);
    std::string out;
    protocol::ReplyWriter writer(&out, caller_resp);
    LuaToReply(L_, -1, writer, script_resp);
    lua_settop(L_, 0);
    return out;
  }

  lua_State* L_ = nullptr;
};

TEST_F(LuaReplyTest, Resp2RepliesComeBackUnchanged) {
  for (std::string_view resp : {":42\r\n", "$3\r\nabc\r\n", "+OK\r\n", "-ERR boom\r\n",
                                "*3\r\n:1\r\n$1\r\nx\r\n*1\r\n+OK\r\n", "*0\r\n"}) {
    EXPECT_EQ(RoundTrip(resp), resp);
  }
}

TEST_F(LuaReplyTest, NullsBecomeFalseThenNullBulk) {
  EXPECT_EQ(RoundTrip("$-1\r\n"), "$-1\r\n");
  EXPECT_EQ(RoundTrip("*-1\r\n"), "$-1\r\n");
}

TEST_F(LuaReplyTest, Resp3TypesKeepTheirShape) {
  EXPECT_EQ(RoundTrip("%1\r\n$1\r\na\r\n:1\r\n", 3), "%1\r\n$1\r\na\r\n:1\r\n");
  EXPECT_EQ(RoundTrip("~1\r\n$1\r\na\r\n", 3), "~1\r\n$1\r\na\r\n");
  EXPECT_EQ(RoundTrip(",1.5\r\n", 3), ",1.5\r\n");
  EXPECT_EQ(RoundTrip("#t\r\n", 3), "#t\r\n");
  EXPECT_EQ(RoundTrip("(123456789012345678901234567890\r\n", 3),
            "(123456789012345678901234567890\r\n");
  EXPECT_EQ(RoundTrip("=7\r\ntxt:abc\r\n", 3), "=7\r\ntxt:abc\r\n");
}

TEST_F(LuaReplyTest, TruncatedRepliesAreRefused) {
  size_t pos = 0;
  EXPECT_FALSE(RespToLua(L_, "$5\r\nab", &pos));
  pos = 0;
  EXPECT_FALSE(RespToLua(L_, "*2\r\n:1\r\n", &pos));
  lua_settop(L_, 0);
}

TEST_F(LuaReplyTest, LuaValuesFollowRedisRules) {
  EXPECT_EQ(Eval("return 3.99"), ":3\r\n");
  EXPECT_EQ(Eval("return true"), ":1\r\n");
  EXPECT_EQ(Eval("return false"), "$-1\r\n");
  // Booleans follow the script's protocol (redis.setresp), nulls the caller's.
  EXPECT_EQ(Eval("return true", 3), ":1\r\n");
  EXPECT_EQ(Eval("return false", 3), "_\r\n");
  EXPECT_EQ(Eval("return true", 3, 3), "#t\r\n");
  EXPECT_EQ(Eval("return false", 2, 3), ":0\r\n");
  EXPECT_EQ(Eval("return {1, 2, nil, 3}"), "*2\r\n:1\r\n:2\r\n");
  EXPECT_EQ(Eval("return {err = 'a\\r\\nb'}"), "-a  b\r\n");
  EXPECT_EQ(Eval("return {ok = 'fine'}"), "+fine\r\n");
  // A metatable cannot run during the conversion (raw access only).
  EXPECT_EQ(Eval("return setmetatable({}, {__index = function() error('x') end})"), "*0\r\n");
}

TEST_F(LuaReplyTest, SelfReferencingTablesStopAtTheDepthLimit) {
  const std::string out = Eval("local t = {}; t[1] = t; return t");
  EXPECT_NE(out.find("-ERR reached lua stack limit\r\n"), std::string::npos);
}

TEST(LuaNumberTest, OutOfRangeIsLlongMin) {
  EXPECT_EQ(LuaNumberToInteger(1e300), LLONG_MIN);
  EXPECT_EQ(LuaNumberToInteger(-1e300), LLONG_MIN);
  EXPECT_EQ(LuaNumberToInteger(0.0 / 0.0), LLONG_MIN);
  EXPECT_EQ(LuaNumberToInteger(-2.7), -2);
  EXPECT_EQ(LuaNumberToInteger(9007199254740993.0), 9007199254740992LL);
}

TEST(ShebangTest, FlagsAndTheLineToSkip) {
  uint32_t flags = 7;
  size_t line = 9;
  ASSERT_TRUE(ParseShebang("return 1", &flags, &line).ok());
  EXPECT_EQ(flags, 0u);
  EXPECT_EQ(line, 0u);
  ASSERT_TRUE(ParseShebang("#!lua\nreturn 1", &flags, &line).ok());
  EXPECT_EQ(flags, 0u);
  EXPECT_EQ(line, 5u);
  ASSERT_TRUE(ParseShebang("#!lua flags=no-writes,allow-oom\nreturn 1", &flags, &line).ok());
  EXPECT_EQ(flags, kScriptNoWrites | kScriptAllowOom);
  ASSERT_TRUE(ParseShebang("#!lua flags=\nreturn 1", &flags, &line).ok());
  EXPECT_EQ(flags, 0u);
}

TEST(ShebangTest, RedisErrorTexts) {
  uint32_t flags = 0;
  size_t line = 0;
  EXPECT_EQ(ParseShebang("#!python\nreturn 1", &flags, &line).message(),
            "ERR Unexpected engine in script shebang: #!python");
  EXPECT_EQ(ParseShebang("#!lua flags=bogus\n", &flags, &line).message(),
            "ERR Unexpected flag in script shebang: bogus");
  EXPECT_EQ(ParseShebang("#!lua name=x\n", &flags, &line).message(),
            "ERR Unknown lua shebang option: name=x");
}

}  // namespace
}  // namespace vellum::server
