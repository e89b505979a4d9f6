"""maxmemory and the eight maxmemory-policy values, against the real vellumd.

Each test starts its own small server and sets maxmemory a couple of MB above the memory
the empty server already uses, then writes 1 KiB values past it. Loops are bounded in
count; nothing sleeps. The servers keep no RocksDB (storage.durability none), so
used_memory is the keyspace's alone; eviction with persistence on is in
test_persistence.py.
"""
import pytest
import redis

from vellum_harness import RespConn, Vellumd

OOM = "OOM command not allowed when used memory > 'maxmemory'."
VALUE = b"x" * 1024
HEADROOM = 2 * 1024 * 1024  # bytes of data allowed above the empty server's usage
SLACK = 256 * 1024          # accounting granularity: 64 KiB per thread, plus INFO itself


def info(c, section, field):
    return c.info(section)[field]


def start(policy, *flags):
    s = Vellumd("--maxmemory-policy", policy, "--storage.durability", "none", *flags)
    s.start()
    return s


def limit_above_current(c, headroom=HEADROOM):
    """Sets maxmemory to what is used now plus headroom; returns the limit."""
    limit = info(c, "memory", "used_memory") + headroom
    c.config_set("maxmemory", limit)
    return limit


def write(c, prefix, count, ex=None, start=0, batch=200):
    """Writes count 1 KiB keys prefix0..; returns the replies (errors included)."""
    out = []
    for base in range(start, start + count, batch):
        p = c.pipeline(transaction=False)
        for i in range(base, min(base + batch, start + count)):
            p.set("%s%d" % (prefix, i), VALUE, ex=ex)
        out += p.execute(raise_on_error=False)
    return out


@pytest.fixture
def make():
    servers = []

    def _make(policy, *flags):
        s = start(policy, *flags)
        servers.append(s)
        return s, s.client(decode_responses=True)

    yield _make
    for s in servers:
        s.cleanup()


def test_noeviction_over_maxmemory_refuses_writes_with_redis_error(make):
    s, c = make("noeviction")
    c.set("kept", "v")
    c.config_set("maxmemory", 1)
    with pytest.raises(redis.ResponseError) as e:
        c.set("k", "v")
    assert str(e.value) == OOM
    assert c.get("kept") == "v"  # reads still run
    assert c.delete("kept") == 1  # and deletes (not denyoom)
    stats = c.info("commandstats")["cmdstat_set"]
    assert stats["rejected_calls"] == 1
    assert info(c, "stats", "evicted_keys") == 0


def test_noeviction_raw_reply_is_exact(make):
    s, c = make("noeviction", "--maxmemory", "1")
    assert s.raw(b"SET k v\r\n") == b"-" + OOM.encode() + b"\r\n"


def test_maxmemory_accepts_units(make):
    s, c = make("allkeys-lru", "--maxmemory", "4mb")
    assert c.config_get("maxmemory") == {"maxmemory": "4194304"}
    assert info(c, "memory", "maxmemory") == 4194304
    assert info(c, "memory", "maxmemory_human") == "4.00M"
    c.config_set("maxmemory", "1mb")
    assert c.config_get("maxmemory") == {"maxmemory": "1048576"}
    c.config_set("maxmemory", "0")


def test_config_set_maxmemory_takes_effect_at_once(make):
    s, c = make("allkeys-lru")
    write(c, "k", 3000)
    assert c.dbsize() == 3000
    limit = limit_above_current(c, headroom=-1024 * 1024)
    c.set("trigger", "v")  # the next write evicts
    assert c.dbsize() < 3000
    assert info(c, "stats", "evicted_keys") > 0
    assert info(c, "memory", "used_memory") <= limit + SLACK


def test_config_set_policy_takes_effect_at_once(make):
    s, c = make("noeviction")
    write(c, "k", 1000)
    limit_above_current(c, headroom=-200 * 1024)
    with pytest.raises(redis.ResponseError):
        c.set("x", "v")
    c.config_set("maxmemory-policy", "allkeys-random")
    assert c.set("x", "v")
    assert c.dbsize() < 1001


@pytest.mark.parametrize("policy", ["allkeys-lru", "allkeys-lfu", "allkeys-random"])
def test_allkeys_policies_keep_memory_under_the_limit(make, policy):
    s, c = make(policy)
    limit = limit_above_current(c)
    replies = write(c, "k", 6000)
    assert all(r is True for r in replies)
    assert c.dbsize() < 6000
    assert info(c, "stats", "evicted_keys") == 6000 - c.dbsize()
    assert info(c, "memory", "used_memory") <= limit + SLACK


@pytest.mark.parametrize("policy", ["allkeys-lru", "allkeys-lfu"])
def test_allkeys_lru_and_lfu_keep_a_frequently_touched_key(make, policy):
    s, c = make(policy)
    c.set("hot", "v")
    limit_above_current(c)
    for base in range(0, 6000, 100):
        write(c, "k", 100, start=base)
        assert c.get("hot") == "v", "evicted after %d writes" % base
    assert c.dbsize() < 6000


@pytest.mark.parametrize("policy", ["volatile-lru", "volatile-lfu", "volatile-random",
                                    "volatile-ttl"])
def test_volatile_policies_never_evict_keys_without_ttl(make, policy):
    s, c = make(policy)
    write(c, "persistent", 500)
    limit_above_current(c)
    replies = write(c, "volatile", 4000, ex=10000)
    assert all(r is True for r in replies)
    assert info(c, "stats", "evicted_keys") > 0
    assert c.dbsize() - 500 < 4000
    p = c.pipeline(transaction=False)
    for i in range(500):
        p.exists("persistent%d" % i)
    assert sum(p.execute()) == 500


@pytest.mark.parametrize("policy", ["volatile-lru", "volatile-lfu", "volatile-random",
                                    "volatile-ttl"])
def test_volatile_policies_without_volatile_keys_answer_oom(make, policy):
    s, c = make(policy)
    write(c, "persistent", 100)
    c.config_set("maxmemory", 1)
    with pytest.raises(redis.ResponseError) as e:
        c.set("k", "v")
    assert str(e.value) == OOM
    assert c.dbsize() == 100


def test_volatile_ttl_evicts_the_nearest_expiry_first(make):
    s, c = make("volatile-ttl", "--maxmemory-samples", "10")
    limit_above_current(c)
    # TTLs grow with the index: key i expires after 10000 + i seconds.
    for base in range(0, 4000, 200):
        p = c.pipeline(transaction=False)
        for i in range(base, base + 200):
            p.set("t%d" % i, VALUE, ex=10000 + i)
        p.execute()
    p = c.pipeline(transaction=False)
    for i in range(4000):
        p.exists("t%d" % i)
    alive = p.execute()
    assert sum(alive) < 4000
    first, last = sum(alive[:1000]), sum(alive[-1000:])
    assert first < 100, "nearest-expiry quarter kept %d of 1000" % first
    assert last > 900, "farthest-expiry quarter kept only %d of 1000" % last


def test_info_reports_evicted_keys_and_resetstat_clears_them(make):
    s, c = make("allkeys-random")
    limit_above_current(c, headroom=1024 * 1024)
    write(c, "k", 3000)
    evicted = info(c, "stats", "evicted_keys")
    assert evicted == 3000 - c.dbsize()
    assert evicted > 0
    c.config_resetstat()
    assert info(c, "stats", "evicted_keys") == 0


def test_object_freq_counts_accesses_under_allkeys_lfu(make):
    s, c = make("allkeys-lfu")
    c.set("k", "v")
    assert c.object("freq", "k") == 5  # LFU_INIT_VAL, as Redis
    for _ in range(100):
        c.get("k")
    freq = c.object("freq", "k")
    assert 7 <= freq <= 20
    assert c.object("freq", "k") == freq  # asking is not an access


def test_object_freq_needs_an_lfu_policy(make):
    s, c = make("allkeys-lru")
    c.set("k", "v")
    with pytest.raises(redis.ResponseError) as e:
        c.object("freq", "k")
    assert str(e.value).startswith("An LFU maxmemory policy is not selected")


def test_lfu_settings_are_redis_config_names(make):
    s, c = make("allkeys-lfu", "--lfu-log-factor", "0")
    assert c.config_get("lfu-*") == {"lfu-log-factor": "0", "lfu-decay-time": "1"}
    c.set("k", "v")
    for _ in range(20):
        c.get("k")
    assert c.object("freq", "k") == 25  # factor 0: every access counts
    c.config_set("lfu-decay-time", "5")
    assert c.config_get("lfu-decay-time") == {"lfu-decay-time": "5"}


def test_eviction_raises_the_evicted_keyspace_event(make):
    s, c = make("allkeys-lru", "--notify-keyspace-events", "Ee")
    sub = s.client(decode_responses=True).pubsub()
    sub.subscribe("__keyevent@0__:evicted")
    assert sub.get_message(timeout=2)["type"] == "subscribe"
    # 500 victims of about 1.1 KB: enough to free SLACK plus the evicted events queued
    # for the subscriber and the 64 KiB per thread the accounting may lag by.
    write(c, "victim", 500)
    limit_above_current(c, headroom=-SLACK)
    assert c.set("k", "v")  # evicts some victims first
    msg = sub.get_message(timeout=2)
    assert msg is not None and msg["channel"] == "__keyevent@0__:evicted"
    assert msg["data"].startswith("victim")
    sub.close()


def test_oom_inside_multi_refuses_queueing_and_aborts_exec(make):
    s, c = make("noeviction")
    c.set("k", "v")
    c.config_set("maxmemory", 1)
    reply = s.raw(b"MULTI\r\nGET k\r\nEXEC\r\n")
    assert reply == (b"+OK\r\n-" + OOM.encode() + b"\r\n"
                     b"-EXECABORT Transaction discarded because of previous errors.\r\n")


def test_exec_of_a_queued_write_is_aborted_when_memory_ran_out_meanwhile(make):
    """Redis's rule: EXEC is refused over maxmemory when its queue holds a command that may
    grow memory (denyoom); the reason comes inside EXECABORT and nothing queued runs. A
    queue of reads still runs."""
    s, c = make("noeviction")
    c.set("k", "v")
    conn = RespConn(s.port)
    try:
        conn.send("MULTI")
        assert conn.read_raw() == b"+OK\r\n"
        conn.send("SET", "k", "new")
        assert conn.read_raw() == b"+QUEUED\r\n"
        c.config_set("maxmemory", 1)  # from another connection, after the queueing
        conn.send("EXEC")
        assert conn.read_raw() == (b"-EXECABORT Transaction discarded because of: " +
                                   OOM.encode() + b"\r\n")
        conn.send("EXEC")  # the transaction is gone
        assert conn.read_raw() == b"-ERR EXEC without MULTI\r\n"
        assert c.get("k") == "v"
        c.config_set("maxmemory", 0)
        conn.send("MULTI")
        assert conn.read_raw() == b"+OK\r\n"
        conn.send("GET", "k")
        assert conn.read_raw() == b"+QUEUED\r\n"
        c.config_set("maxmemory", 1)
        conn.send("EXEC")
        assert conn.read_raw() == b"*1\r\n$1\r\nv\r\n"
    finally:
        c.config_set("maxmemory", 0)
        conn.close()


def test_lowering_maxmemory_evicts_in_the_background_without_traffic(make):
    s, c = make("allkeys-lru", "--notify-keyspace-events", "Ee")
    write(c, "victim", 300)
    sub = s.client(decode_responses=True).pubsub()
    sub.subscribe("__keyevent@0__:evicted")
    assert sub.get_message(timeout=2)["type"] == "subscribe"
    # Below by more than the workers' unflushed deltas (64 KiB each), which the background
    # cycle cannot see. No command runs on the server after this one.
    limit_above_current(c, headroom=-SLACK)
    msg = sub.get_message(timeout=2)
    assert msg is not None and msg["data"].startswith("victim")
    sub.close()
