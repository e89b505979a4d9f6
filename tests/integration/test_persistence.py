"""Persistence to RocksDB with the real vellumd: restarts (clean and kill -9) lose no
acknowledged write in `always` and `everysec`, for every type, database and TTL; keys
whose TTL passed while the daemon was down are gone; a second daemon on the same data
directory and a corrupt data directory are refused before anything is changed.

Crash tests run several writer threads (they land on different workers), record what each
write's reply acknowledged, kill -9 the daemon at a random moment, restart it on the same
directory and check every acknowledged write. Loops are bounded in count and time.
"""
import hashlib
import os
import random
import signal
import subprocess
import threading
import time

import pytest
import redis

from vellum_harness import Vellumd, wait_for


def restart(s):
    """Stops s if it runs (SIGTERM; a killed one is only reaped) and starts it again on the
    same port and data directory. The load before the port opens takes its time (seconds
    for 200k keys under TSan): these tests check what comes back, not how fast."""
    s.stop()
    s.start(wait=False)
    s.wait_ready(timeout=120)
    return s


@pytest.fixture
def durable():
    servers = []

    def make(*args):
        s = Vellumd(*args)
        servers.append(s)
        return s.start()

    yield make
    for s in servers:
        s.cleanup()


def data_dir(s):
    return os.path.join(s.tmp, "data", "db")


def test_restart_keeps_every_type_database_and_ttl(durable):
    s = durable("--storage.durability", "everysec")
    c = s.client()
    c.set("page:/", "<html>home</html>")
    c.set("page:/ttl", "x", ex=1000)
    c.hset("session:1", mapping={"user": "ada", "cart": "3"})
    c.sadd("tags", "a", "b", "c")
    c.set("big", b"p" * 100_000)
    c.rpush("queue", "b", "c")
    c.lpush("queue", "a")
    c.zadd("board", {"ada": 3, "bob": 1.5, "low": float("-inf")})
    c5 = s.client(db=5)
    c5.set("five", "5")
    c5.hset("h5", "f", "v")
    c.close(), c5.close()
    assert s.stop() == 0
    t = restart(s)
    c = t.client()
    assert c.get("page:/") == b"<html>home</html>"
    assert 990 <= c.ttl("page:/ttl") <= 1000
    assert c.hgetall("session:1") == {b"user": b"ada", b"cart": b"3"}
    assert c.smembers("tags") == {b"a", b"b", b"c"}
    assert c.get("big") == b"p" * 100_000
    assert c.lrange("queue", 0, -1) == [b"a", b"b", b"c"]
    assert c.zrange("board", 0, -1, withscores=True) == [
        (b"low", float("-inf")), (b"bob", 1.5), (b"ada", 3.0)]
    assert c.dbsize() == 7
    c5 = t.client(db=5)
    assert c5.get("five") == b"5" and c5.hget("h5", "f") == b"v"
    # DBSIZE waited for the warm-up's end. The loader counts only the keys it installed:
    # the GETs above may have read some first (a slow start, under TSan).
    assert "Warm-up done: " in t.log()
    w = c.info("persistence")
    assert w["vellum_warmup_keys_loaded"] + w["vellum_warmup_fetched_keys"] >= 9
    c.close(), c5.close()


def test_a_restart_packs_sorted_sets_by_the_configured_limits(durable):
    s = durable("--zset-max-listpack-entries", "200")
    c = s.client()
    c.zadd("z", {"m%d" % i: i for i in range(150)})  # over Redis's default of 128
    assert c.object("encoding", "z") == b"listpack"
    c.close()
    t = restart(s)
    c = t.client()
    assert c.object("encoding", "z") == b"listpack"
    assert c.zcard("z") == 150 and c.zscore("z", "m149") == 149
    c.close()


def test_a_restart_packs_hashes_by_the_configured_limits(durable):
    s = durable("--hash-max-listpack-entries", "4")
    c = s.client()
    c.hset("small", mapping={"a": "1", "b": "2"})
    c.hset("big", mapping={"f%d" % i: i for i in range(10)})
    assert c.object("encoding", "small") == b"listpack"
    assert c.object("encoding", "big") == b"hashtable"
    c.close()
    t = restart(s)
    c = t.client()
    assert c.object("encoding", "small") == b"listpack"
    assert c.object("encoding", "big") == b"hashtable"
    assert c.hgetall("small") == {b"a": b"1", b"b": b"2"} and c.hlen("big") == 10
    c.close()


def test_digest_is_equal_after_restart_and_independent_of_build_order(durable):
    s = durable()
    c = s.client()
    assert c.execute_command("DEBUG", "DIGEST") == b"0" * 32  # empty
    c.hset("h", mapping={"a": "1", "b": "2", "c": "3"})
    c.sadd("s", *["m%d" % i for i in range(100)])
    c.set("t", "x", ex=1000)
    c.rpush("l", *["e%d" % i for i in range(50)])
    c.zadd("z", {"m%d" % i: i / 4 for i in range(200)})
    s.client(db=9).set("nine", "9")
    before = c.execute_command("DEBUG", "DIGEST")
    per_key = c.execute_command("DEBUG", "DIGEST-VALUE", "h", "s", "missing")
    assert per_key[2] == b"0" * 32
    c.close()
    t = restart(s)
    c = t.client()
    assert c.execute_command("DEBUG", "DIGEST") == before
    assert c.execute_command("DEBUG", "DIGEST-VALUE", "h", "s", "missing") == per_key
    # The same data built in another order on another server: the same digest.
    other = durable("--storage.durability", "none")
    o = other.client()
    o.sadd("s", *["m%d" % i for i in reversed(range(100))])
    o.hset("h", mapping={"c": "3", "b": "2", "a": "1"})
    o.lpush("l", *["e%d" % i for i in reversed(range(50))])  # same list, other positions
    for i in reversed(range(200)):  # same sorted set, built member by member
        o.zadd("z", {"m%d" % i: i / 4})
    o.set("t", "x")
    o.pexpireat("t", c.pexpiretime("t"))
    other.client(db=9).set("nine", "9")
    assert o.execute_command("DEBUG", "DIGEST") == before
    o.hset("h", "a", "changed")
    assert o.execute_command("DEBUG", "DIGEST") != before
    c.close(), o.close()


def test_keys_that_expired_while_down_are_gone(durable):
    s = durable()
    c = s.client()
    c.set("short", "v", px=300)
    c.set("long", "v", ex=100)
    c.close()
    s.stop()
    time.sleep(0.5)
    t = restart(s)
    c = t.client()
    assert c.get("short") is None
    assert c.get("long") == b"v"
    assert c.dbsize() == 1
    c.close()


def test_writes_after_flushall_and_swapdb_survive_in_order(durable):
    s = durable()
    c = s.client()
    c.set("a", "0")
    c.execute_command("SELECT", 1)
    c.set("b", "1")
    c.execute_command("SWAPDB", 0, 1)  # b is now in db 0, a in db 1
    c.execute_command("SELECT", 0)
    c.set("after-swap", "x")
    c.execute_command("FLUSHDB")       # db 0: b and after-swap gone
    c.set("after-flush", "y")
    c.close()
    os.kill(s.proc.pid, signal.SIGKILL)
    t = restart(s)
    c = t.client()
    assert c.keys("*") == [b"after-flush"]
    c1 = t.client(db=1)
    assert c1.get("a") == b"0"
    assert c1.dbsize() == 1
    c.close(), c1.close()


def test_durability_none_keeps_nothing(durable):
    s = durable("--storage.durability", "none")
    c = s.client()
    c.set("k", "v")
    assert c.info("persistence")["aof_enabled"] == 0
    assert c.config_get("appendonly") == {"appendonly": "no"}
    c.close()
    s.stop()
    assert not os.path.exists(data_dir(s))
    t = restart(s)
    assert t.client().get("k") is None


def test_info_and_config_report_durability(durable):
    s = durable("--storage.durability", "always")
    c = s.client()
    c.set("k", "v")
    p = c.info("persistence")
    assert p["aof_enabled"] == 1
    assert p["aof_last_write_status"] == "ok"
    assert p["vellum_durability"] == "always"
    assert p["vellum_persister_records"] >= 1
    assert p["vellum_wal_syncs"] >= 1  # always: the write's cycle was synced
    assert c.config_get("append*") == {"appendonly": "yes", "appendfsync": "always"}
    assert "mem_not_counted_for_evict" in c.info("memory")
    c.close()


def test_everysec_writes_are_written_by_the_workers_own_loops(durable):
    """everysec: a worker runs a persister cycle at the end of its loop iteration, before it
    replies (no hand-off to the persister's thread); always leaves every cycle to the thread, which syncs it. Both
    keep what was acknowledged."""
    for mode, loops in (("everysec", True), ("always", False)):
        s = durable("--storage.durability", mode)
        clients = [s.client() for _ in range(4)]  # spread over the harness's two workers
        for i in range(200):
            assert clients[i % 4].set("k%d" % i, "v%d" % i)
        p = clients[0].info("persistence")
        assert (p["vellum_persister_loop_cycles"] > 0) == loops, (mode, p)
        assert p["vellum_persister_cycles"] >= p["vellum_persister_loop_cycles"]
        for c in clients:
            c.close()
        os.kill(s.proc.pid, signal.SIGKILL)
        t = restart(s)
        c = t.client()
        assert c.mget(["k%d" % i for i in range(200)]) == [b"v%d" % i for i in range(200)]
        c.close()
        t.stop()


def test_second_daemon_on_the_same_directory_is_refused(durable):
    s = durable()
    s.client().set("k", "v")
    other = Vellumd("--dir", os.path.join(s.tmp, "data"))
    try:
        proc = subprocess.run(other.command_line(), capture_output=True, timeout=20)
        assert proc.returncode != 0
        out = (proc.stdout + proc.stderr).decode()
        assert "in use by another process" in out, out
    finally:
        other.cleanup()
    assert s.client().get("k") == b"v"


def file_digests(path):
    out = {}
    for root, _, files in os.walk(path):
        for f in files:
            if f.startswith("LOG"):
                continue  # RocksDB's own text log
            p = os.path.join(root, f)
            with open(p, "rb") as fh:
                out[p] = hashlib.sha256(fh.read()).hexdigest()
    return out


def test_corrupt_data_file_stops_start_up_and_changes_nothing(durable):
    # Loading every key before serving checks every record (the background warm-up finds
    # a corrupt block only when it reaches it: test_warmup.py).
    s = durable("--storage.warmup", "before-serving")
    c = s.client()
    for i in range(2000):
        c.set("key:%d" % i, "v" * 100)
    c.close()
    s.stop()
    t = restart(s)  # the clean restart above flushed the WAL into an SST file
    t.stop()
    ssts = [f for f in os.listdir(data_dir(s)) if f.endswith(".sst")]
    assert ssts
    victim = os.path.join(data_dir(s), max(ssts, key=lambda f: os.path.getsize(os.path.join(data_dir(s), f))))
    with open(victim, "r+b") as f:
        f.seek(os.path.getsize(victim) // 3)
        f.write(b"\xde\xad\xbe\xef" * 64)
    before = file_digests(data_dir(s))
    proc = subprocess.run(t.command_line(), capture_output=True, timeout=30, cwd=s.tmp)
    out = (proc.stdout + proc.stderr).decode()
    assert proc.returncode != 0, out
    assert "Corruption" in out or "corrupt" in out, out
    assert file_digests(data_dir(s)) == before


def test_failing_disk_refuses_writes_serves_reads_and_recovers(durable):
    s = durable()
    c = s.client()
    c.set("before", "1")
    c.execute_command("DEBUG", "DISK-FAULTS", "ON")
    try:
        # The write that meets the failure is never acknowledged while the disk fails.
        held = s.client(socket_timeout=0.5)
        with pytest.raises(redis.TimeoutError):
            held.set("during", "x")
        held.close()
        assert wait_for(lambda: c.info("persistence")["aof_last_write_status"] == "err")
        with pytest.raises(redis.ResponseError) as e:
            c.set("refused", "y")
        assert str(e.value).startswith("MISCONF Errors writing to the RocksDB database")
        assert "injected write fault" in str(e.value)
        assert "injected write fault" in c.info("persistence")["vellum_persister_last_error"]
        assert c.get("before") == b"1"  # reads go on
        assert c.hgetall("nothing") == {}
    finally:
        c.execute_command("DEBUG", "DISK-FAULTS", "OFF")
    # Writes resume by themselves, with no restart.
    assert wait_for(lambda: c.info("persistence")["aof_last_write_status"] == "ok")
    assert c.set("after", "z")
    assert c.info("persistence")["vellum_persister_write_errors"] > 0
    c.close()
    os.kill(s.proc.pid, signal.SIGKILL)
    t = restart(s)
    c = t.client()
    assert c.get("before") == b"1" and c.get("after") == b"z"
    assert c.get("refused") is None
    c.close()


def test_exec_of_queued_writes_is_refused_while_the_disk_fails(durable):
    s = durable()
    c = s.client()
    c.set("k", "1")
    tx = s.client(single_connection_client=True)
    ro = s.client(single_connection_client=True)
    assert tx.execute_command("MULTI") == b"OK"
    assert tx.execute_command("INCR", "k") == b"QUEUED"  # queued before the outage
    assert ro.execute_command("MULTI") == b"OK"
    assert ro.execute_command("GET", "k") == b"QUEUED"
    c.execute_command("DEBUG", "DISK-FAULTS", "ON")
    try:
        held = s.client(socket_timeout=0.5)
        with pytest.raises(redis.TimeoutError):
            held.set("probe", "x")
        assert wait_for(lambda: c.info("persistence")["aof_last_write_status"] == "err")
        # As Redis 7 answers a refused EXEC: the reason inside EXECABORT (redis-py's
        # ExecAbortError), the queue discarded.
        with pytest.raises(redis.exceptions.ExecAbortError) as e:
            tx.execute_command("EXEC")
        assert str(e.value).startswith("Transaction discarded because of: MISCONF")
        assert ro.execute_command("EXEC") == [b"1"]  # a read-only transaction still runs
    finally:
        c.execute_command("DEBUG", "DISK-FAULTS", "OFF")
    assert wait_for(lambda: c.info("persistence")["aof_last_write_status"] == "ok")
    assert c.get("k") == b"1"  # the refused INCR never ran
    for cl in (c, tx, ro):
        cl.close()


def test_shutdown_with_a_failing_disk_does_not_hang(durable):
    s = durable()
    c = s.client()
    c.set("k", "v")
    c.execute_command("DEBUG", "DISK-FAULTS", "ON")
    held = s.client(socket_timeout=0.5)
    with pytest.raises(redis.TimeoutError):
        held.set("never", "acknowledged")
    assert wait_for(lambda: c.info("persistence")["aof_last_write_status"] == "err")
    s.proc.send_signal(signal.SIGTERM)
    assert s.proc.wait(timeout=10) == 0
    held.close(), c.close()


def test_info_shows_rocksdbs_compactions_until_they_settle(durable):
    """A bulk load leaves RocksDB compactions behind it (minutes of them for a gigabyte):
    INFO shows them running and the bytes still to rewrite, both 0 once settled (what a
    benchmark of incremental snapshots waits for)."""
    s = durable("--storage.write-buffer-size", "1mb")
    c = s.client()
    seen = set()
    for base in range(0, 20_000, 1000):
        p = c.pipeline(transaction=False)
        for i in range(base, base + 1000):
            p.set("bulk:%06d" % i, os.urandom(512))
        assert all(p.execute())
        i = c.info("persistence")
        seen.add((i["vellum_rocksdb_compactions_running"] > 0) or
                 (i["vellum_rocksdb_compaction_pending_bytes"] > 0))
    assert wait_for(lambda: c.info("persistence")["vellum_rocksdb_compactions_running"] == 0 and
                    c.info("persistence")["vellum_rocksdb_compaction_pending_bytes"] == 0, 60)
    print("compaction seen during the load: %s" % (True in seen))
    c.close()


def test_200k_keys_come_back_after_restart(durable):
    s = durable()
    n = 200_000
    c = s.client()
    for base in range(0, n, 5000):
        p = c.pipeline(transaction=False)
        for i in range(base, base + 5000):
            p.set("key:%06d" % i, "value-%d" % i)
        assert all(p.execute())
    c.close()
    s.stop()
    started = time.time()
    t = restart(s)
    first_reply = time.time() - started
    c = t.client()
    assert c.dbsize() == n
    for i in random.Random(1).sample(range(n), 200):
        assert c.get("key:%06d" % i) == b"value-%d" % i
    print("200k keys: first reply %.3f s after start; %s" %
          (first_reply, [l for l in t.log().splitlines() if "DB loaded" in l][-1]))
    c.close()


def test_eviction_deletes_the_key_on_disk_too(durable):
    s = durable("--maxmemory-policy", "allkeys-lru")
    c = s.client()
    m = c.info("memory")
    limit = m["used_memory"] - m["mem_not_counted_for_evict"] + 2 * 1024 * 1024
    c.config_set("maxmemory", limit)
    for base in range(0, 6000, 200):
        p = c.pipeline(transaction=False)
        for i in range(base, base + 200):
            p.set("k%d" % i, b"x" * 1024)
        assert all(p.execute())
    kept = c.dbsize()
    assert kept < 6000
    m = c.info("memory")
    assert m["used_memory"] - m["mem_not_counted_for_evict"] <= limit + 512 * 1024
    c.config_set("maxmemory", 0)
    c.close()
    s.stop()
    t = restart(s)
    assert t.client().dbsize() == kept


# ---- kill -9 under load -------------------------------------------------------------------

def crash_round(s, rng, seconds):
    """Writers on several connections until a random moment, then kill -9. Returns what
    was acknowledged: {(db, key): last acknowledged counter} for strings, sets of
    (db, key, field) for hash fields, set members and sorted-set members (whose score is
    the counter that added them), and per queue (RPUSH and LPOP on one
    list) what its writer pushed and how many pops were acknowledged."""
    acked_strings = {}
    acked_fields = set()
    acked_members = set()
    queues = {}
    lock = threading.Lock()
    stop = threading.Event()

    def writer(wid):
        db = wid % 3
        c = s.client(db=db, socket_timeout=5)
        # pushed: acknowledged RPUSHes in order, plus the one in flight at the kill (it may
        # or may not have reached the disk); pops: acknowledged LPOPs.
        queue = {"db": db, "key": "w%d:q" % wid, "pushed": [], "pops": 0, "in_flight": None}
        queues[wid] = queue
        i = 0
        try:
            while not stop.is_set() and i < 200_000:
                i += 1
                key = "w%d:s%d" % (wid, i % 50)
                kind = i % 5
                if kind == 4:
                    if i % 15 == 4 and len(queue["pushed"]) > queue["pops"]:
                        queue["in_flight"] = "pop"
                        c.lpop(queue["key"])
                        queue["pops"] += 1
                    else:
                        queue["in_flight"] = i
                        c.rpush(queue["key"], i)
                        queue["pushed"].append(i)
                    queue["in_flight"] = None
                elif kind == 0:
                    c.hset("w%d:h%d" % (wid, i % 7), "f%d" % i, i)
                    with lock:
                        acked_fields.add((db, "w%d:h%d" % (wid, i % 7), "f%d" % i))
                elif kind == 1 and i % 10 == 6:
                    c.zadd("w%d:z" % wid, {"m%d" % i: i})
                    with lock:
                        acked_members.add((db, "w%d:z" % wid, "m%d" % i))
                elif kind == 1:
                    c.sadd("w%d:set" % wid, "m%d" % i)
                    with lock:
                        acked_members.add((db, "w%d:set" % wid, "m%d" % i))
                else:
                    c.set(key, i, ex=3600 if kind == 3 else None)
                    with lock:
                        acked_strings[(db, key)] = i
        except (redis.ConnectionError, redis.TimeoutError):
            pass  # the kill: this write was not acknowledged
        finally:
            c.close()

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(6)]
    for t in threads:
        t.start()
    time.sleep(rng.uniform(0.2, seconds))
    os.kill(s.proc.pid, signal.SIGKILL)
    stop.set()
    for t in threads:
        t.join(timeout=30)
    return acked_strings, acked_fields, acked_members, queues


def check_queue(c, q):
    """The list after a crash is the pushed sequence minus its first `pops` elements (one
    more if a pop was in flight), ending at the last acknowledged push or the one in flight."""
    got = [int(v) for v in c.lrange(q["key"], 0, -1)]
    pushed = q["pushed"] + ([q["in_flight"]] if isinstance(q["in_flight"], int) else [])
    starts = [q["pops"]] + ([q["pops"] + 1] if q["in_flight"] == "pop" else [])
    ok = any(got == pushed[a:a + len(got)] and a + len(got) >= len(q["pushed"])
             for a in starts)
    assert ok, (q["key"], q["pops"], q["in_flight"], got[:5], got[-5:], len(got), len(pushed))


@pytest.mark.parametrize("mode", ["always", "everysec"])
def test_kill9_under_load_loses_no_acknowledged_write(durable, mode):
    rng = random.Random(os.getpid())
    kill9_rounds(durable("--storage.durability", mode), rng)


@pytest.mark.parametrize("mode", ["always", "everysec"])
def test_kill9_during_the_warmup_loses_no_acknowledged_write(durable, mode):
    """The same rounds, each restart warming up slowly behind 20k filler keys that sort
    first (db 0, 4-byte names): the writers' keys are still on disk only when their
    writes after the restart arrive, and a kill lands while the warm-up runs."""
    rng = random.Random(os.getpid() + 1)
    s = durable("--storage.durability", mode, "--storage.warmup-keys-per-sec", "4000")
    c = s.client()
    for start in range(0, 20000, 1000):
        c.mset({"%04x" % i: "f" for i in range(start, start + 1000)})
    c.close()
    s = restart(s)
    assert s.client().info("persistence")["vellum_warmup_in_progress"] == 1
    kill9_rounds(s, rng)


def kill9_rounds(s, rng):
    total = 0
    for rnd in range(3):
        strings, fields, members, queues = crash_round(s, rng, 1.5)
        total += len(strings) + len(fields) + len(members)
        s = restart(s)
        c = {db: s.client(db=db) for db in range(3)}
        for (db, key), i in strings.items():
            got = c[db].get(key)
            assert got is not None, (rnd, db, key)
            # Later writes may have reached the disk unacknowledged; never an older one.
            assert int(got) >= i, (rnd, db, key, got, i)
        for db, key, field in fields:
            assert c[db].hexists(key, field), (rnd, db, key, field)
        for db, key, member in members:
            if key.endswith(":z"):
                assert c[db].zscore(key, member) == int(member[1:]), (rnd, db, key, member)
            else:
                assert c[db].sismember(key, member), (rnd, db, key, member)
        for q in queues.values():
            check_queue(c[q["db"]], q)
            c[q["db"]].delete(q["key"])  # the next round's writer starts a new queue
        for cl in c.values():
            cl.close()
    assert total > 100


def test_a_clean_stop_leaves_no_log_to_replay(durable):
    """SHUTDOWN flushes RocksDB's memtables, so the next start replays nothing before it
    serves (and no live log outgrows the cap while it runs)."""
    s = durable()
    c = s.client()
    for start in range(0, 20000, 1000):
        c.mset({"key:%d" % i: "v" * 500 for i in range(start, start + 1000)})
    c.close()
    s.stop()
    logs = [f for f in os.listdir(data_dir(s)) if f.endswith(".log")]
    assert sum(os.path.getsize(os.path.join(data_dir(s), f)) for f in logs) < 64 << 10, logs
    t = restart(s)
    assert t.client().dbsize() == 20000
