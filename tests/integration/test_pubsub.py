"""Pub/Sub against the real vellumd (two worker threads): SUBSCRIBE / PSUBSCRIBE / PUBLISH
replies and messages, RESP2 subscribed mode, RESP3 pushes between normal replies, PUBSUB
introspection, publish order across connections, and cleanup on disconnect.

Connections are spread over the workers by the kernel (SO_REUSEPORT); tests that need
subscribers on both workers open many connections. Every wait is bounded."""
import threading
import time

import pytest
import redis

from vellum_harness import RespConn

ONLY_PUBSUB = ("only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in "
               "this context")


class Raw(RespConn):
    """A raw RESP2/RESP3 connection: send commands, read decoded replies one at a time."""

    def __init__(self, server, timeout=5.0):
        super().__init__(server.port, timeout)

    def call(self, *args):
        self.send(*args)
        return self.read()

    def read(self):
        """Returns the next reply; pushes come back as ("push", [...]), errors as
        ("err", text), nulls as None."""
        line = self._line()
        t, rest = line[:1], line[1:]
        if t in (b"+",):
            return rest.decode()
        if t == b"-":
            return ("err", rest.decode())
        if t == b":":
            return int(rest)
        if t == b"_":
            return None
        if t == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n).decode()
        if t in (b"*", b">", b"~"):
            n = int(rest)
            if n < 0:
                return None
            items = [self.read() for _ in range(n)]
            return ("push", items) if t == b">" else items
        if t == b"%":
            n = int(rest)
            return {self.read(): self.read() for _ in range(n)}
        raise AssertionError("unexpected reply type %r" % line)


@pytest.fixture
def raw(server):
    conns = []

    def make():
        c = Raw(server)
        conns.append(c)
        return c

    yield make
    for c in conns:
        c.close()


def next_message(p, timeout=5.0):
    """The next message (not a subscription reply) of a redis-py PubSub, within timeout."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        m = p.get_message(timeout=0.1)
        if m is not None and m["type"] in ("message", "pmessage"):
            return m
    return None


def wait_numsub(r, channel, want, timeout=5.0):
    deadline = time.time() + timeout
    got = None
    while time.time() < deadline:
        got = r.execute_command("PUBSUB", "NUMSUB", channel)[1]
        if got == want:
            return got
        time.sleep(0.02)
    return got


def wait_for(fn, want, timeout=5.0):
    """Polls fn() until it returns want (subscriptions of closed connections go away
    asynchronously); returns the last value."""
    deadline = time.time() + timeout
    got = fn()
    while got != want and time.time() < deadline:
        time.sleep(0.02)
        got = fn()
    return got


def test_subscribe_replies_once_per_channel_with_running_count(raw):
    c = raw()
    c.send("SUBSCRIBE", "a", "b", "a")
    assert c.read() == ["subscribe", "a", 1]
    assert c.read() == ["subscribe", "b", 2]
    assert c.read() == ["subscribe", "a", 2]


def test_subscribe_without_channel_is_an_arity_error(raw):
    c = raw()
    assert c.call("SUBSCRIBE") == ("err", "ERR wrong number of arguments for 'subscribe' command")
    assert c.call("PUBLISH", "a") == ("err", "ERR wrong number of arguments for 'publish' command")


def test_publish_reaches_subscribers_on_every_worker(server, r):
    clients, subs = [], []
    try:
        for _ in range(12):
            c = server.client(decode_responses=True)
            p = c.pubsub()
            p.subscribe("fanout")
            clients.append(c)
            subs.append(p)
        assert wait_numsub(r, "fanout", 12) == 12
        assert r.publish("fanout", "hello") == 12
        for p in subs:
            m = next_message(p)
            assert m is not None and m["channel"] == "fanout" and m["data"] == "hello"
    finally:
        for p in subs:
            p.close()
        for c in clients:
            c.close()


def test_publish_without_subscribers_returns_zero(r):
    assert r.publish("nobody-listens", "x") == 0


def test_psubscribe_delivers_pmessage_with_pattern(server, r):
    c = server.client(decode_responses=True)
    p = c.pubsub()
    try:
        p.psubscribe("news.*")
        p.subscribe("news.tech")
        assert wait_numsub(r, "news.tech", 1) == 1
        assert r.publish("news.tech", "m1") == 2
        got = [next_message(p), next_message(p)]
        assert {m["type"] for m in got} == {"message", "pmessage"}
        pm = next(m for m in got if m["type"] == "pmessage")
        assert (pm["pattern"], pm["channel"], pm["data"]) == ("news.*", "news.tech", "m1")
        assert r.publish("sports.x", "m2") == 0
    finally:
        p.close()
        c.close()


def test_pattern_uses_redis_glob(raw, r):
    c = raw()
    c.send("PSUBSCRIBE", "h?llo", "x[ae]y", r"lit\*")
    for _ in range(3):
        c.read()
    assert r.publish("hello", "1") == 1
    assert r.publish("xey", "2") == 1
    assert r.publish("lit*", "3") == 1
    assert r.publish("litx", "4") == 0
    assert c.read() == ["pmessage", "h?llo", "hello", "1"]
    assert c.read() == ["pmessage", "x[ae]y", "xey", "2"]
    assert c.read() == ["pmessage", r"lit\*", "lit*", "3"]


def test_unsubscribe_without_arguments_leaves_every_channel(raw):
    c = raw()
    c.send("SUBSCRIBE", "a", "b")
    c.read(), c.read()
    c.send("UNSUBSCRIBE")
    got = [c.read(), c.read()]
    assert sorted(x[1] for x in got) == ["a", "b"]
    assert [x[0] for x in got] == ["unsubscribe", "unsubscribe"]
    assert [x[2] for x in got] == [1, 0]
    assert c.call("GET", "k") is None  # back to normal mode


def test_unsubscribe_when_subscribed_to_nothing_replies_nil(raw):
    c = raw()
    assert c.call("UNSUBSCRIBE") == ["unsubscribe", None, 0]
    assert c.call("PUNSUBSCRIBE") == ["punsubscribe", None, 0]


def test_unsubscribe_counts_patterns_too(raw):
    c = raw()
    assert c.call("PSUBSCRIBE", "p*") == ["psubscribe", "p*", 1]
    assert c.call("UNSUBSCRIBE") == ["unsubscribe", None, 1]
    assert c.call("UNSUBSCRIBE", "never") == ["unsubscribe", "never", 1]
    assert c.call("PUNSUBSCRIBE", "p*") == ["punsubscribe", "p*", 0]


def test_resp2_subscribed_mode_rejects_other_commands(raw):
    c = raw()
    c.call("SUBSCRIBE", "a")
    assert c.call("GET", "x") == ("err", "ERR Can't execute 'get': " + ONLY_PUBSUB)
    assert c.call("CLIENT", "LIST") == ("err", "ERR Can't execute 'client|list': " + ONLY_PUBSUB)
    assert c.call("PUBSUB", "NUMPAT") == ("err", "ERR Can't execute 'pubsub|numpat': " + ONLY_PUBSUB)
    assert c.call("PSUBSCRIBE", "x*") == ["psubscribe", "x*", 2]


def test_ping_in_resp2_subscribed_mode_replies_pong_array(raw):
    c = raw()
    c.call("SUBSCRIBE", "a")
    assert c.call("PING") == ["pong", ""]
    assert c.call("PING", "hi") == ["pong", "hi"]


def test_reset_leaves_subscribed_mode(raw, r):
    c = raw()
    c.call("SUBSCRIBE", "a")
    assert c.call("RESET") == "RESET"
    assert c.call("GET", "x") is None
    assert wait_numsub(r, "a", 0) == 0


def test_resp3_subscriber_runs_commands_and_receives_pushes(raw, r):
    c = raw()
    hello = c.call("HELLO", "3")
    assert hello["proto"] == 3
    assert c.call("SUBSCRIBE", "ch") == ("push", ["subscribe", "ch", 1])
    assert c.call("SET", "k", "v") == "OK"
    assert r.publish("ch", "first") == 1
    assert c.read() == ("push", ["message", "ch", "first"])
    assert c.call("GET", "k") == "v"
    assert r.publish("ch", "second") == 1
    # The push may arrive before or after the next reply, never inside it.
    c.send("INCR", "n")
    got = [c.read(), c.read()]
    assert ("push", ["message", "ch", "second"]) in got and 1 in got
    assert c.call("UNSUBSCRIBE") == ("push", ["unsubscribe", "ch", 0])
    assert c.call("UNSUBSCRIBE") == ("push", ["unsubscribe", None, 0])


def test_resp3_publish_to_itself_delivers_a_push(raw):
    # Redis 7.0 writes the push before PUBLISH's reply, Vellum (like Redis 7.2) right after.
    c = raw()
    c.call("HELLO", "3")
    c.call("SUBSCRIBE", "self")
    c.send("PUBLISH", "self", "m")
    got = [c.read(), c.read()]
    assert sorted(got, key=repr) == sorted([1, ("push", ["message", "self", "m"])], key=repr)
    assert c.call("PING") == "PONG"


def test_pubsub_channels_numsub_numpat(raw, r):
    a, b = raw(), raw()
    a.send("SUBSCRIBE", "chan.1", "chan.2", "other")
    b.send("SUBSCRIBE", "chan.1")
    for _ in range(3):
        a.read()
    b.read()
    a.call("PSUBSCRIBE", "p1*")
    b.send("PSUBSCRIBE", "p1*", "p2*")
    b.read(), b.read()
    assert {b"chan.1", b"chan.2", b"other"} <= set(r.execute_command("PUBSUB", "CHANNELS"))
    assert sorted(r.execute_command("PUBSUB", "CHANNELS", "chan.*")) == [b"chan.1", b"chan.2"]
    assert r.execute_command("PUBSUB", "NUMSUB", "chan.1", "chan.2", "none") == [
        b"chan.1", 2, b"chan.2", 1, b"none", 0]
    assert r.execute_command("PUBSUB", "NUMSUB") == []
    assert wait_for(lambda: r.execute_command("PUBSUB", "NUMPAT"), 2) == 2


def test_pubsub_subcommand_errors(r):
    with pytest.raises(redis.ResponseError) as e:
        r.execute_command("PUBSUB", "CHANNELS", "a", "b")
    assert str(e.value) == ("unknown subcommand or wrong number of arguments for 'CHANNELS'. "
                            "Try PUBSUB HELP.")
    with pytest.raises(redis.ResponseError) as e:
        r.execute_command("PUBSUB", "NUMPAT", "x")
    assert str(e.value) == "wrong number of arguments for 'pubsub|numpat' command"
    with pytest.raises(redis.ResponseError) as e:
        r.execute_command("PUBSUB", "NOPE")
    assert str(e.value) == "unknown subcommand 'NOPE'. Try PUBSUB HELP."


def test_client_list_shows_subscription_counts(raw, r):
    c = raw()
    c.send("SUBSCRIBE", "a", "b")
    c.read(), c.read()
    c.call("PSUBSCRIBE", "x*")
    lines = [l for l in r.execute_command("CLIENT", "LIST").decode().splitlines()
             if " sub=2 " in l]
    assert len(lines) == 1
    assert " psub=1 " in lines[0] and " flags=P " in lines[0]


def test_publish_order_is_kept_for_every_subscriber(server):
    subs = [Raw(server) for _ in range(4)]
    pub = server.client()
    try:
        for s in subs:
            assert s.call("SUBSCRIBE", "ordered") == ["subscribe", "ordered", 1]
        assert wait_numsub(pub, "ordered", 4) == 4
        pipe = pub.pipeline(transaction=False)
        for i in range(1000):
            pipe.publish("ordered", str(i))
        assert pipe.execute() == [4] * 1000
        for s in subs:
            got = [s.read()[2] for _ in range(1000)]
            assert got == [str(i) for i in range(1000)]
    finally:
        for s in subs:
            s.close()
        pub.close()


def test_concurrent_publishers_reach_every_subscriber_in_one_order(server):
    subs = [Raw(server) for _ in range(4)]
    pubs = [server.client() for _ in range(3)]
    errors = []
    try:
        for s in subs:
            s.call("SUBSCRIBE", "mixed")
        assert wait_numsub(pubs[0], "mixed", 4) == 4

        def publish(i):
            try:
                for n in range(300):
                    pubs[i].publish("mixed", "%d:%d" % (i, n))
            except Exception as e:  # reported to the test thread
                errors.append(e)

        threads = [threading.Thread(target=publish, args=(i,)) for i in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert errors == []
        seqs = [[s.read()[2] for _ in range(900)] for s in subs]
        for seq in seqs[1:]:
            assert seq == seqs[0]
        for i in range(3):
            assert [m for m in seqs[0] if m.startswith("%d:" % i)] == [
                "%d:%d" % (i, n) for n in range(300)]
    finally:
        for s in subs:
            s.close()
        for p in pubs:
            p.close()


def test_disconnected_subscriber_leaves_no_subscription(server, r):
    c = Raw(server)
    c.send("SUBSCRIBE", "gone", "gone2")
    c.read(), c.read()
    c.call("PSUBSCRIBE", "gone*")
    assert r.execute_command("PUBSUB", "NUMSUB", "gone")[1] == 1
    c.close()
    assert wait_numsub(r, "gone", 0) == 0
    assert wait_for(lambda: r.execute_command("PUBSUB", "NUMPAT"), 0) == 0
    assert r.publish("gone2", "x") == 0


def test_slow_subscriber_does_not_block_the_publisher(server, r):
    c = Raw(server)
    try:
        c.call("SUBSCRIBE", "big")
        payload = "x" * 10000
        start = time.time()
        for _ in range(200):  # ~2 MB the subscriber does not read yet
            assert r.publish("big", payload) == 1
        assert time.time() - start < 10
        assert c.read() == ["message", "big", payload]
    finally:
        c.close()


def test_shard_channels_are_reached_only_by_spublish(raw, r):
    c = raw()
    c.send("SSUBSCRIBE", "s1", "s2")
    assert c.read() == ["ssubscribe", "s1", 1]
    assert c.read() == ["ssubscribe", "s2", 2]
    assert c.call("SUBSCRIBE", "s1") == ["subscribe", "s1", 1]  # counted apart
    assert r.execute_command("SPUBLISH", "s1", "x") == 1
    assert c.read() == ["smessage", "s1", "x"]
    assert r.publish("s1", "y") == 1
    assert c.read() == ["message", "s1", "y"]
    assert r.execute_command("PUBSUB", "SHARDNUMSUB", "s1", "s3") == [b"s1", 1, b"s3", 0]
    assert sorted(r.execute_command("PUBSUB", "SHARDCHANNELS", "s*")) == [b"s1", b"s2"]
    assert c.call("UNSUBSCRIBE") == ["unsubscribe", "s1", 0]
    assert c.call("GET", "k") == ("err", "ERR Can't execute 'get': " + ONLY_PUBSUB)
    c.send("SUNSUBSCRIBE")
    got = [c.read(), c.read()]
    assert sorted(x[1] for x in got) == ["s1", "s2"] and [x[2] for x in got] == [1, 0]
    assert c.call("SUNSUBSCRIBE") == ["sunsubscribe", None, 0]
    assert c.call("GET", "k") is None


def test_info_stats_counts_channels_and_patterns(raw, r):
    c = raw()
    c.send("SUBSCRIBE", "info.a", "info.b")
    c.read(), c.read()
    c.call("PSUBSCRIBE", "info.*")

    def agree():  # INFO against PUBSUB, retried while other tests' clients go away
        stats = r.info("stats")
        return (stats["pubsub_channels"] == len(r.execute_command("PUBSUB", "CHANNELS")) and
                stats["pubsub_patterns"] == r.execute_command("PUBSUB", "NUMPAT"))

    assert wait_for(agree, True)
    assert r.info("stats")["pubsub_patterns"] >= 1
    c.call("UNSUBSCRIBE", "info.a")
    assert wait_for(agree, True)
    assert b"info.a" not in r.execute_command("PUBSUB", "CHANNELS")
