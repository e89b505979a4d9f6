"""Generic key commands: DEL UNLINK EXISTS TOUCH TYPE RENAME RENAMENX COPY MOVE KEYS SCAN
RANDOMKEY DBSIZE FLUSHDB FLUSHALL SWAPDB, with Redis 7's replies and error texts."""
import re

import pytest
import redis


def err(text):
    """A pytest.raises match for an exact Redis error text."""
    return "^" + re.escape(text) + "$"


NOT_INT = err("value is not an integer or out of range")
SYNTAX = err("syntax error")
NO_SUCH_KEY = err("no such key")
SAME_OBJECT = err("source and destination objects are the same")
DB_RANGE = err("DB index is out of range")
INT32_RANGE = err("value is out of range, value must between -2147483648 and 2147483647")


def scan_all(client, count=10, max_calls=100000, **kw):
    """Runs a full SCAN iteration; returns (keys seen as a list, number of calls)."""
    cursor, seen, calls = 0, [], 0
    while True:
        cursor, keys = client.scan(cursor=cursor, count=count, **kw)
        seen.extend(keys)
        calls += 1
        assert calls < max_calls
        if cursor == 0:
            return seen, calls


# ---- DEL / UNLINK / EXISTS / TOUCH / TYPE ----

def test_del_counts_each_removed_key_once(r):
    r.mset({"a": 1, "b": 2})
    assert r.execute_command("DEL", "a", "a", "b", "missing") == 2
    assert r.exists("a", "b") == 0


def test_del_of_missing_key_returns_zero(r):
    assert r.delete("nothing") == 0


def test_unlink_removes_keys(r):
    r.mset({"a": 1, "b": 2, "c": 3})
    assert r.unlink("a", "b", "zz") == 2
    assert r.keys("*") == [b"c"]


def test_exists_counts_duplicates(r):
    r.set("a", 1)
    assert r.exists("a", "a", "zz") == 2
    assert r.exists("zz") == 0


def test_touch_counts_existing_keys(r):
    r.mset({"a": 1, "b": 2})
    assert r.touch("a", "a", "b", "zz") == 3


def test_type_of_string_and_missing_key(r):
    r.set("s", "v")
    assert r.type("s") == b"string"
    assert r.type("zz") == b"none"


def test_del_wrong_arity(r):
    with pytest.raises(redis.ResponseError, match=err("wrong number of arguments for 'del' command")):
        r.execute_command("DEL")


# ---- RENAME / RENAMENX ----

def test_rename_moves_value(r):
    r.set("a", "va")
    assert r.rename("a", "b") is True
    assert r.get("b") == b"va"
    assert r.exists("a") == 0


def test_rename_overwrites_destination(r):
    r.set("a", "va")
    r.set("b", "vb", ex=100)
    r.rename("a", "b")
    assert r.get("b") == b"va"
    assert r.ttl("b") == -1
    assert r.dbsize() == 1


def test_rename_keeps_ttl(r):
    r.set("a", "v", px=100000)
    r.rename("a", "b")
    assert 99000 < r.pttl("b") <= 100000


def test_rename_missing_key_errors(r):
    with pytest.raises(redis.ResponseError, match=NO_SUCH_KEY):
        r.rename("zz", "b")


def test_rename_to_itself(r):
    r.set("a", "v")
    assert r.rename("a", "a") is True
    assert r.get("a") == b"v"
    with pytest.raises(redis.ResponseError, match=NO_SUCH_KEY):
        r.rename("zz", "zz")


def test_renamenx_renames_when_destination_is_free(r):
    r.set("a", "v", px=100000)
    assert r.renamenx("a", "b") is True
    assert r.get("b") == b"v"
    assert r.pttl("b") > 99000


def test_renamenx_returns_zero_when_destination_exists(r):
    r.mset({"a": "va", "b": "vb"})
    assert r.execute_command("RENAMENX", "a", "b") == 0
    assert r.get("a") == b"va"
    assert r.get("b") == b"vb"


def test_renamenx_to_itself_returns_zero(r):
    r.set("a", "v")
    assert r.execute_command("RENAMENX", "a", "a") == 0
    assert r.get("a") == b"v"


def test_renamenx_missing_key_errors(r):
    with pytest.raises(redis.ResponseError, match=NO_SUCH_KEY):
        r.renamenx("zz", "b")
    with pytest.raises(redis.ResponseError, match=NO_SUCH_KEY):
        r.renamenx("zz", "zz")


# ---- COPY ----

def test_copy_duplicates_value(r):
    r.set("src", "hello")
    assert r.copy("src", "dst") is True
    assert r.get("dst") == b"hello"
    assert r.get("src") == b"hello"
    r.append("dst", "!")
    assert r.get("src") == b"hello"


def test_copy_duplicates_ttl(r):
    r.set("src", "v", px=100000)
    r.copy("src", "dst")
    assert r.pexpiretime("dst") == r.pexpiretime("src")


def test_copy_without_replace_keeps_existing_destination(r):
    r.mset({"src": "new", "dst": "old"})
    assert r.execute_command("COPY", "src", "dst") == 0
    assert r.get("dst") == b"old"


def test_copy_replace_overwrites_destination(r):
    r.set("src", "new")
    r.set("dst", "old", ex=100)
    assert r.execute_command("COPY", "src", "dst", "REPLACE") == 1
    assert r.get("dst") == b"new"
    assert r.ttl("dst") == -1


def test_copy_missing_source_returns_zero(r):
    assert r.execute_command("COPY", "zz", "dst") == 0
    assert r.exists("dst") == 0


def test_copy_to_other_db(server, r):
    r.set("k", "v", px=100000)
    assert r.execute_command("COPY", "k", "k2", "DB", 3) == 1
    assert r.exists("k2") == 0
    other = server.client(db=3)
    try:
        assert other.get("k2") == b"v"
        assert other.pttl("k2") > 99000
        # From db 3, "DB 3" names the same database: the same object.
        with pytest.raises(redis.ResponseError, match=SAME_OBJECT):
            other.execute_command("COPY", "k2", "k2", "db", 3)
    finally:
        other.close()


def test_copy_same_key_to_other_db(server, r):
    r.set("k", "v")
    assert r.execute_command("COPY", "k", "k", "DB", 1) == 1
    other = server.client(db=1)
    try:
        assert other.get("k") == b"v"
        # The destination exists now: 0 without REPLACE, 1 with it.
        assert r.execute_command("COPY", "k", "k", "DB", 1) == 0
        assert r.execute_command("COPY", "k", "k", "DB", 1, "REPLACE") == 1
    finally:
        other.close()


def test_copy_same_key_same_db_errors(r):
    r.set("k", "v")
    with pytest.raises(redis.ResponseError, match=SAME_OBJECT):
        r.execute_command("COPY", "k", "k")
    with pytest.raises(redis.ResponseError, match=SAME_OBJECT):
        r.execute_command("COPY", "k", "k", "DB", 0)
    with pytest.raises(redis.ResponseError, match=SAME_OBJECT):
        r.execute_command("COPY", "missing", "missing")


def test_copy_db_argument_errors(r):
    r.set("k", "v")
    with pytest.raises(redis.ResponseError, match=NOT_INT):
        r.execute_command("COPY", "k", "d", "DB", "x")
    with pytest.raises(redis.ResponseError, match=DB_RANGE):
        r.execute_command("COPY", "k", "d", "DB", 16)
    with pytest.raises(redis.ResponseError, match=DB_RANGE):
        r.execute_command("COPY", "k", "d", "DB", -1)
    with pytest.raises(redis.ResponseError, match=INT32_RANGE):
        r.execute_command("COPY", "k", "d", "DB", 99999999999)


def test_copy_syntax_errors(r):
    r.set("k", "v")
    with pytest.raises(redis.ResponseError, match=SYNTAX):
        r.execute_command("COPY", "k", "d", "DB")
    with pytest.raises(redis.ResponseError, match=SYNTAX):
        r.execute_command("COPY", "k", "d", "FOO")
    assert r.exists("d") == 0


def test_copy_repeated_options_last_db_wins(server, r):
    r.set("k", "v")
    assert r.execute_command("COPY", "k", "d", "DB", 1, "DB", 2, "REPLACE", "REPLACE") == 1
    c2 = server.client(db=2)
    c1 = server.client(db=1)
    try:
        assert c2.get("d") == b"v"
        assert c1.exists("d") == 0
    finally:
        c1.close()
        c2.close()


# ---- MOVE ----

def test_move_to_other_db_keeps_ttl(server, r):
    r.set("k", "v", px=100000)
    assert r.move("k", 5) is True
    assert r.exists("k") == 0
    other = server.client(db=5)
    try:
        assert other.get("k") == b"v"
        assert other.pttl("k") > 99000
    finally:
        other.close()


def test_move_returns_zero_when_target_has_key(server, r):
    r.set("k", "here")
    other = server.client(db=2)
    try:
        other.set("k", "there")
        assert r.execute_command("MOVE", "k", 2) == 0
        assert r.get("k") == b"here"
        assert other.get("k") == b"there"
    finally:
        other.close()


def test_move_missing_key_returns_zero(r):
    assert r.execute_command("MOVE", "zz", 1) == 0


def test_move_errors(r):
    r.set("k", "v")
    with pytest.raises(redis.ResponseError, match=SAME_OBJECT):
        r.execute_command("MOVE", "k", 0)
    with pytest.raises(redis.ResponseError, match=NOT_INT):
        r.execute_command("MOVE", "k", "x")
    with pytest.raises(redis.ResponseError, match=DB_RANGE):
        r.execute_command("MOVE", "k", 16)
    with pytest.raises(redis.ResponseError, match=DB_RANGE):
        r.execute_command("MOVE", "k", -1)
    with pytest.raises(redis.ResponseError, match=INT32_RANGE):
        r.execute_command("MOVE", "k", 99999999999)


# ---- KEYS ----

@pytest.fixture
def hello_keys(r):
    r.mset({"hello": 1, "hallo": 1, "hxllo": 1, "hllo": 1, "heeeello": 1, "other": 1})
    return r


@pytest.mark.parametrize("pattern,expected", [
    ("h?llo", {"hello", "hallo", "hxllo"}),
    ("h*llo", {"hello", "hallo", "hxllo", "hllo", "heeeello"}),
    ("h[ae]llo", {"hello", "hallo"}),
    ("h[^e]llo", {"hallo", "hxllo"}),
    ("h[a-b]llo", {"hallo"}),
    ("*", {"hello", "hallo", "hxllo", "hllo", "heeeello", "other"}),
    ("nomatch*", set()),
    ("hello", {"hello"}),
])
def test_keys_glob_patterns(hello_keys, pattern, expected):
    got = {k.decode() for k in hello_keys.keys(pattern)}
    assert got == expected


def test_keys_escaped_glob_characters(r):
    r.mset({"a*b": 1, "axb": 1, "a?b": 1})
    assert r.keys(r"a\*b") == [b"a*b"]
    assert sorted(r.keys(r"a\?b")) == [b"a?b"]


def test_keys_star_includes_empty_key(r):
    r.set("", "v")
    assert r.keys("*") == [b""]


def test_keys_only_lists_selected_db(server, r):
    r.set("in0", 1)
    other = server.client(db=4)
    try:
        other.set("in4", 1)
        assert r.keys("*") == [b"in0"]
        assert other.keys("*") == [b"in4"]
    finally:
        other.close()


def test_keys_many(r):
    r.mset({"k:%d" % i: i for i in range(2000)})
    assert len(r.keys("k:*")) == 2000
    assert len(r.keys("k:1??")) == 100


# ---- SCAN ----

def test_scan_full_iteration_returns_every_key_and_ends_with_zero(r):
    want = {("key:%d" % i).encode() for i in range(1000)}
    r.mset({k: 1 for k in want})
    seen, calls = scan_all(r, count=10)
    assert set(seen) == want
    assert calls > 1


def test_scan_default_count(r):
    r.mset({"k%d" % i: 1 for i in range(100)})
    seen, _ = scan_all(r, count=None)
    assert len(set(seen)) == 100


def test_scan_on_empty_db_returns_cursor_zero(r):
    assert r.execute_command("SCAN", 0) == (0, [])


def test_scan_reply_shape(server, r):
    r.set("k", "v")
    reply = r.execute_command("SCAN", "0", "COUNT", "1000")
    assert reply == (0, [b"k"])
    rc, out = server.cli("SCAN", "0")
    assert (rc, out.split()) == (0, ["0", "k"])


def test_scan_match(r):
    r.mset({"user:%d" % i: 1 for i in range(200)})
    r.mset({"item:%d" % i: 1 for i in range(200)})
    seen, _ = scan_all(r, count=10, match="user:1*")
    expected = {("user:%d" % i).encode() for i in range(200) if str(i).startswith("1")}
    assert set(seen) == expected


def test_scan_type_string(r):
    r.mset({"s%d" % i: 1 for i in range(50)})
    seen, _ = scan_all(r, count=10, _type="string")
    assert len(set(seen)) == 50
    seen, _ = scan_all(r, count=10, _type="STRING")
    assert len(set(seen)) == 50


def test_scan_type_that_matches_nothing(r):
    r.mset({"s%d" % i: 1 for i in range(20)})
    seen, _ = scan_all(r, count=10, _type="hash")
    assert seen == []
    seen, _ = scan_all(r, count=10, _type="nosuchtype")
    assert seen == []


def test_scan_while_keys_are_added_returns_keys_present_throughout(r):
    base = {("base:%d" % i).encode() for i in range(500)}
    r.mset({k: 1 for k in base})
    cursor, seen, calls, added = 0, set(), 0, 0
    while True:
        cursor, keys = r.scan(cursor=cursor, count=10)
        seen.update(keys)
        # Grow the database between calls, forcing the tables to resize mid-scan.
        r.mset({"new:%d" % (added + i): 1 for i in range(20)})
        added += 20
        calls += 1
        assert calls < 5000
        if cursor == 0:
            break
    assert base <= seen


def test_scan_while_keys_are_deleted_returns_keys_present_throughout(r):
    keep = {("keep:%d" % i).encode() for i in range(300)}
    doomed = ["gone:%d" % i for i in range(1500)]
    r.mset({k: 1 for k in keep})
    r.mset({k: 1 for k in doomed})
    cursor, seen, calls = 0, set(), 0
    while True:
        cursor, keys = r.scan(cursor=cursor, count=10)
        seen.update(keys)
        if doomed:
            r.delete(*doomed[:100])
            doomed = doomed[100:]
        calls += 1
        assert calls < 5000
        if cursor == 0:
            break
    assert keep <= seen


def test_scan_invalid_cursor(r):
    for cursor in ["x", "1x", " 1", "-", "18446744073709551616", "1.5"]:
        with pytest.raises(redis.ResponseError, match=err("invalid cursor")):
            r.execute_command("SCAN", cursor)


def test_scan_accepts_cursor_forms_strtoul_accepts(r):
    r.set("k", "v")
    for cursor in ["", "+0", "18446744073709551615", "-1"]:
        reply = r.execute_command("SCAN", cursor)
        assert len(reply) == 2
    assert r.execute_command("SCAN", "") == (0, [b"k"])


def test_scan_count_errors(r):
    with pytest.raises(redis.ResponseError, match=SYNTAX):
        r.execute_command("SCAN", 0, "COUNT", 0)
    with pytest.raises(redis.ResponseError, match=SYNTAX):
        r.execute_command("SCAN", 0, "COUNT", -1)
    with pytest.raises(redis.ResponseError, match=NOT_INT):
        r.execute_command("SCAN", 0, "COUNT", "x")


def test_scan_option_syntax_errors(r):
    with pytest.raises(redis.ResponseError, match=SYNTAX):
        r.execute_command("SCAN", 0, "MATCH")
    with pytest.raises(redis.ResponseError, match=SYNTAX):
        r.execute_command("SCAN", 0, "FOO", "bar")
    with pytest.raises(redis.ResponseError, match=SYNTAX):
        r.execute_command("SCAN", 0, "TYPE")


def test_scan_last_option_wins(r):
    r.mset({"a1": 1, "b1": 1})
    seen, _ = scan_all(r, count=100, match="zz*")
    assert seen == []
    reply = r.execute_command("SCAN", 0, "MATCH", "zz*", "MATCH", "a*", "COUNT", 1000)
    assert reply == (0, [b"a1"])
    reply = r.execute_command("SCAN", 0, "TYPE", "string", "TYPE", "hash", "COUNT", 1000)
    assert reply == (0, [])


# ---- RANDOMKEY / DBSIZE ----

def test_randomkey_empty_db_returns_nil(r):
    assert r.randomkey() is None


def test_randomkey_returns_an_existing_key(r):
    keys = {("k%d" % i).encode() for i in range(20)}
    r.mset({k: 1 for k in keys})
    for _ in range(20):
        assert r.randomkey() in keys


def test_randomkey_single_key(r):
    r.set("only", 1)
    assert r.randomkey() == b"only"


def test_dbsize_counts_keys_of_selected_db(server, r):
    assert r.dbsize() == 0
    r.mset({"k%d" % i: 1 for i in range(37)})
    assert r.dbsize() == 37
    other = server.client(db=9)
    try:
        assert other.dbsize() == 0
    finally:
        other.close()


# ---- FLUSHDB / FLUSHALL ----

def test_flushdb_only_flushes_selected_db(server, r):
    r.set("k0", 1)
    other = server.client(db=1)
    try:
        other.set("k1", 1)
        assert other.flushdb() is True
        assert other.dbsize() == 0
        assert r.get("k0") == b"1"
    finally:
        other.close()


@pytest.mark.parametrize("mode", ["SYNC", "ASYNC", "sync", "async"])
def test_flushdb_modes(r, mode):
    r.mset({"k%d" % i: 1 for i in range(300)})
    assert r.execute_command("FLUSHDB", mode) is True
    assert r.dbsize() == 0


def test_flushdb_syntax_errors(r):
    with pytest.raises(redis.ResponseError, match=SYNTAX):
        r.execute_command("FLUSHDB", "x")
    with pytest.raises(redis.ResponseError, match=SYNTAX):
        r.execute_command("FLUSHDB", "ASYNC", "SYNC")


def test_flushall_flushes_every_db(server, r):
    clients = [server.client(db=i) for i in (0, 3, 15)]
    try:
        for c in clients:
            c.set("k", 1)
        assert r.flushall() is True
        for c in clients:
            assert c.dbsize() == 0
    finally:
        for c in clients:
            c.close()


def test_flushall_async(server, r):
    other = server.client(db=2)
    try:
        pipe = r.pipeline(transaction=False)
        for i in range(0, 20000, 1000):
            pipe.mset({"k%d" % j: "v" * 20 for j in range(i, i + 1000)})
        pipe.execute()
        other.mset({"o%d" % i: 1 for i in range(500)})
        assert r.dbsize() == 20000
        assert r.execute_command("FLUSHALL", "ASYNC") is True
        assert r.dbsize() == 0
        assert other.dbsize() == 0
        # The server goes on serving at once.
        r.set("after", "v")
        assert r.get("after") == b"v"
        assert r.keys("*") == [b"after"]
    finally:
        other.close()


def test_flushall_sync(r):
    r.set("k", 1)
    assert r.execute_command("FLUSHALL", "SYNC") is True
    assert r.dbsize() == 0


def test_flushall_syntax_errors(r):
    with pytest.raises(redis.ResponseError, match=SYNTAX):
        r.execute_command("FLUSHALL", "now")
    with pytest.raises(redis.ResponseError, match=SYNTAX):
        r.execute_command("FLUSHALL", "ASYNC", "x")


# ---- SWAPDB ----

def test_swapdb_swaps_what_select_sees(server, r):
    r.set("k", "from0")
    c1 = server.client(db=1)
    try:
        c1.set("k", "from1")
        c1.set("only1", "x", px=100000)
        assert r.swapdb(0, 1) is True
        assert r.get("k") == b"from1"
        assert r.pttl("only1") > 99000
        assert c1.get("k") == b"from0"
        assert c1.exists("only1") == 0
        r.execute_command("SELECT", 1)
        assert r.get("k") == b"from0"
        r.execute_command("SELECT", 0)
        assert r.swapdb(1, 0) is True
        assert r.get("k") == b"from0"
    finally:
        c1.close()


def test_swapdb_same_db_is_ok(r):
    r.set("k", 1)
    assert r.swapdb(0, 0) is True
    assert r.get("k") == b"1"


def test_swapdb_with_empty_db(server, r):
    r.mset({"a": 1, "b": 2})
    assert r.swapdb(0, 7) is True
    assert r.dbsize() == 0
    c7 = server.client(db=7)
    try:
        assert c7.dbsize() == 2
    finally:
        c7.close()


def test_swapdb_errors(r):
    with pytest.raises(redis.ResponseError, match=err("invalid first DB index")):
        r.execute_command("SWAPDB", "x", 0)
    with pytest.raises(redis.ResponseError, match=err("invalid second DB index")):
        r.execute_command("SWAPDB", 0, "x")
    with pytest.raises(redis.ResponseError, match=err("invalid first DB index")):
        r.execute_command("SWAPDB", 99999999999, 0)
    with pytest.raises(redis.ResponseError, match=err("invalid second DB index")):
        r.execute_command("SWAPDB", 0, "")
    with pytest.raises(redis.ResponseError, match=DB_RANGE):
        r.execute_command("SWAPDB", 0, 16)
    with pytest.raises(redis.ResponseError, match=DB_RANGE):
        r.execute_command("SWAPDB", -1, 0)


# ---- binary keys ----

BINARY_KEYS = [b"\x00", b"a\x00b", b"\r\n", b"\xff\xfe", b"sp ace", b"*?[", b""]


def test_binary_keys_round_trip_through_key_commands(r):
    for i, k in enumerate(BINARY_KEYS):
        r.set(k, i)
    assert r.exists(*BINARY_KEYS) == len(BINARY_KEYS)
    assert set(r.keys("*")) == set(BINARY_KEYS)
    seen, _ = scan_all(r, count=2)
    assert set(seen) == set(BINARY_KEYS)
    assert r.type(b"a\x00b") == b"string"
    r.rename(b"a\x00b", b"a\x00c")
    assert r.get(b"a\x00c") == b"1"
    assert r.exists(b"a\x00b") == 0
    assert r.copy(b"\xff\xfe", b"\xff\xfd") is True
    assert r.get(b"\xff\xfd") == b"3"
    assert r.keys(b"a\x00?") == [b"a\x00c"]
    assert r.delete(*BINARY_KEYS) == len(BINARY_KEYS) - 1  # a\x00b was renamed away
    assert set(r.keys("*")) == {b"a\x00c", b"\xff\xfd"}


# ---- through redis-cli ----

def test_redis_cli_key_commands(server, r):
    r.mset({"hello": 1, "hallo": 2})
    rc, out = server.cli("KEYS", "h[ae]llo")
    assert rc == 0
    assert sorted(out.split()) == ["hallo", "hello"]
    rc, out = server.cli("TYPE", "hello")
    assert (rc, out.strip()) == (0, "string")
    rc, out = server.cli("DBSIZE")
    assert (rc, out.strip()) == (0, "2")
    rc, out = server.cli("RENAME", "nope", "x")
    assert out.strip() == "ERR no such key"
    rc, out = server.cli("DEL", "hello", "hallo")
    assert (rc, out.strip()) == (0, "2")


def test_redis_cli_scan_iteration(server, r):
    r.mset({"s:%d" % i: 1 for i in range(120)})
    rc, out = server.cli("--scan", "--pattern", "s:*")
    assert rc == 0
    assert set(out.split()) == {"s:%d" % i for i in range(120)}
