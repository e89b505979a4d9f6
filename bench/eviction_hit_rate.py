#!/usr/bin/env python3
"""Eviction quality: cache hit rate of Vellum and Redis under the same memory limit.

Starts vellumd and redis-server (--save '' --appendonly no) with the same maxmemory and
maxmemory-policy, then drives each with the identical workload from one client: keys drawn
from a Zipf distribution (rank r has weight 1/r^s) over --keys keys; for each batch of
--pipeline keys, one pipelined round of GETs, then one pipelined round of SETs (1 KiB
values) for the keys that missed. The first --warmup requests fill the cache and are not
counted; the hit rate is hits / GETs over the next --requests.

    python3 bench/eviction_hit_rate.py                      # allkeys-lru and allkeys-lfu, 64mb
    python3 bench/eviction_hit_rate.py --policies allkeys-lru --maxmemory 32mb
"""
import argparse
import itertools
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """vellumd or redis-server on a free loopback port, stopped on exit."""

    def __init__(self, kind, vellumd, maxmemory, policy, threads):
        self.kind = kind
        self.port = free_port()
        self.tmp = tempfile.mkdtemp(prefix="vellum-bench-")
        common = ["--port", str(self.port), "--maxmemory", maxmemory,
                  "--maxmemory-policy", policy]
        if kind == "vellum":
            cmd = [vellumd, "--bind", "127.0.0.1", "--dir", os.path.join(self.tmp, "data"),
                   "--server.threads", str(threads)] + common
        else:
            cmd = ["redis-server", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                   "--dir", self.tmp, "--daemonize", "no"] + common
        self.log = open(os.path.join(self.tmp, "log"), "wb")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while True:
            try:
                self.client = Client(self.port)
                if self.client.call(b"PING") == b"PONG":
                    break
            except OSError:
                pass
            if time.time() > deadline or self.proc.poll() is not None:
                raise RuntimeError("%s did not start" % kind)
            time.sleep(0.05)

    def info(self, field):
        text = self.client.call(b"INFO", b"all").decode()
        for line in text.split("\r\n"):
            if line.startswith(field + ":"):
                return line.split(":", 1)[1]
        return None

    def stop(self):
        self.client.close()
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


class Client:
    """A minimal pipelining RESP2 client over one socket."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.buf = bytearray()
        self.pos = 0

    def close(self):
        self.sock.close()

    @staticmethod
    def encode(*args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        return b"".join(out)

    def _fill(self):
        if self.pos > 1 << 20:
            del self.buf[:self.pos]
            self.pos = 0
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("server closed the connection")
        self.buf += chunk

    def _line(self):
        while True:
            end = self.buf.find(b"\r\n", self.pos)
            if end >= 0:
                line = bytes(self.buf[self.pos:end])
                self.pos = end + 2
                return line
            self._fill()

    def reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind in (b"+", b":"):
            return rest
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) - self.pos < n + 2:
                self._fill()
            data = bytes(self.buf[self.pos:self.pos + n])
            self.pos += n + 2
            return data
        raise RuntimeError("unexpected reply %r" % line)

    def call(self, *args):
        self.sock.sendall(self.encode(*args))
        return self.reply()

    def pipeline(self, commands):
        self.sock.sendall(b"".join(self.encode(*c) for c in commands))
        return [self.reply() for _ in commands]


def zipf_requests(keys, s, count, seed):
    """count key indexes drawn from Zipf(s) over keys (index 0 the most popular)."""
    cum = list(itertools.accumulate(1.0 / (r ** s) for r in range(1, keys + 1)))
    rng = random.Random(seed)
    return rng.choices(range(keys), cum_weights=cum, k=count)


def run(server, requests, warmup, value, pipeline):
    """Returns (hits, gets) over the measured part of the workload."""
    c = server.client
    names = {}
    hits = gets = 0
    for base in range(0, len(requests), pipeline):
        batch = requests[base:base + pipeline]
        keys = [names.get(i) or names.setdefault(i, b"key:%d" % i) for i in batch]
        replies = c.pipeline([(b"GET", k) for k in keys])
        misses = [k for k, v in zip(keys, replies) if v is None]
        if misses:
            for r in c.pipeline([(b"SET", k, value) for k in misses]):
                if r != b"OK":
                    raise RuntimeError("SET failed: %r" % r)
        if base >= warmup:
            gets += len(batch)
            hits += len(batch) - len(misses)
    return hits, gets


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--vellumd", default=os.path.join(ROOT, "build", "vellumd"))
    ap.add_argument("--maxmemory", default="64mb")
    ap.add_argument("--vellum-maxmemory", default=None,
                    help="vellumd's limit if not --maxmemory (e.g. to compare at equal key counts)")
    ap.add_argument("--policies", nargs="+", default=["allkeys-lru", "allkeys-lfu"])
    ap.add_argument("--keys", type=int, default=200_000)
    ap.add_argument("--zipf-s", type=float, default=1.0)
    ap.add_argument("--value-size", type=int, default=1024)
    ap.add_argument("--warmup", type=int, default=300_000)
    ap.add_argument("--requests", type=int, default=1_000_000)
    ap.add_argument("--pipeline", type=int, default=100)
    ap.add_argument("--threads", type=int, default=2, help="vellumd worker threads")
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()

    requests = zipf_requests(args.keys, args.zipf_s, args.warmup + args.requests, args.seed)
    value = b"v" * args.value_size
    print("# workload: %d keys x %d B, Zipf s=%.2f, %d warm-up + %d measured GETs "
          "(SET on miss), pipeline %d, maxmemory %s" %
          (args.keys, args.value_size, args.zipf_s, args.warmup, args.requests, args.pipeline,
           args.maxmemory))
    print("# redis: %s" % subprocess.run(["redis-server", "--version"], capture_output=True,
                                          text=True).stdout.strip())
    print("%-14s %-7s %9s %9s %10s %8s" % ("policy", "server", "hit_rate", "keys", "evicted",
                                           "seconds"))
    worse = False
    for policy in args.policies:
        rates = {}
        for kind in ("vellum", "redis"):
            limit = args.vellum_maxmemory if kind == "vellum" and args.vellum_maxmemory else \
                args.maxmemory
            server = Server(kind, args.vellumd, limit, policy, args.threads)
            try:
                t0 = time.time()
                hits, gets = run(server, requests, args.warmup, value, args.pipeline)
                elapsed = time.time() - t0
                keys = int(server.client.call(b"DBSIZE"))
                evicted = server.info("evicted_keys")
            finally:
                server.stop()
            rates[kind] = hits / gets
            print("%-14s %-7s %9.4f %9d %10s %8.1f" % (policy, kind, rates[kind], keys, evicted,
                                                       elapsed), flush=True)
        if rates["vellum"] < rates["redis"]:
            worse = True
    return 1 if worse else 0


if __name__ == "__main__":
    sys.exit(main())
