"""Starts the real vellumd on a free loopback port for integration tests.

Every server gets its own temporary directory (so ctest -j is safe), binds only to
127.0.0.1, and is stopped (SIGTERM, then SIGKILL after a deadline) when the test ends.
"""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

import pytest
import redis

VELLUMD = os.environ.get("VELLUMD", os.path.join(os.path.dirname(__file__), "../../build/vellumd"))
SOURCE_DIR = os.environ.get("VELLUM_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "../.."))


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, seconds=10.0):
    """Polls predicate every 50 ms until it is true (True) or `seconds` pass (False)."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


class Vellumd:
    """One vellumd process. Use as a context manager or call start()/stop()."""

    def __init__(self, *args, config_text=None, threads=2, port=None):
        self.tmp = tempfile.mkdtemp(prefix="vellum-test-")
        self.port = port or free_port()
        self.args = list(args)
        self.config_path = None
        if config_text is not None:
            self.config_path = os.path.join(self.tmp, "vellum.toml")
            with open(self.config_path, "w") as f:
                f.write(config_text)
        self.threads = threads
        self.proc = None
        self.log_path = os.path.join(self.tmp, "vellumd.log")

    def command_line(self):
        cmd = [VELLUMD]
        if self.config_path:
            cmd += ["--config", self.config_path]
        cmd += ["--bind", "127.0.0.1", "--port", str(self.port),
                "--dir", os.path.join(self.tmp, "data"), "--server.threads", str(self.threads)]
        return cmd + self.args

    def start(self, wait=True):
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.command_line(), stdout=self._log, stderr=subprocess.STDOUT,
                                     cwd=self.tmp)
        if wait:
            try:
                self.wait_ready()
            except Exception:
                if self.proc.poll() is None:  # never leave a server behind a failed start
                    self.proc.kill()
                    self.proc.wait()
                raise
        return self

    def wait_ready(self, timeout=10.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("vellumd exited with %s:\n%s" % (self.proc.returncode, self.log()))
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    data = s.recv(64)
                    if data.startswith((b"+PONG", b"-NOAUTH", b"-MASTERDOWN")):
                        return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("vellumd did not become ready:\n" + self.log())

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def client(self, **kw):
        kw.setdefault("socket_timeout", 10)
        return redis.Redis(host="127.0.0.1", port=self.port, **kw)

    def cli(self, *args, stdin=None, resp3=False, timeout=30):
        """Runs redis-cli against this server; returns (returncode, stdout)."""
        cmd = ["redis-cli", "-h", "127.0.0.1", "-p", str(self.port)]
        if resp3:
            cmd.append("-3")
        cmd += [str(a) for a in args]
        p = subprocess.run(cmd, input=stdin, capture_output=True, timeout=timeout)
        return p.returncode, p.stdout.decode(errors="replace")

    def raw(self, payload, read_timeout=2.0, expect_close=False, port=None):
        """Sends raw bytes on a fresh socket (to the RESP port, or `port`) and returns
        everything read until the server closes or read_timeout passes without data."""
        with socket.create_connection(("127.0.0.1", port or self.port), timeout=read_timeout) as s:
            s.sendall(payload)
            chunks = []
            while True:
                try:
                    data = s.recv(65536)
                except socket.timeout:
                    break
                if not data:
                    break
                chunks.append(data)
            return b"".join(chunks)

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        rc = self.proc.returncode
        self._log.close()
        self.proc = None
        return rc

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()


class RespConn:
    """One connection speaking RESP by hand (RESP2 or, after HELLO 3, RESP3): commands out
    as multibulk, replies in one at a time, as exact bytes (read_raw) for tests that
    check Redis's exact texts; subclasses decode them their own way."""

    def __init__(self, port, timeout=5.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def close(self):
        self.sock.close()

    def send(self, *args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.sock.sendall(b"".join(out))

    def _line(self):
        while b"\r\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("closed")
            self.buf += data
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        """n bytes of a bulk body, and its CRLF consumed."""
        while len(self.buf) < n + 2:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("closed")
            self.buf += data
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def read_raw(self):
        """The next reply as raw RESP bytes."""
        line = self._line()
        kind, rest = line[:1], line[1:]
        out = line + b"\r\n"
        if kind in (b"$", b"="):
            n = int(rest)
            if n >= 0:
                out += self._exact(n) + b"\r\n"
        elif kind in (b"*", b"~", b">", b"%", b"|"):
            n = int(rest)
            for _ in range(max(n, 0) * (2 if kind in (b"%", b"|") else 1)):
                out += self.read_raw()
        return out

    def call_raw(self, *args):
        self.send(*args)
        return self.read_raw()


# Blocked clients (BLPOP, BZPOPMIN, ...) on raw connections.

def blocked_clients(cl):
    """INFO clients' blocked_clients, as an int (a client without response callbacks)."""
    info = cl.execute_command("INFO", "clients")
    for line in info.split(b"\r\n"):
        if line.startswith(b"blocked_clients:"):
            return int(line.split(b":", 1)[1])
    raise AssertionError("no blocked_clients in INFO clients: %r" % info)


def reply(conn, seconds=3.0):
    """The next reply on a raw connection, waiting at most `seconds`."""
    conn.sock.settimeout(seconds)
    return conn.read_raw()


def no_reply(conn, seconds=0.3):
    """True if nothing arrives on the connection for `seconds`."""
    conn.sock.settimeout(seconds)
    try:
        data = conn.sock.recv(65536)
    except socket.timeout:
        return True
    conn.buf += data
    return False


def client_id(conn):
    line = conn.call_raw("CLIENT", "ID")
    assert line.startswith(b":")
    return int(line[1:])


class Waiters:
    """Raw connections for blocked clients; every one is closed at the end of the test
    (the `waiters` fixture of conftest.py)."""

    def __init__(self, server, c):
        self.server, self.c, self.conns = server, c, []

    def open(self, resp3=False):
        conn = RespConn(self.server.port, timeout=5.0)
        self.conns.append(conn)
        if resp3:
            assert conn.call_raw("HELLO", "3").startswith(b"%")
        return conn

    def block(self, *args, conn=None, resp3=False):
        """Sends a blocking command and waits until the server counts one more blocked
        client; returns the connection."""
        conn = conn or self.open(resp3)
        before = blocked_clients(self.c)
        conn.send(*args)
        assert wait_for(lambda: blocked_clients(self.c) == before + 1, 3), args
        return conn

    def wait_blocked(self, n):
        assert wait_for(lambda: blocked_clients(self.c) == n, 3), n

    def close_all(self):
        for conn in self.conns:
            conn.close()


def monitor_lines(server, actions, wait=0.3):
    """Runs actions(client) while a MONITOR socket listens; returns its lines after +OK."""
    m = socket.create_connection(("127.0.0.1", server.port), timeout=2)
    try:
        m.sendall(b"MONITOR\r\n")
        assert m.recv(5) == b"+OK\r\n"
        c = server.client()
        actions(c)
        c.close()
        time.sleep(wait)
        m.settimeout(0.3)
        out = b""
        try:
            while True:
                d = m.recv(65536)
                if not d:
                    break
                out += d
        except socket.timeout:
            pass
        return out.decode().split("\r\n")[:-1]
    finally:
        m.close()


def exists(cl, *keys):
    """EXISTS's count for the keys."""
    return cl.execute_command("EXISTS", *keys)


def bulk(value):
    """The RESP bulk string of a value (bytes, str or a number)."""
    value = value if isinstance(value, bytes) else str(value).encode()
    return b"$%d\r\n%s\r\n" % (len(value), value)


def error_of(cl, *args):
    """The error text redis-py raises for a command (without a leading "ERR ")."""
    with pytest.raises(redis.ResponseError) as e:
        cl.execute_command(*args)
    return str(e.value)


def resp3(server, *commands):
    """Sends HELLO 3 then the inline commands on a raw socket; returns the bytes after the
    HELLO reply."""
    payload = b"HELLO 3\r\n" + b"".join(cmd + b"\r\n" for cmd in commands)
    out = server.raw(payload, read_timeout=0.5)
    marker = b"$7\r\nmodules\r\n*0\r\n"
    assert marker in out, out
    return out.split(marker, 1)[1]


def raw2(server, *args):
    """One command's exact RESP2 reply bytes."""
    conn = RespConn(server.port)
    try:
        return conn.call_raw(*args)
    finally:
        conn.close()


def keyevents_during(server, c, action, expected_count):
    """Runs action() with notify-keyspace-events KEA and returns the (event, key) pairs
    published on __keyevent@0__ (waiting at most 2 s for expected_count of them, then a
    further 0.2 s for any extra)."""
    c.execute_command("CONFIG", "SET", "notify-keyspace-events", "KEA")
    sub = server.client()
    try:
        ps = sub.pubsub()
        ps.psubscribe("__keyevent@0__:*")
        assert ps.get_message(timeout=1.0)["type"] == "psubscribe"
        action()
        events, deadline = [], time.time() + 2
        while time.time() < deadline:
            m = ps.get_message(timeout=0.05)
            if m and m["type"] == "pmessage":
                events.append((m["channel"].split(b":", 1)[1], m["data"]))
            if len(events) >= expected_count and deadline - time.time() > 0.2:
                deadline = time.time() + 0.2
        ps.close()
        return events
    finally:
        c.execute_command("CONFIG", "SET", "notify-keyspace-events", "")
        sub.close()


def keyevents(server, c, commands, expected_count):
    """keyevents_during for a list of commands run on c."""
    def run():
        for cmd in commands:
            c.execute_command(*cmd)
    return keyevents_during(server, c, run, expected_count)


def run_threads(targets, timeout=60.0):
    """Starts one thread per callable, joins them all (bounded) and re-raises the first
    exception any of them hit."""
    errors = []

    def wrap(fn):
        def run():
            try:
                fn()
            except BaseException as e:  # noqa: B902 - reported to the test thread
                errors.append(e)
        return run

    threads = [threading.Thread(target=wrap(fn), daemon=True) for fn in targets]
    for t in threads:
        t.start()
    deadline = time.time() + timeout
    for t in threads:
        t.join(timeout=max(0.0, deadline - time.time()))
    assert not any(t.is_alive() for t in threads), "threads did not finish in time"
    if errors:
        raise errors[0]


def pusher(server, command, key, values):
    """A thread body for run_threads: `command key value` for each value, in order, on a
    connection of its own."""
    def run():
        cl = server.client()
        try:
            for v in values:
                cl.execute_command(command, key, v)
        finally:
            cl.close()
    return run


# Replication: a primary and its replica, both Vellumd.
SYNC_S = 60  # above the link's 30 s read timeout, for TSan and a loaded CI


def ask(server, *command):
    """One command on a fresh connection (servers restart under the tests' feet)."""
    c = server.client()
    try:
        return c.execute_command(*command)
    finally:
        c.close()


def digest(server):
    return ask(server, "DEBUG", "DIGEST")


def repl_info(server):
    return ask(server, "INFO", "replication")


def link_up(server):
    try:
        return repl_info(server).get("master_link_status") == "up"
    except redis.RedisError:
        return False


def converged(primary, replica, seconds=SYNC_S):
    """Waits until the replica's link is up and its digest equals the primary's."""
    def same():
        try:
            return link_up(replica) and digest(primary) == digest(replica)
        except redis.RedisError:
            return False
    return wait_for(same, seconds)


def assert_converged(primary, replica, seconds=SYNC_S):
    if not converged(primary, replica, seconds):
        try:
            state = repl_info(replica)
        except redis.RedisError as e:
            state = "unreachable (%s)" % e
        raise AssertionError("replica did not converge; INFO replication %s\n--- replica log:\n%s"
                             "\n--- primary log:\n%s" % (state, replica.log()[-6000:],
                                                         primary.log()[-3000:]))
