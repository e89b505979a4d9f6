"""The bitmap commands against the real vellumd: SETBIT GETBIT BITCOUNT BITPOS BITOP and
BITFIELD / BITFIELD_RO, with Redis 7.0's replies, keyspace events and exact error texts, all
checked against redis-server 7.0.15.

A bitmap is a plain string: bit 0 is the most significant bit of the first byte, writes
grow the string with zero bytes, and reads past the end see zeros. Offsets stay small here
(one SETBIT at 2^23 at most); the 2^32 limit is only checked through errors and reads.

Replies are read without redis-py's response callbacks (fixture `c`), so a null stays None
and a simple string stays bytes. redis-py drops the leading "ERR " of an error line (not
"WRONGTYPE "). Some argument checks run before the key lookup and some after, as in Redis;
the tests that pin that order say so."""

import pytest
import redis

from vellum_harness import error_of, exists, keyevents, raw2, resp3

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_INT = "value is not an integer or out of range"
SYNTAX = "syntax error"
BAD_OFFSET = "bit offset is not an integer or out of range"
BAD_BIT = "bit is not an integer or out of range"
BAD_BITPOS_BIT = "The bit argument must be 1 or 0."
NOT_SINGLE = "BITOP NOT must be called with a single source key."
BAD_TYPE = ("Invalid bitfield type. Use something like i16 u8. "
            "Note that u64 is not supported but i64 is.")
BAD_OVERFLOW = "Invalid OVERFLOW type specified"
RO_ONLY_GET = "BITFIELD_RO only supports the GET subcommand"


def get(cl, key):
    return cl.execute_command("GET", key)


# ---------------------------------------------------------------- SETBIT GETBIT

def test_bit_zero_is_the_most_significant_bit_of_the_first_byte(c):
    assert c.execute_command("SETBIT", "k", 7, 1) == 0
    assert get(c, "k") == b"\x01"
    c.execute_command("SETBIT", "k", 0, 1)
    assert get(c, "k") == b"\x81"
    c.execute_command("SETBIT", "k", 9, 1)
    assert get(c, "k") == b"\x81\x40"


def test_setbit_returns_the_old_bit(c):
    assert c.execute_command("SETBIT", "k", 3, 1) == 0
    assert c.execute_command("SETBIT", "k", 3, 1) == 1
    assert c.execute_command("SETBIT", "k", 3, 0) == 1
    assert c.execute_command("SETBIT", "k", 3, 0) == 0


def test_setbit_creates_and_grows_the_string_with_zero_bytes(c):
    c.execute_command("SETBIT", "k", 20, 1)
    assert get(c, "k") == b"\x00\x00\x08"
    c.execute_command("SET", "s", "a")
    c.execute_command("SETBIT", "s", 23, 1)
    assert get(c, "s") == b"a\x00\x01"
    assert c.execute_command("STRLEN", "s") == 3
    assert c.execute_command("SETBIT", "z", 0, 0) == 0  # clearing a bit also creates and grows
    assert get(c, "z") == b"\x00"
    assert c.execute_command("SETBIT", "z", 15, 0) == 0
    assert get(c, "z") == b"\x00\x00"


def test_getbit_reads_bits_most_significant_first(c):
    c.execute_command("SET", "k", "A")  # 0x41
    assert [c.execute_command("GETBIT", "k", i) for i in range(8)] == [0, 1, 0, 0, 0, 0, 0, 1]


def test_getbit_past_the_end_or_on_a_missing_key_is_zero(c):
    c.execute_command("SET", "k", b"\xff")
    assert c.execute_command("GETBIT", "k", 8) == 0
    assert c.execute_command("GETBIT", "k", 1000) == 0
    assert c.execute_command("GETBIT", "k", 2 ** 32 - 1) == 0
    assert c.execute_command("GETBIT", "nokey", 0) == 0
    assert get(c, "k") == b"\xff"
    assert exists(c, "nokey") == 0


@pytest.mark.parametrize("offset", [2 ** 32, -1, "99999999999999999999", "x", "1.5", "+8", ""])
def test_bad_offsets_are_rejected(c, offset):
    assert error_of(c, "SETBIT", "k", offset, 1) == BAD_OFFSET
    assert error_of(c, "GETBIT", "k", offset) == BAD_OFFSET
    assert exists(c, "k") == 0


@pytest.mark.parametrize("bit", [2, -1, 3, "x", "+1", "", "99999999999999999999"])
def test_bad_bit_values_are_rejected(c, bit):
    assert error_of(c, "SETBIT", "k", 0, bit) == BAD_BIT
    assert exists(c, "k") == 0


def test_setbit_checks_the_offset_before_the_bit_and_both_before_the_key(c):
    c.execute_command("HSET", "h", "f", "v")
    assert error_of(c, "SETBIT", "k", 2 ** 32, "x") == BAD_OFFSET
    assert error_of(c, "SETBIT", "h", "x", 1) == BAD_OFFSET
    assert error_of(c, "SETBIT", "h", 0, 2) == BAD_BIT
    assert error_of(c, "GETBIT", "h", -1) == BAD_OFFSET
    assert error_of(c, "SETBIT", "h", 0, 1) == WRONGTYPE


def test_setbit_at_offset_2_to_the_23(c):
    assert c.execute_command("SETBIT", "big", 2 ** 23, 1) == 0
    assert c.execute_command("STRLEN", "big") == 2 ** 20 + 1
    assert c.execute_command("GETBIT", "big", 2 ** 23) == 1
    assert c.execute_command("BITCOUNT", "big") == 1
    assert c.execute_command("BITPOS", "big", 1) == 2 ** 23


def test_setbit_keeps_the_ttl(c):
    c.execute_command("SET", "k", "x")
    c.execute_command("EXPIRE", "k", 100)
    c.execute_command("SETBIT", "k", 100, 1)
    assert 0 < c.execute_command("TTL", "k") <= 100


def test_a_bitmap_is_a_plain_string(c):
    c.execute_command("SETBIT", "k", 1, 1)
    c.execute_command("SETBIT", "k", 7, 1)
    assert c.execute_command("TYPE", "k") == b"string"
    # Redis 7.0 says raw (SETBIT converts the object); Vellum derives a string's encoding
    # from its content and length, so a 1-byte bitmap reads embstr (README: differences).
    assert c.execute_command("OBJECT", "ENCODING", "k") in (b"raw", b"embstr")
    assert get(c, "k") == b"A"
    assert c.execute_command("STRLEN", "k") == 1
    c.execute_command("APPEND", "k", "B")
    assert c.execute_command("GETBIT", "k", 14) == 1
    c.execute_command("SET", "e", "abc")
    assert c.execute_command("OBJECT", "ENCODING", "e") == b"embstr"
    c.execute_command("SETBIT", "e", 0, 0)
    assert c.execute_command("OBJECT", "ENCODING", "e") in (b"raw", b"embstr")  # as above
    assert get(c, "e") == b"abc"


def test_bit_commands_read_an_integer_string_as_its_digits(c):
    c.execute_command("SET", "n", "12345")  # "1" is 0x31
    assert c.execute_command("GETBIT", "n", 2) == 1
    assert c.execute_command("GETBIT", "n", 7) == 1
    assert c.execute_command("BITCOUNT", "n") == 17
    assert c.execute_command("BITPOS", "n", 1) == 2
    assert c.execute_command("BITFIELD_RO", "n", "GET", "u8", 0) == [49]
    assert c.execute_command("OBJECT", "ENCODING", "n") == b"int"
    assert c.execute_command("SETBIT", "n", 0, 0) == 0
    assert get(c, "n") == b"12345"


# ---------------------------------------------------------------- BITCOUNT

def test_bitcount_of_the_whole_string(c):
    c.execute_command("SET", "s", "foobar")
    c.execute_command("SET", "e", "")
    assert c.execute_command("BITCOUNT", "s") == 26
    assert c.execute_command("BITCOUNT", "e") == 0
    assert c.execute_command("BITCOUNT", "nokey") == 0


def test_bitcount_byte_ranges(c):
    c.execute_command("SET", "s", "foobar")
    assert c.execute_command("BITCOUNT", "s", 0, 0) == 4
    assert c.execute_command("BITCOUNT", "s", 1, 1) == 6
    assert c.execute_command("BITCOUNT", "s", 0, -1, "BYTE") == 26
    assert c.execute_command("BITCOUNT", "s", 1, 1, "byte") == 6


def test_bitcount_negative_and_out_of_range_byte_ranges(c):
    c.execute_command("SET", "s", "foobar")
    assert c.execute_command("BITCOUNT", "s", -2, -1) == 7
    assert c.execute_command("BITCOUNT", "s", -100, 100) == 26
    assert c.execute_command("BITCOUNT", "s", 3, 1) == 0
    assert c.execute_command("BITCOUNT", "s", 6, 10) == 0


def test_bitcount_bit_ranges(c):
    c.execute_command("SET", "s", "foobar")
    assert c.execute_command("BITCOUNT", "s", 5, 30, "BIT") == 17
    assert c.execute_command("BITCOUNT", "s", 5, 30, "bit") == 17
    assert c.execute_command("BITCOUNT", "s", 0, -1, "BIT") == 26
    assert c.execute_command("BITCOUNT", "s", -5, -1, "BIT") == 2
    assert c.execute_command("BITCOUNT", "s", 1, 2, "BIT") == 2
    assert c.execute_command("BITCOUNT", "s", 2, 1, "BIT") == 0


def test_bitcount_with_only_a_start_is_a_syntax_error(c):
    c.execute_command("SET", "s", "foobar")
    assert error_of(c, "BITCOUNT", "s", 0) == SYNTAX


def test_bitcount_argument_errors(c):
    c.execute_command("SET", "s", "foobar")
    assert error_of(c, "BITCOUNT", "s", 0, "x") == NOT_INT
    assert error_of(c, "BITCOUNT", "s", "x", 0) == NOT_INT
    assert error_of(c, "BITCOUNT", "s", 0, "99999999999999999999") == NOT_INT
    assert error_of(c, "BITCOUNT", "s", 0, -1, "FOO") == SYNTAX
    assert error_of(c, "BITCOUNT", "s", 0, 1, "BIT", "x") == SYNTAX
    assert error_of(c, "BITCOUNT", "s", 0, 1, "BIT", "BIT") == SYNTAX


def test_bitcount_looks_the_key_up_before_checking_the_range(c):
    """A missing key counts 0 and a hash is WRONGTYPE whatever the range arguments."""
    c.execute_command("HSET", "h", "f", "v")
    assert c.execute_command("BITCOUNT", "nokey", 0) == 0
    assert c.execute_command("BITCOUNT", "nokey", 0, "x") == 0
    assert c.execute_command("BITCOUNT", "nokey", 0, 1, "FOO") == 0
    assert error_of(c, "BITCOUNT", "h", 0) == WRONGTYPE
    assert error_of(c, "BITCOUNT", "h", 0, "x") == WRONGTYPE


# ---------------------------------------------------------------- BITPOS

def test_bitpos_first_set_and_clear_bit(c):
    c.execute_command("SET", "s", b"\xff\xf0\x00")
    assert c.execute_command("BITPOS", "s", 1) == 0
    assert c.execute_command("BITPOS", "s", 0) == 12


def test_bitpos_with_a_start_byte_positive_or_negative(c):
    c.execute_command("SET", "s", b"\xff\xf0\x00")
    assert c.execute_command("BITPOS", "s", 1, 1) == 8
    assert c.execute_command("BITPOS", "s", 0, 1) == 12
    assert c.execute_command("BITPOS", "s", 0, 2) == 16
    assert c.execute_command("BITPOS", "s", 1, 2) == -1
    assert c.execute_command("BITPOS", "s", 1, -2) == 8
    assert c.execute_command("BITPOS", "s", 0, -100, -1) == 12


def test_bitpos_clear_bit_on_all_ones_without_an_end_is_just_past_the_string(c):
    c.execute_command("SET", "ones", b"\xff\xff\xff")
    assert c.execute_command("BITPOS", "ones", 0) == 24
    assert c.execute_command("BITPOS", "ones", 0, 1) == 24


def test_bitpos_clear_bit_on_all_ones_with_an_end_is_minus_one(c):
    c.execute_command("SET", "ones", b"\xff\xff\xff")
    assert c.execute_command("BITPOS", "ones", 0, 0, -1) == -1
    assert c.execute_command("BITPOS", "ones", 0, 1, 2) == -1
    assert c.execute_command("BITPOS", "ones", 0, 0, -1, "BIT") == -1


def test_bitpos_with_an_explicit_byte_end(c):
    c.execute_command("SET", "s", b"\x00\x00\x01")
    assert c.execute_command("BITPOS", "s", 1, 0, 1) == -1
    assert c.execute_command("BITPOS", "s", 1, 0, 2) == 23
    assert c.execute_command("BITPOS", "s", 1, 2, 1) == -1
    assert c.execute_command("BITPOS", "s", 1, 0, 2, "BYTE") == 23


def test_bitpos_of_all_zeros(c):
    c.execute_command("SET", "z", b"\x00\x00")
    assert c.execute_command("BITPOS", "z", 1) == -1
    assert c.execute_command("BITPOS", "z", 0) == 0


def test_bitpos_on_a_missing_key_or_empty_string(c):
    c.execute_command("SET", "e", "")
    assert c.execute_command("BITPOS", "nokey", 0) == 0
    assert c.execute_command("BITPOS", "nokey", 1) == -1
    assert c.execute_command("BITPOS", "nokey", 0, 5, 6) == 0
    assert c.execute_command("BITPOS", "e", 0) == -1
    assert c.execute_command("BITPOS", "e", 1) == -1


def test_bitpos_bit_ranges(c):
    c.execute_command("SET", "s", b"\xff\xf0\x00")
    assert c.execute_command("BITPOS", "s", 0, 7, 15, "BIT") == 12
    assert c.execute_command("BITPOS", "s", 1, 7, 15, "BIT") == 7
    assert c.execute_command("BITPOS", "s", 0, 0, 11, "BIT") == -1
    assert c.execute_command("BITPOS", "s", 0, 0, -1, "bit") == 12
    assert c.execute_command("BITPOS", "s", 1, -8, -1, "BIT") == -1


def test_bitpos_bit_must_be_0_or_1_even_on_a_missing_key(c):
    c.execute_command("SET", "s", "a")
    assert error_of(c, "BITPOS", "s", 2) == BAD_BITPOS_BIT
    assert error_of(c, "BITPOS", "s", -1) == BAD_BITPOS_BIT
    assert error_of(c, "BITPOS", "nokey", 2) == BAD_BITPOS_BIT


def test_bitpos_argument_errors(c):
    c.execute_command("SET", "s", b"\xff")
    assert error_of(c, "BITPOS", "s", "x") == NOT_INT
    assert error_of(c, "BITPOS", "s", "01") == NOT_INT
    assert error_of(c, "BITPOS", "s", 1, "x") == NOT_INT
    assert error_of(c, "BITPOS", "s", 1, 0, "x") == NOT_INT
    assert error_of(c, "BITPOS", "s", 0, 3, "BIT") == NOT_INT  # BIT taken as the end
    assert error_of(c, "BITPOS", "s", 1, 0, 1, "FOO") == SYNTAX
    assert error_of(c, "BITPOS", "s", 1, 0, 1, "BIT", "x") == SYNTAX


def test_bitpos_looks_the_key_up_before_checking_the_range(c):
    c.execute_command("HSET", "h", "f", "v")
    assert c.execute_command("BITPOS", "nokey", 1, "x") == -1
    assert error_of(c, "BITPOS", "h", 1, "x") == WRONGTYPE


# ---------------------------------------------------------------- BITOP

def test_bitop_and_or_xor_not(c):
    c.execute_command("SET", "a", b"\xff\x0f")
    c.execute_command("SET", "b", b"\x0f\xff")
    assert c.execute_command("BITOP", "AND", "d", "a", "b") == 2
    assert get(c, "d") == b"\x0f\x0f"
    assert c.execute_command("BITOP", "OR", "d", "a", "b") == 2
    assert get(c, "d") == b"\xff\xff"
    assert c.execute_command("BITOP", "XOR", "d", "a", "b") == 2
    assert get(c, "d") == b"\xf0\xf0"
    assert c.execute_command("BITOP", "NOT", "d", "a") == 2
    assert get(c, "d") == b"\x00\xf0"
    assert c.execute_command("BITOP", "xOr", "d", "a", "b") == 2  # the name is case-blind
    assert get(c, "d") == b"\xf0\xf0"


def test_bitop_pads_shorter_sources_with_zero_bytes(c):
    c.execute_command("SET", "a", b"\xff\x0f")
    c.execute_command("SET", "b", b"\x0f")
    assert c.execute_command("BITOP", "AND", "d", "a", "b") == 2
    assert get(c, "d") == b"\x0f\x00"
    assert c.execute_command("BITOP", "OR", "d", "b", "a") == 2
    assert get(c, "d") == b"\xff\x0f"


def test_bitop_with_several_sources(c):
    c.execute_command("SET", "a", b"\xff\x0f")
    c.execute_command("SET", "b", b"\x0f")
    c.execute_command("SET", "c3", b"\xf0\xf0\xf0")
    assert c.execute_command("BITOP", "XOR", "d", "a", "b", "c3") == 3
    assert get(c, "d") == b"\x00\xff\xf0"
    assert c.execute_command("BITOP", "OR", "d", "a", "b", "c3") == 3
    assert get(c, "d") == b"\xff\xff\xf0"
    assert c.execute_command("BITOP", "AND", "d", "a", "b", "c3") == 3
    assert get(c, "d") == b"\x00\x00\x00"


def test_bitop_treats_missing_keys_as_empty_strings(c):
    c.execute_command("SET", "a", b"\xff\x0f")
    assert c.execute_command("BITOP", "AND", "d", "a", "nokey") == 2
    assert get(c, "d") == b"\x00\x00"
    assert c.execute_command("BITOP", "OR", "d", "nokey", "a") == 2
    assert get(c, "d") == b"\xff\x0f"
    assert exists(c, "nokey") == 0


def test_bitop_with_one_source_copies_it(c):
    c.execute_command("SET", "a", b"\x12\x34")
    assert c.execute_command("BITOP", "AND", "d", "a") == 2
    assert get(c, "d") == b"\x12\x34"
    assert c.execute_command("BITOP", "XOR", "e", "a") == 2
    assert get(c, "e") == b"\x12\x34"


def test_bitop_empty_result_deletes_the_destination(c):
    c.execute_command("SET", "d", "old")
    c.execute_command("SET", "e", "")
    assert c.execute_command("BITOP", "AND", "d", "nokey1", "nokey2") == 0
    assert exists(c, "d") == 0
    c.execute_command("SET", "d", "old")
    assert c.execute_command("BITOP", "NOT", "d", "e") == 0
    assert exists(c, "d") == 0
    assert c.execute_command("BITOP", "OR", "d", "nokey") == 0
    assert exists(c, "d") == 0


def test_bitop_result_of_zero_bytes_is_kept(c):
    c.execute_command("SET", "a", b"\x0f\xf0")
    assert c.execute_command("BITOP", "XOR", "a", "a", "a") == 2
    assert get(c, "a") == b"\x00\x00"


def test_bitop_destination_may_be_a_source(c):
    c.execute_command("SET", "k", b"\x01\x02")
    assert c.execute_command("BITOP", "NOT", "k", "k") == 2
    assert get(c, "k") == b"\xfe\xfd"


def test_bitop_replaces_any_destination_and_drops_its_ttl(c):
    c.execute_command("SET", "a", "abc")
    c.execute_command("HSET", "h", "f", "v")
    assert c.execute_command("BITOP", "AND", "h", "a") == 3
    assert c.execute_command("TYPE", "h") == b"string"
    assert get(c, "h") == b"abc"
    c.execute_command("SET", "d", "x")
    c.execute_command("EXPIRE", "d", 100)
    c.execute_command("BITOP", "OR", "d", "a")
    assert c.execute_command("TTL", "d") == -1


def test_bitop_wrongtype_source_leaves_the_destination(c):
    c.execute_command("SET", "a", "abc")
    c.execute_command("HSET", "h", "f", "v")
    c.execute_command("SET", "d", "keep")
    assert error_of(c, "BITOP", "AND", "d", "a", "h") == WRONGTYPE
    assert error_of(c, "BITOP", "OR", "d", "h", "a") == WRONGTYPE
    assert get(c, "d") == b"keep"


def test_bitop_not_takes_exactly_one_source(c):
    c.execute_command("SET", "a", "x")
    assert error_of(c, "BITOP", "NOT", "d", "a", "a") == NOT_SINGLE
    assert error_of(c, "BITOP", "NOT", "d", "nokey1", "nokey2") == NOT_SINGLE
    assert exists(c, "d") == 0


def test_bitop_unknown_operation_is_a_syntax_error(c):
    c.execute_command("SET", "a", "x")
    assert error_of(c, "BITOP", "NAND", "d", "a") == SYNTAX
    assert error_of(c, "BITOP", "ANDX", "d", "a", "a") == SYNTAX
    assert exists(c, "d") == 0


# ---------------------------------------------------------------- types and arity

@pytest.mark.parametrize("args", [
    ("SETBIT", "K", 0, 1), ("GETBIT", "K", 0), ("BITCOUNT", "K"), ("BITCOUNT", "K", 0, -1),
    ("BITPOS", "K", 1), ("BITPOS", "K", 0, 0, -1, "BIT"), ("BITOP", "AND", "d", "K"),
    ("BITOP", "NOT", "d", "K"), ("BITFIELD", "K", "GET", "u8", 0),
    ("BITFIELD", "K", "SET", "u8", 0, 1), ("BITFIELD", "K"), ("BITFIELD_RO", "K", "GET", "u8", 0),
], ids=lambda a: " ".join(str(x) for x in a))
def test_wrongtype_on_a_hash_and_a_list(c, args):
    c.execute_command("HSET", "h", "f", "v")
    c.execute_command("RPUSH", "l", "a")
    for key in ("h", "l"):
        assert error_of(c, *[key if x == "K" else x for x in args]) == WRONGTYPE
    assert c.execute_command("TYPE", "h") == b"hash"
    assert c.execute_command("TYPE", "l") == b"list"
    assert exists(c, "d") == 0


@pytest.mark.parametrize("args", [
    ("SETBIT",), ("SETBIT", "k", "0"), ("SETBIT", "k", "0", "1", "2"), ("GETBIT", "k"),
    ("GETBIT", "k", "0", "1"), ("BITCOUNT",), ("BITPOS",), ("BITPOS", "k"), ("BITOP",),
    ("BITOP", "AND"), ("BITOP", "AND", "d"), ("BITOP", "NOT", "d"), ("BITFIELD",),
    ("BITFIELD_RO",),
], ids=lambda a: " ".join(a))
def test_wrong_arity_is_an_error(c, args):
    assert error_of(c, *args) == "wrong number of arguments for '%s' command" % args[0].lower()


# ---------------------------------------------------------------- keyspace events


def test_setbit_raises_setbit_only_when_the_string_changes(server, c):
    """Redis 7.0 skips the event (and the write) when the bit already has the value and
    the string does not grow; creating the key or growing it counts as a change."""
    commands = [
        ("SETBIT", "b", 3, 1), ("SETBIT", "b", 3, 1), ("SETBIT", "b", 3, 0),
        ("SETBIT", "b", 3, 0), ("SETBIT", "b", 100, 0), ("SETBIT", "z", 0, 0),
        ("GETBIT", "b", 3), ("BITCOUNT", "b"), ("BITPOS", "b", 1),
    ]
    expected = [(b"setbit", b"b"), (b"setbit", b"b"), (b"setbit", b"b"), (b"setbit", b"z")]
    assert keyevents(server, c, commands, len(expected)) == expected


def test_bitop_raises_set_or_del(server, c):
    commands = [
        ("SET", "a", "x"), ("BITOP", "OR", "d", "a"), ("BITOP", "AND", "d", "a", "nokey"),
        ("BITOP", "AND", "d", "nokey"), ("BITOP", "AND", "d", "nokey"),
    ]
    expected = [(b"set", b"a"), (b"set", b"d"), (b"set", b"d"), (b"del", b"d")]
    assert keyevents(server, c, commands, len(expected)) == expected


def test_bitfield_raises_one_setbit_per_call_that_changes_the_string(server, c):
    commands = [
        ("BITFIELD", "f", "GET", "u8", 0), ("BITFIELD", "f", "SET", "u8", 0, 1),
        ("BITFIELD", "f", "SET", "u8", 0, 2, "INCRBY", "u8", 0, 1),
        ("BITFIELD", "f", "SET", "u8", 0, 3), ("BITFIELD", "f", "INCRBY", "u8", 0, 0),
        ("BITFIELD", "f", "OVERFLOW", "FAIL", "INCRBY", "u8", 0, 1000),
        ("BITFIELD", "f", "SET", "u8", 8, 0), ("BITFIELD_RO", "f", "GET", "u8", 0),
    ]
    expected = [(b"setbit", b"f"), (b"setbit", b"f"), (b"setbit", b"f")]
    assert keyevents(server, c, commands, len(expected)) == expected


def test_setbit_that_changes_nothing_keeps_a_watch(server, c):
    c.execute_command("SETBIT", "k", 3, 1)
    watcher = server.client()
    try:
        p = watcher.pipeline(transaction=True)
        p.watch("k")
        c.execute_command("SETBIT", "k", 3, 1)
        p.multi()
        p.ping()
        assert p.execute() == [True]
        p = watcher.pipeline(transaction=True)
        p.watch("k")
        c.execute_command("SETBIT", "k", 3, 0)
        p.multi()
        p.ping()
        with pytest.raises(redis.WatchError):
            p.execute()
    finally:
        watcher.close()


# ---------------------------------------------------------------- BITFIELD BITFIELD_RO

def test_bitfield_get_unsigned_and_signed_at_any_offset(c):
    c.execute_command("SET", "k", b"\xff\x01")
    assert c.execute_command("BITFIELD", "k", "GET", "u8", 0, "GET", "i8", 0, "GET", "u4", 0,
                             "GET", "i4", 4, "GET", "u1", 7, "GET", "u16", 0) == [
        255, -1, 15, -1, 1, 65281]
    c.execute_command("SET", "s", "hello")
    assert c.execute_command("BITFIELD", "s", "GET", "u12", 36) == [3840]
    assert c.execute_command("BITFIELD", "s", "GET", "i16", 0, "GET", "u3", 1) == [26725, 6]


def test_bitfield_offset_with_hash_multiplies_by_the_width(c):
    c.execute_command("SET", "s", "hello")
    assert c.execute_command("BITFIELD", "s", "GET", "u8", "#0", "GET", "u8", "#4",
                             "GET", "u16", "#2") == [104, 111, 28416]
    assert c.execute_command("BITFIELD", "k", "SET", "u8", "#2", 1, "GET", "u8", 16,
                             "GET", "u4", "#4", "GET", "u4", "#5") == [0, 1, 0, 1]


def test_bitfield_get_past_the_end_reads_zeros_and_creates_nothing(c):
    c.execute_command("SET", "k", b"\xff")
    assert c.execute_command("BITFIELD", "k", "GET", "u8", 4, "GET", "u8", 100) == [240, 0]
    assert c.execute_command("BITFIELD", "nokey", "GET", "i64", 0) == [0]
    assert c.execute_command("BITFIELD", "k", "GET", "u8", 2 ** 32 - 8) == [0]
    assert c.execute_command("BITFIELD", "k", "GET", "u8", "#536870911") == [0]
    assert exists(c, "nokey") == 0
    assert get(c, "k") == b"\xff"


def test_bitfield_set_returns_the_old_value_and_writes(c):
    assert c.execute_command("BITFIELD", "k", "SET", "u8", 0, 255) == [0]
    assert get(c, "k") == b"\xff"
    assert c.execute_command("BITFIELD", "k", "SET", "i8", 0, 1) == [-1]
    assert get(c, "k") == b"\x01"
    assert c.execute_command("BITFIELD", "k", "SET", "u2", 100, 1) == [0]
    assert get(c, "k") == b"\x01" + b"\x00" * 11 + b"\x04"


def test_bitfield_runs_operations_in_order(c):
    assert c.execute_command("BITFIELD", "k", "SET", "u8", 0, 10, "GET", "u8", 0,
                             "INCRBY", "u8", 0, 5, "GET", "u8", 0, "SET", "u8", 0, 1) == [
        0, 10, 15, 15, 15]
    assert get(c, "k") == b"\x01"


def test_bitfield_incrby_and_set_wrap_by_default(c):
    c.execute_command("SET", "k", b"\xc8")  # 200
    assert c.execute_command("BITFIELD", "k", "INCRBY", "u8", 0, 100) == [44]
    assert c.execute_command("BITFIELD", "k", "INCRBY", "i8", 0, 100) == [-112]
    assert c.execute_command("BITFIELD", "k", "INCRBY", "u2", 0, 1, "INCRBY", "u2", 0, 1,
                             "INCRBY", "u2", 0, 1) == [3, 0, 1]
    c.execute_command("SET", "k", b"\x01")
    assert c.execute_command("BITFIELD", "k", "SET", "u8", 0, 256) == [1]
    assert c.execute_command("BITFIELD", "k", "SET", "i8", 0, 1000, "GET", "i8", 0) == [0, -24]
    assert c.execute_command("BITFIELD", "k", "SET", "u8", 0, -1, "GET", "u8", 0) == [232, 255]


def test_bitfield_wrap_replies_a_value_in_the_fields_range(c):
    """Regression: a wrapped signed INCRBY replied the unmasked sum (-129, 1100)."""
    assert c.execute_command("BITFIELD", "k", "SET", "i8", 0, -128, "INCRBY", "i8", 0, -1,
                             "SET", "i8", 0, 100, "INCRBY", "i8", 0, 1000) == [0, 127, 127, 76]
    assert c.execute_command("BITFIELD", "k", "GET", "i8", 0) == [76]


def test_bitfield_overflow_sat(c):
    c.execute_command("SET", "k", b"\xc8")  # 200
    assert c.execute_command("BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "u8", 0, 100) == [255]
    assert c.execute_command("BITFIELD", "k", "OVERFLOW", "sat", "INCRBY", "u8", 0, -1000) == [0]
    assert c.execute_command("BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "i8", 0, 1000) == [127]
    assert c.execute_command("BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "i8", 0, -1000) == [
        -128]
    assert c.execute_command("BITFIELD", "k", "OVERFLOW", "SAT", "SET", "i8", 0, 1000,
                             "GET", "i8", 0) == [-128, 127]


def test_bitfield_sat_set_of_a_negative_value_to_an_unsigned_field_is_the_maximum(c):
    """The new value is compared as unsigned, so -5 counts as a huge positive number."""
    c.execute_command("SET", "k", b"\x00")
    assert c.execute_command("BITFIELD", "k", "OVERFLOW", "SAT", "SET", "u8", 0, -5,
                             "GET", "u8", 0) == [0, 255]


def test_bitfield_overflow_fail_replies_nil_and_changes_nothing(c):
    c.execute_command("SET", "k", b"\xf4")  # 244
    assert c.execute_command("BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u8", 0, 100) == [
        None]
    assert c.execute_command("BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u8", 0, -300,
                             "INCRBY", "u8", 0, -1) == [None, 243]
    assert c.execute_command("BITFIELD", "k", "OVERFLOW", "FAIL", "SET", "i8", 0, 1000) == [None]
    assert get(c, "k") == b"\xf3"


def test_bitfield_fail_nil_in_resp2_and_resp3(server, c):
    c.execute_command("SET", "k", b"\x01")
    assert raw2(server, "BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u8", 0, -2,
                "GET", "u8", 0) == b"*2\r\n$-1\r\n:1\r\n"
    assert resp3(server, b"BITFIELD k OVERFLOW FAIL INCRBY u8 0 -2 GET u8 0") == (
        b"*2\r\n_\r\n:1\r\n")


def test_bitfield_overflow_applies_to_the_operations_after_it(c):
    c.execute_command("SET", "k", b"\x00")
    assert c.execute_command("BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "u4", 0, 100,
                             "OVERFLOW", "WRAP", "INCRBY", "u4", 0, 15,
                             "OVERFLOW", "FAIL", "INCRBY", "u4", 0, 2, "INCRBY", "u4", 0, -13,
                             "GET", "u4", 0) == [15, 14, None, 1, 1]


def test_bitfield_one_bit_fields(c):
    assert c.execute_command("BITFIELD", "k", "SET", "i1", 0, 1, "GET", "i1", 0,
                             "GET", "u1", 0) == [0, -1, 1]
    assert c.execute_command("BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "i1", 0, -5) == [-1]
    assert c.execute_command("BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "i1", 0, -1,
                             "INCRBY", "i1", 0, 1) == [None, 0]


def test_bitfield_widest_types_i64_and_u63(c):
    assert c.execute_command("BITFIELD", "k", "SET", "i64", 0, -2 ** 63, "GET", "i64", 0,
                             "GET", "u63", 0) == [0, -2 ** 63, 2 ** 62]
    assert c.execute_command("BITFIELD", "k", "SET", "u63", 0, 2 ** 63 - 1,
                             "GET", "u63", 0) == [2 ** 62, 2 ** 63 - 1]
    assert c.execute_command("BITFIELD", "k", "OVERFLOW", "WRAP", "INCRBY", "u63", 0, 1) == [0]
    assert c.execute_command("BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u63", 0, -1) == [
        None]
    c.execute_command("BITFIELD", "k", "SET", "i64", 0, -2 ** 63)
    assert c.execute_command("BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "i64", 0, -1) == [
        -2 ** 63]
    assert c.execute_command("BITFIELD", "k", "OVERFLOW", "SAT", "SET", "i64", 0, 2 ** 63 - 1,
                             "INCRBY", "i64", 0, 1) == [-2 ** 63, 2 ** 63 - 1]


def test_bitfield_without_operations_is_an_empty_array(server, c):
    c.execute_command("SET", "k", "x")
    assert c.execute_command("BITFIELD", "k") == []
    assert c.execute_command("BITFIELD", "k", "OVERFLOW", "SAT") == []
    assert c.execute_command("BITFIELD_RO", "k") == []
    assert raw2(server, "BITFIELD", "nokey") == b"*0\r\n"
    assert exists(c, "nokey") == 0


def test_bitfield_fail_on_a_missing_key_still_creates_it_zeroed(c):
    """The key is looked up (and grown) before the overflow check, so FAIL leaves a zeroed
    string behind even though nothing was written."""
    assert c.execute_command("BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u2", 0, 5) == [None]
    assert get(c, "k") == b"\x00"
    assert c.execute_command("BITFIELD", "k", "OVERFLOW", "FAIL", "SET", "u8", 16, 300) == [None]
    assert get(c, "k") == b"\x00\x00\x00"


@pytest.mark.parametrize("type_", ["u64", "i65", "u0", "i0", "x8", "U8", "I8", "u", "u08", "u+8",
                                   "8", "u99"])
def test_bitfield_invalid_type(c, type_):
    c.execute_command("SET", "k", "x")
    assert error_of(c, "BITFIELD", "k", "GET", type_, 0) == BAD_TYPE
    assert error_of(c, "BITFIELD_RO", "k", "GET", type_, 0) == BAD_TYPE


@pytest.mark.parametrize("offset", ["-1", "#-1", "x", "#x", "#", "##1", "1#", "01", "0x",
                                    str(2 ** 32), "#536870912"])
def test_bitfield_invalid_offset(c, offset):
    c.execute_command("SET", "k", "x")
    assert error_of(c, "BITFIELD", "k", "GET", "u8", offset) == BAD_OFFSET
    assert error_of(c, "BITFIELD", "k", "SET", "u8", offset, 1) == BAD_OFFSET
    assert error_of(c, "BITFIELD_RO", "k", "GET", "u8", offset) == BAD_OFFSET


def test_bitfield_value_must_be_a_64_bit_integer(c):
    assert error_of(c, "BITFIELD", "k", "SET", "u8", 0, "x") == NOT_INT
    assert error_of(c, "BITFIELD", "k", "INCRBY", "u8", 0, "1.5") == NOT_INT
    assert error_of(c, "BITFIELD", "k", "SET", "i64", 0, 2 ** 63) == NOT_INT
    assert error_of(c, "BITFIELD", "k", "INCRBY", "i8", 0, "99999999999999999999") == NOT_INT
    assert exists(c, "k") == 0


def test_bitfield_syntax_and_overflow_type_errors(c):
    c.execute_command("SET", "k", "x")
    assert error_of(c, "BITFIELD", "k", "GET", "u8") == SYNTAX
    assert error_of(c, "BITFIELD", "k", "SET", "u8", 0) == SYNTAX
    assert error_of(c, "BITFIELD", "k", "INCRBY", "u8", 0) == SYNTAX
    assert error_of(c, "BITFIELD", "k", "OVERFLOW") == SYNTAX
    assert error_of(c, "BITFIELD", "k", "FOO", "u8", 0) == SYNTAX
    assert error_of(c, "BITFIELD", "k", "GET", "u8", 0, "FOO") == SYNTAX
    assert error_of(c, "BITFIELD", "k", "OVERFLOW", "foo") == BAD_OVERFLOW
    assert error_of(c, "BITFIELD", "k", "OVERFLOW", "foo", "GET", "u8", 0) == BAD_OVERFLOW


def test_bitfield_checks_every_operation_before_running_any(c):
    """Arguments are parsed before the key is looked up: a bad later operation stops the
    whole call, and a hash key still reports the argument error."""
    c.execute_command("SET", "k", b"\x01")
    c.execute_command("HSET", "h", "f", "v")
    assert error_of(c, "BITFIELD", "k", "SET", "u8", 0, 9, "GET", "u8", "x") == BAD_OFFSET
    assert error_of(c, "BITFIELD", "nokey", "SET", "u8", 0, 9, "GET", "u99", 0) == BAD_TYPE
    assert error_of(c, "BITFIELD", "h", "GET", "u8", "x") == BAD_OFFSET
    assert get(c, "k") == b"\x01"
    assert exists(c, "nokey") == 0


def test_bitfield_ro_reads_like_bitfield_get_and_accepts_overflow(c):
    c.execute_command("SET", "k", b"\x01\x02")
    assert c.execute_command("BITFIELD_RO", "k", "GET", "u8", 0, "GET", "u8", "#1",
                             "GET", "i16", 0) == [1, 2, 258]
    assert c.execute_command("BITFIELD_RO", "nokey", "GET", "u8", 0) == [0]
    assert exists(c, "nokey") == 0
    assert c.execute_command("BITFIELD_RO", "k", "OVERFLOW", "SAT", "GET", "u8", 0) == [1]
    assert error_of(c, "BITFIELD_RO", "k", "OVERFLOW") == SYNTAX
    assert error_of(c, "BITFIELD_RO", "k", "FOO") == SYNTAX


def test_bitfield_ro_allows_only_get(c):
    c.execute_command("SET", "k", b"\x01")
    c.execute_command("HSET", "h", "f", "v")
    assert error_of(c, "BITFIELD_RO", "k", "SET", "u8", 0, 1) == RO_ONLY_GET
    assert error_of(c, "BITFIELD_RO", "k", "INCRBY", "u8", 0, 1) == RO_ONLY_GET
    assert error_of(c, "BITFIELD_RO", "k", "GET", "u8", 0, "SET", "u8", 0, 1) == RO_ONLY_GET
    assert error_of(c, "BITFIELD_RO", "nokey", "SET", "u8", 0, 1) == RO_ONLY_GET
    assert error_of(c, "BITFIELD_RO", "h", "SET", "u8", 0, 1) == RO_ONLY_GET
    assert get(c, "k") == b"\x01"
    assert exists(c, "nokey") == 0
