"""The string command family against the real vellumd: GET SET SETNX SETEX PSETEX MGET MSET
MSETNX GETEX GETDEL GETSET APPEND STRLEN GETRANGE SUBSTR SETRANGE INCR DECR INCRBY DECRBY
INCRBYFLOAT, with Redis 7's reply types and exact error texts.

Replies are read without redis-py's response callbacks (fixture `c`), so an integer reply
stays an int, a bulk string stays bytes and a null stays None. Error texts are compared
whole; redis-py drops the leading "ERR " of an error line, so a few tests also read the
raw wire bytes to check it is there."""
import os
import threading
import time

import pytest

from vellum_harness import Vellumd, error_of

MIB = 1 << 20
INT64_MAX = 2**63 - 1
INT64_MIN = -2**63


def pttl(cl, key):
    return cl.execute_command("PTTL", key)


def wait_gone(cl, key, timeout=2.0):
    """Polls until key no longer exists (bounded); returns True if it went."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cl.execute_command("EXISTS", key) == 0:
            return True
        time.sleep(0.01)
    return False


# ---------------------------------------------------------------- GET / SET

def test_set_then_get_returns_the_value(c):
    assert c.execute_command("SET", "k", "v") == b"OK"
    assert c.execute_command("GET", "k") == b"v"


def test_get_of_a_missing_key_is_null(c):
    assert c.execute_command("GET", "nokey") is None


def test_set_overwrites_and_clears_the_ttl(c):
    c.execute_command("SET", "k", "v1", "EX", "100")
    assert c.execute_command("SET", "k", "v2") == b"OK"
    assert c.execute_command("GET", "k") == b"v2"
    assert pttl(c, "k") == -1


def test_set_nx_sets_only_a_missing_key(c):
    assert c.execute_command("SET", "k", "v1", "NX") == b"OK"
    assert c.execute_command("SET", "k", "v2", "NX") is None
    assert c.execute_command("GET", "k") == b"v1"


def test_set_xx_sets_only_an_existing_key(c):
    assert c.execute_command("SET", "k", "v1", "XX") is None
    assert c.execute_command("EXISTS", "k") == 0
    c.execute_command("SET", "k", "v1")
    assert c.execute_command("SET", "k", "v2", "XX") == b"OK"
    assert c.execute_command("GET", "k") == b"v2"


def test_set_get_returns_the_old_value(c):
    assert c.execute_command("SET", "k", "v1", "GET") is None
    assert c.execute_command("SET", "k", "v2", "GET") == b"v1"
    assert c.execute_command("GET", "k") == b"v2"


def test_set_nx_get_returns_the_old_value_and_does_not_set(c):
    c.execute_command("SET", "k", "old")
    assert c.execute_command("SET", "k", "new", "NX", "GET") == b"old"
    assert c.execute_command("GET", "k") == b"old"
    assert c.execute_command("SET", "k2", "new", "NX", "GET") is None
    assert c.execute_command("GET", "k2") == b"new"


def test_set_xx_get_on_a_missing_key_is_null_and_sets_nothing(c):
    assert c.execute_command("SET", "k", "v", "XX", "GET") is None
    assert c.execute_command("EXISTS", "k") == 0


def test_set_ex_sets_a_ttl_in_seconds(c):
    assert c.execute_command("SET", "k", "v", "EX", "100") == b"OK"
    assert 99_000 <= pttl(c, "k") <= 100_000


def test_set_px_sets_a_ttl_in_milliseconds(c):
    assert c.execute_command("SET", "k", "v", "PX", "50000") == b"OK"
    assert 49_000 <= pttl(c, "k") <= 50_000


def test_set_exat_sets_an_absolute_expiry_in_seconds(c):
    at = int(time.time()) + 100
    assert c.execute_command("SET", "k", "v", "EXAT", str(at)) == b"OK"
    assert 98_000 <= pttl(c, "k") <= 101_000


def test_set_pxat_sets_an_absolute_expiry_in_milliseconds(c):
    at = int(time.time() * 1000) + 50_000
    assert c.execute_command("SET", "k", "v", "PXAT", str(at)) == b"OK"
    assert 48_000 <= pttl(c, "k") <= 50_000


def test_set_exat_in_the_past_leaves_no_key(c):
    assert c.execute_command("SET", "k", "v", "EXAT", "1") == b"OK"
    assert c.execute_command("GET", "k") is None
    assert c.execute_command("EXISTS", "k") == 0


def test_set_px_key_expires(c):
    c.execute_command("SET", "k", "v", "PX", "50")
    assert wait_gone(c, "k")
    assert c.execute_command("GET", "k") is None


def test_set_keepttl_keeps_the_ttl(c):
    c.execute_command("SET", "k", "v1", "EX", "100")
    assert c.execute_command("SET", "k", "v2", "KEEPTTL") == b"OK"
    assert c.execute_command("GET", "k") == b"v2"
    assert 99_000 <= pttl(c, "k") <= 100_000


def test_set_options_are_case_insensitive(c):
    assert c.execute_command("SET", "k", "v", "nx", "Ex", "100") == b"OK"
    assert c.execute_command("set", "k", "v2", "xX", "gEt") == b"v"


@pytest.mark.parametrize("opts", [
    ("NX", "XX"),
    ("XX", "NX"),
    ("EX", "10", "PX", "10"),
    ("PX", "10", "EXAT", "10"),
    ("EXAT", "10", "PXAT", "10"),
    ("KEEPTTL", "EX", "10"),
    ("PX", "10", "KEEPTTL"),
    ("EX",),
    ("EX", "10", "EX"),
    ("PERSIST",),
    ("FOO",),
    ("EX", "abc", "FOO"),  # the syntax error wins over the bad expire value
])
def test_set_conflicting_or_unknown_options_are_a_syntax_error(c, opts):
    assert error_of(c, "SET", "k", "v", *opts) == "syntax error"
    assert c.execute_command("EXISTS", "k") == 0


def test_set_repeated_options_are_allowed_and_the_last_expire_wins(c):
    assert c.execute_command("SET", "k", "v", "EX", "10", "EX", "100") == b"OK"
    assert 99_000 <= pttl(c, "k") <= 100_000
    assert c.execute_command("SET", "k", "v2", "GET", "GET") == b"v"
    assert c.execute_command("SET", "k", "v3", "KEEPTTL", "KEEPTTL") == b"OK"
    assert c.execute_command("SET", "k2", "v", "NX", "NX") == b"OK"


@pytest.mark.parametrize("opts", [
    ("EX", "0"), ("PX", "0"), ("EX", "-1"), ("PX", "-100"), ("EXAT", "0"), ("PXAT", "-5"),
    ("EX", str(INT64_MAX)), ("PX", str(INT64_MAX)), ("EXAT", str(INT64_MAX)),
])
def test_set_invalid_expire_time(c, opts):
    assert error_of(c, "SET", "k", "v", *opts) == "invalid expire time in 'set' command"
    assert c.execute_command("EXISTS", "k") == 0


@pytest.mark.parametrize("value", ["abc", "1.5", "", " 1", "+1", "99999999999999999999"])
def test_set_expire_value_must_be_an_integer(c, value):
    assert error_of(c, "SET", "k", "v", "EX", value) == "value is not an integer or out of range"


def test_set_ex_zero_error_line_on_the_wire(server, c):
    out = server.raw(b"SET k v EX 0\r\n", read_timeout=0.5)
    assert out == b"-ERR invalid expire time in 'set' command\r\n"


def test_set_and_get_wrong_arity(c):
    assert error_of(c, "SET", "k") == "wrong number of arguments for 'set' command"
    assert error_of(c, "GET") == "wrong number of arguments for 'get' command"
    assert error_of(c, "GET", "a", "b") == "wrong number of arguments for 'get' command"


# ---------------------------------------------------------------- SETNX SETEX PSETEX

def test_setnx_sets_a_missing_key_and_returns_1(c):
    assert c.execute_command("SETNX", "k", "v") == 1
    assert c.execute_command("GET", "k") == b"v"


def test_setnx_on_an_existing_key_returns_0_and_keeps_the_value(c):
    c.execute_command("SET", "k", "v", "EX", "100")
    assert c.execute_command("SETNX", "k", "other") == 0
    assert c.execute_command("GET", "k") == b"v"
    assert pttl(c, "k") > 0


def test_setex_sets_value_and_ttl_in_seconds(c):
    assert c.execute_command("SETEX", "k", "100", "v") == b"OK"
    assert c.execute_command("GET", "k") == b"v"
    assert 99_000 <= pttl(c, "k") <= 100_000


def test_psetex_sets_value_and_ttl_in_milliseconds(c):
    assert c.execute_command("PSETEX", "k", "50000", "v") == b"OK"
    assert c.execute_command("GET", "k") == b"v"
    assert 49_000 <= pttl(c, "k") <= 50_000


def test_psetex_key_expires(c):
    c.execute_command("PSETEX", "k", "50", "v")
    assert wait_gone(c, "k")


def test_setex_replaces_an_existing_value_and_ttl(c):
    c.execute_command("SET", "k", "old")
    assert c.execute_command("SETEX", "k", "100", "new") == b"OK"
    assert c.execute_command("GET", "k") == b"new"
    assert pttl(c, "k") > 0


@pytest.mark.parametrize("cmd", ["SETEX", "PSETEX"])
@pytest.mark.parametrize("ttl", ["0", "-1"])
def test_setex_and_psetex_non_positive_ttl_is_invalid_expire_time(c, cmd, ttl):
    assert error_of(c, cmd, "k", ttl, "v") == \
        "invalid expire time in '%s' command" % cmd.lower()
    assert c.execute_command("EXISTS", "k") == 0


def test_setex_ttl_overflow_is_invalid_expire_time(c):
    assert error_of(c, "SETEX", "k", str(INT64_MAX), "v") == \
        "invalid expire time in 'setex' command"
    assert error_of(c, "PSETEX", "k", str(INT64_MAX), "v") == \
        "invalid expire time in 'psetex' command"


@pytest.mark.parametrize("cmd", ["SETEX", "PSETEX"])
def test_setex_and_psetex_ttl_must_be_an_integer(c, cmd):
    assert error_of(c, cmd, "k", "ten", "v") == "value is not an integer or out of range"


def test_setnx_setex_psetex_wrong_arity(c):
    assert error_of(c, "SETNX", "k") == "wrong number of arguments for 'setnx' command"
    assert error_of(c, "SETEX", "k", "10") == "wrong number of arguments for 'setex' command"
    assert error_of(c, "PSETEX", "k", "10", "v", "x") == \
        "wrong number of arguments for 'psetex' command"


# ---------------------------------------------------------------- MGET MSET MSETNX

def test_mget_returns_values_and_nulls_in_order(c):
    c.execute_command("SET", "a", "1")
    c.execute_command("SET", "c", "3")
    assert c.execute_command("MGET", "a", "b", "c", "a") == [b"1", None, b"3", b"1"]


def test_mget_wire_format(server, c):
    c.execute_command("SET", "a", "v")
    assert server.raw(b"MGET a nokey\r\n", read_timeout=0.5) == b"*2\r\n$1\r\nv\r\n$-1\r\n"


def test_mset_sets_every_pair_and_clears_ttls(c):
    c.execute_command("SET", "a", "old", "EX", "100")
    assert c.execute_command("MSET", "a", "1", "b", "2", "c", "3") == b"OK"
    assert c.execute_command("MGET", "a", "b", "c") == [b"1", b"2", b"3"]
    assert pttl(c, "a") == -1


def test_mset_repeated_key_last_value_wins(c):
    assert c.execute_command("MSET", "a", "1", "a", "2") == b"OK"
    assert c.execute_command("GET", "a") == b"2"


@pytest.mark.parametrize("cmd", ["MSET", "MSETNX"])
def test_mset_and_msetnx_odd_argument_count_is_an_arity_error(c, cmd):
    name = cmd.lower()
    assert error_of(c, cmd, "a") == "wrong number of arguments for '%s' command" % name
    assert error_of(c, cmd, "a", "1", "b") == "wrong number of arguments for '%s' command" % name
    assert c.execute_command("EXISTS", "a") == 0


def test_msetnx_sets_all_when_none_exist(c):
    assert c.execute_command("MSETNX", "a", "1", "b", "2") == 1
    assert c.execute_command("MGET", "a", "b") == [b"1", b"2"]


def test_msetnx_sets_nothing_when_any_exists(c):
    c.execute_command("SET", "b", "old")
    assert c.execute_command("MSETNX", "a", "1", "b", "2", "c", "3") == 0
    assert c.execute_command("MGET", "a", "b", "c") == [None, b"old", None]


def test_msetnx_with_a_repeated_new_key_sets_the_last_value(c):
    assert c.execute_command("MSETNX", "a", "1", "a", "2") == 1
    assert c.execute_command("GET", "a") == b"2"


def test_mget_wrong_arity(c):
    assert error_of(c, "MGET") == "wrong number of arguments for 'mget' command"


def test_mset_is_atomic_for_mget(server, c):
    keys = ["atom:%d" % i for i in range(8)]  # several keys, so several shards
    c.execute_command("MSET", *[x for k in keys for x in (k, "0")])
    stop = threading.Event()
    errors = []

    def writer():
        w = server.client()
        n = 0
        try:
            while not stop.is_set() and n < 20000:
                n += 1
                w.execute_command("MSET", *[x for k in keys for x in (k, str(n))])
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)
        finally:
            w.close()

    t = threading.Thread(target=writer)
    t.start()
    try:
        deadline = time.time() + 1.0
        reads = 0
        while time.time() < deadline:
            vals = c.execute_command("MGET", *keys)
            assert len(set(vals)) == 1, vals
            reads += 1
    finally:
        stop.set()
        t.join(timeout=10)
    assert not errors
    assert reads > 10


# ---------------------------------------------------------------- GETEX

def test_getex_without_options_returns_the_value_and_keeps_the_ttl(c):
    c.execute_command("SET", "k", "v", "EX", "100")
    assert c.execute_command("GETEX", "k") == b"v"
    assert 99_000 <= pttl(c, "k") <= 100_000
    c.execute_command("SET", "p", "v")
    assert c.execute_command("GETEX", "p") == b"v"
    assert pttl(c, "p") == -1


def test_getex_of_a_missing_key_is_null(c):
    assert c.execute_command("GETEX", "nokey") is None
    assert c.execute_command("GETEX", "nokey", "EX", "10") is None
    # As Redis: the expire value is not looked at when the key is missing.
    assert c.execute_command("GETEX", "nokey", "EX", "abc") is None


def test_getex_ex_sets_a_ttl(c):
    c.execute_command("SET", "k", "v")
    assert c.execute_command("GETEX", "k", "EX", "100") == b"v"
    assert 99_000 <= pttl(c, "k") <= 100_000


def test_getex_px_sets_a_ttl_and_the_key_expires(c):
    c.execute_command("SET", "k", "v")
    assert c.execute_command("GETEX", "k", "PX", "50") == b"v"
    assert wait_gone(c, "k")


def test_getex_exat_and_pxat_set_an_absolute_expiry(c):
    c.execute_command("SET", "k", "v")
    at = int(time.time()) + 100
    assert c.execute_command("GETEX", "k", "EXAT", str(at)) == b"v"
    assert 98_000 <= pttl(c, "k") <= 101_000
    at_ms = int(time.time() * 1000) + 50_000
    assert c.execute_command("GETEX", "k", "PXAT", str(at_ms)) == b"v"
    assert 48_000 <= pttl(c, "k") <= 50_000


def test_getex_exat_in_the_past_returns_the_value_and_deletes_the_key(c):
    c.execute_command("SET", "k", "v")
    assert c.execute_command("GETEX", "k", "EXAT", "1") == b"v"
    assert c.execute_command("EXISTS", "k") == 0
    c.execute_command("SET", "k", "v")
    assert c.execute_command("GETEX", "k", "PXAT", "1") == b"v"
    assert c.execute_command("EXISTS", "k") == 0


def test_getex_persist_removes_the_ttl(c):
    c.execute_command("SET", "k", "v", "EX", "100")
    assert c.execute_command("GETEX", "k", "PERSIST") == b"v"
    assert pttl(c, "k") == -1
    assert c.execute_command("GETEX", "k", "PERSIST") == b"v"  # no TTL: still fine


@pytest.mark.parametrize("opts", [
    ("KEEPTTL",), ("NX",), ("XX",), ("GET",), ("EX", "10", "PERSIST"), ("PERSIST", "EX", "10"),
    ("EX", "10", "PX", "10"), ("EX",), ("FOO",),
])
def test_getex_bad_options_are_a_syntax_error(c, opts):
    c.execute_command("SET", "k", "v")
    assert error_of(c, "GETEX", "k", *opts) == "syntax error"


@pytest.mark.parametrize("opts", [("EX", "0"), ("PX", "-1"), ("EXAT", "0"), ("PXAT", "0"),
                                  ("EX", str(INT64_MAX))])
def test_getex_invalid_expire_time(c, opts):
    c.execute_command("SET", "k", "v")
    assert error_of(c, "GETEX", "k", *opts) == "invalid expire time in 'getex' command"
    assert pttl(c, "k") == -1


def test_getex_expire_value_must_be_an_integer(c):
    c.execute_command("SET", "k", "v")
    assert error_of(c, "GETEX", "k", "EX", "abc") == "value is not an integer or out of range"


# ---------------------------------------------------------------- GETDEL GETSET

def test_getdel_returns_the_value_and_deletes_the_key(c):
    c.execute_command("SET", "k", "v")
    assert c.execute_command("GETDEL", "k") == b"v"
    assert c.execute_command("EXISTS", "k") == 0
    assert c.execute_command("GETDEL", "k") is None


def test_getdel_wrong_arity(c):
    assert error_of(c, "GETDEL", "a", "b") == "wrong number of arguments for 'getdel' command"


def test_getset_returns_the_old_value_and_sets_the_new(c):
    assert c.execute_command("GETSET", "k", "v1") is None
    assert c.execute_command("GETSET", "k", "v2") == b"v1"
    assert c.execute_command("GET", "k") == b"v2"


def test_getset_clears_the_ttl(c):
    c.execute_command("SET", "k", "v", "EX", "100")
    assert c.execute_command("GETSET", "k", "w") == b"v"
    assert pttl(c, "k") == -1


# ---------------------------------------------------------------- APPEND STRLEN

def test_append_creates_a_missing_key(c):
    assert c.execute_command("APPEND", "k", "hello") == 5
    assert c.execute_command("GET", "k") == b"hello"


def test_append_of_empty_to_a_missing_key_creates_an_empty_string(c):
    assert c.execute_command("APPEND", "k", "") == 0
    assert c.execute_command("EXISTS", "k") == 1
    assert c.execute_command("GET", "k") == b""


def test_append_extends_and_keeps_the_ttl(c):
    c.execute_command("SET", "k", "hello", "EX", "100")
    assert c.execute_command("APPEND", "k", " world") == 11
    assert c.execute_command("GET", "k") == b"hello world"
    assert pttl(c, "k") > 0


def test_strlen(c):
    assert c.execute_command("STRLEN", "nokey") == 0
    c.execute_command("SET", "k", "hello")
    assert c.execute_command("STRLEN", "k") == 5
    c.execute_command("SET", "e", "")
    assert c.execute_command("STRLEN", "e") == 0


# ---------------------------------------------------------------- GETRANGE SUBSTR

@pytest.mark.parametrize("start,end,expected", [
    (0, 4, b"hello"), (0, -1, b"hello world"), (-5, -1, b"world"), (-3, -1, b"rld"),
    (6, 100, b"world"), (-100, 1, b"he"), (0, 0, b"h"), (10, 10, b"d"), (11, 20, b""),
    (5, 2, b""), (-1, -5, b""), (3, -100, b""),
    (-100, -50, b"h"),  # as Redis: both ends clamp to 0

    (str(INT64_MIN), str(INT64_MAX), b"hello world"),
])
def test_getrange(c, start, end, expected):
    c.execute_command("SET", "k", "hello world")
    assert c.execute_command("GETRANGE", "k", start, end) == expected


def test_getrange_of_a_missing_key_or_empty_string_is_an_empty_string(c):
    assert c.execute_command("GETRANGE", "nokey", 0, -1) == b""
    c.execute_command("SET", "e", "")
    assert c.execute_command("GETRANGE", "e", 0, -1) == b""


def test_getrange_missing_key_wire_format_is_an_empty_bulk(server, c):
    assert server.raw(b"GETRANGE nokey 0 -1\r\n", read_timeout=0.5) == b"$0\r\n\r\n"


@pytest.mark.parametrize("args", [("a", "1"), ("0", "b"), ("1.5", "2"), ("0", "")])
def test_getrange_indexes_must_be_integers(c, args):
    c.execute_command("SET", "k", "hello")
    assert error_of(c, "GETRANGE", "k", *args) == "value is not an integer or out of range"
    # Checked before the key is looked up, as Redis does.
    assert error_of(c, "GETRANGE", "nokey", *args) == "value is not an integer or out of range"


def test_substr_is_getrange(c):
    c.execute_command("SET", "k", "hello")
    assert c.execute_command("SUBSTR", "k", 1, 3) == b"ell"
    assert c.execute_command("SUBSTR", "k", -2, -1) == b"lo"


# ---------------------------------------------------------------- SETRANGE

def test_setrange_overwrites_part_of_a_string(c):
    c.execute_command("SET", "k", "Hello World")
    assert c.execute_command("SETRANGE", "k", 6, "Redis") == 11
    assert c.execute_command("GET", "k") == b"Hello Redis"


def test_setrange_pads_with_zero_bytes(c):
    assert c.execute_command("SETRANGE", "k", 5, "x") == 6
    assert c.execute_command("GET", "k") == b"\x00" * 5 + b"x"
    c.execute_command("SET", "s", "ab")
    assert c.execute_command("SETRANGE", "s", 4, "cd") == 6
    assert c.execute_command("GET", "s") == b"ab\x00\x00cd"


def test_setrange_on_a_missing_key_with_an_empty_value_returns_0_and_creates_nothing(c):
    assert c.execute_command("SETRANGE", "k", 10, "") == 0
    assert c.execute_command("EXISTS", "k") == 0


def test_setrange_with_an_empty_value_returns_the_length_unchanged(c):
    c.execute_command("SET", "k", "hello")
    assert c.execute_command("SETRANGE", "k", 100, "") == 5
    assert c.execute_command("SETRANGE", "k", INT64_MAX, "") == 5
    assert c.execute_command("GET", "k") == b"hello"


def test_setrange_keeps_the_ttl(c):
    c.execute_command("SET", "k", "hello", "EX", "100")
    c.execute_command("SETRANGE", "k", 0, "J")
    assert c.execute_command("GET", "k") == b"Jello"
    assert pttl(c, "k") > 0


def test_setrange_negative_offset_is_out_of_range(c):
    assert error_of(c, "SETRANGE", "k", -1, "x") == "offset is out of range"
    c.execute_command("SET", "k", "v")
    assert error_of(c, "SETRANGE", "k", -1, "x") == "offset is out of range"


def test_setrange_offset_must_be_an_integer(c):
    assert error_of(c, "SETRANGE", "k", "abc", "x") == "value is not an integer or out of range"
    assert error_of(c, "SETRANGE", "k", "1.5", "x") == "value is not an integer or out of range"


def test_setrange_huge_offset_exceeds_the_maximum_size(c):
    # Well past the default 512 MB proto-max-bulk-len, including offsets that would overflow.
    for offset in (INT64_MAX, INT64_MAX - 1, 1 << 40):
        assert error_of(c, "SETRANGE", "k", offset, "x") == \
            "string exceeds maximum allowed size (proto-max-bulk-len)"
    assert c.execute_command("EXISTS", "k") == 0


# ---------------------------------------------------------------- size limits

@pytest.fixture(scope="module")
def small_server():
    """A server whose proto-max-bulk-len is 1 MiB (Redis's minimum)."""
    s = Vellumd("--proto-max-bulk-len", "1mb")
    s.start()
    yield s
    s.cleanup()


@pytest.fixture
def sc(small_server):
    cl = small_server.client()
    cl.response_callbacks.clear()
    cl.execute_command("FLUSHALL")
    yield cl
    cl.close()


def test_append_past_proto_max_bulk_len_is_refused(sc):
    sc.execute_command("SET", "k", b"x" * (MIB - 1))
    assert error_of(sc, "APPEND", "k", "ab") == \
        "string exceeds maximum allowed size (proto-max-bulk-len)"
    assert sc.execute_command("STRLEN", "k") == MIB - 1
    assert sc.execute_command("APPEND", "k", "a") == MIB


def test_setrange_past_proto_max_bulk_len_is_refused(sc):
    assert error_of(sc, "SETRANGE", "k", MIB, "x") == \
        "string exceeds maximum allowed size (proto-max-bulk-len)"
    assert sc.execute_command("EXISTS", "k") == 0
    assert sc.execute_command("SETRANGE", "k", MIB - 1, "x") == MIB
    sc.execute_command("SET", "s", "abc")
    assert error_of(sc, "SETRANGE", "s", MIB - 1, "xy") == \
        "string exceeds maximum allowed size (proto-max-bulk-len)"
    assert sc.execute_command("GET", "s") == b"abc"


def test_size_error_line_on_the_wire(small_server, sc):
    out = small_server.raw(b"SETRANGE k 1048576 x\r\n", read_timeout=0.5)
    assert out == b"-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"


# ---------------------------------------------------------------- INCR family

def test_incr_and_decr_on_a_missing_key_start_at_0(c):
    assert c.execute_command("INCR", "a") == 1
    assert c.execute_command("DECR", "b") == -1
    assert c.execute_command("GET", "a") == b"1"
    assert c.execute_command("GET", "b") == b"-1"


def test_incrby_and_decrby(c):
    c.execute_command("SET", "k", "10")
    assert c.execute_command("INCRBY", "k", 5) == 15
    assert c.execute_command("INCRBY", "k", -20) == -5
    assert c.execute_command("DECRBY", "k", 10) == -15
    assert c.execute_command("DECRBY", "k", -15) == 0
    assert c.execute_command("GET", "k") == b"0"


def test_incr_1000_times_gives_1000(c):
    for _ in range(1000):
        c.execute_command("INCR", "counter")
    assert c.execute_command("GET", "counter") == b"1000"


def test_incr_keeps_the_ttl(c):
    c.execute_command("SET", "k", "5", "EX", "100")
    assert c.execute_command("INCR", "k") == 6
    assert c.execute_command("DECRBY", "k", 2) == 4
    assert 99_000 <= pttl(c, "k") <= 100_000


@pytest.mark.parametrize("value", [
    "abc", "", " 1", "1 ", "+1", "1.0", "007", "-0", "0x10", "1e3", "9223372036854775808",
    "-9223372036854775809", "1\x002",
])
def test_incr_of_a_non_integer_value_is_an_error(c, value):
    c.execute_command("SET", "k", value)
    for cmd in (("INCR", "k"), ("DECR", "k"), ("INCRBY", "k", 1), ("DECRBY", "k", 1)):
        assert error_of(c, *cmd) == "value is not an integer or out of range"
    assert c.execute_command("GET", "k") == value.encode()


@pytest.mark.parametrize("cmd", ["INCRBY", "DECRBY"])
@pytest.mark.parametrize("arg", ["abc", "1.5", "", "+1", "9223372036854775808"])
def test_incrby_argument_must_be_an_integer(c, cmd, arg):
    assert error_of(c, cmd, "k", arg) == "value is not an integer or out of range"
    assert c.execute_command("EXISTS", "k") == 0


def test_incr_overflow_is_an_error(c):
    c.execute_command("SET", "k", str(INT64_MAX))
    assert error_of(c, "INCR", "k") == "increment or decrement would overflow"
    assert error_of(c, "INCRBY", "k", 1) == "increment or decrement would overflow"
    assert c.execute_command("GET", "k") == str(INT64_MAX).encode()
    c.execute_command("SET", "m", str(INT64_MIN))
    assert error_of(c, "DECR", "m") == "increment or decrement would overflow"
    assert error_of(c, "INCRBY", "m", -1) == "increment or decrement would overflow"
    assert error_of(c, "DECRBY", "m", 1) == "increment or decrement would overflow"
    c.execute_command("SET", "z", "1")
    assert error_of(c, "INCRBY", "z", INT64_MAX) == "increment or decrement would overflow"


def test_incr_reaches_the_int64_limits(c):
    c.execute_command("SET", "k", str(INT64_MAX - 1))
    assert c.execute_command("INCR", "k") == INT64_MAX
    c.execute_command("SET", "m", str(INT64_MIN + 1))
    assert c.execute_command("DECR", "m") == INT64_MIN
    assert c.execute_command("INCRBY", "n", INT64_MIN) == INT64_MIN


def test_decrby_int64_min_is_decrement_would_overflow(c):
    assert error_of(c, "DECRBY", "k", str(INT64_MIN)) == "decrement would overflow"
    assert c.execute_command("EXISTS", "k") == 0


def test_incr_wire_format_is_an_integer(server, c):
    assert server.raw(b"INCR n\r\nINCRBY n 41\r\n", read_timeout=0.5) == b":1\r\n:42\r\n"


def test_incr_family_wrong_arity(c):
    assert error_of(c, "INCR") == "wrong number of arguments for 'incr' command"
    assert error_of(c, "DECR", "a", "b") == "wrong number of arguments for 'decr' command"
    assert error_of(c, "INCRBY", "a") == "wrong number of arguments for 'incrby' command"
    assert error_of(c, "DECRBY", "a") == "wrong number of arguments for 'decrby' command"
    assert error_of(c, "INCRBYFLOAT", "a") == \
        "wrong number of arguments for 'incrbyfloat' command"


# ---------------------------------------------------------------- INCRBYFLOAT

@pytest.mark.parametrize("start,incr,expected", [
    (None, "1.5", b"1.5"),
    ("10.50", "0.1", b"10.6"),
    ("0.1", "0.2", b"0.3"),
    ("3", "-3", b"0"),
    ("5", "1", b"6"),
    ("1e3", "1", b"1001"),
    ("10.6", "5.0e3", b"5010.60000000000000009"),
    ("5", "-0.0", b"5"),
    (None, "-0.0", b"0"),
    ("-1", "0.25", b"-0.75"),
])
def test_incrbyfloat(c, start, incr, expected):
    if start is not None:
        c.execute_command("SET", "k", start)
    assert c.execute_command("INCRBYFLOAT", "k", incr) == expected
    assert c.execute_command("GET", "k") == expected


def test_incrbyfloat_reply_is_a_bulk_string(server, c):
    assert server.raw(b"INCRBYFLOAT f 10.5\r\n", read_timeout=0.5) == b"$4\r\n10.5\r\n"


def test_incrbyfloat_keeps_the_ttl(c):
    c.execute_command("SET", "k", "1", "EX", "100")
    assert c.execute_command("INCRBYFLOAT", "k", "0.5") == b"1.5"
    assert 99_000 <= pttl(c, "k") <= 100_000


@pytest.mark.parametrize("value", ["abc", "", " 1", "1 ", ".5x", "nan", "1\x00"])
def test_incrbyfloat_of_a_non_float_value_is_an_error(c, value):
    c.execute_command("SET", "k", value)
    assert error_of(c, "INCRBYFLOAT", "k", "1") == "value is not a valid float"
    assert c.execute_command("GET", "k") == value.encode()


@pytest.mark.parametrize("arg", ["abc", "", " 1", "nan", "1.5.5"])
def test_incrbyfloat_argument_must_be_a_float(c, arg):
    assert error_of(c, "INCRBYFLOAT", "k", arg) == "value is not a valid float"
    assert c.execute_command("EXISTS", "k") == 0


@pytest.mark.parametrize("arg", ["inf", "-inf", "+inf"])
def test_incrbyfloat_to_infinity_is_an_error(c, arg):
    c.execute_command("SET", "k", "1")
    assert error_of(c, "INCRBYFLOAT", "k", arg) == "increment would produce NaN or Infinity"
    assert c.execute_command("GET", "k") == b"1"


def test_incrbyfloat_stored_infinity_plus_minus_infinity_is_nan(c):
    c.execute_command("SET", "k", "inf")
    assert error_of(c, "INCRBYFLOAT", "k", "-inf") == "increment would produce NaN or Infinity"


# ---------------------------------------------------------------- binary safety and size

BIN_KEY = b"k\x00\r\n ey\xff"
BIN_VALUE = b"\x00\r\nvalue\r\n\x00\xff\xfe$3\r\n"


def test_binary_safe_keys_and_values(c):
    assert c.execute_command("SET", BIN_KEY, BIN_VALUE) == b"OK"
    assert c.execute_command("GET", BIN_KEY) == BIN_VALUE
    assert c.execute_command("STRLEN", BIN_KEY) == len(BIN_VALUE)
    assert c.execute_command("GET", b"k") is None  # the NUL is part of the key
    assert c.execute_command("APPEND", BIN_KEY, b"\x00\n") == len(BIN_VALUE) + 2
    assert c.execute_command("GETRANGE", BIN_KEY, 0, 2) == b"\x00\r\n"
    assert c.execute_command("MGET", BIN_KEY, b"k\x00") == [BIN_VALUE + b"\x00\n", None]
    assert c.execute_command("GETDEL", BIN_KEY) == BIN_VALUE + b"\x00\n"


def test_binary_safe_mset_and_setrange(c):
    assert c.execute_command("MSET", b"\x00a", b"\r\n", b"\x00b", b"\x00") == b"OK"
    assert c.execute_command("MGET", b"\x00a", b"\x00b") == [b"\r\n", b"\x00"]
    assert c.execute_command("SETRANGE", b"\x00a", 1, b"\x00\r") == 3
    assert c.execute_command("GET", b"\x00a") == b"\r\x00\r"


def test_one_mib_value_round_trip(c):
    value = os.urandom(MIB)
    assert c.execute_command("SET", "big", value) == b"OK"
    assert c.execute_command("GET", "big") == value
    assert c.execute_command("STRLEN", "big") == MIB
    assert c.execute_command("GETRANGE", "big", -10, -1) == value[-10:]
    assert c.execute_command("APPEND", "big", value) == 2 * MIB
    assert c.execute_command("GET", "big") == value + value
    assert c.execute_command("SET", "big", "small") == b"OK"
    assert c.execute_command("GET", "big") == b"small"


# ---------------------------------------------------------------- through redis-cli

def test_cli_set_and_get(server, c):
    assert server.cli("SET", "clikey", "hello") == (0, "OK\n")
    assert server.cli("GET", "clikey") == (0, "hello\n")
    assert server.cli("STRLEN", "clikey") == (0, "5\n")


def test_cli_incr_and_incrbyfloat(server, c):
    assert server.cli("INCR", "clinum") == (0, "1\n")
    assert server.cli("INCRBY", "clinum", "41") == (0, "42\n")
    assert server.cli("INCRBYFLOAT", "clinum", "0.5") == (0, "42.5\n")


def test_cli_mset_and_mget(server, c):
    assert server.cli("MSET", "a", "1", "b", "2") == (0, "OK\n")
    assert server.cli("MGET", "a", "nokey", "b") == (0, "1\n\n2\n")


def test_cli_error_lines(server, c):
    assert server.cli("SET", "k", "v", "EX", "0")[1] == \
        "ERR invalid expire time in 'set' command\n\n"
    assert server.cli("SET", "k", "v", "NX", "XX")[1] == "ERR syntax error\n\n"
    assert server.cli("DECRBY", "k", str(INT64_MIN))[1] == "ERR decrement would overflow\n\n"
