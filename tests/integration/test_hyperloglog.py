"""The HyperLogLog commands against the real vellumd: PFADD PFCOUNT PFMERGE, with Redis 7.0's
replies, keyspace events and exact error texts, all checked against redis-server 7.0.15.

Vellum uses Redis's algorithm (MurmurHash64A with Redis's seed, 16384 6-bit registers and
Redis 7's cardinality estimator), so the counts pinned here are exactly Redis's for the same
inputs. The count does not depend on how the registers are stored.

An HLL is a plain string starting with b"HYLL". Redis keeps small sets in a sparse encoding
and big ones dense; Vellum need not, so the tests never pin the bytes, the length or the
encoding byte of a GET. Only the dense layout (a 16-byte header then 12288 bytes of packed
registers) is fed in by hand, as any Redis dump of a big HLL holds it.

Replies are read without redis-py's response callbacks (fixture `c`), so a simple string
stays bytes. redis-py drops the leading "ERR " of an error line (not "WRONGTYPE ")."""
import time

import pytest
import redis

from vellum_harness import error_of, exists, keyevents, raw2

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_HLL = "WRONGTYPE Key is not a valid HyperLogLog string value."

DENSE_LEN = 16 + 16384 * 6 // 8  # 12304


def pfadd(cl, key, *elements):
    return cl.execute_command("PFADD", key, *elements)


def pfcount(cl, *keys):
    return cl.execute_command("PFCOUNT", *keys)


def get(cl, key):
    return cl.execute_command("GET", key)


def pfadd_range(cl, key, prefix, n, batch=1000):
    """PFADD of prefix0 .. prefix<n-1>, pipelined in batches; returns the sum of the replies."""
    p = cl.pipeline(transaction=False)
    for start in range(0, n, batch):
        p.execute_command("PFADD", key, *["%s%d" % (prefix, i)
                                          for i in range(start, min(start + batch, n))])
    return sum(p.execute())


def letters():
    return [chr(i) for i in range(ord("a"), ord("z") + 1)]



# ---------------------------------------------------------------- exact counts

def test_count_of_a_to_z_is_25(c):
    assert pfadd(c, "k", *letters()) == 1
    assert pfcount(c, "k") == 25


def test_count_of_1000_elements_is_1008(c):
    assert pfadd(c, "k", *["e%d" % i for i in range(1000)]) == 1
    assert pfcount(c, "k") == 1008


def test_count_of_100000_elements_in_batches_is_100853(c):
    # Every batch of 1000 new elements changes at least one register.
    assert pfadd_range(c, "k", "e", 100000) == 100
    assert pfcount(c, "k") == 100853
    assert pfcount(c, "k") == 100853


def test_counts_of_small_inputs(c):
    assert pfadd(c, "one", "hello") == 1
    assert pfcount(c, "one") == 1
    assert pfadd(c, "empty", "") == 1
    assert pfcount(c, "empty") == 1
    assert pfadd(c, "ints", 1, 2, 3) == 1
    assert pfcount(c, "ints") == 3
    assert pfadd(c, "dups", "a", "a", "a") == 1
    assert pfcount(c, "dups") == 1
    assert pfadd(c, "bin", b"\x00", b"\xff\x00", b"a\r\nb") == 1
    assert pfcount(c, "bin") == 3


def test_error_stays_within_redis_bound(c):
    # Redis documents a standard error of 0.81%; checked loosely.
    n = 100000
    pfadd_range(c, "k", "user:", n)
    assert abs(pfcount(c, "k") - n) / n < 0.03


# ---------------------------------------------------------------- PFADD

def test_pfadd_returns_1_only_when_a_register_changes(c):
    assert pfadd(c, "k", "a", "b", "c") == 1
    assert pfadd(c, "k", "a") == 0
    assert pfadd(c, "k", "c", "b", "a", "a") == 0
    assert pfadd(c, "k", "d") == 1
    assert pfcount(c, "k") == 4


def test_pfadd_without_elements_creates_an_empty_hll(c):
    assert pfadd(c, "k") == 1
    assert exists(c, "k") == 1
    assert c.execute_command("TYPE", "k") == b"string"
    assert pfcount(c, "k") == 0
    assert pfadd(c, "k") == 0
    assert pfadd(c, "k", "a") == 1
    assert pfadd(c, "k") == 0
    assert pfcount(c, "k") == 1


def test_pfadd_after_pfcount_of_the_same_element_changes_nothing(c):
    pfadd(c, "k", *letters())
    assert pfcount(c, "k") == 25
    assert pfadd(c, "k", "q") == 0
    assert pfcount(c, "k") == 25
    assert pfadd(c, "k", *letters()) == 0
    assert pfcount(c, "k") == 25


def test_pfadd_keeps_the_ttl(c):
    pfadd(c, "k", "a")
    c.execute_command("EXPIRE", "k", 100)
    assert pfadd(c, "k", "b") == 1
    assert 0 < c.execute_command("TTL", "k") <= 100
    assert pfcount(c, "k") == 2
    assert 0 < c.execute_command("TTL", "k") <= 100


def test_pfadd_on_an_expired_key_starts_a_new_hll(c):
    pfadd(c, "k", *letters())
    c.execute_command("PEXPIRE", "k", 1)
    time.sleep(0.05)
    assert pfadd(c, "k", "a") == 1
    assert pfcount(c, "k") == 1
    assert c.execute_command("TTL", "k") == -1


# ---------------------------------------------------------------- PFCOUNT

def test_pfcount_of_a_missing_key_is_zero_and_creates_nothing(c):
    assert pfcount(c, "nokey") == 0
    assert pfcount(c, "nokey", "other") == 0
    assert exists(c, "nokey", "other") == 0


def test_pfcount_of_several_keys_counts_the_union(c):
    pfadd(c, "az", *letters())
    pfadd(c, "e1k", *["e%d" % i for i in range(1000)])
    pfadd(c, "abc", "a", "b", "c")
    assert pfcount(c, "az", "e1k") == 1034
    assert pfcount(c, "e1k", "az") == 1034
    assert pfcount(c, "az", "abc") == 25  # a subset adds nothing, unlike a sum
    assert pfcount(c, "az", "az") == 25
    assert pfcount(c, "az", "nokey", "e1k", "nokey2") == 1034
    assert pfcount(c, "nokey", "abc") == 3
    assert exists(c, "nokey", "nokey2") == 0


def test_pfcount_of_several_keys_modifies_none_of_them(c):
    pfadd(c, "a", "x", "y")
    pfadd(c, "b", "y", "z")
    before = (get(c, "a"), get(c, "b"))
    assert pfcount(c, "a", "b") == 3
    assert (get(c, "a"), get(c, "b")) == before
    assert pfcount(c, "a") == 2
    assert pfcount(c, "b") == 2


def test_pfcount_union_with_a_big_hll(c):
    pfadd(c, "e1k", *["e%d" % i for i in range(1000)])
    pfadd_range(c, "e100k", "e", 100000)
    assert pfcount(c, "e1k", "e100k") == 100853
    assert pfcount(c, "e1k") == 1008


# ---------------------------------------------------------------- PFMERGE

def test_pfmerge_into_a_missing_destination_is_the_union(c):
    pfadd(c, "az", *letters())
    pfadd(c, "e1k", *["e%d" % i for i in range(1000)])
    assert c.execute_command("PFMERGE", "d", "az", "e1k") == b"OK"
    assert pfcount(c, "d") == 1034
    assert pfcount(c, "az") == 25
    assert pfcount(c, "e1k") == 1008
    assert c.execute_command("TYPE", "d") == b"string"


def test_pfmerge_merges_an_existing_destination_in(c):
    pfadd(c, "d", "x", "y")
    pfadd(c, "s1", "y", "z")
    pfadd(c, "s2", "w")
    assert c.execute_command("PFMERGE", "d", "s1", "s2") == b"OK"
    assert pfcount(c, "d") == 4
    assert pfcount(c, "s1") == 2
    assert c.execute_command("PFMERGE", "s1", "s1", "d") == b"OK"  # dest among the sources
    assert pfcount(c, "s1") == 4


def test_pfmerge_with_missing_sources(c):
    assert c.execute_command("PFMERGE", "d", "nokey1", "nokey2") == b"OK"
    assert exists(c, "d") == 1
    assert exists(c, "nokey1", "nokey2") == 0
    assert pfcount(c, "d") == 0
    pfadd(c, "s", "a", "b")
    assert c.execute_command("PFMERGE", "d", "nokey1", "s") == b"OK"
    assert pfcount(c, "d") == 2
    assert get(c, "d")[:4] == b"HYLL"


def test_pfmerge_with_only_the_destination(c):
    assert c.execute_command("PFMERGE", "d") == b"OK"
    assert exists(c, "d") == 1
    assert c.execute_command("TYPE", "d") == b"string"
    assert get(c, "d")[:4] == b"HYLL"
    assert pfcount(c, "d") == 0
    assert pfadd(c, "d", "a") == 1
    assert c.execute_command("PFMERGE", "d") == b"OK"
    assert pfcount(c, "d") == 1


def test_pfmerge_of_big_hlls(c):
    pfadd_range(c, "e100k", "e", 100000)
    pfadd(c, "az", *letters())
    assert c.execute_command("PFMERGE", "d", "az", "e100k") == b"OK"
    assert pfcount(c, "d") == pfcount(c, "az", "e100k")
    assert c.execute_command("PFMERGE", "d2", "e100k") == b"OK"
    assert pfcount(c, "d2") == 100853


def test_pfmerge_keeps_the_destination_ttl(c):
    pfadd(c, "d", "a")
    c.execute_command("EXPIRE", "d", 100)
    pfadd(c, "s", "b")
    assert c.execute_command("PFMERGE", "d", "s") == b"OK"
    assert 0 < c.execute_command("TTL", "d") <= 100
    assert pfcount(c, "d") == 2


# ---------------------------------------------------------------- the value is a string

def test_an_hll_is_a_string_starting_with_hyll(c):
    pfadd(c, "small", "a")
    pfadd_range(c, "big", "e", 5000)
    for key in ("small", "big"):
        value = get(c, key)
        assert c.execute_command("TYPE", key) == b"string"
        assert value[:4] == b"HYLL"
        assert value[4] in (0, 1)  # 0 dense, 1 sparse (Redis uses both)
        assert c.execute_command("STRLEN", key) == len(value)


def test_an_hll_copied_with_get_and_set_keeps_working(c):
    pfadd(c, "az", *letters())
    pfadd_range(c, "big", "e", 100000)
    for key in ("az", "big"):
        assert c.execute_command("SET", key + ":copy", get(c, key)) == b"OK"
        assert pfcount(c, key + ":copy") == pfcount(c, key)
    assert pfadd(c, "az:copy", "m") == 0
    assert pfadd(c, "az:copy", "zz", "yy", "xx") == 1
    assert pfcount(c, "az:copy") == pfcount(c, "az") + 3
    assert pfcount(c, "big:copy", "az") == pfcount(c, "big", "az")


def test_a_hand_built_dense_empty_hll_is_valid(c):
    """Redis's dense layout: "HYLL", encoding 0, 3 unused bytes, an 8-byte cached count, then
    16384 6-bit registers; all zero is the empty set."""
    c.execute_command("SET", "k", b"HYLL" + b"\x00" * (DENSE_LEN - 4))
    assert pfcount(c, "k") == 0
    assert pfadd(c, "k", "a", "b", "c") == 1
    assert pfcount(c, "k") == 3
    assert pfadd(c, "k", "a") == 0
    pfadd(c, "fresh", "a", "b", "c")
    assert pfcount(c, "k", "fresh") == 3


# ---------------------------------------------------------------- errors

@pytest.mark.parametrize("value", [
    b"hello", b"", b"12345", b"HYLL", b"HYLL" + b"\x00" * 12, b"HYLL\x02" + b"\x00" * 11,
    b"hyll" + b"\x00" * (DENSE_LEN - 4), b"HYLL" + b"\x00" * (DENSE_LEN - 3),
], ids=["hello", "empty", "int", "magic-only", "dense-short", "bad-encoding", "lowercase",
        "dense-long"])
def test_a_string_that_is_not_an_hll(c, value):
    c.execute_command("SET", "s", value)
    pfadd(c, "ok", "a")
    assert error_of(c, "PFADD", "s", "a") == NOT_HLL
    assert error_of(c, "PFADD", "s") == NOT_HLL
    assert error_of(c, "PFCOUNT", "s") == NOT_HLL
    assert error_of(c, "PFCOUNT", "ok", "s") == NOT_HLL
    assert error_of(c, "PFMERGE", "s") == NOT_HLL
    assert error_of(c, "PFMERGE", "s", "ok") == NOT_HLL
    assert error_of(c, "PFMERGE", "d", "ok", "s") == NOT_HLL
    assert get(c, "s") == value
    assert exists(c, "d") == 0


def test_the_not_an_hll_error_line_is_exact(server, c):
    c.execute_command("SET", "s", "hello")
    assert raw2(server, "PFADD", "s", "a") == b"-" + NOT_HLL.encode() + b"\r\n"
    assert raw2(server, "PFCOUNT", "s") == b"-" + NOT_HLL.encode() + b"\r\n"
    assert raw2(server, "PFMERGE", "d", "s") == b"-" + NOT_HLL.encode() + b"\r\n"
    assert raw2(server, "PFADD", "k", "a") == b":1\r\n"
    assert raw2(server, "PFCOUNT", "k") == b":1\r\n"
    assert raw2(server, "PFMERGE", "d", "k") == b"+OK\r\n"


def test_an_hll_with_a_broken_magic_is_no_longer_valid(c):
    pfadd(c, "k", *letters())
    c.execute_command("SETRANGE", "k", 0, "J")
    assert error_of(c, "PFCOUNT", "k") == NOT_HLL
    assert error_of(c, "PFADD", "k", "a") == NOT_HLL
    assert error_of(c, "PFMERGE", "d", "k") == NOT_HLL


def test_a_dense_hll_with_bytes_appended_is_no_longer_valid(c):
    c.execute_command("SET", "k", b"HYLL" + b"\x00" * (DENSE_LEN - 4))
    pfadd(c, "k", "a")
    c.execute_command("APPEND", "k", "x")
    assert error_of(c, "PFCOUNT", "k") == NOT_HLL
    assert error_of(c, "PFADD", "k", "b") == NOT_HLL


@pytest.mark.parametrize("args", [
    ("PFADD", "K", "a"), ("PFADD", "K"), ("PFCOUNT", "K"), ("PFCOUNT", "ok", "K"),
    ("PFMERGE", "K"), ("PFMERGE", "K", "ok"), ("PFMERGE", "d", "ok", "K"),
], ids=lambda a: " ".join(a))
def test_wrongtype_on_a_hash_and_a_list(c, args):
    c.execute_command("HSET", "h", "f", "v")
    c.execute_command("RPUSH", "l", "a")
    pfadd(c, "ok", "a")
    for key in ("h", "l"):
        assert error_of(c, *[key if x == "K" else x for x in args]) == WRONGTYPE
    assert c.execute_command("TYPE", "h") == b"hash"
    assert c.execute_command("TYPE", "l") == b"list"
    assert exists(c, "d") == 0


def test_the_first_bad_key_in_order_decides_the_error(c):
    c.execute_command("SET", "s", "hello")
    c.execute_command("HSET", "h", "f", "v")
    assert error_of(c, "PFCOUNT", "h", "s") == WRONGTYPE
    assert error_of(c, "PFCOUNT", "s", "h") == NOT_HLL
    assert error_of(c, "PFMERGE", "d", "h", "s") == WRONGTYPE
    assert error_of(c, "PFMERGE", "d", "s", "h") == NOT_HLL


def test_a_failed_pfmerge_leaves_the_destination(c):
    pfadd(c, "d", "a", "b")
    pfadd(c, "s", "c")
    c.execute_command("SET", "bad", "hello")
    assert error_of(c, "PFMERGE", "d", "s", "bad") == NOT_HLL
    assert pfcount(c, "d") == 2


@pytest.mark.parametrize("args", [("PFADD",), ("PFCOUNT",), ("PFMERGE",)], ids=lambda a: a[0])
def test_wrong_arity_is_an_error(server, c, args):
    text = "wrong number of arguments for '%s' command" % args[0].lower()
    assert error_of(c, *args) == text
    assert raw2(server, *args) == b"-ERR " + text.encode() + b"\r\n"


# ---------------------------------------------------------------- keyspace events and WATCH


def test_pfadd_raises_pfadd_only_when_it_changes_something(server, c):
    commands = [
        ("PFADD", "k", "a"), ("PFADD", "k", "a"), ("PFADD", "k"), ("PFADD", "n"),
        ("PFADD", "n"), ("PFADD", "k", "b"), ("PFCOUNT", "k"), ("PFCOUNT", "k"),
        ("PFCOUNT", "k", "n"), ("PFCOUNT", "nokey"),
    ]
    expected = [(b"pfadd", b"k"), (b"pfadd", b"n"), (b"pfadd", b"k")]
    assert keyevents(server, c, commands, len(expected)) == expected


def test_pfmerge_always_raises_pfadd_on_the_destination(server, c):
    """Redis raises "pfadd" for every PFMERGE ("a mass-add of elements"), even one that
    changes nothing; never an event for the sources."""
    pfadd(c, "k", "a")
    commands = [
        ("PFMERGE", "d", "k"), ("PFMERGE", "d", "k"), ("PFMERGE", "d"), ("PFMERGE", "e"),
        ("PFMERGE", "f", "nokey"), ("PFMERGE", "k", "k"),
    ]
    expected = [(b"pfadd", b"d"), (b"pfadd", b"d"), (b"pfadd", b"d"), (b"pfadd", b"e"),
                (b"pfadd", b"f"), (b"pfadd", b"k")]
    assert keyevents(server, c, commands, len(expected)) == expected


def watch_survives(server, c, key, *command):
    """WATCHes key on another connection, runs command on c, and returns whether
    MULTI/PING/EXEC still ran."""
    watcher = server.client()
    try:
        p = watcher.pipeline(transaction=True)
        p.watch(key)
        c.execute_command(*command)
        p.multi()
        p.ping()
        try:
            return p.execute() == [True]
        except redis.WatchError:
            return False
    finally:
        watcher.close()


def test_pfadd_that_changes_nothing_keeps_a_watch(server, c):
    pfadd(c, "k", "a")
    assert watch_survives(server, c, "k", "PFADD", "k", "a") is True
    assert watch_survives(server, c, "k", "PFADD", "k") is True
    assert watch_survives(server, c, "k", "PFADD", "k", "b") is False


def test_pfmerge_aborts_a_watch_on_the_destination_even_without_change(server, c):
    pfadd(c, "k", "a")
    pfadd(c, "s", "a")
    assert watch_survives(server, c, "k", "PFMERGE", "k") is False
    assert watch_survives(server, c, "k", "PFMERGE", "k", "s") is False
    assert watch_survives(server, c, "s", "PFMERGE", "k", "s") is True  # a source is only read


def test_pfcount_of_several_keys_or_a_counted_key_keeps_a_watch(server, c):
    pfadd(c, "k", "a")
    pfadd(c, "o", "b")
    assert watch_survives(server, c, "k", "PFCOUNT", "k", "o") is True
    pfcount(c, "k")
    assert watch_survives(server, c, "k", "PFCOUNT", "k") is True


# ---------------------------------------------------------------- where Vellum differs
# Redis caches the count in the HLL's header: PFADD marks it stale and the next single-key
# PFCOUNT rewrites it, calling signalModifiedKey (but raising no keyspace event), so in
# Redis 7.0 that PFCOUNT aborts a WATCH on the key (checked against 7.0.15). Vellum's
# PFCOUNT never writes the cache back: it is a read, it keeps every WATCH, and a replica
# or the disk never sees it (README: differences).

def test_pfcount_after_a_change_is_a_read_and_keeps_a_watch(server, c):
    pfadd(c, "k", "a")
    assert watch_survives(server, c, "k", "PFCOUNT", "k") is True
    pfadd(c, "k", "b")
    assert watch_survives(server, c, "k", "PFCOUNT", "k") is True
