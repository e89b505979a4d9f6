"""The blocking sorted-set pops against the real vellumd: BZPOPMIN BZPOPMAX BZMPOP, with Redis
7.0's replies (RESP2 and RESP3), timeouts, the order blocked clients are served in, keyspace
events and exact error texts, all checked against redis-server 7.0.15.

vellumd spreads connections over several worker threads, so a blocked client and the
connection that adds usually live on different threads: most tests here block one raw
RespConn, wait until the server counts it as blocked (INFO clients blocked_clients), then
ZADD from another connection and read the blocked client's reply with a bounded wait. Every
blocking command has a timeout or is released by the test, and every socket has a read
timeout, so nothing can hang.

Replies are read as exact RESP bytes, or without redis-py's response callbacks (fixture
`c`), so a null stays None. redis-py drops the leading "ERR " of an error line (not
"WRONGTYPE "). Some things Redis 7.0 does that are easy to get wrong, pinned below:
BZPOPMIN/BZPOPMAX reply a flat [key, member, score] whose score is a bulk string in RESP2
and a double in RESP3, while BZMPOP nests [key, [[member, score], ...]]; a timeout is a null
ARRAY (*-1) in RESP2; a client blocked on a zset key stays blocked when the key becomes a
list (and a list waiter when it becomes a zset); any write that creates the zset (ZINCRBY,
ZUNIONSTORE, RENAME...) serves the waiter; an out-of-range timeout is "timeout is
negative"; BZPOPMIN is refused in a script while BZMPOP runs there without blocking."""
import hashlib
import threading
import time

import pytest

from vellum_harness import (blocked_clients, bulk, client_id, error_of, exists, keyevents_during,
                            no_reply, reply, run_threads)

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_FLOAT = "timeout is not a float or out of range"
NEGATIVE = "timeout is negative"
NUMKEYS = "numkeys should be greater than 0"
COUNT = "count should be greater than 0"
NULL_ARRAY = b"*-1\r\n"
RESP3_NULL = b"_\r\n"


def members(cl, key):
    return cl.execute_command("ZRANGE", key, 0, -1)


def score(value, resp3=False):
    """A score as Redis 7.0 sends it: a bulk string, or a RESP3 double."""
    return b"," + value.encode() + b"\r\n" if resp3 else bulk(value)


def popped(key, member, value, resp3=False):
    """The reply of BZPOPMIN/BZPOPMAX: [key, member, score]."""
    return b"*3\r\n" + bulk(key) + bulk(member) + score(value, resp3)


def mpop(key, *member_scores, resp3=False):
    """The reply of BZMPOP: [key, [[member, score], ...]]."""
    pairs = list(zip(member_scores[::2], member_scores[1::2]))
    return (b"*2\r\n" + bulk(key) + b"*%d\r\n" % len(pairs) +
            b"".join(b"*2\r\n" + bulk(m) + score(s, resp3) for m, s in pairs))


# ---------------------------------------------------------------- immediate answers

def test_bzpopmin_and_bzpopmax_answer_at_once_from_their_own_end(c):
    c.execute_command("ZADD", "z", 1, "a", 2, "b", 3, "c")
    assert c.execute_command("BZPOPMIN", "z", 0) == [b"z", b"a", b"1"]
    assert c.execute_command("BZPOPMAX", "z", 1) == [b"z", b"c", b"3"]
    assert members(c, "z") == [b"b"]
    assert c.execute_command("BZPOPMAX", "z", 0) == [b"z", b"b", b"2"]
    assert exists(c, "z") == 0


def test_blocking_pops_take_the_first_non_empty_key_in_argument_order(waiters, c):
    c.execute_command("ZADD", "b", 1, "b1", 2, "b2")
    c.execute_command("ZADD", "c", 5, "c1")
    conn = waiters.open()
    assert conn.call_raw("BZPOPMIN", "a", "c", "b", 0) == popped("c", "c1", "5")
    assert conn.call_raw("BZPOPMAX", "a", "c", "b", 0) == popped("b", "b2", "2")
    assert conn.call_raw("BZPOPMIN", "b", "b", 0) == popped("b", "b1", "1")
    assert c.execute_command("EXISTS", "b", "c") == 0


def test_bzmpop_pops_up_to_count_from_the_first_non_empty_key(waiters, c):
    c.execute_command("ZADD", "a", 1, "x", 2, "y", 3, "z")
    c.execute_command("ZADD", "b", 1.5, "f")
    conn = waiters.open()
    assert conn.call_raw("BZMPOP", 0, 3, "nokey", "a", "b", "MIN") == mpop("a", "x", "1")
    assert conn.call_raw("BZMPOP", 0, 2, "nokey", "a", "MAX", "COUNT", 5) == mpop(
        "a", "z", "3", "y", "2")
    assert conn.call_raw("BZMPOP", "0.5", 1, "b", "min", "count", 9999999999999) == mpop(
        "b", "f", "1.5")
    assert c.execute_command("EXISTS", "a", "b") == 0


def test_immediate_replies_in_resp3_carry_double_scores(waiters, c):
    c.execute_command("ZADD", "z", 1, "a", 2, "b", 3, "c", "2.5", "d")
    conn = waiters.open(resp3=True)
    assert conn.call_raw("BZPOPMIN", "z", 0) == b"*3\r\n$1\r\nz\r\n$1\r\na\r\n,1\r\n"
    assert conn.call_raw("BZPOPMAX", "z", 0) == popped("z", "c", "3", resp3=True)
    assert conn.call_raw("BZMPOP", 0, 1, "z", "MAX", "COUNT", 2) == (
        b"*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\nd\r\n,2.5\r\n*2\r\n$1\r\nb\r\n,2\r\n")


def test_scores_in_pop_replies_use_17_significant_digits(waiters, c):
    # Redis 7.0 formats doubles with "%.17g" in both protocols
    c.execute_command("ZADD", "z", "0.1", "a", "inf", "b", "-inf", "c", "1e20", "d")
    conn = waiters.open()
    assert conn.call_raw("BZPOPMIN", "z", 0) == popped("z", "c", "-inf")
    assert conn.call_raw("BZPOPMIN", "z", 0) == popped("z", "a", "0.10000000000000001")
    conn3 = waiters.open(resp3=True)
    assert conn3.call_raw("BZMPOP", 0, 1, "z", "MAX", "COUNT", 2) == mpop(
        "z", "b", "inf", "d", "1e+20", resp3=True)


# ---------------------------------------------------------------- blocking, then served by a ZADD

def test_bzpopmin_blocks_until_a_zadd_from_another_connection(waiters, c):
    conn = waiters.block("BZPOPMIN", "z", 0)
    assert no_reply(conn)
    assert c.execute_command("ZADD", "z", 7, "hello") == 1
    assert reply(conn) == popped("z", "hello", "7")
    assert exists(c, "z") == 0
    waiters.wait_blocked(0)


def test_a_zadd_of_several_members_serves_its_own_end(waiters, c):
    low = waiters.block("BZPOPMIN", "z", 5)
    assert c.execute_command("ZADD", "z", 3, "c", 1, "a", 2, "b") == 3
    assert reply(low) == popped("z", "a", "1")
    high = waiters.block("BZPOPMAX", "y", 5)
    assert c.execute_command("ZADD", "y", 3, "c", 1, "a", 2, "b") == 3
    assert reply(high) == popped("y", "c", "3")
    assert members(c, "z") == [b"b", b"c"]
    assert members(c, "y") == [b"a", b"b"]


def test_bzmpop_blocked_is_served_up_to_count(waiters, c):
    conn = waiters.block("BZMPOP", 0, 2, "x", "y", "MAX", "COUNT", 2)
    assert c.execute_command("ZADD", "y", 1, "a", 2, "b", 3, "c") == 3
    assert reply(conn) == mpop("y", "c", "3", "b", "2")
    assert members(c, "y") == [b"a"]
    conn = waiters.block("BZMPOP", 0, 1, "m", "MIN", "COUNT", 10, conn=conn)
    assert c.execute_command("ZADD", "m", 1, "a", 2, "b") == 2
    assert reply(conn) == mpop("m", "a", "1", "b", "2")
    assert exists(c, "m") == 0


def test_served_replies_in_resp3(waiters, c):
    conn = waiters.block("BZPOPMAX", "z", 0, resp3=True)
    assert c.execute_command("ZADD", "z", "2.5", "m") == 1
    assert reply(conn) == b"*3\r\n$1\r\nz\r\n$1\r\nm\r\n,2.5\r\n"
    conn = waiters.block("BZMPOP", 0, 1, "z", "MIN", conn=conn)
    assert c.execute_command("ZADD", "z", "2.5", "m") == 1
    assert reply(conn) == b"*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\nm\r\n,2.5\r\n"


def test_a_client_blocked_on_several_keys_is_served_from_the_key_that_gets_members(waiters,
                                                                                    c):
    conn = waiters.block("BZPOPMIN", "k1", "k2", "k3", 0)
    assert c.execute_command("ZADD", "k3", 1, "v") == 1
    assert reply(conn) == popped("k3", "v", "1")
    conn = waiters.block("BZMPOP", 0, 3, "k1", "k2", "k3", "MAX", "COUNT", 3, conn=conn)
    assert c.execute_command("ZADD", "k2", 1, "w", 2, "x") == 2
    assert reply(conn) == mpop("k2", "x", "2", "w", "1")
    assert c.execute_command("EXISTS", "k1", "k2", "k3") == 0


def test_keys_readied_in_one_transaction_serve_the_first_written(waiters, c):
    conn = waiters.block("BZPOPMIN", "k1", "k2", 0)
    p = c.pipeline(transaction=True)
    p.execute_command("ZADD", "k2", 1, "x")
    p.execute_command("ZADD", "k1", 1, "y")
    assert p.execute() == [1, 1]
    assert reply(conn) == popped("k2", "x", "1")
    assert members(c, "k1") == [b"y"]
    assert exists(c, "k2") == 0


def test_an_add_and_pop_in_one_transaction_does_not_wake_a_waiter(waiters, c):
    conn = waiters.block("BZPOPMIN", "z", 0)
    p = c.pipeline(transaction=True)
    p.execute_command("ZADD", "z", 1, "a")
    p.execute_command("ZPOPMIN", "z")
    assert p.execute() == [1, [b"a", b"1"]]
    assert no_reply(conn)
    assert blocked_clients(c) == 1
    assert c.execute_command("ZADD", "z", 2, "b") == 1
    assert reply(conn) == popped("z", "b", "2")


@pytest.mark.parametrize("write,expected", [
    (("ZINCRBY", "k", 5, "m"), ("m", "5")),
    (("ZUNIONSTORE", "k", 1, "src"), ("a", "1")),
    (("ZRANGESTORE", "k", "src", 1, 1), ("b", "2")),
    (("ZDIFFSTORE", "k", 1, "src"), ("a", "1")),
    (("COPY", "src", "k"), ("a", "1")),
    (("RENAME", "src", "k"), ("a", "1")),
], ids=["ZINCRBY", "ZUNIONSTORE", "ZRANGESTORE", "ZDIFFSTORE", "COPY", "RENAME"])
def test_any_write_that_creates_the_zset_serves_the_waiter(waiters, c, write, expected):
    c.execute_command("ZADD", "src", 1, "a", 2, "b")
    conn = waiters.block("BZPOPMIN", "k", 0)
    c.execute_command(*write)
    assert reply(conn) == popped("k", *expected)
    waiters.wait_blocked(0)


# ---------------------------------------------------------------- the other type arrives

def test_a_list_written_to_the_awaited_key_keeps_a_zset_waiter_blocked(waiters, c):
    conn = waiters.block("BZPOPMIN", "k", 0)
    assert c.execute_command("RPUSH", "k", "a") == 1
    c.execute_command("SET", "s", "v")
    c.execute_command("RENAME", "s", "k")
    assert no_reply(conn)
    assert blocked_clients(c) == 1
    c.execute_command("DEL", "k")
    assert c.execute_command("ZADD", "k", 1, "m") == 1
    assert reply(conn) == popped("k", "m", "1")


def test_a_zset_written_to_a_list_waiters_key_keeps_it_blocked(waiters, c):
    # no WRONGTYPE: a BLPOP waiter simply ignores a zset arriving on its key
    conn = waiters.block("BLPOP", "k", 0)
    assert c.execute_command("ZADD", "k", 1, "a") == 1
    assert no_reply(conn)
    assert blocked_clients(c) == 1
    c.execute_command("DEL", "k")
    assert c.execute_command("RPUSH", "k", "v") == 1
    assert reply(conn) == b"*2\r\n$1\r\nk\r\n$1\r\nv\r\n"


def test_a_zadd_serves_the_zset_waiter_and_skips_a_list_waiter_on_the_same_key(waiters, c):
    lister = waiters.block("BLPOP", "k", 0)
    zsetter = waiters.block("BZPOPMAX", "k", 0)
    assert c.execute_command("ZADD", "k", 1, "a", 2, "b") == 2
    assert reply(zsetter) == popped("k", "b", "2")
    assert no_reply(lister)
    assert members(c, "k") == [b"a"]
    waiters.wait_blocked(1)


# ---------------------------------------------------------------- first blocked, first served

def test_waiters_are_served_first_blocked_first_served(waiters, c):
    conns = [waiters.block("BZPOPMIN", "z", 0) for _ in range(3)]
    assert c.execute_command("ZADD", "z", 1, "a", 2, "b", 3, "c") == 3
    assert [reply(conn) for conn in conns] == [popped("z", "a", "1"), popped("z", "b", "2"),
                                               popped("z", "c", "3")]
    assert exists(c, "z") == 0
    waiters.wait_blocked(0)


def test_one_zadd_of_several_members_serves_two_mixed_waiters(waiters, c):
    low = waiters.block("BZPOPMIN", "z", 0)
    high = waiters.block("BZPOPMAX", "z", 0)
    assert c.execute_command("ZADD", "z", 1, "a", 2, "b", 3, "c") == 3
    assert reply(low) == popped("z", "a", "1")
    assert reply(high) == popped("z", "c", "3")
    assert members(c, "z") == [b"b"]
    waiters.wait_blocked(0)


def test_a_single_member_serves_only_the_first_waiter(waiters, c):
    first, second = waiters.block("BZPOPMAX", "z", 0), waiters.block("BZMPOP", 0, 1, "z", "MIN")
    assert c.execute_command("ZADD", "z", 1, "only") == 1
    assert reply(first) == popped("z", "only", "1")
    waiters.wait_blocked(1)
    assert no_reply(second)
    assert exists(c, "z") == 0
    assert c.execute_command("ZADD", "z", 2, "next") == 1
    assert reply(second) == mpop("z", "next", "2")
    waiters.wait_blocked(0)


def test_mixed_blocking_pops_on_one_key_are_served_in_order(waiters, c):
    conns = [waiters.block("BZPOPMIN", "z", 0), waiters.block("BZPOPMAX", "z", 0),
             waiters.block("BZMPOP", 0, 1, "z", "MIN", "COUNT", 2)]
    assert c.execute_command("ZADD", "z", 1, "a", 2, "b", 3, "c", 4, "d", 5, "e") == 5
    assert [reply(conn) for conn in conns] == [
        popped("z", "a", "1"), popped("z", "e", "5"), mpop("z", "b", "2", "c", "3")]
    assert members(c, "z") == [b"d"]


# ---------------------------------------------------------------- timeouts

@pytest.mark.parametrize("args", [
    ("BZPOPMIN", "z", "0.1"), ("BZPOPMAX", "z", "y", "0.1"), ("BZMPOP", "0.1", 1, "z", "MIN"),
    ("BZMPOP", "0.1", 2, "z", "y", "MAX", "COUNT", 3),
], ids=lambda a: " ".join(str(x) for x in a))
def test_timeout_is_a_null_array_after_about_the_timeout(waiters, c, args):
    conn = waiters.open()
    started = time.time()
    assert conn.call_raw(*args) == NULL_ARRAY
    assert 0.08 <= time.time() - started < 2
    assert blocked_clients(c) == 0


@pytest.mark.parametrize("args", [
    ("BZPOPMIN", "z", "0.1"), ("BZPOPMAX", "z", "0.1"), ("BZMPOP", "0.1", 1, "z", "MAX"),
], ids=lambda a: a[0])
def test_timeout_in_resp3_is_null(waiters, c, args):
    conn = waiters.open(resp3=True)
    started = time.time()
    assert conn.call_raw(*args) == RESP3_NULL
    assert 0.08 <= time.time() - started < 2


def test_fractional_timeout_formats(waiters, c):
    conn = waiters.open()
    for timeout in (".05", "5e-2", "+0.05", "0.001"):
        assert conn.call_raw("BZPOPMIN", "z", timeout) == NULL_ARRAY


def test_a_timed_out_client_is_no_longer_blocked(waiters, c):
    conn = waiters.block("BZPOPMIN", "z", "0.3")
    assert reply(conn) == NULL_ARRAY
    waiters.wait_blocked(0)
    assert c.execute_command("ZADD", "z", 1, "a") == 1
    assert members(c, "z") == [b"a"]
    assert conn.call_raw("PING") == b"+PONG\r\n"


TIMEOUT_FORMS = [lambda t: ("BZPOPMIN", "z", t), lambda t: ("BZPOPMAX", "z", "y", t),
                 lambda t: ("BZMPOP", t, 1, "z", "MIN")]


def test_timeout_argument_errors(c):
    for form in TIMEOUT_FORMS:
        for timeout in ("x", "", " 1", "1 ", "nan", "0.1x"):
            assert error_of(c, *form(timeout)) == NOT_FLOAT
        for timeout in ("-1", "-0.1", "-inf"):
            assert error_of(c, *form(timeout)) == NEGATIVE
        # the seconds become a long long of milliseconds; a value that does not fit is negative
        for timeout in ("1e30", "inf", "9223372036854776"):
            assert error_of(c, *form(timeout)) == NEGATIVE


def test_timeout_errors_come_before_the_key_lookup(c):
    c.execute_command("SET", "s", "v")
    c.execute_command("ZADD", "z", 1, "a")
    assert error_of(c, "BZPOPMIN", "s", "x") == NOT_FLOAT
    assert error_of(c, "BZPOPMAX", "z", "-1") == NEGATIVE
    assert error_of(c, "BZMPOP", "x", 1, "z", "MIN") == NOT_FLOAT
    assert members(c, "z") == [b"a"]


def test_bzmpop_argument_errors(c):
    c.execute_command("ZADD", "z", 1, "a")
    for numkeys in (0, -1, "x"):
        assert error_of(c, "BZMPOP", 0, numkeys, "z", "MIN") == NUMKEYS
    assert error_of(c, "BZMPOP", 0, 2, "z", "MIN") == "syntax error"
    assert error_of(c, "BZMPOP", 0, 9999999999, "z", "MIN") == "syntax error"
    for count in (0, -1, "x"):
        assert error_of(c, "BZMPOP", 0, 1, "z", "MIN", "COUNT", count) == COUNT
    for options in (("MIDDLE",), ("MIN", "COUNT"), ("MIN", "COUNT", 1, "COUNT", 1),
                    ("MIN", "FOO"), ("MIDDLE", "COUNT", 0)):
        assert error_of(c, "BZMPOP", 0, 1, "z", *options) == "syntax error"
    # numkeys, direction and count are checked before the timeout
    assert error_of(c, "BZMPOP", "x", 0, "z", "MIN") == NUMKEYS
    assert error_of(c, "BZMPOP", -1, 1, "z", "MIDDLE") == "syntax error"
    assert error_of(c, "BZMPOP", "x", 1, "z", "MIN", "COUNT", 0) == COUNT
    assert members(c, "z") == [b"a"]


@pytest.mark.parametrize("args", [
    ("BZPOPMIN",), ("BZPOPMIN", "k"), ("BZPOPMAX", "k"), ("BZMPOP", "0"), ("BZMPOP", "0", "1"),
    ("BZMPOP", "0", "1", "k"),
], ids=lambda a: " ".join(a))
def test_wrong_arity_is_an_error(c, args):
    assert error_of(c, *args) == "wrong number of arguments for '%s' command" % args[0].lower()


def test_a_non_zset_before_any_non_empty_zset_is_wrongtype(c):
    c.execute_command("SET", "s", "v")
    c.execute_command("SADD", "set", "m")
    c.execute_command("ZADD", "z", 1, "a", 2, "b", 3, "c")
    for args in [("BZPOPMIN", "s", 0), ("BZPOPMAX", "nokey", "set", 0),
                 ("BZMPOP", 0, 2, "nokey", "s", "MIN")]:
        assert error_of(c, *args) == WRONGTYPE
    # the scan stops at the first non-empty zset: a later wrong type is not looked at
    assert c.execute_command("BZPOPMIN", "nokey", "z", "s", 0) == [b"z", b"a", b"1"]
    assert c.execute_command("BZPOPMAX", "z", "s", 0) == [b"z", b"c", b"3"]
    assert c.execute_command("BZMPOP", 0, 2, "z", "s", "MIN") == [b"z", [[b"b", b"2"]]]


# ---------------------------------------------------------------- MULTI, scripts

def test_blocking_pops_inside_multi_do_not_block(waiters, c):
    conn = waiters.open()
    assert conn.call_raw("MULTI") == b"+OK\r\n"
    for cmd in [("BZPOPMIN", "z", 0), ("BZPOPMAX", "z", 10), ("BZMPOP", 0, 1, "z", "MIN")]:
        assert conn.call_raw(*cmd) == b"+QUEUED\r\n"
    started = time.time()
    conn.send("EXEC")
    assert reply(conn, 2) == b"*3\r\n" + NULL_ARRAY * 3
    assert time.time() - started < 2
    assert blocked_clients(c) == 0
    conn3 = waiters.open(resp3=True)
    assert conn3.call_raw("MULTI") == b"+OK\r\n"
    assert conn3.call_raw("BZPOPMIN", "z", 0) == b"+QUEUED\r\n"
    assert conn3.call_raw("BZMPOP", 0, 1, "z", "MAX") == b"+QUEUED\r\n"
    assert conn3.call_raw("EXEC") == b"*2\r\n" + RESP3_NULL * 2


def test_blocking_pops_inside_multi_pop_a_non_empty_zset(waiters, c):
    c.execute_command("ZADD", "z", 1, "a", 2, "b")
    conn = waiters.open()
    assert conn.call_raw("MULTI") == b"+OK\r\n"
    for cmd in [("BZPOPMIN", "z", 0), ("BZMPOP", 0, 1, "z", "MAX", "COUNT", 5),
                ("BZPOPMAX", "z", 0)]:
        assert conn.call_raw(*cmd) == b"+QUEUED\r\n"
    assert conn.call_raw("EXEC") == (
        b"*3\r\n" + popped("z", "a", "1") + mpop("z", "b", "2") + NULL_ARRAY)
    assert exists(c, "z") == 0


def test_bzpopmin_is_refused_in_a_script_but_bzmpop_runs_without_blocking(waiters, c):
    body = "return redis.call('bzpopmin', KEYS[1], 0)"
    sha = hashlib.sha1(body.encode()).hexdigest()
    assert error_of(c, "EVAL", body, 1, "z") == (
        "This Redis command is not allowed from script script: %s, on @user_script:1." % sha)
    conn = waiters.open()
    body = "return redis.call('bzmpop', 0, 1, KEYS[1], 'MIN')"
    assert conn.call_raw("EVAL", body, 1, "z") == b"$-1\r\n"  # the null array became false
    c.execute_command("ZADD", "z", 1, "a")
    assert conn.call_raw("EVAL", body, 1, "z") == mpop("z", "a", "1")
    assert blocked_clients(c) == 0


# ---------------------------------------------------------------- CLIENT UNBLOCK

def test_client_unblock_times_out_a_bzpopmin_waiter(waiters, c):
    conn = waiters.open()
    cid = client_id(conn)
    waiters.block("BZPOPMIN", "z", 0, conn=conn)
    assert c.execute_command("CLIENT", "UNBLOCK", cid) == 1
    assert reply(conn) == NULL_ARRAY
    waiters.wait_blocked(0)
    waiters.block("BZMPOP", 0, 1, "z", "MIN", conn=conn)
    assert c.execute_command("CLIENT", "UNBLOCK", cid, "TIMEOUT") == 1
    assert reply(conn) == NULL_ARRAY
    assert c.execute_command("ZADD", "z", 1, "a") == 1
    assert members(c, "z") == [b"a"]  # nobody is waiting any more
    conn3 = waiters.open(resp3=True)
    cid3 = client_id(conn3)
    waiters.block("BZPOPMAX", "nokey", 0, conn=conn3)
    assert c.execute_command("CLIENT", "UNBLOCK", cid3) == 1
    assert reply(conn3) == RESP3_NULL


def test_client_unblock_with_error(waiters, c):
    conn = waiters.open()
    cid = client_id(conn)
    waiters.block("BZPOPMAX", "z", 0, conn=conn)
    assert c.execute_command("CLIENT", "UNBLOCK", cid, "ERROR") == 1
    assert reply(conn) == b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
    waiters.wait_blocked(0)
    assert conn.call_raw("PING") == b"+PONG\r\n"
    assert c.execute_command("CLIENT", "UNBLOCK", cid, "ERROR") == 0


def test_a_disconnected_waiter_is_skipped_for_the_next_one(waiters, c):
    gone = waiters.block("BZPOPMIN", "z", 0)
    stays = waiters.block("BZPOPMIN", "z", 0)
    gone.close()
    waiters.wait_blocked(1)
    assert c.execute_command("ZADD", "z", 1, "a") == 1
    assert reply(stays) == popped("z", "a", "1")
    assert exists(c, "z") == 0


# ---------------------------------------------------------------- keyspace events

def test_events_when_a_blocked_bzpopmin_is_served(server, waiters, c):
    def action():
        conn = waiters.block("BZPOPMIN", "z", 0)
        c.execute_command("ZADD", "z", 1, "a")
        assert reply(conn) == popped("z", "a", "1")

    assert keyevents_during(server, c, action, 3) == [(b"zadd", b"z"), (b"zpopmin", b"z"),
                                                   (b"del", b"z")]


def test_events_when_two_blocked_clients_are_served_by_one_zadd(server, waiters, c):
    def action():
        low = waiters.block("BZPOPMIN", "z", 0)
        high = waiters.block("BZMPOP", 0, 1, "z", "MAX", "COUNT", 2)
        c.execute_command("ZADD", "z", 1, "a", 2, "b", 3, "c", 4, "d")
        assert reply(low) == popped("z", "a", "1")
        assert reply(high) == mpop("z", "d", "4", "c", "3")

    assert keyevents_during(server, c, action, 3) == [(b"zadd", b"z"), (b"zpopmin", b"z"),
                                                   (b"zpopmax", b"z")]


# ---------------------------------------------------------------- concurrency

def test_a_zadd_pusher_racing_blocked_clients_delivers_every_member_once(server, waiters, c):
    """4 clients loop BZPOPMIN q 1 on their own connections while one connection ZADDs 200
    members one at a time: every member arrives exactly once, with its own score."""
    total, got, lock = 200, [], threading.Lock()
    deadline = time.time() + 8

    def consumer():
        cl = server.client(socket_timeout=5)
        cl.response_callbacks.clear()
        try:
            while time.time() < deadline:
                with lock:
                    if len(got) >= total:
                        return
                item = cl.execute_command("BZPOPMIN", "q", 1)
                if item is not None:
                    assert item[0] == b"q"
                    with lock:
                        got.append((item[1], item[2]))
        finally:
            cl.close()

    def producer():
        cl = server.client(socket_timeout=5)
        try:
            for i in range(total):
                cl.execute_command("ZADD", "q", i, b"m%d" % i)
        finally:
            cl.close()

    run_threads([consumer] * 4 + [producer], timeout=10)
    assert sorted(got) == sorted((b"m%d" % i, b"%d" % i) for i in range(total))
    assert exists(c, "q") == 0


def test_waiters_on_several_threads_each_get_one_of_concurrent_zadds(server, waiters, c):
    """8 blocked clients, then 8 connections add one member each at the same time: each
    blocked client gets exactly one member and none is left."""
    conns = [waiters.block("BZPOPMAX", "q", 5) for _ in range(8)]

    def adder(n):
        def run():
            cl = server.client(socket_timeout=5)
            try:
                cl.execute_command("ZADD", "q", n, b"v%d" % n)
            finally:
                cl.close()
        return run

    run_threads([adder(n) for n in range(8)], timeout=10)
    replies = [reply(conn) for conn in conns]
    assert sorted(replies) == sorted(popped("q", "v%d" % n, str(n)) for n in range(8))
    assert exists(c, "q") == 0
    waiters.wait_blocked(0)
