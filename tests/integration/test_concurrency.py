"""Thread-safety evidence against the real vellumd: many clients at once, spread over two
worker threads, must see each command as atomic (INCR loses no update, MSET is seen whole
or not at all by MGET, and clients' own keys never mix).

Every test is bounded in time and count; a worker thread's exception fails the test."""
import threading
import time

import pytest

from vellum_harness import Vellumd, run_threads


@pytest.fixture(scope="module")
def server():
    # Two worker loops, so concurrent connections land on different threads.
    s = Vellumd(threads=2)
    s.start()
    yield s
    s.cleanup()


@pytest.fixture
def r(server):
    c = server.client()
    c.execute_command("FLUSHALL")
    yield c
    c.close()



def test_concurrent_incr_loses_no_update(server, r):
    clients, per_client = 16, 500
    start = threading.Barrier(clients)

    def worker():
        c = server.client()
        try:
            start.wait(timeout=10)
            for _ in range(per_client):
                c.incr("counter")
        finally:
            c.close()

    run_threads([worker] * clients)
    assert int(r.get("counter")) == clients * per_client == 8000


def test_concurrent_mset_is_seen_whole_by_mget(server, r):
    keys = ["a", "b", "c"]
    r.mset({k: "init" for k in keys})
    stop = threading.Event()
    writes = [0] * 8
    reads = [0] * 8
    torn = []

    def writer(i):
        def run():
            c = server.client()
            try:
                n = 0
                while not stop.is_set() and n < 100_000:
                    n += 1
                    x = "w%d-%d" % (i, n)
                    c.mset({k: x for k in keys})
                    writes[i] += 1
            finally:
                c.close()
        return run

    def reader(i):
        def run():
            c = server.client()
            try:
                n = 0
                while not stop.is_set() and n < 100_000:
                    n += 1
                    vals = c.mget(keys)
                    if len(set(vals)) != 1:
                        torn.append(vals)
                        return
                    reads[i] += 1
            finally:
                c.close()
        return run

    def timer():
        time.sleep(2.0)
        stop.set()

    run_threads([writer(i) for i in range(8)] + [reader(i) for i in range(8)] + [timer])
    assert not torn, "MGET saw a partial MSET: %r" % torn[:3]
    assert sum(writes) > 0 and sum(reads) > 0
    assert len(set(r.mget(keys))) == 1


def test_many_clients_keep_their_own_keys(server, r):
    clients, ops = 50, 200
    start = threading.Barrier(clients)

    def worker(i):
        def run():
            c = server.client()
            try:
                start.wait(timeout=10)
                for j in range(ops):
                    key = "client:%d:key:%d" % (i, j % 20)
                    value = "value-%d-%d" % (i, j)
                    assert c.set(key, value) is True
                    got = c.get(key)
                    assert got == value.encode(), (key, got, value)
            finally:
                c.close()
        return run

    run_threads([worker(i) for i in range(clients)])
    # Each client's last write to each of its keys is what remains.
    for i in range(clients):
        keys = ["client:%d:key:%d" % (i, k) for k in range(20)]
        expected = ["value-%d-%d" % (i, ops - 20 + k) for k in range(20)]
        assert [v.decode() for v in r.mget(keys)] == expected


def test_concurrent_gets_count_every_hit_and_miss(server, r):
    # keyspace_hits/misses are kept per shard; clients on both workers reading keys of
    # every shard at once must find the totals exact.
    r.mset({f"h:{i}": "v" for i in range(64)})
    r.config_resetstat()
    clients, per_client = 8, 400

    def worker():
        c = server.client()
        try:
            for i in range(per_client):
                c.get(f"h:{i % 64}" if i % 2 == 0 else f"absent:{i}")
        finally:
            c.close()

    run_threads([worker] * clients)
    stats = r.info("stats")
    assert stats["keyspace_hits"] == clients * per_client // 2
    assert stats["keyspace_misses"] == clients * per_client // 2


def test_monitor_sees_every_command_from_every_worker_in_each_clients_order(server, r):
    import socket as _socket
    m = _socket.create_connection(("127.0.0.1", server.port), timeout=5)
    m.sendall(b"MONITOR\r\n")
    assert m.recv(5) == b"+OK\r\n"
    clients, per_client = 4, 150
    errors = []

    def run(t):
        try:
            c = server.client()
            for i in range(per_client):
                c.set("mon:%d" % t, i)
            c.close()
        except Exception as e:  # noqa: BLE001 (reported below)
            errors.append(e)

    threads = [threading.Thread(target=run, args=(t,)) for t in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    want = clients * per_client
    m.settimeout(0.5)
    data = b""
    deadline = time.time() + 20
    while data.count(b'"SET" "mon:') < want and time.time() < deadline:
        try:
            chunk = m.recv(1 << 16)
        except _socket.timeout:
            continue
        if not chunk:
            break
        data += chunk
    m.close()
    seen = {}
    for line in data.decode().split("\r\n"):
        if '"SET" "mon:' in line:
            key, value = line.split('"SET" ')[1].split(" ")
            seen.setdefault(key, []).append(int(value.strip('"')))
    assert sorted(seen) == ['"mon:%d"' % t for t in range(clients)]
    for values in seen.values():
        assert values == list(range(per_client))  # every command, in its client's order
