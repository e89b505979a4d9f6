"""LCS (longest common subsequence, Redis 7.0) against the real vellumd: the plain string,
LEN, IDX with MINMATCHLEN and WITHMATCHLEN, and the exact error texts, all checked against
redis-server 7.0.15.

LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]. A missing key is an empty
string. IDX replies ["matches", [...], "len", n] (a map in RESP3); each match is
[[start1, end1], [start2, end2]] (inclusive offsets into key1 and key2), with the match
length appended under WITHMATCHLEN. The matches come from Redis's backtrack over the LCS
table, from the ends of the strings towards the start, so they are listed last-first; on a
tie the backtrack steps back in key2 (j--), which fixes which of several equal-length LCSs
is chosen. MINMATCHLEN only drops ranges from "matches"; "len" stays the whole LCS length.

A non-string key is not WRONGTYPE here: Redis 7.0 replies "ERR The specified keys must
contain string values", and checks the key types before it parses the options. LEN
together with IDX is rejected only after all options parse (a later bad option is a syntax
error). Replies are read without redis-py's response callbacks (fixture `c`); redis-py
drops the leading "ERR " of an error line."""
from vellum_harness import error_of, raw2, resp3

NOT_STRINGS = "The specified keys must contain string values"
LEN_AND_IDX = "If you want both the length and indexes, please just use IDX."
NOT_INT = "value is not an integer or out of range"
SYNTAX = "syntax error"
ARITY = "wrong number of arguments for 'lcs' command"


def lcs(cl, a, b, *opts):
    """Sets keys a and b to the two strings and runs LCS a b with the options."""
    cl.execute_command("SET", "a", a)
    cl.execute_command("SET", "b", b)
    return cl.execute_command("LCS", "a", "b", *opts)



# ---------------------------------------------------------------- the LCS string and LEN

def test_docs_example_string(c):
    c.execute_command("SET", "key1", "ohmytext")
    c.execute_command("SET", "key2", "mynewtext")
    assert c.execute_command("LCS", "key1", "key2") == b"mytext"


def test_len_returns_the_length_only(c):
    c.execute_command("SET", "key1", "ohmytext")
    c.execute_command("SET", "key2", "mynewtext")
    assert c.execute_command("LCS", "key1", "key2", "LEN") == 6
    assert c.execute_command("LCS", "key1", "key2", "len") == 6


def test_backtrack_tie_break_picks_which_subsequence(c):
    # Both orders have LCS length 4, but the backtrack picks a different one.
    assert lcs(c, "ABCBDAB", "BDCABA") == b"BDAB"
    assert lcs(c, "BDCABA", "ABCBDAB") == b"BCBA"
    assert lcs(c, "GAC", "AGCAT") == b"AC"
    assert lcs(c, "AGCAT", "GAC") == b"GA"


def test_repeated_characters(c):
    assert lcs(c, "aaaa", "aa") == b"aa"
    assert lcs(c, "abab", "baba") == b"bab"
    assert lcs(c, "thisisatest", "testing123testing") == b"tsitest"
    assert lcs(c, "thisisatest", "testing123testing", "LEN") == 7


def test_identical_strings(c):
    assert lcs(c, "abc", "abc") == b"abc"
    assert lcs(c, "abc", "abc", "LEN") == 3


def test_no_common_character_is_empty(c):
    assert lcs(c, "abc", "xyz") == b""
    assert lcs(c, "abc", "xyz", "LEN") == 0


def test_empty_string_value(c):
    assert lcs(c, "", "abc") == b""
    assert lcs(c, "", "abc", "LEN") == 0
    assert lcs(c, "", "abc", "IDX") == [b"matches", [], b"len", 0]


def test_missing_keys_are_empty_strings(c):
    c.execute_command("SET", "s", "abc")
    assert c.execute_command("LCS", "nokey", "s") == b""
    assert c.execute_command("LCS", "s", "nokey", "LEN") == 0
    assert c.execute_command("LCS", "nokey", "other", "IDX") == [b"matches", [], b"len", 0]
    assert c.execute_command("EXISTS", "nokey", "other") == 0


def test_integer_encoded_string(c):
    c.execute_command("SET", "i", 12345)
    c.execute_command("SET", "j", "2345")
    assert c.execute_command("LCS", "i", "j") == b"2345"
    assert c.execute_command("LCS", "i", "j", "IDX") == [b"matches", [[[1, 4], [0, 3]]], b"len", 4]


def test_binary_safe(c):
    a, b = b"a\x00b\x00c", b"\x00\x00c"
    assert lcs(c, a, b) == b"\x00\x00c"
    assert lcs(c, a, b, "IDX", "WITHMATCHLEN") == [
        b"matches", [[[3, 4], [1, 2], 2], [[1, 1], [0, 0], 1]], b"len", 3]


def test_options_without_idx_leave_the_string_or_len(c):
    c.execute_command("SET", "a", "ohmytext")
    c.execute_command("SET", "b", "mynewtext")
    assert c.execute_command("LCS", "a", "b", "MINMATCHLEN", 4) == b"mytext"
    assert c.execute_command("LCS", "a", "b", "WITHMATCHLEN") == b"mytext"
    assert c.execute_command("LCS", "a", "b", "LEN", "WITHMATCHLEN") == 6
    assert c.execute_command("LCS", "a", "b", "LEN", "MINMATCHLEN", 3) == 6
    assert c.execute_command("LCS", "a", "b", "LEN", "LEN") == 6


def test_long_strings_under_300_bytes(c):
    assert lcs(c, "x" * 250 + "y", "y" + "x" * 40, "LEN") == 40
    assert lcs(c, "x" * 250 + "y", "y" + "x" * 40) == b"x" * 40


# ---------------------------------------------------------------- IDX

def test_idx_docs_example_matches_last_first(c):
    c.execute_command("SET", "key1", "ohmytext")
    c.execute_command("SET", "key2", "mynewtext")
    assert c.execute_command("LCS", "key1", "key2", "IDX") == [
        b"matches", [[[4, 7], [5, 8]], [[2, 3], [0, 1]]], b"len", 6]


def test_idx_withmatchlen_appends_each_length(c):
    c.execute_command("SET", "key1", "ohmytext")
    c.execute_command("SET", "key2", "mynewtext")
    assert c.execute_command("LCS", "key1", "key2", "IDX", "WITHMATCHLEN") == [
        b"matches", [[[4, 7], [5, 8], 4], [[2, 3], [0, 1], 2]], b"len", 6]


def test_idx_minmatchlen_drops_short_ranges_but_keeps_len(c):
    c.execute_command("SET", "key1", "ohmytext")
    c.execute_command("SET", "key2", "mynewtext")
    assert c.execute_command("LCS", "key1", "key2", "IDX", "MINMATCHLEN", 4, "WITHMATCHLEN") == [
        b"matches", [[[4, 7], [5, 8], 4]], b"len", 6]
    assert c.execute_command("LCS", "key1", "key2", "IDX", "MINMATCHLEN", 4) == [
        b"matches", [[[4, 7], [5, 8]]], b"len", 6]
    assert c.execute_command("LCS", "key1", "key2", "IDX", "MINMATCHLEN", 6) == [
        b"matches", [], b"len", 6]
    assert c.execute_command("LCS", "key1", "key2", "IDX", "MINMATCHLEN", 7) == [
        b"matches", [], b"len", 6]


def test_idx_minmatchlen_zero_or_negative_keeps_every_range(c):
    c.execute_command("SET", "a", "ohmytext")
    c.execute_command("SET", "b", "mynewtext")
    full = [b"matches", [[[4, 7], [5, 8], 4], [[2, 3], [0, 1], 2]], b"len", 6]
    assert c.execute_command("LCS", "a", "b", "IDX", "MINMATCHLEN", 0, "WITHMATCHLEN") == full
    assert c.execute_command("LCS", "a", "b", "IDX", "MINMATCHLEN", -5, "WITHMATCHLEN") == full


def test_options_are_case_insensitive_repeatable_and_last_minmatchlen_wins(c):
    c.execute_command("SET", "a", "ohmytext")
    c.execute_command("SET", "b", "mynewtext")
    assert c.execute_command("LCS", "a", "b", "idx", "minmatchlen", 0) == [
        b"matches", [[[4, 7], [5, 8]], [[2, 3], [0, 1]]], b"len", 6]
    assert c.execute_command("LCS", "a", "b", "IDX", "IDX") == [
        b"matches", [[[4, 7], [5, 8]], [[2, 3], [0, 1]]], b"len", 6]
    assert c.execute_command("LCS", "a", "b", "IDX", "MINMATCHLEN", 2, "MINMATCHLEN", 4) == [
        b"matches", [[[4, 7], [5, 8]]], b"len", 6]


def test_idx_classic_pair_both_orders(c):
    assert lcs(c, "ABCBDAB", "BDCABA", "IDX") == [
        b"matches", [[[5, 6], [3, 4]], [[3, 4], [0, 1]]], b"len", 4]
    assert lcs(c, "BDCABA", "ABCBDAB", "IDX", "WITHMATCHLEN") == [
        b"matches",
        [[[5, 5], [5, 5], 1], [[4, 4], [3, 3], 1], [[2, 2], [2, 2], 1], [[0, 0], [1, 1], 1]],
        b"len", 4]


def test_idx_repeated_characters(c):
    assert lcs(c, "aaaa", "aa", "IDX", "WITHMATCHLEN") == [
        b"matches", [[[2, 3], [0, 1], 2]], b"len", 2]
    assert lcs(c, "aa", "aaaa", "IDX") == [b"matches", [[[0, 1], [2, 3]]], b"len", 2]
    assert lcs(c, "abcabc", "abc", "IDX") == [b"matches", [[[3, 5], [0, 2]]], b"len", 3]
    assert lcs(c, "abab", "baba", "IDX", "WITHMATCHLEN") == [
        b"matches", [[[1, 3], [0, 2], 3]], b"len", 3]


def test_idx_scattered_single_characters(c):
    assert lcs(c, "xaxbxcx", "abc", "IDX", "WITHMATCHLEN") == [
        b"matches", [[[5, 5], [2, 2], 1], [[3, 3], [1, 1], 1], [[1, 1], [0, 0], 1]], b"len", 3]
    assert lcs(c, "thisisatest", "testing123testing", "IDX", "WITHMATCHLEN") == [
        b"matches",
        [[[7, 10], [10, 13], 4], [[4, 4], [4, 4], 1], [[3, 3], [2, 2], 1], [[0, 0], [0, 0], 1]],
        b"len", 7]
    assert lcs(c, "thisisatest", "testing123testing", "IDX", "MINMATCHLEN", 2) == [
        b"matches", [[[7, 10], [10, 13]]], b"len", 7]


def test_idx_identical_and_disjoint_strings(c):
    assert lcs(c, "abc", "abc", "IDX", "WITHMATCHLEN") == [
        b"matches", [[[0, 2], [0, 2], 3]], b"len", 3]
    assert lcs(c, "abc", "xyz", "IDX", "WITHMATCHLEN") == [b"matches", [], b"len", 0]


def test_idx_exact_resp2_bytes(server, c):
    c.execute_command("SET", "key1", "ohmytext")
    c.execute_command("SET", "key2", "mynewtext")
    assert raw2(server, "LCS", "key1", "key2", "IDX", "WITHMATCHLEN") == (
        b"*4\r\n$7\r\nmatches\r\n*2\r\n"
        b"*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n"
        b"*3\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n:2\r\n"
        b"$3\r\nlen\r\n:6\r\n")
    assert raw2(server, "LCS", "nokey", "key2", "IDX") == (
        b"*4\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n")


def test_idx_is_a_map_in_resp3(server, c):
    c.execute_command("SET", "key1", "ohmytext")
    c.execute_command("SET", "key2", "mynewtext")
    assert resp3(server, b"LCS key1 key2 IDX", b"LCS key1 key2 IDX MINMATCHLEN 4 WITHMATCHLEN",
                 b"LCS key1 key2 LEN", b"LCS key1 key2", b"LCS nokey key2 IDX") == (
        b"%2\r\n$7\r\nmatches\r\n*2\r\n"
        b"*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n"
        b"*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n"
        b"$3\r\nlen\r\n:6\r\n"
        b"%2\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n"
        b"$3\r\nlen\r\n:6\r\n"
        b":6\r\n"
        b"$6\r\nmytext\r\n"
        b"%2\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n")


# ---------------------------------------------------------------- errors

def test_non_string_key_error(c):
    c.execute_command("RPUSH", "l", "a")
    c.execute_command("HSET", "h", "f", "v")
    c.execute_command("SET", "s", "abc")
    assert error_of(c, "LCS", "l", "s") == NOT_STRINGS
    assert error_of(c, "LCS", "s", "l") == NOT_STRINGS
    assert error_of(c, "LCS", "h", "nokey") == NOT_STRINGS
    assert error_of(c, "LCS", "nokey", "h", "IDX") == NOT_STRINGS


def test_key_types_are_checked_before_the_options(c):
    c.execute_command("RPUSH", "l", "a")
    c.execute_command("SET", "s", "abc")
    assert error_of(c, "LCS", "l", "s", "FOO") == NOT_STRINGS
    assert error_of(c, "LCS", "s", "l", "LEN", "IDX") == NOT_STRINGS
    assert error_of(c, "LCS", "s", "l", "IDX", "MINMATCHLEN", "x") == NOT_STRINGS


def test_len_with_idx_is_an_error(server, c):
    c.execute_command("SET", "s", "abc")
    assert error_of(c, "LCS", "s", "s", "LEN", "IDX") == LEN_AND_IDX
    assert error_of(c, "LCS", "s", "s", "idx", "len") == LEN_AND_IDX
    assert error_of(c, "LCS", "nokey", "other", "LEN", "IDX") == LEN_AND_IDX
    assert raw2(server, "LCS", "s", "s", "LEN", "IDX") == (
        b"-ERR If you want both the length and indexes, please just use IDX.\r\n")


def test_unknown_option_is_a_syntax_error_even_after_len_idx(c):
    c.execute_command("SET", "s", "abc")
    assert error_of(c, "LCS", "s", "s", "FOO") == SYNTAX
    assert error_of(c, "LCS", "s", "s", "LEN", "IDX", "FOO") == SYNTAX
    assert error_of(c, "LCS", "s", "s", "FOO", "LEN", "IDX") == SYNTAX
    assert error_of(c, "LCS", "nokey", "other", "FOO") == SYNTAX


def test_minmatchlen_without_value_is_a_syntax_error(c):
    c.execute_command("SET", "s", "abc")
    assert error_of(c, "LCS", "s", "s", "MINMATCHLEN") == SYNTAX
    assert error_of(c, "LCS", "s", "s", "IDX", "MINMATCHLEN") == SYNTAX


def test_minmatchlen_not_an_integer(c):
    c.execute_command("SET", "s", "abc")
    assert error_of(c, "LCS", "s", "s", "IDX", "MINMATCHLEN", "x") == NOT_INT
    assert error_of(c, "LCS", "s", "s", "IDX", "MINMATCHLEN", "3.5") == NOT_INT
    assert error_of(c, "LCS", "s", "s", "MINMATCHLEN", "99999999999999999999") == NOT_INT


def test_arity(c):
    assert error_of(c, "LCS") == ARITY
    assert error_of(c, "LCS", "a") == ARITY
