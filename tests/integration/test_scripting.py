"""Lua scripting against the real vellumd: EVAL and its family, SCRIPT, Redis's conversion
rules and error texts (taken from Redis 7.0.15 answering the same commands), the sandbox,
atomicity against clients on other workers, -BUSY and SCRIPT KILL, and scripts'
effects surviving kill -9. The libraries that need scripting (rate-limit-redis,
redlock) have their own test in node/scripting_libraries.test.mjs."""
import hashlib
import re
import signal
import socket
import threading
import time

import pytest
import redis

from vellum_harness import RespConn, Vellumd, monitor_lines


class RawConn(RespConn):
    """Exact reply bytes, for exact error texts."""

    def __init__(self, port, timeout=10.0):
        super().__init__(port, timeout)

    read = RespConn.read_raw
    call = RespConn.call_raw


@pytest.fixture
def raw(server):
    cl = server.client()
    cl.flushall()
    cl.script_flush()
    cl.close()
    conn = RawConn(server.port)
    yield conn
    conn.close()


@pytest.fixture
def r(rd):
    """conftest's str-decoding client on an empty keyspace."""
    return rd


def script_error(raw, body, *rest, numkeys=0):
    """The error line of EVAL body, with the digest in it replaced by <sha>."""
    out = raw.call("EVAL", body, numkeys, *rest).decode()
    assert out.startswith("-"), out
    return out[1:-2].replace(hashlib.sha1(body.encode()).hexdigest(), "<sha>")


# ---- EVAL, EVALSHA, SCRIPT ------------------------------------------------------------

def test_eval_runs_with_keys_and_args(r):
    assert r.eval("return {KEYS[1], KEYS[2], ARGV[1], #KEYS, #ARGV}", 2, "k1", "k2", "a1") == \
        ["k1", "k2", "a1", 2, 1]
    assert r.eval("return redis.call('set', KEYS[1], ARGV[1])", 1, "page:/", "<html>") == "OK"
    assert r.get("page:/") == "<html>"


def test_numkeys_errors_are_redis_texts(raw):
    assert raw.call("EVAL", "return 1", -1) == b"-ERR Number of keys can't be negative\r\n"
    assert raw.call("EVAL", "return 1", 2, "a") == \
        b"-ERR Number of keys can't be greater than number of args\r\n"
    assert raw.call("EVAL", "return 1", "abc") == b"-ERR value is not an integer or out of range\r\n"
    assert raw.call("EVAL", "return 1") == b"-ERR wrong number of arguments for 'eval' command\r\n"


def test_evalsha_uses_the_real_sha1_and_answers_noscript(raw):
    sha = "e0e1f9fabfc9d4800c877a703b823ac0578ff8db"  # SHA1("return 1")
    assert raw.call("EVALSHA", sha, 0) == b"-NOSCRIPT No matching script. Please use EVAL.\r\n"
    assert raw.call("SCRIPT", "LOAD", "return 1") == b"$40\r\n" + sha.encode() + b"\r\n"
    assert raw.call("EVALSHA", sha, 0) == b":1\r\n"
    assert raw.call("EVALSHA", sha.upper(), 0) == b":1\r\n"
    assert raw.call("EVALSHA", "abc", 0) == b"-NOSCRIPT No matching script. Please use EVAL.\r\n"


def test_eval_caches_the_script_for_evalsha(raw):
    body = "return 'cached'"
    raw.call("EVAL", body, 0)
    sha = hashlib.sha1(body.encode()).hexdigest()
    assert raw.call("SCRIPT", "EXISTS", sha, "0" * 40) == b"*2\r\n:1\r\n:0\r\n"
    assert raw.call("EVALSHA", sha, 0) == b"$6\r\ncached\r\n"


def test_script_load_checks_syntax_and_caches_nothing_on_error(raw):
    assert raw.call("SCRIPT", "LOAD", "syntax error here") == \
        b"-ERR Error compiling script (new function): user_script:1: '=' expected near 'error'\r\n"
    sha = hashlib.sha1(b"syntax error here").hexdigest()
    assert raw.call("SCRIPT", "EXISTS", sha) == b"*1\r\n:0\r\n"


def test_script_flush_forgets_scripts_on_every_worker(server, raw):
    sha = raw.call("SCRIPT", "LOAD", "return 7").split(b"\r\n")[1].decode()
    conns = [RawConn(server.port) for _ in range(6)]  # spread over both workers
    try:
        for c in conns:
            assert c.call("EVALSHA", sha, 0) == b":7\r\n"
        assert raw.call("SCRIPT", "FLUSH") == b"+OK\r\n"
        for c in conns:
            assert c.call("EVALSHA", sha, 0) == b"-NOSCRIPT No matching script. Please use EVAL.\r\n"
    finally:
        for c in conns:
            c.close()
    assert raw.call("SCRIPT", "FLUSH", "ASYNC") == b"+OK\r\n"
    assert raw.call("SCRIPT", "FLUSH", "SYNC") == b"+OK\r\n"
    assert raw.call("SCRIPT", "FLUSH", "bogus") == \
        b"-ERR SCRIPT FLUSH only support SYNC|ASYNC option\r\n"


def test_script_kill_without_a_script_is_notbusy(raw):
    assert raw.call("SCRIPT", "KILL") == b"-NOTBUSY No scripts in execution right now.\r\n"


# ---- conversions ----------------------------------------------------------------------

@pytest.mark.parametrize("body, expected", [
    ("return 3.99", b":3\r\n"),
    ("return -2.7", b":-2\r\n"),
    ("return 1e300", b":-9223372036854775808\r\n"),
    ("return 'x'", b"$1\r\nx\r\n"),
    ("return true", b":1\r\n"),
    ("return false", b"$-1\r\n"),
    ("return nil", b"$-1\r\n"),
    ("return {1, 2, nil, 3}", b"*2\r\n:1\r\n:2\r\n"),
    ("return {1, 'ciao', {2, 3}}", b"*3\r\n:1\r\n$4\r\nciao\r\n*2\r\n:2\r\n:3\r\n"),
    ("return {x = 1}", b"*0\r\n"),
    ("return {ok = 'fine'}", b"+fine\r\n"),
    ("return {err = 'My Error'}", b"-My Error\r\n"),
    ("return redis.status_reply('PONG2')", b"+PONG2\r\n"),
    ("return redis.error_reply('x y')", b"-x y\r\n"),
    ("return redis.error_reply('-WRONG y')", b"-WRONG y\r\n"),
    ("return redis.error_reply('nospace')", b"-ERR nospace\r\n"),
    ("return {1, {ok = 'x'}, {err = 'e'}}", b"*3\r\n:1\r\n+x\r\n-e\r\n"),
    ("return redis.sha1hex('')", b"$40\r\nda39a3ee5e6b4b0d3255bfef95601890afd80709\r\n"),
    ("return cjson.encode({1, 2})", b"$5\r\n[1,2]\r\n"),
    ("return cjson.decode('{\"a\":[1,2]}').a[2]", b":2\r\n"),
    ("return bit.band(7, 3)", b":3\r\n"),
    ("return bit.tohex(255)", b"$8\r\n000000ff\r\n"),
    ("return string.format('%05.1f', 3.14159)", b"$5\r\n003.1\r\n"),
])
def test_lua_values_become_redis_replies(raw, body, expected):
    assert raw.call("EVAL", body, 0) == expected


def test_redis_replies_become_lua_values(raw):
    raw.call("SET", "s", "abc")
    raw.call("HSET", "h", "a", "1")
    assert raw.call("EVAL", "return type(redis.call('get', 'nokey'))", 0) == b"$7\r\nboolean\r\n"
    assert raw.call("EVAL", "local t = redis.call('ping'); return type(t) .. t.ok", 0) == \
        b"$9\r\ntablePONG\r\n"
    assert raw.call("EVAL", "return redis.call('incr', 'n') + 1", 0) == b":2\r\n"
    assert raw.call("EVAL", "return redis.call('hgetall', 'h')", 0) == b"*2\r\n$1\r\na\r\n$1\r\n1\r\n"
    assert raw.call("EVAL", "return redis.pcall('hget', 's', 'a')['err']", 0) == \
        b"$65\r\nWRONGTYPE Operation against a key holding the wrong kind of value\r\n"


def test_setresp_3_gives_maps_and_booleans(raw):
    raw.call("HSET", "h", "a", "1")
    assert raw.call("EVAL", "redis.setresp(3); return redis.call('hgetall', 'h').map.a", 0) == \
        b"$1\r\n1\r\n"
    assert raw.call("EVAL", "redis.setresp(3); return tostring(redis.call('get', 'nokey'))", 0) == \
        b"$3\r\nnil\r\n"
    assert raw.call("EVAL", "redis.setresp(4)", 0).startswith(b"-ERR RESP version must be 2 or 3.")


def test_booleans_follow_setresp_and_nulls_the_caller(raw):
    assert raw.call("EVAL", "redis.setresp(3) return false", 0) == b":0\r\n"
    raw.call("HELLO", "3")
    assert raw.call("EVAL", "return true", 0) == b":1\r\n"
    assert raw.call("EVAL", "return false", 0) == b"_\r\n"
    assert raw.call("EVAL", "redis.setresp(3) return true", 0) == b"#t\r\n"
    assert raw.call("EVAL", "redis.setresp(3) return false", 0) == b"#f\r\n"
    assert raw.call("EVAL", "return {map={a=1}}", 0) == b"%1\r\n$1\r\na\r\n:1\r\n"
    assert raw.call("EVAL", "return {double=1.5}", 0) == b",1.5\r\n"


def test_numbers_passed_to_redis_call_are_their_strings(r):
    r.eval("redis.call('set', KEYS[1], 1.5); redis.call('set', KEYS[2], 42)", 2, "f", "i")
    assert r.get("f") == "1.5"
    assert r.get("i") == "42"


# ---- errors -----------------------------------------------------------------------------

@pytest.mark.parametrize("body, expected", [
    ("return redis.call('incr', 's')",
     "ERR value is not an integer or out of range script: <sha>, on @user_script:1."),
    ("return redis.call('hget', 's', 'a')",
     "WRONGTYPE Operation against a key holding the wrong kind of value script: <sha>, on @user_script:1."),
    ("return redis.call('nosuch')",
     "ERR Unknown Redis command called from script script: <sha>, on @user_script:1."),
    ("return redis.call('get')",
     "ERR Wrong number of args calling Redis command from script script: <sha>, on @user_script:1."),
    ("return redis.call('eval', 'return 1', '0')",
     "ERR This Redis command is not allowed from script script: <sha>, on @user_script:1."),
    ("return redis.call()",
     "ERR Please specify at least one argument for this redis lib call script: <sha>, on @user_script:1."),
    ("return redis.call('set', 'k', {})",
     "ERR Lua redis lib command arguments must be strings or integers script: <sha>, on @user_script:1."),
    ("error('boom')", "ERR user_script:1: boom script: <sha>, on @user_script:1."),
    ("error({err='CUSTOM boom'})", "CUSTOM boom script: <sha>, on @user_script:1."),
    ("local x = nil\nreturn x.y",
     "ERR user_script:2: attempt to index local 'x' (a nil value) script: <sha>, on @user_script:2."),
])
def test_script_errors_are_redis_texts(raw, body, expected):
    raw.call("SET", "s", "abc")
    assert script_error(raw, body) == expected


def test_pcall_returns_the_error_as_a_table(raw):
    assert raw.call("EVAL", "return redis.pcall('nosuch')", 0) == \
        b"-ERR Unknown Redis command called from script\r\n"
    assert raw.call("EVAL", "local ok = pcall(error, 'x'); return tostring(ok)", 0) == \
        b"$5\r\nfalse\r\n"


def test_eval_ro_refuses_writes(raw):
    assert raw.call("EVAL", "return redis.call('set', 'a', 'b')", 0) == b"+OK\r\n"
    out = raw.call("EVAL_RO", "return redis.call('set', 'a', 'c')", 0).decode()
    assert out.startswith("-ERR Write commands are not allowed from read-only scripts. script: ")
    assert raw.call("GET", "a") == b"$1\r\nb\r\n"
    assert raw.call("EVAL_RO", "return redis.call('get', 'a')", 0) == b"$1\r\nb\r\n"


def test_shebang_flags_as_redis_7(raw):
    raw.call("SET", "a", "b")
    out = script_error(raw, "#!lua flags=no-writes\nreturn redis.call('set', 'a', 'c')")
    assert out == ("ERR Write commands are not allowed from read-only scripts. "
                   "script: <sha>, on @user_script:2.")
    assert raw.call("EVAL", "#!lua flags=no-writes,allow-oom\nreturn redis.call('get', 'a')", 0) == \
        b"$1\r\nb\r\n"
    assert raw.call("EVAL", "#!lua\nreturn 1", 0) == b":1\r\n"
    assert script_error(raw, "#!lua\nerror('x')") == \
        "ERR user_script:2: x script: <sha>, on @user_script:2."
    assert raw.call("EVAL", "#!lua flags=bogus\nreturn 1", 0) == \
        b"-ERR Unexpected flag in script shebang: bogus\r\n"
    assert raw.call("EVAL", "#!python\nreturn 1", 0) == \
        b"-ERR Unexpected engine in script shebang: #!python\r\n"
    assert raw.call("SCRIPT", "LOAD", "#!lua name=x\nreturn 1") == \
        b"-ERR Unknown lua shebang option: name=x\r\n"
    # The flags come with the digest: EVALSHA of a no-writes script is read-only too.
    sha = raw.call("SCRIPT", "LOAD", "#!lua flags=no-writes\nreturn redis.call('del', 'a')")
    sha = sha.split(b"\r\n")[1]
    assert raw.call("EVALSHA", sha, 0).startswith(b"-ERR Write commands are not allowed")


def test_script_errors_leave_earlier_writes_in_place(r):
    # As in Redis: no rollback, the writes before the error stay.
    r.set("notanumber", "x")
    with pytest.raises(redis.ResponseError):
        r.eval("redis.call('set', 'a', '1'); redis.call('incr', 'notanumber')", 0)
    assert r.get("a") == "1"


# ---- sandbox ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["os", "io", "debug", "package", "require", "dofile",
                                  "loadfile", "print", "setfenv", "getfenv", "newproxy",
                                  "module"])
def test_sandbox_has_no_way_out(raw, name):
    assert script_error(raw, "return %s" % name) == (
        "ERR user_script:1: Script attempted to access nonexistent global variable '%s' "
        "script: <sha>, on @user_script:1." % name)


@pytest.mark.parametrize("body", ["a = 1", "redis.x = 1", "cjson.x = 1", "string.x = 1",
                                  "_G.y = 1", "redis = nil"])
def test_globals_and_libraries_are_read_only(raw, body):
    assert script_error(raw, body) == (
        "ERR user_script:1: Attempt to modify a readonly table script: <sha>, on @user_script:1.")


def test_rawset_cannot_reach_the_globals(raw):
    assert script_error(raw, "rawset(_G, 'z', 1)") == \
        "ERR Attempt to modify a readonly table script: <sha>, on @user_script:1."
    assert raw.call("EVAL", "local t = {}; rawset(t, 'a', 1); return t.a", 0) == b":1\r\n"


def test_nothing_leaks_from_one_script_to_the_next(server, raw):
    # Every connection (on both workers) sees the same clean globals afterwards.
    raw.call("EVAL", "local leaked = 1; pcall(function() x = 1 end); return 1", 0)
    for _ in range(4):
        c = RawConn(server.port)
        try:
            assert c.call("EVAL", "return type(rawget(_G, 'x'))", 0) == b"$3\r\nnil\r\n"
            assert c.call("EVAL", "return type(leaked)", 0).startswith(b"-ERR user_script:1: Script")
        finally:
            c.close()


def test_select_in_a_script_does_not_change_the_callers_db(r):
    r.eval("redis.call('select', 5); redis.call('set', 'in5', 'x')", 0)
    assert r.get("in5") is None
    r.execute_command("SELECT", 5)
    assert r.get("in5") == "x"
    r.execute_command("SELECT", 0)


def test_scripts_inside_multi(r):
    p = r.pipeline(transaction=True)
    p.eval("return redis.call('incr', KEYS[1])", 1, "m")
    p.eval("return redis.call('incr', KEYS[1])", 1, "m")
    assert p.execute() == [1, 2]


def test_scripts_count_in_commandstats_with_their_calls(r):
    r.config_resetstat()
    r.eval("redis.call('set', 'a', 1); redis.call('get', 'a')", 0)
    stats = r.info("commandstats")
    assert stats["cmdstat_eval"]["calls"] == 1
    assert stats["cmdstat_set"]["calls"] == 1
    assert stats["cmdstat_get"]["calls"] == 1


def test_monitor_shows_the_eval_then_its_commands_as_lua(server):
    def actions(c):
        c.eval("redis.call('set', KEYS[1], 'v'); return redis.call('get', KEYS[1])", 1, "mk")

    lines = monitor_lines(server, actions)
    assert len(lines) == 3, lines
    assert re.match(r'^\+\d+\.\d{6} \[0 127\.0\.0\.1:\d+\] "EVAL" ', lines[0]), lines
    assert re.match(r'^\+\d+\.\d{6} \[0 lua\] "set" "mk" "v"$', lines[1]), lines
    assert re.match(r'^\+\d+\.\d{6} \[0 lua\] "get" "mk"$', lines[2]), lines


def test_info_reports_the_script_cache_and_lua_memory(r):
    r.script_flush()
    r.script_load("return 1")
    r.eval("return 2", 0)
    info = r.info("memory")
    assert info["number_of_cached_scripts"] == 2
    assert info["used_memory_scripts"] >= 2 * 40 + len("return 1") + len("return 2")
    assert info["used_memory_lua"] > 10000  # a VM with its libraries


def test_config_busy_reply_threshold_and_its_alias(r):
    assert r.config_get("busy-reply-threshold") == {"busy-reply-threshold": "5000"}
    r.config_set("lua-time-limit", 1234)
    assert r.config_get("busy-reply-threshold") == {"busy-reply-threshold": "1234"}
    r.config_set("busy-reply-threshold", 5000)


# ---- atomicity ------------------------------------------------------------------------

def test_scripts_and_incr_from_many_connections_count_exactly(server):
    """A counter incremented by scripts and by INCR on connections spread over both
    workers ends exact: no script's read-modify-write interleaves with anything."""
    body = ("local v = tonumber(redis.call('get', KEYS[1]) or '0')\n"
            "redis.call('set', KEYS[1], v + 1)\nreturn v + 1")
    rounds, errors = 250, []

    def by_script():
        try:
            c = server.client()
            sha = c.script_load(body)
            for _ in range(rounds):
                c.evalsha(sha, 1, "counter")
            c.close()
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    def by_incr():
        try:
            c = server.client()
            for _ in range(rounds):
                c.incr("counter")
            c.close()
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    c = server.client()
    c.delete("counter")
    threads = [threading.Thread(target=by_script) for _ in range(4)] + \
              [threading.Thread(target=by_incr) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert int(c.get("counter")) == 6 * rounds
    c.close()


def test_readers_never_see_half_a_script(server):
    """A script writes two keys (in different shards, one undeclared); MGET of both from
    other connections never sees them differ."""
    body = "local v = redis.call('incr', KEYS[1])\nredis.call('set', 'pair:b', v)\nreturn v"
    stop, seen, errors = threading.Event(), [0], []

    def reader():
        try:
            c = server.client(decode_responses=True)
            while not stop.is_set() and seen[0] < 20000:
                a, b = c.mget("pair:a", "pair:b")
                if a != b:
                    errors.append((a, b))
                    return
                seen[0] += 1
            c.close()
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    c = server.client()
    c.delete("pair:a", "pair:b")
    readers = [threading.Thread(target=reader) for _ in range(3)]
    for t in readers:
        t.start()
    deadline = time.time() + 20
    for _ in range(1500):
        if time.time() > deadline:
            break
        c.eval(body, 1, "pair:a")
    stop.set()
    for t in readers:
        t.join(30)
    assert not errors, errors[:3]
    assert seen[0] > 0
    c.close()


# ---- busy scripts, SCRIPT KILL, SHUTDOWN NOSAVE ----------------------------------------

def spread_connections(port, n=16):
    """Connections made before a script starts; with SO_REUSEPORT they land on both
    workers (all on one: 2^-15)."""
    return [RawConn(port, timeout=1.0) for _ in range(n)]


def busy_replies(conns, *cmd):
    """Sends cmd on each connection; returns the ones that answered (those on the
    script's own worker wait for it), with their replies."""
    answered = []
    for c in conns:
        try:
            c.sock.settimeout(1.0)
            answered.append((c, c.call(*cmd)))
        except socket.timeout:
            pass
    return answered


def test_busy_script_answers_busy_elsewhere_and_script_kill_stops_it():
    with Vellumd("--scripting.busy-reply-threshold", "100") as s:
        conns = spread_connections(s.port)
        runner = RawConn(s.port, timeout=30)
        runner.send("EVAL", "local i = 0 while true do i = i + 1 end", 0)
        time.sleep(0.3)
        answered = busy_replies(conns, "GET", "x")
        assert answered, "no connection landed on the other worker"
        for _, reply in answered:
            assert reply == (b"-BUSY Redis is busy running a script. You can only call "
                             b"SCRIPT KILL or SHUTDOWN NOSAVE.\r\n")
        killer = answered[0][0]
        assert killer.call("SCRIPT", "KILL") == b"+OK\r\n"
        reply = runner.read().decode()
        assert reply.startswith("-ERR Script killed by user with SCRIPT KILL... script: "), reply
        assert reply.endswith(", on @user_script:1.\r\n"), reply
        # The server serves everyone again, the script's own connection included.
        assert runner.call("PING") == b"+PONG\r\n"
        assert killer.call("SCRIPT", "KILL") == b"-NOTBUSY No scripts in execution right now.\r\n"
        for c in conns:
            c.close()
        runner.close()


def test_a_script_that_wrote_is_unkillable_and_shutdown_nosave_ends_the_server():
    with Vellumd("--scripting.busy-reply-threshold", "100") as s:
        cl = s.client()
        cl.set("before", "kept")
        cl.close()
        conns = spread_connections(s.port)
        runner = RawConn(s.port, timeout=30)
        runner.send("EVAL", "redis.call('set', 'during', 'x') while true do end", 0)
        time.sleep(0.3)
        answered = busy_replies(conns, "SCRIPT", "KILL")
        assert answered, "no connection landed on the other worker"
        assert answered[0][1].startswith(b"-UNKILLABLE Sorry the script already executed write commands")
        other = answered[0][0]
        assert other.call("SHUTDOWN") == (b"-BUSY Redis is busy running a script. You can only "
                                          b"call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n")
        other.send("SHUTDOWN", "NOSAVE")
        s.proc.wait(10)
        assert s.proc.returncode == 0
        for c in conns:
            c.close()
        runner.close()
        s.stop()
        # The script never finished: its write is not on disk; what was acknowledged is.
        s.start()
        cl = s.client(decode_responses=True)
        assert cl.get("before") == "kept"
        assert cl.get("during") is None
        cl.close()


def test_script_effects_survive_kill_9():
    with Vellumd() as s:
        cl = s.client(decode_responses=True)
        for i in range(50):
            cl.eval("redis.call('set', KEYS[1], ARGV[1]); redis.call('hset', 'h', KEYS[1], ARGV[1])",
                    1, "k%d" % i, str(i))
        cl.close()
        s.stop(sig=signal.SIGKILL)
        s.start()
        cl = s.client(decode_responses=True)
        assert cl.get("k49") == "49"
        assert cl.hlen("h") == 50
        cl.close()


# ---- the scripts Python and PHP cache libraries send, verbatim ---------------------------

# django-redis's incr/decr (DefaultClient._incr): INCRBY only if the key exists.
DJANGO_INCR = """
local exists = redis.call('EXISTS', KEYS[1])
if (exists == 1) then
    return redis.call('INCRBY', KEYS[1], ARGV[1])
else return false end
"""

# Laravel's RedisStore::add: SETEX only if the key is absent.
LARAVEL_ADD = "return redis.call('exists',KEYS[1])<1 and redis.call('setex',KEYS[1],ARGV[2],ARGV[1])"

# Laravel's RedisLock::release (LuaScripts::releaseLock): DEL only the owner's lock.
LARAVEL_RELEASE = """
if redis.call("get",KEYS[1]) == ARGV[1] then
    return redis.call("del",KEYS[1])
else
    return 0
end
"""

# Laravel's DurationLimiter (Redis::throttle): a window counter in a hash.
LARAVEL_THROTTLE = """
local function reset()
    redis.call('HMSET', KEYS[1], 'start', ARGV[2], 'end', ARGV[2] + ARGV[3], 'count', 1)
    return redis.call('EXPIRE', KEYS[1], ARGV[3] * 2)
end

if redis.call('EXISTS', KEYS[1]) == 0 then
    return {reset(), ARGV[2] + ARGV[3], ARGV[4] - 1}
end

if ARGV[1] >= redis.call('HGET', KEYS[1], 'start') and ARGV[1] <= redis.call('HGET', KEYS[1], 'end') then
    return {
        tonumber(redis.call('HINCRBY', KEYS[1], 'count', 1)) <= tonumber(ARGV[4]),
        redis.call('HGET', KEYS[1], 'end'),
        ARGV[4] - redis.call('HGET', KEYS[1], 'count')
    }
end

return {reset(), ARGV[2] + ARGV[3], ARGV[4] - 1}
"""


def test_django_redis_incr_script(r):
    assert r.eval(DJANGO_INCR, 1, ":1:views", 1) is None  # absent: django raises ValueError
    r.set(":1:views", 10)
    assert r.eval(DJANGO_INCR, 1, ":1:views", 5) == 15
    assert r.eval(DJANGO_INCR, 1, ":1:views", -3) == 12


def test_laravel_cache_add_script(r):
    assert r.eval(LARAVEL_ADD, 1, "laravel_cache:k", "s:5:\"value\";", 60) == "OK"
    assert r.eval(LARAVEL_ADD, 1, "laravel_cache:k", "other", 60) is None  # Lua false
    assert r.get("laravel_cache:k") == "s:5:\"value\";"
    assert 55 <= r.ttl("laravel_cache:k") <= 60


def test_laravel_lock_release_script(r):
    r.set("laravel_cache:lock:render", "owner-a", nx=True, ex=10)
    assert r.eval(LARAVEL_RELEASE, 1, "laravel_cache:lock:render", "owner-b") == 0
    assert r.exists("laravel_cache:lock:render") == 1
    assert r.eval(LARAVEL_RELEASE, 1, "laravel_cache:lock:render", "owner-a") == 1
    assert r.exists("laravel_cache:lock:render") == 0


def test_laravel_throttle_script(r):
    now = int(time.time())
    # 3 allowed per 60 s window: the first call resets, then counts up to the limit.
    first = r.eval(LARAVEL_THROTTLE, 1, "throttle:api", now, now, 60, 3)
    assert first == [1, now + 60, 2]
    assert r.eval(LARAVEL_THROTTLE, 1, "throttle:api", now, now, 60, 3) == [1, str(now + 60), 1]
    assert r.eval(LARAVEL_THROTTLE, 1, "throttle:api", now, now, 60, 3) == [1, str(now + 60), 0]
    # Over the limit: Lua false becomes a null in the array.
    assert r.eval(LARAVEL_THROTTLE, 1, "throttle:api", now, now, 60, 3) == [None, str(now + 60), -1]
    assert r.hget("throttle:api", "count") == "4"
    assert 115 <= r.ttl("throttle:api") <= 120
