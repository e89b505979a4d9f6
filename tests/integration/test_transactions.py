"""MULTI / EXEC / DISCARD / WATCH / UNWATCH with Redis 7.0's replies, checked on the wire
where redis-py would hide the shape, plus isolation and optimistic locking under load."""
import socket
import threading
import time

import pytest
import redis

from vellum_harness import Vellumd


def encode(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


class Raw:
    """A raw RESP connection: send commands, read whole replies back as raw bytes."""

    def __init__(self, port, timeout=5.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def close(self):
        self.sock.close()

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("closed")
        self.buf += data

    def _line(self, pos):
        while True:
            end = self.buf.find(b"\r\n", pos)
            if end >= 0:
                return end
            self._fill()

    def _reply_end(self, pos):
        end = self._line(pos)
        kind, body = self.buf[pos:pos + 1], self.buf[pos + 1:end]
        pos = end + 2
        if kind in (b"+", b"-", b":", b"_", b",", b"#", b"("):
            return pos
        n = int(body)
        if kind in (b"$", b"=", b"!"):
            if n < 0:
                return pos
            while len(self.buf) < pos + n + 2:
                self._fill()
            return pos + n + 2
        if n < 0:
            return pos
        if kind == b"%":
            n *= 2
        for _ in range(n):
            pos = self._reply_end(pos)
        return pos

    def read(self):
        end = self._reply_end(0)
        reply, self.buf = self.buf[:end], self.buf[end:]
        return reply

    def call(self, *cmds):
        """Sends every command (each a tuple) at once; returns one raw reply per command."""
        self.sock.sendall(b"".join(encode(*c) for c in cmds))
        return [self.read() for _ in cmds]

    def closed_by_server(self, timeout=2.0):
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(1) == b""
        except socket.timeout:
            return False


@pytest.fixture
def raw(server, r):
    c = Raw(server.port)
    yield c
    c.close()


@pytest.fixture
def raw2(server, r):
    c = Raw(server.port)
    yield c
    c.close()


# ---- MULTI / EXEC / DISCARD basics ----

def test_multi_exec_returns_array_of_replies(raw):
    assert raw.call(("MULTI",), ("SET", "a", "1"), ("INCR", "a"), ("GET", "a"), ("EXEC",)) == [
        b"+OK\r\n", b"+QUEUED\r\n", b"+QUEUED\r\n", b"+QUEUED\r\n",
        b"*3\r\n+OK\r\n:2\r\n$1\r\n2\r\n"]


def test_empty_transaction_returns_empty_array(raw):
    assert raw.call(("MULTI",), ("EXEC",)) == [b"+OK\r\n", b"*0\r\n"]


def test_queued_commands_do_not_run_before_exec(raw, r):
    assert raw.call(("MULTI",), ("SET", "k", "v")) == [b"+OK\r\n", b"+QUEUED\r\n"]
    assert r.get("k") is None
    assert raw.call(("EXEC",)) == [b"*1\r\n+OK\r\n"]
    assert r.get("k") == b"v"


def test_nested_multi_is_an_error_that_does_not_abort(raw):
    assert raw.call(("MULTI",), ("MULTI",), ("PING",), ("EXEC",)) == [
        b"+OK\r\n", b"-ERR MULTI calls can not be nested\r\n", b"+QUEUED\r\n",
        b"*1\r\n+PONG\r\n"]


def test_exec_without_multi(raw):
    assert raw.call(("EXEC",)) == [b"-ERR EXEC without MULTI\r\n"]


def test_discard_without_multi(raw):
    assert raw.call(("DISCARD",)) == [b"-ERR DISCARD without MULTI\r\n"]


def test_watch_inside_multi_is_an_error_that_does_not_abort(raw):
    assert raw.call(("MULTI",), ("WATCH", "x"), ("PING",), ("EXEC",)) == [
        b"+OK\r\n", b"-ERR WATCH inside MULTI is not allowed\r\n", b"+QUEUED\r\n",
        b"*1\r\n+PONG\r\n"]


def test_discard_drops_queued_commands(raw, r):
    assert raw.call(("MULTI",), ("SET", "z", "1"), ("DISCARD",), ("GET", "z"), ("EXEC",)) == [
        b"+OK\r\n", b"+QUEUED\r\n", b"+OK\r\n", b"$-1\r\n", b"-ERR EXEC without MULTI\r\n"]
    assert r.get("z") is None


def test_unknown_command_in_multi_aborts_exec(raw, r):
    assert raw.call(("MULTI",), ("SET", "x", "1"), ("FOO", "bar"), ("EXEC",)) == [
        b"+OK\r\n", b"+QUEUED\r\n",
        b"-ERR unknown command 'FOO', with args beginning with: 'bar' \r\n",
        b"-EXECABORT Transaction discarded because of previous errors.\r\n"]
    assert r.get("x") is None


def test_wrong_arity_in_multi_aborts_exec(raw, r):
    assert raw.call(("MULTI",), ("SET", "x"), ("SET", "y", "1"), ("EXEC",), ("EXEC",)) == [
        b"+OK\r\n", b"-ERR wrong number of arguments for 'set' command\r\n", b"+QUEUED\r\n",
        b"-EXECABORT Transaction discarded because of previous errors.\r\n",
        b"-ERR EXEC without MULTI\r\n"]
    assert r.get("y") is None


def test_runtime_error_inside_exec_is_a_per_command_reply(raw, r):
    r.set("s", "abc")
    assert raw.call(("MULTI",), ("INCR", "s"), ("SET", "y", "2"), ("EXEC",)) == [
        b"+OK\r\n", b"+QUEUED\r\n", b"+QUEUED\r\n",
        b"*2\r\n-ERR value is not an integer or out of range\r\n+OK\r\n"]
    assert r.get("y") == b"2"


def test_exec_with_arguments_reports_execabort_reason(raw, r):
    assert raw.call(("EXEC", "x")) == [
        b"-EXECABORT Transaction discarded because of: "
        b"wrong number of arguments for 'exec' command\r\n"]
    # Inside MULTI it discards the transaction too.
    assert raw.call(("MULTI",), ("SET", "x", "1"), ("exec", "x"), ("EXEC",)) == [
        b"+OK\r\n", b"+QUEUED\r\n",
        b"-EXECABORT Transaction discarded because of: "
        b"wrong number of arguments for 'exec' command\r\n",
        b"-ERR EXEC without MULTI\r\n"]
    assert r.get("x") is None


def test_wrong_arity_of_transaction_commands(raw):
    assert raw.call(("MULTI", "x"), ("DISCARD", "x"), ("WATCH",), ("UNWATCH", "x")) == [
        b"-ERR wrong number of arguments for 'multi' command\r\n",
        b"-ERR wrong number of arguments for 'discard' command\r\n",
        b"-ERR wrong number of arguments for 'watch' command\r\n",
        b"-ERR wrong number of arguments for 'unwatch' command\r\n"]


def test_quit_inside_multi_closes_and_discards(server, r):
    c = Raw(server.port)
    try:
        assert c.call(("MULTI",), ("SET", "qq", "1"), ("QUIT",)) == [
            b"+OK\r\n", b"+QUEUED\r\n", b"+OK\r\n"]
        assert c.closed_by_server()
    finally:
        c.close()
    assert r.get("qq") is None


def test_reset_inside_multi_discards(raw, r):
    assert raw.call(("MULTI",), ("SET", "rr", "1"), ("RESET",), ("EXEC",), ("GET", "rr")) == [
        b"+OK\r\n", b"+QUEUED\r\n", b"+RESET\r\n", b"-ERR EXEC without MULTI\r\n", b"$-1\r\n"]
    assert r.get("rr") is None


def test_select_inside_multi_applies_to_later_queued_commands(raw, r):
    assert raw.call(("MULTI",), ("SELECT", "1"), ("SET", "w", "1"), ("SELECT", "0"),
                    ("GET", "w"), ("EXEC",))[-1] == b"*4\r\n+OK\r\n+OK\r\n+OK\r\n$-1\r\n"
    r.execute_command("SELECT", "1")
    assert r.get("w") == b"1"


def test_unwatch_inside_multi_is_queued(raw):
    assert raw.call(("MULTI",), ("UNWATCH",), ("EXEC",)) == [
        b"+OK\r\n", b"+QUEUED\r\n", b"*1\r\n+OK\r\n"]


def test_keyspace_walking_commands_inside_exec(raw, r):
    r.set("pre", "1")
    replies = raw.call(("MULTI",), ("SET", "a", "1"), ("DBSIZE",), ("KEYS", "a"),
                       ("SCAN", "0", "MATCH", "nomatch*"), ("RANDOMKEY",), ("EXEC",))
    assert replies[-1].startswith(b"*5\r\n+OK\r\n:2\r\n*1\r\n$1\r\na\r\n*2\r\n")


def test_flushall_and_swapdb_inside_exec(raw, r):
    r.set("a", "1")
    assert raw.call(("MULTI",), ("FLUSHALL",), ("SET", "b", "2"), ("SWAPDB", "0", "1"),
                    ("EXEC",))[-1] == b"*3\r\n+OK\r\n+OK\r\n+OK\r\n"
    assert r.get("a") is None and r.get("b") is None
    r.execute_command("SELECT", "1")
    assert r.get("b") == b"2"


def test_hello3_inside_exec_switches_protocol_mid_array(raw):
    replies = raw.call(("MULTI",), ("HELLO", "3"), ("EXEC",), ("HELLO", "2"))
    assert replies[2].startswith(b"*1\r\n%7\r\n")


def test_command_info_of_transaction_commands(raw):
    watch, exec_ = raw.call(("COMMAND", "INFO", "watch"), ("COMMAND", "INFO", "exec"))
    assert watch.startswith(
        b"*1\r\n*10\r\n$5\r\nwatch\r\n:-2\r\n*5\r\n+noscript\r\n+loading\r\n+stale\r\n"
        b"+fast\r\n+allow_busy\r\n:1\r\n:-1\r\n:1\r\n")
    assert exec_.startswith(
        b"*1\r\n*10\r\n$4\r\nexec\r\n:1\r\n*4\r\n+noscript\r\n+loading\r\n+stale\r\n"
        b"+skip_slowlog\r\n:0\r\n:0\r\n:0\r\n")


# ---- redis-py pipelines ----

def test_redis_py_transaction_pipeline(rd):
    with rd.pipeline(transaction=True) as p:
        p.set("a", "1").incr("a").get("a").mget("a", "nokey")
        assert p.execute() == [True, 2, "2", ["2", None]]


def test_redis_py_transaction_pipeline_raises_the_runtime_error(rd):
    rd.set("s", "abc")
    with rd.pipeline(transaction=True) as p:
        p.set("y", "1").incr("s").set("z", "1")
        with pytest.raises(redis.ResponseError, match="not an integer"):
            p.execute()
    assert rd.get("y") == "1" and rd.get("z") == "1"


def test_redis_py_transaction_pipeline_without_raising(rd):
    rd.set("s", "abc")
    with rd.pipeline(transaction=True) as p:
        p.incr("s").set("z", "1")
        res = p.execute(raise_on_error=False)
    assert isinstance(res[0], redis.ResponseError) and res[1] is True


def test_redis_py_watch_aborts_with_watch_error(server, rd):
    rd.set("k", "1")
    other = server.client(decode_responses=True)
    try:
        with rd.pipeline() as p:
            p.watch("k")
            assert p.get("k") == "1"
            other.set("k", "2")
            p.multi()
            p.set("k", "3")
            with pytest.raises(redis.WatchError):
                p.execute()
    finally:
        other.close()
    assert rd.get("k") == "2"


# ---- WATCH ----

def test_watch_key_modified_by_another_client_aborts(raw, raw2, r):
    r.set("k", "1")
    assert raw.call(("WATCH", "k")) == [b"+OK\r\n"]
    assert raw2.call(("SET", "k", "2")) == [b"+OK\r\n"]
    assert raw.call(("MULTI",), ("SET", "k", "3"), ("EXEC",)) == [
        b"+OK\r\n", b"+QUEUED\r\n", b"*-1\r\n"]
    assert r.get("k") == b"2"


def test_watch_abort_reply_is_resp3_null(raw, raw2):
    raw.call(("HELLO", "3"))
    raw.call(("WATCH", "k"))
    raw2.call(("SET", "k", "2"))
    assert raw.call(("MULTI",), ("PING",), ("EXEC",)) == [b"+OK\r\n", b"+QUEUED\r\n", b"_\r\n"]


def test_watch_untouched_key_executes(raw):
    assert raw.call(("WATCH", "x", "y"), ("WATCH", "k"), ("MULTI",), ("PING",), ("EXEC",))[-1] == \
        b"*1\r\n+PONG\r\n"


def test_watch_own_write_before_multi_aborts(raw):
    assert raw.call(("SET", "k", "1"), ("WATCH", "k"), ("SET", "k", "2"), ("MULTI",),
                    ("PING",), ("EXEC",))[-1] == b"*-1\r\n"


def test_watch_write_of_same_value_aborts(raw):
    assert raw.call(("SET", "k", "1"), ("WATCH", "k"), ("SET", "k", "1"), ("MULTI",),
                    ("PING",), ("EXEC",))[-1] == b"*-1\r\n"


def test_watch_read_does_not_abort(raw):
    assert raw.call(("SET", "k", "1"), ("WATCH", "k"), ("GET", "k"), ("EXISTS", "k"),
                    ("MULTI",), ("PING",), ("EXEC",))[-1] == b"*1\r\n+PONG\r\n"


def test_watch_delete_of_missing_key_does_not_abort(raw):
    assert raw.call(("WATCH", "m"), ("DEL", "m"), ("MULTI",), ("PING",), ("EXEC",))[-1] == \
        b"*1\r\n+PONG\r\n"


def test_watch_delete_aborts(raw, raw2, r):
    r.set("k", "1")
    raw.call(("WATCH", "k"))
    raw2.call(("DEL", "k"))
    assert raw.call(("MULTI",), ("PING",), ("EXEC",))[-1] == b"*-1\r\n"


def test_watch_creation_of_missing_key_aborts(raw, raw2):
    raw.call(("WATCH", "new"))
    raw2.call(("SET", "new", "1"))
    assert raw.call(("MULTI",), ("PING",), ("EXEC",))[-1] == b"*-1\r\n"


def test_watch_expire_command_aborts(raw, raw2, r):
    r.set("k", "1")
    raw.call(("WATCH", "k"))
    raw2.call(("EXPIRE", "k", "100"))
    assert raw.call(("MULTI",), ("PING",), ("EXEC",))[-1] == b"*-1\r\n"


def test_watch_same_key_in_another_db_does_not_abort(raw, raw2):
    raw.call(("WATCH", "k"))
    raw2.call(("SELECT", "1"), ("SET", "k", "1"))
    assert raw.call(("MULTI",), ("PING",), ("EXEC",))[-1] == b"*1\r\n+PONG\r\n"


def test_watch_in_selected_db(raw, raw2):
    raw.call(("SELECT", "3"), ("WATCH", "k"), ("SELECT", "0"))
    raw2.call(("SELECT", "3"), ("SET", "k", "1"))
    assert raw.call(("MULTI",), ("PING",), ("EXEC",))[-1] == b"*-1\r\n"


def test_watch_abort_by_expiry(raw):
    raw.call(("SET", "e", "1", "PX", "50"), ("WATCH", "e"))
    deadline = time.time() + 2.0
    while time.time() < deadline:
        ttl = raw.call(("PTTL", "e"))[0]
        if ttl in (b":-2\r\n",):
            break
        time.sleep(0.02)
    assert raw.call(("MULTI",), ("PING",), ("EXEC",))[-1] == b"*-1\r\n"


def test_watch_abort_by_expiry_not_yet_deleted(raw):
    # PX 50 then EXEC right after it expires: nothing may have deleted the key yet (the
    # active cycle samples), and EXEC must still see it as changed.
    raw.call(("SET", "e2", "1", "PX", "50"), ("WATCH", "e2"), ("MULTI",), ("PING",))
    time.sleep(0.06)
    assert raw.call(("EXEC",)) == [b"*-1\r\n"]


def test_watch_of_key_already_expired_is_no_change(raw):
    raw.call(("SET", "gone", "1", "PX", "1"))
    time.sleep(0.02)
    assert raw.call(("WATCH", "gone"), ("GET", "gone"), ("MULTI",), ("PING",), ("EXEC",)) == [
        b"+OK\r\n", b"$-1\r\n", b"+OK\r\n", b"+QUEUED\r\n", b"*1\r\n+PONG\r\n"]


def test_watch_abort_by_flushall(raw, raw2, r):
    r.set("k", "1")
    raw.call(("WATCH", "k"))
    raw2.call(("FLUSHALL",))
    assert raw.call(("MULTI",), ("PING",), ("EXEC",))[-1] == b"*-1\r\n"


def test_watch_abort_by_flushdb(raw, raw2, r):
    r.set("k", "1")
    raw.call(("WATCH", "k"))
    raw2.call(("FLUSHDB", "ASYNC"))
    assert raw.call(("MULTI",), ("PING",), ("EXEC",))[-1] == b"*-1\r\n"


def test_flushall_of_missing_watched_key_does_not_abort(raw, raw2):
    raw.call(("WATCH", "nokey"))
    raw2.call(("FLUSHALL",))
    assert raw.call(("MULTI",), ("PING",), ("EXEC",))[-1] == b"*1\r\n+PONG\r\n"


def test_flushdb_of_another_db_does_not_abort(raw, raw2, r):
    r.set("k", "1")
    raw.call(("WATCH", "k"))
    raw2.call(("SELECT", "1"), ("FLUSHDB",))
    assert raw.call(("MULTI",), ("PING",), ("EXEC",))[-1] == b"*1\r\n+PONG\r\n"


def test_watch_abort_by_swapdb(raw, raw2, r):
    r.set("k", "1")
    raw.call(("WATCH", "k"))
    raw2.call(("SWAPDB", "0", "1"))
    assert raw.call(("MULTI",), ("PING",), ("EXEC",))[-1] == b"*-1\r\n"


def test_watch_dirty_and_queueing_error_gives_execabort(raw, raw2):
    raw.call(("WATCH", "k"))
    raw2.call(("SET", "k", "1"))
    assert raw.call(("MULTI",), ("NOSUCH",), ("EXEC",))[-1] == \
        b"-EXECABORT Transaction discarded because of previous errors.\r\n"


def test_exec_clears_watches(raw, raw2):
    raw.call(("WATCH", "k"), ("MULTI",), ("EXEC",))
    raw2.call(("SET", "k", "5"))
    assert raw.call(("MULTI",), ("PING",), ("EXEC",))[-1] == b"*1\r\n+PONG\r\n"


def test_aborted_exec_clears_watches(raw, raw2):
    raw.call(("WATCH", "k"))
    raw2.call(("SET", "k", "5"))
    assert raw.call(("MULTI",), ("EXEC",))[-1] == b"*-1\r\n"
    raw2.call(("SET", "k", "6"))
    assert raw.call(("MULTI",), ("PING",), ("EXEC",))[-1] == b"*1\r\n+PONG\r\n"


def test_discard_clears_watches(raw, raw2):
    raw.call(("WATCH", "k"), ("MULTI",), ("DISCARD",))
    raw2.call(("SET", "k", "5"))
    assert raw.call(("MULTI",), ("PING",), ("EXEC",))[-1] == b"*1\r\n+PONG\r\n"


def test_unwatch_clears_watches_and_dirty_flag(raw, raw2):
    raw.call(("WATCH", "k"))
    raw2.call(("SET", "k", "5"))
    assert raw.call(("UNWATCH",), ("MULTI",), ("PING",), ("EXEC",)) == [
        b"+OK\r\n", b"+OK\r\n", b"+QUEUED\r\n", b"*1\r\n+PONG\r\n"]


def test_reset_clears_watches(raw, raw2):
    raw.call(("WATCH", "k"), ("RESET",))
    raw2.call(("SET", "k", "5"))
    assert raw.call(("MULTI",), ("PING",), ("EXEC",))[-1] == b"*1\r\n+PONG\r\n"


def test_exec_without_multi_keeps_watches(raw, raw2):
    raw.call(("WATCH", "k"), ("EXEC",))
    raw2.call(("SET", "k", "5"))
    assert raw.call(("MULTI",), ("PING",), ("EXEC",))[-1] == b"*-1\r\n"


def test_disconnected_watchers_are_dropped(server, r):
    # Clients that watch and vanish (with and without MULTI) must leave nothing behind that
    # a later write could touch; the server stays healthy.
    for i in range(50):
        c = Raw(server.port)
        c.call(("WATCH", "k", "k%d" % i))
        if i % 2:
            c.call(("MULTI",), ("SET", "k", "x"))
        c.close()
    deadline = time.time() + 5
    for i in range(200):
        r.set("k", i)
        r.set("k%d" % (i % 50), i)
        assert time.time() < deadline
    assert r.ping()


# ---- atomicity under load (threads=2 server) ----

def test_transactions_are_isolated_under_load(server, r):
    r.mset({"a": 0, "b": 0})
    writers_done = threading.Event()
    errors = []
    reads = [0]

    def writer():
        c = server.client()
        try:
            for _ in range(300):
                with c.pipeline(transaction=True) as p:
                    p.incr("a").incr("b")
                    x, y = p.execute()
                    if x != y:
                        errors.append(("writer", x, y))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
        finally:
            c.close()

    def reader():
        c = server.client()
        try:
            deadline = time.time() + 60
            while not writers_done.is_set() and time.time() < deadline:
                with c.pipeline(transaction=True) as p:
                    a, b = p.get("a").get("b").execute()
                    reads[0] += 1
                    if a != b:
                        errors.append(("reader", a, b))
        except Exception as e:  # noqa: BLE001
            errors.append(e)
        finally:
            c.close()

    writers = [threading.Thread(target=writer) for _ in range(8)]
    readers = [threading.Thread(target=reader) for _ in range(4)]
    for t in readers + writers:
        t.start()
    for t in writers:
        t.join(timeout=120)
    writers_done.set()
    for t in readers:
        t.join(timeout=120)
    assert not errors, errors[:5]
    assert reads[0] > 0
    assert r.get("a") == b"2400" and r.get("b") == b"2400"


def test_optimistic_lock_loop_counts_exactly(server, r):
    r.set("counter", 0)
    errors = []
    attempts = [0]
    lock = threading.Lock()

    def worker():
        c = server.client()
        try:
            deadline = time.time() + 60
            done = 0
            tries = 0
            while done < 100 and tries < 20000 and time.time() < deadline:
                tries += 1
                with c.pipeline() as p:
                    try:
                        p.watch("counter")
                        v = int(p.get("counter"))
                        p.multi()
                        p.set("counter", v + 1)
                        p.execute()
                        done += 1
                    except redis.WatchError:
                        continue
            with lock:
                attempts[0] += tries
            if done != 100:
                errors.append(("incomplete", done, tries))
        except Exception as e:  # noqa: BLE001
            errors.append(e)
        finally:
            c.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors[:5]
    assert r.get("counter") == b"800"
    assert attempts[0] >= 800


# ---- authentication ----

def test_exec_refused_by_noauth_reports_execabort_reason():
    with Vellumd("--requirepass", "pw") as s:
        c = Raw(s.port)
        try:
            assert c.call(("EXEC",), ("MULTI",)) == [
                b"-EXECABORT Transaction discarded because of: NOAUTH Authentication required.\r\n",
                b"-NOAUTH Authentication required.\r\n"]
        finally:
            c.close()
