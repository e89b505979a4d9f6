"""Start-up, configuration, limits and shutdown of the real vellumd process."""
import os
import signal
import socket
import subprocess
import threading
import time

import pytest
import redis

from vellum_harness import VELLUMD, Vellumd, free_port


def wait_until(fn, timeout=4.0, step=0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if fn():
            return True
        time.sleep(step)
    return fn()


def test_sigterm_stops_cleanly():
    with Vellumd() as s:
        s.client().set("k", "v")
        assert s.stop(signal.SIGTERM) == 0
        assert "ready to exit" in s.log()


def test_sigint_stops_cleanly():
    with Vellumd() as s:
        assert s.stop(signal.SIGINT) == 0


def test_shutdown_command_finishes_pipelined_replies():
    with Vellumd() as s:
        out = s.raw(b"SET a 1\r\nGET a\r\nSHUTDOWN\r\n", read_timeout=5.0)
        assert out == b"+OK\r\n$1\r\n1\r\n"
        s.proc.wait(timeout=10)
        assert s.proc.returncode == 0


def test_embedded_defaults_start_without_config_file():
    # No --config: the embedded defaults apply (here only the port is overridden).
    port = free_port()
    tmp = Vellumd()  # only for its temp dir
    try:
        p = subprocess.Popen([VELLUMD, "--port", str(port)], cwd=tmp.tmp,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            c = redis.Redis(host="127.0.0.1", port=port, socket_timeout=5)
            assert wait_until(lambda: _pings(c), timeout=10)
            assert c.config_get("bind")["bind"] == "127.0.0.1"
            assert os.path.isdir(os.path.join(tmp.tmp, "data"))
        finally:
            p.terminate()
            assert p.wait(timeout=10) == 0
    finally:
        tmp.cleanup()


def _pings(c):
    try:
        return c.ping()
    except redis.ConnectionError:
        return False


def test_bad_config_file_stops_startup_with_file_line_and_reason():
    s = Vellumd(config_text="[server]\nthreads = 2\nport = 70000\n")
    try:
        p = subprocess.run([VELLUMD, "--config", s.config_path], capture_output=True, timeout=10)
        assert p.returncode != 0
        err = p.stderr.decode()
        assert s.config_path + ":3:" in err, err
        assert "server.port" in err and "70000" in err, err
    finally:
        s.cleanup()


def test_unknown_config_key_is_refused():
    s = Vellumd(config_text="[server]\nprot = 7000\n")
    try:
        p = subprocess.run([VELLUMD, s.config_path], capture_output=True, timeout=10)
        assert p.returncode != 0
        assert s.config_path + ":2:" in p.stderr.decode()
    finally:
        s.cleanup()


def test_bad_flag_is_refused():
    p = subprocess.run([VELLUMD, "--port", "notaport"], capture_output=True, timeout=10)
    assert p.returncode != 0
    assert "--port" in p.stderr.decode()


def test_config_file_values_apply():
    s = Vellumd(config_text='[memory]\nmaxmemory = "10mb"\n\n[slowlog]\nmax-len = 7\n')
    with s:
        c = s.client(decode_responses=True)
        assert c.config_get("maxmemory")["maxmemory"] == str(10 * 1024 * 1024)
        assert c.config_get("slowlog-max-len")["slowlog-max-len"] == "7"


def test_requirepass():
    with Vellumd("--requirepass", "s3cret") as s:
        c = s.client()
        with pytest.raises(redis.AuthenticationError):
            c.get("k")
        out = s.raw(b"GET k\r\nAUTH wrong\r\nAUTH s3cret\r\nGET k\r\n", read_timeout=0.5)
        assert out == (b"-NOAUTH Authentication required.\r\n"
                       b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
                       b"+OK\r\n$-1\r\n")
        authed = s.client(password="s3cret")
        assert authed.set("k", "v")
        hello = s.raw(b"HELLO 3 AUTH default s3cret\r\nGET k\r\n", read_timeout=0.5)
        assert hello.startswith(b"%7") and hello.endswith(b"$1\r\nv\r\n")
        assert s.raw(b"QUIT\r\n", read_timeout=0.5) == b"+OK\r\n"


def test_auth_without_password_configured(server):
    out = server.raw(b"AUTH foo\r\n", read_timeout=0.5)
    assert out.startswith(b"-ERR AUTH <password> called without any password configured")


def _connect_when_slot_free(s, deadline_s=5.0):
    """The readiness probe's connection frees its slot only once its worker has seen the
    close, which may be after the next accept on another worker; wait for that, bounded."""
    deadline = time.time() + deadline_s
    while True:
        c = s.client()
        try:
            c.ping()
            return c
        except redis.exceptions.ConnectionError as e:
            c.close()
            if "max number of clients" not in str(e) or time.time() > deadline:
                raise
            time.sleep(0.02)


def test_maxclients_flag():
    with Vellumd("--maxclients", "2") as s:
        a = _connect_when_slot_free(s)
        b = _connect_when_slot_free(s)
        # The rejection is written at accept; send nothing, or the unread request would
        # turn the server's close into a reset before the error is read.
        out = s.raw(b"", read_timeout=2.0)
        assert out == b"-ERR max number of clients reached\r\n"
        a.close()
        b.close()


def test_idle_timeout_closes_client():
    with Vellumd("--timeout", "1") as s:
        with socket.create_connection(("127.0.0.1", s.port)) as sock:
            sock.sendall(b"PING\r\n")
            assert sock.recv(100) == b"+PONG\r\n"
            sock.settimeout(5)
            t0 = time.time()
            assert sock.recv(100) == b""  # closed by the server
            assert time.time() - t0 < 4.5


def test_output_buffer_limit_disconnects_a_client_that_never_reads():
    with Vellumd("--server.output-buffer-limit", "2mb") as s:
        c = s.client()
        c.set("big", b"x" * 100_000)
        # Ask for ~400 MB of replies and never read them.
        sock = socket.create_connection(("127.0.0.1", s.port))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        req = b"*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n" * 4000
        try:
            sock.sendall(req)
        except OSError:
            pass
        assert wait_until(lambda: "output buffer limits" in s.log(), timeout=10), s.log()
        info = c.info("stats")
        assert info.get("client_output_buffer_limit_disconnections", 0) >= 1
        assert c.ping()  # everyone else is fine
        sock.close()


def test_unix_socket():
    s = Vellumd()
    path = os.path.join(s.tmp, "vellum.sock")
    s.args += ["--unixsocket", path, "--unixsocketperm", "700"]
    with s:
        p = subprocess.run(["redis-cli", "-s", path, "PING"], capture_output=True, timeout=10)
        assert p.stdout == b"PONG\n"
        c = redis.Redis(unix_socket_path=path)
        c.set("u", "1")
        assert s.client().get("u") == b"1"


def test_clients_spread_over_workers():
    # With SO_REUSEPORT each worker accepts on its own socket; many connections must
    # all be served (they land on different workers).
    with Vellumd(threads=2) as s:
        clients = [s.client() for _ in range(20)]
        for i, c in enumerate(clients):
            assert c.incr("spread") == i + 1
        for c in clients:
            c.close()


def test_requirepass_set_at_runtime_keeps_connected_clients_authenticated():
    with Vellumd() as s:
        a = s.client()
        a.config_set("requirepass", "later")
        assert a.set("k", "v")  # connected before the password: still in, as Redis
        out = s.raw(b"GET k\r\n", read_timeout=0.5)
        assert out == b"-NOAUTH Authentication required.\r\n"


def test_half_closed_client_gets_every_reply():
    # Exactly 64 KiB of pipelined commands fills the read buffer, so libuv reads on and
    # finds the end of stream in the same loop iteration that runs them; the replies are
    # still sent before the connection closes (as redis-cli --pipe or `nc -N` expect).
    with Vellumd() as s:
        ping = b"*1\r\n$4\r\nPING\r\n"
        pings = 4000
        head = ping * pings
        # SET pad <value> sized so the whole request is 65536 bytes.
        room = 65536 - len(head) - len(b"*3\r\n$3\r\nSET\r\n$3\r\npad\r\n$\r\n\r\n")
        n = room - len(str(room))
        assert len(str(n)) == len(str(room))
        req = head + b"*3\r\n$3\r\nSET\r\n$3\r\npad\r\n$%d\r\n%s\r\n" % (n, b"x" * n)
        assert len(req) == 65536
        sock = socket.create_connection(("127.0.0.1", s.port))
        sock.settimeout(10)
        sock.sendall(req)
        sock.shutdown(socket.SHUT_WR)
        out = b""
        while True:
            chunk = sock.recv(1 << 16)
            if not chunk:
                break
            out += chunk
        sock.close()
        assert out == b"+PONG\r\n" * pings + b"+OK\r\n"


def test_pipelining_client_that_reads_slowly_is_paused_not_disconnected():
    # Each 64 KiB read of GETs asks for ~12 MB of 4 KiB replies. Reading stops as soon as
    # the unsent replies pass the pause threshold (4 MiB), within the read that crossed
    # it, so a slow reader stays far below the 48 MB limit and gets everything.
    with Vellumd("--server.output-buffer-limit", "48mb") as s:
        c = s.client()
        c.set("v", b"x" * 4096)
        get = b"*2\r\n$3\r\nGET\r\n$1\r\nv\r\n"
        count = (4 << 20) // len(get)  # 4 MiB of requests, ~780 MB of replies
        reply = b"$4096\r\n" + b"x" * 4096 + b"\r\n"
        sock = socket.create_connection(("127.0.0.1", s.port))
        sock.settimeout(30)
        sender = threading.Thread(target=lambda: sock.sendall(get * count), daemon=True)
        sender.start()
        time.sleep(1.0)  # the server has read what it will before pausing
        assert c.info("stats").get("client_output_buffer_limit_disconnections", 0) == 0
        received = 0
        deadline = time.time() + 60
        while received < count * len(reply) and time.time() < deadline:
            chunk = sock.recv(1 << 20)
            assert chunk, "disconnected at %d of %d bytes" % (received, count * len(reply))
            received += len(chunk)
        sender.join(timeout=10)
        sock.close()
        assert received == count * len(reply)
        assert c.info("stats").get("client_output_buffer_limit_disconnections", 0) == 0
