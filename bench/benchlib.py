"""What the side-by-side Python benchmarks share: free ports, redis-cli calls, waiting for
a server, loading the same keys into vellumd and redis-server, reading INFO."""
import random
import socket
import subprocess
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli(port, *args, timeout=600):
    return subprocess.run(["redis-cli", "-p", str(port)] + [str(a) for a in args],
                          capture_output=True, text=True, timeout=timeout).stdout.strip()


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


# Values are slices of a random pool, so that neither server can compress them.
POOL = random.Random(42).randbytes(1 << 20)


def value(i, size):
    off = (i * 7919) % (len(POOL) - size)
    return POOL[off:off + size]


def load(port, keys, size, first=0, step=1, compressible=False):
    """SETs key:0000000.. through redis-cli --pipe (the same bytes for both servers)."""
    p = subprocess.Popen(["redis-cli", "-p", str(port), "--pipe"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    fill = b"v" * size
    batch = []
    for i in range(first, keys, step):
        v = fill if compressible else value(i + 1 if step > 1 else i, size)
        batch.append(b"*3\r\n$3\r\nSET\r\n$11\r\nkey:%07d\r\n$%d\r\n%s\r\n" % (i, size, v))
        if len(batch) == 10000:
            p.stdin.write(b"".join(batch))
            batch = []
    p.stdin.write(b"".join(batch))
    p.stdin.close()
    out = p.stdout.read().decode()
    p.wait()
    if "errors: 0" not in out:
        raise RuntimeError("load failed: " + out)


def info(port, section):
    out = {}
    for line in cli(port, "INFO", section).splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            out[k] = v.strip()
    return out
