#!/usr/bin/env python3
"""Snapshots side by side: vellumd's SNAPSHOT CREATE against redis-server's BGSAVE.

Loads the same N keys of S bytes (default 1,000,000 x 1 KiB; values are slices of a
random pool, so neither server can compress them) into each server in turn and measures:
  - first snapshot: wall time from the request to the snapshot being complete (vellumd:
    SNAPSHOT CREATE's reply; redis: BGSAVE until rdb_bgsave_in_progress is 0) and size
    (vellumd: the snapshot's total_bytes; redis: dump.rdb);
  - second snapshot after overwriting 1% of the keys: time and added size (vellumd shares
    unchanged table files; redis writes a whole new RDB). vellumd's first snapshot is taken
    once RocksDB's compactions of the load have settled (up to 120 s: INFO's
    vellum_rocksdb_compactions_running and _compaction_pending_bytes at 0); a compaction
    between the two snapshots rewrites table files the first one holds, and the second then
    adds them again (--no-settle shows that case);
  - p99 of GET/SET (redis-benchmark, -c 50, 1 KiB values) without a snapshot, and again
    while snapshots run back to back for the whole benchmark;
  - vellumd only: `vellumctl snapshot restore` and `drill` times.
vellumd runs with storage.durability everysec; redis-server with appendonly yes,
appendfsync everysec and no automatic AOF rewrite (like for like: both persist every write; redis's RDB is the
snapshot). Both bind 127.0.0.1 on free ports in one temporary directory, removed at the
end. One server runs at a time (the machine has 2 cores).

Usage: python3 bench/snapshot_time.py [--keys N] [--value-size S] [--requests R]
"""
import argparse
import csv
import io
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from benchlib import cli, free_port, info, load, wait_pong  # noqa: E402


def p99(port, requests, keys, size):
    """p99 (ms) of SET and GET from redis-benchmark's CSV."""
    r = subprocess.run(["redis-benchmark", "-p", str(port), "-t", "set,get", "-n", str(requests),
                        "-c", "50", "-d", str(size), "-r", str(keys), "--csv"],
                       capture_output=True, text=True, timeout=900)
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    return {row["test"]: float(row["p99_latency_ms"]) for row in rows}


class Background:
    """Runs fn in a loop on a thread until stopped; counts the runs."""

    def __init__(self, fn):
        self.fn, self.runs, self.stop = fn, 0, threading.Event()
        self.thread = threading.Thread(target=self.loop)

    def loop(self):
        while not self.stop.is_set():
            self.fn()
            self.runs += 1

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def settle(port, limit_s=120):
    """Waits until vellumd's RocksDB has no compaction running or pending; returns the
    seconds waited."""
    t = time.time()
    while time.time() - t < limit_s:
        p = info(port, "persistence")
        if p["vellum_rocksdb_compactions_running"] == "0" and \
                p["vellum_rocksdb_compaction_pending_bytes"] == "0":
            break
        time.sleep(0.5)
    return time.time() - t


def vellum_snapshot(port):
    t = time.time()
    sid = int(cli(port, "SNAPSHOT", "CREATE"))
    took = time.time() - t
    f = cli(port, "SNAPSHOT", "INFO", sid).splitlines()
    m = dict(zip(f[::2], f[1::2]))
    return took, int(m["total_bytes"]), int(m["added_bytes"]), sid


def redis_bgsave(port, rdb):
    t = time.time()
    reply = cli(port, "BGSAVE")
    if "started" not in reply:
        raise RuntimeError("BGSAVE: " + reply)
    while info(port, "persistence").get("rdb_bgsave_in_progress") != "0":
        time.sleep(0.01)
    took = time.time() - t
    size = os.path.getsize(rdb)
    return took, size, size, 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keys", type=int, default=1_000_000)
    ap.add_argument("--value-size", type=int, default=1024)
    ap.add_argument("--requests", type=int, default=200_000)
    ap.add_argument("--vellumd", default=os.path.join(HERE, "../build/vellumd"))
    ap.add_argument("--vellumctl", default=os.path.join(HERE, "../build/vellumctl"))
    ap.add_argument("--no-settle", action="store_true",
                    help="take the first snapshot 2 s after the load, compactions or not")
    ap.add_argument("--vellum-args", default="", help="extra vellumd flags, e.g. "
                    "'--storage.min-blob-size 1024'")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="vellum-snapbench-")
    rows = {}
    settle_s = None
    try:
        for name in ("vellumd", "redis-server"):
            port = free_port()
            d = os.path.join(tmp, name)
            os.makedirs(d)
            if name == "vellumd":
                argv = [a.vellumd, "--bind", "127.0.0.1", "--port", str(port), "--dir", d,
                        "--storage.durability", "everysec", "--server.threads", "2"]
                argv += a.vellum_args.split()
                snap = lambda: vellum_snapshot(port)  # noqa: E731
            else:
                argv = ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--dir", d,
                        "--save", "", "--appendonly", "yes", "--appendfsync", "everysec",
                        # no AOF rewrite: its fork would refuse BGSAVE and muddle the p99
                        "--auto-aof-rewrite-percentage", "0"]
                snap = lambda: redis_bgsave(port, os.path.join(d, "dump.rdb"))  # noqa: E731
            log = open(os.path.join(tmp, name + ".log"), "ab")
            proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
            try:
                wait_pong(port, proc)
                load(port, a.keys, a.value_size)
                time.sleep(2)  # let the last writes settle (vellumd: the persister's cycle)
                if name == "vellumd" and not a.no_settle:
                    settle_s = settle(port)
                first = snap()
                load(port, a.keys, a.value_size, first=0, step=100)  # 1% of the keys
                second = snap()
                quiet = p99(port, a.requests, a.keys, a.value_size)
                with Background(snap) as bg:
                    busy = p99(port, a.requests, a.keys, a.value_size)
                rows[name] = dict(first=first, second=second, quiet=quiet, busy=busy, runs=bg.runs)
                last_sid = second[3]
            finally:
                proc.terminate()
                proc.wait(timeout=300)
                log.close()
            if name == "vellumd":
                snapdir = os.path.join(d, "snapshots")
                t = time.time()
                subprocess.run([a.vellumctl, "snapshot", "restore", str(last_sid), "--to",
                                os.path.join(tmp, "restored"), "--snapshot-dir", snapdir],
                               check=True, capture_output=True)
                rows[name]["restore"] = time.time() - t
                t = time.time()
                subprocess.run([a.vellumctl, "snapshot", "drill", str(last_sid), "--snapshot-dir",
                                snapdir], check=True, capture_output=True)
                rows[name]["drill"] = time.time() - t
                shutil.rmtree(os.path.join(tmp, "restored"), ignore_errors=True)
            shutil.rmtree(d, ignore_errors=True)

        mb = 1 << 20
        print("# %d keys x %d B; vellumd everysec vs redis-server appendfsync everysec"
              % (a.keys, a.value_size))
        print("%-13s %9s %9s %10s %10s %11s %11s %11s %11s %5s" %
              ("server", "snap1_s", "snap1_MB", "snap2_s", "snap2+_MB", "p99set_ms",
               "p99set_busy", "p99get_ms", "p99get_busy", "snaps"))
        for name, r in rows.items():
            print("%-13s %9.2f %9.1f %10.2f %10.1f %11.3f %11.3f %11.3f %11.3f %5d" %
                  (name, r["first"][0], r["first"][1] / mb, r["second"][0], r["second"][2] / mb,
                   r["quiet"]["SET"], r["busy"]["SET"], r["quiet"]["GET"], r["busy"]["GET"],
                   r["runs"]))
        v, rd = rows["vellumd"], rows["redis-server"]
        print("ratio snapshot time vellumd/redis: first %.3f, second %.3f" %
              (v["first"][0] / rd["first"][0], v["second"][0] / rd["second"][0]))
        print("ratio added size of the second snapshot vellumd/redis: %.3f" %
              (v["second"][2] / rd["second"][2]))
        for name, r in rows.items():
            print("%s p99 during/without snapshots: SET %.2fx, GET %.2fx" %
                  (name, r["busy"]["SET"] / r["quiet"]["SET"], r["busy"]["GET"] / r["quiet"]["GET"]))
        print("vellumd restore %.2f s, drill %.2f s" % (v["restore"], v["drill"]))
        print("vellumd's compactions settled %s" % ("%.1f s after the load" % settle_s
                                                      if settle_s is not None else "not awaited"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
