"""The blocking list commands against the real vellumd: BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP,
with Redis 7.0's replies (RESP2 and RESP3), timeouts, the order blocked clients are served
in, keyspace events and exact error texts, all checked against redis-server 7.0.15.

vellumd spreads connections over several worker threads, so a blocked client and the
connection that pushes usually live on different threads: most tests here block one raw
RespConn, wait until the server counts it as blocked (INFO clients blocked_clients), then
push from another connection and read the blocked client's reply with a bounded wait.

Replies are read as exact RESP bytes, or without redis-py's response callbacks (fixture
`c`), so a null stays None. redis-py drops the leading "ERR " of an error line (not
"WRONGTYPE "). Some things Redis 7.0 does that are easy to get wrong, pinned below:
a timed-out BLMOVE/BRPOPLPUSH replies a null ARRAY (*-1), while inside MULTI it replies a
null bulk ($-1); a client blocked in BLMOVE whose destination became a string gets
WRONGTYPE when the source is pushed to, and the element stays in the source; BLPOP, BRPOP,
BLMOVE and BRPOPLPUSH are refused in scripts but BLMPOP runs there without blocking; an
out-of-range timeout ("1e30", "inf") is reported as "timeout is negative"."""
import hashlib
import threading
import time

import pytest

from vellum_harness import (blocked_clients, bulk, client_id, error_of, exists, keyevents_during,
                            no_reply, pusher, reply, run_threads, wait_for)

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
WRONGTYPE_LINE = b"-" + WRONGTYPE.encode() + b"\r\n"
NOT_FLOAT = "timeout is not a float or out of range"
NEGATIVE = "timeout is negative"
NULL_ARRAY = b"*-1\r\n"
NULL_BULK = b"$-1\r\n"
RESP3_NULL = b"_\r\n"


def items(cl, key):
    return cl.execute_command("LRANGE", key, 0, -1)


def pair(key, element):
    """The RESP2/RESP3 reply of BLPOP/BRPOP: [key, element]."""
    return b"*2\r\n" + bulk(key) + bulk(element)


def mpop(key, *elements):
    """The reply of BLMPOP: [key, [elements...]]."""
    return b"*2\r\n" + bulk(key) + b"*%d\r\n" % len(elements) + b"".join(map(bulk, elements))


# ---------------------------------------------------------------- immediate answers

def test_blpop_and_brpop_answer_at_once_from_their_own_end(c):
    c.execute_command("RPUSH", "l", "a", "b", "c", "d")
    assert c.execute_command("BLPOP", "l", 0) == [b"l", b"a"]
    assert c.execute_command("BRPOP", "l", 1) == [b"l", b"d"]
    assert items(c, "l") == [b"b", b"c"]


def test_blocking_pops_take_the_first_non_empty_key_in_argument_order(waiters, c):
    c.execute_command("RPUSH", "b", "1", "2")
    c.execute_command("RPUSH", "c", "3")
    conn = waiters.open()
    assert conn.call_raw("BLPOP", "a", "c", "b", 0) == pair("c", "3")
    assert conn.call_raw("BRPOP", "a", "c", "b", 0) == pair("b", "2")
    assert items(c, "b") == [b"1"]
    assert exists(c, "c") == 0


def test_blocking_pop_of_the_last_element_deletes_the_key(c):
    c.execute_command("RPUSH", "l", "a")
    assert c.execute_command("BRPOP", "l", 0) == [b"l", b"a"]
    assert exists(c, "l") == 0


def test_blmpop_pops_up_to_count_from_the_first_non_empty_key(waiters, c):
    c.execute_command("RPUSH", "a", "1", "2", "3")
    c.execute_command("RPUSH", "b", "x", "y")
    conn = waiters.open()
    assert conn.call_raw("BLMPOP", 0, 3, "nokey", "b", "a", "LEFT") == mpop("b", "x")
    assert conn.call_raw("BLMPOP", 0, 2, "nokey", "a", "RIGHT", "COUNT", 2) == mpop("a", "3", "2")
    assert conn.call_raw("BLMPOP", 1, 2, "a", "b", "left", "count", 9) == mpop("a", "1")
    assert exists(c, "a") == 0
    assert items(c, "b") == [b"y"]


@pytest.mark.parametrize("wherefrom,whereto,moved,src,dst", [
    ("LEFT", "LEFT", b"a", [b"b", b"c"], [b"a", b"x"]),
    ("LEFT", "RIGHT", b"a", [b"b", b"c"], [b"x", b"a"]),
    ("RIGHT", "LEFT", b"c", [b"a", b"b"], [b"c", b"x"]),
    ("RIGHT", "RIGHT", b"c", [b"a", b"b"], [b"x", b"c"]),
])
def test_blmove_moves_at_once_when_the_source_has_elements(c, wherefrom, whereto, moved, src,
                                                           dst):
    c.execute_command("RPUSH", "src", "a", "b", "c")
    c.execute_command("RPUSH", "dst", "x")
    assert c.execute_command("BLMOVE", "src", "dst", wherefrom, whereto, 0) == moved
    assert items(c, "src") == src
    assert items(c, "dst") == dst


def test_brpoplpush_moves_tail_to_head_and_creates_the_destination(c):
    c.execute_command("RPUSH", "src", "a", "b")
    assert c.execute_command("BRPOPLPUSH", "src", "dst", 0) == b"b"
    assert c.execute_command("BRPOPLPUSH", "src", "dst", 0) == b"a"
    assert exists(c, "src") == 0
    assert items(c, "dst") == [b"a", b"b"]


def test_blmove_within_one_list_rotates_at_once(c):
    c.execute_command("RPUSH", "l", "a", "b", "c")
    assert c.execute_command("BLMOVE", "l", "l", "LEFT", "RIGHT", 0) == b"a"
    assert c.execute_command("BRPOPLPUSH", "l", "l", 0) == b"a"
    assert items(c, "l") == [b"a", b"b", b"c"]


def test_immediate_replies_in_resp3(waiters, c):
    c.execute_command("RPUSH", "l", "a", "b", "c", "d")
    conn = waiters.open(resp3=True)
    assert conn.call_raw("BLPOP", "l", 0) == pair("l", "a")
    assert conn.call_raw("BRPOP", "l", 0) == pair("l", "d")
    assert conn.call_raw("BLMOVE", "l", "l", "LEFT", "RIGHT", 0) == bulk("b")
    assert conn.call_raw("BLMPOP", 0, 1, "l", "LEFT", "COUNT", 5) == mpop("l", "c", "b")


# ---------------------------------------------------------------- blocking, then served by a push

def test_blpop_blocks_until_a_push_from_another_connection(waiters, c):
    conn = waiters.block("BLPOP", "q", 0)
    assert no_reply(conn)
    assert c.execute_command("RPUSH", "q", "hello") == 1
    assert reply(conn) == pair("q", "hello")
    assert exists(c, "q") == 0
    assert c.execute_command("LLEN", "q") == 0
    waiters.wait_blocked(0)


def test_a_waiter_with_a_timeout_is_served_before_it(waiters, c):
    started = time.time()
    conn = waiters.block("BLPOP", "q", 5)
    assert c.execute_command("LPUSH", "q", "v") == 1
    assert reply(conn) == pair("q", "v")
    assert time.time() - started < 4


def test_brpop_served_by_a_multi_element_push_takes_the_tail(waiters, c):
    conn = waiters.block("BRPOP", "q", 0)
    assert c.execute_command("RPUSH", "q", "a", "b", "c") == 3
    assert reply(conn) == pair("q", "c")
    assert items(c, "q") == [b"a", b"b"]


def test_lpush_of_several_elements_serves_the_new_head(waiters, c):
    conn = waiters.block("BLPOP", "q", 0)
    assert c.execute_command("LPUSH", "q", "a", "b", "c") == 3
    assert reply(conn) == pair("q", "c")
    assert items(c, "q") == [b"b", b"a"]


def test_blmpop_blocked_is_served_up_to_count(waiters, c):
    conn = waiters.block("BLMPOP", 0, 2, "x", "y", "RIGHT", "COUNT", 2)
    assert c.execute_command("RPUSH", "y", "1", "2", "3") == 3
    assert reply(conn) == mpop("y", "3", "2")
    assert items(c, "y") == [b"1"]
    conn = waiters.block("BLMPOP", 0, 1, "m", "LEFT", "COUNT", 10)
    assert c.execute_command("LPUSH", "m", "1", "2", "3") == 3
    assert reply(conn) == mpop("m", "3", "2", "1")
    assert exists(c, "m") == 0


def test_a_client_blocked_on_several_keys_is_served_by_a_push_to_any(waiters, c):
    conn = waiters.block("BLPOP", "k1", "k2", "k3", 0)
    assert c.execute_command("RPUSH", "k3", "v") == 1
    assert reply(conn) == pair("k3", "v")
    conn = waiters.block("BRPOP", "k1", "k2", "k3", 0, conn=conn)
    assert c.execute_command("RPUSH", "k2", "w") == 1
    assert reply(conn) == pair("k2", "w")
    assert c.execute_command("EXISTS", "k1", "k2", "k3") == 0


def test_keys_readied_in_one_transaction_serve_the_first_pushed(waiters, c):
    conn = waiters.block("BLPOP", "k1", "k2", 0)
    p = c.pipeline(transaction=True)
    p.execute_command("RPUSH", "k2", "x")
    p.execute_command("RPUSH", "k1", "y")
    assert p.execute() == [1, 1]
    assert reply(conn) == pair("k2", "x")
    assert items(c, "k1") == [b"y"]
    assert exists(c, "k2") == 0


def test_a_duplicated_key_serves_the_client_once(waiters, c):
    conn = waiters.block("BLPOP", "q", "q", 0)
    assert c.execute_command("RPUSH", "q", "a", "b") == 2
    assert reply(conn) == pair("q", "a")
    assert items(c, "q") == [b"b"]
    waiters.wait_blocked(0)


def test_a_push_and_pop_in_one_transaction_does_not_wake_a_waiter(waiters, c):
    conn = waiters.block("BLPOP", "q", 0)
    p = c.pipeline(transaction=True)
    p.execute_command("RPUSH", "q", "a")
    p.execute_command("LPOP", "q")
    assert p.execute() == [1, b"a"]
    assert no_reply(conn)
    assert blocked_clients(c) == 1
    p = c.pipeline(transaction=True)
    p.execute_command("RPUSH", "q", "a")
    p.execute_command("DEL", "q")
    p.execute_command("RPUSH", "q", "b")
    assert p.execute() == [1, 1, 1]
    assert reply(conn) == pair("q", "b")
    assert exists(c, "q") == 0


def test_a_string_written_to_the_awaited_key_keeps_the_client_blocked(waiters, c):
    conn = waiters.block("BLPOP", "q", 0)
    c.execute_command("SET", "q", "str")
    assert no_reply(conn)
    assert blocked_clients(c) == 1
    c.execute_command("DEL", "q")
    assert c.execute_command("RPUSH", "q", "x") == 1
    assert reply(conn) == pair("q", "x")


# ---------------------------------------------------------------- FIFO

def test_waiters_are_served_first_blocked_first_served(waiters, c):
    conns = [waiters.block("BLPOP", "q", 0) for _ in range(3)]
    assert c.execute_command("RPUSH", "q", "a", "b", "c") == 3
    assert [reply(conn) for conn in conns] == [pair("q", "a"), pair("q", "b"), pair("q", "c")]
    assert exists(c, "q") == 0
    waiters.wait_blocked(0)


def test_separate_pushes_serve_the_waiters_in_order(waiters, c):
    conns = [waiters.block("BRPOP", "q", 0) for _ in range(3)]
    for value in (b"a", b"b", b"c"):
        assert c.execute_command("RPUSH", "q", value) == 1
    assert [reply(conn) for conn in conns] == [pair("q", "a"), pair("q", "b"), pair("q", "c")]


def test_a_single_element_serves_only_the_first_waiter(waiters, c):
    first, second, third = (waiters.block("BLPOP", "q", 0) for _ in range(3))
    assert blocked_clients(c) == 3
    assert c.execute_command("RPUSH", "q", "only") == 1
    assert reply(first) == pair("q", "only")
    waiters.wait_blocked(2)
    assert no_reply(second) and no_reply(third, 0.05)
    assert exists(c, "q") == 0
    assert c.execute_command("RPUSH", "q", "next") == 1
    assert reply(second) == pair("q", "next")
    assert no_reply(third)
    waiters.wait_blocked(1)


def test_more_elements_than_waiters_leaves_the_rest(waiters, c):
    conns = [waiters.block("BRPOP", "q", 0) for _ in range(2)]
    assert c.execute_command("RPUSH", "q", "a", "b", "c") == 3
    assert [reply(conn) for conn in conns] == [pair("q", "c"), pair("q", "b")]
    assert items(c, "q") == [b"a"]
    waiters.wait_blocked(0)


def test_mixed_blocking_commands_on_one_key_are_served_in_order(waiters, c):
    conns = [waiters.block("BLPOP", "q", 0), waiters.block("BRPOP", "q", 0),
             waiters.block("BLMPOP", 0, 1, "q", "LEFT", "COUNT", 2),
             waiters.block("BLMOVE", "q", "d", "RIGHT", "LEFT", 0)]
    assert c.execute_command("RPUSH", "q", "a", "b", "c", "d", "e", "f") == 6
    assert [reply(conn) for conn in conns] == [pair("q", "a"), pair("q", "f"),
                                               mpop("q", "b", "c"), bulk("e")]
    assert items(c, "q") == [b"d"]
    assert items(c, "d") == [b"e"]


# ------------------------------------------------------- BLMOVE BRPOPLPUSH served by a push

@pytest.mark.parametrize("wherefrom,whereto,moved,src,dst", [
    ("LEFT", "LEFT", b"a", [b"b"], [b"a", b"x"]),
    ("LEFT", "RIGHT", b"a", [b"b"], [b"x", b"a"]),
    ("RIGHT", "LEFT", b"b", [b"a"], [b"b", b"x"]),
    ("RIGHT", "RIGHT", b"b", [b"a"], [b"x", b"b"]),
])
def test_blmove_served_by_a_push_into_an_existing_destination(waiters, c, wherefrom, whereto,
                                                              moved, src, dst):
    c.execute_command("RPUSH", "dst", "x")
    conn = waiters.block("BLMOVE", "src", "dst", wherefrom, whereto, 0)
    assert c.execute_command("RPUSH", "src", "a", "b") == 2
    assert reply(conn) == bulk(moved)
    assert items(c, "src") == src
    assert items(c, "dst") == dst


def test_blmove_served_by_a_push_creates_the_destination(waiters, c):
    conn = waiters.block("BLMOVE", "src", "dst", "LEFT", "RIGHT", 0)
    assert c.execute_command("RPUSH", "src", "a") == 1
    assert reply(conn) == bulk("a")
    assert exists(c, "src") == 0
    assert items(c, "dst") == [b"a"]
    assert c.execute_command("TYPE", "dst") == b"list"


def test_brpoplpush_served_by_a_push(waiters, c):
    conn = waiters.block("BRPOPLPUSH", "src", "dst", 0)
    assert c.execute_command("RPUSH", "src", "a", "b") == 2
    assert reply(conn) == bulk("b")
    assert items(c, "src") == [b"a"]
    assert items(c, "dst") == [b"b"]


def test_blmove_with_the_same_source_and_destination_served_by_a_push(waiters, c):
    conn = waiters.block("BLMOVE", "l", "l", "LEFT", "RIGHT", 0)
    assert c.execute_command("RPUSH", "l", "a") == 1
    assert reply(conn) == bulk("a")
    assert items(c, "l") == [b"a"]
    conn = waiters.block("BRPOPLPUSH", "m", "m", 0, conn=conn)
    assert c.execute_command("RPUSH", "m", "a", "b") == 2
    assert reply(conn) == bulk("b")
    assert items(c, "m") == [b"b", b"a"]


@pytest.mark.parametrize("blmove_first", [True, False], ids=["blmove-first", "blpop-first"])
def test_a_push_to_the_source_serves_a_blmove_and_the_client_awaiting_its_destination(
        waiters, c, blmove_first):
    """A BLMOVE a->b is blocked, and so is a BLPOP on b: one push to a serves the BLMOVE, whose
    push to b then serves the BLPOP, whichever blocked first."""
    if blmove_first:
        mover = waiters.block("BLMOVE", "a", "b", "LEFT", "RIGHT", 0)
        popper = waiters.block("BLPOP", "b", 0)
    else:
        popper = waiters.block("BLPOP", "b", 0)
        mover = waiters.block("BLMOVE", "a", "b", "LEFT", "RIGHT", 0)
    assert c.execute_command("RPUSH", "a", "x") == 1
    assert reply(mover) == bulk("x")
    assert reply(popper) == pair("b", "x")
    assert c.execute_command("EXISTS", "a", "b") == 0
    waiters.wait_blocked(0)


def test_a_chain_of_brpoplpush_clients_passes_the_element_along(waiters, c):
    first = waiters.block("BRPOPLPUSH", "l1", "l2", 0)
    second = waiters.block("BRPOPLPUSH", "l2", "l3", 0)
    assert c.execute_command("RPUSH", "l1", "v") == 1
    assert reply(first) == bulk("v")
    assert reply(second) == bulk("v")
    assert c.execute_command("EXISTS", "l1", "l2") == 0
    assert items(c, "l3") == [b"v"]


# ---------------------------------------------------------------- timeouts

def test_blpop_timeout_is_a_null_array_after_about_the_timeout(waiters, c):
    conn = waiters.open()
    started = time.time()
    assert conn.call_raw("BLPOP", "q", "0.1") == NULL_ARRAY
    assert 0.08 <= time.time() - started < 2
    assert blocked_clients(c) == 0
    assert exists(c, "q") == 0


@pytest.mark.parametrize("args", [
    ("BLPOP", "q", "0.1"), ("BRPOP", "q", "q2", "0.1"), ("BLMPOP", "0.1", 1, "q", "LEFT"),
    ("BLMPOP", "0.1", 2, "q", "q2", "RIGHT", "COUNT", 3),
    ("BLMOVE", "q", "d", "LEFT", "RIGHT", "0.1"), ("BRPOPLPUSH", "q", "d", "0.1"),
], ids=lambda a: " ".join(str(x) for x in a))
def test_timeout_in_resp2_is_a_null_array_for_every_command(waiters, c, args):
    """Even BLMOVE and BRPOPLPUSH, whose non-blocking replies are bulk strings, time out
    with *-1."""
    conn = waiters.open()
    started = time.time()
    assert conn.call_raw(*args) == NULL_ARRAY
    assert 0.08 <= time.time() - started < 2
    assert exists(c, "d") == 0


@pytest.mark.parametrize("args", [
    ("BLPOP", "q", "0.1"), ("BRPOP", "q", "0.1"), ("BLMPOP", "0.1", 1, "q", "LEFT"),
    ("BLMOVE", "q", "d", "LEFT", "RIGHT", "0.1"), ("BRPOPLPUSH", "q", "d", "0.1"),
], ids=lambda a: a[0])
def test_timeout_in_resp3_is_null(waiters, c, args):
    conn = waiters.open(resp3=True)
    started = time.time()
    assert conn.call_raw(*args) == RESP3_NULL
    assert 0.08 <= time.time() - started < 2


@pytest.mark.parametrize("timeout", [".05", "5e-2", "+0.05", "0.001"])
def test_fractional_timeout_formats(waiters, c, timeout):
    conn = waiters.open()
    started = time.time()
    assert conn.call_raw("BLPOP", "q", timeout) == NULL_ARRAY
    assert time.time() - started < 2


def test_blmove_timeout_does_not_look_at_the_destination(waiters, c):
    c.execute_command("SET", "dst", "str")
    conn = waiters.open()
    assert conn.call_raw("BLMOVE", "nokey", "dst", "LEFT", "LEFT", "0.05") == NULL_ARRAY
    assert conn.call_raw("BRPOPLPUSH", "nokey", "dst", "0.05") == NULL_ARRAY
    assert c.execute_command("GET", "dst") == b"str"


def test_a_timed_out_client_is_no_longer_blocked(waiters, c):
    conn = waiters.block("BLPOP", "q", "0.3")
    assert reply(conn) == NULL_ARRAY
    waiters.wait_blocked(0)
    assert c.execute_command("RPUSH", "q", "a") == 1
    assert items(c, "q") == [b"a"]
    assert conn.call_raw("PING") == b"+PONG\r\n"


# ---------------------------------------------------------------- argument errors

TIMEOUT_FORMS = [
    lambda t: ("BLPOP", "q", t), lambda t: ("BRPOP", "q", t),
    lambda t: ("BLMOVE", "q", "d", "LEFT", "RIGHT", t), lambda t: ("BRPOPLPUSH", "q", "d", t),
    lambda t: ("BLMPOP", t, 1, "q", "LEFT"),
]


@pytest.mark.parametrize("timeout", ["x", "", "1.5abc", " 1", "1 ", "nan"])
def test_timeout_that_is_not_a_float(c, timeout):
    for form in TIMEOUT_FORMS:
        assert error_of(c, *form(timeout)) == NOT_FLOAT


@pytest.mark.parametrize("timeout", ["-1", "-0.1", "-inf", "-1e400"])
def test_negative_timeout(c, timeout):
    for form in TIMEOUT_FORMS:
        assert error_of(c, *form(timeout)) == NEGATIVE


@pytest.mark.parametrize("timeout", ["1e30", "9223372036854776", "inf", "1e400"])
def test_out_of_range_timeout_is_reported_as_negative(c, timeout):
    """Redis 7.0 turns the seconds into a long long of milliseconds; a value that does not
    fit comes out negative."""
    for form in TIMEOUT_FORMS:
        assert error_of(c, *form(timeout)) == NEGATIVE


def test_timeout_errors_come_before_the_key_lookup(c):
    c.execute_command("SET", "s", "v")
    c.execute_command("RPUSH", "l", "a")
    assert error_of(c, "BLPOP", "s", "x") == NOT_FLOAT
    assert error_of(c, "BRPOP", "l", "-1") == NEGATIVE
    assert error_of(c, "BLMOVE", "l", "s", "LEFT", "LEFT", "x") == NOT_FLOAT
    assert error_of(c, "BLMPOP", "x", 1, "s", "LEFT") == NOT_FLOAT
    assert items(c, "l") == [b"a"]


def test_blmove_direction_syntax_error_comes_before_the_timeout(c):
    c.execute_command("RPUSH", "l", "a")
    assert error_of(c, "BLMOVE", "l", "d", "UP", "RIGHT", 0) == "syntax error"
    assert error_of(c, "BLMOVE", "l", "d", "LEFT", "DOWN", 0) == "syntax error"
    assert error_of(c, "BLMOVE", "l", "d", "UP", "RIGHT", "x") == "syntax error"
    assert items(c, "l") == [b"a"]


def test_blmpop_numkeys_errors(c):
    c.execute_command("RPUSH", "a", "1")
    assert error_of(c, "BLMPOP", 0, 0, "a", "LEFT") == "numkeys should be greater than 0"
    assert error_of(c, "BLMPOP", 0, -1, "a", "LEFT") == "numkeys should be greater than 0"
    assert error_of(c, "BLMPOP", 0, "x", "a", "LEFT") == "numkeys should be greater than 0"
    assert error_of(c, "BLMPOP", 0, 2, "a", "LEFT") == "syntax error"
    assert error_of(c, "BLMPOP", 0, 3, "a", "LEFT") == "syntax error"
    assert error_of(c, "BLMPOP", 0, 9999999999999, "a", "LEFT") == "syntax error"
    assert items(c, "a") == [b"1"]


def test_blmpop_count_errors(c):
    c.execute_command("RPUSH", "a", "1")
    for count in (0, -1, "x"):
        assert error_of(c, "BLMPOP", 0, 1, "a", "LEFT", "COUNT", count) == (
            "count should be greater than 0")
    assert error_of(c, "BLMPOP", 0, 1, "nokey", "LEFT", "COUNT", 0) == (
        "count should be greater than 0")
    assert items(c, "a") == [b"1"]


def test_blmpop_syntax_errors(c):
    c.execute_command("RPUSH", "a", "1")
    assert error_of(c, "BLMPOP", 0, 1, "a", "MIDDLE") == "syntax error"
    assert error_of(c, "BLMPOP", 0, 1, "a", "LEFT", "COUNT") == "syntax error"
    assert error_of(c, "BLMPOP", 0, 1, "a", "LEFT", "COUNT", 1, "COUNT", 1) == "syntax error"
    assert error_of(c, "BLMPOP", 0, 1, "a", "LEFT", "FOO") == "syntax error"
    assert error_of(c, "BLMPOP", 0, 1, "a", "MIDDLE", "COUNT", 0) == "syntax error"
    assert items(c, "a") == [b"1"]


def test_blmpop_checks_numkeys_count_and_syntax_before_the_timeout(c):
    assert error_of(c, "BLMPOP", "x", 0, "a", "LEFT") == "numkeys should be greater than 0"
    assert error_of(c, "BLMPOP", -1, 1, "a", "MIDDLE") == "syntax error"
    assert error_of(c, "BLMPOP", "x", 1, "a", "LEFT", "COUNT", 0) == (
        "count should be greater than 0")
    assert error_of(c, "BLMPOP", -1, 1, "a", "LEFT") == NEGATIVE


@pytest.mark.parametrize("args", [
    ("BLPOP",), ("BLPOP", "k"), ("BRPOP",), ("BRPOP", "k"), ("BLMOVE", "a", "b", "LEFT"),
    ("BLMOVE", "a", "b", "LEFT", "RIGHT"), ("BLMOVE", "a", "b", "LEFT", "RIGHT", "1", "x"),
    ("BRPOPLPUSH", "a", "b"), ("BRPOPLPUSH", "a", "b", "1", "c"), ("BLMPOP", "0"),
    ("BLMPOP", "0", "1"), ("BLMPOP", "0", "1", "k"),
], ids=lambda a: " ".join(a))
def test_wrong_arity_is_an_error(c, args):
    assert error_of(c, *args) == "wrong number of arguments for '%s' command" % args[0].lower()


# ---------------------------------------------------------------- WRONGTYPE

@pytest.mark.parametrize("args", [
    ("BLPOP", "s", 0), ("BRPOP", "s", 0), ("BLPOP", "nokey", "s", 0),
    ("BRPOP", "nokey", "s", "l", 0),
    ("BLMOVE", "s", "d", "LEFT", "RIGHT", 0), ("BRPOPLPUSH", "s", "d", 0),
    ("BLMPOP", 0, 2, "nokey", "s", "LEFT"),
], ids=lambda a: " ".join(str(x) for x in a))
def test_a_string_before_any_non_empty_list_is_wrongtype(c, args):
    c.execute_command("SET", "s", "v")
    c.execute_command("RPUSH", "l", "a")
    assert error_of(c, *args) == WRONGTYPE
    assert c.execute_command("GET", "s") == b"v"
    assert items(c, "l") == [b"a"]
    assert exists(c, "d") == 0


def test_a_non_empty_list_before_a_string_is_popped(c):
    c.execute_command("SET", "s", "v")
    c.execute_command("RPUSH", "l", "a", "b", "c")
    assert c.execute_command("BLPOP", "nokey", "l", "s", 0) == [b"l", b"a"]
    assert c.execute_command("BRPOP", "l", "s", 0) == [b"l", b"c"]
    assert c.execute_command("BLMPOP", 0, 2, "l", "s", "LEFT") == [b"l", [b"b"]]


def test_blmove_to_a_string_destination_is_wrongtype_and_keeps_the_source(c):
    c.execute_command("RPUSH", "src", "a")
    c.execute_command("SET", "dst", "s")
    assert error_of(c, "BLMOVE", "src", "dst", "LEFT", "LEFT", 0) == WRONGTYPE
    assert error_of(c, "BRPOPLPUSH", "src", "dst", 0) == WRONGTYPE
    assert items(c, "src") == [b"a"]
    assert c.execute_command("GET", "dst") == b"s"


@pytest.mark.parametrize("args", [("BLMOVE", "src", "dst", "LEFT", "RIGHT", 0),
                                  ("BRPOPLPUSH", "src", "dst", 0)], ids=lambda a: a[0])
def test_a_blocked_move_whose_destination_became_a_string_gets_wrongtype(waiters, c, args):
    """Redis 7.0 serves the blocked client with WRONGTYPE when the source is pushed to, and
    the pushed element stays in the source; the client is no longer blocked."""
    conn = waiters.block(*args)
    c.execute_command("SET", "dst", "str")
    assert no_reply(conn)
    assert c.execute_command("RPUSH", "src", "a") == 1
    assert reply(conn) == WRONGTYPE_LINE
    waiters.wait_blocked(0)
    assert items(c, "src") == [b"a"]
    assert c.execute_command("GET", "dst") == b"str"
    assert conn.call_raw("PING") == b"+PONG\r\n"


# ---------------------------------------------------------------- MULTI, scripts, pipelining

def test_blocking_commands_inside_multi_do_not_block(waiters, c):
    """An empty list inside EXEC: the pops answer a null array, the moves a null BULK (what
    LMOVE/RPOPLPUSH answer), at once."""
    conn = waiters.open()
    assert conn.call_raw("MULTI") == b"+OK\r\n"
    for cmd in [("BLPOP", "q", 0), ("BRPOPLPUSH", "q", "d", 0),
                ("BLMOVE", "q", "d", "LEFT", "LEFT", 0), ("BLMPOP", 0, 1, "q", "LEFT"),
                ("BRPOP", "q", 10)]:
        assert conn.call_raw(*cmd) == b"+QUEUED\r\n"
    started = time.time()
    conn.send("EXEC")
    assert reply(conn, 2) == (
        b"*5\r\n" + NULL_ARRAY + NULL_BULK + NULL_BULK + NULL_ARRAY + NULL_ARRAY)
    assert time.time() - started < 2
    assert blocked_clients(c) == 0
    assert c.execute_command("EXISTS", "q", "d") == 0


def test_blocking_commands_inside_multi_in_resp3(waiters, c):
    conn = waiters.open(resp3=True)
    assert conn.call_raw("MULTI") == b"+OK\r\n"
    assert conn.call_raw("BLPOP", "q", 0) == b"+QUEUED\r\n"
    assert conn.call_raw("BLMOVE", "q", "d", "LEFT", "LEFT", 0) == b"+QUEUED\r\n"
    conn.send("EXEC")
    assert reply(conn, 2) == b"*2\r\n" + RESP3_NULL + RESP3_NULL


def test_blocking_commands_inside_multi_pop_a_non_empty_list(waiters, c):
    c.execute_command("RPUSH", "q", "a", "b", "c")
    conn = waiters.open()
    assert conn.call_raw("MULTI") == b"+OK\r\n"
    assert conn.call_raw("BLPOP", "q", 0) == b"+QUEUED\r\n"
    assert conn.call_raw("BRPOP", "q", 0) == b"+QUEUED\r\n"
    assert conn.call_raw("BLMOVE", "q", "d", "LEFT", "LEFT", 0) == b"+QUEUED\r\n"
    assert conn.call_raw("BLPOP", "q", 0) == b"+QUEUED\r\n"
    conn.send("EXEC")
    assert reply(conn, 2) == (
        b"*4\r\n" + pair("q", "a") + pair("q", "c") + bulk("b") + NULL_ARRAY)
    assert exists(c, "q") == 0
    assert items(c, "d") == [b"b"]


def script_error(body):
    sha = hashlib.sha1(body.encode()).hexdigest()
    return ("This Redis command is not allowed from script script: %s, on @user_script:1."
            % sha)


@pytest.mark.parametrize("call", [
    "redis.call('blpop', KEYS[1], 0)", "redis.call('brpop', KEYS[1], 0)",
    "redis.call('brpoplpush', KEYS[1], KEYS[2], 0)",
    "redis.call('blmove', KEYS[1], KEYS[2], 'LEFT', 'LEFT', 0)",
], ids=lambda s: s.split("'")[1])
def test_blocking_pops_and_moves_are_not_allowed_in_a_script(c, call):
    body = "return " + call
    for filled in (False, True):
        if filled:
            c.execute_command("RPUSH", "k", "v")
        assert error_of(c, "EVAL", body, 2, "k", "d") == script_error(body)
    assert items(c, "k") == [b"v"]
    assert exists(c, "d") == 0


def test_redis_pcall_of_blpop_returns_the_error_without_the_script_suffix(waiters, c):
    conn = waiters.open()
    assert conn.call_raw("EVAL", "return redis.pcall('blpop', KEYS[1], 0)", 1, "k") == (
        b"-ERR This Redis command is not allowed from script\r\n")


def test_blmpop_in_a_script_does_not_block(waiters, c):
    conn = waiters.open()
    body = "return redis.call('blmpop', 0, 1, KEYS[1], 'LEFT', 'COUNT', 5)"
    started = time.time()
    assert conn.call_raw("EVAL", body, 1, "k") == NULL_BULK  # the null array became false
    assert time.time() - started < 2
    assert blocked_clients(c) == 0
    c.execute_command("RPUSH", "k", "1", "2")
    assert conn.call_raw("EVAL", body, 1, "k") == mpop("k", "1", "2")
    assert exists(c, "k") == 0
    conn3 = waiters.open(resp3=True)
    assert conn3.call_raw("EVAL", body, 1, "k") == RESP3_NULL


def test_a_pipelined_command_waits_for_the_blocked_one(waiters, c):
    conn = waiters.open()
    conn.sock.sendall(b"BLPOP q 0\r\nPING\r\n")
    waiters.wait_blocked(1)
    assert no_reply(conn)
    assert c.execute_command("RPUSH", "q", "v") == 1
    assert reply(conn) == pair("q", "v")
    assert reply(conn) == b"+PONG\r\n"


def test_a_pipelined_push_on_the_blocked_connection_runs_after_it_is_served(waiters, c):
    """The RPUSH behind the BLPOP must not run (and serve its own connection) early."""
    conn = waiters.open()
    conn.sock.sendall(b"BLPOP q 0\r\nRPUSH q mine\r\n")
    waiters.wait_blocked(1)
    assert no_reply(conn)
    assert exists(c, "q") == 0
    assert c.execute_command("RPUSH", "q", "theirs") == 1
    assert reply(conn) == pair("q", "theirs")
    assert reply(conn) == b":1\r\n"
    assert items(c, "q") == [b"mine"]


def test_a_disconnected_waiter_does_not_swallow_a_push(waiters, c):
    conn = waiters.block("BLPOP", "q", 0)
    conn.close()
    waiters.wait_blocked(0)
    assert c.execute_command("RPUSH", "q", "a") == 1
    assert items(c, "q") == [b"a"]


def test_a_disconnected_waiter_is_skipped_for_the_next_one(waiters, c):
    gone = waiters.block("BLMOVE", "q", "d", "LEFT", "LEFT", 0)
    stays = waiters.block("BLPOP", "q", 0)
    gone.close()
    waiters.wait_blocked(1)
    assert c.execute_command("RPUSH", "q", "a") == 1
    assert reply(stays) == pair("q", "a")
    assert c.execute_command("EXISTS", "q", "d") == 0


# ---------------------------------------------------------------- CLIENT LIST, INFO clients

def client_line(c, client_id):
    for line in c.execute_command("CLIENT", "LIST").decode().splitlines():
        if line.startswith("id=%d " % client_id):
            return line
    raise AssertionError("client %d not in CLIENT LIST" % client_id)


def flags_of(c, client_id):
    fields = dict(f.split("=", 1) for f in client_line(c, client_id).split(" ") if "=" in f)
    return fields["flags"]





def test_client_list_shows_flag_b_for_a_blocked_client(waiters, c):
    conn = waiters.open()
    cid = client_id(conn)
    assert flags_of(c, cid) == "N"
    waiters.block("BLPOP", "q", "k2", 0, conn=conn)
    assert flags_of(c, cid) == "b"
    c.execute_command("RPUSH", "k2", "v")
    assert reply(conn) == pair("k2", "v")
    assert wait_for(lambda: flags_of(c, cid) == "N", 5)


def test_blocked_clients_counts_blocked_clients_and_returns_to_zero(waiters, c):
    assert blocked_clients(c) == 0
    conns = [waiters.block("BLPOP", "q%d" % i, 0) for i in range(3)]
    assert blocked_clients(c) == 3
    timed = waiters.block("BRPOP", "q", "0.2")
    assert blocked_clients(c) == 4
    assert reply(timed) == NULL_ARRAY
    waiters.wait_blocked(3)
    for i, conn in enumerate(conns):
        c.execute_command("RPUSH", "q%d" % i, "v")
        assert reply(conn) == pair("q%d" % i, "v")
        waiters.wait_blocked(2 - i)
    assert blocked_clients(c) == 0


# ---------------------------------------------------------------- keyspace events


def test_events_when_a_blocked_blpop_is_served(server, waiters, c):
    def action():
        conn = waiters.block("BLPOP", "q", 0)
        c.execute_command("RPUSH", "q", "a")
        assert reply(conn) == pair("q", "a")

    assert keyevents_during(server, c, action, 3) == [(b"rpush", b"q"), (b"lpop", b"q"),
                                                   (b"del", b"q")]


def test_events_when_a_blocked_blmpop_is_served(server, waiters, c):
    def action():
        conn = waiters.block("BLMPOP", 0, 1, "q", "RIGHT", "COUNT", 2)
        c.execute_command("RPUSH", "q", "a", "b", "c")
        assert reply(conn) == mpop("q", "c", "b")

    assert keyevents_during(server, c, action, 2) == [(b"rpush", b"q"), (b"rpop", b"q")]


def test_events_when_a_blocked_blmove_is_served_push_before_pop(server, waiters, c):
    def action():
        conn = waiters.block("BLMOVE", "s", "d", "RIGHT", "LEFT", 0)
        c.execute_command("LPUSH", "s", "a")
        assert reply(conn) == bulk("a")

    assert keyevents_during(server, c, action, 4) == [(b"lpush", b"s"), (b"lpush", b"d"),
                                                   (b"rpop", b"s"), (b"del", b"s")]


def test_events_when_a_blocked_blmove_within_one_list_is_served(server, waiters, c):
    def action():
        conn = waiters.block("BLMOVE", "s", "s", "LEFT", "RIGHT", 0)
        c.execute_command("RPUSH", "s", "a")
        assert reply(conn) == bulk("a")

    assert keyevents_during(server, c, action, 3) == [(b"rpush", b"s"), (b"rpush", b"s"),
                                                   (b"lpop", b"s")]


def test_events_of_the_blmove_chain(server, waiters, c):
    """The source is popped and deleted before the client waiting on the destination is
    served."""
    def action():
        mover = waiters.block("BLMOVE", "a", "b", "LEFT", "RIGHT", 0)
        popper = waiters.block("BLPOP", "b", 0)
        c.execute_command("RPUSH", "a", "x")
        assert reply(mover) == bulk("x")
        assert reply(popper) == pair("b", "x")

    assert keyevents_during(server, c, action, 6) == [
        (b"rpush", b"a"), (b"rpush", b"b"), (b"lpop", b"a"), (b"del", b"a"),
        (b"lpop", b"b"), (b"del", b"b")]


# ---------------------------------------------------------------- concurrency


def test_concurrent_pushers_and_blocked_consumers_account_for_every_element(server, waiters,
                                                                            c):
    """4 threads RPUSH 100 unique values each onto one key while 4 threads loop BLPOP key 2
    until they together got 400: every value arrives exactly once, nothing is left."""
    total = 400
    got, lock = [], threading.Lock()
    deadline = time.time() + 30

    def consumer():
        cl = server.client()
        cl.response_callbacks.clear()
        try:
            for _ in range(total + 50):
                with lock:
                    if len(got) >= total:
                        return
                if time.time() > deadline:
                    return
                popped = cl.execute_command("BLPOP", "q", 2)
                if popped is not None:
                    assert popped[0] == b"q"
                    with lock:
                        got.append(popped[1])
        finally:
            cl.close()

    run_threads([consumer] * 4 +
                [pusher(server, "RPUSH", "q", [b"p%d:%d" % (n, i) for i in range(100)])
                 for n in range(4)], timeout=35)
    assert sorted(got) == sorted(b"p%d:%d" % (n, i) for n in range(4) for i in range(100))
    assert exists(c, "q") == 0


def test_waiters_on_several_threads_each_get_one_of_concurrent_pushes(server, waiters, c):
    """8 blocked clients, then 8 connections push one value each at the same time: each
    blocked client gets exactly one value and none is left."""
    conns = [waiters.block("BLPOP", "q", 0) for _ in range(8)]
    run_threads([pusher(server, "RPUSH", "q", [b"v%d" % n]) for n in range(8)], timeout=10)
    replies = [reply(conn) for conn in conns]
    assert sorted(replies) == sorted(pair("q", "v%d" % n) for n in range(8))
    assert exists(c, "q") == 0
    waiters.wait_blocked(0)


def test_concurrent_blmove_consumers_move_every_element_once(server, waiters, c):
    """4 clients loop BLMOVE src->dst while 2 threads push 100 values each: all 200 end up
    in dst exactly once."""
    total = 200
    moved, lock = [], threading.Lock()
    deadline = time.time() + 30

    def mover():
        cl = server.client()
        cl.response_callbacks.clear()
        try:
            for _ in range(total + 50):
                with lock:
                    if len(moved) >= total:
                        return
                if time.time() > deadline:
                    return
                v = cl.execute_command("BLMOVE", "src", "dst", "RIGHT", "LEFT", 1)
                if v is not None:
                    with lock:
                        moved.append(v)
        finally:
            cl.close()

    run_threads([mover] * 4 +
                [pusher(server, "LPUSH", "src", [b"m%d:%d" % (n, i) for i in range(100)])
                 for n in range(2)], timeout=35)
    expected = sorted(b"m%d:%d" % (n, i) for n in range(2) for i in range(100))
    assert sorted(moved) == expected
    assert sorted(items(c, "dst")) == expected
    assert exists(c, "src") == 0


# ---------------------------------------------------------------- CLIENT UNBLOCK

def test_client_unblock_times_the_client_out(waiters, c):
    conn = waiters.open()
    cid = client_id(conn)
    waiters.block("BLPOP", "q", 0, conn=conn)
    assert c.execute_command("CLIENT", "UNBLOCK", cid) == 1
    assert reply(conn) == NULL_ARRAY
    waiters.wait_blocked(0)
    waiters.block("BLMOVE", "q", "d", "LEFT", "LEFT", 0, conn=conn)
    assert c.execute_command("CLIENT", "UNBLOCK", cid, "TIMEOUT") == 1
    assert reply(conn) == NULL_ARRAY
    assert c.execute_command("RPUSH", "q", "a") == 1
    assert items(c, "q") == [b"a"]
    assert exists(c, "d") == 0
    waiters.wait_blocked(0)
    conn3 = waiters.open(resp3=True)
    cid3 = client_id(conn3)
    waiters.block("BRPOPLPUSH", "nokey", "d", 0, conn=conn3)
    assert c.execute_command("CLIENT", "UNBLOCK", cid3, "TIMEOUT") == 1
    assert reply(conn3) == RESP3_NULL


def test_client_unblock_error(waiters, c):
    conn = waiters.open()
    cid = client_id(conn)
    waiters.block("BLMPOP", 0, 1, "q", "LEFT", conn=conn)
    assert c.execute_command("CLIENT", "UNBLOCK", cid, "error") == 1
    assert reply(conn) == b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
    waiters.wait_blocked(0)
    assert conn.call_raw("PING") == b"+PONG\r\n"


def test_client_unblock_of_a_client_that_is_not_blocked_is_zero(waiters, c):
    conn = waiters.open()
    cid = client_id(conn)
    assert c.execute_command("CLIENT", "UNBLOCK", cid) == 0
    assert c.execute_command("CLIENT", "UNBLOCK", cid, "ERROR") == 0
    assert c.execute_command("CLIENT", "UNBLOCK", 999999999) == 0
    assert conn.call_raw("PING") == b"+PONG\r\n"


def test_client_unblock_errors(waiters, c):
    conn = waiters.open()
    cid = client_id(conn)
    assert error_of(c, "CLIENT", "UNBLOCK", cid, "FOO") == (
        "CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
    assert error_of(c, "CLIENT", "UNBLOCK", "x") == "value is not an integer or out of range"
    assert error_of(c, "CLIENT", "UNBLOCK") == (
        "wrong number of arguments for 'client|unblock' command")


# ---------------------------------------------------------------- lists arriving otherwise

def test_swapdb_serves_a_client_blocked_on_a_list_the_other_db_held(server, c, waiters):
    """Regression: SWAPDB left the client blocked although its key now held a list."""
    server.client(db=1).execute_command("RPUSH", "k", "from-db1")
    conn = waiters.block("BLPOP", "k", 0)
    assert c.execute_command("SWAPDB", 0, 1) == b"OK"
    assert reply(conn) == pair("k", "from-db1")
    assert exists(c, "k") == 0
    server.client(db=1).execute_command("FLUSHDB")


def test_rename_of_a_list_onto_the_awaited_key_serves_the_client(c, waiters):
    c.execute_command("RPUSH", "src", "x")
    conn = waiters.block("BLPOP", "dst", 0)
    assert c.execute_command("RENAME", "src", "dst") == b"OK"
    assert reply(conn) == pair("dst", "x")
