#!/usr/bin/env python3
"""Restart time: how long after start vellumd and redis-server serve a data set again.

Loads the same N keys of S bytes (default 1,000,000 x 1 KiB) into vellumd (durability
everysec, RocksDB) and into redis-server with an append-only file (appendonly yes,
appendfsync everysec, no RDB preamble, no automatic rewrite: the AOF is the commands as
written), stops both cleanly, starts each again on its data and measures, from the exec
of the process:
  - first_reply: the first PING answered with PONG (redis-server answers -LOADING until
    its AOF is loaded; vellumd answers once RocksDB is open, its warm-up running);
  - first_get: the first GET of a random key answered with its value;
  - all_loaded: every key in memory (redis-server: the first PONG; vellumd: INFO
    vellum_warmup_in_progress:0);
  - GET latency (p50/p99 of 2000 GETs of random keys, one client) while loading (vellumd
    only: most keys are read from RocksDB for the command) and once loaded.
vellumd runs twice: with its background warm-up (the default) and with
storage.warmup before-serving (load everything first, as Redis does).
Then checks DBSIZE and a sample of values. Servers bind 127.0.0.1 on free ports and live
in one temporary directory that is removed at the end.

Usage: python3 bench/restart_time.py [--keys N] [--value-size S] [--vellumd PATH]
"""
import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

import redis

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import cli, free_port, info, load, wait_pong  # noqa: E402


def percentile(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))] if xs else float("nan")


def get_latencies(port, keys, n, until=None):
    """n GETs of random keys; stops early once until() says so. Returns (ms list)."""
    c = redis.Redis(port=port, socket_timeout=60)
    rng = random.Random(11)
    out = []
    for _ in range(n):
        if until is not None and until():
            break
        t = time.perf_counter()
        c.get("key:%07d" % rng.randrange(keys))
        out.append((time.perf_counter() - t) * 1000)
    c.close()
    return out


def stop(proc):
    proc.terminate()
    proc.wait(timeout=300)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keys", type=int, default=1_000_000)
    ap.add_argument("--value-size", type=int, default=1024)
    ap.add_argument("--vellumd", default=os.path.join(os.path.dirname(__file__), "../build/vellumd"))
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="vellum-restart-")
    try:
        vellumd = [a.vellumd, "--bind", "127.0.0.1", "--dir", os.path.join(tmp, "vellum"),
                   "--storage.durability", "everysec"]
        servers = {
            "vellumd": lambda port: vellumd + ["--port", str(port)],
            "vellumd-before-serving": lambda port: vellumd + ["--port", str(port),
                                                              "--storage.warmup", "before-serving"],
            "redis-server": lambda port: ["redis-server", "--bind", "127.0.0.1", "--port", str(port),
                                          "--dir", os.path.join(tmp, "redis"), "--save", "",
                                          "--appendonly", "yes", "--appendfsync", "everysec",
                                          "--aof-use-rdb-preamble", "no",
                                          "--auto-aof-rewrite-percentage", "0"],
        }
        os.makedirs(os.path.join(tmp, "redis"))
        results = {}
        load_s = {}
        for name, argv in servers.items():
            port = free_port()
            log = open(os.path.join(tmp, name + ".log"), "ab")
            if name != "vellumd-before-serving":  # the same data directory as vellumd's
                proc = subprocess.Popen(argv(port), stdout=log, stderr=subprocess.STDOUT)
                wait_pong(port, proc)
                t = time.time()
                load(port, a.keys, a.value_size, compressible=True)
                load_s[name] = time.time() - t
                stop(proc)
            start = time.time()
            proc = subprocess.Popen(argv(port), stdout=log, stderr=subprocess.STDOUT)
            wait_pong(port, proc)
            first = time.time() - start
            c = redis.Redis(port=port, socket_timeout=600)
            probe = random.Random(3).randrange(a.keys)
            while c.get("key:%07d" % probe) is None:  # redis-server: -LOADING is an error
                time.sleep(0.001)
            first_get = time.time() - start
            c.close()

            def loaded():
                return info(port, "persistence").get("vellum_warmup_in_progress", "0") == "0"
            during = get_latencies(port, a.keys, 2000, until=loaded) if name == "vellumd" else []
            while not loaded():
                time.sleep(0.01)
            all_loaded = time.time() - start
            after = get_latencies(port, a.keys, 2000)
            size = int(cli(port, "DBSIZE"))
            sample = random.Random(7).sample(range(a.keys), 100)
            ok = all(cli(port, "STRLEN", "key:%07d" % i) == str(a.value_size) for i in sample)
            stop(proc)
            log.close()
            results[name] = dict(first=first, first_get=first_get, all_loaded=all_loaded,
                                 during=during, after=after, size=size, ok=ok)
        print("# %d keys x %d B, restart after a clean stop (writing the data took: %s)" %
              (a.keys, a.value_size, ", ".join("%s %.1f s" % kv for kv in load_s.items())))
        print("%-23s %9s %9s %10s %16s %16s %8s %6s" % (
            "server", "first_s", "get_s", "loaded_s", "get_ms_loading", "get_ms_loaded",
            "dbsize", "sample"))
        for name, r in results.items():
            during = ("%.2f/%.2f" % (percentile(r["during"], 0.5), percentile(r["during"], 0.99))
                      if r["during"] else "-")
            print("%-23s %9.3f %9.3f %10.3f %16s %16s %8d %6s" % (
                name, r["first"], r["first_get"], r["all_loaded"], during,
                "%.2f/%.2f" % (percentile(r["after"], 0.5), percentile(r["after"], 0.99)),
                r["size"], "ok" if r["ok"] else "BAD"))
        print("(get_ms: p50/p99 of one client's GETs of random keys; while loading: %d GETs)"
              % len(results["vellumd"]["during"]))
        red = results["redis-server"]
        for name in ("vellumd", "vellumd-before-serving"):
            v = results[name]
            print("ratio %s/redis-server: first_reply %.3f, first_get %.3f, all_loaded %.3f" % (
                name, v["first"] / red["first"], v["first_get"] / red["first_get"],
                v["all_loaded"] / red["all_loaded"]))
        if not all(r["ok"] and r["size"] == a.keys for r in results.values()):
            sys.exit(1)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
