"""The list command family against the real vellumd: LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP
LLEN LRANGE LINDEX LSET LINSERT LREM LTRIM LPOS LMOVE RPOPLPUSH LMPOP (non-blocking only),
with Redis 7.0's reply types (RESP2 and RESP3), encoding, keyspace events and exact error
texts, all checked against redis-server 7.0.15.

Replies are read without redis-py's response callbacks (fixture `c`), so a null stays None
and a simple string stays bytes. redis-py drops the leading "ERR " of an error line (not
"WRONGTYPE "). Some argument checks run before the key lookup and some after, as in Redis;
the tests that pin that order say so."""
import threading

import pytest
import redis

from vellum_harness import error_of, exists, keyevents, pusher, raw2, resp3, run_threads

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_INT = "value is not an integer or out of range"
NOT_POSITIVE = "value is out of range, must be positive"
RANK_ZERO = ("RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
             "or use negative to start from the end of the list")


def items(cl, key):
    return cl.execute_command("LRANGE", key, 0, -1)


# ---------------------------------------------------------------- pushes

def test_lpush_prepends_each_element_in_turn(c):
    assert c.execute_command("LPUSH", "l", "a", "b", "c") == 3
    assert items(c, "l") == [b"c", b"b", b"a"]
    assert c.execute_command("LPUSH", "l", "d") == 4
    assert items(c, "l") == [b"d", b"c", b"b", b"a"]


def test_rpush_appends_in_order(c):
    assert c.execute_command("RPUSH", "l", "a", "b") == 2
    assert c.execute_command("RPUSH", "l", "c") == 3
    assert items(c, "l") == [b"a", b"b", b"c"]


def test_pushx_only_pushes_onto_an_existing_list(c):
    assert c.execute_command("LPUSHX", "nokey", "a") == 0
    assert c.execute_command("RPUSHX", "nokey", "a") == 0
    assert exists(c, "nokey") == 0
    c.execute_command("RPUSH", "l", "m")
    assert c.execute_command("LPUSHX", "l", "b", "a") == 3
    assert c.execute_command("RPUSHX", "l", "y", "z") == 5
    assert items(c, "l") == [b"a", b"b", b"m", b"y", b"z"]


def test_binary_and_empty_elements(c):
    c.execute_command("RPUSH", "l", b"\x00a\r\n", b"", b"\xff")
    assert items(c, "l") == [b"\x00a\r\n", b"", b"\xff"]
    assert c.execute_command("LPOS", "l", b"") == 1
    assert c.execute_command("LLEN", "l") == 3


def test_integer_looking_elements_stay_bytes_as_given(c):
    given = [b"1", b"-1", b"007", b"9223372036854775808", b"3.14", b"+5", b"0x10"]
    c.execute_command("RPUSH", "l", *given)
    assert items(c, "l") == given
    assert c.execute_command("LPOP", "l") == b"1"
    assert c.execute_command("LINDEX", "l", 0) == b"-1"


def test_matching_compares_bytes_not_numbers(c):
    c.execute_command("RPUSH", "l", "1", "007")
    assert c.execute_command("LPOS", "l", "01") is None
    assert c.execute_command("LPOS", "l", "7") is None
    assert c.execute_command("LPOS", "l", "007") == 1
    assert c.execute_command("LREM", "l", 0, "01") == 0
    assert c.execute_command("LINSERT", "l", "BEFORE", "01", "x") == -1
    assert items(c, "l") == [b"1", b"007"]


def test_push_keeps_the_ttl_and_a_recreated_list_has_none(c):
    c.execute_command("RPUSH", "l", "a")
    c.execute_command("EXPIRE", "l", 100)
    c.execute_command("RPUSH", "l", "b")
    assert 0 < c.execute_command("TTL", "l") <= 100
    c.execute_command("RPOP", "l", 2)
    c.execute_command("RPUSH", "l", "c")
    assert c.execute_command("TTL", "l") == -1


# ---------------------------------------------------------------- LPOP RPOP

def test_lpop_and_rpop_without_count(c):
    c.execute_command("RPUSH", "l", "a", "b", "c")
    assert c.execute_command("LPOP", "l") == b"a"
    assert c.execute_command("RPOP", "l") == b"c"
    assert items(c, "l") == [b"b"]


def test_pop_of_a_missing_key_is_nil(server, c):
    assert c.execute_command("LPOP", "nokey") is None
    assert c.execute_command("RPOP", "nokey") is None
    assert raw2(server, "LPOP", "nokey") == b"$-1\r\n"


def test_pop_of_the_last_element_deletes_the_key(c):
    c.execute_command("RPUSH", "l", "a")
    assert c.execute_command("RPOP", "l") == b"a"
    assert exists(c, "l") == 0


def test_pop_with_count_takes_from_its_own_end(c):
    c.execute_command("RPUSH", "l", "a", "b", "c", "d", "e")
    assert c.execute_command("LPOP", "l", 2) == [b"a", b"b"]
    assert c.execute_command("RPOP", "l", 2) == [b"e", b"d"]
    assert c.execute_command("LPOP", "l", 1) == [b"c"]
    assert exists(c, "l") == 0


def test_pop_count_beyond_the_length_empties_and_deletes(c):
    c.execute_command("RPUSH", "l", "a", "b", "c")
    assert c.execute_command("RPOP", "l", 100) == [b"c", b"b", b"a"]
    assert exists(c, "l") == 0


def test_pop_count_zero_on_a_list_is_an_empty_array(server, c):
    c.execute_command("RPUSH", "l", "a")
    assert c.execute_command("LPOP", "l", 0) == []
    assert raw2(server, "RPOP", "l", "0") == b"*0\r\n"
    assert items(c, "l") == [b"a"]


def test_pop_with_count_on_a_missing_key_is_a_null_array(server, c):
    assert c.execute_command("LPOP", "nokey", 2) is None
    assert c.execute_command("RPOP", "nokey", 0) is None
    assert raw2(server, "LPOP", "nokey", "2") == b"*-1\r\n"
    assert raw2(server, "RPOP", "nokey", "0") == b"*-1\r\n"


def test_pop_count_errors_come_before_the_key_lookup(c):
    c.execute_command("RPUSH", "l", "a")
    c.execute_command("SET", "s", "v")
    assert error_of(c, "LPOP", "l", -1) == NOT_POSITIVE
    assert error_of(c, "RPOP", "l", "x") == NOT_POSITIVE
    assert error_of(c, "LPOP", "nokey", -1) == NOT_POSITIVE
    assert error_of(c, "RPOP", "s", -1) == NOT_POSITIVE
    assert error_of(c, "LPOP", "s", 0) == WRONGTYPE
    assert items(c, "l") == [b"a"]


# ---------------------------------------------------------------- LLEN LRANGE LINDEX

def test_llen(c):
    assert c.execute_command("LLEN", "nokey") == 0
    c.execute_command("RPUSH", "l", "a", "b", "c")
    assert c.execute_command("LLEN", "l") == 3


def test_lrange_positive_and_negative_indexes(c):
    c.execute_command("RPUSH", "l", "a", "b", "c", "d", "e")
    assert c.execute_command("LRANGE", "l", 0, 0) == [b"a"]
    assert c.execute_command("LRANGE", "l", 1, 3) == [b"b", b"c", b"d"]
    assert c.execute_command("LRANGE", "l", -2, -1) == [b"d", b"e"]
    assert c.execute_command("LRANGE", "l", 1, -2) == [b"b", b"c", b"d"]


def test_lrange_clamps_out_of_range_indexes(c):
    c.execute_command("RPUSH", "l", "a", "b", "c", "d", "e")
    assert c.execute_command("LRANGE", "l", -100, 1) == [b"a", b"b"]
    assert c.execute_command("LRANGE", "l", 3, 100) == [b"d", b"e"]
    assert c.execute_command("LRANGE", "l", -100, 100) == [b"a", b"b", b"c", b"d", b"e"]


def test_lrange_empty_ranges(c):
    c.execute_command("RPUSH", "l", "a", "b", "c", "d", "e")
    assert c.execute_command("LRANGE", "l", 5, 10) == []
    assert c.execute_command("LRANGE", "l", 3, 1) == []
    assert c.execute_command("LRANGE", "l", -1, -2) == []
    assert c.execute_command("LRANGE", "l", 0, -100) == []
    assert c.execute_command("LRANGE", "nokey", 0, -1) == []


def test_lrange_index_errors_come_before_the_key_lookup(c):
    c.execute_command("RPUSH", "l", "a")
    c.execute_command("SET", "s", "v")
    assert error_of(c, "LRANGE", "l", "x", 1) == NOT_INT
    assert error_of(c, "LRANGE", "l", 0, "1.5") == NOT_INT
    assert error_of(c, "LRANGE", "l", 0, "99999999999999999999") == NOT_INT
    assert error_of(c, "LRANGE", "nokey", "x", 1) == NOT_INT
    assert error_of(c, "LRANGE", "s", "x", 1) == NOT_INT


def test_lindex(c):
    c.execute_command("RPUSH", "l", "a", "b", "c", "d", "e")
    assert c.execute_command("LINDEX", "l", 0) == b"a"
    assert c.execute_command("LINDEX", "l", 2) == b"c"
    assert c.execute_command("LINDEX", "l", -1) == b"e"
    assert c.execute_command("LINDEX", "l", -5) == b"a"
    assert c.execute_command("LINDEX", "l", -6) is None
    assert c.execute_command("LINDEX", "l", 5) is None
    assert c.execute_command("LINDEX", "nokey", 0) is None


def test_lindex_looks_up_the_key_before_parsing_the_index(c):
    c.execute_command("RPUSH", "l", "a")
    c.execute_command("SET", "s", "v")
    assert error_of(c, "LINDEX", "l", "x") == NOT_INT
    assert c.execute_command("LINDEX", "nokey", "x") is None
    assert error_of(c, "LINDEX", "s", "x") == WRONGTYPE


def test_indexing_across_a_large_list(c):
    for start in range(0, 1000, 250):
        c.execute_command("RPUSH", "l", *[b"e%d" % i for i in range(start, start + 250)])
    assert c.execute_command("LLEN", "l") == 1000
    assert c.execute_command("LINDEX", "l", 0) == b"e0"
    assert c.execute_command("LINDEX", "l", 500) == b"e500"
    assert c.execute_command("LINDEX", "l", -1) == b"e999"
    assert c.execute_command("LRANGE", "l", 495, 505) == [b"e%d" % i for i in range(495, 506)]
    assert c.execute_command("LRANGE", "l", -3, -1) == [b"e997", b"e998", b"e999"]
    assert items(c, "l") == [b"e%d" % i for i in range(1000)]


# ---------------------------------------------------------------- LSET

def test_lset_replaces_by_index(c):
    c.execute_command("RPUSH", "l", "a", "b", "c")
    assert c.execute_command("LSET", "l", 0, "A") == b"OK"
    assert c.execute_command("LSET", "l", -1, "C") == b"OK"
    assert items(c, "l") == [b"A", b"b", b"C"]


def test_lset_of_a_big_element_in_a_big_list(c):
    c.execute_command("RPUSH", "l", *[b"e%d" % i for i in range(1000)])
    big = b"x" * 10240
    assert c.execute_command("LSET", "l", 700, big) == b"OK"
    assert c.execute_command("LINDEX", "l", 700) == big
    assert c.execute_command("LINDEX", "l", 701) == b"e701"
    assert c.execute_command("LLEN", "l") == 1000


def test_lset_errors(c):
    c.execute_command("RPUSH", "l", "a", "b", "c")
    assert error_of(c, "LSET", "l", 3, "z") == "index out of range"
    assert error_of(c, "LSET", "l", -4, "z") == "index out of range"
    assert error_of(c, "LSET", "nokey", 0, "z") == "no such key"
    assert error_of(c, "LSET", "l", "x", "z") == NOT_INT
    assert items(c, "l") == [b"a", b"b", b"c"]


def test_lset_looks_up_the_key_before_parsing_the_index(c):
    c.execute_command("SET", "s", "v")
    assert error_of(c, "LSET", "nokey", "x", "z") == "no such key"
    assert error_of(c, "LSET", "s", "x", "z") == WRONGTYPE


# ---------------------------------------------------------------- LINSERT

def test_linsert_before_and_after_the_first_match(c):
    c.execute_command("RPUSH", "l", "a", "b", "a", "c")
    assert c.execute_command("LINSERT", "l", "BEFORE", "a", "X") == 5
    assert c.execute_command("LINSERT", "l", "after", "a", "Y") == 6
    assert items(c, "l") == [b"X", b"a", b"Y", b"b", b"a", b"c"]
    assert c.execute_command("LINSERT", "l", "AFTER", "c", "Z") == 7
    assert c.execute_command("LINDEX", "l", -1) == b"Z"


def test_linsert_with_a_missing_pivot_is_minus_one(c):
    c.execute_command("RPUSH", "l", "a")
    assert c.execute_command("LINSERT", "l", "BEFORE", "nope", "X") == -1
    assert items(c, "l") == [b"a"]


def test_linsert_on_a_missing_key_is_zero(c):
    assert c.execute_command("LINSERT", "nokey", "BEFORE", "a", "X") == 0
    assert exists(c, "nokey") == 0


def test_linsert_syntax_error_comes_before_the_key_lookup(c):
    c.execute_command("RPUSH", "l", "a")
    c.execute_command("SET", "s", "v")
    assert error_of(c, "LINSERT", "l", "MIDDLE", "a", "X") == "syntax error"
    assert error_of(c, "LINSERT", "nokey", "MIDDLE", "a", "X") == "syntax error"
    assert error_of(c, "LINSERT", "s", "MIDDLE", "a", "X") == "syntax error"
    assert error_of(c, "LINSERT", "s", "BEFORE", "a", "X") == WRONGTYPE


# ---------------------------------------------------------------- LREM

def test_lrem_positive_count_removes_from_the_head(c):
    c.execute_command("RPUSH", "l", "a", "b", "a", "c", "a", "d", "a")
    assert c.execute_command("LREM", "l", 2, "a") == 2
    assert items(c, "l") == [b"b", b"c", b"a", b"d", b"a"]


def test_lrem_negative_count_removes_from_the_tail(c):
    c.execute_command("RPUSH", "l", "a", "b", "a", "c", "a", "d", "a")
    assert c.execute_command("LREM", "l", -2, "a") == 2
    assert items(c, "l") == [b"a", b"b", b"a", b"c", b"d"]


def test_lrem_zero_count_removes_every_match(c):
    c.execute_command("RPUSH", "l", "a", "b", "a", "c", "a", "d", "a")
    assert c.execute_command("LREM", "l", 0, "a") == 4
    assert items(c, "l") == [b"b", b"c", b"d"]
    assert c.execute_command("LREM", "l", 0, "zz") == 0
    assert c.execute_command("LREM", "l", 10, "b") == 1


def test_lrem_of_every_element_deletes_the_key(c):
    c.execute_command("RPUSH", "l", "a", "a")
    assert c.execute_command("LREM", "l", 0, "a") == 2
    assert exists(c, "l") == 0


def test_lrem_missing_key_and_errors(c):
    c.execute_command("RPUSH", "l", "a")
    c.execute_command("SET", "s", "v")
    assert c.execute_command("LREM", "nokey", 0, "a") == 0
    assert error_of(c, "LREM", "l", "x", "a") == NOT_INT
    assert error_of(c, "LREM", "nokey", "x", "a") == NOT_INT
    assert error_of(c, "LREM", "s", "x", "a") == NOT_INT
    assert error_of(c, "LREM", "s", 0, "a") == WRONGTYPE


# ---------------------------------------------------------------- LTRIM

def test_ltrim_keeps_the_range(c):
    c.execute_command("RPUSH", "l", "a", "b", "c", "d", "e")
    assert c.execute_command("LTRIM", "l", 1, -2) == b"OK"
    assert items(c, "l") == [b"b", b"c", b"d"]
    assert c.execute_command("LTRIM", "l", -1, -1) == b"OK"
    assert items(c, "l") == [b"d"]


def test_ltrim_clamps_out_of_range_indexes(c):
    c.execute_command("RPUSH", "l", "a", "b", "c")
    assert c.execute_command("LTRIM", "l", 0, 100) == b"OK"
    assert items(c, "l") == [b"a", b"b", b"c"]
    assert c.execute_command("LTRIM", "l", -100, 0) == b"OK"
    assert items(c, "l") == [b"a"]


@pytest.mark.parametrize("start,stop", [(1, 0), (5, 10), (0, -100), (-1, -2)])
def test_ltrim_to_an_empty_range_deletes_the_key(c, start, stop):
    c.execute_command("RPUSH", "l", "a", "b", "c")
    assert c.execute_command("LTRIM", "l", start, stop) == b"OK"
    assert exists(c, "l") == 0


def test_ltrim_missing_key_and_errors(c):
    c.execute_command("SET", "s", "v")
    assert c.execute_command("LTRIM", "nokey", 0, 1) == b"OK"
    assert exists(c, "nokey") == 0
    assert error_of(c, "LTRIM", "nokey", "x", 1) == NOT_INT
    assert error_of(c, "LTRIM", "s", 0, "x") == NOT_INT
    assert error_of(c, "LTRIM", "s", 0, 1) == WRONGTYPE


# ---------------------------------------------------------------- LPOS

@pytest.fixture
def pos(c):
    c.execute_command("RPUSH", "l", "a", "b", "c", "1", "2", "3", "c", "c")  # c at 2, 6, 7
    return c


def test_lpos_first_match(pos):
    assert pos.execute_command("LPOS", "l", "c") == 2
    assert pos.execute_command("LPOS", "l", "a") == 0
    assert pos.execute_command("LPOS", "l", "z") is None
    assert pos.execute_command("LPOS", "nokey", "c") is None


def test_lpos_positive_rank(pos):
    assert pos.execute_command("LPOS", "l", "c", "RANK", 1) == 2
    assert pos.execute_command("LPOS", "l", "c", "RANK", 2) == 6
    assert pos.execute_command("LPOS", "l", "c", "RANK", 3) == 7
    assert pos.execute_command("LPOS", "l", "c", "RANK", 4) is None


def test_lpos_negative_rank_searches_from_the_tail(pos):
    assert pos.execute_command("LPOS", "l", "c", "RANK", -1) == 7
    assert pos.execute_command("LPOS", "l", "c", "RANK", -3) == 2
    assert pos.execute_command("LPOS", "l", "c", "RANK", -4) is None


def test_lpos_count(pos):
    assert pos.execute_command("LPOS", "l", "c", "COUNT", 0) == [2, 6, 7]
    assert pos.execute_command("LPOS", "l", "c", "COUNT", 2) == [2, 6]
    assert pos.execute_command("LPOS", "l", "c", "COUNT", 9) == [2, 6, 7]
    assert pos.execute_command("LPOS", "l", "c", "COUNT", 0, "RANK", 2) == [6, 7]
    assert pos.execute_command("LPOS", "l", "c", "COUNT", 0, "RANK", -1) == [7, 6, 2]
    assert pos.execute_command("LPOS", "l", "c", "COUNT", 2, "RANK", -2) == [6, 2]


def test_lpos_count_without_a_match_is_an_empty_array(server, pos):
    assert pos.execute_command("LPOS", "l", "z", "COUNT", 0) == []
    assert pos.execute_command("LPOS", "nokey", "z", "COUNT", 2) == []
    assert raw2(server, "LPOS", "nokey", "z", "COUNT", "0") == b"*0\r\n"


def test_lpos_maxlen_limits_the_comparisons(pos):
    assert pos.execute_command("LPOS", "l", "c", "MAXLEN", 3) == 2
    assert pos.execute_command("LPOS", "l", "c", "MAXLEN", 2) is None
    assert pos.execute_command("LPOS", "l", "c", "COUNT", 0, "MAXLEN", 7) == [2, 6]
    assert pos.execute_command("LPOS", "l", "c", "COUNT", 0, "MAXLEN", 0) == [2, 6, 7]


def test_lpos_maxlen_with_negative_rank_counts_from_the_tail(pos):
    assert pos.execute_command("LPOS", "l", "c", "RANK", -1, "MAXLEN", 1) == 7
    assert pos.execute_command("LPOS", "l", "c", "RANK", -3, "MAXLEN", 5) is None
    assert pos.execute_command("LPOS", "l", "a", "RANK", -1, "MAXLEN", 7) is None


def test_lpos_options_are_case_insensitive_and_the_last_one_wins(pos):
    assert pos.execute_command("LPOS", "l", "c", "rank", 2, "count", 1) == [6]
    assert pos.execute_command("LPOS", "l", "c", "COUNT", 1, "COUNT", 0) == [2, 6, 7]
    assert pos.execute_command("LPOS", "l", "c", "RANK", 1, "RANK", -1) == 7


def test_lpos_rank_zero_error_comes_before_the_key_lookup(pos):
    pos.execute_command("SET", "s", "v")
    assert error_of(pos, "LPOS", "l", "c", "RANK", 0) == RANK_ZERO
    assert error_of(pos, "LPOS", "nokey", "c", "RANK", 0) == RANK_ZERO
    assert error_of(pos, "LPOS", "s", "c", "RANK", 0) == RANK_ZERO


def test_lpos_option_errors(pos):
    assert error_of(pos, "LPOS", "l", "c", "RANK", "x") == NOT_INT
    assert error_of(pos, "LPOS", "l", "c", "COUNT", -1) == "COUNT can't be negative"
    assert error_of(pos, "LPOS", "l", "c", "COUNT", "x") == "COUNT can't be negative"
    assert error_of(pos, "LPOS", "l", "c", "MAXLEN", -1) == "MAXLEN can't be negative"
    assert error_of(pos, "LPOS", "l", "c", "MAXLEN", "x") == "MAXLEN can't be negative"
    assert error_of(pos, "LPOS", "l", "c", "FOO", 1) == "syntax error"
    assert error_of(pos, "LPOS", "l", "c", "RANK") == "syntax error"
    assert error_of(pos, "LPOS", "l", "c", "COUNT") == "syntax error"


# ---------------------------------------------------------------- LMOVE RPOPLPUSH

@pytest.mark.parametrize("wherefrom,whereto,moved,src,dst", [
    ("LEFT", "LEFT", b"a", [b"b", b"c"], [b"a", b"x", b"y"]),
    ("LEFT", "RIGHT", b"a", [b"b", b"c"], [b"x", b"y", b"a"]),
    ("RIGHT", "LEFT", b"c", [b"a", b"b"], [b"c", b"x", b"y"]),
    ("RIGHT", "RIGHT", b"c", [b"a", b"b"], [b"x", b"y", b"c"]),
])
def test_lmove_directions(c, wherefrom, whereto, moved, src, dst):
    c.execute_command("RPUSH", "src", "a", "b", "c")
    c.execute_command("RPUSH", "dst", "x", "y")
    assert c.execute_command("LMOVE", "src", "dst", wherefrom, whereto) == moved
    assert items(c, "src") == src
    assert items(c, "dst") == dst


def test_lmove_creates_the_destination_and_deletes_an_emptied_source(c):
    c.execute_command("RPUSH", "src", "a")
    assert c.execute_command("LMOVE", "src", "dst", "right", "left") == b"a"
    assert exists(c, "src") == 0
    assert items(c, "dst") == [b"a"]
    assert c.execute_command("TYPE", "dst") == b"list"


def test_lmove_within_one_list_rotates(c):
    c.execute_command("RPUSH", "l", "a", "b", "c")
    assert c.execute_command("LMOVE", "l", "l", "LEFT", "RIGHT") == b"a"
    assert items(c, "l") == [b"b", b"c", b"a"]
    assert c.execute_command("LMOVE", "l", "l", "RIGHT", "LEFT") == b"a"
    assert items(c, "l") == [b"a", b"b", b"c"]
    assert c.execute_command("LMOVE", "l", "l", "LEFT", "LEFT") == b"a"
    assert c.execute_command("LMOVE", "l", "l", "RIGHT", "RIGHT") == b"c"
    assert items(c, "l") == [b"a", b"b", b"c"]


def test_lmove_of_a_single_element_within_one_list_keeps_it(c):
    c.execute_command("RPUSH", "l", "a")
    assert c.execute_command("LMOVE", "l", "l", "LEFT", "RIGHT") == b"a"
    assert items(c, "l") == [b"a"]


def test_lmove_from_a_missing_source_is_nil_whatever_the_destination(c):
    c.execute_command("SET", "s", "v")
    assert c.execute_command("LMOVE", "nokey", "dst", "LEFT", "LEFT") is None
    assert c.execute_command("LMOVE", "nokey", "s", "LEFT", "LEFT") is None
    assert exists(c, "dst") == 0


def test_lmove_to_a_non_list_destination_leaves_the_source_alone(c):
    c.execute_command("RPUSH", "l", "a", "b")
    c.execute_command("SET", "s", "v")
    assert error_of(c, "LMOVE", "l", "s", "LEFT", "LEFT") == WRONGTYPE
    assert error_of(c, "RPOPLPUSH", "l", "s") == WRONGTYPE
    assert items(c, "l") == [b"a", b"b"]
    assert c.execute_command("GET", "s") == b"v"


def test_lmove_from_a_non_list_source_is_wrongtype(c):
    c.execute_command("RPUSH", "l", "a")
    c.execute_command("SET", "s", "v")
    assert error_of(c, "LMOVE", "s", "l", "LEFT", "LEFT") == WRONGTYPE
    assert error_of(c, "RPOPLPUSH", "s", "l") == WRONGTYPE
    assert items(c, "l") == [b"a"]


def test_lmove_direction_syntax_errors_come_before_the_key_lookup(c):
    c.execute_command("RPUSH", "l", "a")
    c.execute_command("SET", "s", "v")
    assert error_of(c, "LMOVE", "l", "l", "UP", "LEFT") == "syntax error"
    assert error_of(c, "LMOVE", "l", "l", "LEFT", "DOWN") == "syntax error"
    assert error_of(c, "LMOVE", "nokey", "l", "UP", "LEFT") == "syntax error"
    assert error_of(c, "LMOVE", "s", "l", "UP", "LEFT") == "syntax error"
    assert items(c, "l") == [b"a"]


def test_rpoplpush_moves_tail_to_head(c):
    c.execute_command("RPUSH", "src", "a", "b", "c")
    c.execute_command("RPUSH", "dst", "x")
    assert c.execute_command("RPOPLPUSH", "src", "dst") == b"c"
    assert items(c, "src") == [b"a", b"b"]
    assert items(c, "dst") == [b"c", b"x"]
    assert c.execute_command("RPOPLPUSH", "nokey", "dst") is None


def test_rpoplpush_within_one_list_rotates(c):
    c.execute_command("RPUSH", "l", "a", "b", "c")
    assert c.execute_command("RPOPLPUSH", "l", "l") == b"c"
    assert items(c, "l") == [b"c", b"a", b"b"]


# ---------------------------------------------------------------- LMPOP

def test_lmpop_pops_from_the_first_non_empty_key(c):
    c.execute_command("RPUSH", "a", "1", "2", "3")
    c.execute_command("RPUSH", "b", "x", "y")
    assert c.execute_command("LMPOP", 3, "nokey", "a", "b", "LEFT") == [b"a", [b"1"]]
    assert c.execute_command("LMPOP", 2, "b", "a", "RIGHT") == [b"b", [b"y"]]
    assert items(c, "a") == [b"2", b"3"]


def test_lmpop_count_caps_at_the_length_and_deletes_the_key(c):
    c.execute_command("RPUSH", "a", "1", "2", "3")
    c.execute_command("RPUSH", "b", "x")
    assert c.execute_command("LMPOP", 2, "a", "b", "RIGHT", "COUNT", 2) == [b"a", [b"3", b"2"]]
    assert c.execute_command("LMPOP", 2, "a", "b", "LEFT", "COUNT", 5) == [b"a", [b"1"]]
    assert exists(c, "a") == 0
    assert c.execute_command("LMPOP", 2, "a", "b", "left", "count", 1) == [b"b", [b"x"]]
    assert exists(c, "b") == 0


def test_lmpop_of_missing_keys_is_a_null_array(server, c):
    assert c.execute_command("LMPOP", 2, "nokey", "nokey2", "LEFT") is None
    assert c.execute_command("LMPOP", 1, "nokey", "RIGHT", "COUNT", 3) is None
    assert raw2(server, "LMPOP", "2", "nokey", "nokey2", "LEFT") == b"*-1\r\n"


def test_lmpop_reply_shape_in_resp2(server, c):
    c.execute_command("RPUSH", "k", "v1", "v2")
    assert raw2(server, "LMPOP", "1", "k", "LEFT", "COUNT", "2") == (
        b"*2\r\n$1\r\nk\r\n*2\r\n$2\r\nv1\r\n$2\r\nv2\r\n")


def test_lmpop_numkeys_errors(c):
    c.execute_command("RPUSH", "a", "1")
    assert error_of(c, "LMPOP", 0, "a", "LEFT") == "numkeys should be greater than 0"
    assert error_of(c, "LMPOP", -1, "a", "LEFT") == "numkeys should be greater than 0"
    assert error_of(c, "LMPOP", "x", "a", "LEFT") == "numkeys should be greater than 0"
    assert error_of(c, "LMPOP", 3, "a", "LEFT") == "syntax error"
    assert error_of(c, "LMPOP", 2, "a", "LEFT") == "syntax error"
    assert error_of(c, "LMPOP", 9999999999999, "a", "LEFT") == "syntax error"
    assert items(c, "a") == [b"1"]


def test_lmpop_count_errors(c):
    c.execute_command("RPUSH", "a", "1")
    assert error_of(c, "LMPOP", 1, "a", "LEFT", "COUNT", 0) == "count should be greater than 0"
    assert error_of(c, "LMPOP", 1, "a", "LEFT", "COUNT", -1) == "count should be greater than 0"
    assert error_of(c, "LMPOP", 1, "a", "LEFT", "COUNT", "x") == "count should be greater than 0"
    assert error_of(c, "LMPOP", 1, "nokey", "LEFT", "COUNT", 0) == "count should be greater than 0"
    assert items(c, "a") == [b"1"]


def test_lmpop_syntax_errors(c):
    c.execute_command("RPUSH", "a", "1")
    assert error_of(c, "LMPOP", 1, "a", "MIDDLE") == "syntax error"
    assert error_of(c, "LMPOP", 1, "a", "LEFT", "COUNT") == "syntax error"
    assert error_of(c, "LMPOP", 1, "a", "LEFT", "COUNT", 1, "COUNT", 1) == "syntax error"
    assert error_of(c, "LMPOP", 1, "a", "LEFT", "FOO") == "syntax error"
    assert items(c, "a") == [b"1"]


def test_lmpop_type_checks_stop_at_the_first_non_empty_list(c):
    c.execute_command("RPUSH", "a", "1", "2")
    c.execute_command("SET", "s", "v")
    assert error_of(c, "LMPOP", 2, "s", "a", "LEFT") == WRONGTYPE
    assert error_of(c, "LMPOP", 2, "nokey", "s", "LEFT") == WRONGTYPE
    assert items(c, "a") == [b"1", b"2"]
    assert c.execute_command("LMPOP", 2, "a", "s", "LEFT") == [b"a", [b"1"]]


# ---------------------------------------------------------------- types and encodings

LIST_COMMANDS = [
    ("LPUSH", "k", "x"), ("RPUSH", "k", "x"), ("LPUSHX", "k", "x"), ("RPUSHX", "k", "x"),
    ("LPOP", "k"), ("LPOP", "k", "2"), ("RPOP", "k"), ("RPOP", "k", "0"), ("LLEN", "k"),
    ("LRANGE", "k", "0", "-1"), ("LINDEX", "k", "0"), ("LSET", "k", "0", "x"),
    ("LINSERT", "k", "BEFORE", "a", "b"), ("LREM", "k", "0", "a"), ("LTRIM", "k", "0", "1"),
    ("LPOS", "k", "a"), ("LPOS", "k", "a", "COUNT", "0"), ("LMOVE", "k", "k", "LEFT", "LEFT"),
    ("RPOPLPUSH", "k", "k"), ("LMPOP", "1", "k", "LEFT"),
]


@pytest.mark.parametrize("args", LIST_COMMANDS, ids=lambda a: " ".join(a))
def test_list_commands_on_a_string_are_wrongtype(c, args):
    c.execute_command("SET", "k", "v")
    assert error_of(c, *args) == WRONGTYPE
    assert c.execute_command("GET", "k") == b"v"


@pytest.mark.parametrize("args", [("GET", "k"), ("INCR", "k"), ("APPEND", "k", "x"),
                                  ("STRLEN", "k"), ("GETDEL", "k"), ("SADD", "k", "m"),
                                  ("HSET", "k", "f", "v"), ("HGETALL", "k")],
                         ids=lambda a: a[0])
def test_other_commands_on_a_list_are_wrongtype(c, args):
    c.execute_command("RPUSH", "k", "m")
    assert error_of(c, *args) == WRONGTYPE
    assert items(c, "k") == [b"m"]


def test_type_of_a_list(c):
    c.execute_command("RPUSH", "l", "m")
    assert c.execute_command("TYPE", "l") == b"list"


def test_encoding_is_always_quicklist(c):
    c.execute_command("RPUSH", "small", "a")
    c.execute_command("RPUSH", "ints", *range(200))
    c.execute_command("RPUSH", "big", b"x" * 10240)
    for key in ("small", "ints", "big"):
        assert c.execute_command("OBJECT", "ENCODING", key) == b"quicklist"


def test_set_replaces_a_list(c):
    c.execute_command("RPUSH", "k", "m")
    c.execute_command("SET", "k", "v")
    assert c.execute_command("TYPE", "k") == b"string"


def test_scan_type_list(c):
    c.execute_command("RPUSH", "l1", "m")
    c.execute_command("LPUSH", "l2", "m")
    c.execute_command("SADD", "s", "m")
    c.execute_command("SET", "str", "v")
    keys, cursor = set(), b"0"
    for _ in range(1000):
        cursor, batch = c.execute_command("SCAN", cursor, "TYPE", "list", "COUNT", 100)
        keys.update(batch)
        if cursor == b"0":
            break
    assert keys == {b"l1", b"l2"}


def test_copy_of_a_list_is_independent(c):
    c.execute_command("RPUSH", "l", "a", "b")
    assert c.execute_command("COPY", "l", "l2") == 1
    c.execute_command("RPUSH", "l2", "c")
    assert items(c, "l") == [b"a", b"b"]
    assert items(c, "l2") == [b"a", b"b", b"c"]
    assert c.execute_command("COPY", "l", "l2") == 0
    assert c.execute_command("COPY", "l", "l2", "REPLACE") == 1
    assert items(c, "l2") == [b"a", b"b"]
    assert c.execute_command("OBJECT", "ENCODING", "l2") == b"quicklist"


def test_rename_of_a_list_keeps_elements_and_ttl(c):
    c.execute_command("RPUSH", "l", "a", "b")
    c.execute_command("EXPIRE", "l", 100)
    assert c.execute_command("RENAME", "l", "m") == b"OK"
    assert exists(c, "l") == 0
    assert items(c, "m") == [b"a", b"b"]
    assert 0 < c.execute_command("TTL", "m") <= 100
    assert c.execute_command("TYPE", "m") == b"list"


@pytest.mark.parametrize("args", [
    ("LPUSH", "k"), ("RPUSH", "k"), ("LPUSHX", "k"), ("RPUSHX", "k"), ("LPOP",),
    ("LPOP", "k", "1", "2"), ("RPOP",), ("RPOP", "k", "1", "2"), ("LLEN",), ("LLEN", "k", "x"),
    ("LRANGE", "k", "0"), ("LINDEX", "k"), ("LSET", "k", "0"), ("LINSERT", "k", "BEFORE", "p"),
    ("LREM", "k", "0"), ("LTRIM", "k", "0"), ("LPOS", "k"), ("LMOVE", "a", "b", "LEFT"),
    ("LMOVE", "a", "b", "LEFT", "RIGHT", "x"), ("RPOPLPUSH", "a"), ("RPOPLPUSH", "a", "b", "c"),
    ("LMPOP", "1", "k"), ("LMPOP", "1"),
], ids=lambda a: " ".join(a))
def test_wrong_arity_is_an_error(c, args):
    assert error_of(c, *args) == "wrong number of arguments for '%s' command" % args[0].lower()


# ---------------------------------------------------------------- RESP3

def test_resp3_nulls(server, c):
    assert resp3(server, b"LPOP nokey 2") == b"_\r\n"
    assert resp3(server, b"RPOP nokey 0") == b"_\r\n"
    assert resp3(server, b"LPOP nokey") == b"_\r\n"
    assert resp3(server, b"LINDEX nokey 0") == b"_\r\n"
    assert resp3(server, b"LPOS nokey x") == b"_\r\n"
    assert resp3(server, b"LMOVE nokey d LEFT LEFT") == b"_\r\n"
    assert resp3(server, b"LMPOP 1 nokey LEFT") == b"_\r\n"


def test_resp3_reply_shapes(server, c):
    c.execute_command("RPUSH", "l", "a", "b", "a")
    assert resp3(server, b"LRANGE l 0 1") == b"*2\r\n$1\r\na\r\n$1\r\nb\r\n"
    assert resp3(server, b"LRANGE nokey 0 -1") == b"*0\r\n"
    assert resp3(server, b"LPOS l a COUNT 0") == b"*2\r\n:0\r\n:2\r\n"
    assert resp3(server, b"LPOS nokey a COUNT 0") == b"*0\r\n"
    assert resp3(server, b"LMPOP 1 l RIGHT") == b"*2\r\n$1\r\nl\r\n*1\r\n$1\r\na\r\n"
    assert resp3(server, b"LPOP l 0") == b"*0\r\n"


# ---------------------------------------------------------------- MULTI, WATCH

def test_lists_inside_multi_exec(c):
    c.execute_command("SET", "s", "v")
    p = c.pipeline(transaction=True)
    p.execute_command("RPUSH", "q", "a", "b")
    p.execute_command("LPUSH", "s", "x")
    p.execute_command("LRANGE", "q", 0, -1)
    p.execute_command("LPOP", "q", 5)
    p.execute_command("EXISTS", "q")
    got = p.execute(raise_on_error=False)
    assert got[0] == 2
    assert isinstance(got[1], redis.ResponseError) and str(got[1]) == WRONGTYPE
    assert got[2:] == [[b"a", b"b"], [b"a", b"b"], 0]


def watch_then(server, c, write):
    """Watches "l" (a list [b]) and "nokey" on another connection, runs `write` from c,
    then tries MULTI/PING/EXEC; True if EXEC ran, False if the WATCH aborted it."""
    c.execute_command("DEL", "l", "nokey")
    c.execute_command("RPUSH", "l", "b")
    watcher = server.client()
    try:
        p = watcher.pipeline(transaction=True)
        p.watch("l", "nokey")
        c.execute_command(*write)
        p.multi()
        p.ping()
        try:
            p.execute()
            return True
        except redis.WatchError:
            return False
    finally:
        watcher.close()


@pytest.mark.parametrize("write", [
    ("LPUSH", "l", "a"), ("RPUSH", "nokey", "a"), ("LPOP", "l"), ("RPOP", "l", 1),
    ("LSET", "l", 0, "b"), ("LTRIM", "l", 0, -1), ("LINSERT", "l", "AFTER", "b", "c"),
    ("LREM", "l", 0, "b"), ("LMOVE", "l", "l", "LEFT", "RIGHT"), ("RPOPLPUSH", "l", "nokey"),
    ("LMPOP", 1, "l", "LEFT"),
], ids=lambda a: a[0])
def test_list_writes_abort_a_watch(server, c, write):
    assert watch_then(server, c, write) is False


@pytest.mark.parametrize("write", [
    ("LPOP", "nokey"), ("LPUSHX", "nokey", "a"), ("LREM", "l", 0, "zz"),
    ("LINSERT", "l", "BEFORE", "zz", "x"), ("LPOP", "l", 0),
    ("LMOVE", "nokey", "l", "LEFT", "LEFT"),
    ("LRANGE", "l", 0, -1),
], ids=lambda a: " ".join(str(x) for x in a))
def test_list_commands_that_change_nothing_keep_a_watch(server, c, write):
    assert watch_then(server, c, write) is True


# ---------------------------------------------------------------- keyspace events


def test_list_keyspace_events(server, c):
    commands = [
        ("RPUSH", "l", "a", "b", "c"), ("LPUSH", "l", "z"), ("LPUSHX", "l", "y"),
        ("RPUSHX", "l", "w"), ("LPUSHX", "nokey", "y"), ("LPOP", "l"), ("RPOP", "l"),
        ("LPOP", "l", 0), ("LSET", "l", 0, "A"), ("LINSERT", "l", "BEFORE", "A", "B"),
        ("LINSERT", "l", "BEFORE", "nope", "B"), ("LREM", "l", 0, "B"), ("LREM", "l", 0, "nope"),
        ("LTRIM", "l", 0, -1), ("LPOP", "nokey"),
    ]
    expected = [(b"rpush", b"l"), (b"lpush", b"l"), (b"lpush", b"l"), (b"rpush", b"l"),
                (b"lpop", b"l"), (b"rpop", b"l"), (b"lset", b"l"), (b"linsert", b"l"),
                (b"lrem", b"l"), (b"ltrim", b"l")]
    assert keyevents(server, c, commands, len(expected)) == expected


def test_emptying_a_list_raises_del_after_the_command_event(server, c):
    commands = [
        ("RPUSH", "x", "1"), ("LTRIM", "x", 1, 0), ("RPUSH", "y", "1", "2"), ("LPOP", "y", 2),
        ("RPUSH", "z", "1"), ("LREM", "z", 0, "1"),
    ]
    expected = [(b"rpush", b"x"), (b"ltrim", b"x"), (b"del", b"x"), (b"rpush", b"y"),
                (b"lpop", b"y"), (b"del", b"y"), (b"rpush", b"z"), (b"lrem", b"z"),
                (b"del", b"z")]
    assert keyevents(server, c, commands, len(expected)) == expected


def test_move_events_push_on_the_destination_before_the_pop(server, c):
    commands = [
        ("RPUSH", "src", "a", "b"), ("LMOVE", "src", "dst", "LEFT", "RIGHT"),
        ("RPOPLPUSH", "src", "dst"), ("LMOVE", "dst", "dst", "LEFT", "RIGHT"),
        ("LMPOP", 1, "dst", "RIGHT", "COUNT", 5),
    ]
    expected = [(b"rpush", b"src"), (b"rpush", b"dst"), (b"lpop", b"src"),
                (b"lpush", b"dst"), (b"rpop", b"src"), (b"del", b"src"),
                (b"rpush", b"dst"), (b"lpop", b"dst"), (b"rpop", b"dst"), (b"del", b"dst")]
    assert keyevents(server, c, commands, len(expected)) == expected


# ---------------------------------------------------------------- concurrency


def test_concurrent_rpush_keeps_each_connections_order(server, c):
    """8 connections RPUSH 200 unique values each to one key: nothing is lost, and each
    connection's values appear in the order it pushed them."""
    run_threads([pusher(server, "RPUSH", "l", [b"t%d:%d" % (n, i) for i in range(200)])
                 for n in range(8)], timeout=30)
    assert c.execute_command("LLEN", "l") == 1600
    got = items(c, "l")
    for n in range(8):
        prefix = b"t%d:" % n
        assert [v for v in got if v.startswith(prefix)] == [prefix + b"%d" % i for i in range(200)]


def test_concurrent_lmove_keeps_every_element(server, c):
    """4 connections move elements back and forth between two lists; none is lost or
    duplicated."""
    c.execute_command("RPUSH", "left", *range(100))

    def mover(n):
        def run():
            cl = server.client()
            try:
                for i in range(200):
                    if (n + i) % 2 == 0:
                        cl.execute_command("LMOVE", "left", "right", "LEFT", "RIGHT")
                    else:
                        cl.execute_command("RPOPLPUSH", "right", "left")
            finally:
                cl.close()
        return run

    run_threads([mover(n) for n in range(4)], timeout=30)
    everything = items(c, "left") + items(c, "right")
    assert sorted(everything) == sorted(b"%d" % i for i in range(100))


def test_concurrent_push_and_pop_account_for_every_element(server, c):
    popped, lock = [], threading.Lock()

    def popper():
        cl = server.client()
        try:
            for _ in range(200):
                got = cl.execute_command("RPOP", "q", 3)
                if got:
                    with lock:
                        popped.extend(got)
        finally:
            cl.close()

    run_threads([pusher(server, "LPUSH", "q", [b"p%d:%d" % (n, i) for i in range(200)])
                 for n in range(4)] + [popper] * 4, timeout=30)
    rest = items(c, "q")
    assert len(popped) == len(set(popped))
    assert not (set(popped) & set(rest))
    pushed = [b"p%d:%d" % (n, i) for n in range(4) for i in range(200)]
    assert sorted(popped + rest) == sorted(pushed)


# ---------------------------------------------------------------- keys counted by numkeys

def test_getkeys_of_lmpop_is_the_counted_keys_only(c):
    """Regression: LEFT, COUNT and the count were taken for keys (locks, ACL, GETKEYS)."""
    assert c.execute_command("COMMAND", "GETKEYS", "LMPOP", 2, "a", "b", "LEFT", "COUNT", 3) == \
        [b"a", b"b"]
    assert c.execute_command("COMMAND", "GETKEYS", "BLMPOP", 0, 1, "a", "RIGHT") == [b"a"]
    assert c.execute_command("COMMAND", "GETKEYS", "SINTERCARD", 2, "a", "b", "LIMIT", 1) == \
        [b"a", b"b"]


def test_an_acl_key_pattern_sees_only_lmpops_keys(server, c):
    c.execute_command("ACL", "SETUSER", "qq", "on", "nopass", "~q:*", "+@all")
    try:
        u = server.client(username="qq", password="x")
        u.response_callbacks.clear()
        assert u.execute_command("LMPOP", 1, "q:a", "LEFT") is None
        assert error_of(u, "LMPOP", 1, "other", "LEFT") == \
            "this user has no permissions to access one of the keys used as arguments"
        u.close()
    finally:
        c.execute_command("ACL", "DELUSER", "qq")
