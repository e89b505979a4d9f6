#!/usr/bin/env python3
"""Per-key memory of Vellum next to Redis's, measured the same way in the same run.

For each value size (default 1024 B and 32 B) starts a fresh vellumd and a fresh
redis-server (--save '' --appendonly no), loads the same --keys keys (key:0000000 ..,
11-byte names) through raw pipelined sockets (vellumd with --storage.durability none
unless --durability says otherwise), and prints
(used_memory_after - used_memory_before) / keys for both, plus the same for the
process's resident set (VmRSS). The servers run one at a time, so the peak is one data set.

    python3 bench/memory_overhead.py                 # 1,000,000 keys of 1 KiB and of 32 B
    python3 bench/memory_overhead.py --keys 100000 --sizes 100
    python3 bench/memory_overhead.py --keys 100000 --sizes 32 --shapes hash5 set5 list5 list100 zset5 zset100
"""
import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BATCH = 10_000


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def vm_rss(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def call(sock, payload):
    sock.sendall(payload)
    data = b""
    while not data.endswith(b"\r\n") or (data.startswith(b"$") and data.count(b"\r\n") < 2):
        data += sock.recv(1 << 20)
    if data.startswith(b"$"):
        n = int(data[1:data.index(b"\r\n")])
        while len(data) < data.index(b"\r\n") + 2 + n + 2:
            data += sock.recv(1 << 20)
    return data


def used_memory(sock):
    text = call(sock, b"INFO memory\r\n").decode()
    for line in text.split("\r\n"):
        if line.startswith("used_memory:"):
            return int(line.split(":")[1])
    raise RuntimeError("no used_memory in INFO")


def resp(*words):
    return b"*%d\r\n" % len(words) + b"".join(b"$%d\r\n%s\r\n" % (len(w), w) for w in words)


# Shapes besides plain strings: the command that builds one key, and its reply's length.
# Five short fields or elements, as a session, a tag index or a recent-items list holds.
SHAPES = {
    "hash5": (lambda k: resp(b"HSET", k, *[b"%s%d" % (p, i) for i in range(5)
                                             for p in (b"field", b"value")]), 4),
    "set5": (lambda k: resp(b"SADD", k, *[b"member%d" % i for i in range(5)]), 4),
    "list5": (lambda k: resp(b"RPUSH", k, *[b"element%d" % i for i in range(5)]), 4),
    "list100": (lambda k: resp(b"RPUSH", k, *[b"element%d" % i for i in range(100)]), 6),
    # A Laravel cache tag or a small leaderboard: member -> score (a timestamp-like number).
    "zset5": (lambda k: resp(b"ZADD", k, *[w for i in range(5)
                                           for w in (b"%d" % (1733400000 + i), b"member%d" % i)]), 4),
    "zset100": (lambda k: resp(b"ZADD", k, *[w for i in range(100)
                                             for w in (b"%d" % (1733400000 + i), b"member%d" % i)]), 6),
}


def load(sock, keys, size, shape="string"):
    value = b"x" * size
    for base in range(0, keys, BATCH):
        n = min(BATCH, keys - base)
        if shape == "string":
            sock.sendall(b"".join(b"*3\r\n$3\r\nSET\r\n$11\r\nkey:%07d\r\n$%d\r\n%s\r\n" %
                                  (i, size, value) for i in range(base, base + n)))
            want = 5 * n
        else:
            build, reply_len = SHAPES[shape]
            sock.sendall(b"".join(build(b"key:%07d" % i) for i in range(base, base + n)))
            want = reply_len * n
        got = 0
        while got < want:
            chunk = sock.recv(want - got)
            if not chunk:
                raise ConnectionError("server closed the connection")
            got += len(chunk)


def server_command(kind, vellumd, port, tmp, threads, durability="none"):
    """The command line of a fresh vellumd or redis-server, memory only, on port."""
    if kind == "vellum":
        return [vellumd, "--bind", "127.0.0.1", "--port", str(port), "--dir",
                os.path.join(tmp, "data"), "--server.threads", str(threads),
                "--storage.durability", durability]
    return ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "",
            "--appendonly", "no", "--dir", tmp, "--daemonize", "no"]


def connect(port, limit_s=10, timeout=60):
    """A socket to the server on port, retried while it starts."""
    deadline = time.time() + limit_s
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=timeout)
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.05)


def measure(kind, vellumd, keys, size, threads, shape="string", durability="none"):
    port = free_port()
    tmp = tempfile.mkdtemp(prefix="vellum-mem-")
    cmd = server_command(kind, vellumd, port, tmp, threads, durability)
    with open(os.path.join(tmp, "log"), "wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        try:
            with connect(port) as sock:
                used0, rss0 = used_memory(sock), vm_rss(proc.pid)
                t0 = time.time()
                load(sock, keys, size, shape)
                elapsed = time.time() - t0
                used1, rss1 = used_memory(sock), vm_rss(proc.pid)
        finally:
            proc.terminate()
            proc.wait(30)
            shutil.rmtree(tmp, ignore_errors=True)
    return (used1 - used0) / keys, (rss1 - rss0) / keys, elapsed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--vellumd", default=os.path.join(ROOT, "build", "vellumd"))
    ap.add_argument("--keys", type=int, default=1_000_000)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1024, 32])
    ap.add_argument("--threads", type=int, default=2, help="vellumd worker threads")
    ap.add_argument("--durability", default="none",
                    help="vellumd's storage.durability (none: memory of the data structures "
                         "alone, as Redis without persistence; RocksDB's memtables count in "
                         "used_memory otherwise)")
    ap.add_argument("--shapes", nargs="+", default=[], choices=sorted(SHAPES),
                    help="also measure keys of these shapes (the size column then says 0)")
    args = ap.parse_args()
    print("# %d keys (11-byte names) per run; %s" % (
        args.keys, subprocess.run(["redis-server", "--version"], capture_output=True,
                                  text=True).stdout.strip()))
    print("%-6s %-7s %14s %14s %8s" % ("value", "server", "used_mem/key", "rss/key", "load_s"))
    for size in args.sizes:
        for kind in ("vellum", "redis"):
            per_key, rss_per_key, elapsed = measure(kind, args.vellumd, args.keys, size,
                                                    args.threads, durability=args.durability)
            print("%-6d %-7s %14.1f %14.1f %8.1f" % (size, kind, per_key, rss_per_key, elapsed),
                  flush=True)
    for shape in args.shapes:
        for kind in ("vellum", "redis"):
            per_key, rss_per_key, elapsed = measure(kind, args.vellumd, args.keys, 0,
                                                    args.threads, shape, args.durability)
            print("%-7s %-7s %13.1f %14.1f %8.1f" % (shape, kind, per_key, rss_per_key, elapsed),
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
