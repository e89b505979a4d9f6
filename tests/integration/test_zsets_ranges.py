"""Sorted-set range reads and set algebra against the real vellumd: ZRANGE in every form
(by rank, BYSCORE, BYLEX, REV, LIMIT, WITHSCORES), ZRANGESTORE, ZRANGEBYSCORE,
ZREVRANGEBYSCORE, ZRANGEBYLEX, ZREVRANGEBYLEX, ZREVRANGE, ZUNION ZINTER ZDIFF and their STORE
forms, and ZINTERCARD, with Redis 7.0's reply shapes (RESP2 and RESP3), keyspace events and
exact error texts, all checked against redis-server 7.0.15.

Replies are read without redis-py's response callbacks (fixture `c`), so members and scores
stay bytes exactly as the server sent them (scores are formatted by Redis 7.0 with "%.17g":
0.1 comes back as 0.10000000000000001). redis-py drops the leading "ERR " of an error line
(not "WRONGTYPE "). Exact reply bytes are checked with raw2() (RESP2) and resp3().

Some Redis 7.0 quirks pinned below, each marked where it is tested: REV swaps the meaning of
the two range arguments for BYSCORE/BYLEX (max comes first) but not for ranks; "LIMIT o -1" is
accepted with a rank range (only a count other than -1 is refused); ZRANGEBYLEX WITHSCORES
reports the BYLEX error; a score bound is parsed with strtod (leading blanks, hex, "" = 0);
ZUNION/ZINTER/ZDIFF check every key's type before they look at the options; +inf + -inf in
a SUM is 0; ZINTERCARD reports a non-integer LIMIT as "LIMIT can't be negative"."""
import pytest

from vellum_harness import bulk, error_of, exists, keyevents, raw2, resp3

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_INT = "value is not an integer or out of range"
SYNTAX = "syntax error"
NOT_FLOAT_RANGE = "min or max is not a float"
NOT_LEX_RANGE = "min or max not valid string range item"
LIMIT_NEEDS_BY = ("syntax error, LIMIT is only supported in combination with either BYSCORE "
                  "or BYLEX")
WITHSCORES_BYLEX = "syntax error, WITHSCORES not supported in combination with BYLEX"
WEIGHT_NOT_FLOAT = "weight value is not a float"
LIMIT_NEGATIVE = "LIMIT can't be negative"


def at_least_one_key(command):
    return "at least 1 input key is needed for '%s' command" % command


def zadd(cl, key, *score_members):
    return cl.execute_command("ZADD", key, *score_members)


def members(cl, key):
    return cl.execute_command("ZRANGE", key, 0, -1)


def scored(cl, key):
    """The whole sorted set as [member, score, ...] bytes (RESP2 WITHSCORES)."""
    return cl.execute_command("ZRANGE", key, 0, -1, "WITHSCORES")


def flat(*items):
    """A RESP2 array of bulk strings."""
    return b"*%d\r\n" % len(items) + b"".join(map(bulk, items))


def pairs3(*member_scores):
    """A RESP3 WITHSCORES reply: an array of [member, double] arrays."""
    out = b"*%d\r\n" % (len(member_scores) // 2)
    for member, score in zip(member_scores[::2], member_scores[1::2]):
        out += b"*2\r\n" + bulk(member) + b"," + score.encode() + b"\r\n"
    return out


@pytest.fixture
def z(c):
    """c with z = {a:1 b:2 c:3 d:4 e:5}."""
    zadd(c, "z", 1, "a", 2, "b", 3, "c", 4, "d", 5, "e")
    return c


@pytest.fixture
def lex(c):
    """c with lex = {"" a ab b c d e}, all scored 0."""
    zadd(c, "lex", 0, "a", 0, "b", 0, "c", 0, "d", 0, "e", 0, "ab", 0, "")
    return c


# ---------------------------------------------------------------- ZRANGE by rank

def test_zrange_by_rank_whole_and_partial(z):
    assert members(z, "z") == [b"a", b"b", b"c", b"d", b"e"]
    assert z.execute_command("ZRANGE", "z", 0, 0) == [b"a"]
    assert z.execute_command("ZRANGE", "z", 1, 3) == [b"b", b"c", b"d"]


def test_zrange_negative_indexes_count_from_the_end(z):
    assert z.execute_command("ZRANGE", "z", -2, -1) == [b"d", b"e"]
    assert z.execute_command("ZRANGE", "z", 1, -2) == [b"b", b"c", b"d"]
    assert z.execute_command("ZRANGE", "z", -5, -5) == [b"a"]


def test_zrange_clamps_out_of_range_indexes(z):
    assert z.execute_command("ZRANGE", "z", -100, 1) == [b"a", b"b"]
    assert z.execute_command("ZRANGE", "z", 3, 100) == [b"d", b"e"]
    assert z.execute_command("ZRANGE", "z", -100, 100) == [b"a", b"b", b"c", b"d", b"e"]
    assert z.execute_command("ZRANGE", "z", 0, 9223372036854775807) == members(z, "z")
    assert z.execute_command("ZRANGE", "z", -9223372036854775808, 0) == [b"a"]


def test_zrange_empty_rank_ranges(server, z):
    assert z.execute_command("ZRANGE", "z", 3, 1) == []
    assert z.execute_command("ZRANGE", "z", 5, 10) == []
    assert z.execute_command("ZRANGE", "z", -1, -2) == []
    assert z.execute_command("ZRANGE", "z", 0, -100) == []
    assert raw2(server, "ZRANGE", "z", 3, 1) == b"*0\r\n"


def test_zrange_of_a_missing_key_is_an_empty_array(server, c):
    assert c.execute_command("ZRANGE", "nokey", 0, -1) == []
    assert raw2(server, "ZRANGE", "nokey", 0, -1, "WITHSCORES") == b"*0\r\n"
    assert raw2(server, "ZRANGE", "nokey", "-inf", "+inf", "BYSCORE") == b"*0\r\n"


def test_zrange_withscores_is_flat_in_resp2(z):
    assert z.execute_command("ZRANGE", "z", 0, 1, "WITHSCORES") == [b"a", b"1", b"b", b"2"]
    assert z.execute_command("ZRANGE", "z", -1, -1, "WITHSCORES") == [b"e", b"5"]


def test_zrange_rev_by_rank_counts_from_the_highest_score(z):
    assert z.execute_command("ZRANGE", "z", 0, 1, "REV") == [b"e", b"d"]
    assert z.execute_command("ZRANGE", "z", -2, -1, "REV") == [b"b", b"a"]
    assert z.execute_command("ZRANGE", "z", 0, -1, "REV", "WITHSCORES") == [
        b"e", b"5", b"d", b"4", b"c", b"3", b"b", b"2", b"a", b"1"]
    assert z.execute_command("ZRANGE", "z", 3, 1, "REV") == []  # ranks are not swapped


def test_zrange_options_are_case_insensitive_and_withscores_may_repeat(z):
    assert z.execute_command("ZRANGE", "z", 0, 0, "withscores", "rev") == [b"e", b"5"]
    assert z.execute_command("ZRANGE", "z", 0, 1, "WITHSCORES", "WITHSCORES") == [
        b"a", b"1", b"b", b"2"]
    assert z.execute_command("ZRANGE", "z", "(1", "3", "byscore", "limit", 0, 1) == [b"b"]


def test_equal_scores_are_ordered_by_member_bytes(c):
    zadd(c, "z", 1, "b", 1, "B", 1, "a", 1, b"\xff", 1, "", 0, "zz")
    assert members(c, "z") == [b"zz", b"", b"B", b"a", b"b", b"\xff"]
    assert c.execute_command("ZRANGE", "z", 0, -1, "REV") == [b"\xff", b"b", b"a", b"B", b"",
                                                              b"zz"]


def test_scores_are_formatted_with_17_significant_digits(server, c):
    # Redis 7.0 formats doubles with "%.17g" (7.2 switched to the shortest form)
    zadd(c, "f", "0.1", "a", "1.5", "b", "inf", "c", "-inf", "d", "1e20", "f",
         "123456789012345678", "g", "3.0", "h", "-2.50", "i")
    assert scored(c, "f") == [b"d", b"-inf", b"i", b"-2.5", b"a", b"0.10000000000000001",
                              b"b", b"1.5", b"h", b"3", b"g", b"1.2345678901234568e+17",
                              b"f", b"1e+20", b"c", b"inf"]
    assert resp3(server, b"ZRANGE f 2 3 WITHSCORES", b"ZRANGE f -1 -1 WITHSCORES",
                 b"ZRANGE f 0 0 WITHSCORES") == (
        pairs3("a", "0.10000000000000001", "b", "1.5") + pairs3("c", "inf") +
        pairs3("d", "-inf"))


def test_ranges_over_a_large_sorted_set(c):
    """300 members: past the listpack size, so a skiplist-encoded set in Redis."""
    zadd(c, "big", *[x for i in range(300) for x in (i, b"m%03d" % i)])
    assert c.execute_command("ZCARD", "big") == 300
    assert c.execute_command("ZRANGE", "big", 150, 152) == [b"m150", b"m151", b"m152"]
    assert c.execute_command("ZRANGE", "big", -2, -1, "REV") == [b"m001", b"m000"]
    assert c.execute_command("ZRANGE", "big", "(200", 203, "BYSCORE", "WITHSCORES") == [
        b"m201", b"201", b"m202", b"202", b"m203", b"203"]
    assert c.execute_command("ZRANGE", "big", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", 10,
                             2) == [b"m289", b"m288"]
    assert c.execute_command("ZRANGE", "big", "[m298", "+", "BYLEX") == [b"m298", b"m299"]
    assert c.execute_command("ZRANGESTORE", "dst", "big", 100, 199, "BYSCORE") == 100
    assert c.execute_command("ZRANGE", "dst", 0, 0, "WITHSCORES") == [b"m100", b"100"]


# ---------------------------------------------------------------- ZRANGE BYSCORE

def test_byscore_inclusive_bounds(z):
    assert z.execute_command("ZRANGE", "z", 2, 4, "BYSCORE") == [b"b", b"c", b"d"]
    assert z.execute_command("ZRANGE", "z", 1, 1, "BYSCORE") == [b"a"]
    assert z.execute_command("ZRANGE", "z", "1.5", "3.5", "BYSCORE") == [b"b", b"c"]


def test_byscore_exclusive_bounds(z):
    assert z.execute_command("ZRANGE", "z", "(1", 3, "BYSCORE") == [b"b", b"c"]
    assert z.execute_command("ZRANGE", "z", 1, "(3", "BYSCORE") == [b"a", b"b"]
    assert z.execute_command("ZRANGE", "z", "(1", "(3", "BYSCORE") == [b"b"]
    assert z.execute_command("ZRANGE", "z", "(1", "(2", "BYSCORE") == []
    assert z.execute_command("ZRANGE", "z", "(1", "(1", "BYSCORE") == []
    assert z.execute_command("ZRANGE", "z", "(1", "1", "BYSCORE") == []


def test_byscore_infinities(z):
    everything = [b"a", b"b", b"c", b"d", b"e"]
    assert z.execute_command("ZRANGE", "z", "-inf", "+inf", "BYSCORE") == everything
    assert z.execute_command("ZRANGE", "z", "-INF", "INF", "BYSCORE") == everything
    assert z.execute_command("ZRANGE", "z", "-Infinity", "Infinity", "BYSCORE") == everything
    assert z.execute_command("ZRANGE", "z", "(-inf", "(+inf", "BYSCORE") == everything
    assert z.execute_command("ZRANGE", "z", "-inf", "(-inf", "BYSCORE") == []
    assert z.execute_command("ZRANGE", "z", "+inf", "+inf", "BYSCORE") == []
    assert z.execute_command("ZRANGE", "z", "-inf", 2, "BYSCORE") == [b"a", b"b"]


def test_byscore_infinite_scores_are_inside_inclusive_infinite_bounds(c):
    zadd(c, "f", "-inf", "lo", 0, "mid", "+inf", "hi")
    assert c.execute_command("ZRANGE", "f", "-inf", "+inf", "BYSCORE") == [b"lo", b"mid", b"hi"]
    assert c.execute_command("ZRANGE", "f", "(-inf", "(+inf", "BYSCORE") == [b"mid"]
    assert c.execute_command("ZRANGE", "f", "+inf", "+inf", "BYSCORE") == [b"hi"]


def test_byscore_with_min_above_max_is_empty(z):
    assert z.execute_command("ZRANGE", "z", 4, 2, "BYSCORE") == []
    assert z.execute_command("ZRANGE", "z", "+inf", "-inf", "BYSCORE") == []


def test_byscore_rev_takes_max_first(z):
    # REV swaps the two range arguments for BYSCORE: ZRANGE key max min BYSCORE REV
    assert z.execute_command("ZRANGE", "z", 3, 1, "BYSCORE", "REV") == [b"c", b"b", b"a"]
    assert z.execute_command("ZRANGE", "z", 1, 3, "BYSCORE", "REV") == []
    assert z.execute_command("ZRANGE", "z", "(5", "(1", "BYSCORE", "REV") == [b"d", b"c", b"b"]
    assert z.execute_command("ZRANGE", "z", "inf", "-inf", "BYSCORE", "REV") == [
        b"e", b"d", b"c", b"b", b"a"]


def test_byscore_limit_takes_offset_then_count(z):
    assert z.execute_command("ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", 1, 2) == [
        b"b", b"c"]
    assert z.execute_command("ZRANGE", "z", 0, 10, "BYSCORE", "LIMIT", 4, 10) == [b"e"]
    assert z.execute_command("ZRANGE", "z", 0, 10, "BYSCORE", "LIMIT", 5, 10) == []
    assert z.execute_command("ZRANGE", "z", 0, 10, "BYSCORE", "LIMIT", 9223372036854775807,
                             1) == []
    assert z.execute_command("ZRANGE", "z", 0, 10, "BYSCORE", "LIMIT", 0,
                             9223372036854775807) == [b"a", b"b", b"c", b"d", b"e"]


def test_byscore_limit_with_a_negative_count_returns_the_rest(z):
    assert z.execute_command("ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", 1, -1) == [
        b"b", b"c", b"d", b"e"]
    assert z.execute_command("ZRANGE", "z", 0, 10, "BYSCORE", "LIMIT", 2, -100) == [
        b"c", b"d", b"e"]


def test_byscore_limit_with_a_negative_offset_is_empty(server, z):
    assert z.execute_command("ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", -1, 2) == []
    assert raw2(server, "ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", -1, -1) == b"*0\r\n"


def test_byscore_limit_count_zero_is_empty(z):
    assert z.execute_command("ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", 0, 0) == []


def test_byscore_limit_with_rev_and_withscores(z):
    assert z.execute_command("ZRANGE", "z", 5, 0, "BYSCORE", "REV", "LIMIT", 1, 2,
                             "WITHSCORES") == [b"d", b"4", b"c", b"3"]
    assert z.execute_command("ZRANGE", "z", 0, 10, "BYSCORE", "LIMIT", 0, -5,
                             "WITHSCORES") == [b"a", b"1", b"b", b"2", b"c", b"3", b"d", b"4",
                                               b"e", b"5"]


def test_byscore_the_last_limit_wins(z):
    assert z.execute_command("ZRANGE", "z", 0, 10, "BYSCORE", "LIMIT", 0, 1, "LIMIT", 2, 1) == [
        b"c"]


@pytest.mark.parametrize("bound,expected", [
    (" 1", [b"a", b"b", b"c"]),     # strtod skips leading blanks
    ("\t1", [b"a", b"b", b"c"]),
    ("( 1", [b"b", b"c"]),
    ("0x1", [b"a", b"b", b"c"]),    # strtod reads hex
    ("+1", [b"a", b"b", b"c"]),
    ("1.", [b"a", b"b", b"c"]),
    (".5", [b"a", b"b", b"c"]),
    ("1e0", [b"a", b"b", b"c"]),
    ("", [b"a", b"b", b"c"]),       # an empty bound reads as 0
    ("(", [b"a", b"b", b"c"]),      # and "(" as exclusive 0
    ("-1e400", [b"a", b"b", b"c"]),  # overflow reads as -inf
    ("1e400", []),
], ids=repr)
def test_byscore_bounds_are_read_with_strtod(z, bound, expected):
    assert z.execute_command("ZRANGE", "z", bound, 3, "BYSCORE") == expected


@pytest.mark.parametrize("bound", ["x", "nan", "((1", "1 ", "1x", "--1", "  (1", "1,5", "[1"],
                         ids=repr)
def test_byscore_bounds_that_are_not_floats(z, bound):
    assert error_of(z, "ZRANGE", "z", bound, 3, "BYSCORE") == NOT_FLOAT_RANGE
    assert error_of(z, "ZRANGE", "z", 1, bound, "BYSCORE") == NOT_FLOAT_RANGE
    assert error_of(z, "ZRANGEBYSCORE", "z", bound, 3) == NOT_FLOAT_RANGE
    assert error_of(z, "ZREVRANGEBYSCORE", "z", 3, bound) == NOT_FLOAT_RANGE


# ---------------------------------------------------------------- ZRANGE BYLEX

def test_bylex_minus_and_plus_are_the_ends(lex):
    everything = [b"", b"a", b"ab", b"b", b"c", b"d", b"e"]
    assert lex.execute_command("ZRANGE", "lex", "-", "+", "BYLEX") == everything
    assert lex.execute_command("ZRANGE", "lex", "+", "-", "BYLEX") == []
    assert lex.execute_command("ZRANGE", "lex", "-", "-", "BYLEX") == []
    assert lex.execute_command("ZRANGE", "lex", "+", "+", "BYLEX") == []


def test_bylex_inclusive_and_exclusive_bounds(lex):
    assert lex.execute_command("ZRANGE", "lex", "[a", "[b", "BYLEX") == [b"a", b"ab", b"b"]
    assert lex.execute_command("ZRANGE", "lex", "(a", "(b", "BYLEX") == [b"ab"]
    assert lex.execute_command("ZRANGE", "lex", "(a", "+", "BYLEX") == [b"ab", b"b", b"c", b"d",
                                                                       b"e"]
    assert lex.execute_command("ZRANGE", "lex", "-", "(b", "BYLEX") == [b"", b"a", b"ab"]
    assert lex.execute_command("ZRANGE", "lex", "[aa", "[b", "BYLEX") == [b"ab", b"b"]
    assert lex.execute_command("ZRANGE", "lex", "[c", "[a", "BYLEX") == []


def test_bylex_bounds_of_the_empty_string(lex):
    assert lex.execute_command("ZRANGE", "lex", "[", "(b", "BYLEX") == [b"", b"a", b"ab"]
    assert lex.execute_command("ZRANGE", "lex", "(", "(b", "BYLEX") == [b"a", b"ab"]
    assert lex.execute_command("ZRANGE", "lex", "-", "[", "BYLEX") == [b""]


def test_bylex_compares_raw_bytes(c):
    zadd(c, "bin", 0, "B", 0, "a", 0, b"\xff", 0, b"\x00", 0, "A")
    assert c.execute_command("ZRANGE", "bin", "-", "+", "BYLEX") == [b"\x00", b"A", b"B", b"a",
                                                                    b"\xff"]
    assert c.execute_command("ZRANGE", "bin", "[A", "(a", "BYLEX") == [b"A", b"B"]
    assert c.execute_command("ZRANGE", "bin", b"(\x7f", "+", "BYLEX") == [b"\xff"]


def test_bylex_rev_takes_max_first(lex):
    # REV swaps the two range arguments for BYLEX too: ZRANGE key max min BYLEX REV
    assert lex.execute_command("ZRANGE", "lex", "+", "-", "BYLEX", "REV") == [
        b"e", b"d", b"c", b"b", b"ab", b"a", b""]
    assert lex.execute_command("ZRANGE", "lex", "-", "+", "BYLEX", "REV") == []
    assert lex.execute_command("ZRANGE", "lex", "(c", "[a", "BYLEX", "REV") == [b"b", b"ab",
                                                                               b"a"]
    assert lex.execute_command("ZRANGE", "lex", "[c", "(a", "BYLEX", "REV") == [b"c", b"b",
                                                                               b"ab"]


def test_bylex_limit(lex):
    assert lex.execute_command("ZRANGE", "lex", "-", "+", "BYLEX", "LIMIT", 2, 3) == [
        b"ab", b"b", b"c"]
    assert lex.execute_command("ZRANGE", "lex", "+", "-", "BYLEX", "REV", "LIMIT", 2, 3) == [
        b"c", b"b", b"ab"]
    assert lex.execute_command("ZRANGE", "lex", "-", "+", "BYLEX", "LIMIT", 5, -1) == [b"d",
                                                                                     b"e"]
    assert lex.execute_command("ZRANGE", "lex", "-", "+", "BYLEX", "LIMIT", -1, 2) == []
    assert lex.execute_command("ZRANGE", "lex", "-", "+", "BYLEX", "LIMIT", 0, 0) == []


@pytest.mark.parametrize("bound", ["a", "", "-x", "+x", "b", "]a", "{a"], ids=repr)
def test_bylex_bounds_must_start_with_a_bracket_or_be_minus_or_plus(lex, bound):
    assert error_of(lex, "ZRANGE", "lex", bound, "+", "BYLEX") == NOT_LEX_RANGE
    assert error_of(lex, "ZRANGE", "lex", "-", bound, "BYLEX") == NOT_LEX_RANGE
    assert error_of(lex, "ZRANGEBYLEX", "lex", bound, "+") == NOT_LEX_RANGE
    assert error_of(lex, "ZREVRANGEBYLEX", "lex", "+", bound) == NOT_LEX_RANGE


def test_bylex_on_mixed_scores_walks_the_score_order(c):
    """BYLEX assumes equal scores; with mixed ones Redis walks the set in score order and
    stops at the first member past max."""
    zadd(c, "m", 1, "c", 2, "a", 3, "b")
    # quirk: documented as unspecified; Redis starts at the first member >= min in score order
    assert c.execute_command("ZRANGE", "m", "-", "+", "BYLEX") == [b"c", b"a", b"b"]
    assert c.execute_command("ZRANGE", "m", "[b", "+", "BYLEX") == [b"c", b"a", b"b"]


# ---------------------------------------------------------------- ZRANGE option errors

def test_limit_needs_byscore_or_bylex(z):
    assert error_of(z, "ZRANGE", "z", 0, 1, "LIMIT", 0, 1) == LIMIT_NEEDS_BY
    assert error_of(z, "ZRANGE", "z", 0, 1, "REV", "LIMIT", 1, 2) == LIMIT_NEEDS_BY
    assert error_of(z, "ZRANGE", "z", 0, 1, "LIMIT", 3, -7) == LIMIT_NEEDS_BY
    assert error_of(z, "ZRANGE", "nokey", 0, 1, "LIMIT", 0, 1) == LIMIT_NEEDS_BY


def test_a_rank_range_accepts_limit_with_count_minus_one(z):
    # quirk: the LIMIT check looks only at count != -1, so "LIMIT <any> -1" passes and is ignored
    assert z.execute_command("ZRANGE", "z", 0, 1, "LIMIT", 0, -1) == [b"a", b"b"]
    assert z.execute_command("ZRANGE", "z", 0, 1, "LIMIT", 3, -1) == [b"a", b"b"]
    assert z.execute_command("ZRANGE", "z", 0, -1, "REV", "LIMIT", 0, -1) == [b"e", b"d", b"c",
                                                                             b"b", b"a"]


def test_withscores_is_refused_with_bylex(lex):
    assert error_of(lex, "ZRANGE", "lex", "-", "+", "BYLEX", "WITHSCORES") == WITHSCORES_BYLEX
    assert error_of(lex, "ZRANGE", "lex", "[a", "[c", "WITHSCORES", "BYLEX") == WITHSCORES_BYLEX
    assert error_of(lex, "ZRANGE", "lex", "-", "+", "LIMIT", 0, 1, "BYLEX", "WITHSCORES") == (
        WITHSCORES_BYLEX)


@pytest.mark.parametrize("value", ["x", "1.5", "9223372036854775808", "", " 1"], ids=repr)
def test_limit_values_must_be_integers(z, value):
    assert error_of(z, "ZRANGE", "z", 0, 1, "BYSCORE", "LIMIT", value, 1) == NOT_INT
    assert error_of(z, "ZRANGE", "z", 0, 1, "BYSCORE", "LIMIT", 0, value) == NOT_INT
    assert error_of(z, "ZRANGEBYSCORE", "z", 0, 1, "LIMIT", value, 1) == NOT_INT
    assert error_of(z, "ZRANGEBYLEX", "z", "-", "+", "LIMIT", 0, value) == NOT_INT


def test_limit_values_are_parsed_before_the_option_conflicts_and_the_range(z):
    assert error_of(z, "ZRANGE", "z", 0, 1, "LIMIT", "x", 1) == NOT_INT
    assert error_of(z, "ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES", "LIMIT", "x", 1) == NOT_INT
    assert error_of(z, "ZRANGE", "z", "x", 1, "LIMIT", 0, 1) == LIMIT_NEEDS_BY
    assert error_of(z, "ZRANGE", "z", "x", 1, "BYLEX", "WITHSCORES") == WITHSCORES_BYLEX
    assert error_of(z, "ZRANGE", "z", "x", "y", "BYSCORE", "LIMIT", 0, 1, "REV") == (
        NOT_FLOAT_RANGE)


@pytest.mark.parametrize("start,stop", [("x", 1), (0, "x"), (0, "1.5"), (0, "9223372036854775808"),
                                        ("", 1)], ids=repr)
def test_rank_indexes_must_be_integers(z, start, stop):
    assert error_of(z, "ZRANGE", "z", start, stop) == NOT_INT
    assert error_of(z, "ZREVRANGE", "z", start, stop) == NOT_INT
    assert error_of(z, "ZRANGESTORE", "dst", "z", start, stop) == NOT_INT


@pytest.mark.parametrize("options", [
    ("REV", "REV"), ("BYSCORE", "BYSCORE"), ("BYLEX", "BYSCORE"), ("BYSCORE", "BYLEX"),
    ("FOO",), ("BYSCORE", "LIMIT", 0), ("BYSCORE", "LIMIT"), ("WITHSCORES", "LIMIT", 1),
    ("BYSCORE", "WITHSCORES", "LIMIT", 0, 1, "LIMIT", 0),
], ids=lambda o: " ".join(map(str, o)))
def test_zrange_syntax_errors(z, options):
    assert error_of(z, "ZRANGE", "z", 0, 1, *options) == SYNTAX


def test_range_arguments_are_checked_before_the_key_lookup(c):
    c.execute_command("SET", "s", "v")
    for key in ("nokey", "s"):
        assert error_of(c, "ZRANGE", key, "x", -1) == NOT_INT
        assert error_of(c, "ZRANGE", key, "a", "b", "BYSCORE") == NOT_FLOAT_RANGE
        assert error_of(c, "ZRANGE", key, "a", "b", "BYLEX") == NOT_LEX_RANGE
        assert error_of(c, "ZRANGE", key, 0, 1, "LIMIT", 0, 1) == LIMIT_NEEDS_BY
    assert c.execute_command("ZRANGEBYLEX", "nokey", "-", "+") == []
    assert error_of(c, "ZRANGEBYLEX", "s", "-", "+") == WRONGTYPE


@pytest.mark.parametrize("args", [
    ("ZRANGE", "k", 0, -1), ("ZRANGE", "k", "-inf", "+inf", "BYSCORE"),
    ("ZRANGE", "k", "-", "+", "BYLEX"), ("ZREVRANGE", "k", 0, -1),
    ("ZRANGEBYSCORE", "k", 0, 1), ("ZREVRANGEBYSCORE", "k", 1, 0),
    ("ZRANGEBYLEX", "k", "-", "+"), ("ZREVRANGEBYLEX", "k", "+", "-"),
    ("ZRANGESTORE", "dst", "k", 0, -1),
], ids=lambda a: " ".join(map(str, a)))
@pytest.mark.parametrize("make", [("SET", "k", "v"), ("RPUSH", "k", "a"), ("SADD", "k", "a"),
                                  ("HSET", "k", "f", "v")], ids=lambda m: m[0])
def test_range_reads_of_other_types_are_wrongtype(c, args, make):
    c.execute_command(*make)
    assert error_of(c, *args) == WRONGTYPE
    assert exists(c, "dst") == 0


@pytest.mark.parametrize("args", [
    ("ZRANGE",), ("ZRANGE", "z"), ("ZRANGE", "z", 0), ("ZREVRANGE", "z", 0),
    ("ZRANGEBYSCORE", "z", 0), ("ZREVRANGEBYSCORE", "z", 0), ("ZRANGEBYLEX", "z", "-"),
    ("ZREVRANGEBYLEX", "z", "+"), ("ZRANGESTORE", "d", "z", 0), ("ZRANGESTORE", "d", "z"),
], ids=lambda a: " ".join(map(str, a)))
def test_range_commands_wrong_arity(z, args):
    assert error_of(z, *args) == "wrong number of arguments for '%s' command" % args[0].lower()


# ---------------------------------------------------------------- ZRANGESTORE

def test_zrangestore_by_rank_stores_members_with_their_scores(z):
    assert z.execute_command("ZRANGESTORE", "dst", "z", 0, 1) == 2
    assert scored(z, "dst") == [b"a", b"1", b"b", b"2"]
    assert z.execute_command("ZRANGESTORE", "dst", "z", 0, 1, "REV") == 2
    assert scored(z, "dst") == [b"d", b"4", b"e", b"5"]


def test_zrangestore_byscore_rev_with_limit(z):
    assert z.execute_command("ZRANGESTORE", "dst", "z", 3, 1, "BYSCORE", "REV", "LIMIT", 1,
                             1) == 1
    assert scored(z, "dst") == [b"b", b"2"]
    assert z.execute_command("ZRANGESTORE", "dst", "z", "(1", "+inf", "BYSCORE", "LIMIT", 0,
                             -1) == 4
    assert scored(z, "dst") == [b"b", b"2", b"c", b"3", b"d", b"4", b"e", b"5"]


def test_zrangestore_bylex(lex):
    assert lex.execute_command("ZRANGESTORE", "dst", "lex", "[a", "(c", "BYLEX") == 3
    assert scored(lex, "dst") == [b"a", b"0", b"ab", b"0", b"b", b"0"]
    assert lex.execute_command("ZRANGESTORE", "dst", "lex", "+", "-", "BYLEX", "REV", "LIMIT",
                               0, 2) == 2
    assert members(lex, "dst") == [b"d", b"e"]


def test_zrangestore_with_an_empty_result_deletes_the_destination(z):
    zadd(z, "dst", 1, "old")
    assert z.execute_command("ZRANGESTORE", "dst", "z", 5, 10) == 0
    assert exists(z, "dst") == 0
    z.execute_command("SET", "dst", "str")
    assert z.execute_command("ZRANGESTORE", "dst", "z", "(1", "(1", "BYSCORE") == 0
    assert exists(z, "dst") == 0
    assert z.execute_command("ZRANGESTORE", "dst", "z", 5, 10) == 0
    assert exists(z, "dst") == 0


def test_zrangestore_from_a_missing_source_deletes_the_destination(c):
    c.execute_command("SET", "dst", "str")
    assert c.execute_command("ZRANGESTORE", "dst", "nokey", 0, -1) == 0
    assert exists(c, "dst") == 0


def test_zrangestore_replaces_a_destination_of_any_type_and_its_ttl(z):
    z.execute_command("RPUSH", "dst", "x")
    z.execute_command("EXPIRE", "dst", 100)
    assert z.execute_command("ZRANGESTORE", "dst", "z", 0, 0) == 1
    assert z.execute_command("TYPE", "dst") == b"zset"
    assert z.execute_command("TTL", "dst") == -1
    assert scored(z, "dst") == [b"a", b"1"]


def test_zrangestore_from_a_wrong_type_source_keeps_the_destination(c):
    c.execute_command("SET", "s", "str")
    c.execute_command("SADD", "set", "a")
    zadd(c, "dst", 1, "keep")
    assert error_of(c, "ZRANGESTORE", "dst", "s", 0, -1) == WRONGTYPE
    assert error_of(c, "ZRANGESTORE", "dst", "set", 0, -1) == WRONGTYPE
    assert members(c, "dst") == [b"keep"]


def test_zrangestore_into_its_own_source(z):
    assert z.execute_command("ZRANGESTORE", "z", "z", 1, 2) == 2
    assert scored(z, "z") == [b"b", b"2", b"c", b"3"]
    assert z.execute_command("ZRANGESTORE", "z", "z", 5, 6) == 0
    assert exists(z, "z") == 0


def test_zrangestore_option_errors(z):
    assert error_of(z, "ZRANGESTORE", "dst", "z", 0, 1, "WITHSCORES") == SYNTAX
    assert error_of(z, "ZRANGESTORE", "dst", "z", 0, 1, "LIMIT", 0, 1) == LIMIT_NEEDS_BY
    assert error_of(z, "ZRANGESTORE", "dst", "z", "a", "b", "BYSCORE") == NOT_FLOAT_RANGE
    assert error_of(z, "ZRANGESTORE", "dst", "z", "a", "b", "BYLEX") == NOT_LEX_RANGE
    assert exists(z, "dst") == 0


def test_zrangestore_replies_an_integer_in_resp3(server, z):
    assert resp3(server, b"ZRANGESTORE dst z 0 1", b"ZRANGESTORE dst z 7 9") == (
        b":2\r\n:0\r\n")


# ---------------------------------------------------------------- ZRANGEBYSCORE ZREVRANGEBYSCORE

@pytest.fixture
def ties(c):
    """c with z = {a:1 b:2 bb:2 c:3 d:4 e:5}."""
    zadd(c, "z", 1, "a", 2, "b", 2, "bb", 3, "c", 4, "d", 5, "e")
    return c


def test_zrangebyscore(ties):
    assert ties.execute_command("ZRANGEBYSCORE", "z", 2, 4) == [
        b"b", b"bb", b"c", b"d"]
    assert ties.execute_command("ZRANGEBYSCORE", "z", "(2", 4, "WITHSCORES") == [
        b"c", b"3", b"d", b"4"]
    assert ties.execute_command("ZRANGEBYSCORE", "z", 2, 2) == [b"b", b"bb"]
    assert ties.execute_command("ZRANGEBYSCORE", "z", 4, 2) == []
    assert ties.execute_command("ZRANGEBYSCORE", "nokey", 0, 1) == []


def test_zrangebyscore_limit_and_withscores_in_either_order(ties):
    expected = [b"b", b"2", b"bb", b"2"]
    assert ties.execute_command("ZRANGEBYSCORE", "z", "-inf", "+inf", "WITHSCORES", "LIMIT", 1,
                                2) == expected
    assert ties.execute_command("ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", 1, 2,
                                "WITHSCORES") == expected
    assert ties.execute_command("ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", 2, -1) == [
        b"bb", b"c", b"d", b"e"]
    assert ties.execute_command("ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", -1, 2) == []
    assert ties.execute_command("ZRANGEBYSCORE", "z", 2, 2, "LIMIT", 0, 1) == [b"b"]


def test_zrevrangebyscore_takes_max_then_min(ties):
    assert ties.execute_command("ZREVRANGEBYSCORE", "z", 4, 2) == [b"d", b"c", b"bb", b"b"]
    assert ties.execute_command("ZREVRANGEBYSCORE", "z", 4, "(2", "WITHSCORES") == [
        b"d", b"4", b"c", b"3"]
    assert ties.execute_command("ZREVRANGEBYSCORE", "z", 2, 4) == []
    assert ties.execute_command("ZREVRANGEBYSCORE", "z", "(+inf", "(-inf") == [
        b"e", b"d", b"c", b"bb", b"b", b"a"]


def test_zrevrangebyscore_limit(ties):
    assert ties.execute_command("ZREVRANGEBYSCORE", "z", "+inf", "-inf", "LIMIT", 1, 2) == [
        b"d", b"c"]
    assert ties.execute_command("ZREVRANGEBYSCORE", "z", "+inf", "-inf", "WITHSCORES", "LIMIT",
                                3, 2) == [b"bb", b"2", b"b", b"2"]
    assert ties.execute_command("ZREVRANGEBYSCORE", "z", "+inf", "-inf", "LIMIT", 4, -1) == [
        b"b", b"a"]


@pytest.mark.parametrize("command", ["ZRANGEBYSCORE", "ZREVRANGEBYSCORE"])
def test_byscore_commands_refuse_rev_by_and_short_limit(ties, command):
    for options in (("REV",), ("BYSCORE",), ("BYLEX",), ("LIMIT", 1), ("FOO",),
                    ("LIMIT", 0, 1, "LIMIT")):
        assert error_of(ties, command, "z", "-inf", "+inf", *options) == SYNTAX
    assert error_of(ties, command, "z", "-inf", "+inf", "LIMIT", "x", 1) == NOT_INT


# ---------------------------------------------------------------- ZRANGEBYLEX ZREVRANGEBYLEX

def test_zrangebylex(lex):
    assert lex.execute_command("ZRANGEBYLEX", "lex", "-", "+") == [b"", b"a", b"ab", b"b", b"c",
                                                                  b"d", b"e"]
    assert lex.execute_command("ZRANGEBYLEX", "lex", "(a", "[c") == [b"ab", b"b", b"c"]
    assert lex.execute_command("ZRANGEBYLEX", "lex", "-", "+", "LIMIT", 1, 2) == [b"a", b"ab"]
    assert lex.execute_command("ZRANGEBYLEX", "lex", "-", "+", "LIMIT", 0, 1, "LIMIT", 1, 1) == [
        b"a"]
    assert lex.execute_command("ZRANGEBYLEX", "nokey", "-", "+") == []


def test_zrevrangebylex_takes_max_then_min(lex):
    assert lex.execute_command("ZREVRANGEBYLEX", "lex", "+", "-") == [b"e", b"d", b"c", b"b",
                                                                     b"ab", b"a", b""]
    assert lex.execute_command("ZREVRANGEBYLEX", "lex", "[c", "(a") == [b"c", b"b", b"ab"]
    assert lex.execute_command("ZREVRANGEBYLEX", "lex", "-", "+") == []
    assert lex.execute_command("ZREVRANGEBYLEX", "lex", "+", "-", "LIMIT", 1, 2) == [b"d", b"c"]


@pytest.mark.parametrize("command", ["ZRANGEBYLEX", "ZREVRANGEBYLEX"])
def test_bylex_commands_refuse_withscores_with_the_bylex_text(lex, command):
    # quirk: the dedicated lex commands report the ZRANGE ... BYLEX WITHSCORES error text
    assert error_of(lex, command, "lex", "-", "+", "WITHSCORES") == WITHSCORES_BYLEX
    for options in (("REV",), ("BYLEX",), ("BYSCORE",), ("LIMIT", 1), ("FOO",)):
        assert error_of(lex, command, "lex", "-", "+", *options) == SYNTAX


# ---------------------------------------------------------------- ZREVRANGE

def test_zrevrange(ties):
    assert ties.execute_command("ZREVRANGE", "z", 0, 1) == [b"e", b"d"]
    assert ties.execute_command("ZREVRANGE", "z", -2, -1) == [b"b", b"a"]
    assert ties.execute_command("ZREVRANGE", "z", 2, 3, "WITHSCORES") == [b"c", b"3", b"bb",
                                                                         b"2"]
    assert ties.execute_command("ZREVRANGE", "z", 3, 1) == []
    assert ties.execute_command("ZREVRANGE", "nokey", 0, -1) == []


def test_zrevrange_options(ties):
    assert error_of(ties, "ZREVRANGE", "z", 0, 1, "LIMIT", 0, 1) == LIMIT_NEEDS_BY
    assert error_of(ties, "ZREVRANGE", "z", 0, 1, "REV") == SYNTAX
    assert error_of(ties, "ZREVRANGE", "z", 0, 1, "BYSCORE") == SYNTAX
    assert ties.execute_command("ZREVRANGE", "z", 0, 0, "withscores") == [b"e", b"5"]


# ---------------------------------------------------------------- ZUNION ZINTER ZDIFF

@pytest.fixture
def ab(c):
    """c with a = {x:1 y:2 z:3}, b = {y:10 z:20 w:30}, a plain set s = {x w v} and a string."""
    zadd(c, "a", 1, "x", 2, "y", 3, "z")
    zadd(c, "b", 10, "y", 20, "z", 30, "w")
    c.execute_command("SADD", "s", "x", "w", "v")
    c.execute_command("SET", "str", "v")
    return c


def test_zunion_sums_scores_and_orders_by_score(ab):
    assert ab.execute_command("ZUNION", 2, "a", "b") == [b"x", b"y", b"z", b"w"]
    assert ab.execute_command("ZUNION", 2, "a", "b", "WITHSCORES") == [
        b"x", b"1", b"y", b"12", b"z", b"23", b"w", b"30"]


def test_zunion_weights_multiply_each_input(ab):
    assert ab.execute_command("ZUNION", 2, "a", "b", "WEIGHTS", 2, "0.5", "WITHSCORES") == [
        b"x", b"2", b"y", b"9", b"w", b"15", b"z", b"16"]
    assert ab.execute_command("ZINTER", 2, "a", "b", "WEIGHTS", -1, 1, "WITHSCORES") == [
        b"y", b"8", b"z", b"17"]


@pytest.mark.parametrize("aggregate,union,inter", [
    ("SUM", [b"x", b"1", b"y", b"12", b"z", b"23", b"w", b"30"], [b"y", b"12", b"z", b"23"]),
    ("MIN", [b"x", b"1", b"y", b"2", b"z", b"3", b"w", b"30"], [b"y", b"2", b"z", b"3"]),
    ("MAX", [b"x", b"1", b"y", b"10", b"z", b"20", b"w", b"30"], [b"y", b"10", b"z", b"20"]),
    ("max", [b"x", b"1", b"y", b"10", b"z", b"20", b"w", b"30"], [b"y", b"10", b"z", b"20"]),
])
def test_aggregate(ab, aggregate, union, inter):
    assert ab.execute_command("ZUNION", 2, "a", "b", "AGGREGATE", aggregate, "WITHSCORES") == union
    assert ab.execute_command("ZINTER", 2, "a", "b", "AGGREGATE", aggregate, "WITHSCORES") == inter
    assert ab.execute_command("ZUNIONSTORE", "d", 2, "a", "b", "AGGREGATE", aggregate) == 4
    assert scored(ab, "d") == union


def test_weights_apply_before_the_aggregate(ab):
    assert ab.execute_command("ZINTER", 2, "a", "b", "WEIGHTS", 100, 1, "AGGREGATE", "MIN",
                              "WITHSCORES") == [b"y", b"10", b"z", b"20"]
    assert ab.execute_command("ZINTERSTORE", "d", 2, "a", "b", "WEIGHTS", 1, 2, "AGGREGATE",
                              "MAX") == 2
    assert scored(ab, "d") == [b"y", b"20", b"z", b"40"]


def test_the_last_weights_and_aggregate_win_and_withscores_may_repeat(ab):
    assert ab.execute_command("ZUNION", 2, "a", "b", "WEIGHTS", 1, 2, "WEIGHTS", 3, 4,
                              "WITHSCORES") == [b"x", b"3", b"y", b"46", b"z", b"89", b"w",
                                                b"120"]
    assert ab.execute_command("ZUNION", 2, "a", "b", "AGGREGATE", "MIN", "AGGREGATE", "MAX",
                              "WITHSCORES", "WITHSCORES") == [b"x", b"1", b"y", b"10", b"z",
                                                              b"20", b"w", b"30"]


def test_zinter_keeps_members_in_every_input(ab):
    assert ab.execute_command("ZINTER", 2, "a", "b") == [b"y", b"z"]
    assert ab.execute_command("ZINTER", 2, "a", "b", "WITHSCORES") == [b"y", b"12", b"z", b"23"]
    assert ab.execute_command("ZINTER", 1, "a", "WEIGHTS", 2, "WITHSCORES") == [
        b"x", b"2", b"y", b"4", b"z", b"6"]


def test_zdiff_keeps_the_first_inputs_scores(ab):
    assert ab.execute_command("ZDIFF", 2, "a", "b", "WITHSCORES") == [b"x", b"1"]
    assert ab.execute_command("ZDIFF", 2, "b", "a") == [b"w"]
    assert ab.execute_command("ZDIFF", 1, "a") == [b"x", b"y", b"z"]
    assert ab.execute_command("ZDIFF", 2, "a", "a", "WITHSCORES") == []
    assert ab.execute_command("ZDIFF", 3, "b", "a", "nokey", "WITHSCORES") == [b"w", b"30"]


def test_a_plain_set_counts_with_score_one(ab):
    assert ab.execute_command("ZUNION", 2, "a", "s", "WITHSCORES") == [
        b"v", b"1", b"w", b"1", b"x", b"2", b"y", b"2", b"z", b"3"]
    assert ab.execute_command("ZINTER", 2, "a", "s", "WITHSCORES") == [b"x", b"2"]
    assert ab.execute_command("ZDIFF", 2, "a", "s", "WITHSCORES") == [b"y", b"2", b"z", b"3"]
    assert ab.execute_command("ZDIFF", 2, "s", "a", "WITHSCORES") == [b"v", b"1", b"w", b"1"]
    assert ab.execute_command("ZUNION", 1, "s", "WEIGHTS", 5, "WITHSCORES") == [
        b"v", b"5", b"w", b"5", b"x", b"5"]
    assert ab.execute_command("ZINTERSTORE", "d", 2, "s", "b") == 1
    assert scored(ab, "d") == [b"w", b"31"]


def test_an_integer_encoded_set_is_an_input_too(c):
    c.execute_command("SADD", "ints", 3, 1, 2)
    zadd(c, "z", 5, "2")
    assert c.execute_command("ZUNION", 2, "ints", "z", "WITHSCORES") == [b"1", b"1", b"3", b"1",
                                                                         b"2", b"6"]


def test_missing_keys_are_empty_inputs(ab):
    assert ab.execute_command("ZUNION", 2, "a", "nokey", "WITHSCORES") == [b"x", b"1", b"y",
                                                                           b"2", b"z", b"3"]
    assert ab.execute_command("ZINTER", 2, "a", "nokey") == []
    assert ab.execute_command("ZDIFF", 2, "nokey", "a") == []
    assert ab.execute_command("ZDIFF", 2, "a", "nokey") == [b"x", b"y", b"z"]
    assert ab.execute_command("ZUNION", 1, "nokey", "WITHSCORES") == []
    assert ab.execute_command("ZDIFF", 1, "nokey") == []


def test_sum_of_plus_and_minus_infinity_is_zero(c):
    # Redis turns the NaN of inf + -inf into 0
    zadd(c, "pi", "inf", "m", 1, "n")
    zadd(c, "ni", "-inf", "m", 2, "n")
    assert c.execute_command("ZUNION", 2, "pi", "ni", "WITHSCORES") == [b"m", b"0", b"n", b"3"]
    assert c.execute_command("ZINTER", 2, "pi", "ni", "WITHSCORES") == [b"m", b"0", b"n", b"3"]
    assert c.execute_command("ZINTER", 2, "pi", "pi", "WEIGHTS", 1, -1, "WITHSCORES") == [
        b"m", b"0", b"n", b"0"]
    assert c.execute_command("ZUNIONSTORE", "d", 2, "pi", "ni") == 2
    assert scored(c, "d") == [b"m", b"0", b"n", b"3"]
    assert c.execute_command("ZUNION", 2, "pi", "ni", "AGGREGATE", "MIN", "WITHSCORES") == [
        b"m", b"-inf", b"n", b"1"]


def test_infinite_scores_and_weights(c):
    zadd(c, "pi", "inf", "m", 1, "n")
    # 0 * inf is NaN, which Redis also turns into 0
    assert c.execute_command("ZUNION", 1, "pi", "WEIGHTS", 0, "WITHSCORES") == [b"m", b"0", b"n",
                                                                               b"0"]
    assert c.execute_command("ZUNION", 1, "pi", "WEIGHTS", -1, "WITHSCORES") == [
        b"m", b"-inf", b"n", b"-1"]
    assert c.execute_command("ZUNION", 2, "pi", "pi", "WITHSCORES") == [b"n", b"2", b"m", b"inf"]
    assert c.execute_command("ZUNION", 1, "pi", "WEIGHTS", "inf", "WITHSCORES") == [
        b"m", b"inf", b"n", b"inf"]


def test_result_ties_are_ordered_by_member(c):
    zadd(c, "p", 1, "d", 2, "b", 3, "a")
    zadd(c, "q", 3, "d", 2, "c", 1, "a")
    assert c.execute_command("ZUNION", 2, "p", "q", "WITHSCORES") == [
        b"b", b"2", b"c", b"2", b"a", b"4", b"d", b"4"]
    assert c.execute_command("ZINTER", 2, "p", "q", "AGGREGATE", "MAX") == [b"a", b"d"]


def test_the_same_key_twice_counts_twice(ab):
    assert ab.execute_command("ZUNION", 2, "a", "a", "WITHSCORES") == [b"x", b"2", b"y", b"4",
                                                                       b"z", b"6"]
    assert ab.execute_command("ZINTER", 2, "a", "a", "AGGREGATE", "MAX", "WITHSCORES") == [
        b"x", b"1", b"y", b"2", b"z", b"3"]


SETOPS = [
    ("zunion", ()), ("zinter", ()), ("zdiff", ()), ("zunionstore", ("dst",)),
    ("zinterstore", ("dst",)), ("zdiffstore", ("dst",)), ("zintercard", ()),
]


@pytest.mark.parametrize("command,dst", SETOPS, ids=[s[0] for s in SETOPS])
def test_numkeys_below_one_names_the_command(ab, command, dst):
    for numkeys in (0, -1, -2147483649):
        assert error_of(ab, command.upper(), *dst, numkeys, "a") == at_least_one_key(command)


@pytest.mark.parametrize("command,dst", SETOPS, ids=[s[0] for s in SETOPS])
def test_numkeys_not_an_integer_or_more_than_the_keys(ab, command, dst):
    assert error_of(ab, command.upper(), *dst, "x", "a") == NOT_INT
    assert error_of(ab, command.upper(), *dst, "1.5", "a") == NOT_INT
    # a numkeys past the arguments is a plain syntax error, however large
    assert error_of(ab, command.upper(), *dst, 3, "a", "b") == SYNTAX
    assert error_of(ab, command.upper(), *dst, 9999999999, "a") == SYNTAX
    assert exists(ab, "dst") == 0


@pytest.mark.parametrize("command,dst", SETOPS, ids=[s[0] for s in SETOPS])
def test_a_non_set_input_is_wrongtype_even_after_a_missing_key(ab, command, dst):
    ab.execute_command("RPUSH", "list", "x")
    assert error_of(ab, command.upper(), *dst, 2, "a", "str") == WRONGTYPE
    assert error_of(ab, command.upper(), *dst, 2, "nokey", "str") == WRONGTYPE
    assert error_of(ab, command.upper(), *dst, 2, "list", "a") == WRONGTYPE
    assert exists(ab, "dst") == 0


@pytest.mark.parametrize("command,dst", SETOPS, ids=[s[0] for s in SETOPS])
def test_key_types_are_checked_before_the_options(ab, command, dst):
    # quirk: every input's type is checked before a single option is parsed
    assert error_of(ab, command.upper(), *dst, 2, "a", "str", "FOO") == WRONGTYPE
    assert error_of(ab, command.upper(), *dst, 2, "a", "str", "WEIGHTS", "x") == WRONGTYPE
    assert error_of(ab, command.upper(), *dst, 2, "a", "str", "LIMIT", -1) == WRONGTYPE


@pytest.mark.parametrize("weight", ["x", "nan", "", " 1", "1 ", "1,5"], ids=repr)
def test_weights_that_are_not_floats(ab, weight):
    assert error_of(ab, "ZUNION", 2, "a", "b", "WEIGHTS", 1, weight) == WEIGHT_NOT_FLOAT
    assert error_of(ab, "ZINTER", 2, "a", "b", "WEIGHTS", weight, 1) == WEIGHT_NOT_FLOAT
    assert error_of(ab, "ZUNIONSTORE", "dst", 1, "a", "WEIGHTS", weight) == WEIGHT_NOT_FLOAT
    assert error_of(ab, "ZINTERSTORE", "dst", 1, "a", "WEIGHTS", weight) == WEIGHT_NOT_FLOAT
    assert exists(ab, "dst") == 0


def test_weights_are_read_with_strtod(ab):
    # hex and exponents are accepted as by strtod
    assert ab.execute_command("ZUNION", 2, "a", "b", "WEIGHTS", "0x2", "1e0", "WITHSCORES") == [
        b"x", b"2", b"y", b"14", b"z", b"26", b"w", b"30"]


def test_weights_count_must_match_numkeys(ab):
    assert error_of(ab, "ZUNION", 2, "a", "b", "WEIGHTS", 1) == SYNTAX
    assert error_of(ab, "ZUNION", 2, "a", "b", "WEIGHTS", 1, 2, 3) == SYNTAX
    assert error_of(ab, "ZINTERSTORE", "dst", 2, "a", "b", "WEIGHTS") == SYNTAX


def test_aggregate_errors(ab):
    assert error_of(ab, "ZUNION", 2, "a", "b", "AGGREGATE", "AVG") == SYNTAX
    assert error_of(ab, "ZUNION", 2, "a", "b", "AGGREGATE") == SYNTAX
    assert error_of(ab, "ZINTERSTORE", "dst", 2, "a", "b", "AGGREGATE", "SUM", "MIN") == SYNTAX
    assert error_of(ab, "ZUNION", 2, "a", "b", "FOO") == SYNTAX


def test_zdiff_takes_neither_weights_nor_aggregate(ab):
    assert error_of(ab, "ZDIFF", 2, "a", "b", "WEIGHTS", 1, 2) == SYNTAX
    assert error_of(ab, "ZDIFF", 2, "a", "b", "AGGREGATE", "MIN") == SYNTAX
    assert error_of(ab, "ZDIFFSTORE", "dst", 2, "a", "b", "WEIGHTS", 1, 1) == SYNTAX


@pytest.mark.parametrize("command", ["ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"])
def test_store_forms_refuse_withscores(ab, command):
    assert error_of(ab, command, "dst", 2, "a", "b", "WITHSCORES") == SYNTAX
    assert exists(ab, "dst") == 0


@pytest.mark.parametrize("args", [
    ("ZUNION", 1), ("ZINTER",), ("ZDIFF", 1), ("ZUNIONSTORE", "d", 1), ("ZINTERSTORE", "d"),
    ("ZDIFFSTORE", "d", 1), ("ZINTERCARD", 1), ("ZINTERCARD",),
], ids=lambda a: " ".join(map(str, a)))
def test_setops_wrong_arity(ab, args):
    assert error_of(ab, *args) == "wrong number of arguments for '%s' command" % args[0].lower()


# ---------------------------------------------------------------- STORE forms

def test_store_forms_write_the_destination_and_reply_its_size(ab):
    assert ab.execute_command("ZUNIONSTORE", "d1", 2, "a", "b") == 4
    assert scored(ab, "d1") == [b"x", b"1", b"y", b"12", b"z", b"23", b"w", b"30"]
    assert ab.execute_command("ZINTERSTORE", "d2", 2, "a", "b") == 2
    assert scored(ab, "d2") == [b"y", b"12", b"z", b"23"]
    assert ab.execute_command("ZDIFFSTORE", "d3", 2, "a", "b") == 1
    assert scored(ab, "d3") == [b"x", b"1"]
    assert ab.execute_command("ZUNIONSTORE", "d4", 2, "s", "nokey") == 3
    assert scored(ab, "d4") == [b"v", b"1", b"w", b"1", b"x", b"1"]


@pytest.mark.parametrize("args", [
    ("ZUNIONSTORE", "dst", 1, "nokey"), ("ZINTERSTORE", "dst", 2, "a", "nokey"),
    ("ZDIFFSTORE", "dst", 2, "a", "a"), ("ZDIFFSTORE", "dst", 1, "nokey"),
], ids=lambda a: " ".join(map(str, a)))
@pytest.mark.parametrize("old", [("ZADD", "dst", 1, "old"), ("SET", "dst", "v")],
                         ids=["zset-dst", "string-dst"])
def test_store_forms_with_an_empty_result_delete_the_destination(ab, args, old):
    ab.execute_command(*old)
    assert ab.execute_command(*args) == 0
    assert exists(ab, "dst") == 0


def test_store_forms_replace_a_destination_of_any_type_and_its_ttl(ab):
    ab.execute_command("RPUSH", "dst", "x")
    ab.execute_command("EXPIRE", "dst", 100)
    assert ab.execute_command("ZINTERSTORE", "dst", 2, "a", "b") == 2
    assert ab.execute_command("TYPE", "dst") == b"zset"
    assert ab.execute_command("TTL", "dst") == -1
    ab.execute_command("SET", "dst", "v")
    assert ab.execute_command("ZDIFFSTORE", "dst", 1, "b") == 3
    assert members(ab, "dst") == [b"y", b"z", b"w"]


def test_store_forms_whose_destination_is_a_source(ab):
    assert ab.execute_command("ZUNIONSTORE", "a", 2, "a", "b") == 4
    assert scored(ab, "a") == [b"x", b"1", b"y", b"12", b"z", b"23", b"w", b"30"]
    assert ab.execute_command("ZINTERSTORE", "b", 2, "a", "b", "AGGREGATE", "MIN") == 3
    assert scored(ab, "b") == [b"y", b"10", b"z", b"20", b"w", b"30"]
    assert ab.execute_command("ZDIFFSTORE", "b", 2, "b", "a") == 0
    assert exists(ab, "b") == 0
    assert ab.execute_command("ZUNIONSTORE", "s", 1, "s") == 3  # a set source becomes a zset
    assert ab.execute_command("TYPE", "s") == b"zset"


def test_a_wrong_type_source_leaves_the_destination_alone(ab):
    zadd(ab, "dst", 1, "keep")
    assert error_of(ab, "ZUNIONSTORE", "dst", 2, "a", "str") == WRONGTYPE
    assert error_of(ab, "ZDIFFSTORE", "dst", 1, "str") == WRONGTYPE
    assert members(ab, "dst") == [b"keep"]


# ---------------------------------------------------------------- ZINTERCARD

def test_zintercard_counts_the_intersection(ab):
    assert ab.execute_command("ZINTERCARD", 2, "a", "b") == 2
    assert ab.execute_command("ZINTERCARD", 1, "a") == 3
    assert ab.execute_command("ZINTERCARD", 2, "a", "s") == 1
    assert ab.execute_command("ZINTERCARD", 2, "a", "nokey") == 0
    assert ab.execute_command("ZINTERCARD", 1, "nokey") == 0


def test_zintercard_limit_stops_counting(ab):
    assert ab.execute_command("ZINTERCARD", 2, "a", "b", "LIMIT", 1) == 1
    assert ab.execute_command("ZINTERCARD", 2, "a", "b", "LIMIT", 0) == 2  # 0 means no limit
    assert ab.execute_command("ZINTERCARD", 2, "a", "b", "LIMIT", 5) == 2
    assert ab.execute_command("ZINTERCARD", 2, "a", "b", "limit", 1, "LIMIT", 0) == 2


def test_zintercard_limit_errors(ab):
    assert error_of(ab, "ZINTERCARD", 2, "a", "b", "LIMIT", -1) == LIMIT_NEGATIVE
    # quirk: a LIMIT that is not an integer is reported as negative too
    assert error_of(ab, "ZINTERCARD", 2, "a", "b", "LIMIT", "x") == LIMIT_NEGATIVE
    assert error_of(ab, "ZINTERCARD", 2, "a", "b", "LIMIT", "1.5") == LIMIT_NEGATIVE
    assert error_of(ab, "ZINTERCARD", 2, "a", "b", "LIMIT") == SYNTAX


def test_zintercard_takes_no_other_options(ab):
    for options in (("WITHSCORES",), ("WEIGHTS", 1, 1), ("AGGREGATE", "MIN"), ("FOO",)):
        assert error_of(ab, "ZINTERCARD", 2, "a", "b", *options) == SYNTAX


def test_zintercard_replies_an_integer_in_resp3(server, ab):
    assert resp3(server, b"ZINTERCARD 2 a b") == b":2\r\n"
    assert raw2(server, "ZINTERCARD", 2, "a", "nokey") == b":0\r\n"


# ---------------------------------------------------------------- reply shapes

def test_zrange_withscores_bytes_in_resp2_and_resp3(server, z):
    assert raw2(server, "ZRANGE", "z", 0, 1, "WITHSCORES") == flat("a", "1", "b", "2")
    assert resp3(server, b"ZRANGE z 0 1 WITHSCORES") == (
        b"*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2\r\n")
    assert resp3(server, b"ZRANGE z 0 1", b"ZRANGE z 0 0 REV WITHSCORES",
                 b"ZRANGE nokey 0 -1 WITHSCORES", b"ZRANGE z 7 9 WITHSCORES") == (
        flat("a", "b") + b"*1\r\n*2\r\n$1\r\ne\r\n,5\r\n" + b"*0\r\n" + b"*0\r\n")


def test_zunion_withscores_bytes_in_resp2_and_resp3(server, ab):
    assert raw2(server, "ZUNION", 2, "a", "b", "WITHSCORES") == flat(
        "x", "1", "y", "12", "z", "23", "w", "30")
    assert resp3(server, b"ZUNION 2 a b WITHSCORES", b"ZUNION 2 a b", b"ZINTER 2 a b WITHSCORES",
                 b"ZDIFF 2 a b WITHSCORES", b"ZUNION 1 nokey WITHSCORES",
                 b"ZUNIONSTORE d 2 a b") == (
        pairs3("x", "1", "y", "12", "z", "23", "w", "30") + flat("x", "y", "z", "w") +
        pairs3("y", "12", "z", "23") + pairs3("x", "1") + b"*0\r\n" + b":4\r\n")


def test_byscore_withscores_bytes_in_resp2_and_resp3(server, ties):
    assert raw2(server, "ZRANGEBYSCORE", "z", 1, 2, "WITHSCORES") == flat(
        "a", "1", "b", "2", "bb", "2")
    assert resp3(server, b"ZRANGEBYSCORE z 1 2 WITHSCORES",
                 b"ZREVRANGEBYSCORE z 2 1 WITHSCORES LIMIT 0 2", b"ZREVRANGE z 0 1 WITHSCORES",
                 b"ZRANGE z -inf +inf BYSCORE WITHSCORES LIMIT 5 1", b"ZRANGEBYSCORE z 1 2") == (
        pairs3("a", "1", "b", "2", "bb", "2") + pairs3("bb", "2", "b", "2") +
        pairs3("e", "5", "d", "4") + pairs3("e", "5") + flat("a", "b", "bb"))


def test_resp3_scores_use_the_same_digits(server, c):
    zadd(c, "f", "0.1", "a", "-inf", "b", "2.5", "c")
    assert resp3(server, b"ZRANGEBYSCORE f -inf +inf WITHSCORES",
                 b"ZUNION 1 f WEIGHTS 2 WITHSCORES") == (
        pairs3("b", "-inf", "a", "0.10000000000000001", "c", "2.5") +
        pairs3("b", "-inf", "a", "0.20000000000000001", "c", "5"))


# ---------------------------------------------------------------- keyspace events

def test_store_events(server, ab):
    commands = [
        ("ZUNIONSTORE", "d1", 2, "a", "b"), ("ZINTERSTORE", "d2", 2, "a", "b"),
        ("ZDIFFSTORE", "d3", 2, "a", "b"), ("ZRANGESTORE", "d4", "a", 0, 1),
        ("ZRANGESTORE", "d4", "a", "[x", "+", "BYLEX"),
    ]
    expected = [(b"zunionstore", b"d1"), (b"zinterstore", b"d2"), (b"zdiffstore", b"d3"),
                (b"zrangestore", b"d4"), (b"zrangestore", b"d4")]
    assert keyevents(server, ab, commands, len(expected)) == expected


def test_a_store_that_empties_the_destination_raises_only_del(server, ab):
    commands = [
        ("ZADD", "d", 1, "m"), ("ZUNIONSTORE", "d", 1, "nokey"),
        ("SET", "d", "v"), ("ZINTERSTORE", "d", 2, "a", "nokey"),
        ("ZADD", "d", 1, "m"), ("ZDIFFSTORE", "d", 2, "a", "a"),
        ("ZADD", "d", 1, "m"), ("ZRANGESTORE", "d", "a", 5, 9),
    ]
    expected = [(b"zadd", b"d"), (b"del", b"d"), (b"set", b"d"), (b"del", b"d"),
                (b"zadd", b"d"), (b"del", b"d"), (b"zadd", b"d"), (b"del", b"d")]
    assert keyevents(server, ab, commands, len(expected)) == expected


def test_a_store_with_nothing_to_store_or_delete_raises_nothing(server, ab):
    commands = [
        ("ZUNIONSTORE", "d", 1, "nokey"), ("ZINTERSTORE", "d", 2, "a", "nokey"),
        ("ZDIFFSTORE", "d", 1, "nokey"), ("ZRANGESTORE", "d", "nokey", 0, -1),
        ("ZRANGE", "a", 0, -1), ("ZUNION", 2, "a", "b"), ("ZINTERCARD", 2, "a", "b"),
        ("ZADD", "marker", 1, "m"),
    ]
    assert keyevents(server, ab, commands, 1) == [(b"zadd", b"marker")]


def test_store_overwriting_another_type_raises_only_the_store_event(server, ab):
    commands = [("SET", "d", "v"), ("ZUNIONSTORE", "d", 2, "a", "b"), ("RPUSH", "e", "x"),
                ("ZRANGESTORE", "e", "a", 0, 0)]
    expected = [(b"set", b"d"), (b"zunionstore", b"d"), (b"rpush", b"e"), (b"zrangestore", b"e")]
    assert keyevents(server, ab, commands, len(expected)) == expected
