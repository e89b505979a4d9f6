"""Keyspace notifications (notify-keyspace-events) against the real vellumd: the flags as
CONFIG GET shows them, and the events each command raises on __keyspace@<db>__:<key> and
__keyevent@<db>__:<event>, including "expired" from active and lazy expiry.

Each test subscribes with redis-py's PubSub (RESP2) and reads with bounded waits."""
import time

import pytest
import redis


@pytest.fixture
def events(server, r):
    """A PubSub subscribed to every keyspace and keyevent channel; the flags are reset to
    "" afterwards."""
    c = server.client(decode_responses=True)
    p = c.pubsub()
    p.psubscribe("__key*__:*")
    deadline = time.time() + 5
    while time.time() < deadline:  # the psubscribe confirmation
        m = p.get_message(timeout=0.1)
        if m is not None and m["type"] == "psubscribe":
            break
    yield p
    p.close()
    c.close()
    r.config_set("notify-keyspace-events", "")


def collect(p, count=None, timeout=1.0):
    """(channel, data) of the messages received within timeout (or the first count)."""
    got = []
    deadline = time.time() + timeout
    while time.time() < deadline and (count is None or len(got) < count):
        m = p.get_message(timeout=0.05)
        if m is not None and m["type"] == "pmessage":
            got.append((m["channel"], m["data"]))
    return got


def test_config_get_shows_the_flags_as_redis_does(r):
    for given, shown in [("KEA", "AKE"), ("Ex", "xE"), ("Kg$", "g$K"), ("", "")]:
        r.config_set("notify-keyspace-events", given)
        assert r.config_get("notify-keyspace-events") == {"notify-keyspace-events": shown}


def test_config_set_rejects_an_unknown_class(r):
    with pytest.raises(redis.ResponseError) as e:
        r.config_set("notify-keyspace-events", "KEQ")
    assert str(e.value) == ("CONFIG SET failed (possibly related to argument "
                            "'notify-keyspace-events') - Invalid event class character. "
                            "Use 'Ag$lshzxeKEtmdn'.")


def test_no_events_by_default(r, events):
    r.set("k", "v")
    r.delete("k")
    assert collect(events, timeout=0.3) == []


def test_set_raises_keyspace_and_keyevent(r, events):
    r.config_set("notify-keyspace-events", "KEA")
    r.set("k", "v")
    assert collect(events, 2) == [("__keyspace@0__:k", "set"), ("__keyevent@0__:set", "k")]


def test_set_with_ttl_raises_set_then_expire(r, events):
    r.config_set("notify-keyspace-events", "E$g")
    r.set("k", "v", ex=100)
    assert collect(events, 2) == [("__keyevent@0__:set", "k"), ("__keyevent@0__:expire", "k")]


def test_del_raises_one_event_per_deleted_key(r, events):
    r.mset({"a": "1", "b": "2"})
    r.config_set("notify-keyspace-events", "Eg")
    assert r.delete("a", "missing", "b") == 2
    assert collect(events, 2) == [("__keyevent@0__:del", "a"), ("__keyevent@0__:del", "b")]
    assert collect(events, timeout=0.2) == []


def test_expire_and_persist_raise_generic_events(r, events):
    r.set("k", "v")
    r.config_set("notify-keyspace-events", "Kg")
    r.expire("k", 100)
    r.persist("k")
    r.persist("k")  # no TTL left: no event
    r.expire("k", 0)  # a time already past deletes the key
    assert collect(events, 3) == [("__keyspace@0__:k", "expire"), ("__keyspace@0__:k", "persist"),
                                  ("__keyspace@0__:k", "del")]


def test_active_expiry_raises_expired(r, events):
    r.config_set("notify-keyspace-events", "KEA")
    r.set("soon", "v", px=50)
    assert collect(events, 3) == [("__keyspace@0__:soon", "set"), ("__keyevent@0__:set", "soon"),
                                  ("__keyspace@0__:soon", "expire")]
    got = collect(events, 3, timeout=3.0)  # the active cycle runs 10 times a second
    assert ("__keyspace@0__:soon", "expired") in got
    assert ("__keyevent@0__:expired", "soon") in got
    assert r.exists("soon") == 0


def test_expired_fires_once_whoever_notices(r, events):
    r.config_set("notify-keyspace-events", "Ex")
    r.set("lazy", "v", px=30)
    time.sleep(0.05)
    assert r.get("lazy") is None
    assert collect(events, timeout=0.5) == [("__keyevent@0__:expired", "lazy")]


def test_subset_ex_sends_only_expired_keyevents(r, events):
    r.config_set("notify-keyspace-events", "Ex")
    r.set("a", "1")
    r.expire("a", 100)
    r.delete("a")
    r.set("b", "1", px=50)
    got = collect(events, 1, timeout=3.0)
    assert got == [("__keyevent@0__:expired", "b")]


def test_string_commands_raise_redis_events(r, events):
    r.config_set("notify-keyspace-events", "E$")
    r.incr("n")
    r.incrbyfloat("n", 1.5)
    r.append("n", "0")
    r.setrange("n", 0, "9")
    r.getset("n", "1")
    r.mset({"m1": "1", "m2": "2"})
    assert collect(events, 7) == [
        ("__keyevent@0__:incrby", "n"), ("__keyevent@0__:incrbyfloat", "n"),
        ("__keyevent@0__:append", "n"), ("__keyevent@0__:setrange", "n"),
        ("__keyevent@0__:set", "n"), ("__keyevent@0__:set", "m1"), ("__keyevent@0__:set", "m2")]


def test_getdel_and_getex_raise_del_expire_persist(r, events):
    r.set("a", "1")
    r.set("b", "1")
    r.config_set("notify-keyspace-events", "Eg")
    r.getdel("a")
    r.getex("b", ex=100)
    r.getex("b", persist=True)
    assert collect(events, 3) == [("__keyevent@0__:del", "a"), ("__keyevent@0__:expire", "b"),
                                  ("__keyevent@0__:persist", "b")]


def test_rename_copy_move_raise_events_in_their_databases(r, events):
    r.set("src", "v")
    r.config_set("notify-keyspace-events", "Eg")
    r.rename("src", "dst")
    r.copy("dst", "cp", destination_db=2)
    r.move("dst", 3)
    assert collect(events, 5) == [
        ("__keyevent@0__:rename_from", "src"), ("__keyevent@0__:rename_to", "dst"),
        ("__keyevent@2__:copy_to", "cp"), ("__keyevent@0__:move_from", "dst"),
        ("__keyevent@3__:move_to", "dst")]


def test_new_event_needs_the_n_flag(r, events):
    r.config_set("notify-keyspace-events", "KEA")
    r.set("fresh", "1")
    assert all(ch != "__keyevent@0__:new" for ch, _ in collect(events, timeout=0.3))
    r.config_set("notify-keyspace-events", "En")
    r.set("fresh2", "1")
    r.set("fresh2", "2")  # not new any more
    assert collect(events, timeout=0.3) == [("__keyevent@0__:new", "fresh2")]


def test_failed_command_raises_nothing(r, events):
    r.set("s", "abc")
    r.config_set("notify-keyspace-events", "KEA")
    with pytest.raises(redis.ResponseError):
        r.incr("s")
    assert collect(events, timeout=0.3) == []


def test_events_reach_subscribers_on_every_worker(server, r):
    clients, subs = [], []
    try:
        for _ in range(8):
            c = server.client(decode_responses=True)
            p = c.pubsub()
            p.subscribe("__keyevent@0__:del")
            clients.append(c)
            subs.append(p)
        deadline = time.time() + 5
        while time.time() < deadline and r.execute_command(
                "PUBSUB", "NUMSUB", "__keyevent@0__:del")[1] != 8:
            time.sleep(0.02)
        r.set("x", "1")
        r.config_set("notify-keyspace-events", "Eg")
        r.delete("x")
        for p in subs:
            got = None
            deadline = time.time() + 5
            while got is None and time.time() < deadline:
                m = p.get_message(timeout=0.1)
                if m is not None and m["type"] == "message":
                    got = m
            assert got is not None and got["data"] == "x"
    finally:
        r.config_set("notify-keyspace-events", "")
        for p in subs:
            p.close()
        for c in clients:
            c.close()


def test_hash_commands_raise_redis_events(r, events):
    r.config_set("notify-keyspace-events", "Eghn")
    r.hset("h", mapping={"a": "1", "b": "2"})
    r.hsetnx("h", "a", "x")  # not set: no event
    r.hincrby("h", "n", 2)
    r.hincrbyfloat("h", "f", 1.5)
    r.hdel("h", "missing")  # nothing removed: no event
    r.hdel("h", "a", "b", "n", "f")  # the hash is gone
    assert collect(events, 6) == [
        ("__keyevent@0__:new", "h"), ("__keyevent@0__:hset", "h"),
        ("__keyevent@0__:hincrby", "h"), ("__keyevent@0__:hincrbyfloat", "h"),
        ("__keyevent@0__:hdel", "h"), ("__keyevent@0__:del", "h")]


def test_set_commands_raise_redis_events(r, events):
    r.config_set("notify-keyspace-events", "Egs")
    r.sadd("s", "a", "b")
    r.sadd("s", "a")  # nothing added: no event
    r.srem("s", "a")
    r.smove("s", "t", "b")  # s is gone
    r.sadd("u", "b")
    r.sinterstore("d", ["t", "u"])
    assert collect(events, 7) == [
        ("__keyevent@0__:sadd", "s"), ("__keyevent@0__:srem", "s"),
        ("__keyevent@0__:srem", "s"), ("__keyevent@0__:del", "s"),
        ("__keyevent@0__:sadd", "t"), ("__keyevent@0__:sadd", "u"),
        ("__keyevent@0__:sinterstore", "d")]
