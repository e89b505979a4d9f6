"""storage.tiering with the real vellumd: a data set several times maxmemory stays whole.
Eviction drops only values from memory (the keys stay, their values on disk); DBSIZE,
SCAN, TTL, EXISTS and TYPE see every key; a command that names a key whose value is on
disk gets it back, read off the worker, with pipelined replies in order; writes to such
keys keep the rest of their value; a restart warms up to every key and the values that
fit; INFO persistence counts memory and disk hits. Loops are bounded in count.
"""
import http.client
import os
import threading
import time

import pytest
import redis

from vellum_harness import Vellumd, assert_converged, free_port, wait_for

PAGE = 8 * 1024                # bytes per value: a small rendered page
KEYS = 2000                    # 16 MiB of values...
HEADROOM = 4 * 1024 * 1024     # ...against 4 MiB above the empty server's memory
SLACK = 512 * 1024             # accounting granularity, INFO itself, stubs' growth


def value(i):
    head = b"page %d " % i
    return head + b"x" * (PAGE - len(head))


def info(c, section="persistence"):
    return c.info(section)


def used(c):
    """The memory maxmemory is compared with (RocksDB's own is not counted, as in
    test_persistence.py)."""
    m = info(c, "memory")
    return m["used_memory"] - m["mem_not_counted_for_evict"]


def fill(c, count=KEYS, prefix="page:", batch=100, ex=None):
    for base in range(0, count, batch):
        p = c.pipeline(transaction=False)
        for i in range(base, min(base + batch, count)):
            p.set("%s%d" % (prefix, i), value(i), ex=ex)
        assert all(r is True for r in p.execute())


def read_all(c, count=KEYS, prefix="page:", batch=100):
    for base in range(0, count, batch):
        keys = ["%s%d" % (prefix, i) for i in range(base, min(base + batch, count))]
        got = c.mget(keys)
        for i, v in zip(range(base, base + len(keys)), got):
            assert v == value(i), "%s%d" % (prefix, i)


@pytest.fixture
def make():
    servers = []

    def _make(*flags, tiering=True, limit=None):
        """A server with maxmemory HEADROOM above its empty usage, or `limit` from the
        start (--maxmemory: a server that warms up)."""
        if limit is not None:
            flags += ("--maxmemory", str(limit))
        s = Vellumd("--storage.durability", "everysec", "--maxmemory-policy", "allkeys-lru",
                    "--storage.tiering", "yes" if tiering else "no", *flags)
        servers.append(s)
        s.start()
        c = s.client()
        s.limit = limit
        if limit is None:
            s.limit = used(c) + HEADROOM
            c.config_set("maxmemory", s.limit)
        return s, c

    yield _make
    for s in servers:
        s.cleanup()


def settled(s, c):
    """Waits until eviction has brought memory under the limit (the persister may lag a
    bulk load by a cycle: values are offloaded once they are on disk)."""
    assert wait_for(lambda: used(c) <= s.limit + SLACK, 20), (used(c), s.limit)


def quiet(c):
    """Waits until eviction has stopped offloading: a value becomes offloadable only once
    the persister has written it, so offloads can go on for a while after settled()."""
    def same_twice():
        before = info(c)["vellum_tiering_keys_on_disk_only"]
        time.sleep(0.3)
        return info(c)["vellum_tiering_keys_on_disk_only"] == before
    assert wait_for(same_twice, 20)


def test_a_data_set_four_times_maxmemory_stays_whole(make):
    s, c = make()
    fill(c)
    settled(s, c)
    assert c.dbsize() == KEYS
    i = info(c)
    assert i["vellum_tiering"] == 1
    assert i["vellum_tiering_keys_on_disk_only"] > KEYS // 2
    assert i["vellum_tiering_offloaded_values"] >= i["vellum_tiering_keys_on_disk_only"]
    assert info(c, "stats")["evicted_keys"] == 0
    assert c.get("page:%d" % (KEYS - 1)) == value(KEYS - 1)  # the last written: in memory
    read_all(c)
    i = info(c)
    assert i["vellum_tiering_values_read_back"] >= i["vellum_tiering_disk_hits"] > KEYS // 2
    assert i["vellum_tiering_memory_hits"] + i["vellum_tiering_disk_hits"] == \
        info(c, "stats")["keyspace_hits"]
    assert i["vellum_tiering_memory_hits"] > 0
    assert i["vellum_warmup_sync_reads"] == 0  # every value was read off the worker
    # Reading everything back did not leave memory over the limit either.
    settled(s, c)


def test_ttl_exists_type_and_scan_see_keys_whose_value_is_on_disk(make):
    s, c = make()
    fill(c, ex=3600)
    settled(s, c)
    keys = ["page:%d" % i for i in range(KEYS)]
    assert info(c)["vellum_tiering_keys_on_disk_only"] > KEYS // 2
    assert c.exists(*keys) == KEYS
    p = c.pipeline(transaction=False)
    for k in keys:
        p.ttl(k)
        p.type(k)
    out = p.execute()
    assert all(3500 < t <= 3600 for t in out[0::2])
    assert set(out[1::2]) == {b"string"}
    assert len(set(c.scan_iter(count=500))) == KEYS
    assert len(c.keys("page:*")) == KEYS
    assert c.randomkey().startswith(b"page:")


def test_overwriting_deleting_or_asking_about_keys_on_disk_reads_nothing_back(make):
    s, c = make()
    fill(c, ex=3600)
    settled(s, c)
    assert info(c)["vellum_tiering_keys_on_disk_only"] > KEYS // 2
    before = info(c)["vellum_tiering_values_read_back"]
    old = ["page:%d" % i for i in range(300)]  # the least recently used: on disk
    p = c.pipeline(transaction=False)
    for k in old:
        p.exists(k)
        p.type(k)
        p.ttl(k)
    out = p.execute()
    assert out[0::3] == [1] * 300 and set(out[1::3]) == {b"string"}
    assert all(3500 < t <= 3600 for t in out[2::3])
    assert c.set(old[0], "nx", nx=True) is None       # exists: not set
    assert c.setnx(old[1], "nx") is False
    assert c.set(old[2], "kept", xx=True, keepttl=True) is True
    c.set(old[3], "new")                              # a plain SET clears the TTL
    c.setex(old[4], 100, "ex")
    c.mset({old[5]: "m5", old[6]: "m6"})
    assert c.delete(*old[100:200]) == 100
    assert c.unlink(*old[200:300]) == 100
    assert info(c)["vellum_tiering_values_read_back"] == before  # none of it read a value
    assert c.get(old[0]) == value(0) and c.get(old[1]) == value(1)
    assert c.get(old[2]) == b"kept" and 3500 < c.ttl(old[2]) <= 3600
    assert c.get(old[3]) == b"new" and c.ttl(old[3]) == -1
    assert c.get(old[4]) == b"ex" and 90 < c.ttl(old[4]) <= 100
    assert c.mget(old[5], old[6]) == [b"m5", b"m6"]
    assert c.exists(*old[100:300]) == 0
    assert c.dbsize() == KEYS - 200
    # SET ... GET returns the old value: that one is read back.
    assert c.set(old[50], "swapped", get=True) == value(50)
    assert c.get(old[50]) == b"swapped"


def test_object_idletime_freq_and_refcount_of_keys_on_disk_read_nothing_back(make):
    s, c = make()
    fill(c)
    settled(s, c)
    quiet(c)  # (in one CI run under TSan, one more key went to disk after settled())
    old = ["page:%d" % i for i in range(300)]  # the least recently used: on disk
    on_disk = info(c)["vellum_tiering_keys_on_disk_only"]
    assert on_disk > KEYS // 2
    before = info(c)["vellum_tiering_values_read_back"]
    hits = info(c, "stats")["keyspace_hits"]
    p = c.pipeline(transaction=False)
    for k in old:
        p.object("idletime", k)
        p.object("refcount", k)
    out = p.execute()
    assert all(isinstance(t, int) and t >= 0 for t in out[0::2]), out[:10]
    assert out[1::2] == [1] * 300
    c.config_set("maxmemory-policy", "allkeys-lfu")
    assert all(isinstance(f, int) for f in (c.object("freq", k) for k in old[:50]))
    c.config_set("maxmemory-policy", "allkeys-lru")
    assert info(c)["vellum_tiering_values_read_back"] == before  # nothing came back
    # None left the disk. One may have joined them: the pipeline's own buffers count
    # against maxmemory, and can push one more value out (1 run in 8 here).
    assert info(c)["vellum_tiering_keys_on_disk_only"] >= on_disk
    assert info(c, "stats")["keyspace_hits"] == hits + 650  # each still counts a hit
    # ENCODING needs the value: it is read back.
    assert c.object("encoding", old[0]) == b"raw"
    assert info(c)["vellum_tiering_values_read_back"] > before


def test_an_expired_key_on_disk_is_expired_without_reading_it_back(make):
    s, c = make()
    c.set("short", "lived", px=400)
    fill(c)  # "short", the least recently used, goes to disk
    settled(s, c)
    time.sleep(0.5)
    read_back = info(c)["vellum_tiering_values_read_back"]
    assert c.get("short") is None
    # Expired by the lookup or, first, by the expiry cycle: either way, never read back.
    assert info(c, "stats")["expired_keys"] >= 1
    assert info(c)["vellum_tiering_values_read_back"] == read_back


def test_set_over_a_key_resets_its_idle_time(make):
    s, c = make()
    c.set("idle", "v")
    fill(c)
    settled(s, c)
    c.set("fresh", "v")
    time.sleep(2.1)
    # (OBJECT IDLETIME of a key on disk reads it back, which counts as an access.)
    assert c.object("idletime", "fresh") >= 2
    c.set("idle", "again")   # its value on disk: replaced without reading it
    c.set("fresh", "again")  # in memory
    assert c.object("idletime", "idle") == 0 and c.object("idletime", "fresh") == 0


def test_pipelined_reads_of_values_on_disk_come_back_in_order(make):
    s, c = make()
    fill(c)
    settled(s, c)
    c.set("counter", 0)
    order = list(range(0, KEYS, 7))
    # Pipelines of 40 x (GET, INCR, STRLEN): their replies (up to 320 KiB of pages) wait in
    # the output buffer, which counts against maxmemory as in Redis; one pipeline of all
    # 286 once held 2.3 MiB of the 4 MiB headroom there, and a slow client got -OOM.
    for start in range(0, len(order), 40):
        chunk = order[start:start + 40]
        p = c.pipeline(transaction=False)
        for i in chunk:
            p.get("page:%d" % i)
            p.incr("counter")
            p.strlen("page:%d" % ((i * 13) % KEYS))
        try:
            out = p.execute()
        except redis.ResponseError as e:  # say why memory ran out, if it did
            raise AssertionError("%s\nlimit %d, used %d\nINFO %r\n%r" % (
                e, s.limit, used(c), info(c, "memory"), info(c))) from e
        for n, i in enumerate(chunk):
            assert out[3 * n] == value(i)
            assert out[3 * n + 1] == start + n + 1
            assert out[3 * n + 2] == PAGE


def test_writes_to_collections_on_disk_keep_the_rest_of_their_value(make):
    s, c = make()
    pad = "y" * 2048
    for i in range(200):
        c.hset("h:%d" % i, mapping={"body": pad, "n": i})
        c.rpush("l:%d" % i, pad, "a", "b")
        c.zadd("z:%d" % i, {pad: 1, "m": i})
        c.sadd("s:%d" % i, pad, "m%d" % i)
    fill(c)  # pushes most of the collections' values out
    settled(s, c)
    assert info(c)["vellum_tiering_keys_on_disk_only"] > KEYS // 2
    for i in range(200):
        assert c.hincrby("h:%d" % i, "n", 1) == i + 1
        assert c.rpush("l:%d" % i, "c") == 4
        assert c.zincrby("z:%d" % i, 1, "m") == i + 1
        assert c.sadd("s:%d" % i, "extra") == 1
    fill(c, prefix="more:")  # and out again, with their new fields written
    settled(s, c)
    for i in range(200):
        assert c.hgetall("h:%d" % i) == {b"body": pad.encode(), b"n": b"%d" % (i + 1)}
        assert c.lrange("l:%d" % i, 0, -1) == [pad.encode(), b"a", b"b", b"c"]
        assert c.zscore("z:%d" % i, "m") == i + 1
        assert c.zscore("z:%d" % i, pad) == 1
        assert c.smembers("s:%d" % i) == {pad.encode(), b"m%d" % i, b"extra"}


def test_offloading_changes_no_digest(make):
    s, c = make(tiering=False)
    c.config_set("maxmemory", 0)
    fill(c)
    c.hset("h", mapping={"a": "1", "b": "x" * 5000})
    before = c.execute_command("debug", "digest")
    one = c.execute_command("debug", "digest-value", "page:3", "h")
    c.config_set("storage.tiering", "yes")
    c.config_set("maxmemory", s.limit)
    c.set("trigger", 1)
    c.delete("trigger")
    settled(s, c)
    assert info(c)["vellum_tiering_keys_on_disk_only"] > KEYS // 2
    hits = info(c)["vellum_tiering_disk_hits"]
    assert c.execute_command("debug", "digest") == before
    # DEBUG DIGEST read the values on disk without bringing them back into memory.
    assert info(c)["vellum_tiering_disk_hits"] == hits
    assert c.execute_command("debug", "digest-value", "page:3", "h") == one


def test_a_restart_warms_up_to_every_key_within_maxmemory(make):
    s, c = make()
    fill(c, ex=3600)
    c.set("short", "lived", px=300)
    settled(s, c)
    c.close()
    s.stop(sig=9)  # kill -9: everysec loses no acknowledged write
    time.sleep(0.4)  # "short" expires while the server is down
    s.args += ["--maxmemory", str(s.limit)]
    s.start()
    c = s.client()
    assert wait_for(lambda: info(c)["vellum_warmup_status"] == "done", 30)
    i = info(c)
    # Most values stay on disk: left there by the loader, or offloaded by eviction as the
    # loader went (which of the two is timing: in one CI run under TSan eviction kept pace
    # with the loader, which then left none).
    assert i["vellum_tiering_keys_on_disk_only"] > KEYS // 2
    assert used(c) <= s.limit + SLACK
    assert c.dbsize() == KEYS
    assert c.get("short") is None
    read_all(c)
    assert 3000 < c.ttl("page:7") <= 3600
    settled(s, c)


def test_a_snapshot_larger_than_maxmemory_is_restored_at_start(make):
    s, c = make()
    c.config_set("maxmemory", 0)  # the source holds it all in memory
    fill(c)
    digest = c.execute_command("debug", "digest")
    sid = c.execute_command("SNAPSHOT", "CREATE")
    assert isinstance(sid, int)
    c.close()
    t, ct = make("--restore-from", os.path.join(s.tmp, "data", "snapshots"), limit=s.limit)
    assert wait_for(lambda: info(ct)["vellum_warmup_status"] == "done", 60)
    # Left on disk by the loader or offloaded by eviction as it loaded: either way, on disk.
    assert info(ct)["vellum_tiering_keys_on_disk_only"] > KEYS // 2
    assert used(ct) <= s.limit + SLACK
    assert ct.dbsize() == KEYS
    assert ct.execute_command("debug", "digest") == digest
    read_all(ct)


def test_a_tiering_replica_keeps_to_its_maxmemory_and_serves_every_value(make):
    """A replica used to keep its whole data set in memory (it ignored maxmemory, as
    Redis's replicas do), so the replica of a primary holding several times its memory
    outgrew its host. With storage.tiering a replica drops values from memory too (never
    a key): whatever its link installs was written to its disk first."""
    p, pc = make(tiering=False)
    pc.config_set("maxmemory", 0)  # the primary holds it all, on a larger host
    fill(pc)
    r, rc = make()
    assert rc.execute_command("REPLICAOF", "127.0.0.1", str(p.port)) == b"OK"
    assert_converged(p, r)
    assert wait_for(lambda: info(rc)["vellum_warmup_status"] == "done", 30)
    settled(r, rc)
    # Then the stream: as many pages again, written on the primary, applied on the replica.
    fill(pc, prefix="more:")
    assert_converged(p, r)
    settled(r, rc)
    assert rc.dbsize() == 2 * KEYS
    assert info(rc)["vellum_tiering_keys_on_disk_only"] > KEYS
    assert info(rc, "stats")["evicted_keys"] == 0
    read_all(rc)
    read_all(rc, prefix="more:")
    assert info(rc)["vellum_tiering_disk_hits"] > KEYS
    settled(r, rc)
    assert rc.execute_command("debug", "digest") == pc.execute_command("debug", "digest")
    # Promoted, it goes on as a tiering primary of its own.
    assert rc.execute_command("REPLICAOF", "NO", "ONE") == b"OK"
    rc.set("page:0", b"new")
    assert rc.get("page:0") == b"new"
    read_all(rc, count=KEYS // 4, prefix="more:")
    settled(r, rc)


def test_a_tiering_primary_takes_a_burst_with_a_replica_as_it_does_without(make):
    """What a primary holds for its replicas (the log batches read for them, their replies
    not yet sent) is not counted against maxmemory, as Redis does not count its replicas'
    output buffers. It was: with a replica attached, a burst of pages that went through
    without one was refused with -OOM while RocksDB switched memtables."""
    p, pc = make()
    fill(pc)
    settled(p, pc)
    r, rc = make()
    assert rc.execute_command("REPLICAOF", "127.0.0.1", str(p.port)) == b"OK"
    assert_converged(p, r)
    assert "flags=S" in pc.execute_command("CLIENT", "LIST").decode()
    assert "mem_clients_slaves" in info(pc, "memory")
    fill(pc, prefix="more:")
    assert_converged(p, r)
    assert pc.dbsize() == 2 * KEYS
    settled(p, pc)
    settled(r, rc)


def test_many_clients_racing_on_values_on_disk_lose_no_update(make):
    s, c = make()
    pad = "z" * PAGE
    hashes = 40
    for i in range(hashes):
        c.hset("ctr:%d" % i, mapping={"body": pad, "n": 0})
    fill(c)
    settled(s, c)
    errors = []

    def worker(seed):
        cc = s.client()
        try:
            for j in range(150):
                cc.hincrby("ctr:%d" % ((seed * 7 + j) % hashes), "n", 1)
                if j % 10 == 0:  # more pages in, so values keep going out
                    cc.set("churn:%d:%d" % (seed, j), value(j))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
        finally:
            cc.close()

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    total = sum(int(c.hget("ctr:%d" % i, "n")) for i in range(hashes))
    assert total == 6 * 150
    assert info(c)["vellum_tiering_values_read_back"] > 0


def test_a_page_on_disk_is_served_over_http(make):
    http_port = free_port()
    s, c = make("--http.port", str(http_port))
    c.set("/about", "<h1>about</h1>", ex=600)
    fill(c)
    settled(s, c)  # /about, the least recently used, has its value on disk
    hits = info(c)["vellum_tiering_disk_hits"]
    conn = http.client.HTTPConnection("127.0.0.1", http_port, timeout=5)
    try:
        for i in (1, 2, 3):
            conn.request("GET", "/about")
            r = conn.getresponse()
            assert r.status == 200
            assert r.read() == b"<h1>about</h1>"
    finally:
        conn.close()
    assert info(c)["vellum_tiering_disk_hits"] == hits + 1  # read back once, then in memory


def test_values_on_disk_are_served_while_the_disk_refuses_writes(make):
    s, c = make()
    fill(c)
    settled(s, c)
    assert info(c)["vellum_tiering_keys_on_disk_only"] > KEYS // 2
    c.execute_command("DEBUG", "DISK-FAULTS", "ON")
    try:
        held = s.client(socket_timeout=0.5)  # the write that meets the failure waits
        with pytest.raises(redis.TimeoutError):
            held.set("during", "x")
        held.close()
        assert wait_for(lambda: info(c)["aof_last_write_status"] == "err")
        with pytest.raises(redis.ResponseError) as e:
            c.set("refused", "y")
        assert str(e.value).startswith("MISCONF")
        for i in range(0, KEYS, 40):  # reads go on, values on disk included
            assert c.get("page:%d" % i) == value(i)
    finally:
        c.execute_command("DEBUG", "DISK-FAULTS", "OFF")
    assert wait_for(lambda: info(c)["aof_last_write_status"] == "ok")
    assert c.set("after", "z")
    read_all(c)
    settled(s, c)


def test_tiering_without_persistence_refuses_to_start():
    s = Vellumd("--storage.durability", "none", "--storage.tiering", "yes")
    try:
        with pytest.raises(RuntimeError) as e:
            s.start()
        assert "storage.tiering needs storage.durability" in str(e.value)
    finally:
        s.cleanup()


def test_without_tiering_eviction_deletes_as_redis_does(make):
    s, c = make(tiering=False)
    fill(c)
    settled(s, c)
    assert c.dbsize() < KEYS
    assert info(c, "stats")["evicted_keys"] > 0
    assert info(c)["vellum_tiering_keys_on_disk_only"] == 0
