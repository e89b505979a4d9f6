"""Expiry commands: EXPIRE PEXPIRE EXPIREAT PEXPIREAT (NX XX GT LT), TTL PTTL EXPIRETIME
PEXPIRETIME PERSIST, and lazy and active expiry, with Redis 7's replies and errors."""
import re
import time

import pytest
import redis

INT64_MAX = 2**63 - 1


def err(text):
    """A pytest.raises match for an exact Redis error text."""
    return "^" + re.escape(text) + "$"


NOT_INT = err("value is not an integer or out of range")
NX_CONFLICT = err("NX and XX, GT or LT options at the same time are not compatible")
GT_LT_CONFLICT = err("GT and LT options at the same time are not compatible")


def now_ms():
    return int(time.time() * 1000)


def poll(predicate, timeout=3.0, interval=0.02):
    """Calls predicate until it is true or timeout seconds pass; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def expire(r, cmd, key, value, *flags):
    return r.execute_command(cmd, key, value, *flags)


# ---- setting an expiry ----

def test_expire_sets_ttl_in_seconds(r):
    r.set("k", "v")
    assert expire(r, "EXPIRE", "k", 100) == 1
    assert r.ttl("k") == 100
    assert 99000 < r.pttl("k") <= 100000
    assert r.get("k") == b"v"


def test_pexpire_sets_ttl_in_milliseconds(r):
    r.set("k", "v")
    assert expire(r, "PEXPIRE", "k", 100000) == 1
    assert 99000 < r.pttl("k") <= 100000


def test_expireat_sets_absolute_seconds(r):
    r.set("k", "v")
    at = int(time.time()) + 1000
    assert expire(r, "EXPIREAT", "k", at) == 1
    assert r.expiretime("k") == at
    assert r.pexpiretime("k") == at * 1000


def test_pexpireat_sets_absolute_milliseconds(r):
    r.set("k", "v")
    at = now_ms() + 1000123
    assert expire(r, "PEXPIREAT", "k", at) == 1
    assert r.pexpiretime("k") == at


def test_expire_on_missing_key_returns_zero(r):
    for cmd, value in [("EXPIRE", 10), ("PEXPIRE", 10000), ("EXPIREAT", int(time.time()) + 10),
                       ("PEXPIREAT", now_ms() + 10000)]:
        assert expire(r, cmd, "missing", value) == 0
    assert r.exists("missing") == 0


def test_expire_overwrites_previous_ttl(r):
    r.set("k", "v", ex=100)
    assert expire(r, "EXPIRE", "k", 200) == 1
    assert r.ttl("k") == 200


@pytest.mark.parametrize("cmd,value", [
    ("EXPIRE", 0), ("EXPIRE", -1), ("PEXPIRE", 0), ("PEXPIRE", -5000),
    ("EXPIREAT", 1), ("EXPIREAT", 0), ("PEXPIREAT", 1), ("PEXPIREAT", -1),
])
def test_expire_in_the_past_deletes_key_and_returns_one(r, cmd, value):
    r.set("k", "v")
    assert expire(r, cmd, "k", value) == 1
    assert r.exists("k") == 0
    assert r.dbsize() == 0


def test_expire_large_negative_deletes_key(r):
    r.set("k", "v")
    assert expire(r, "EXPIRE", "k", -9223372036854775) == 1
    assert r.exists("k") == 0


def test_expire_time_not_an_integer(r):
    r.set("k", "v")
    for cmd in ["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"]:
        with pytest.raises(redis.ResponseError, match=NOT_INT):
            expire(r, cmd, "k", "abc")
        with pytest.raises(redis.ResponseError, match=NOT_INT):
            expire(r, cmd, "k", "1.5")


@pytest.mark.parametrize("cmd,value", [
    ("expire", INT64_MAX),
    ("expire", -INT64_MAX),
    ("expire", INT64_MAX // 1000),  # fits in ms, but not once now is added
    ("pexpire", INT64_MAX),
    ("expireat", INT64_MAX),
    ("expireat", INT64_MAX // 1000 + 1),
])
def test_expire_overflow_names_the_command(r, cmd, value):
    r.set("k", "v")
    with pytest.raises(redis.ResponseError,
                       match=err("invalid expire time in '%s' command" % cmd)):
        expire(r, cmd.upper(), "k", value)
    # Also for a missing key: the time is checked first.
    with pytest.raises(redis.ResponseError,
                       match=err("invalid expire time in '%s' command" % cmd)):
        expire(r, cmd.upper(), "missing", value)
    assert r.ttl("k") == -1


def test_pexpireat_max_is_accepted(r):
    r.set("k", "v")
    assert expire(r, "PEXPIREAT", "k", INT64_MAX) == 1
    assert r.pexpiretime("k") == INT64_MAX
    assert r.expiretime("k") == 9223372036854776
    assert r.pttl("k") > INT64_MAX - now_ms() - 10000
    assert r.ttl("k") > (INT64_MAX - now_ms()) // 1000 - 10


def test_expireat_largest_valid_seconds(r):
    r.set("k", "v")
    assert expire(r, "EXPIREAT", "k", INT64_MAX // 1000) == 1
    assert r.expiretime("k") == INT64_MAX // 1000


# ---- NX XX GT LT ----

# Times are absolute (PEXPIREAT against a key set with PXAT), so "equal" is exact.
@pytest.mark.parametrize("has_ttl,flag,delta,expected,final", [
    # NX: only when the key has no expiry.
    (False, "NX", +1, 1, "new"),
    (True, "NX", +1, 0, "old"),
    # XX: only when the key has an expiry.
    (False, "XX", +1, 0, None),
    (True, "XX", +1, 1, "new"),
    (True, "XX", -1, 1, "new"),
    # GT: only a greater expiry; no expiry counts as infinite, so GT never applies.
    (False, "GT", +1, 0, None),
    (True, "GT", +1, 1, "new"),
    (True, "GT", 0, 0, "old"),
    (True, "GT", -1, 0, "old"),
    # LT: only a smaller expiry; no expiry counts as infinite, so LT always applies.
    (False, "LT", +1, 1, "new"),
    (True, "LT", -1, 1, "new"),
    (True, "LT", 0, 0, "old"),
    (True, "LT", +1, 0, "old"),
])
def test_expire_flag_matrix(r, has_ttl, flag, delta, expected, final):
    old = now_ms() + 50000
    new = old + delta * 10000
    r.set("k", "v", pxat=old if has_ttl else None)
    assert expire(r, "PEXPIREAT", "k", new, flag) == expected
    assert r.pexpiretime("k") == {"old": old, "new": new, None: -1}[final]


@pytest.mark.parametrize("has_ttl,flags,new_ttl,expected", [
    (False, ("XX", "GT"), 100, 0),
    (True, ("XX", "GT"), 100, 1),
    (True, ("XX", "GT"), 10, 0),
    (False, ("XX", "LT"), 10, 0),
    (True, ("XX", "LT"), 10, 1),
    (True, ("XX", "LT"), 100, 0),
    (True, ("GT", "GT"), 100, 1),
    (False, ("NX", "NX"), 100, 1),
    (True, ("NX", "NX"), 100, 0),
])
def test_expire_flag_combinations(r, has_ttl, flags, new_ttl, expected):
    r.set("k", "v", ex=50 if has_ttl else None)
    assert expire(r, "EXPIRE", "k", new_ttl, *flags) == expected


@pytest.mark.parametrize("cmd", ["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"])
def test_expire_flags_apply_to_every_variant(r, cmd):
    r.set("k", "v")
    base = {"EXPIRE": 0, "PEXPIRE": 0, "EXPIREAT": int(time.time()),
            "PEXPIREAT": now_ms()}[cmd]
    scale = 1 if cmd in ("EXPIRE", "EXPIREAT") else 1000
    assert expire(r, cmd, "k", base + 100 * scale, "xx") == 0
    assert expire(r, cmd, "k", base + 100 * scale, "nx") == 1
    assert expire(r, cmd, "k", base + 200 * scale, "lt") == 0
    assert expire(r, cmd, "k", base + 200 * scale, "gt") == 1
    assert 199 <= r.ttl("k") <= 200


def test_expire_lt_in_the_past_on_persistent_key_deletes_it(r):
    r.set("k", "v")
    assert expire(r, "EXPIRE", "k", -1, "LT") == 1
    assert r.exists("k") == 0


def test_expire_gt_in_the_past_on_volatile_key_is_refused(r):
    r.set("k", "v", ex=100)
    assert expire(r, "EXPIRE", "k", -1, "GT") == 0
    assert r.ttl("k") == 100


@pytest.mark.parametrize("flags", [("NX", "XX"), ("NX", "GT"), ("NX", "LT"), ("xx", "nx"),
                                   ("NX", "GT", "LT"), ("LT", "LT", "NX")])
def test_expire_nx_with_other_flags_is_incompatible(r, flags):
    r.set("k", "v")
    with pytest.raises(redis.ResponseError, match=NX_CONFLICT):
        expire(r, "EXPIRE", "k", 10, *flags)
    assert r.ttl("k") == -1


@pytest.mark.parametrize("flags", [("GT", "LT"), ("lt", "gt"), ("GT", "XX", "LT")])
def test_expire_gt_and_lt_are_incompatible(r, flags):
    r.set("k", "v")
    with pytest.raises(redis.ResponseError, match=GT_LT_CONFLICT):
        expire(r, "PEXPIRE", "k", 10000, *flags)


def test_expire_unsupported_option(r):
    r.set("k", "v")
    with pytest.raises(redis.ResponseError, match=err("Unsupported option foo")):
        expire(r, "EXPIRE", "k", 10, "foo")
    with pytest.raises(redis.ResponseError, match=err("Unsupported option KEEPTTL")):
        expire(r, "PEXPIREAT", "k", 10, "NX", "KEEPTTL")


def test_expire_options_are_checked_before_the_time(r):
    r.set("k", "v")
    with pytest.raises(redis.ResponseError, match=err("Unsupported option foo")):
        expire(r, "EXPIRE", "k", "abc", "foo")
    with pytest.raises(redis.ResponseError, match=NX_CONFLICT):
        expire(r, "EXPIRE", "k", "abc", "NX", "XX")


def test_expire_wrong_arity(r):
    with pytest.raises(redis.ResponseError,
                       match=err("wrong number of arguments for 'expire' command")):
        r.execute_command("EXPIRE", "k")


# ---- reading the expiry ----

def test_ttl_of_missing_key_is_minus_two(r):
    assert r.ttl("missing") == -2
    assert r.pttl("missing") == -2
    assert r.expiretime("missing") == -2
    assert r.pexpiretime("missing") == -2


def test_ttl_of_persistent_key_is_minus_one(r):
    r.set("k", "v")
    assert r.ttl("k") == -1
    assert r.pttl("k") == -1
    assert r.expiretime("k") == -1
    assert r.pexpiretime("k") == -1


def test_ttl_rounds_to_the_nearest_second(r):
    r.set("k", "v")
    # 100000.7 s left (less a little for the round trip): Redis rounds to 100001, where
    # truncation would give 100000.
    r.pexpire("k", 100000700)
    assert r.ttl("k") == 100001
    r.pexpire("k", 100000300)
    assert r.ttl("k") == 100000


def test_pttl_has_millisecond_precision(r):
    r.set("k", "v")
    r.pexpire("k", 5123)
    assert 4900 < r.pttl("k") <= 5123


def test_expiretime_rounds_as_redis(r):
    r.set("k", "v")
    base = (int(time.time()) + 1000) * 1000
    r.pexpireat("k", base + 499)
    assert r.expiretime("k") == base // 1000
    assert r.pexpiretime("k") == base + 499
    r.pexpireat("k", base + 500)
    assert r.expiretime("k") == base // 1000 + 1
    assert r.pexpiretime("k") == base + 500


def test_ttl_after_set_px(r):
    r.set("k", "v", px=2500)
    assert 2000 < r.pttl("k") <= 2500
    assert r.ttl("k") in (2, 3)


def test_ttl_counts_down(r):
    r.set("k", "v", px=1000)
    first = r.pttl("k")
    time.sleep(0.05)
    assert r.pttl("k") < first


# ---- PERSIST ----

def test_persist_removes_expiry(r):
    r.set("k", "v", ex=100)
    assert r.persist("k") is True
    assert r.ttl("k") == -1
    assert r.get("k") == b"v"


def test_persist_without_expiry_returns_zero(r):
    r.set("k", "v")
    assert r.execute_command("PERSIST", "k") == 0


def test_persist_missing_key_returns_zero(r):
    assert r.execute_command("PERSIST", "missing") == 0


def test_persisted_key_survives_its_old_deadline(r):
    r.set("k", "v", px=300)
    assert r.persist("k") is True
    time.sleep(0.4)
    assert r.get("k") == b"v"


# ---- expiry actually happening ----

def test_key_expires_lazily_on_access(r):
    r.set("k", "v", px=50)
    assert poll(lambda: r.get("k") is None)
    assert r.exists("k") == 0
    assert r.ttl("k") == -2


def test_pexpire_makes_key_disappear(r):
    r.set("k", "v")
    assert r.pexpire("k", 100) is True
    assert poll(lambda: r.exists("k") == 0)


def test_active_expiry_removes_untouched_keys(r):
    r.mset({"short:%d" % i: "v" for i in range(200)})
    r.set("long", "v")
    assert r.dbsize() == 201
    # One round trip for all 200 (200 of them took over 100 ms on a loaded CI machine, so
    # keys expired before the old count above was taken).
    p = r.pipeline(transaction=False)
    for i in range(200):
        p.pexpire("short:%d" % i, 100)
    assert all(p.execute())
    # Nobody reads the keys: only the active expiry cycle can remove them.
    assert poll(lambda: r.dbsize() == 1, timeout=5.0, interval=0.05)
    assert r.keys("*") == [b"long"]


def test_expired_keys_are_not_listed(r):
    r.set("gone", "v", px=30)
    r.set("here", "v")
    time.sleep(0.1)
    assert r.keys("*") == [b"here"]
    assert r.scan(0, count=100) == (0, [b"here"])
    assert r.exists("gone") == 0


def test_rename_carries_the_expiry(r):
    r.set("a", "v", px=100)
    r.rename("a", "b")
    assert poll(lambda: r.exists("b") == 0)


def test_copy_carries_the_expiry(r):
    r.set("a", "v", px=100000)
    r.copy("a", "b")
    assert r.pexpiretime("b") == r.pexpiretime("a")


def test_set_without_keepttl_clears_expiry(r):
    r.set("k", "v", ex=100)
    r.set("k", "w")
    assert r.ttl("k") == -1


# ---- binary keys and redis-cli ----

def test_expiry_commands_on_binary_key(r):
    key = b"bin\x00\r\n\xff"
    r.set(key, "v")
    assert r.expire(key, 100) is True
    assert r.ttl(key) == 100
    assert r.persist(key) is True
    assert r.ttl(key) == -1
    assert r.pexpire(key, 1) is True
    assert poll(lambda: r.exists(key) == 0)


def test_redis_cli_expiry(server, r):
    r.set("k", "v")
    rc, out = server.cli("EXPIRE", "k", "100", "NX")
    assert (rc, out.strip()) == (0, "1")
    rc, out = server.cli("TTL", "k")
    assert (rc, out.strip()) == (0, "100")
    rc, out = server.cli("EXPIRE", "k", "100", "GT", "LT")
    assert out.strip() == "ERR GT and LT options at the same time are not compatible"
    rc, out = server.cli("PERSIST", "k")
    assert (rc, out.strip()) == (0, "1")
    rc, out = server.cli("PTTL", "k")
    assert (rc, out.strip()) == (0, "-1")
