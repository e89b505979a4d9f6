"""The hash command family against the real vellumd: HSET HSETNX HGET HMGET HMSET HGETALL
HDEL HEXISTS HLEN HKEYS HVALS HSTRLEN HINCRBY HINCRBYFLOAT HRANDFIELD HSCAN, with Redis
7.0's reply types (RESP2 and RESP3), encodings and exact error texts.

Replies are read without redis-py's response callbacks (fixture `c`), so an integer stays
an int, a bulk string bytes and a null None. redis-py drops the leading "ERR " of an error
line (not "WRONGTYPE "); a few tests read the raw wire to see the whole line."""
import threading
import time

import pytest
import redis

from vellum_harness import error_of, resp3

INT64_MAX = 2**63 - 1
INT64_MIN = -2**63
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"


def fill(cl, key, n, value=b"v"):
    args = []
    for i in range(n):
        args += [b"f%d" % i, value]
    cl.execute_command("HSET", key, *args)


# ---------------------------------------------------------------- HSET HGET HMSET HSETNX

def test_hset_counts_only_new_fields(c):
    assert c.execute_command("HSET", "h", "a", "1", "b", "2") == 2
    assert c.execute_command("HSET", "h", "a", "10", "c", "3") == 1
    assert c.execute_command("HGET", "h", "a") == b"10"
    assert c.execute_command("HLEN", "h") == 3


def test_hset_repeated_field_in_one_call_keeps_the_last_value(c):
    assert c.execute_command("HSET", "h", "a", "1", "a", "2") == 1
    assert c.execute_command("HGET", "h", "a") == b"2"


def test_hset_with_a_missing_value_is_an_arity_error(c):
    assert error_of(c, "HSET", "h", "f") == "wrong number of arguments for 'hset' command"
    assert error_of(c, "HSET", "h", "a", "1", "b") == "wrong number of arguments for 'hset' command"
    assert c.execute_command("EXISTS", "h") == 0


def test_hmset_replies_ok_and_checks_pairs(c):
    assert c.execute_command("HMSET", "h", "a", "1", "b", "2") == b"OK"
    assert c.execute_command("HMGET", "h", "a", "b", "nope") == [b"1", b"2", None]
    assert error_of(c, "HMSET", "h", "a", "1", "b") == "wrong number of arguments for 'hmset' command"
    assert error_of(c, "HMSET", "h") == "wrong number of arguments for 'hmset' command"


def test_hsetnx_sets_only_a_missing_field(c):
    assert c.execute_command("HSETNX", "h", "f", "1") == 1
    assert c.execute_command("HSETNX", "h", "f", "2") == 0
    assert c.execute_command("HGET", "h", "f") == b"1"


def test_hget_of_missing_key_or_field_is_null(c):
    assert c.execute_command("HGET", "nokey", "f") is None
    c.execute_command("HSET", "h", "a", "1")
    assert c.execute_command("HGET", "h", "b") is None
    assert c.execute_command("HMGET", "nokey", "a", "b") == [None, None]


def test_binary_fields_and_values(c):
    c.execute_command("HSET", "h", b"\x00f\xff", b"v\r\n\x00")
    assert c.execute_command("HGET", "h", b"\x00f\xff") == b"v\r\n\x00"


# ---------------------------------------------------------------- readers

def test_hgetall_hkeys_hvals_keep_insertion_order_while_small(c):
    c.execute_command("HSET", "h", "z", "1", "a", "2", "m", "3", "b", "4")
    c.execute_command("HDEL", "h", "a")
    c.execute_command("HSET", "h", "m", "30", "c", "5")
    assert c.execute_command("HGETALL", "h") == [b"z", b"1", b"m", b"30", b"b", b"4", b"c", b"5"]
    assert c.execute_command("HKEYS", "h") == [b"z", b"m", b"b", b"c"]
    assert c.execute_command("HVALS", "h") == [b"1", b"30", b"4", b"5"]


def test_hgetall_of_a_big_hash_returns_every_pair(c):
    fill(c, "h", 1000)
    flat = c.execute_command("HGETALL", "h")
    assert dict(zip(flat[::2], flat[1::2])) == {b"f%d" % i: b"v" for i in range(1000)}


def test_readers_of_a_missing_key_are_empty(c):
    assert c.execute_command("HGETALL", "nokey") == []
    assert c.execute_command("HKEYS", "nokey") == []
    assert c.execute_command("HVALS", "nokey") == []
    assert c.execute_command("HLEN", "nokey") == 0
    assert c.execute_command("HEXISTS", "nokey", "f") == 0
    assert c.execute_command("HSTRLEN", "nokey", "f") == 0


def test_hexists_hlen_hstrlen(c):
    c.execute_command("HSET", "h", "a", "hello", "b", "")
    assert c.execute_command("HEXISTS", "h", "a") == 1
    assert c.execute_command("HEXISTS", "h", "x") == 0
    assert c.execute_command("HLEN", "h") == 2
    assert c.execute_command("HSTRLEN", "h", "a") == 5
    assert c.execute_command("HSTRLEN", "h", "b") == 0
    assert c.execute_command("HSTRLEN", "h", "x") == 0


# ---------------------------------------------------------------- HDEL

def test_hdel_counts_removed_fields(c):
    c.execute_command("HSET", "h", "a", "1", "b", "2", "c", "3")
    assert c.execute_command("HDEL", "h", "a", "x", "a") == 1
    assert c.execute_command("HKEYS", "h") == [b"b", b"c"]
    assert c.execute_command("HDEL", "nokey", "a") == 0


def test_hdel_of_the_last_field_deletes_the_key(c):
    c.execute_command("HSET", "h", "a", "1", "b", "2")
    assert c.execute_command("HDEL", "h", "a", "b", "c") == 2
    assert c.execute_command("EXISTS", "h") == 0
    assert c.execute_command("TYPE", "h") == b"none"


def test_hdel_of_the_last_field_of_a_big_hash_deletes_the_key(c):
    fill(c, "h", 600)
    assert c.execute_command("HDEL", "h", *[b"f%d" % i for i in range(600)]) == 600
    assert c.execute_command("EXISTS", "h") == 0


# ---------------------------------------------------------------- HINCRBY / HINCRBYFLOAT

def test_hincrby_creates_key_and_field(c):
    assert c.execute_command("HINCRBY", "h", "n", 5) == 5
    assert c.execute_command("HINCRBY", "h", "n", -7) == -2
    assert c.execute_command("HGET", "h", "n") == b"-2"


def test_hincrby_overflow_is_an_error(c):
    c.execute_command("HSET", "h", "max", INT64_MAX, "min", INT64_MIN)
    assert error_of(c, "HINCRBY", "h", "max", 1) == "increment or decrement would overflow"
    assert error_of(c, "HINCRBY", "h", "min", -1) == "increment or decrement would overflow"
    assert c.execute_command("HGET", "h", "max") == str(INT64_MAX).encode()
    assert c.execute_command("HINCRBY", "h", "min", INT64_MAX) == -1


def test_hincrby_on_a_non_integer_value_is_an_error(c):
    c.execute_command("HSET", "h", "s", "abc", "sp", " 1", "f", "1.5")
    for field in ("s", "sp", "f"):
        assert error_of(c, "HINCRBY", "h", field, 1) == "hash value is not an integer"


def test_hincrby_with_a_bad_increment_is_an_error(c):
    for incr in ("abc", "1.5", str(INT64_MAX + 1)):
        assert error_of(c, "HINCRBY", "h", "f", incr) == "value is not an integer or out of range"
    assert c.execute_command("EXISTS", "h") == 0


def test_hincrby_error_line_on_the_wire(server, c):
    c.execute_command("HSET", "h", "s", "abc")
    assert server.raw(b"HINCRBY h s 1\r\n", read_timeout=0.5) == b"-ERR hash value is not an integer\r\n"


def test_hincrbyfloat_formats_like_redis(c):
    assert c.execute_command("HINCRBYFLOAT", "h", "f", "10.5") == b"10.5"
    assert c.execute_command("HINCRBYFLOAT", "h", "f", "0.1") == b"10.6"
    # Long double arithmetic shows through, as in Redis.
    assert c.execute_command("HINCRBYFLOAT", "h", "f", "5.0e3") == b"5010.60000000000000009"
    c.execute_command("HSET", "h", "n", INT64_MAX)
    assert c.execute_command("HINCRBYFLOAT", "h", "n", "1") == b"9223372036854775808"


def test_hincrbyfloat_on_a_non_float_value_is_an_error(c):
    # Redis 7.0's text is "hash value is not a float" (without "valid").
    c.execute_command("HSET", "h", "s", "abc", "sp", " 1")
    assert error_of(c, "HINCRBYFLOAT", "h", "s", "1") == "hash value is not a float"
    assert error_of(c, "HINCRBYFLOAT", "h", "sp", "1") == "hash value is not a float"


def test_hincrbyfloat_with_a_bad_increment_is_an_error(c):
    assert error_of(c, "HINCRBYFLOAT", "h", "f", "abc") == "value is not a valid float"
    assert error_of(c, "HINCRBYFLOAT", "h", "f", "nan") == "value is not a valid float"
    assert error_of(c, "HINCRBYFLOAT", "h", "f", "inf") == "value is NaN or Infinity"
    assert c.execute_command("EXISTS", "h") == 0


def test_hincrbyfloat_to_infinity_is_an_error(c):
    c.execute_command("HSET", "h", "f", "1e4932")
    assert error_of(c, "HINCRBYFLOAT", "h", "f", "1e4932") == "increment would produce NaN or Infinity"


# ---------------------------------------------------------------- HRANDFIELD

def test_hrandfield_without_count(c):
    assert c.execute_command("HRANDFIELD", "nokey") is None
    c.execute_command("HSET", "h", "a", "1", "b", "2")
    for _ in range(20):
        assert c.execute_command("HRANDFIELD", "h") in (b"a", b"b")


def test_hrandfield_positive_count_gives_distinct_fields(c):
    fill(c, "h", 100)
    for count in (1, 10, 40, 99):
        got = c.execute_command("HRANDFIELD", "h", count)
        assert len(got) == count and len(set(got)) == count
        assert all(f.startswith(b"f") for f in got)


def test_hrandfield_count_at_least_the_size_gives_the_whole_hash(c):
    c.execute_command("HSET", "h", "a", "1", "b", "2", "c", "3")
    assert c.execute_command("HRANDFIELD", "h", 3) == [b"a", b"b", b"c"]
    assert c.execute_command("HRANDFIELD", "h", 100, "WITHVALUES") == [b"a", b"1", b"b", b"2", b"c", b"3"]


def test_hrandfield_negative_count_may_repeat(c):
    c.execute_command("HSET", "h", "a", "1")
    assert c.execute_command("HRANDFIELD", "h", -5) == [b"a"] * 5
    got = c.execute_command("HRANDFIELD", "h", -3, "withvalues")
    assert got == [b"a", b"1"] * 3


def test_hrandfield_withvalues_pairs_match(c):
    fill(c, "h", 50, value=b"x")
    got = c.execute_command("HRANDFIELD", "h", 10, "WITHVALUES")
    assert len(got) == 20
    assert got[1::2] == [b"x"] * 10
    assert len(set(got[::2])) == 10


def test_hrandfield_zero_count_and_missing_key_are_empty(c):
    assert c.execute_command("HRANDFIELD", "nokey", 5) == []
    assert c.execute_command("HRANDFIELD", "nokey", 5, "WITHVALUES") == []
    c.execute_command("HSET", "h", "a", "1")
    assert c.execute_command("HRANDFIELD", "h", 0) == []
    assert c.execute_command("HRANDFIELD", "h", 0, "WITHVALUES") == []


def test_hrandfield_count_errors(c):
    c.execute_command("HSET", "h", "a", "1")
    assert error_of(c, "HRANDFIELD", "h", "x") == "value is not an integer or out of range"
    assert error_of(c, "HRANDFIELD", "h", 1, "WITHSCORES") == "syntax error"
    assert error_of(c, "HRANDFIELD", "h", 1, "WITHVALUES", "x") == "syntax error"
    assert error_of(c, "HRANDFIELD", "h", str(INT64_MIN)) == (
        "value is out of range, value must between -9223372036854775807 and 9223372036854775807")
    # WITHVALUES halves the allowed range (the reply would be twice as long).
    assert error_of(c, "HRANDFIELD", "h", "-4611686018427387904", "WITHVALUES") == "value is out of range"
    assert error_of(c, "HRANDFIELD", "nokey", "4611686018427387904", "WITHVALUES") == "value is out of range"


def test_hrandfield_is_fast_on_a_big_hash(c):
    fill(c, "h", 20000)
    start = time.time()
    for _ in range(200):
        c.execute_command("HRANDFIELD", "h", 3, "WITHVALUES")
    assert time.time() - start < 2.0


# ---------------------------------------------------------------- HSCAN

def test_hscan_of_a_small_hash_is_one_call(c):
    c.execute_command("HSET", "h", "a", "1", "b", "2")
    assert c.execute_command("HSCAN", "h", 0, "COUNT", 1) == [b"0", [b"a", b"1", b"b", b"2"]]


def test_hscan_returns_all_1000_fields_with_count_10(c):
    fill(c, "h", 1000)
    seen = {}
    cursor, calls = b"0", 0
    while True:
        cursor, flat = c.execute_command("HSCAN", "h", cursor, "COUNT", 10)
        calls += 1
        seen.update(zip(flat[::2], flat[1::2]))
        if cursor == b"0" or calls > 10000:
            break
    assert cursor == b"0"
    assert calls > 10  # a real cursor, not one reply
    assert seen == {b"f%d" % i: b"v" for i in range(1000)}


def test_hscan_survives_growth_during_the_scan(c):
    fill(c, "h", 1000)
    seen = set()
    cursor, calls = b"0", 0
    while True:
        cursor, flat = c.execute_command("HSCAN", "h", cursor, "COUNT", 10)
        seen.update(flat[::2])
        calls += 1
        if calls == 5:
            c.execute_command("HSET", "h", *[x for i in range(3000) for x in (b"g%d" % i, b"v")])
        if cursor == b"0" or calls > 20000:
            break
    assert {b"f%d" % i for i in range(1000)} <= seen


def test_hscan_match_filters_fields(c):
    c.execute_command("HSET", "h", "user:1", "a", "user:2", "b", "page:1", "c")
    _, flat = c.execute_command("HSCAN", "h", 0, "MATCH", "user:*")
    assert flat == [b"user:1", b"a", b"user:2", b"b"]
    _, flat = c.execute_command("HSCAN", "h", 0, "MATCH", "x*", "MATCH", "page:*")
    assert flat == [b"page:1", b"c"]


def test_hscan_errors(c):
    c.execute_command("HSET", "h", "a", "1")
    assert error_of(c, "HSCAN", "h", "abc") == "invalid cursor"
    assert error_of(c, "HSCAN", "h", 0, "COUNT", 0) == "syntax error"
    assert error_of(c, "HSCAN", "h", 0, "COUNT", "x") == "value is not an integer or out of range"
    assert error_of(c, "HSCAN", "h", 0, "MATCH") == "syntax error"
    assert error_of(c, "HSCAN", "h", 0, "TYPE", "hash") == "syntax error"
    assert error_of(c, "HSCAN", "h") == "wrong number of arguments for 'hscan' command"


def test_hscan_of_a_missing_key_is_empty_before_options_are_checked(c):
    assert c.execute_command("HSCAN", "nokey", 0) == [b"0", []]
    assert c.execute_command("HSCAN", "nokey", 0, "COUNT", 0) == [b"0", []]


# ---------------------------------------------------------------- types and encodings

HASH_COMMANDS = [
    ("HSET", "k", "f", "v"), ("HSETNX", "k", "f", "v"), ("HGET", "k", "f"), ("HMGET", "k", "f"),
    ("HMSET", "k", "f", "v"), ("HGETALL", "k"), ("HDEL", "k", "f"), ("HEXISTS", "k", "f"),
    ("HLEN", "k"), ("HKEYS", "k"), ("HVALS", "k"), ("HSTRLEN", "k", "f"),
    ("HINCRBY", "k", "f", "1"), ("HINCRBYFLOAT", "k", "f", "1"), ("HRANDFIELD", "k"),
    ("HRANDFIELD", "k", "2"), ("HSCAN", "k", "0"),
]


@pytest.mark.parametrize("args", HASH_COMMANDS, ids=lambda a: " ".join(a))
def test_hash_commands_on_a_string_are_wrongtype(c, args):
    c.execute_command("SET", "k", "v")
    assert error_of(c, *args) == WRONGTYPE
    assert c.execute_command("GET", "k") == b"v"


@pytest.mark.parametrize("args", [("GET", "k"), ("APPEND", "k", "x"), ("INCR", "k"),
                                  ("STRLEN", "k"), ("GETRANGE", "k", "0", "1"),
                                  ("SADD", "k", "m"), ("SMEMBERS", "k")],
                         ids=lambda a: a[0])
def test_other_commands_on_a_hash_are_wrongtype(c, args):
    c.execute_command("HSET", "k", "f", "v")
    assert error_of(c, *args) == WRONGTYPE


def test_set_replaces_a_hash(c):
    c.execute_command("HSET", "k", "f", "v")
    assert c.execute_command("SET", "k", "s") == b"OK"
    assert c.execute_command("TYPE", "k") == b"string"
    assert c.execute_command("GET", "k") == b"s"
    assert c.execute_command("MGET", "k") == [b"s"]


def test_mget_of_a_hash_is_null(c):
    c.execute_command("HSET", "k", "f", "v")
    assert c.execute_command("MGET", "k") == [None]


def test_type_of_a_hash(c):
    c.execute_command("HSET", "h", "f", "v")
    assert c.execute_command("TYPE", "h") == b"hash"


def test_encoding_is_listpack_until_512_fields(c):
    # Redis 7.0's default hash-max-listpack-entries is 512 (CONFIG GET on 7.0.15).
    fill(c, "h", 512)
    assert c.execute_command("OBJECT", "ENCODING", "h") == b"listpack"
    c.execute_command("HSET", "h", "one-more", "v")
    assert c.execute_command("OBJECT", "ENCODING", "h") == b"hashtable"
    c.execute_command("HDEL", "h", *[b"f%d" % i for i in range(500)])
    assert c.execute_command("OBJECT", "ENCODING", "h") == b"hashtable"  # never back down


def test_encoding_turns_hashtable_for_a_value_over_64_bytes(c):
    c.execute_command("HSET", "a", "f", "x" * 64)
    assert c.execute_command("OBJECT", "ENCODING", "a") == b"listpack"
    c.execute_command("HSET", "b", "f", "x" * 65)
    assert c.execute_command("OBJECT", "ENCODING", "b") == b"hashtable"
    c.execute_command("HSET", "c", "y" * 65, "v")
    assert c.execute_command("OBJECT", "ENCODING", "c") == b"hashtable"
    c.execute_command("HSET", "d", "f", "1")
    c.execute_command("HSET", "d", "f", "x" * 100)
    c.execute_command("HSET", "d", "f", "1")
    assert c.execute_command("OBJECT", "ENCODING", "d") == b"hashtable"


def test_hsetnx_on_an_existing_field_does_not_convert(c):
    c.execute_command("HSET", "h", "a", "1")
    assert c.execute_command("HSETNX", "h", "a", "x" * 100) == 0
    assert c.execute_command("OBJECT", "ENCODING", "h") == b"listpack"


def test_config_hash_max_listpack_entries(c):
    old = c.execute_command("CONFIG", "GET", "hash-max-listpack-entries")[1]
    try:
        c.execute_command("CONFIG", "SET", "hash-max-listpack-entries", 4)
        c.execute_command("HSET", "h", "a", 1, "b", 2, "c", 3, "d", 4)
        assert c.execute_command("OBJECT", "ENCODING", "h") == b"listpack"
        c.execute_command("HSET", "h", "e", 5)
        assert c.execute_command("OBJECT", "ENCODING", "h") == b"hashtable"
        assert c.execute_command("HGET", "h", "a") == b"1"
        assert c.execute_command("HLEN", "h") == 5
    finally:
        c.execute_command("CONFIG", "SET", "hash-max-listpack-entries", old)


def test_config_hash_max_listpack_value(c):
    old = c.execute_command("CONFIG", "GET", "hash-max-listpack-value")[1]
    try:
        c.execute_command("CONFIG", "SET", "hash-max-listpack-value", 3)
        c.execute_command("HSET", "h", "abc", "xyz")
        assert c.execute_command("OBJECT", "ENCODING", "h") == b"listpack"
        c.execute_command("HSET", "h", "f", "wxyz")
        assert c.execute_command("OBJECT", "ENCODING", "h") == b"hashtable"
        assert c.execute_command("HGETALL", "h") in ([b"abc", b"xyz", b"f", b"wxyz"],
                                                     [b"f", b"wxyz", b"abc", b"xyz"])
    finally:
        c.execute_command("CONFIG", "SET", "hash-max-listpack-value", old)


def test_a_listpack_hash_keeps_insertion_order_through_updates_and_deletes(c):
    c.execute_command("HSET", "h", "a", 1, "b", 2, "c", 3, "d", 4)
    c.execute_command("HSET", "h", "b", "a much longer value than before")
    c.execute_command("HDEL", "h", "a")
    c.execute_command("HSET", "h", "e", 5)
    assert c.execute_command("HGETALL", "h") == [
        b"b", b"a much longer value than before", b"c", b"3", b"d", b"4", b"e", b"5"]
    assert c.execute_command("HSCAN", "h", 0) == [
        b"0", [b"b", b"a much longer value than before", b"c", b"3", b"d", b"4", b"e", b"5"]]


def test_a_recreated_hash_starts_as_listpack(c):
    fill(c, "h", 600)
    c.execute_command("DEL", "h")
    c.execute_command("HSET", "h", "a", "1")
    assert c.execute_command("OBJECT", "ENCODING", "h") == b"listpack"


def test_scan_type_hash(c):
    c.execute_command("HSET", "h1", "f", "v")
    c.execute_command("HSET", "h2", "f", "v")
    c.execute_command("SET", "s", "v")
    c.execute_command("SADD", "set", "m")
    keys, cursor = set(), b"0"
    for _ in range(1000):
        cursor, batch = c.execute_command("SCAN", cursor, "TYPE", "hash", "COUNT", 100)
        keys.update(batch)
        if cursor == b"0":
            break
    assert keys == {b"h1", b"h2"}


def test_copy_of_a_hash_is_independent(c):
    c.execute_command("HSET", "h", "a", "1")
    assert c.execute_command("COPY", "h", "h2") == 1
    c.execute_command("HSET", "h2", "a", "2")
    assert c.execute_command("HGET", "h", "a") == b"1"
    assert c.execute_command("HGET", "h2", "a") == b"2"


def test_rename_and_expire_keep_a_hash(c):
    c.execute_command("HSET", "h", "a", "1")
    c.execute_command("EXPIRE", "h", 100)
    c.execute_command("RENAME", "h", "h2")
    assert c.execute_command("HGET", "h2", "a") == b"1"
    assert 0 < c.execute_command("TTL", "h2") <= 100
    c.execute_command("HSET", "h2", "b", "2")
    assert 0 < c.execute_command("TTL", "h2") <= 100  # a field write keeps the TTL


def test_a_hash_expires(c):
    c.execute_command("HSET", "h", "a", "1")
    c.execute_command("PEXPIRE", "h", 50)
    deadline = time.time() + 2
    while time.time() < deadline and c.execute_command("EXISTS", "h"):
        time.sleep(0.01)
    assert c.execute_command("HGET", "h", "a") is None


def test_memory_usage_grows_with_the_hash(c):
    c.execute_command("HSET", "h", "a", "1")
    small = c.execute_command("MEMORY", "USAGE", "h")
    fill(c, "h", 1000, value=b"x" * 100)
    assert c.execute_command("MEMORY", "USAGE", "h") > small + 100 * 1000


# ---------------------------------------------------------------- RESP3 and redis-cli

def test_resp3_hgetall_is_a_map(server, c):
    c.execute_command("HSET", "h", "a", "1", "b", "2")
    assert resp3(server, b"HGETALL h") == b"%2\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n"
    assert resp3(server, b"HGETALL nokey") == b"%0\r\n"


def test_resp3_hrandfield_withvalues_is_nested_pairs(server, c):
    c.execute_command("HSET", "h", "a", "1")
    assert resp3(server, b"HRANDFIELD h -2 WITHVALUES") == (
        b"*2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n")
    assert resp3(server, b"HRANDFIELD h 1") == b"*1\r\n$1\r\na\r\n"
    assert resp3(server, b"HRANDFIELD nokey") == b"_\r\n"


def test_resp3_hkeys_and_hscan_are_arrays(server, c):
    c.execute_command("HSET", "h", "a", "1")
    assert resp3(server, b"HKEYS h") == b"*1\r\n$1\r\na\r\n"
    assert resp3(server, b"HSCAN h 0") == b"*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"


def test_redis_cli_hash_round_trip(server, c):
    assert server.cli("HSET", "cli:h", "f", "hello")[1].strip() == "1"
    assert server.cli("HGET", "cli:h", "f")[1].strip() == "hello"
    rc, out = server.cli("HGETALL", "cli:h", resp3=True)
    assert rc == 0 and "f" in out and "hello" in out


# ---------------------------------------------------------------- concurrency

def test_concurrent_hincrby_on_one_field_is_exact(server, c):
    errors = []

    def worker():
        cl = server.client()
        try:
            for _ in range(200):
                cl.execute_command("HINCRBY", "counter", "hits", 1)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
        finally:
            cl.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors
    assert c.execute_command("HGET", "counter", "hits") == b"1600"


def test_concurrent_hset_and_hdel_keep_hlen_consistent(server, c):
    def worker(n):
        cl = server.client()
        try:
            for i in range(200):
                cl.execute_command("HSET", "shared", b"w%d:%d" % (n, i), b"v")
                if i % 2:
                    cl.execute_command("HDEL", "shared", b"w%d:%d" % (n, i))
        finally:
            cl.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert c.execute_command("HLEN", "shared") == 8 * 100


# ---------------------------------------------------------------- arity, WATCH, events

@pytest.mark.parametrize("args", [
    ("HSETNX", "k", "f"), ("HGET", "k"), ("HMGET", "k"), ("HGETALL",), ("HDEL", "k"),
    ("HEXISTS", "k"), ("HLEN",), ("HKEYS",), ("HVALS",), ("HSTRLEN", "k"),
    ("HINCRBY", "k", "f"), ("HINCRBYFLOAT", "k", "f"), ("HRANDFIELD",), ("HGET", "k", "f", "x"),
], ids=lambda a: " ".join(a))
def test_wrong_arity_is_an_error(c, args):
    assert error_of(c, *args) == "wrong number of arguments for '%s' command" % args[0].lower()


def test_hash_writes_break_a_watch(server, c):
    for write in (("HSET", "h", "f", "2"), ("HINCRBY", "h", "n", "1"), ("HDEL", "h", "f")):
        c.execute_command("HSET", "h", "f", "1")
        watcher = server.client()
        try:
            p = watcher.pipeline(transaction=True)
            p.watch("h")
            c.execute_command(*write)
            p.multi()
            p.hset("h", "g", "1")
            with pytest.raises(redis.WatchError):
                p.execute()
        finally:
            watcher.close()


def test_hash_keyspace_events(server, c):
    c.execute_command("CONFIG", "SET", "notify-keyspace-events", "KEAn")
    sub = server.client()
    try:
        ps = sub.pubsub()
        ps.psubscribe("__keyevent@0__:*")
        assert ps.get_message(timeout=1.0)["type"] == "psubscribe"
        c.execute_command("HSET", "h", "f", "1")
        c.execute_command("HINCRBY", "h", "n", "1")
        c.execute_command("HDEL", "h", "f", "n")
        events, deadline = [], time.time() + 2
        while len(events) < 5 and time.time() < deadline:
            m = ps.get_message(timeout=0.1)
            if m and m["type"] == "pmessage":
                events.append((m["channel"].split(b":", 1)[1], m["data"]))
        assert events == [(b"new", b"h"), (b"hset", b"h"), (b"hincrby", b"h"), (b"hdel", b"h"),
                          (b"del", b"h")]
        ps.close()
    finally:
        c.execute_command("CONFIG", "SET", "notify-keyspace-events", "")
        sub.close()
