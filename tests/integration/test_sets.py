"""The set command family against the real vellumd: SADD SREM SMEMBERS SISMEMBER
SMISMEMBER SCARD SPOP SRANDMEMBER SSCAN SINTER SUNION SDIFF SINTERSTORE SUNIONSTORE
SDIFFSTORE SINTERCARD SMOVE, with Redis 7.0's reply types (RESP2 and RESP3), encodings
and exact error texts.

Replies are read without redis-py's response callbacks (fixture `c`), so a set reply stays
a list (in Redis's order: ascending for an intset) and a null stays None. redis-py drops
the leading "ERR " of an error line (not "WRONGTYPE ")."""
import threading
import time

import pytest
import redis

from vellum_harness import error_of, resp3

INT64_MIN = -2**63
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"


def members(cl, key):
    return set(cl.execute_command("SMEMBERS", key))


def fill(cl, key, n, prefix=b"m"):
    cl.execute_command("SADD", key, *[prefix + b"%d" % i for i in range(n)])


# ---------------------------------------------------------------- SADD SREM SCARD

def test_sadd_counts_only_new_members(c):
    assert c.execute_command("SADD", "s", "a", "b", "a") == 2
    assert c.execute_command("SADD", "s", "b", "c") == 1
    assert c.execute_command("SCARD", "s") == 3
    assert members(c, "s") == {b"a", b"b", b"c"}


def test_srem_counts_removed_members(c):
    c.execute_command("SADD", "s", "a", "b", "c")
    assert c.execute_command("SREM", "s", "a", "x", "a") == 1
    assert members(c, "s") == {b"b", b"c"}
    assert c.execute_command("SREM", "nokey", "a") == 0


def test_srem_of_the_last_member_deletes_the_key(c):
    c.execute_command("SADD", "s", "a", "b")
    assert c.execute_command("SREM", "s", "a", "b", "c") == 2
    assert c.execute_command("EXISTS", "s") == 0


def test_arity_errors(c):
    assert error_of(c, "SADD", "s") == "wrong number of arguments for 'sadd' command"
    assert error_of(c, "SREM", "s") == "wrong number of arguments for 'srem' command"
    assert error_of(c, "SMOVE", "a", "b") == "wrong number of arguments for 'smove' command"
    assert error_of(c, "SINTERSTORE", "d") == "wrong number of arguments for 'sinterstore' command"
    assert error_of(c, "SISMEMBER", "s") == "wrong number of arguments for 'sismember' command"


def test_readers_of_a_missing_key(c):
    assert c.execute_command("SMEMBERS", "nokey") == []
    assert c.execute_command("SCARD", "nokey") == 0
    assert c.execute_command("SISMEMBER", "nokey", "a") == 0
    assert c.execute_command("SMISMEMBER", "nokey", "a", "b") == [0, 0]


def test_sismember_and_smismember(c):
    c.execute_command("SADD", "s", "a", "b")
    assert c.execute_command("SISMEMBER", "s", "a") == 1
    assert c.execute_command("SISMEMBER", "s", "z") == 0
    assert c.execute_command("SMISMEMBER", "s", "a", "z", "b") == [1, 0, 1]


def test_smembers_of_an_intset_is_in_numeric_order(c):
    c.execute_command("SADD", "s", 3, 1, 2, -5, 100)
    assert c.execute_command("SMEMBERS", "s") == [b"-5", b"1", b"2", b"3", b"100"]


def test_binary_members(c):
    c.execute_command("SADD", "s", b"\x00a\r\n", b"\xff")
    assert members(c, "s") == {b"\x00a\r\n", b"\xff"}


# ---------------------------------------------------------------- SPOP

def test_spop_without_count_removes_one(c):
    assert c.execute_command("SPOP", "nokey") is None
    c.execute_command("SADD", "s", "a", "b")
    got = c.execute_command("SPOP", "s")
    assert got in (b"a", b"b")
    assert members(c, "s") == {b"a", b"b"} - {got}
    c.execute_command("SPOP", "s")
    assert c.execute_command("EXISTS", "s") == 0


def test_spop_with_count_removes_distinct_members(c):
    fill(c, "s", 100)
    got = c.execute_command("SPOP", "s", 30)
    assert len(got) == 30 and len(set(got)) == 30
    assert c.execute_command("SCARD", "s") == 70
    assert not (set(got) & members(c, "s"))


def test_spop_with_count_at_least_the_size_empties_and_deletes(c):
    c.execute_command("SADD", "s", 3, 1, 2)
    assert c.execute_command("SPOP", "s", 10) == [b"1", b"2", b"3"]
    assert c.execute_command("EXISTS", "s") == 0


def test_spop_count_edge_cases(c):
    c.execute_command("SADD", "s", "a")
    assert c.execute_command("SPOP", "s", 0) == []
    assert c.execute_command("SPOP", "nokey", 3) == []
    assert error_of(c, "SPOP", "s", -1) == "value is out of range, must be positive"
    assert error_of(c, "SPOP", "s", "x") == "value is out of range, must be positive"
    assert error_of(c, "SPOP", "s", 1, 2) == "syntax error"
    assert c.execute_command("SCARD", "s") == 1


# ---------------------------------------------------------------- SRANDMEMBER

def test_srandmember_without_count(c):
    assert c.execute_command("SRANDMEMBER", "nokey") is None
    c.execute_command("SADD", "s", "a", "b")
    for _ in range(20):
        assert c.execute_command("SRANDMEMBER", "s") in (b"a", b"b")
    assert c.execute_command("SCARD", "s") == 2


def test_srandmember_positive_count_gives_distinct_members(c):
    fill(c, "s", 100)
    for count in (1, 10, 40, 99):
        got = c.execute_command("SRANDMEMBER", "s", count)
        assert len(got) == count and len(set(got)) == count


def test_srandmember_count_at_least_the_size_gives_the_whole_set(c):
    c.execute_command("SADD", "s", 3, 1, 2)
    assert c.execute_command("SRANDMEMBER", "s", 3) == [b"1", b"2", b"3"]
    assert c.execute_command("SRANDMEMBER", "s", 100) == [b"1", b"2", b"3"]


def test_srandmember_negative_count_may_repeat(c):
    c.execute_command("SADD", "s", "a")
    assert c.execute_command("SRANDMEMBER", "s", -4) == [b"a"] * 4
    c.execute_command("SADD", "s", "b")
    got = c.execute_command("SRANDMEMBER", "s", -50)
    assert len(got) == 50 and set(got) <= {b"a", b"b"}


def test_srandmember_count_edge_cases(c):
    c.execute_command("SADD", "s", "a")
    assert c.execute_command("SRANDMEMBER", "s", 0) == []
    assert c.execute_command("SRANDMEMBER", "nokey", 5) == []
    assert c.execute_command("SRANDMEMBER", "nokey", -5) == []
    assert error_of(c, "SRANDMEMBER", "s", "x") == "value is not an integer or out of range"
    assert error_of(c, "SRANDMEMBER", "s", str(INT64_MIN)) == (
        "value is out of range, value must between -9223372036854775807 and 9223372036854775807")
    assert error_of(c, "SRANDMEMBER", "s", 1, 2) == "syntax error"


def test_random_picks_are_fast_on_a_big_set(c):
    for i in range(0, 20000, 5000):
        c.execute_command("SADD", "s", *[b"m%d" % j for j in range(i, i + 5000)])
    start = time.time()
    for _ in range(200):
        c.execute_command("SRANDMEMBER", "s", 3)
        c.execute_command("SPOP", "s")
    assert time.time() - start < 2.0
    assert c.execute_command("SCARD", "s") == 20000 - 200


# ---------------------------------------------------------------- SSCAN

def test_sscan_of_an_intset_is_one_call(c):
    c.execute_command("SADD", "s", 5, 1, 3)
    assert c.execute_command("SSCAN", "s", 0, "COUNT", 1) == [b"0", [b"1", b"3", b"5"]]


def test_sscan_returns_all_1000_members_with_count_10(c):
    fill(c, "s", 1000)
    seen, cursor, calls = set(), b"0", 0
    while True:
        cursor, batch = c.execute_command("SSCAN", "s", cursor, "COUNT", 10)
        seen.update(batch)
        calls += 1
        if cursor == b"0" or calls > 10000:
            break
    assert cursor == b"0"
    assert calls > 10
    assert seen == {b"m%d" % i for i in range(1000)}


def test_sscan_survives_shrink_during_the_scan(c):
    fill(c, "s", 1000)
    fill(c, "s", 4000, prefix=b"tmp")
    seen, cursor, calls = set(), b"0", 0
    while True:
        cursor, batch = c.execute_command("SSCAN", "s", cursor, "COUNT", 10)
        seen.update(batch)
        calls += 1
        if calls == 5:
            c.execute_command("SREM", "s", *[b"tmp%d" % i for i in range(4000)])
        if cursor == b"0" or calls > 20000:
            break
    assert {b"m%d" % i for i in range(1000)} <= seen


def test_sscan_match_and_errors(c):
    c.execute_command("SADD", "s", "user:1", "user:2", "page:1")
    _, batch = c.execute_command("SSCAN", "s", 0, "MATCH", "user:*")
    assert sorted(batch) == [b"user:1", b"user:2"]
    assert error_of(c, "SSCAN", "s", "x1") == "invalid cursor"
    assert error_of(c, "SSCAN", "s", 0, "COUNT", 0) == "syntax error"
    assert error_of(c, "SSCAN", "s", 0, "NOVALUES") == "syntax error"
    assert c.execute_command("SSCAN", "nokey", 0) == [b"0", []]


# ---------------------------------------------------------------- algebra

@pytest.fixture
def abc(c):
    c.execute_command("SADD", "a", "1", "2", "3", "x")
    c.execute_command("SADD", "b", "2", "3", "4")
    c.execute_command("SADD", "c", "3", "5")
    return c


def test_sinter_sunion_sdiff(abc):
    c = abc
    assert c.execute_command("SINTER", "a", "b", "c") == [b"3"]
    assert set(c.execute_command("SINTER", "a", "b")) == {b"2", b"3"}
    assert set(c.execute_command("SUNION", "a", "b", "c")) == {b"1", b"2", b"3", b"4", b"5", b"x"}
    assert set(c.execute_command("SDIFF", "a", "b", "c")) == {b"1", b"x"}
    assert set(c.execute_command("SDIFF", "a")) == {b"1", b"2", b"3", b"x"}


def test_algebra_with_missing_keys(abc):
    c = abc
    assert c.execute_command("SINTER", "a", "nokey") == []
    assert set(c.execute_command("SUNION", "nokey", "b")) == {b"2", b"3", b"4"}
    assert c.execute_command("SDIFF", "nokey", "a") == []
    assert set(c.execute_command("SDIFF", "b", "nokey")) == {b"2", b"3", b"4"}


def test_algebra_of_intsets_is_in_numeric_order(c):
    c.execute_command("SADD", "p", 30, 10, 20)
    c.execute_command("SADD", "q", 5, 20)
    assert c.execute_command("SUNION", "p", "q") == [b"5", b"10", b"20", b"30"]
    assert c.execute_command("SDIFF", "p", "q") == [b"10", b"30"]


@pytest.mark.parametrize("cmd", ["SINTER", "SUNION", "SDIFF"])
def test_algebra_with_a_non_set_is_wrongtype_even_after_a_missing_key(abc, cmd):
    abc.execute_command("SET", "str", "v")
    assert error_of(abc, cmd, "nokey", "str") == WRONGTYPE
    assert error_of(abc, cmd, "a", "str") == WRONGTYPE


def test_store_commands_store_and_count(abc):
    c = abc
    assert c.execute_command("SINTERSTORE", "d1", "a", "b") == 2
    assert members(c, "d1") == {b"2", b"3"}
    assert c.execute_command("SUNIONSTORE", "d2", "b", "c") == 4
    assert members(c, "d2") == {b"2", b"3", b"4", b"5"}
    assert c.execute_command("SDIFFSTORE", "d3", "a", "b") == 2
    assert members(c, "d3") == {b"1", b"x"}


def test_store_replaces_any_destination_and_clears_its_ttl(abc):
    c = abc
    c.execute_command("SET", "d", "string", "EX", 100)
    assert c.execute_command("SUNIONSTORE", "d", "b") == 3
    assert c.execute_command("TYPE", "d") == b"set"
    assert c.execute_command("TTL", "d") == -1
    c.execute_command("HSET", "h", "f", "v")
    assert c.execute_command("SINTERSTORE", "h", "a", "b") == 2
    assert c.execute_command("TYPE", "h") == b"set"


def test_store_with_the_destination_among_the_sources(abc):
    c = abc
    assert c.execute_command("SINTERSTORE", "a", "a", "b") == 2
    assert members(c, "a") == {b"2", b"3"}
    assert c.execute_command("SUNIONSTORE", "a", "a", "c") == 3
    assert members(c, "a") == {b"2", b"3", b"5"}


def test_store_of_an_empty_result_deletes_the_destination(abc):
    c = abc
    c.execute_command("SET", "d", "v")
    assert c.execute_command("SINTERSTORE", "d", "a", "nokey") == 0
    assert c.execute_command("EXISTS", "d") == 0
    assert c.execute_command("SDIFFSTORE", "d", "b", "b") == 0
    assert c.execute_command("EXISTS", "d") == 0


def test_store_with_a_non_set_source_is_wrongtype(abc):
    abc.execute_command("SET", "str", "v")
    assert error_of(abc, "SUNIONSTORE", "d", "a", "str") == WRONGTYPE
    assert abc.execute_command("EXISTS", "d") == 0


def test_store_result_encoding_follows_its_members(c):
    c.execute_command("SADD", "ints", 1, 2, 3)
    c.execute_command("SADD", "mixed", 2, 3, "x")
    assert c.execute_command("SINTERSTORE", "d", "ints", "mixed") == 2
    assert c.execute_command("OBJECT", "ENCODING", "d") == b"intset"
    c.execute_command("SUNIONSTORE", "d", "ints", "mixed")
    assert c.execute_command("OBJECT", "ENCODING", "d") == b"hashtable"


def test_sintercard(abc):
    c = abc
    assert c.execute_command("SINTERCARD", 2, "a", "b") == 2
    assert c.execute_command("SINTERCARD", 2, "a", "b", "LIMIT", 1) == 1
    assert c.execute_command("SINTERCARD", 2, "a", "b", "LIMIT", 0) == 2
    assert c.execute_command("SINTERCARD", 2, "a", "nokey") == 0
    assert error_of(c, "SINTERCARD", 0, "a") == "numkeys should be greater than 0"
    assert error_of(c, "SINTERCARD", "x", "a") == "numkeys should be greater than 0"
    assert error_of(c, "SINTERCARD", 3, "a", "b") == "Number of keys can't be greater than number of args"
    assert error_of(c, "SINTERCARD", 1, "a", "LIMIT", -1) == "LIMIT can't be negative"
    assert error_of(c, "SINTERCARD", 1, "a", "FOO") == "syntax error"


# ---------------------------------------------------------------- SMOVE

def test_smove_moves_a_member(c):
    c.execute_command("SADD", "src", "a", "b")
    assert c.execute_command("SMOVE", "src", "dst", "a") == 1
    assert members(c, "src") == {b"b"}
    assert members(c, "dst") == {b"a"}
    assert c.execute_command("SMOVE", "src", "dst", "zzz") == 0


def test_smove_of_the_last_member_deletes_the_source(c):
    c.execute_command("SADD", "src", "a")
    c.execute_command("SADD", "dst", "a")
    assert c.execute_command("SMOVE", "src", "dst", "a") == 1
    assert c.execute_command("EXISTS", "src") == 0
    assert members(c, "dst") == {b"a"}


def test_smove_within_one_set(c):
    c.execute_command("SADD", "s", "a")
    assert c.execute_command("SMOVE", "s", "s", "a") == 1
    assert c.execute_command("SMOVE", "s", "s", "b") == 0
    assert members(c, "s") == {b"a"}


def test_smove_type_checks(c):
    c.execute_command("SET", "str", "v")
    c.execute_command("SADD", "s", "a")
    assert c.execute_command("SMOVE", "nokey", "str", "a") == 0  # a missing source wins
    assert error_of(c, "SMOVE", "s", "str", "a") == WRONGTYPE
    assert error_of(c, "SMOVE", "str", "s", "a") == WRONGTYPE
    assert members(c, "s") == {b"a"}


# ---------------------------------------------------------------- types and encodings

SET_COMMANDS = [
    ("SADD", "k", "m"), ("SREM", "k", "m"), ("SMEMBERS", "k"), ("SISMEMBER", "k", "m"),
    ("SMISMEMBER", "k", "m"), ("SCARD", "k"), ("SPOP", "k"), ("SPOP", "k", "2"),
    ("SRANDMEMBER", "k"), ("SRANDMEMBER", "k", "2"), ("SSCAN", "k", "0"), ("SINTER", "k"),
    ("SUNION", "k"), ("SDIFF", "k"), ("SINTERCARD", "1", "k"),
]


@pytest.mark.parametrize("args", SET_COMMANDS, ids=lambda a: " ".join(a))
def test_set_commands_on_a_string_are_wrongtype(c, args):
    c.execute_command("SET", "k", "v")
    assert error_of(c, *args) == WRONGTYPE
    assert c.execute_command("GET", "k") == b"v"


@pytest.mark.parametrize("args", [("GET", "k"), ("INCR", "k"), ("APPEND", "k", "x"),
                                  ("HSET", "k", "f", "v"), ("HGETALL", "k"), ("GETDEL", "k")],
                         ids=lambda a: a[0])
def test_other_commands_on_a_set_are_wrongtype(c, args):
    c.execute_command("SADD", "k", "m")
    assert error_of(c, *args) == WRONGTYPE


def test_type_of_a_set(c):
    c.execute_command("SADD", "s", "m")
    assert c.execute_command("TYPE", "s") == b"set"


def test_encoding_is_intset_for_integers_up_to_512(c):
    c.execute_command("SADD", "s", *range(512))
    assert c.execute_command("OBJECT", "ENCODING", "s") == b"intset"
    c.execute_command("SADD", "s", 512)
    assert c.execute_command("OBJECT", "ENCODING", "s") == b"hashtable"
    c.execute_command("SREM", "s", *range(500))
    assert c.execute_command("OBJECT", "ENCODING", "s") == b"hashtable"  # never back down


def test_encoding_turns_hashtable_for_a_non_integer(c):
    c.execute_command("SADD", "s", 1, 2)
    assert c.execute_command("OBJECT", "ENCODING", "s") == b"intset"
    c.execute_command("SADD", "s", "a")
    assert c.execute_command("OBJECT", "ENCODING", "s") == b"hashtable"
    c.execute_command("SREM", "s", "a")
    assert c.execute_command("OBJECT", "ENCODING", "s") == b"hashtable"
    c.execute_command("SADD", "t", "007")  # not a canonical integer
    assert c.execute_command("OBJECT", "ENCODING", "t") == b"hashtable"


def test_scan_type_set(c):
    c.execute_command("SADD", "s1", "m")
    c.execute_command("SADD", "s2", "m")
    c.execute_command("HSET", "h", "f", "v")
    c.execute_command("SET", "str", "v")
    keys, cursor = set(), b"0"
    for _ in range(1000):
        cursor, batch = c.execute_command("SCAN", cursor, "TYPE", "set", "COUNT", 100)
        keys.update(batch)
        if cursor == b"0":
            break
    assert keys == {b"s1", b"s2"}


def test_copy_of_a_set_is_independent(c):
    c.execute_command("SADD", "s", "a")
    assert c.execute_command("COPY", "s", "s2") == 1
    c.execute_command("SADD", "s2", "b")
    assert members(c, "s") == {b"a"}
    assert members(c, "s2") == {b"a", b"b"}
    assert c.execute_command("OBJECT", "ENCODING", "s2") == b"hashtable"


def test_set_replaces_a_set(c):
    c.execute_command("SADD", "k", "m")
    c.execute_command("SET", "k", "v")
    assert c.execute_command("TYPE", "k") == b"string"


# ---------------------------------------------------------------- RESP3 and redis-cli

def test_resp3_smembers_is_a_set(server, c):
    c.execute_command("SADD", "s", 2, 1)
    assert resp3(server, b"SMEMBERS s") == b"~2\r\n$1\r\n1\r\n$1\r\n2\r\n"
    assert resp3(server, b"SMEMBERS nokey") == b"~0\r\n"


def test_resp3_reply_shapes(server, c):
    c.execute_command("SADD", "s", 1)
    assert resp3(server, b"SINTER s s") == b"~1\r\n$1\r\n1\r\n"
    assert resp3(server, b"SUNION s") == b"~1\r\n$1\r\n1\r\n"
    assert resp3(server, b"SRANDMEMBER s 1") == b"*1\r\n$1\r\n1\r\n"
    assert resp3(server, b"SMISMEMBER s 1 2") == b"*2\r\n:1\r\n:0\r\n"
    assert resp3(server, b"SPOP nokey 2") == b"~0\r\n"
    assert resp3(server, b"SPOP s 5") == b"~1\r\n$1\r\n1\r\n"
    assert resp3(server, b"SPOP s") == b"_\r\n"


def test_redis_cli_set_round_trip(server, c):
    assert server.cli("SADD", "cli:s", "x", "y")[1].strip() == "2"
    assert server.cli("SCARD", "cli:s")[1].strip() == "2"
    rc, out = server.cli("SMEMBERS", "cli:s", resp3=True)
    assert rc == 0 and "x" in out and "y" in out


# ---------------------------------------------------------------- concurrency

def test_concurrent_smove_keeps_every_member(server, c):
    """8 connections move members back and forth between two sets; SMOVE locks both keys'
    shards, so no member is lost or duplicated."""
    c.execute_command("SADD", "left", *range(100))
    errors = []

    def worker(n):
        cl = server.client()
        try:
            for i in range(200):
                m = (n * 13 + i) % 100
                src, dst = ("left", "right") if i % 2 == 0 else ("right", "left")
                cl.execute_command("SMOVE", src, dst, m)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
        finally:
            cl.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors
    left, right = members(c, "left"), members(c, "right")
    assert not (left & right)
    assert left | right == {b"%d" % i for i in range(100)}


def test_concurrent_sadd_and_spop_account_for_every_member(server, c):
    popped, lock = [], threading.Lock()

    def adder(n):
        cl = server.client()
        try:
            for i in range(200):
                cl.execute_command("SADD", "pool", b"a%d:%d" % (n, i))
        finally:
            cl.close()

    def popper():
        cl = server.client()
        try:
            for _ in range(200):
                got = cl.execute_command("SPOP", "pool", 3)
                with lock:
                    popped.extend(got)
        finally:
            cl.close()

    threads = [threading.Thread(target=adder, args=(n,)) for n in range(4)]
    threads += [threading.Thread(target=popper) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    rest = members(c, "pool")
    assert len(popped) == len(set(popped))
    assert not (set(popped) & rest)
    assert set(popped) | rest == {b"a%d:%d" % (n, i) for n in range(4) for i in range(200)}


# ---------------------------------------------------------------- arity, WATCH, events

@pytest.mark.parametrize("args", [
    ("SMEMBERS",), ("SCARD",), ("SPOP",), ("SRANDMEMBER",), ("SSCAN", "k"), ("SINTER",),
    ("SUNION",), ("SDIFF",), ("SUNIONSTORE", "d"), ("SDIFFSTORE", "d"), ("SMISMEMBER", "k"),
    ("SINTERCARD", "1"), ("SCARD", "k", "x"),
], ids=lambda a: " ".join(a))
def test_wrong_arity_is_an_error(c, args):
    assert error_of(c, *args) == "wrong number of arguments for '%s' command" % args[0].lower()


def test_set_writes_break_a_watch(server, c):
    writes = (("SADD", "s", "b"), ("SREM", "s", "a"), ("SPOP", "s"), ("SMOVE", "s", "o", "a"),
              ("SINTERSTORE", "s", "s", "s"))
    for write in writes:
        c.execute_command("DEL", "s", "o")
        c.execute_command("SADD", "s", "a")
        watcher = server.client()
        try:
            p = watcher.pipeline(transaction=True)
            p.watch("s")
            c.execute_command(*write)
            p.multi()
            p.sadd("s", "z")
            with pytest.raises(redis.WatchError):
                p.execute()
        finally:
            watcher.close()


def test_set_keyspace_events(server, c):
    c.execute_command("CONFIG", "SET", "notify-keyspace-events", "KEAn")
    sub = server.client()
    try:
        ps = sub.pubsub()
        ps.psubscribe("__keyevent@0__:*")
        assert ps.get_message(timeout=1.0)["type"] == "psubscribe"
        c.execute_command("SADD", "x", 1, 2)
        c.execute_command("SMOVE", "x", "y", 1)
        c.execute_command("SUNIONSTORE", "z", "x", "y")
        c.execute_command("SPOP", "x")
        expected = [(b"new", b"x"), (b"sadd", b"x"), (b"srem", b"x"), (b"new", b"y"),
                    (b"sadd", b"y"), (b"new", b"z"), (b"sunionstore", b"z"), (b"spop", b"x"),
                    (b"del", b"x")]
        events, deadline = [], time.time() + 2
        while len(events) < len(expected) and time.time() < deadline:
            m = ps.get_message(timeout=0.1)
            if m and m["type"] == "pmessage":
                events.append((m["channel"].split(b":", 1)[1], m["data"]))
        assert events == expected
        ps.close()
    finally:
        c.execute_command("CONFIG", "SET", "notify-keyspace-events", "")
        sub.close()
