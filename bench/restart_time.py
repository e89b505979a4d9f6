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
import socket
import subprocess
import sys
import tempfile
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ping(port):
    """PING's first reply line, or None when nothing answers."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(64)
    except OSError:
        return None


def wait_pong(port, proc, limit_s=600):
    start = time.time()
    while time.time() - start < limit_s:
        if proc.poll() is not None:
            raise RuntimeError("server exited with %s" % proc.returncode)
        r = ping(port)
        if r and r.startswith(b"+PONG"):
            return
        time.sleep(0.005)
    raise RuntimeError("no PONG within %d s" % limit_s)


def load(port, keys, value_size):
    """SETs key:0000000.. through redis-cli --pipe (the same bytes for both servers)."""
    value = b"v" * value_size
    p = subprocess.Popen(["redis-cli", "-p", str(port), "--pipe"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    batch = []
    for i in range(keys):
        batch.append(b"*3\r\n$3\r\nSET\r\n$11\r\nkey:%07d\r\n$%d\r\n%s\r\n" % (i, value_size, value))
        if len(batch) == 10000:
            p.stdin.write(b"".join(batch))
            batch = []
    p.stdin.write(b"".join(batch))
    p.stdin.close()
    out = p.stdout.read().decode()
    p.wait()
    if "errors: 0" not in out:
        raise RuntimeError("load failed: " + out)


def cli(port, *args):
    return subprocess.run(["redis-cli", "-p", str(port)] + [str(a) for a in args],
                          capture_output=True, text=True, timeout=60).stdout.strip()


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
            load(port, a.keys, a.value_size)
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
