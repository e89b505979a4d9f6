"""The warm-up after a start (storage/warmup.h) with the real vellumd: the daemon answers
at once while its keys are still on disk, serves every key from the first command on
(reading a command's keys off the worker before it runs, replies kept in order), keeps
what clients write or delete meanwhile, makes DBSIZE, SCAN and KEYS wait for the end, and
reports its progress in INFO persistence. The warm-up is slowed down with
storage.warmup-keys-per-sec so that each test runs while it is in progress.
"""
import os
import socket
import threading
import time

import pytest
import redis

from vellum_harness import Vellumd, wait_for

KEYS = 6000  # strings k:0000.. in db 0; the collections below sort after them


@pytest.fixture
def warm():
    """A server with KEYS strings, two hashes, a list, a sorted set and a TTL key in db 0
    and one key in db 5, restarted with a warm-up of `pace` keys a second."""
    servers = []

    def make(pace=500, *extra):
        s = Vellumd("--storage.durability", "everysec", *extra)
        servers.append(s)
        s.start()
        c = s.client()
        for start in range(0, KEYS, 1000):
            c.mset({"k:%04d" % i: "v%d" % i for i in range(start, start + 1000)})
        c.hset("zz:hash:one", mapping={"a": "1", "b": "2", "c": "3"})
        c.hset("zz:hash:two", mapping={"x": "1"})
        c.rpush("zz:list", "a", "b", "c")
        c.zadd("zz:zset", {"m1": 1, "m2": 2})
        c.set("zz:ttl", "t", ex=3600)
        c.execute_command("select", 5)
        c.set("zz:other-db", "5")
        c.execute_command("select", 7)  # pages for the HTTP edge (http.db 7)
        c.mset({"/p%04d" % i: "page %d" % i for i in range(100)})
        c.close()
        s.digest_before = s.client().execute_command("debug", "digest")
        s.stop()
        s.args += ["--storage.warmup-keys-per-sec", str(pace)]
        t0 = time.time()
        s.start()
        s.ready_after = time.time() - t0
        return s

    yield make
    for s in servers:
        s.cleanup()


def persistence(c):
    return c.info("persistence")


def test_the_first_reply_comes_while_the_keys_are_still_on_disk(warm):
    s = warm()
    assert s.ready_after < 5  # the harness polls PING; the load is not waited for
    c = s.client()
    info = persistence(c)
    assert info["loading"] == 0  # clients that wait for loading:0 (ioredis) do not wait
    assert info["vellum_warmup_in_progress"] == 1
    assert info["vellum_warmup_status"] == "loading"
    assert info["vellum_warmup_keys_loaded"] < KEYS
    # Keys the loader has not reached are served: read for the command, off the worker.
    assert c.get("k:%04d" % (KEYS - 1)) == b"v%d" % (KEYS - 1)
    assert c.hgetall("zz:hash:one") == {b"a": b"1", b"b": b"2", b"c": b"3"}
    assert c.lrange("zz:list", 0, -1) == [b"a", b"b", b"c"]
    assert c.zscore("zz:zset", "m2") == 2
    assert 3000 < c.ttl("zz:ttl") <= 3600
    assert c.get("no-such-key") is None
    assert c.exists("zz:hash:two", "zz:list", "nope") == 2
    info = persistence(c)
    assert info["vellum_warmup_fetched_keys"] >= 7
    assert info["vellum_warmup_sync_reads"] == 0
    assert info["vellum_warmup_in_progress"] == 1


def test_writes_during_the_warmup_keep_what_was_on_disk_and_win_over_it(warm):
    s = warm()
    c = s.client()
    c.hset("zz:hash:one", "d", "4")            # the other fields stay
    c.rpush("zz:list", "d")
    assert c.delete("zz:hash:two") == 1          # on disk only until now
    assert c.delete("zz:hash:two") == 0
    c.set("k:%04d" % (KEYS - 2), "new")           # the loader must not put back the old one
    assert c.incr("zz:counter") == 1
    assert c.rename("zz:zset", "zz:zset2")
    c.config_set("storage.warmup-keys-per-sec", 0)
    assert c.dbsize() == KEYS + 5               # waits for the end of the warm-up
    assert persistence(c)["vellum_warmup_in_progress"] == 0
    assert c.hgetall("zz:hash:one") == {b"a": b"1", b"b": b"2", b"c": b"3", b"d": b"4"}
    assert c.lrange("zz:list", 0, -1) == [b"a", b"b", b"c", b"d"]
    assert c.exists("zz:hash:two", "zz:zset") == 0
    assert c.zscore("zz:zset2", "m1") == 1
    assert c.get("k:%04d" % (KEYS - 2)) == b"new"
    # And the disk agrees: a restart (loading first this time) gives the same digest.
    digest = c.execute_command("debug", "digest")
    c.close()
    s.stop()
    s.args += ["--storage.warmup", "before-serving"]
    s.start()
    assert s.client().execute_command("debug", "digest") == digest


def test_dbsize_keys_scan_and_digest_wait_for_the_end(warm):
    s = warm(pace=2000)
    c = s.client()
    assert persistence(c)["vellum_warmup_in_progress"] == 1
    assert c.dbsize() == KEYS + 5
    assert persistence(c)["vellum_warmup_status"] == "done"
    assert len(c.keys("zz:*")) == 5
    assert c.execute_command("debug", "digest") == s.digest_before
    c.execute_command("select", 5)
    assert c.get("zz:other-db") == b"5"


def test_pipelined_replies_stay_in_order_across_disk_reads(warm):
    s = warm()
    c = s.client()
    p = c.pipeline(transaction=False)
    p.get("k:%04d" % (KEYS - 1))
    p.set("fresh", "1")
    p.get("zz:hash:one")  # WRONGTYPE, after its read from disk
    p.hget("zz:hash:one", "b")
    p.get("fresh")
    p.lpop("zz:list")
    p.config_set("storage.warmup-keys-per-sec", 0)
    p.dbsize()  # waits for the end of the warm-up, the replies after it too
    p.get("k:%04d" % (KEYS - 3))
    got = p.execute(raise_on_error=False)
    assert got[0] == b"v%d" % (KEYS - 1)
    assert got[1] is True
    assert isinstance(got[2], redis.ResponseError) and "WRONGTYPE" in str(got[2])
    assert got[3:7] == [b"2", b"1", b"a", True]
    assert got[7] == KEYS + 6
    assert got[8] == b"v%d" % (KEYS - 3)


def test_transactions_and_scripts_see_keys_still_on_disk(warm):
    s = warm()
    c = s.client()
    p = c.pipeline(transaction=True)
    p.hget("zz:hash:one", "a")
    p.get("k:%04d" % (KEYS - 4))
    p.hset("zz:hash:two", "y", "2")
    assert p.execute() == [b"1", b"v%d" % (KEYS - 4), 1]
    assert c.hgetall("zz:hash:two") == {b"x": b"1", b"y": b"2"}
    # A declared key is read before the script runs; an undeclared one by the fallback.
    assert c.eval("return redis.call('hget', KEYS[1], 'c')", 1, "zz:hash:one") == b"3"
    assert c.eval("return redis.call('get', 'k:%04d')" % (KEYS - 5), 0) == b"v%d" % (KEYS - 5)
    assert persistence(c)["vellum_warmup_sync_reads"] >= 1


def test_many_clients_during_the_warmup_lose_no_increment(warm):
    """Clients on both workers increment keys still on disk while the loader runs: a
    loader that put an older copy back over a written key would lose increments."""
    s = warm(pace=3000)
    per_client, clients = 200, 6
    errors = []

    def run(n):
        c = s.client()
        try:
            for i in range(per_client):
                c.hincrby("zz:hash:one", "n%d" % (i % 5), 1)
                c.append("k:%04d" % (KEYS - 1 - (i % 40)), "+")
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
        finally:
            c.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    c = s.client()
    assert c.dbsize() == KEYS + 5
    fields = c.hgetall("zz:hash:one")
    assert sum(int(fields[b"n%d" % k]) for k in range(5)) == per_client * clients
    appended = sum(c.get("k:%04d" % (KEYS - 1 - j)).count(b"+") for j in range(40))
    assert appended == per_client * clients


def test_a_corrupt_block_stops_the_warmup_and_is_reported(warm):
    s = warm(pace=0)
    c = s.client()
    assert c.dbsize() == KEYS + 5
    c.close()
    s.stop()
    db = os.path.join(s.tmp, "data", "db")
    ssts = [f for f in os.listdir(db) if f.endswith(".sst")]
    victim = os.path.join(db, max(ssts, key=lambda f: os.path.getsize(os.path.join(db, f))))
    with open(victim, "r+b") as f:
        f.seek(os.path.getsize(victim) // 3)
        f.write(b"\xde\xad\xbe\xef" * 64)
    s.start()
    c = s.client()
    assert c.ping()
    assert wait_for(lambda: persistence(c)["vellum_warmup_status"] == "failed", 30)
    info = persistence(c)
    assert info["vellum_warmup_errors"] >= 1
    assert "orrupt" in str(info["vellum_warmup_last_error"])
    with pytest.raises(redis.ResponseError, match="warm-up from disk stopped unfinished"):
        c.dbsize()
    c.set("written", "after")  # writes go on
    assert c.get("written") == b"after"
    assert "warm-up" in s.log().lower()


def test_http_pages_are_read_off_the_worker_during_the_warmup(warm):
    """A CDN asking for pages right after a restart: each page still on disk is read by
    the reader threads, and keep-alive requests behind it keep their order."""
    from vellum_harness import free_port
    import http.client
    port = free_port()
    s = warm(500, "--http.port", str(port), "--http.db", "7")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    for i in (99, 98, 17, 97):
        conn.request("GET", "/p%04d" % i)
        resp = conn.getresponse()
        assert resp.status == 200 and resp.read() == b"page %d" % i
    conn.request("GET", "/none")
    resp = conn.getresponse()
    assert resp.status == 404
    resp.read()
    conn.close()
    # Pipelined: the first page waits for the disk, the second (read just above, in
    # memory) stays behind it.
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET /p0050 HTTP/1.1\r\nHost: x\r\n\r\n"
                     b"GET /p0017 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    first, second = data.find(b"page 50"), data.find(b"page 17")
    assert 0 < first < second, data
    info = persistence(s.client())
    assert info["vellum_warmup_in_progress"] == 1
    assert info["vellum_warmup_fetched_keys"] >= 3
    assert info["vellum_warmup_sync_reads"] == 0
