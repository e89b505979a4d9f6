"""The sorted-set command family (all but the range queries and the blocking pops): ZADD
(NX XX GT LT CH INCR) ZINCRBY ZSCORE ZMSCORE ZCARD ZCOUNT ZLEXCOUNT ZRANK ZREVRANK ZREM
ZREMRANGEBYRANK ZREMRANGEBYSCORE ZREMRANGEBYLEX ZPOPMIN ZPOPMAX ZMPOP ZRANDMEMBER ZSCAN,
with Redis 7.0's exact error texts, score parsing and formatting (RESP2 bulk strings and
RESP3 doubles), reply shapes, encodings, keyspace events, WATCH and MULTI, all checked
against redis-server 7.0.15.

Replies are read without redis-py's response callbacks (fixture `c`), so a score stays the
bulk string Redis sent (b"1.1000000000000001"), a null stays None and a simple string
stays bytes; exact reply bytes are read with raw2() (RESP2) and resp3() (RESP3). redis-py
drops the leading "ERR " of an error line (not "WRONGTYPE "). ZRANGE k 0 -1 WITHSCORES is
only used as a reader. Where Redis does something surprising, a one-line comment names the
quirk.

Every reply here is small: never send ZRANDMEMBER a negative count of large magnitude (its
reply has -count elements, and redis-server builds it all in memory)."""
import time

import pytest
import redis

from vellum_harness import error_of, exists, keyevents, raw2, resp3

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
SYNTAX = "syntax error"
NOT_FLOAT = "value is not a valid float"
NOT_INT = "value is not an integer or out of range"
NOT_POSITIVE = "value is out of range, must be positive"
XX_AND_NX = "XX and NX options at the same time are not compatible"
GT_LT_NX = "GT, LT, and/or NX options at the same time are not compatible"
INCR_PAIR = "INCR option supports a single increment-element pair"
NAN_SCORE = "resulting score is not a number (NaN)"
SCORE_RANGE = "min or max is not a float"
LEX_RANGE = "min or max not valid string range item"
NUMKEYS = "numkeys should be greater than 0"
COUNT_POSITIVE = "count should be greater than 0"
RANDMEMBER_RANGE = ("value is out of range, value must between -9223372036854775807 and "
                    "9223372036854775807")
INT64_MIN = -2**63
INT64_MAX = 2**63 - 1
LONG = b"x" * 93  # a member over zset-max-listpack-value (64): forces a skiplist


def idfn(args):
    return " ".join(str(a) for a in args)


def arity(cmd):
    return "wrong number of arguments for '%s' command" % cmd.lower()


def zitems(cl, key):
    """[(member, score), ...] in rank order, scores as Redis formats them."""
    flat = cl.execute_command("ZRANGE", key, 0, -1, "WITHSCORES")
    return list(zip(flat[0::2], flat[1::2]))


def members(cl, key):
    return cl.execute_command("ZRANGE", key, 0, -1)


def encoding(cl, key):
    return cl.execute_command("OBJECT", "ENCODING", key)


def fill(cl, key, n, prefix=b"m"):
    """n members prefix0..prefix<n-1> with score i."""
    args = []
    for i in range(n):
        args += [i, prefix + b"%d" % i]
    cl.execute_command("ZADD", key, *args)


def scan_all(cl, key, *opts):
    """Every (member, score) pair a full ZSCAN returns, in order, and the number of calls."""
    cursor, got, calls = b"0", [], 0
    while True:
        cursor, batch = cl.execute_command("ZSCAN", key, cursor, *opts)
        got += list(zip(batch[0::2], batch[1::2]))
        calls += 1
        if cursor == b"0" or calls > 10000:
            return got, calls


@pytest.fixture
def abcde(c):
    """z = a:1 b:2 c:3 d:4 e:5."""
    c.execute_command("ZADD", "z", 1, "a", 2, "b", 3, "c", 4, "d", 5, "e")
    return c


@pytest.fixture
def lex(c):
    """l = a b c d e, all with score 0."""
    c.execute_command("ZADD", "l", 0, "a", 0, "b", 0, "c", 0, "d", 0, "e")
    return c


# ---------------------------------------------------------------- ZADD basics

def test_zadd_counts_only_new_members(c):
    assert c.execute_command("ZADD", "z", 1, "a", 2, "b") == 2
    assert c.execute_command("ZADD", "z", 3, "a", 4, "c") == 1
    assert zitems(c, "z") == [(b"b", b"2"), (b"a", b"3"), (b"c", b"4")]


def test_zadd_of_one_member_twice_keeps_the_last_score(c):
    assert c.execute_command("ZADD", "z", 1, "a", 2, "a") == 1
    assert zitems(c, "z") == [(b"a", b"2")]


def test_zadd_ch_counts_added_and_updated_members(c):
    c.execute_command("ZADD", "z", 1, "a")
    assert c.execute_command("ZADD", "z", "CH", 1, "a") == 0
    assert c.execute_command("ZADD", "z", "CH", 2, "a", 3, "new") == 2
    assert zitems(c, "z") == [(b"a", b"2"), (b"new", b"3")]


def test_zadd_nx_only_adds_new_members(c):
    c.execute_command("ZADD", "z", 1, "a")
    assert c.execute_command("ZADD", "z", "NX", 7, "a", 8, "b") == 1
    assert zitems(c, "z") == [(b"a", b"1"), (b"b", b"8")]


def test_zadd_xx_only_updates_existing_members(c):
    c.execute_command("ZADD", "z", 1, "a")
    assert c.execute_command("ZADD", "z", "XX", 7, "a", 8, "b") == 0
    assert zitems(c, "z") == [(b"a", b"7")]
    assert c.execute_command("ZADD", "z", "XX", "CH", 9, "a") == 1


def test_zadd_xx_on_a_missing_key_creates_nothing(c):
    assert c.execute_command("ZADD", "nokey", "XX", 1, "a") == 0
    assert exists(c, "nokey") == 0


def test_zadd_gt_only_raises_scores(c):
    c.execute_command("ZADD", "z", 5, "a")
    assert c.execute_command("ZADD", "z", "GT", "CH", 1, "a") == 0
    assert c.execute_command("ZADD", "z", "GT", "CH", 5, "a") == 0
    assert c.execute_command("ZADD", "z", "GT", "CH", 9, "a") == 1
    assert zitems(c, "z") == [(b"a", b"9")]


def test_zadd_lt_only_lowers_scores(c):
    c.execute_command("ZADD", "z", 5, "a")
    assert c.execute_command("ZADD", "z", "LT", "CH", 9, "a") == 0
    assert c.execute_command("ZADD", "z", "LT", "CH", 0, "a") == 1
    assert zitems(c, "z") == [(b"a", b"0")]


def test_zadd_gt_and_lt_still_add_new_members(c):
    c.execute_command("ZADD", "z", 5, "a")
    assert c.execute_command("ZADD", "z", "GT", 7, "g") == 1
    assert c.execute_command("ZADD", "z", "LT", 7, "l") == 1
    assert c.execute_command("ZADD", "z", "XX", "GT", 6, "a", 1, "x") == 0
    assert zitems(c, "z") == [(b"a", b"6"), (b"g", b"7"), (b"l", b"7")]


def test_zadd_options_are_case_insensitive(c):
    c.execute_command("ZADD", "z", 1, "a")
    assert c.execute_command("ZADD", "z", "nx", 5, "a") == 0
    assert c.execute_command("ZADD", "z", "incr", "ch", 1, "a") == b"2"
    assert c.execute_command("ZADD", "z", "xx", "gt", "ch", 3, "a") == 1


def test_zadd_same_score_is_not_a_change(c):
    c.execute_command("ZADD", "z", 1.5, "a")
    assert c.execute_command("ZADD", "z", "CH", "1.50", "a") == 0
    assert c.execute_command("ZADD", "z", "CH", "15e-1", "a") == 0


# ---------------------------------------------------------------- ZADD errors

def test_zadd_nx_and_xx_are_incompatible(c):
    assert error_of(c, "ZADD", "z", "NX", "XX", 1, "a") == XX_AND_NX
    assert error_of(c, "ZADD", "z", "INCR", "NX", "XX", 1, "a") == XX_AND_NX
    # the NX+XX check runs before the GT/LT/NX one
    assert error_of(c, "ZADD", "z", "NX", "XX", "GT", 1, "a") == XX_AND_NX


@pytest.mark.parametrize("opts", [("GT", "LT"), ("GT", "NX"), ("LT", "NX"), ("XX", "GT", "LT"),
                                  ("INCR", "GT", "LT")], ids=idfn)
def test_zadd_gt_lt_nx_are_incompatible(c, opts):
    assert error_of(c, "ZADD", "z", *opts, 1, "a") == GT_LT_NX
    assert exists(c, "z") == 0


def test_zadd_incr_takes_a_single_pair(c):
    assert error_of(c, "ZADD", "z", "INCR", 1, "a", 2, "b") == INCR_PAIR
    # the option checks run before any score is parsed
    assert error_of(c, "ZADD", "z", "INCR", "x", "a", 2, "b") == INCR_PAIR
    assert error_of(c, "ZADD", "z", "NX", "XX", "x", "a") == XX_AND_NX
    assert error_of(c, "ZADD", "z", "GT", "LT", "x", "a") == GT_LT_NX


def test_zadd_syntax_errors(c):
    assert error_of(c, "ZADD", "z", 1, "a", 2) == SYNTAX
    assert error_of(c, "ZADD", "z", "FOO", 1, "a") == SYNTAX
    assert error_of(c, "ZADD", "z", "NX", 1) == SYNTAX
    assert error_of(c, "ZADD", "z", "XX", "NX") == SYNTAX  # no pairs left: not the XX/NX error
    assert error_of(c, "ZADD", "z", "NX", "XX", 1, "a", 2) == SYNTAX
    assert exists(c, "z") == 0


@pytest.mark.parametrize("args", [("z",), ("z", "1"), ("z", "NX"), ("z", "INCR"), ("z", "CH")],
                         ids=idfn)
def test_zadd_arity(c, args):
    assert error_of(c, "ZADD", *args) == arity("zadd")


@pytest.mark.parametrize("score", ["x", " 1", "1 ", "nan", "NaN", "", "1.5e", "1e400", "1e-400"])
def test_zadd_rejects_invalid_scores(c, score):
    # " 1" (leading space) is rejected here but accepted as a ZCOUNT bound; 1e-400 underflows
    assert error_of(c, "ZADD", "z", score, "a") == NOT_FLOAT
    assert exists(c, "z") == 0


@pytest.mark.parametrize("score,stored", [
    ("1e3", b"1000"), (".5", b"0.5"), ("5.", b"5"), ("+3", b"3"), ("-1.5", b"-1.5"),
    ("0x10", b"16"),  # quirk: strtod accepts hexadecimal
    ("inf", b"inf"), ("+inf", b"inf"), ("INF", b"inf"), ("Infinity", b"inf"),
    ("-inf", b"-inf"), ("-Infinity", b"-inf"),
])
def test_zadd_accepts_strtod_scores(c, score, stored):
    assert c.execute_command("ZADD", "z", score, "a") == 1
    assert c.execute_command("ZSCORE", "z", "a") == stored


def test_zadd_with_one_bad_score_adds_nothing(c):
    c.execute_command("ZADD", "z", 1, "a")
    assert error_of(c, "ZADD", "z", 2, "b", "x", "c") == NOT_FLOAT
    assert error_of(c, "ZADD", "new", 1, "a", "x", "b") == NOT_FLOAT
    assert zitems(c, "z") == [(b"a", b"1")]
    assert exists(c, "new") == 0


def test_zadd_argument_errors_come_before_the_type_check(c):
    c.execute_command("SET", "s", "v")
    assert error_of(c, "ZADD", "s", "x", "a") == NOT_FLOAT
    assert error_of(c, "ZADD", "s", 1, "a", 2) == SYNTAX
    assert error_of(c, "ZADD", "s", "NX", "XX", 1, "a") == XX_AND_NX
    assert error_of(c, "ZADD", "s", 1, "a") == WRONGTYPE


def test_infinite_scores_order_at_the_ends(c):
    c.execute_command("ZADD", "z", "+inf", "p", "-inf", "n", 0, "zero", "inf", "a")
    assert zitems(c, "z") == [(b"n", b"-inf"), (b"zero", b"0"), (b"a", b"inf"), (b"p", b"inf")]


# ---------------------------------------------------------------- ZADD INCR and ZINCRBY

def test_zadd_incr_returns_the_new_score(c):
    assert c.execute_command("ZADD", "z", "INCR", 1.5, "a") == b"1.5"
    assert c.execute_command("ZADD", "z", "INCR", 1, "a") == b"2.5"
    assert c.execute_command("ZADD", "z", "INCR", "CH", -3, "a") == b"-0.5"
    assert zitems(c, "z") == [(b"a", b"-0.5")]


def test_zadd_incr_blocked_by_a_condition_is_null(server, c):
    c.execute_command("ZADD", "z", 5, "a")
    assert c.execute_command("ZADD", "z", "NX", "INCR", 1, "a") is None
    assert c.execute_command("ZADD", "z", "XX", "INCR", 1, "nope") is None
    assert c.execute_command("ZADD", "z", "GT", "INCR", -1, "a") is None
    assert c.execute_command("ZADD", "z", "LT", "INCR", 1, "a") is None
    assert c.execute_command("ZADD", "nokey", "XX", "INCR", 1, "a") is None
    assert raw2(server, "ZADD", "z", "NX", "INCR", "1", "a") == b"$-1\r\n"
    assert zitems(c, "z") == [(b"a", b"5")]
    assert exists(c, "nokey") == 0


def test_zadd_incr_allowed_by_a_condition_applies(c):
    c.execute_command("ZADD", "z", 5, "a")
    assert c.execute_command("ZADD", "z", "GT", "INCR", 1, "a") == b"6"
    assert c.execute_command("ZADD", "z", "LT", "INCR", -6, "a") == b"0"
    assert c.execute_command("ZADD", "z", "XX", "INCR", 2, "a") == b"2"
    assert c.execute_command("ZADD", "z", "NX", "INCR", 2, "b") == b"2"
    assert c.execute_command("ZADD", "z", "GT", "INCR", 1, "g") == b"1"  # new member: GT ignored
    assert c.execute_command("ZADD", "z", "LT", "INCR", 1, "l") == b"1"


def test_incr_to_nan_is_an_error_and_changes_nothing(c):
    c.execute_command("ZADD", "z", "inf", "p", "-inf", "n")
    assert c.execute_command("ZADD", "z", "INCR", "+inf", "p") == b"inf"
    assert error_of(c, "ZADD", "z", "INCR", "-inf", "p") == NAN_SCORE
    assert error_of(c, "ZINCRBY", "z", "-inf", "p") == NAN_SCORE
    assert error_of(c, "ZINCRBY", "z", "+inf", "n") == NAN_SCORE
    assert zitems(c, "z") == [(b"n", b"-inf"), (b"p", b"inf")]


def test_incr_can_overflow_to_infinity(c):
    # only a NaN result is refused; an overflow to +-inf is stored
    assert c.execute_command("ZINCRBY", "z", "1.7e308", "a") == b"1.6999999999999999e+308"
    assert c.execute_command("ZINCRBY", "z", "1.7e308", "a") == b"inf"
    assert c.execute_command("ZADD", "z", "INCR", "-1.7e308", "b") == b"-1.6999999999999999e+308"
    assert c.execute_command("ZADD", "z", "INCR", "-1.7e308", "b") == b"-inf"


def test_zincrby_creates_and_increments(c):
    assert c.execute_command("ZINCRBY", "z", 2, "a") == b"2"
    assert c.execute_command("ZINCRBY", "z", "-0.5", "a") == b"1.5"
    assert c.execute_command("ZINCRBY", "z", "1e3", "b") == b"1000"
    assert zitems(c, "z") == [(b"a", b"1.5"), (b"b", b"1000")]


def test_zincrby_keeps_binary_rounding(c):
    c.execute_command("ZADD", "z", "0.1", "f")
    assert c.execute_command("ZINCRBY", "z", "0.1", "f") == b"0.20000000000000001"
    assert c.execute_command("ZINCRBY", "z", "0.2", "f") == b"0.40000000000000002"


def test_zincrby_errors(c):
    c.execute_command("ZADD", "z", 1, "a")
    assert error_of(c, "ZINCRBY", "z", "x", "a") == NOT_FLOAT
    assert error_of(c, "ZINCRBY", "z", "nan", "a") == NOT_FLOAT
    assert error_of(c, "ZINCRBY", "z", " 1", "a") == NOT_FLOAT
    assert error_of(c, "ZINCRBY", "z", 1) == arity("zincrby")
    assert error_of(c, "ZINCRBY", "z", 1, "a", "b") == arity("zincrby")
    assert zitems(c, "z") == [(b"a", b"1")]


# ---------------------------------------------------------------- ZSCORE ZMSCORE ZCARD

def test_zscore_of_a_missing_member_or_key_is_null(server, c):
    c.execute_command("ZADD", "z", 1, "a")
    assert c.execute_command("ZSCORE", "z", "nomember") is None
    assert c.execute_command("ZSCORE", "nokey", "a") is None
    assert raw2(server, "ZSCORE", "z", "nomember") == b"$-1\r\n"
    assert error_of(c, "ZSCORE", "z") == arity("zscore")


def test_zmscore_has_nulls_for_missing_members(server, c):
    c.execute_command("ZADD", "z", "1.1", "a", 10, "b")
    assert c.execute_command("ZMSCORE", "z", "a", "nomember", "b") == [
        b"1.1000000000000001", None, b"10"]
    assert c.execute_command("ZMSCORE", "nokey", "a", "b") == [None, None]
    assert raw2(server, "ZMSCORE", "z", "b", "x") == b"*2\r\n$2\r\n10\r\n$-1\r\n"
    assert error_of(c, "ZMSCORE", "z") == arity("zmscore")


def test_zcard(abcde):
    c = abcde
    assert c.execute_command("ZCARD", "z") == 5
    assert c.execute_command("ZCARD", "nokey") == 0
    assert error_of(c, "ZCARD", "z", "x") == arity("zcard")


# ---------------------------------------------------------------- score formatting

@pytest.mark.parametrize("given,reply", [
    ("1.1", b"1.1000000000000001"), ("10", b"10"), ("1e20", b"1e+20"), ("inf", b"inf"),
    ("-inf", b"-inf"), ("0.1", b"0.10000000000000001"), ("3.14159", b"3.1415899999999999"),
    ("1e-5", b"1.0000000000000001e-05"), ("123456789012345678", b"1.2345678901234568e+17"),
    ("1e17", b"1e+17"), ("1e16", b"10000000000000000"), ("1e15", b"1000000000000000"),
    ("1e21", b"1e+21"), ("-1.5", b"-1.5"), ("2.5e-10", b"2.5000000000000002e-10"),
    ("0.30000000000000004", b"0.30000000000000004"), ("100000", b"100000"),
])
def test_resp2_scores_are_bulk_strings_in_percent_17g(server, c, given, reply):
    c.execute_command("ZADD", "z", given, "m")
    assert raw2(server, "ZSCORE", "z", "m") == b"$%d\r\n%s\r\n" % (len(reply), reply)


def test_negative_zero_keeps_its_sign_only_in_a_skiplist(server, c):
    # quirk: a listpack stores a score as text whose integer fast path writes -0.0 as "0";
    # a skiplist keeps the double, so every reply of it says "-0"
    c.execute_command("ZADD", "lp", "-0.0", "e", 1, "a")
    assert encoding(c, "lp") == b"listpack"
    assert c.execute_command("ZSCORE", "lp", "e") == b"0"
    assert zitems(c, "lp") == [(b"e", b"0"), (b"a", b"1")]
    assert c.execute_command("ZSCAN", "lp", 0) == [b"0", [b"e", b"0", b"a", b"1"]]
    c.execute_command("ZADD", "sk", 1, LONG)  # a skiplist from the start
    c.execute_command("ZADD", "sk", "-0.0", "e")
    assert encoding(c, "sk") == b"skiplist"
    assert c.execute_command("ZSCORE", "sk", "e") == b"-0"
    assert c.execute_command("ZMSCORE", "sk", "e") == [b"-0"]
    assert zitems(c, "sk") == [(b"e", b"-0"), (LONG, b"1")]
    assert sorted(scan_all(c, "sk")[0]) == [(b"e", b"-0"), (LONG, b"1")]
    assert resp3(server, b"ZSCORE sk e", b"ZMSCORE sk e") == b",-0\r\n*1\r\n,-0\r\n"
    assert c.execute_command("ZPOPMIN", "sk") == [b"e", b"-0"]


def test_negative_zero_passing_through_a_listpack_loses_its_sign(c):
    # quirk: ZADD picks a new key's encoding from its FIRST member only, so here -0.0 is
    # written to a listpack (as "0") before the long member converts the key
    c.execute_command("ZADD", "k1", "-0.0", "e", 1, LONG)
    assert encoding(c, "k1") == b"skiplist"
    assert c.execute_command("ZSCORE", "k1", "e") == b"0"
    c.execute_command("ZADD", "k2", 1, LONG, "-0.0", "e")  # long member first: skiplist
    assert c.execute_command("ZSCORE", "k2", "e") == b"-0"
    c.execute_command("ZADD", "k3", "-0.0", "e")
    c.execute_command("ZADD", "k3", 1, LONG)  # converting a listpack keeps its "0"
    assert encoding(c, "k3") == b"skiplist"
    assert c.execute_command("ZSCORE", "k3", "e") == b"0"


def test_negative_zero_equals_zero_in_a_skiplist(server, c):
    c.execute_command("ZADD", "sk", 1, LONG, "-0.0", "e")
    # -0 == 0, so none of these is an update and the stored "-0" stays
    assert c.execute_command("ZADD", "sk", "CH", 0, "e") == 0
    assert c.execute_command("ZADD", "sk", "GT", "CH", 0, "e") == 0
    # quirk: INCR replies the computed -0+0 = "0" but, equal to the old score, stores nothing
    assert c.execute_command("ZADD", "sk", "INCR", 0, "e") == b"0"
    assert c.execute_command("ZSCORE", "sk", "e") == b"-0"
    assert c.execute_command("ZADD", "sk", "INCR", "-0.0", "e") == b"-0"
    assert c.execute_command("ZINCRBY", "sk", "-0.0", "e") == b"-0"
    assert c.execute_command("ZSCORE", "sk", "e") == b"-0"
    c.execute_command("ZADD", "sk2", 1, LONG, 0, "e")
    assert c.execute_command("ZADD", "sk2", "CH", "-0.0", "e") == 0
    assert c.execute_command("ZSCORE", "sk2", "e") == b"0"
    # -0 and 0 tie, so they order by member; (-0 excludes both
    c.execute_command("ZADD", "t", 1, LONG, "-0.0", "e", 0, "d", "-0.0", "f")
    assert zitems(c, "t") == [(b"d", b"0"), (b"e", b"-0"), (b"f", b"-0"), (LONG, b"1")]
    assert c.execute_command("ZCOUNT", "t", 0, 0) == 3
    assert c.execute_command("ZCOUNT", "t", "(-0", "+inf") == 1
    assert c.execute_command("ZPOPMIN", "t", 2) == [b"d", b"0", b"e", b"-0"]


def test_zincrby_replies_negative_zero_before_storing_it(c):
    # quirk: the reply is the computed -0.0, but the listpack then holds "0"
    assert c.execute_command("ZINCRBY", "new", "-0.0", "e") == b"-0"
    assert c.execute_command("ZSCORE", "new", "e") == b"0"
    assert c.execute_command("ZINCRBY", "new", "-0.0", "e") == b"0"


def test_resp3_scores_are_doubles(server, c):
    c.execute_command("ZADD", "z", "1.1", "a", 10, "b", "1e20", "c", "inf", "d", "-inf", "g",
                      "1e-5", "h", "1e16", "k")
    assert resp3(server, b"ZSCORE z a", b"ZSCORE z b", b"ZSCORE z c", b"ZSCORE z d",
                 b"ZSCORE z g", b"ZSCORE z h", b"ZSCORE z k") == (
        b",1.1000000000000001\r\n,10\r\n,1e+20\r\n,inf\r\n,-inf\r\n"
        b",1.0000000000000001e-05\r\n,10000000000000000\r\n")


def test_resp3_score_replies_and_nulls(server, c):
    c.execute_command("ZADD", "z", "1.1", "a")
    assert resp3(server, b"ZSCORE z nomember", b"ZMSCORE z a nomember", b"ZINCRBY z 1 a",
                 b"ZADD z INCR 1 a", b"ZADD z NX INCR 1 a", b"ZRANK z nomember") == (
        b"_\r\n*2\r\n,1.1000000000000001\r\n_\r\n,2.1000000000000001\r\n"
        b",3.1000000000000001\r\n_\r\n_\r\n")


# ---------------------------------------------------------------- ZCOUNT ZLEXCOUNT

@pytest.mark.parametrize("lo,hi,n", [
    ("2", "4", 3), ("(2", "4", 2), ("(2", "(4", 1), ("-inf", "+inf", 5), ("-inf", "inf", 5),
    ("(-inf", "(+inf", 5), ("4", "2", 0), ("3", "3", 1), ("(3", "(3", 0), ("1e0", "3e0", 3),
    (" 1", "3", 3),   # quirk: a leading space is fine in a range bound (not in ZADD)
    ("", "3", 3),     # quirk: an empty bound parses as 0
    ("(", "(3", 2),   # quirk: a bare "(" is an exclusive 0
    ("0x1", "0x3", 3),
])
def test_zcount(abcde, lo, hi, n):
    assert abcde.execute_command("ZCOUNT", "z", lo, hi) == n


@pytest.mark.parametrize("lo,hi", [("x", "3"), ("1", "y"), ("[1", "3"), ("nan", "3"),
                                   ("(nan", "3"), ("3 ", "5")])
def test_zcount_bad_bounds(abcde, lo, hi):
    assert error_of(abcde, "ZCOUNT", "z", lo, hi) == SCORE_RANGE


def test_zcount_missing_key_and_arity(c):
    assert c.execute_command("ZCOUNT", "nokey", 0, 1) == 0
    assert error_of(c, "ZCOUNT", "nokey", "x", "y") == SCORE_RANGE  # bounds parsed first
    assert error_of(c, "ZCOUNT", "z", 1) == arity("zcount")


@pytest.mark.parametrize("lo,hi,n", [
    ("-", "+", 5), ("[b", "[d", 3), ("(b", "(d", 1), ("(b", "[d", 2), ("-", "(c", 2),
    ("[c", "+", 3), ("+", "-", 0), ("[d", "[b", 0), ("[a", "[a", 1), ("(a", "(a", 0),
    ("-", "-", 0), ("+", "+", 0),
    ("[", "+", 5), ("(", "+", 5), ("[", "[", 0),  # "[" and "(" alone mean the empty string
])
def test_zlexcount(lex, lo, hi, n):
    assert lex.execute_command("ZLEXCOUNT", "l", lo, hi) == n


@pytest.mark.parametrize("lo,hi", [("b", "d"), ("[b", "d"), ("-", "x"), ("", "+"), ("--", "+"),
                                   ("-", "++")])
def test_zlexcount_bad_ranges(lex, lo, hi):
    assert error_of(lex, "ZLEXCOUNT", "l", lo, hi) == LEX_RANGE


def test_zlexcount_missing_key(c):
    assert c.execute_command("ZLEXCOUNT", "nokey", "-", "+") == 0
    assert error_of(c, "ZLEXCOUNT", "nokey", "x", "y") == LEX_RANGE


# ---------------------------------------------------------------- ZRANK ZREVRANK

def test_zrank_and_zrevrank(abcde):
    c = abcde
    assert c.execute_command("ZRANK", "z", "a") == 0
    assert c.execute_command("ZRANK", "z", "e") == 4
    assert c.execute_command("ZREVRANK", "z", "a") == 4
    assert c.execute_command("ZREVRANK", "z", "e") == 0


def test_zrank_of_a_missing_member_or_key_is_null(server, abcde):
    c = abcde
    assert c.execute_command("ZRANK", "z", "nomember") is None
    assert c.execute_command("ZREVRANK", "z", "nomember") is None
    assert c.execute_command("ZRANK", "nokey", "a") is None
    assert raw2(server, "ZRANK", "z", "nomember") == b"$-1\r\n"
    assert raw2(server, "ZREVRANK", "nokey", "a") == b"$-1\r\n"


def test_equal_scores_rank_by_member_bytes(c):
    c.execute_command("ZADD", "z", 1, "x", 1, "w", 1, "y", 1, "W")
    assert [c.execute_command("ZRANK", "z", m) for m in ("W", "w", "x", "y")] == [0, 1, 2, 3]


def test_zrank_has_no_withscore_option_in_7_0(abcde):
    # Redis 7.0 quirk: WITHSCORE arrived in 7.2; 7.0 rejects any third argument by arity
    assert error_of(abcde, "ZRANK", "z", "a", "WITHSCORE") == arity("zrank")
    assert error_of(abcde, "ZREVRANK", "z", "a", "WITHSCORE") == arity("zrevrank")
    assert error_of(abcde, "ZRANK", "z", "a", "foo") == arity("zrank")
    assert error_of(abcde, "ZRANK", "z") == arity("zrank")


# ---------------------------------------------------------------- ZREM and ZREMRANGEBY*

def test_zrem_counts_removed_members(abcde):
    c = abcde
    assert c.execute_command("ZREM", "z", "a", "x", "a") == 1
    assert members(c, "z") == [b"b", b"c", b"d", b"e"]
    assert c.execute_command("ZREM", "nokey", "a") == 0
    assert error_of(c, "ZREM", "z") == arity("zrem")


def test_zrem_of_the_last_member_deletes_the_key(abcde):
    c = abcde
    assert c.execute_command("ZREM", "z", "a", "b", "c", "d", "e") == 5
    assert exists(c, "z") == 0


@pytest.mark.parametrize("start,stop,removed,left", [
    (0, 1, 2, [b"c", b"d", b"e"]), (-1, -1, 1, [b"a", b"b", b"c", b"d"]),
    (5, 10, 0, [b"a", b"b", b"c", b"d", b"e"]), (1, 0, 0, [b"a", b"b", b"c", b"d", b"e"]),
    (-100, 1, 2, [b"c", b"d", b"e"]), (3, 100, 2, [b"a", b"b", b"c"]),
])
def test_zremrangebyrank(abcde, start, stop, removed, left):
    assert abcde.execute_command("ZREMRANGEBYRANK", "z", start, stop) == removed
    assert members(abcde, "z") == left


def test_zremrangebyrank_of_everything_deletes_the_key(abcde):
    assert abcde.execute_command("ZREMRANGEBYRANK", "z", -100, 100) == 5
    assert exists(abcde, "z") == 0


def test_zremrangebyrank_errors(abcde):
    c = abcde
    assert c.execute_command("ZREMRANGEBYRANK", "nokey", 0, -1) == 0
    assert error_of(c, "ZREMRANGEBYRANK", "z", "x", 1) == NOT_INT
    assert error_of(c, "ZREMRANGEBYRANK", "nokey", "x", 1) == NOT_INT
    assert error_of(c, "ZREMRANGEBYRANK", "z", 1.5, 2) == NOT_INT
    assert error_of(c, "ZREMRANGEBYRANK", "z", 0) == arity("zremrangebyrank")


def test_zremrangebyscore(abcde):
    c = abcde
    assert c.execute_command("ZREMRANGEBYSCORE", "z", "(1", 3) == 2
    assert members(c, "z") == [b"a", b"d", b"e"]
    assert c.execute_command("ZREMRANGEBYSCORE", "z", "-inf", "(5") == 2
    assert members(c, "z") == [b"e"]
    assert c.execute_command("ZREMRANGEBYSCORE", "z", 6, 7) == 0
    assert c.execute_command("ZREMRANGEBYSCORE", "z", 5, "+inf") == 1
    assert exists(c, "z") == 0


def test_zremrangebyscore_errors(abcde):
    c = abcde
    assert error_of(c, "ZREMRANGEBYSCORE", "z", "x", 1) == SCORE_RANGE
    assert error_of(c, "ZREMRANGEBYSCORE", "nokey", "x", 1) == SCORE_RANGE
    assert c.execute_command("ZREMRANGEBYSCORE", "nokey", 0, 1) == 0
    assert error_of(c, "ZREMRANGEBYSCORE", "z", 1) == arity("zremrangebyscore")


def test_zremrangebylex(lex):
    c = lex
    assert c.execute_command("ZREMRANGEBYLEX", "l", "(a", "[c") == 2
    assert members(c, "l") == [b"a", b"d", b"e"]
    assert c.execute_command("ZREMRANGEBYLEX", "l", "[x", "+") == 0
    assert c.execute_command("ZREMRANGEBYLEX", "l", "-", "+") == 3
    assert exists(c, "l") == 0
    assert c.execute_command("ZREMRANGEBYLEX", "l", "-", "+") == 0


def test_zremrangebylex_errors(lex):
    assert error_of(lex, "ZREMRANGEBYLEX", "l", "x", "y") == LEX_RANGE
    assert error_of(lex, "ZREMRANGEBYLEX", "nokey", "x", "y") == LEX_RANGE
    assert lex.execute_command("ZCARD", "l") == 5


# ---------------------------------------------------------------- ZPOPMIN ZPOPMAX

def test_zpop_without_count_is_a_flat_pair(server, c):
    c.execute_command("ZADD", "z", "-0.0", "e", "1.1", "a", 2, "b", 3, "c")
    assert raw2(server, "ZPOPMIN", "z") == b"*2\r\n$1\r\ne\r\n$1\r\n0\r\n"
    assert c.execute_command("ZPOPMAX", "z") == [b"c", b"3"]
    assert zitems(c, "z") == [(b"a", b"1.1000000000000001"), (b"b", b"2")]


def test_zpop_with_count_is_a_flat_array_in_resp2(server, c):
    c.execute_command("ZADD", "z", "1.1", "a", 2, "b", 3, "c", 4, "d")
    assert raw2(server, "ZPOPMIN", "z", "2") == (
        b"*4\r\n$1\r\na\r\n$18\r\n1.1000000000000001\r\n$1\r\nb\r\n$1\r\n2\r\n")
    assert c.execute_command("ZPOPMAX", "z", 1) == [b"d", b"4"]
    assert members(c, "z") == [b"c"]


def test_zpop_count_beyond_the_size_empties_and_deletes(c):
    c.execute_command("ZADD", "z", 1, "a", 2, "b")
    assert c.execute_command("ZPOPMAX", "z", 10) == [b"b", b"2", b"a", b"1"]
    assert exists(c, "z") == 0


def test_zpop_ties_pop_in_member_order(c):
    c.execute_command("ZADD", "z", 1, "b", 1, "a", 1, "c")
    assert c.execute_command("ZPOPMIN", "z") == [b"a", b"1"]
    assert c.execute_command("ZPOPMAX", "z") == [b"c", b"1"]


def test_zpop_of_a_missing_key_or_count_zero_is_an_empty_array(server, c):
    c.execute_command("ZADD", "z", 1, "a")
    assert raw2(server, "ZPOPMIN", "nokey") == b"*0\r\n"  # quirk: empty array, not a null
    assert raw2(server, "ZPOPMIN", "nokey", "3") == b"*0\r\n"
    assert raw2(server, "ZPOPMAX", "z", "0") == b"*0\r\n"
    assert raw2(server, "ZPOPMIN", "nokey", "0") == b"*0\r\n"
    assert zitems(c, "z") == [(b"a", b"1")]


def test_zpop_count_errors(c):
    c.execute_command("ZADD", "z", 1, "a")
    assert error_of(c, "ZPOPMIN", "z", -1) == NOT_POSITIVE
    assert error_of(c, "ZPOPMAX", "z", -1) == NOT_POSITIVE
    assert error_of(c, "ZPOPMIN", "z", "x") == NOT_POSITIVE
    assert error_of(c, "ZPOPMIN", "nokey", -1) == NOT_POSITIVE
    assert error_of(c, "ZPOPMIN", "z", 1, 2) == SYNTAX
    assert error_of(c, "ZPOPMIN") == arity("zpopmin")
    assert zitems(c, "z") == [(b"a", b"1")]


def test_resp3_zpop_shapes(server, c):
    c.execute_command("ZADD", "z", "-inf", "g", 0, "e", "1e-5", "h", "inf", "d", 7, "x")
    # quirk: without a count the pair is flat, with a count (even 1) it is an array of pairs
    assert resp3(server, b"ZPOPMIN z", b"ZPOPMIN z 2", b"ZPOPMAX z", b"ZPOPMAX z 1",
                 b"ZPOPMAX z 0", b"ZPOPMIN nokey", b"ZPOPMIN nokey 2") == (
        b"*2\r\n$1\r\ng\r\n,-inf\r\n"
        b"*2\r\n*2\r\n$1\r\ne\r\n,0\r\n*2\r\n$1\r\nh\r\n,1.0000000000000001e-05\r\n"
        b"*2\r\n$1\r\nd\r\n,inf\r\n"
        b"*1\r\n*2\r\n$1\r\nx\r\n,7\r\n"
        b"*0\r\n*0\r\n*0\r\n")


# ---------------------------------------------------------------- ZMPOP

def test_zmpop_min_and_max(server, c):
    c.execute_command("ZADD", "z", 1, "a", 2, "b", 3, "c")
    assert raw2(server, "ZMPOP", "1", "z", "MIN") == (
        b"*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n")
    assert c.execute_command("ZMPOP", 1, "z", "max", "count", 1) == [b"z", [[b"c", b"3"]]]
    assert members(c, "z") == [b"b"]


def test_zmpop_pops_from_the_first_non_empty_key(c):
    c.execute_command("ZADD", "y", 10, "p", 20, "q")
    c.execute_command("ZADD", "z", 1, "a")
    assert c.execute_command("ZMPOP", 3, "nokey", "y", "z", "MAX", "COUNT", 5) == [
        b"y", [[b"q", b"20"], [b"p", b"10"]]]
    assert exists(c, "y") == 0
    assert c.execute_command("ZMPOP", 2, "nokey", "z", "MIN", "COUNT", 10) == [
        b"z", [[b"a", b"1"]]]
    assert exists(c, "z") == 0


def test_zmpop_of_empty_keys_is_a_null_array(server, c):
    assert c.execute_command("ZMPOP", 2, "nokey", "nokey2", "MIN") is None
    assert raw2(server, "ZMPOP", "2", "nokey", "nokey2", "MAX") == b"*-1\r\n"
    assert resp3(server, b"ZMPOP 1 nokey MIN") == b"_\r\n"


def test_resp3_zmpop_shape(server, c):
    c.execute_command("ZADD", "z", "0.1", "f", "1e17", "j", "1e20", "c")
    assert resp3(server, b"ZMPOP 1 z MIN", b"ZMPOP 1 z MAX COUNT 2") == (
        b"*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\nf\r\n,0.10000000000000001\r\n"
        b"*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\nc\r\n,1e+20\r\n*2\r\n$1\r\nj\r\n,1e+17\r\n")


@pytest.mark.parametrize("numkeys", ["0", "-1", "x", "99999999999999999999"])
def test_zmpop_numkeys_errors(c, numkeys):
    assert error_of(c, "ZMPOP", numkeys, "z", "MIN") == NUMKEYS


@pytest.mark.parametrize("count", ["0", "-1", "x", "99999999999999999999"])
def test_zmpop_count_errors(c, count):
    c.execute_command("ZADD", "z", 1, "a")
    assert error_of(c, "ZMPOP", 1, "z", "MIN", "COUNT", count) == COUNT_POSITIVE
    assert zitems(c, "z") == [(b"a", b"1")]


@pytest.mark.parametrize("args", [
    ("1", "z", "FOO"), ("2", "z", "MIN"), ("3", "z", "y", "MIN"), ("1", "z", "MIN", "COUNT"),
    ("1", "z", "MIN", "COUNT", "1", "COUNT", "1"), ("1", "z", "MIN", "FOO"),
    ("2147483648", "z", "MIN"),
], ids=idfn)
def test_zmpop_syntax_errors(c, args):
    # quirk: more numkeys than keys is a plain "syntax error" in 7.0
    c.execute_command("ZADD", "z", 1, "a")
    assert error_of(c, "ZMPOP", *args) == SYNTAX


def test_zmpop_arity(c):
    assert error_of(c, "ZMPOP") == arity("zmpop")
    assert error_of(c, "ZMPOP", 1) == arity("zmpop")
    assert error_of(c, "ZMPOP", 1, "z") == arity("zmpop")


def test_zmpop_type_checks(c):
    c.execute_command("SET", "s", "v")
    c.execute_command("ZADD", "z", 1, "a")
    assert error_of(c, "ZMPOP", 1, "s", "MIN") == WRONGTYPE
    assert error_of(c, "ZMPOP", 2, "nokey", "s", "MIN") == WRONGTYPE
    # the first non-empty zset wins before a later wrong-typed key is looked at
    assert c.execute_command("ZMPOP", 2, "z", "s", "MIN") == [b"z", [[b"a", b"1"]]]


# ---------------------------------------------------------------- ZRANDMEMBER

def test_zrandmember_without_count(server, c):
    assert c.execute_command("ZRANDMEMBER", "nokey") is None
    assert raw2(server, "ZRANDMEMBER", "nokey") == b"$-1\r\n"
    c.execute_command("ZADD", "z", 1, "a", 2, "b")
    for _ in range(20):
        assert c.execute_command("ZRANDMEMBER", "z") in (b"a", b"b")
    assert c.execute_command("ZCARD", "z") == 2


def test_zrandmember_positive_count_gives_distinct_members(c):
    fill(c, "z", 100)
    every = {b"m%d" % i for i in range(100)}
    for count in (1, 10, 40, 99):
        got = c.execute_command("ZRANDMEMBER", "z", count)
        assert len(got) == count and len(set(got)) == count and set(got) <= every


def test_zrandmember_positive_count_on_a_skiplist(c):
    fill(c, "z", 300)
    assert encoding(c, "z") == b"skiplist"
    for count in (5, 150, 299):
        got = c.execute_command("ZRANDMEMBER", "z", count)
        assert len(got) == count and len(set(got)) == count


def test_zrandmember_count_at_least_the_size_gives_the_whole_zset(c):
    c.execute_command("ZADD", "z", 1, "a", 2, "b", 3, "c")
    for count in (3, 10):
        got = c.execute_command("ZRANDMEMBER", "z", count)
        assert sorted(got) == [b"a", b"b", b"c"]
        flat = c.execute_command("ZRANDMEMBER", "z", count, "WITHSCORES")
        assert sorted(zip(flat[0::2], flat[1::2])) == [(b"a", b"1"), (b"b", b"2"), (b"c", b"3")]


def test_zrandmember_withscores_pairs_each_member_with_its_score(c):
    fill(c, "z", 50)
    flat = c.execute_command("ZRANDMEMBER", "z", 20, "withscores")
    pairs = list(zip(flat[0::2], flat[1::2]))
    assert len(pairs) == 20 and len({m for m, _ in pairs}) == 20
    for m, s in pairs:
        assert m == b"m" + s


def test_zrandmember_negative_count_may_repeat(c):
    c.execute_command("ZADD", "z", 1, "a")
    assert c.execute_command("ZRANDMEMBER", "z", -3) == [b"a"] * 3
    assert c.execute_command("ZRANDMEMBER", "z", -2, "WITHSCORES") == [b"a", b"1", b"a", b"1"]
    c.execute_command("ZADD", "z", 2, "b")
    got = c.execute_command("ZRANDMEMBER", "z", -50)
    assert len(got) == 50 and set(got) <= {b"a", b"b"}


def test_zrandmember_empty_results(c):
    c.execute_command("ZADD", "z", 1, "a")
    assert c.execute_command("ZRANDMEMBER", "z", 0) == []
    assert c.execute_command("ZRANDMEMBER", "z", 0, "WITHSCORES") == []
    assert c.execute_command("ZRANDMEMBER", "nokey", 3) == []
    assert c.execute_command("ZRANDMEMBER", "nokey", -3, "WITHSCORES") == []


def test_zrandmember_errors(c):
    c.execute_command("ZADD", "z", 1, "a", 2, "b", 3, "c")
    assert error_of(c, "ZRANDMEMBER", "z", "x") == NOT_INT
    assert error_of(c, "ZRANDMEMBER", "z", 1, "FOO") == SYNTAX
    assert error_of(c, "ZRANDMEMBER", "z", 1, "WITHSCORES", "x") == SYNTAX
    assert error_of(c, "ZRANDMEMBER", "z", str(INT64_MIN)) == RANDMEMBER_RANGE


def test_zrandmember_withscores_count_range(c):
    # -count*2 must fit a long: counts below -LONG_MAX/2 are refused with a shorter text.
    # Never test the boundary's accepting side: -4611686018427387903 WITHSCORES is accepted
    # and makes Redis build a 4.6e18-element reply.
    c.execute_command("ZADD", "z", 1, "a", 2, "b", 3, "c")
    assert error_of(c, "ZRANDMEMBER", "z", str(-INT64_MAX), "WITHSCORES") == "value is out of range"
    assert error_of(c, "ZRANDMEMBER", "z", "-4611686018427387904", "WITHSCORES") == (
        "value is out of range")
    assert error_of(c, "ZRANDMEMBER", "z", str(INT64_MIN), "WITHSCORES") == RANDMEMBER_RANGE


def test_zrandmember_huge_positive_counts(c):
    # a positive count is capped by the size (a negative one is NOT: never send a large
    # negative count, its reply has -count elements)
    c.execute_command("ZADD", "z", 1, "a", 2, "b")
    assert sorted(c.execute_command("ZRANDMEMBER", "z", str(INT64_MAX))) == [b"a", b"b"]
    # quirk: with WITHSCORES any count beyond +-LONG_MAX/2 is refused, even positive ones
    assert error_of(c, "ZRANDMEMBER", "z", str(INT64_MAX), "WITHSCORES") == "value is out of range"


def test_zrandmember_reply_shapes(server, c):
    c.execute_command("ZADD", "z", 10, "b")
    assert raw2(server, "ZRANDMEMBER", "z", "1", "WITHSCORES") == (
        b"*2\r\n$1\r\nb\r\n$2\r\n10\r\n")
    assert resp3(server, b"ZRANDMEMBER z 1 WITHSCORES", b"ZRANDMEMBER z -2 WITHSCORES",
                 b"ZRANDMEMBER z 1", b"ZRANDMEMBER nokey", b"ZRANDMEMBER nokey 1") == (
        b"*1\r\n*2\r\n$1\r\nb\r\n,10\r\n"
        b"*2\r\n*2\r\n$1\r\nb\r\n,10\r\n*2\r\n$1\r\nb\r\n,10\r\n"
        b"*1\r\n$1\r\nb\r\n_\r\n*0\r\n")


# ---------------------------------------------------------------- ZSCAN

def test_zscan_of_a_listpack_is_one_call_in_rank_order(server, c):
    c.execute_command("ZADD", "z", 3, "c", "1.1", "a", 2, "b", "-0.0", "e")
    assert c.execute_command("ZSCAN", "z", 0, "COUNT", 1) == [
        b"0", [b"e", b"0", b"a", b"1.1000000000000001", b"b", b"2", b"c", b"3"]]


def test_resp3_zscan_scores_stay_bulk_strings(server, c):
    # quirk: ZSCAN replies scores as bulk strings even in RESP3
    c.execute_command("ZADD", "z", "1.1", "a", 10, "b")
    assert resp3(server, b"ZSCAN z 0") == (
        b"*2\r\n$1\r\n0\r\n*4\r\n$1\r\na\r\n$18\r\n1.1000000000000001\r\n$1\r\nb\r\n$2\r\n10\r\n")


# (score given, member) -> how a listpack stores it; ZSCAN of a listpack replies that text
SCAN_SCORES = [
    ("-inf", b"-inf"), ("-1e17", b"-100000000000000000"), ("-0.0", b"0"),
    ("1e-5", b"1.0000000000000001e-05"), ("0.1", b"0.10000000000000001"), ("1.5", b"1.5"),
    ("2e15", b"2000000000000000"), ("1e16", b"10000000000000000"),
    ("1e17", b"100000000000000000"), ("123456789012345678", b"123456789012345680"),
    ("1e18", b"1000000000000000000"), ("4e18", b"4000000000000000000"),
    ("4611686018427387904", b"4611686018427387904"),  # 2^62, the last integer-printed one
    ("5e18", b"5e+18"), ("1e19", b"1e+19"), ("inf", b"inf"),
]
# the same scores as ZSCORE, ZRANGE, ZRANDMEMBER, ZPOPMIN and a skiplist's ZSCAN print them
REPLY_SCORES = [
    b"-inf", b"-1e+17", b"0", b"1.0000000000000001e-05", b"0.10000000000000001", b"1.5",
    b"2000000000000000", b"10000000000000000", b"1e+17", b"1.2345678901234568e+17", b"1e+18",
    b"4e+18", b"4.6116860184273879e+18", b"5e+18", b"1e+19", b"inf",
]


def test_zscan_of_a_listpack_replies_the_stored_score_text(server, c):
    # quirk: a listpack ZSCAN copies the stored text out; integral scores with
    # |score| <= 2^62 are stored as integers, so 1e17 scans as "100000000000000000"
    # while ZSCORE/ZRANGE/ZRANDMEMBER (and a skiplist's ZSCAN) say "1e+17"
    args = []
    for i, (given, _) in enumerate(SCAN_SCORES):
        args += [given, b"v%02d" % i]
    c.execute_command("ZADD", "z", *args)
    assert encoding(c, "z") == b"listpack"
    names = [b"v%02d" % i for i in range(len(SCAN_SCORES))]
    stored = [text for _, text in SCAN_SCORES]
    flat = [x for pair in zip(names, stored) for x in pair]
    assert c.execute_command("ZSCAN", "z", 0, "COUNT", 100) == [b"0", flat]
    assert zitems(c, "z") == list(zip(names, REPLY_SCORES))
    assert [c.execute_command("ZSCORE", "z", m) for m in names] == REPLY_SCORES
    rnd = c.execute_command("ZRANDMEMBER", "z", 20, "WITHSCORES")
    assert dict(zip(rnd[0::2], rnd[1::2])) == dict(zip(names, REPLY_SCORES))
    assert resp3(server, b"ZSCAN z 0 MATCH v0[01]") == (
        b"*2\r\n$1\r\n0\r\n*4\r\n$3\r\nv00\r\n$4\r\n-inf\r\n"
        b"$3\r\nv01\r\n$19\r\n-100000000000000000\r\n")
    # a skiplist, converted from this listpack or built directly, scans like ZSCORE (and
    # the direct one kept -0.0's sign)
    c.execute_command("ZADD", "z", 1, LONG)
    c.execute_command("ZADD", "sk", 1, LONG, *args)
    expected = dict(zip(names, REPLY_SCORES))
    expected[LONG] = b"1"
    for key in ("z", "sk"):
        assert encoding(c, key) == b"skiplist"
        got, _ = scan_all(c, key, "COUNT", 100)
        assert len(got) == len(expected) and dict(got) == expected
        expected[b"v02"] = b"-0"


def test_zscan_of_a_skiplist_formats_scores_like_zscore(c):
    c.execute_command("ZADD", "z", "1.1", "a", 1, b"x" * 93)
    assert encoding(c, "z") == b"skiplist"
    got, _ = scan_all(c, "z")
    assert sorted(got) == [(b"a", b"1.1000000000000001"), (b"x" * 93, b"1")]


def test_zscan_returns_all_300_members_with_their_scores(c):
    fill(c, "z", 300)
    got, calls = scan_all(c, "z", "COUNT", 10)
    assert calls > 1
    assert set(got) == {(b"m%d" % i, b"%d" % i) for i in range(300)}


def test_zscan_match_filters_members_and_keeps_pairs(c):
    c.execute_command("ZADD", "z", 1, "user:1", 2, "page:1", 3, "user:2")
    assert c.execute_command("ZSCAN", "z", 0, "MATCH", "user:*") == [
        b"0", [b"user:1", b"1", b"user:2", b"3"]]
    assert c.execute_command("ZSCAN", "z", 0, "MATCH", "2") == [b"0", []]  # scores not matched
    fill(c, "big", 300)
    got, _ = scan_all(c, "big", "MATCH", "m1?", "COUNT", 20)
    assert set(got) == {(b"m1%d" % i, b"1%d" % i) for i in range(10)}


def test_zscan_errors_and_missing_key(c):
    c.execute_command("ZADD", "z", 1, "a")
    assert c.execute_command("ZSCAN", "nokey", 0) == [b"0", []]
    assert error_of(c, "ZSCAN", "z", "x1") == "invalid cursor"
    assert error_of(c, "ZSCAN", "z", 0, "COUNT", 0) == SYNTAX
    assert error_of(c, "ZSCAN", "z", 0, "FOO") == SYNTAX
    assert error_of(c, "ZSCAN", "z") == arity("zscan")


@pytest.mark.parametrize("opts,error", [
    (("NOVALUES",), SYNTAX),  # Redis 7.0 quirk: NOVALUES arrived in 7.4
    (("TYPE", "zset"), SYNTAX),  # TYPE is a SCAN-only option
    (("COUNT", "x"), NOT_INT), (("COUNT", "-1"), SYNTAX), (("MATCH",), SYNTAX),
], ids=idfn)
def test_zscan_option_errors(c, opts, error):
    c.execute_command("ZADD", "z", 1, LONG)
    assert error_of(c, "ZSCAN", "z", 0, *opts) == error


def test_zscan_of_a_missing_key_ignores_its_options(c):
    # the cursor is checked first, then the key: a missing key answers the empty scan
    # before any option is parsed (checked against the 7.0 source, see report)
    assert c.execute_command("ZSCAN", "nokey", 0, "FOO") == [b"0", []]
    assert c.execute_command("ZSCAN", "nokey", 0, "COUNT", 0) == [b"0", []]
    assert error_of(c, "ZSCAN", "nokey", "x") == "invalid cursor"


@pytest.mark.parametrize("cursor", ["-1", "12345", "18446744073709551615", ""])
def test_zscan_cursor_is_parsed_by_strtoul(c, cursor):
    # quirk: "-1" wraps to 2^64-1 and "" parses as 0; a listpack ignores the cursor
    c.execute_command("ZADD", "z", 1, "a", 2, "b")
    assert c.execute_command("ZSCAN", "z", cursor) == [b"0", [b"a", b"1", b"b", b"2"]]


@pytest.mark.parametrize("cursor", [" 1", "1.5", "18446744073709551616", "x1"])
def test_zscan_invalid_cursors(c, cursor):
    c.execute_command("ZADD", "z", 1, "a", 2, "b")
    assert error_of(c, "ZSCAN", "z", cursor) == "invalid cursor"


# ---------------------------------------------------------------- types and encodings

ZSET_COMMANDS = [
    ("ZADD", "k", "1", "m"), ("ZADD", "k", "INCR", "1", "m"), ("ZINCRBY", "k", "1", "m"),
    ("ZSCORE", "k", "m"), ("ZMSCORE", "k", "m"), ("ZCARD", "k"), ("ZCOUNT", "k", "0", "1"),
    ("ZLEXCOUNT", "k", "-", "+"), ("ZRANK", "k", "m"), ("ZREVRANK", "k", "m"),
    ("ZREM", "k", "m"), ("ZREMRANGEBYRANK", "k", "0", "1"), ("ZREMRANGEBYSCORE", "k", "0", "1"),
    ("ZREMRANGEBYLEX", "k", "-", "+"), ("ZPOPMIN", "k"), ("ZPOPMAX", "k", "2"),
    ("ZMPOP", "1", "k", "MIN"), ("ZRANDMEMBER", "k"), ("ZRANDMEMBER", "k", "2", "WITHSCORES"),
    ("ZSCAN", "k", "0"),
]


@pytest.mark.parametrize("args", ZSET_COMMANDS, ids=idfn)
def test_zset_commands_on_a_string_are_wrongtype(c, args):
    c.execute_command("SET", "k", "v")
    assert error_of(c, *args) == WRONGTYPE
    assert c.execute_command("GET", "k") == b"v"


ALL_ZSET_COMMANDS = ["ZADD", "ZINCRBY", "ZSCORE", "ZMSCORE", "ZCARD", "ZCOUNT", "ZLEXCOUNT",
                     "ZRANK", "ZREVRANK", "ZREM", "ZREMRANGEBYRANK", "ZREMRANGEBYSCORE",
                     "ZREMRANGEBYLEX", "ZPOPMIN", "ZPOPMAX", "ZMPOP", "ZRANDMEMBER", "ZSCAN"]


@pytest.mark.parametrize("cmd", ALL_ZSET_COMMANDS)
def test_zset_commands_without_arguments_are_arity_errors(c, cmd):
    assert error_of(c, cmd) == arity(cmd)


@pytest.mark.parametrize("args", [
    ("ZSCORE", "z", "a", "b"), ("ZCOUNT", "z", "0", "1", "x"), ("ZCOUNT", "z", "0"),
    ("ZLEXCOUNT", "z", "-", "+", "x"), ("ZLEXCOUNT", "z", "-"),
    ("ZREMRANGEBYLEX", "z", "-", "+", "x"), ("ZREMRANGEBYLEX", "z", "-"),
    ("ZREMRANGEBYSCORE", "z", "0", "1", "x"), ("ZREMRANGEBYRANK", "z", "0", "1", "x"),
    ("ZINCRBY", "z", "1"), ("ZREM", "z"), ("ZMSCORE", "z"), ("ZRANDMEMBER",),
], ids=idfn)
def test_fixed_arity_violations(c, args):
    c.execute_command("ZADD", "z", 1, "a")
    assert error_of(c, *args) == arity(args[0])
    assert zitems(c, "z") == [(b"a", b"1")]


def test_zset_commands_on_a_hash_are_wrongtype(c):
    c.execute_command("HSET", "h", "f", "v")
    assert error_of(c, "ZADD", "h", 1, "a") == WRONGTYPE
    assert error_of(c, "ZCARD", "h") == WRONGTYPE
    assert error_of(c, "ZSCORE", "h", "f") == WRONGTYPE
    assert c.execute_command("HGETALL", "h") == [b"f", b"v"]


@pytest.mark.parametrize("args", [("GET", "k"), ("LPUSH", "k", "x"), ("SADD", "k", "x"),
                                  ("HSET", "k", "f", "v"), ("INCR", "k")], ids=lambda a: a[0])
def test_other_commands_on_a_zset_are_wrongtype(c, args):
    c.execute_command("ZADD", "k", 1, "m")
    assert error_of(c, *args) == WRONGTYPE


def test_type_of_a_zset(c):
    c.execute_command("ZADD", "z", 1, "m")
    assert c.execute_command("TYPE", "z") == b"zset"


def test_encoding_is_listpack_up_to_128_members(c):
    fill(c, "z", 128)
    assert encoding(c, "z") == b"listpack"
    c.execute_command("ZADD", "z", 1000, "one-more")
    assert encoding(c, "z") == b"skiplist"
    c.execute_command("ZREMRANGEBYRANK", "z", 0, 120)
    assert encoding(c, "z") == b"skiplist"  # never converted back


def test_encoding_is_skiplist_for_a_member_over_64_bytes(c):
    c.execute_command("ZADD", "z", 1, b"x" * 64)
    assert encoding(c, "z") == b"listpack"
    c.execute_command("ZADD", "z", 2, b"y" * 65)
    assert encoding(c, "z") == b"skiplist"
    c.execute_command("ZADD", "new", 1, b"y" * 65)
    assert encoding(c, "new") == b"skiplist"


def test_config_zset_max_listpack_entries(c):
    old = c.execute_command("CONFIG", "GET", "zset-max-listpack-entries")[1]
    try:
        c.execute_command("CONFIG", "SET", "zset-max-listpack-entries", 4)
        fill(c, "z", 4)
        assert encoding(c, "z") == b"listpack"
        c.execute_command("ZADD", "z", 9, "e")
        assert encoding(c, "z") == b"skiplist"
    finally:
        c.execute_command("CONFIG", "SET", "zset-max-listpack-entries", old)


def test_config_zset_max_listpack_value(c):
    old = c.execute_command("CONFIG", "GET", "zset-max-listpack-value")[1]
    try:
        c.execute_command("CONFIG", "SET", "zset-max-listpack-value", 3)
        c.execute_command("ZADD", "z", 1, "abc")
        assert encoding(c, "z") == b"listpack"
        c.execute_command("ZADD", "z", 2, "abcd")
        assert encoding(c, "z") == b"skiplist"
        c.execute_command("ZADD", "new", 1, "abcd")  # a new key: its first member decides
        assert encoding(c, "new") == b"skiplist"
    finally:
        c.execute_command("CONFIG", "SET", "zset-max-listpack-value", old)


def test_skiplist_commands_match_listpack_ones(c):
    """The same operations on a 200-member skiplist answer like on a listpack."""
    fill(c, "z", 200)
    assert encoding(c, "z") == b"skiplist"
    assert c.execute_command("ZSCORE", "z", "m150") == b"150"
    assert c.execute_command("ZRANK", "z", "m150") == 150
    assert c.execute_command("ZREVRANK", "z", "m150") == 49
    assert c.execute_command("ZCOUNT", "z", "(10", 20) == 10
    assert c.execute_command("ZPOPMIN", "z", 2) == [b"m0", b"0", b"m1", b"1"]
    assert c.execute_command("ZREMRANGEBYSCORE", "z", 190, "+inf") == 10
    assert c.execute_command("ZREMRANGEBYRANK", "z", 0, 7) == 8
    assert c.execute_command("ZINCRBY", "z", "0.5", "m10") == b"10.5"
    assert c.execute_command("ZCARD", "z") == 180


def test_scan_type_zset(c):
    c.execute_command("ZADD", "z1", 1, "m")
    c.execute_command("ZADD", "z2", 1, "m")
    c.execute_command("SADD", "s", "m")
    c.execute_command("SET", "str", "v")
    keys, cursor = set(), b"0"
    for _ in range(1000):
        cursor, batch = c.execute_command("SCAN", cursor, "TYPE", "zset", "COUNT", 100)
        keys.update(batch)
        if cursor == b"0":
            break
    assert keys == {b"z1", b"z2"}


def test_copy_of_a_zset_is_independent(c):
    c.execute_command("ZADD", "z", 1, "a")
    assert c.execute_command("COPY", "z", "z2") == 1
    c.execute_command("ZADD", "z2", 2, "b")
    assert zitems(c, "z") == [(b"a", b"1")]
    assert zitems(c, "z2") == [(b"a", b"1"), (b"b", b"2")]
    assert c.execute_command("COPY", "z", "z2") == 0
    fill(c, "big", 200)
    assert c.execute_command("COPY", "big", "big2") == 1
    assert encoding(c, "big2") == b"skiplist"
    assert c.execute_command("ZSCORE", "big2", "m199") == b"199"


def test_rename_and_move_a_zset(server, c):
    c.execute_command("ZADD", "z", "1.5", "a")
    assert c.execute_command("RENAME", "z", "z2") == b"OK"
    assert zitems(c, "z2") == [(b"a", b"1.5")]
    assert c.execute_command("MOVE", "z2", 1) == 1
    assert exists(c, "z2") == 0
    other = server.client(db=1)
    try:
        other.response_callbacks.clear()
        assert other.execute_command("ZSCORE", "z2", "a") == b"1.5"
        assert other.execute_command("TYPE", "z2") == b"zset"
    finally:
        other.close()


def test_expire_on_a_zset(c):
    c.execute_command("ZADD", "z", 1, "a")
    assert c.execute_command("EXPIRE", "z", 100) == 1
    assert 0 < c.execute_command("TTL", "z") <= 100
    c.execute_command("ZADD", "z", 2, "b")  # a write keeps the TTL
    assert 0 < c.execute_command("TTL", "z") <= 100
    assert c.execute_command("PEXPIRE", "z", 50) == 1
    time.sleep(0.2)
    assert exists(c, "z") == 0
    assert c.execute_command("ZCARD", "z") == 0


def test_set_replaces_a_zset(c):
    c.execute_command("ZADD", "k", 1, "m")
    c.execute_command("SET", "k", "v")
    assert c.execute_command("TYPE", "k") == b"string"


# ---------------------------------------------------------------- binary members

def test_binary_and_empty_members(server, c):
    c.execute_command("ZADD", "z", 1, b"\x00a\r\n", 2, b"", 3, b"\xff")
    assert c.execute_command("ZSCORE", "z", b"\x00a\r\n") == b"1"
    assert c.execute_command("ZSCORE", "z", b"") == b"2"
    assert c.execute_command("ZRANK", "z", b"") == 1
    assert zitems(c, "z") == [(b"\x00a\r\n", b"1"), (b"", b"2"), (b"\xff", b"3")]
    assert raw2(server, "ZPOPMIN", "z") == b"*2\r\n$4\r\n\x00a\r\n\r\n$1\r\n1\r\n"
    assert c.execute_command("ZREM", "z", b"") == 1
    assert zitems(c, "z") == [(b"\xff", b"3")]


def test_lex_ranges_compare_binary_members_bytewise(c):
    c.execute_command("ZADD", "z", 0, b"", 0, b"\x00", 0, b"a", 0, b"\xff")
    assert c.execute_command("ZLEXCOUNT", "z", "[", "[") == 1  # "[" alone is the empty member
    assert c.execute_command("ZLEXCOUNT", "z", "(", "+") == 3
    assert c.execute_command("ZLEXCOUNT", "z", b"[\x00", b"(\xff") == 2
    assert members(c, "z") == [b"", b"\x00", b"a", b"\xff"]


# ---------------------------------------------------------------- keyspace events, WATCH, MULTI

def test_zset_keyspace_events(server, c):
    commands = [
        ("ZADD", "z", 1, "a", 2, "b", 3, "c", 4, "d"), ("ZADD", "z", "INCR", 1, "a"),
        ("ZINCRBY", "z", 1, "b"), ("ZREM", "z", "a"), ("ZPOPMIN", "z"), ("ZPOPMAX", "z", 1),
        ("ZMPOP", 1, "z", "MAX"),
    ]
    expected = [(b"zadd", b"z"), (b"zincr", b"z"), (b"zincr", b"z"), (b"zrem", b"z"),
                (b"zpopmin", b"z"), (b"zpopmax", b"z"), (b"zpopmax", b"z"), (b"del", b"z")]
    assert keyevents(server, c, commands, len(expected)) == expected


def test_zremrange_events_and_del_when_emptied(server, c):
    commands = [
        ("ZADD", "z", 1, "a", 2, "b", 3, "c"), ("ZREMRANGEBYRANK", "z", 0, 0),
        ("ZREMRANGEBYSCORE", "z", 2, 2), ("ZREMRANGEBYLEX", "z", "-", "+"),
        ("ZADD", "y", 1, "a"), ("ZREM", "y", "a"),
    ]
    expected = [(b"zadd", b"z"), (b"zremrangebyrank", b"z"), (b"zremrangebyscore", b"z"),
                (b"zremrangebylex", b"z"), (b"del", b"z"), (b"zadd", b"y"), (b"zrem", b"y"),
                (b"del", b"y")]
    assert keyevents(server, c, commands, len(expected)) == expected


def test_no_op_zset_writes_raise_no_events(server, c):
    c.execute_command("ZADD", "z", 1, "a")
    commands = [
        ("ZADD", "z", "NX", 5, "a"), ("ZADD", "z", 1, "a"), ("ZADD", "z", "XX", 1, "b"),
        ("ZADD", "z", "GT", "INCR", -1, "a"), ("ZREM", "z", "nomember"),
        ("ZREMRANGEBYSCORE", "z", 5, 6), ("ZPOPMIN", "nokey"), ("ZADD", "z", 2, "a"),
    ]
    assert keyevents(server, c, commands, 1) == [(b"zadd", b"z")]


def _watch_survives(server, c, write):
    """True if EXEC still runs after `write` touched the watched key z."""
    watcher = server.client()
    try:
        p = watcher.pipeline(transaction=True)
        p.watch("z")
        c.execute_command(*write)
        p.multi()
        p.set("marker", "1")
        try:
            p.execute()
            return True
        except redis.WatchError:
            return False
    finally:
        watcher.close()


@pytest.mark.parametrize("write", [
    ("ZADD", "z", 2, "a"), ("ZADD", "z", 1, "b"), ("ZINCRBY", "z", 1, "a"), ("ZREM", "z", "a"),
    ("ZPOPMIN", "z"), ("ZREMRANGEBYRANK", "z", 0, -1), ("ZMPOP", 1, "z", "MAX"),
], ids=idfn)
def test_zset_writes_break_a_watch(server, c, write):
    c.execute_command("ZADD", "z", 1, "a")
    assert _watch_survives(server, c, write) is False


@pytest.mark.parametrize("write", [
    ("ZADD", "z", "NX", 5, "a"), ("ZADD", "z", 1, "a"), ("ZADD", "z", "XX", 1, "b"),
    ("ZADD", "z", "LT", 9, "a"), ("ZREM", "z", "nomember"), ("ZREMRANGEBYSCORE", "z", 5, 6),
], ids=idfn)
def test_zset_writes_that_change_nothing_keep_a_watch(server, c, write):
    # Redis only signals the key when a member was added, updated or removed
    c.execute_command("ZADD", "z", 1, "a")
    assert _watch_survives(server, c, write) is True
    assert c.execute_command("GET", "marker") == b"1"


def test_multi_exec_with_zset_commands(c):
    p = c.pipeline(transaction=True)
    p.execute_command("ZADD", "z", 1, "a", 2, "b")
    p.execute_command("ZINCRBY", "z", "0.5", "a")
    p.execute_command("ZSCORE", "z", "a")
    p.execute_command("ZADD", "z", "NX", "XX", 1, "a")  # fails at EXEC, the rest still runs
    p.execute_command("ZPOPMAX", "z")
    p.execute_command("ZCARD", "z")
    got = p.execute(raise_on_error=False)
    assert got[:3] == [2, b"1.5", b"1.5"]
    assert isinstance(got[3], redis.ResponseError) and str(got[3]) == XX_AND_NX
    assert got[4:] == [[b"b", b"2"], 1]


def test_arity_errors_abort_a_multi(server, c):
    out = server.raw(b"MULTI\r\nZADD z 1\r\nZCARD z\r\nEXEC\r\n", read_timeout=0.5)
    assert out == (b"+OK\r\n-ERR wrong number of arguments for 'zadd' command\r\n+QUEUED\r\n"
                   b"-EXECABORT Transaction discarded because of previous errors.\r\n")
