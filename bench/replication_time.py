#!/usr/bin/env python3
"""Replication side by side: vellumd replicas against redis-server replicas.

For each server in turn (one pair of processes at a time; the machine has 2 cores), loads
the same N keys of S bytes (default 1,000,000 x 1 KiB, incompressible) into a primary,
then measures:
  - full sync: from the start of a replica process (vellumd --replication.primary;
    redis-server --replicaof) until it serves every key (link up, no sync in progress,
    and the last key loaded read back whole: vellumd serves keys still on disk while it
    warms up), and until every key is in memory (DBSIZE is N: vellumd's waits for the
    end of the warm-up; redis-server has loaded everything before its link is up);
  - replication lag under a steady SET load (redis-benchmark, -c 20, S-byte values): a
    probe writes a timestamp to the primary every 50 ms and polls the first replica until
    it reads it back; p50 and p99 of that delay;
  - the primary's SET throughput with two replicas attached, as a ratio of its throughput
    after both are stopped (redis-benchmark -c 50, median of --rounds, alternating).
Like with like: every server persists every write (vellumd storage.durability everysec;
redis-server appendonly yes, appendfsync everysec, no automatic rewrite), replicas too.
Servers bind 127.0.0.1 on free ports in one temporary directory, removed at the end.

Usage: python3 bench/replication_time.py [--keys N] [--value-size S] [--requests R]
"""
import argparse
import csv
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from benchlib import cli, free_port, info, load, value, wait_pong  # noqa: E402


class Server:
    def __init__(self, kind, tmp, name, vellumd, primary_port=None):
        self.port = free_port()
        self.dir = os.path.join(tmp, name)
        os.makedirs(self.dir)
        if kind == "vellumd":
            argv = [vellumd, "--bind", "127.0.0.1", "--port", str(self.port), "--dir", self.dir,
                    "--storage.durability", "everysec", "--server.threads", "2"]
            if primary_port:
                argv += ["--replication.primary", "127.0.0.1 %d" % primary_port]
        else:
            argv = ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port),
                    "--dir", self.dir, "--save", "", "--appendonly", "yes",
                    "--appendfsync", "everysec", "--auto-aof-rewrite-percentage", "0"]
            if primary_port:
                argv += ["--replicaof", "127.0.0.1", str(primary_port)]
        self.log = open(os.path.join(tmp, name + ".log"), "ab")
        self.started = time.time()
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=300)
        self.log.close()


def wait_synced(replica, keys, size, limit_s=900):
    """Seconds from the replica's start until it serves every key, and until every key is
    in memory (see the module's comment)."""
    import redis  # python3-redis, installed by setup
    last = "key:%07d" % (keys - 1)
    client = redis.Redis(port=replica.port)  # reconnects by itself while the replica starts
    deadline = time.time() + limit_s
    serving = None
    while time.time() < deadline:
        try:
            r = info(replica.port, "replication")
            if (r.get("master_link_status") == "up" and r.get("master_sync_in_progress") == "0"
                    and client.get(last) == value(keys - 1, size)):
                serving = time.time() - replica.started
                break
        except (subprocess.SubprocessError, redis.RedisError):
            pass
        time.sleep(0.05)
    else:
        raise RuntimeError("replica not serving within %d s" % limit_s)
    client.close()
    while time.time() < deadline:
        if cli(replica.port, "DBSIZE") == str(keys):
            return serving, time.time() - replica.started
        time.sleep(0.05)
    raise RuntimeError("replica not synced within %d s" % limit_s)


def set_ops(port, requests, keys, size):
    r = subprocess.run(["redis-benchmark", "-p", str(port), "-t", "set", "-n", str(requests),
                        "-c", "50", "-d", str(size), "-r", str(keys), "--csv"],
                       capture_output=True, text=True, timeout=900)
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    return float(rows[0]["rps"])


def lag(primary, replica, keys, size, seconds):
    """p50/p99 (ms) of the time a write takes to be readable on the replica, under load."""
    load_proc = subprocess.Popen(["redis-benchmark", "-p", str(primary.port), "-t", "set",
                                  "-n", "100000000", "-c", "20", "-d", str(size), "-r",
                                  str(keys), "-q"], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
    import redis  # python3-redis, installed by setup
    p = redis.Redis(port=primary.port)
    r = redis.Redis(port=replica.port)
    samples = []
    try:
        time.sleep(1)
        end = time.time() + seconds
        i = 0
        while time.time() < end:
            token = "%d:%f" % (i, time.time())
            t0 = time.perf_counter()
            p.set("lag:probe", token)
            while r.get("lag:probe") != token.encode():
                if time.perf_counter() - t0 > 30:
                    raise RuntimeError("probe not replicated within 30 s")
            samples.append((time.perf_counter() - t0) * 1000)
            i += 1
            time.sleep(0.05)
    finally:
        load_proc.terminate()
        load_proc.wait()
    q = statistics.quantiles(samples, n=100)
    return q[49], q[98], len(samples)


def measure(kind, a, tmp):
    primary = Server(kind, tmp, kind + "-primary", a.vellumd)
    replicas = []
    try:
        wait_pong(primary.port, primary.proc)
        load(primary.port, a.keys, a.value_size)
        time.sleep(2)  # the last writes settle (vellumd: the persister's cycle)
        replicas.append(Server(kind, tmp, kind + "-replica1", a.vellumd, primary.port))
        serving, full_sync = wait_synced(replicas[0], a.keys, a.value_size)
        replicas.append(Server(kind, tmp, kind + "-replica2", a.vellumd, primary.port))
        wait_synced(replicas[1], a.keys, a.value_size)
        p50, p99, n = lag(primary, replicas[0], a.keys, a.value_size, a.lag_seconds)
        with_two = [set_ops(primary.port, a.requests, a.keys, a.value_size) for _ in range(a.rounds)]
        for r in replicas:
            r.stop()
        replicas = []
        time.sleep(1)
        without = [set_ops(primary.port, a.requests, a.keys, a.value_size) for _ in range(a.rounds)]
        return dict(serving=serving, full_sync=full_sync, p50=p50, p99=p99, probes=n,
                    with_two=statistics.median(with_two), without=statistics.median(without))
    finally:
        for r in replicas:
            r.stop()
        primary.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keys", type=int, default=1_000_000)
    ap.add_argument("--value-size", type=int, default=1024)
    ap.add_argument("--requests", type=int, default=200_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--lag-seconds", type=int, default=10)
    ap.add_argument("--vellumd", default=os.path.join(HERE, "../build/vellumd"))
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="vellum-replbench-")
    rows = {}
    try:
        for kind in ("vellumd", "redis-server"):
            rows[kind] = measure(kind, a, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d keys x %d B; lag under redis-benchmark SET -c 20; throughput SET -c 50, median of %d"
          % (a.keys, a.value_size, a.rounds))
    print("%-13s %10s %12s %10s %10s %8s %14s %14s %8s" % (
        "server", "serving_s", "in_memory_s", "lag_p50_ms", "lag_p99_ms", "probes",
        "set_ops_2repl", "set_ops_alone", "ratio"))
    for kind, m in rows.items():
        print("%-13s %10.2f %12.2f %10.2f %10.2f %8d %14.0f %14.0f %8.3f" % (
            kind, m["serving"], m["full_sync"], m["p50"], m["p99"], m["probes"], m["with_two"],
            m["without"], m["with_two"] / m["without"]))
    v, r = rows["vellumd"], rows["redis-server"]
    print("ratio full sync time vellumd/redis, serving every key: %.3f" % (
        v["serving"] / r["serving"]))
    print("ratio full sync time vellumd/redis, every key in memory: %.3f" % (
        v["full_sync"] / r["full_sync"]))
    print("ratio lag p99 vellumd/redis: %.3f" % (v["p99"] / r["p99"]))


if __name__ == "__main__":
    main()
