#!/usr/bin/env python3
"""Memory given back after churn: Vellum's RSS next to Redis's, through the same phases.

Issue 17's scenario, run once against a fresh vellumd (--storage.durability none) and once
against a fresh redis-server (--save '' --appendonly no), one at a time:
  load     --sets SETs with EX 1 (values of --size bytes) and --hashes HSETs of 5 short fields
  expired  the EX 1 keys have expired and the active cycle has removed them (DBSIZE is
           down to the hashes), plus --settle seconds
  purged   MEMORY PURGE, then half a second
  flushall FLUSHALL, then --settle seconds
For each phase it prints used_memory and the process's VmRSS (MB) and their ratio; the
ratio after FLUSHALL is what a container sized to maxmemory lives or dies by.

    python3 bench/memory_churn.py                       # 1.2M SET EX 1 + 100k HSET
    python3 bench/memory_churn.py --sets 300000 --hashes 20000
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from memory_overhead import call, connect, free_port, resp, server_command, vm_rss  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BATCH = 10_000


def info_field(sock, section, name):
    text = call(sock, resp(b"INFO", section.encode())).decode()
    for line in text.split("\r\n"):
        if line.startswith(name + ":"):
            return line.split(":", 1)[1]
    return ""


def dbsize(sock):
    return int(call(sock, b"DBSIZE\r\n")[1:].strip())


def send_batches(sock, commands, reply_len):
    """Sends the commands BATCH at a time and reads reply_len bytes of reply for each."""
    for base in range(0, len(commands), BATCH):
        chunk = commands[base:base + BATCH]
        sock.sendall(b"".join(chunk))
        want, got = reply_len * len(chunk), 0
        while got < want:
            data = sock.recv(want - got)
            if not data:
                raise ConnectionError("server closed the connection")
            got += len(data)


def churn(sock, sets, hashes, size):
    value = b"x" * size
    for base in range(0, sets, 100_000):  # built in slices: 1.2M commands at once is 200 MB
        n = min(100_000, sets - base)
        send_batches(sock, [resp(b"SET", b"churn:%08d" % i, value, b"EX", b"1")
                            for i in range(base, base + n)], 5)
    send_batches(sock, [resp(b"HSET", b"session:%07d" % i,
                             *[b"%s%d" % (p, f) for f in range(5) for p in (b"field", b"value")])
                        for i in range(hashes)], 4)


def sample(sock, pid):
    used = int(info_field(sock, "memory", "used_memory"))
    return used, vm_rss(pid)


def run(kind, vellumd, threads, args):
    port = free_port()
    tmp = tempfile.mkdtemp(prefix="vellum-churn-")
    cmd = server_command(kind, vellumd, port, tmp, threads)
    rows = []
    with open(os.path.join(tmp, "log"), "wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        try:
            with connect(port, timeout=120) as sock:
                rows.append(("start",) + sample(sock, proc.pid))
                churn(sock, args.sets, args.hashes, args.size)
                rows.append(("load",) + sample(sock, proc.pid))
                deadline = time.time() + args.expiry_limit
                while dbsize(sock) > args.hashes and time.time() < deadline:
                    time.sleep(0.2)
                left = dbsize(sock)
                time.sleep(args.settle)
                rows.append(("expired" if left == args.hashes else "expired(%d left)" % left,)
                            + sample(sock, proc.pid))
                call(sock, b"MEMORY PURGE\r\n")
                time.sleep(0.5)
                rows.append(("purged",) + sample(sock, proc.pid))
                call(sock, b"FLUSHALL\r\n")
                time.sleep(args.settle)
                rows.append(("flushall",) + sample(sock, proc.pid))
                allocator = info_field(sock, "memory", "mem_allocator")
        finally:
            proc.terminate()
            proc.wait(30)
            shutil.rmtree(tmp, ignore_errors=True)
    return rows, allocator


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--vellumd", default=os.path.join(ROOT, "build", "vellumd"))
    ap.add_argument("--sets", type=int, default=1_200_000)
    ap.add_argument("--hashes", type=int, default=100_000)
    ap.add_argument("--size", type=int, default=100, help="bytes per SET value")
    ap.add_argument("--threads", type=int, default=2, help="vellumd worker threads")
    ap.add_argument("--settle", type=float, default=3.0,
                    help="seconds to wait after expiry and after FLUSHALL before sampling")
    ap.add_argument("--expiry-limit", type=float, default=120.0,
                    help="longest wait for the EX 1 keys to be removed")
    args = ap.parse_args()
    print("# %d SET EX 1 of %d B + %d HSET of 5 fields; settle %.1f s; %s" % (
        args.sets, args.size, args.hashes, args.settle,
        subprocess.run(["redis-server", "--version"], capture_output=True,
                       text=True).stdout.strip()))
    print("%-7s %-10s %-18s %12s %10s %10s" % ("server", "allocator", "phase", "used_MB",
                                               "rss_MB", "rss/used"))
    for kind in ("vellum", "redis"):
        rows, allocator = run(kind, args.vellumd, args.threads, args)
        for phase, used, rss in rows:
            print("%-7s %-10s %-18s %12.1f %10.1f %10.2f" % (
                kind, allocator[:10], phase, used / 1e6, rss / 1e6, rss / used if used else 0),
                flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
