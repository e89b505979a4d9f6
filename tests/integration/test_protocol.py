"""Wire-level behaviour of vellumd: RESP2/RESP3, inline commands, pipelining, large and
binary values, malformed input, many clients."""
import socket
import threading
import time

import pytest
import redis



def read_replies(sock, count, timeout=20.0):
    """Reads until `count` complete top-level RESP2 simple replies (+, -, :, $) arrived."""
    sock.settimeout(timeout)
    buf = b""
    seen = 0
    pos = 0
    deadline = time.time() + timeout
    while seen < count and time.time() < deadline:
        data = sock.recv(1 << 20)
        if not data:
            break
        buf += data
        while True:
            nl = buf.find(b"\r\n", pos)
            if nl < 0:
                break
            t = buf[pos:pos + 1]
            if t == b"$":
                n = int(buf[pos + 1:nl])
                end = nl + 2 + (n + 2 if n >= 0 else 0)
                if len(buf) < end:
                    break
                pos = end
            else:
                pos = nl + 2
            seen += 1
    return seen, buf


def test_inline_ping(server):
    assert server.raw(b"PING\r\n", read_timeout=0.5).startswith(b"+PONG\r\n")


def test_inline_command_with_quotes(server, r):
    out = server.raw(b'SET "inline key" \'a b\'\r\nGET "inline key"\r\n', read_timeout=0.5)
    assert out == b"+OK\r\n$3\r\na b\r\n"


def test_unknown_command_error_text(r):
    with pytest.raises(redis.ResponseError) as e:
        r.execute_command("NOSUCH", "a", "b")
    assert str(e.value) == "unknown command 'NOSUCH', with args beginning with: 'a' 'b' "


def test_wrong_arity_error_text(r):
    with pytest.raises(redis.ResponseError, match=r"^wrong number of arguments for 'get' command$"):
        r.execute_command("GET")


def test_command_names_are_case_insensitive(r):
    assert r.execute_command("pInG") is True or r.execute_command("pInG") == b"PONG"


def test_10000_pipelined_commands_answer_in_order(server):
    n = 10000
    payload = b"".join(b"*3\r\n$3\r\nSET\r\n$6\r\npipe:k\r\n$%d\r\n%d\r\n" % (len(str(i)), i)
                       for i in range(n))
    payload += b"*2\r\n$3\r\nGET\r\n$6\r\npipe:k\r\n"
    with socket.create_connection(("127.0.0.1", server.port)) as s:
        s.sendall(payload)
        seen, buf = read_replies(s, n + 1)
    assert seen == n + 1
    assert buf.startswith(b"+OK\r\n" * 100)
    assert buf.endswith(b"$4\r\n9999\r\n")


def test_redis_py_pipeline_of_10000(r):
    p = r.pipeline(transaction=False)
    for i in range(10000):
        p.set(b"pp:%d" % i, i)
    p.get(b"pp:9999")
    out = p.execute()
    assert out[:-1] == [True] * 10000
    assert out[-1] == b"9999"


def test_64mib_value_round_trip(r):
    value = (b"0123456789abcdef" * 4096) * 1024  # 64 MiB
    assert len(value) == 64 * 1024 * 1024
    assert r.set(b"big", value) is True
    got = r.get(b"big")
    assert got == value
    assert r.strlen(b"big") == len(value)


def test_binary_keys_and_values(r):
    key = bytes(range(256))
    value = b"\x00\r\n\xff" * 1000
    r.set(key, value)
    assert r.get(key) == value
    assert r.exists(key) == 1


def test_redis_cli_set_get(server):
    assert server.cli("SET", "cli:k", "hello world") == (0, "OK\n")
    assert server.cli("GET", "cli:k") == (0, "hello world\n")


@pytest.mark.parametrize("payload,error", [
    (b"*1\r\n+PING\r\n", b"-ERR Protocol error: expected '$', got '+'\r\n"),
    (b"*1\r\n$-3\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    (b"*1\r\n$abc\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    (b"*2147483648\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
    (b"*x\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
    (b"*1\r\n$600000000\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    (b'SET "abc\r\n', b"-ERR Protocol error: unbalanced quotes in request\r\n"),
    (b"x" * 70000, b"-ERR Protocol error: too big inline request\r\n"),
])
def test_malformed_input_gets_protocol_error_and_close(server, payload, error):
    # raw() returns when the server closes the socket (or after the timeout if it didn't).
    t0 = time.time()
    out = server.raw(payload, read_timeout=5.0)
    assert out == error
    assert time.time() - t0 < 4.0, "the server did not close the connection"


def test_commands_before_a_protocol_error_are_answered(server):
    out = server.raw(b"PING\r\n*1\r\n+x\r\nPING\r\n", read_timeout=5.0)
    assert out == b"+PONG\r\n-ERR Protocol error: expected '$', got '+'\r\n"


def test_malformed_client_does_not_disturb_a_good_one(server):
    good = server.client()
    good.set("good:k", "v")
    stop = threading.Event()
    errors = []

    def bad_clients():
        payloads = [b"*1\r\n+x\r\n", b"*-9\r\n$\r\n", b"\x00\xff*\r\n$-1\r\n", b'"unterminated\r\n',
                    b"*3\r\n$3\r\nSET\r\n$1000000\r\nabc"]
        i = 0
        while not stop.is_set() and i < 200:
            try:
                with socket.create_connection(("127.0.0.1", server.port), timeout=1) as s:
                    s.sendall(payloads[i % len(payloads)])
                    s.settimeout(0.2)
                    try:
                        s.recv(100)
                    except socket.timeout:
                        pass
            except OSError as e:
                errors.append(e)
            i += 1

    t = threading.Thread(target=bad_clients)
    t.start()
    try:
        for i in range(300):
            assert good.get("good:k") == b"v"
            assert good.incr("good:counter") == i + 1
    finally:
        stop.set()
        t.join(timeout=30)
    assert good.ping()
    assert server.proc.poll() is None


def test_50_concurrent_clients(server):
    results = {}

    def worker(n):
        c = server.client()
        for i in range(100):
            c.set("c50:%d:%d" % (n, i), "%d-%d" % (n, i))
        results[n] = all(c.get("c50:%d:%d" % (n, i)) == b"%d-%d" % (n, i) for i in range(100))
        c.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == 50 and all(results.values())


def test_resp3_hello_and_reply_types(server):
    out = server.raw(b"HELLO 3\r\nGET resp3:missing\r\nPING\r\n", read_timeout=0.5)
    assert out.startswith(b"%7\r\n$6\r\nserver\r\n")
    assert b"$5\r\nproto\r\n:3\r\n" in out
    assert out.endswith(b"_\r\n+PONG\r\n")


def test_resp2_null_bulk(server):
    assert server.raw(b"GET resp2:missing\r\n", read_timeout=0.5) == b"$-1\r\n"


def test_hello_rejects_unknown_protocol(server):
    assert server.raw(b"HELLO 4\r\n", read_timeout=0.5) == b"-NOPROTO unsupported protocol version\r\n"


def test_hello_setname(server):
    out = server.raw(b"HELLO 2 SETNAME myapp\r\nCLIENT GETNAME\r\n", read_timeout=0.5)
    assert out.startswith(b"*14\r\n")


def test_redis_cli_resp3(server):
    server.cli("SET", "r3", "v")
    assert server.cli("GET", "r3", resp3=True) == (0, "v\n")


def test_select_and_databases(r):
    r.set("dbk", "zero")
    r.execute_command("SELECT", 1)
    assert r.get("dbk") is None
    with pytest.raises(redis.ResponseError, match="^DB index is out of range$"):
        r.execute_command("SELECT", 16)
    with pytest.raises(redis.ResponseError, match="^value is not an integer or out of range$"):
        r.execute_command("SELECT", "x")
    r.execute_command("SELECT", 0)
    assert r.get("dbk") == b"zero"


def test_quit_closes_after_ok(server):
    assert server.raw(b"QUIT\r\nPING\r\n", read_timeout=2.0) == b"+OK\r\n"


def test_echo_and_ping_message(r):
    assert r.echo(b"a\x00b") == b"a\x00b"
    # redis-py maps every PING reply to a bool, so check the bulk on the wire.
    with socket.create_connection(("127.0.0.1", r.connection_pool.connection_kwargs["port"])) as s:
        s.sendall(b"PING hi\r\n")
        assert s.recv(100) == b"$2\r\nhi\r\n"
    with pytest.raises(redis.ResponseError, match="wrong number of arguments for 'ping'"):
        r.execute_command("PING", "a", "b")


def test_reset(server):
    out = server.raw(b"SELECT 3\r\nHELLO 3\r\nRESET\r\nGET x\r\n", read_timeout=0.5)
    assert out.endswith(b"+RESET\r\n$-1\r\n")
