#!/usr/bin/env python3
"""Restart time: how long after start vellumd and redis-server serve a data set again.

Loads the same N keys of S bytes (default 1,000,000 x 1 KiB) into vellumd (durability
everysec, RocksDB) and into redis-server with an append-only file (appendonly yes,
appendfsync everysec, no RDB preamble, no automatic rewrite: the AOF is the commands as
written), stops both cleanly, starts each again on its data and measures:
  - first reply: from the exec of the process to the first PING answered with PONG
    (redis-server answers -LOADING until its AOF is loaded; vellumd does not answer
    until its data is loaded);
  - the load time each server logs ("DB loaded from ...").
Then checks DBSIZE and a sample of values on both. Servers bind 127.0.0.1 on free ports
and live in one temporary directory that is removed at the end.

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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import cli, free_port, load, wait_pong  # noqa: E402


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
        servers = {
            "vellumd": lambda port: [a.vellumd, "--bind", "127.0.0.1", "--port", str(port),
                                     "--dir", os.path.join(tmp, "vellum"),
                                     "--storage.durability", "everysec"],
            "redis-server": lambda port: ["redis-server", "--bind", "127.0.0.1", "--port", str(port),
                                          "--dir", os.path.join(tmp, "redis"), "--save", "",
                                          "--appendonly", "yes", "--appendfsync", "everysec",
                                          "--aof-use-rdb-preamble", "no",
                                          "--auto-aof-rewrite-percentage", "0"],
        }
        os.makedirs(os.path.join(tmp, "redis"))
        results = {}
        for name, argv in servers.items():
            port = free_port()
            log = open(os.path.join(tmp, name + ".log"), "ab")
            proc = subprocess.Popen(argv(port), stdout=log, stderr=subprocess.STDOUT)
            wait_pong(port, proc)
            t = time.time()
            load(port, a.keys, a.value_size, compressible=True)
            load_s = time.time() - t
            stop(proc)
            start = time.time()
            proc = subprocess.Popen(argv(port), stdout=log, stderr=subprocess.STDOUT)
            wait_pong(port, proc)
            first = time.time() - start
            size = int(cli(port, "DBSIZE"))
            sample = random.Random(7).sample(range(a.keys), 100)
            ok = all(cli(port, "STRLEN", "key:%07d" % i) == str(a.value_size) for i in sample)
            stop(proc)
            log.close()
            text = open(os.path.join(tmp, name + ".log"), errors="replace").read()
            logged = re.findall(r"DB loaded from [^:]*: .*", text)
            results[name] = (first, size, ok, logged[-1] if logged else "-", load_s)
        print("# %d keys x %d B, restart after a clean stop" % (a.keys, a.value_size))
        print("%-13s %14s %10s %7s  %s" % ("server", "first_reply_s", "dbsize", "sample", "logged"))
        for name, (first, size, ok, logged, load_s) in results.items():
            print("%-13s %14.3f %10d %7s  %s   (writing the data took %.1f s)" %
                  (name, first, size, "ok" if ok else "BAD", logged, load_s))
        v, r = results["vellumd"][0], results["redis-server"][0]
        print("ratio first_reply vellumd/redis-server: %.3f" % (v / r if r else float("nan")))
        if not all(res[2] and res[1] == a.keys for res in results.values()):
            sys.exit(1)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
