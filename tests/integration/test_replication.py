"""Replication with real processes on loopback: a primary, replicas (one chained), a
small TCP proxy between them that the tests cut or make corrupt a byte, kill -9 of
either side. Every test ends by comparing DEBUG DIGEST of primary and replica.
"""
import os
import random
import select
import shutil
import socket
import threading
import time

import pytest
import redis

from vellum_harness import (SYNC_S, RespConn, Vellumd, ask, assert_converged, free_port, link_up,
                            repl_info, wait_for)


def stats(server):
    return ask(server, "INFO", "stats")


def replica_of(primary_port, *args, **kw):
    return Vellumd("--replication.primary", "127.0.0.1 %d" % primary_port, *args, **kw)


def fill(server, n=200, prefix="k", db=0):
    c = server.client(db=db)
    p = c.pipeline(transaction=False)
    for i in range(n):
        p.set("%s:%d" % (prefix, i), "v%d" % i)
    p.execute()
    c.close()


def fill_values(server, n, size, prefix="v"):
    c = server.client()
    rng = random.Random(n)
    for base in range(0, n, 500):
        p = c.pipeline(transaction=False)
        for i in range(base, min(n, base + 500)):
            p.set("%s:%d" % (prefix, i), rng.randbytes(size))  # incompressible
        p.execute()
    c.close()


class Writer:
    """SETs prefix:i = i on a thread, counting the acknowledged ones, until stopped, `limit`
    writes or `seconds` pass (every load loop is bounded)."""

    def __init__(self, server, prefix, limit, seconds=20):
        self.server, self.prefix, self.limit, self.seconds = server, prefix, limit, seconds
        self.acked = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run)

    def _run(self):
        c = self.server.client()
        deadline = time.time() + self.seconds
        i = 0
        while not self.stop.is_set() and time.time() < deadline and i < self.limit:
            c.set("%s:%d" % (self.prefix, i), i)
            self.acked.append(i)
            i += 1
        c.close()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


class Proxy:
    """Forwards 127.0.0.1:port to a target port. cut() drops every connection and stops
    accepting; restore() accepts again. corrupt_at(n) flips the n-th byte the target
    sends (once, counted over all connections)."""

    def __init__(self, target_port, rate=None):
        self.target = target_port
        self.rate = rate  # bytes per second from the target, None for no limit
        self.port = free_port()
        self.conns = []
        self.lock = threading.Lock()
        self.flip_at = None
        self.sent = 0
        self.listener = None
        self.closed = False
        self.paused = threading.Event()  # set: nothing from the target is forwarded
        self.restore()

    def restore(self):
        self.closed = False
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.listener.listen(16)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target))
            except OSError:
                client.close()
                continue
            with self.lock:
                if self.closed:  # cut() ran while this one was being accepted
                    client.close()
                    upstream.close()
                    return
                self.conns += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, True), daemon=True).start()

    def _pump(self, src, dst, from_target):
        while True:
            try:
                data = src.recv(16384)
            except OSError:
                data = b""
            if not data:
                for s in (src, dst):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                return
            if from_target:
                while self.paused.is_set():
                    time.sleep(0.01)
                with self.lock:
                    start = self.sent
                    self.sent += len(data)
                    if self.flip_at is not None and start <= self.flip_at < self.sent:
                        b = bytearray(data)
                        b[self.flip_at - start] ^= 0x5A
                        data = bytes(b)
                        self.flip_at = None
            try:
                dst.sendall(data)
            except OSError:
                return
            rate = self.rate  # read once: a test may clear it meanwhile
            if from_target and rate:
                time.sleep(len(data) / rate)

    def corrupt_at(self, n):
        with self.lock:
            self.flip_at = self.sent + n

    def cut(self):
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
        except OSError:
            pass
        self.listener.close()
        with self.lock:
            self.closed = True
            conns, self.conns = self.conns, []
        for s in conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def close(self):
        self.cut()


@pytest.fixture
def primary():
    with Vellumd() as s:
        yield s


def test_info_shows_the_backlog_as_redis_does_in_sequence_numbers(primary):
    # Redis's repl_backlog_* fields over the log files kept for replicas, in the same unit
    # as the offsets: the first one still held plus the history's length reaches
    # master_repl_offset. The in-memory part appears once a replica asks for the log.
    fill(primary, 100)
    assert wait_for(lambda: repl_info(primary)["repl_backlog_first_byte_offset"] > 0, 5)
    i = repl_info(primary)
    assert i["repl_backlog_active"] == 1
    assert i["repl_backlog_size"] == 1024 << 20  # replication.backlog-mb's default
    first, histlen = i["repl_backlog_first_byte_offset"], i["repl_backlog_histlen"]
    assert first + histlen - 1 == i["master_repl_offset"]
    assert first <= 10 and histlen >= 100  # a new database's log, all of it still held
    assert i["vellum_repl_backlog_bytes"] > 0
    assert ask(primary, "INFO", "memory")["mem_replication_backlog"] == 0
    with replica_of(primary.port) as r:
        assert_converged(primary, r)
        # Kept from the replica's first log request on (its link is up just before it).
        assert wait_for(lambda: repl_info(primary)["connected_slaves"] == 1)
        fill(primary, 10, prefix="streamed")
        assert_converged(primary, r)
        assert wait_for(lambda: ask(primary, "INFO", "memory")["mem_replication_backlog"] > 0)
        assert primary.client().memory_stats()["replication.backlog"] > 0


def test_replica_full_syncs_then_follows_every_type_and_database(primary):
    c = primary.client()
    c.set("page:/", "<html>home</html>")
    c.hset("session:1", mapping={"user": "ada", "cart": "2"})
    c.sadd("tags", "a", "b")
    c.rpush("queue", "1", "2", "3")
    c.zadd("board", {"ada": 1, "bob": 2, "cy": 3})
    c.set("ttl", "v", ex=3600)
    primary.client(db=3).set("in3", "x")
    with replica_of(primary.port) as r:
        assert_converged(primary, r)
        rc = r.client()
        assert rc.get("page:/") == b"<html>home</html>"
        assert rc.ttl("ttl") > 3500
        # Then the stream: every kind of write, SWAPDB and FLUSHDB included.
        c.set("page:/", "<html>v2</html>")
        c.hset("session:1", "cart", "3")
        c.srem("tags", "a")
        c.lpush("queue", "0")
        c.rpop("queue")
        c.lset("queue", 1, "one")
        c.zincrby("board", 10, "ada")
        c.zrem("board", "bob")
        c.zadd("board", {"dee": 0.5})
        c.delete("ttl")
        c.swapdb(0, 3)
        primary.client(db=5).set("gone", "1")
        primary.client(db=5).flushdb()
        c.incr("counter")
        assert_converged(primary, r)
        assert r.client(db=3).hget("session:1", "cart") == b"3"
        assert r.client(db=3).lrange("queue", 0, -1) == [b"0", b"one", b"2"]
        assert r.client(db=3).zrange("board", 0, -1, withscores=True) == [
            (b"dee", 0.5), (b"cy", 3.0), (b"ada", 11.0)]
        assert r.client(db=0).get("in3") == b"x"
        assert r.client(db=5).dbsize() == 0
        rc.close()
    c.close()


def test_a_full_sync_serves_the_replica_at_once_while_it_warms_up(primary):
    """The install of a full sync used to reload the keyspace under every shard lock
    (about 4 s per million keys, the replica's clients waiting). The replica now empties
    its keyspace and warms up from the installed database in the background: clients are
    served at once (keys still on disk are read for them) and the stream applies
    meanwhile."""
    fill(primary, 20000, prefix="w")
    with replica_of(primary.port, "--storage.warmup-keys-per-sec", "2000") as r:
        assert wait_for(lambda: link_up(r), SYNC_S)
        rc = r.client()
        assert rc.info("persistence")["vellum_warmup_in_progress"] == 1
        assert rc.get("w:19999") == b"v19999"  # still on disk: read for the command
        c = primary.client()
        c.set("w:19998", "new")
        c.delete("w:19997")
        # Two batches on the primary (the SET's reply waited for its cycle): either may
        # be applied first.
        assert wait_for(lambda: rc.get("w:19998") == b"new" and rc.get("w:19997") is None, 10)
        assert rc.info("persistence")["vellum_warmup_in_progress"] == 1
        rc.config_set("storage.warmup-keys-per-sec", 0)
        assert_converged(primary, r)
        assert rc.dbsize() == 19999
        rc.close()
        c.close()


def counted_memory(server):
    """used_memory less what maxmemory does not count (RocksDB's, the log kept for
    replicas)."""
    m = ask(server, "INFO", "memory")
    return m["used_memory"] - m["mem_not_counted_for_evict"]


def test_a_replicas_memory_after_a_full_sync_is_its_datas_not_the_transfers(primary):
    """The link read the checkpoint's files in 4 MiB chunks into its connection's buffer
    and kept that buffer, grown to hold a chunk, as long as it followed: several MB held
    by every replica for nothing (more than a small maxmemory, with tiering)."""
    fill_values(primary, 2000, 8192)
    with replica_of(primary.port) as r, Vellumd() as direct:
        empty = counted_memory(direct)
        fill_values(direct, 2000, 8192)  # the same keys and values, written by a client
        loaded = counted_memory(direct) - empty
        assert_converged(primary, r)
        assert wait_for(lambda: ask(r, "INFO", "persistence")["vellum_warmup_status"] == "done",
                        SYNC_S)
        grown = counted_memory(r) - empty
        assert grown < loaded + 2 * 1024 * 1024, (grown, loaded)


def test_a_replica_refuses_writes_with_redis_readonly_error(primary):
    with replica_of(primary.port) as r:
        assert_converged(primary, r)
        rc = r.client()
        for cmd in (("SET", "k", "v"), ("HSET", "h", "f", "v"), ("DEL", "k"), ("FLUSHALL",)):
            with pytest.raises(redis.exceptions.ReadOnlyError,
                               match="You can't write against a read only replica."):
                rc.execute_command(*cmd)
        assert rc.get("k") is None  # reads are served
        rc.close()


def test_replica_read_only_is_yes_and_cannot_be_turned_off(primary):
    # Tools read it (and its old name); a writable replica is not offered: a local write
    # would take a sequence number the primary's next batch needs.
    c = primary.client()
    assert c.config_get("replica-read-only") == {"replica-read-only": "yes"}
    assert c.config_get("slave-read-only") == {"slave-read-only": "yes"}
    c.config_set("replica-read-only", "yes")
    with pytest.raises(redis.ResponseError, match="replica-read-only"):
        c.config_set("replica-read-only", "no")
    assert c.config_get("replica-read-only") == {"replica-read-only": "yes"}
    c.close()


def test_scripts_replicate_by_their_effects_and_write_nowhere_on_a_replica(primary):
    c = primary.client()
    body = ("local n = redis.call('incr', KEYS[1])\n"
            "redis.call('hset', 'hits', KEYS[1], n)\nreturn n")
    sha = c.script_load(body)
    with replica_of(primary.port) as r:
        assert_converged(primary, r)
        for _ in range(5):
            c.evalsha(sha, 1, "page:/")
        assert_converged(primary, r)
        rc = r.client()
        assert rc.get("page:/") == b"5"
        assert rc.hget("hits", "page:/") == b"5"
        # The replica never runs the script: its cache is its own (empty), and a script
        # that writes is refused there at its first write, as in Redis.
        assert rc.script_exists(sha) == [False]
        with pytest.raises(redis.exceptions.ReadOnlyError):
            rc.eval(body, 1, "page:/")
        assert rc.eval("return redis.call('get', KEYS[1])", 1, "page:/") == b"5"
        rc.close()
    c.close()


def test_role_and_info_replication_on_both_sides(primary):
    fill(primary, 10)
    with replica_of(primary.port) as r:
        assert_converged(primary, r)
        info = repl_info(r)
        assert info["role"] == "slave"
        assert info["master_port"] == primary.port
        assert info["master_sync_in_progress"] == 0
        assert info["master_repl_offset"] == repl_info(primary)["master_repl_offset"]
        assert info["master_replid"] == repl_info(primary)["master_replid"]
        role = r.client().execute_command("ROLE")
        assert role[0] == b"slave" and role[3] == b"connected"
        assert wait_for(lambda: repl_info(primary)["connected_slaves"] == 1)
        p = repl_info(primary)
        assert p["role"] == "master"
        assert p["slave0"]["port"] == r.port
        prole = primary.client().execute_command("ROLE")
        assert prole[0] == b"master" and int(prole[2][0][1]) == r.port
        assert stats(primary)["sync_full"] == 1


def test_replicaof_at_run_time_replaces_data_and_no_one_promotes(primary):
    fill(primary, 50, prefix="p")
    with Vellumd() as r:
        rc = r.client()
        rc.set("own", "data")
        assert rc.execute_command("REPLICAOF", "127.0.0.1", str(primary.port)) == b"OK"
        assert_converged(primary, r)
        assert rc.get("own") is None  # a full sync replaces the replica's data
        assert rc.execute_command("REPLICAOF", "127.0.0.1", str(primary.port)) == \
            b"OK Already connected to specified master"
        assert rc.execute_command("REPLICAOF", "NO", "ONE") == b"OK"
        assert repl_info(r)["role"] == "master"
        rc.set("after", "promotion")
        rc.hset("h", "f", "v")
        primary.client().set("p:0", "not followed any more")
        time.sleep(0.3)
        assert rc.get("p:0") == b"v0"
        rc.close()
        r.stop()
        r.start()
        rc = r.client()
        assert rc.get("after") == b"promotion"
        assert rc.hget("h", "f") == b"v"
        assert rc.dbsize() == 52
        rc.close()


def test_kill_9_of_the_replica_resumes_without_a_full_sync(primary):
    fill(primary, 100)
    with replica_of(primary.port) as r:
        assert_converged(primary, r)
        for round_ in range(3):
            r.proc.kill()
            r.proc.wait()
            r.stop()
            fill(primary, 50, prefix="while-down-%d" % round_)
            r.start()
            assert_converged(primary, r)
        s = stats(primary)
        assert s["sync_full"] == 1
        assert s["sync_partial_ok"] == 3
        assert "resumed from sequence" in r.log()


def test_a_restarted_primary_is_followed_again_without_a_full_sync():
    with Vellumd() as p:
        fill(p, 100)
        with replica_of(p.port) as r:
            assert_converged(p, r)
            p.stop()
            p.start()
            fill(p, 20, prefix="after-restart")
            assert_converged(p, r)
            assert stats(p)["sync_partial_ok"] == 1  # counters start again with the process
            assert stats(p)["sync_full"] == 0


def test_a_replica_of_a_replica_converges(primary):
    fill(primary, 100)
    with replica_of(primary.port) as r1:
        assert_converged(primary, r1)
        with replica_of(r1.port) as r2:
            assert_converged(primary, r2)
            fill(primary, 100, prefix="later")
            primary.client().hset("h", mapping={"a": "1", "b": "2"})
            assert_converged(primary, r1)
            assert_converged(primary, r2)
            assert repl_info(r2)["master_replid"] == repl_info(primary)["master_replid"]
            # Serving r2 (a checkpoint included) wrote nothing of r1's own: its link never broke.
            assert "link to" not in r1.log(), r1.log()


def test_writes_during_a_full_sync_all_reach_the_replica(primary):
    fill(primary, 5000, prefix="base")
    with Writer(primary, "live", 20000) as w:
        with replica_of(primary.port) as r:
            assert wait_for(lambda: link_up(r), SYNC_S)
            time.sleep(0.5)
            w.stop.set()
            w.thread.join()
            assert_converged(primary, r)
            last = w.acked[-1]
            assert ask(r, "GET", "live:%d" % last) == str(last).encode()


def test_a_log_that_no_longer_reaches_back_falls_back_to_a_full_sync():
    # No backlog: log files are deleted as soon as they are flushed, and a restart empties
    # the recent batches kept in memory.
    with Vellumd("--replication.backlog-ttl", "off", "--replication.backlog-mb", "0") as p:
        fill(p, 100)
        with replica_of(p.port) as r:
            assert_converged(p, r)
            r.stop()
            fill(p, 100, prefix="while-down")
            p.client().execute_command("SNAPSHOT", "CREATE")  # flushes: the log moves on
            p.stop()
            p.start()
            fill(p, 10, prefix="after-flush")
            r.start()
            assert_converged(p, r)
            s = stats(p)  # counted since the primary's restart
            assert s["sync_partial_err"] == 1
            assert s["sync_full"] == 1


def test_recent_batches_are_served_from_memory_without_the_files():
    # The same absence without the restart: the batches missed are still in the primary's
    # memory (the recent log), so the replica resumes although the files are gone. So is
    # the replica's last batch, whose hash the primary must compare (a batch it streamed:
    # the recent log keeps batches from the first log request on).
    with Vellumd("--replication.backlog-ttl", "off", "--replication.backlog-mb", "0") as p:
        fill(p, 100)
        with replica_of(p.port) as r:
            assert_converged(p, r)
            fill(p, 10, prefix="streamed")
            assert_converged(p, r)
            r.stop()
            fill(p, 100, prefix="while-down")
            p.client().execute_command("SNAPSHOT", "CREATE")
            fill(p, 10, prefix="after-flush")
            r.start()
            assert_converged(p, r)
            assert stats(p)["sync_partial_ok"] == 1
            assert stats(p)["sync_full"] == 1


def sync_in_progress(server):
    try:
        return repl_info(server).get("master_sync_in_progress") == 1
    except redis.RedisError:
        return False


def test_a_write_burst_larger_than_the_backlog_during_a_full_sync_needs_no_second_one():
    # No backlog: log files go as soon as they are flushed, and 1 MB in memory. A 3 MB
    # burst and a flush during the (throttled) transfer would leave the replica without the
    # log after its checkpoint, were the primary's files not pinned until it reads that log.
    with Vellumd("--replication.backlog-ttl", "off", "--replication.backlog-mb", "0",
                 "--replication.backlog-memory-mb", "1") as p:
        fill_values(p, 2000, 1024, prefix="base")
        proxy = Proxy(p.port, rate=512 * 1024)
        try:
            with replica_of(proxy.port) as r:
                assert wait_for(lambda: sync_in_progress(r), 10)
                proxy.paused.set()  # the transfer stands still while the burst goes on
                fill_values(p, 3000, 1024, prefix="burst")
                p.client().execute_command("SNAPSHOT", "CREATE")  # flushes: the log moves on
                assert sync_in_progress(r)
                proxy.rate = None
                proxy.paused.clear()
                assert_converged(p, r)
                s = stats(p)
                assert s["sync_full"] == 1
                assert s["sync_partial_err"] == 0
        finally:
            proxy.close()


def test_kill_9_of_the_replica_mid_sync_never_opens_a_partial_transfer(primary):
    fill_values(primary, 2000, 1024, prefix="base")
    proxy = Proxy(primary.port, rate=256 * 1024)
    try:
        with replica_of(proxy.port) as r:
            assert wait_for(lambda: sync_in_progress(r), 10)
            time.sleep(0.5)
            r.proc.kill()
            r.proc.wait()
            r.stop()
            proxy.rate = None
            r.start()
            assert_converged(primary, r)
            assert stats(primary)["sync_full"] == 2
    finally:
        proxy.close()


def test_kill_9_of_the_primary_then_the_replica_resumes():
    with Vellumd() as p:
        fill(p, 100)
        with replica_of(p.port) as r:
            assert_converged(p, r)
            p.proc.kill()
            p.proc.wait()
            p.stop()
            p.start()
            fill(p, 50, prefix="after-crash")
            assert_converged(p, r)
            assert stats(p)["sync_partial_ok"] == 1
            assert stats(p)["sync_full"] == 0


def test_a_corrupt_checkpoint_stream_is_refused_and_retried(primary):
    fill(primary, 3000, prefix="big")
    c = primary.client()
    c.set("blob", "x" * 200_000)
    proxy = Proxy(primary.port)
    try:
        proxy.corrupt_at(150_000)  # inside the checkpoint's files
        with replica_of(proxy.port) as r:
            assert_converged(primary, r)
            assert "does not match its checksum; refused" in r.log()
            assert stats(primary)["sync_full"] == 2
    finally:
        proxy.close()
        c.close()


def test_a_log_batch_damaged_on_the_way_is_refused_then_fetched_again(primary):
    fill(primary, 10)
    proxy = Proxy(primary.port)
    try:
        with replica_of(proxy.port) as r:
            assert_converged(primary, r)
            proxy.corrupt_at(5000)  # inside the next batch's bytes
            primary.client().set("page", random.Random(1).randbytes(20000))
            assert_converged(primary, r)
            assert "does not match its checksum; refused" in r.log()
            assert stats(primary)["sync_full"] == 1
    finally:
        proxy.close()


def test_a_cut_link_resumes_and_converges(primary):
    fill(primary, 100)
    proxy = Proxy(primary.port)
    try:
        with replica_of(proxy.port) as r:
            assert_converged(primary, r)
            for round_ in range(2):
                proxy.cut()
                fill(primary, 100, prefix="cut-%d" % round_)
                assert wait_for(lambda: not link_up(r), 10)
                proxy.restore()
                assert_converged(primary, r)
            assert stats(primary)["sync_full"] == 1
            assert stats(primary)["sync_partial_ok"] == 2
    finally:
        proxy.close()


def test_acknowledged_always_writes_reach_a_replica_killed_at_random_moments():
    rng = random.Random(7)
    with Vellumd("--storage.durability", "always") as p:
        with replica_of(p.port) as r:
            assert_converged(p, r)
            with Writer(p, "ack", 5000) as w:
                for _ in range(3):
                    time.sleep(rng.uniform(0.05, 0.3))
                    r.proc.kill()
                    r.proc.wait()
                    r.stop()
                    r.start()
            assert_converged(p, r)
            values = r.client().mget(["ack:%d" % i for i in w.acked])
            missing = [i for i, v in zip(w.acked, values) if v is None]
            assert not missing, missing[:10]


def test_wait_counts_the_replicas_that_have_a_clients_writes(primary):
    c = primary.client()
    c.set("k", "v")
    start = time.time()
    assert c.execute_command("WAIT", 1, 200) == 0  # no replica yet: the timeout
    assert time.time() - start >= 0.15
    with replica_of(primary.port) as r:
        assert_converged(primary, r)
        for i in range(20):
            c.set("w:%d" % i, "x" * 100)
            assert c.execute_command("WAIT", 1, 5000) == 1
            assert r.client().get("w:%d" % i) == b"x" * 100  # it really has it
        start = time.time()
        assert c.execute_command("WAIT", 2, 300) == 1  # asks for more than there are
        assert time.time() - start >= 0.25
        with pytest.raises(redis.ResponseError, match="WAIT cannot be used with replica"):
            r.client().execute_command("WAIT", 1, 10)
    c.close()


def test_a_wait_without_timeout_ends_with_its_client(primary):
    """WAIT 1 0 with no replica waits forever; once its client disconnects, nothing is left
    parked (it used to stay until a replica acknowledged or the server stopped)."""
    c = primary.client()
    c.set("k", "v")
    waiter = RespConn(primary.port)
    waiter.send("WAIT", 1, 0)
    info = primary.client()
    assert wait_for(lambda: info.info("replication")["vellum_wait_pending"] == 1, 5)
    waiter.close()
    assert wait_for(lambda: info.info("replication")["vellum_wait_pending"] == 0, 5)
    assert c.execute_command("WAIT", 1, 50) == 0  # and WAIT still works
    c.close()
    info.close()


def test_a_replica_restored_from_a_snapshot_catches_up_from_its_sequence(primary):
    fill(primary, 300, prefix="before")
    c = primary.client()
    c.execute_command("SNAPSHOT", "CREATE")
    fill(primary, 100, prefix="after-snapshot")
    snapshots = os.path.join(primary.tmp, "data", "snapshots")
    with replica_of(primary.port, "--restore-from", snapshots) as r:
        assert_converged(primary, r)
        s = stats(primary)
        assert s["sync_full"] == 0
        assert s["sync_partial_ok"] == 1
        assert "resumed from sequence" in r.log()
    c.close()


def test_a_primary_restored_from_a_snapshot_starts_a_new_history(primary):
    fill(primary, 50)
    primary.client().execute_command("SNAPSHOT", "CREATE")
    with replica_of(primary.port) as r:
        assert_converged(primary, r)
        before = repl_info(primary)["master_replid"]
        fill(primary, 50, prefix="lost-by-the-restore")
        assert_converged(primary, r)
        primary.stop()
        snapshots = os.path.join(primary.tmp, "data", "snapshots")
        primary.args += ["--restore-from", snapshots]
        primary.start()
        assert repl_info(primary)["master_replid"] != before
        fill(primary, 500, prefix="new-history")  # beyond the replica's old position
        assert_converged(primary, r)
        assert stats(primary)["sync_full"] == 1
        assert r.client().get("lost-by-the-restore:0") is None


def test_serve_stale_data_no_refuses_reads_until_the_link_is_up():
    port = free_port()  # no primary there yet
    with replica_of(port, "--replica-serve-stale-data", "no") as r:
        rc = r.client()
        with pytest.raises(redis.ResponseError, match="MASTERDOWN Link with MASTER is down"):
            rc.get("k")
        assert rc.info("replication")["master_link_status"] == "down"  # INFO is stale-ok
        with Vellumd(port=port) as p:
            p.client().set("k", "v")
            assert_converged(p, r)
            assert rc.get("k") == b"v"
        assert wait_for(lambda: repl_info(r)["master_link_status"] == "down", 10)
        with pytest.raises(redis.ResponseError, match="MASTERDOWN"):
            rc.get("k")
        rc.config_set("replica-serve-stale-data", "yes")
        assert rc.get("k") == b"v"  # the default: stale data is served
        rc.close()


def test_a_replica_resumes_across_a_flush_within_the_backlog(primary):
    fill(primary, 100)
    with replica_of(primary.port) as r:
        assert_converged(primary, r)
        r.stop()
        fill(primary, 100, prefix="while-down")
        primary.client().execute_command("SNAPSHOT", "CREATE")  # flushes: log files archived
        fill(primary, 10, prefix="after-flush")
        r.start()
        assert_converged(primary, r)
        assert stats(primary)["sync_full"] == 1
        assert stats(primary)["sync_partial_ok"] == 1


def test_a_replica_restarted_without_its_primary_starts_a_history_of_its_own(primary):
    fill(primary, 50)
    with replica_of(primary.port) as r:
        assert_converged(primary, r)
        r.stop()
        r.args = []  # promoted: starts without replication.primary
        r.start()
        assert repl_info(r)["master_replid"] != repl_info(primary)["master_replid"]
        r.client().set("only-on-the-promoted", "1")
        fill(primary, 300, prefix="primary-went-on")  # past the promoted one's position
        r.client().execute_command("REPLICAOF", "127.0.0.1", str(primary.port))
        assert_converged(primary, r)  # a full sync: its own write is gone
        assert r.client().get("only-on-the-promoted") is None


def test_a_chained_replica_follows_its_upstream_into_a_new_history():
    with Vellumd() as p1, Vellumd() as p2:
        fill(p1, 100, prefix="p1")
        fill(p2, 300, prefix="p2")
        with replica_of(p1.port) as r1:
            assert_converged(p1, r1)
            with replica_of(r1.port) as r2:
                assert_converged(p1, r2)
                r1.client().execute_command("REPLICAOF", "127.0.0.1", str(p2.port))
                assert_converged(p2, r1)
                fill(p2, 10, prefix="later")
                assert_converged(p2, r2)
                assert r2.client().get("p1:0") is None


def test_replstream_refuses_what_it_cannot_serve(primary):
    c = primary.client()
    with pytest.raises(redis.ResponseError, match="no such checkpoint file"):
        c.execute_command("REPLSTREAM", "FILE", "1", "../vellumd.lock", "0", "10")
    with pytest.raises(redis.ResponseError, match="no such checkpoint file"):
        c.execute_command("REPLSTREAM", "FILE", "999", "CURRENT", "0", "10")
    with pytest.raises(redis.ResponseError, match="not an integer"):
        c.execute_command("REPLSTREAM", "LOG", "x", "1", "0")
    with pytest.raises(redis.ResponseError, match="LOGGONE"):
        c.execute_command("REPLSTREAM", "LOG", "999999999", "1", "0")
    with pytest.raises(redis.ResponseError, match="LOGGONE the replication id changed"):
        c.execute_command("REPLSTREAM", "LOG", "1", "1", "0", "0" * 40)
    with pytest.raises(redis.ResponseError, match="wrong number of arguments"):
        c.execute_command("REPLSTREAM", "FILE", "1")
    c.set("k", "v")
    reply = c.execute_command("REPLSTREAM", "LOG", "1", "99999999999", "0")  # capped, served
    assert len(reply) % 4 == 0 and len(reply) > 0
    c.close()


def write_one_by_one(server, prefix, n):
    """One write per batch: every sequence number starts a batch."""
    c = server.client()
    for i in range(n):
        c.set("%s:%d" % (prefix, i), "x")
    c.close()


def copy_data(server, to):
    """The server's data directory copied while it is stopped; it then starts again."""
    server.stop()
    shutil.copytree(os.path.join(server.tmp, "data"), to)
    server.start()


def put_data_back(server, copy):
    """The stopped server's data directory as it was when copied: back in time, same id."""
    shutil.rmtree(os.path.join(server.tmp, "data"))
    shutil.copytree(copy, os.path.join(server.tmp, "data"))


def test_a_primary_that_went_back_in_time_under_its_id_is_not_resumed_on(tmp_path):
    # What a power cut can do to an everysec primary: it comes back without its last
    # writes, under the same replication id, then takes others. Writes one at a time, so
    # every sequence number starts a batch and only the last-batch hash can tell.
    with Vellumd() as p:
        fill(p, 100)
        before = str(tmp_path / "before")
        copy_data(p, before)
        with replica_of(p.port) as r:
            assert_converged(p, r)
            write_one_by_one(p, "lost-in-the-cut", 50)
            assert_converged(p, r)
            r.stop()
            p.stop()
            put_data_back(p, before)
            p.start()
            write_one_by_one(p, "after-the-cut", 200)  # past the replica's position
            r.start()
            assert_converged(p, r)
            assert ask(r, "GET", "lost-in-the-cut:0") is None
            assert stats(p)["sync_partial_err"] == 1


def test_a_replica_whose_last_batch_the_primary_no_longer_holds_makes_a_full_sync(tmp_path):
    # The same power cut, then the primary's log moves on (no backlog, a flush, a
    # restart): its batch at the replica's position is gone, the ones after it are held.
    # Nothing can be compared, so nothing is resumed.
    no_backlog = ("--replication.backlog-ttl", "off", "--replication.backlog-mb", "0")
    with Vellumd(*no_backlog) as p:
        fill(p, 100)
        before = str(tmp_path / "before")
        copy_data(p, before)
        with replica_of(p.port) as r:
            assert_converged(p, r)
            write_one_by_one(p, "lost-in-the-cut", 50)
            assert_converged(p, r)
            position = repl_info(r)["master_repl_offset"]
            r.stop()
            p.stop()
            put_data_back(p, before)
            p.start()
            c = p.client()
            for i in range(100):  # up to the replica's position, one sequence at a time
                if repl_info(p)["master_repl_offset"] >= position:
                    break
                c.set("after-the-cut:%d" % i, "x")
            c.close()
            assert repl_info(p)["master_repl_offset"] == position
            ask(p, "SNAPSHOT", "CREATE")  # a flush: the log files up to here go
            p.stop()
            p.start()  # and the batches kept in memory
            write_one_by_one(p, "later", 20)  # from the replica's position on: held
            r.start()
            assert_converged(p, r)
            assert ask(r, "GET", "lost-in-the-cut:0") is None
            assert ask(r, "GET", "after-the-cut:0") == b"x"
            s = stats(p)  # counted since the primary's restart
            assert s["sync_partial_err"] == 1
            assert s["sync_full"] == 1


def test_a_checkpoint_being_made_holds_up_no_other_replicas_log(primary):
    # A full sync's checkpoint (the cut, then the hash of every file) takes seconds for a
    # large database; another replica's log request is answered meanwhile, not after it.
    fill_values(primary, 8000, 8192)  # 64 MiB: memtables to flush, files to hash
    position = repl_info(primary)["master_repl_offset"]
    syncing, following = RespConn(primary.port, timeout=60), RespConn(primary.port, timeout=60)
    try:
        syncing.send("REPLSTREAM", "CHECKPOINT")
        time.sleep(0.01)  # its job is on the feeder's thread first
        following.send("REPLSTREAM", "LOG", position + 1, 1 << 20, 0)
        readable, _, _ = select.select([syncing.sock, following.sock], [], [], 60)
        assert readable == [following.sock]
        assert following.read_raw() == b"*0\r\n"  # nothing new, answered at once
        offer = syncing.read_raw()
        assert offer.startswith(b"*") and b"CURRENT" in offer
    finally:
        syncing.close()
        following.close()


def test_replicaof_without_persistence_is_refused():
    with Vellumd("--storage.durability", "none") as s:
        with pytest.raises(redis.ResponseError, match="replication needs persistence"):
            s.client().execute_command("REPLICAOF", "127.0.0.1", "1")


def test_failover_siblings_and_the_old_primary_continue_without_a_full_sync(primary):
    """A replica promoted by REPLICAOF NO ONE keeps the old history's id as its second id
    (master_replid2, second_repl_offset); its sibling and the old primary (which took no
    write since) then continue on it from where they are, as Redis's PSYNC does."""
    fill(primary, 200, prefix="before")
    old_id = repl_info(primary)["master_replid"]
    with replica_of(primary.port) as b, replica_of(primary.port) as c:
        assert_converged(primary, b)
        assert_converged(primary, c)
        at = repl_info(primary)["master_repl_offset"]
        assert wait_for(lambda: repl_info(b)["master_repl_offset"] == at, SYNC_S)
        assert wait_for(lambda: repl_info(c)["master_repl_offset"] == at, SYNC_S)

        assert ask(b, "REPLICAOF", "NO", "ONE") == b"OK"
        promoted = repl_info(b)
        assert promoted["role"] == "master"
        assert promoted["master_replid"] != old_id
        assert promoted["master_replid2"] == old_id
        assert promoted["second_repl_offset"] == at + 1
        fill(b, 50, prefix="on-b")

        assert ask(c, "REPLICAOF", "127.0.0.1", str(b.port)) == b"OK"
        assert_converged(b, c)
        assert stats(b)["sync_full"] == 0
        assert stats(b)["sync_partial_ok"] == 1
        sibling = repl_info(c)
        assert sibling["master_replid"] == promoted["master_replid"]
        assert sibling["master_replid2"] == old_id  # c's own replicas may continue too
        assert ask(c, "GET", "on-b:49") == b"v49"

        # The old primary took no write since: it too continues.
        assert ask(primary, "REPLICAOF", "127.0.0.1", str(b.port)) == b"OK"
        assert_converged(b, primary)
        assert stats(b)["sync_full"] == 0
        assert stats(b)["sync_partial_ok"] == 2
        ask(b, "SET", "after-failover", "1")
        assert_converged(b, primary)
        assert_converged(b, c)

        # A restart keeps the ids: the promoted server's second id is in its data dir.
        b.stop()
        b.args = []  # promoted: it starts without replication.primary
        b.start()
        assert repl_info(b)["master_replid2"] == old_id
        assert_converged(b, c)
        assert stats(b)["sync_full"] == 0


def test_an_old_primary_that_wrote_after_the_failover_gets_a_full_sync(primary):
    fill(primary, 100, prefix="before")
    with replica_of(primary.port) as b:
        assert_converged(primary, b)
        assert ask(b, "REPLICAOF", "NO", "ONE") == b"OK"
        ask(primary, "SET", "lost", "written after the failover")  # never reached b
        ask(b, "SET", "kept", "1")
        assert ask(primary, "REPLICAOF", "127.0.0.1", str(b.port)) == b"OK"
        assert_converged(b, primary)
        assert stats(b)["sync_full"] == 1
        assert stats(b)["sync_partial_ok"] == 0
        assert ask(primary, "GET", "lost") is None
        assert ask(primary, "GET", "kept") == b"1"


def test_a_chain_below_a_promoted_replica_continues_under_its_new_id(primary):
    """A -> B -> C; B is promoted. C, still asking under A's id, gets B's log up to the
    promotion, then is told to reconnect, and continues under B's new id: no full sync,
    and none of B's new writes ever reaches C labelled with the old id."""
    fill(primary, 100, prefix="before")
    with replica_of(primary.port) as b:
        assert_converged(primary, b)
        with replica_of(b.port) as c:
            assert_converged(b, c)
            full_before = stats(b)["sync_full"]
            assert ask(b, "REPLICAOF", "NO", "ONE") == b"OK"
            new_id = repl_info(b)["master_replid"]
            fill(b, 100, prefix="on-b")
            assert_converged(b, c)
            assert wait_for(lambda: repl_info(c)["master_replid"] == new_id, SYNC_S)
            assert stats(b)["sync_full"] == full_before, c.log()[-3000:]
            assert stats(b)["sync_partial_ok"] >= 1
            assert ask(c, "GET", "on-b:99") == b"v99"


def test_a_replica_restarted_serves_at_once_and_warms_up_while_it_follows(primary):
    """A replica restarts with a slow warm-up (2000 keys/s over 6000 keys) and resumes while
    the primary overwrites and deletes keys the loader has not reached yet: none comes
    back from the replica's own disk older than the primary's."""
    fill(primary, 6000, prefix="w")
    with replica_of(primary.port, "--storage.warmup-keys-per-sec", "2000") as r:
        assert_converged(primary, r)
        r.stop()
        r.start()
        assert repl_info(r)["role"] == "slave"
        p = primary.client()
        for i in range(5999, 3000, -7):  # the end of the key order: loaded last
            p.delete("w:%d" % i)
            p.set("w:%d" % (i - 1), "new")
        p.close()
        assert ask(r, "INFO", "persistence")["vellum_warmup_in_progress"] == 1
        assert_converged(primary, r)
        assert ask(r, "GET", "w:5999") is None
        assert ask(r, "GET", "w:5998") == b"new"
        assert stats(primary)["sync_full"] == 1
