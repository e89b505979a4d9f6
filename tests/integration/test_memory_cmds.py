"""MEMORY STATS DOCTOR PURGE MALLOC-STATS HELP, and INFO memory's overhead and allocator
fields, as Redis 7 answers them (field names, reply types, fixed texts and errors)."""
import socket
import time

import pytest

from test_memory import DEADLINE_S, load
from vellum_harness import Vellumd


@pytest.fixture
def server():
    with Vellumd("--storage.durability", "none") as s:
        yield s


def raw(port, payload):
    """Sends raw RESP and returns whatever arrives within a short wait."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(payload)
        time.sleep(0.3)
        return s.recv(1 << 20)


def stats(c):
    flat = c.execute_command("MEMORY", "STATS")
    return {flat[i].decode() if isinstance(flat[i], bytes) else flat[i]: flat[i + 1]
            for i in range(0, len(flat), 2)}


REDIS_STATS_FIELDS = [
    "peak.allocated", "total.allocated", "startup.allocated", "replication.backlog",
    "clients.slaves", "clients.normal", "cluster.links", "aof.buffer", "lua.caches",
    "functions.caches", "overhead.total", "keys.count", "keys.bytes-per-key",
    "dataset.bytes", "dataset.percentage", "peak.percentage", "allocator.allocated",
    "allocator.active", "allocator.resident", "allocator-fragmentation.ratio",
    "allocator-fragmentation.bytes", "allocator-rss.ratio", "allocator-rss.bytes",
    "rss-overhead.ratio", "rss-overhead.bytes", "fragmentation", "fragmentation.bytes"]


def test_memory_stats_has_redis_fields_in_redis_order(server):
    c = server.client()
    names = [k for k in stats(c) if not k.startswith("db.")]
    assert names[:len(REDIS_STATS_FIELDS)] == REDIS_STATS_FIELDS
    c.close()


def test_memory_stats_counts_keys_and_shows_only_databases_with_keys(server):
    c = server.client()
    c.set("a", "1")
    c.set("b", "2", ex=100)
    c.execute_command("SELECT", 3)
    c.set("c", "3")
    s = stats(c)
    assert s["keys.count"] == 3
    assert sorted(k for k in s if k.startswith("db.")) == ["db.0", "db.3"]
    db0 = dict(zip(s["db.0"][::2], s["db.0"][1::2]))
    assert db0[b"overhead.hashtable.main"] > 0
    assert db0[b"overhead.hashtable.expires"] > 0
    assert db0[b"overhead.hashtable.slot-to-keys"] == 0
    c.close()


def test_memory_stats_total_matches_info_used_memory(server):
    c = server.client()
    load(server.port, 20_000, 256, time.time() + DEADLINE_S)
    s = stats(c)
    used = c.info("memory")["used_memory"]
    assert abs(s["total.allocated"] - used) < 1 << 20
    assert s["startup.allocated"] <= s["total.allocated"]
    assert s["overhead.total"] + s["dataset.bytes"] == s["total.allocated"]
    # 20,000 keys of 256 B: each costs its value and more, but not several times more.
    assert 256 < s["keys.bytes-per-key"] < 1024
    assert s["allocator.allocated"] >= s["total.allocated"] // 2
    assert s["allocator.active"] >= s["allocator.allocated"]
    c.close()


def test_memory_stats_in_resp3_is_a_map(server):
    reply = raw(server.port, b"HELLO 3\r\nMEMORY STATS\r\n")
    assert b"\r\n%" in reply and b"$14\r\npeak.allocated\r\n" in reply
    assert b"$15\r\npeak.percentage\r\n," in reply  # a double


def test_memory_doctor_on_an_empty_instance_says_so(server):
    c = server.client()
    assert c.execute_command("MEMORY", "DOCTOR") == (
        b"Hi Sam, this instance is empty or is using very little memory, my issues detector "
        b"can't be used in these conditions. Please, leave for your mission on Earth and fill "
        b"it with some data. The new Sam and I will be back to our programming as soon as I "
        b"finished rebooting.\n")
    c.close()


def test_memory_doctor_finds_no_issue_in_a_healthy_instance(server):
    c = server.client()
    load(server.port, 40_000, 256, time.time() + DEADLINE_S)
    assert c.execute_command("MEMORY", "DOCTOR") == (
        b"Hi Sam, I can't find any memory issue in your instance. I can only account for what "
        b"occurs on this base.\n")
    c.close()


def test_memory_doctor_reports_a_past_peak(server):
    c = server.client()
    load(server.port, 60_000, 1024, time.time() + DEADLINE_S)
    for i in range(0, 50_000, 1000):
        c.delete(*["key:%07d" % j for j in range(i, i + 1000)])
    report = c.execute_command("MEMORY", "DOCTOR")
    assert report.startswith(b"Sam, I detected a few issues"), report
    assert b"Peak memory" in report
    c.close()


def report_start(server):
    """How MEMORY MALLOC-STATS starts: jemalloc's text (vellumd's allocator, as Redis's) or
    glibc's XML (the sanitizer builds)."""
    c = server.client()
    allocator = c.info("memory")["mem_allocator"]
    c.close()
    return b"___ Begin jemalloc statistics ___" if allocator.startswith("jemalloc") \
        else b"<malloc version="


def test_memory_doctor_and_malloc_stats_are_verbatim_in_resp3(server):
    reply = raw(server.port, b"HELLO 3\r\nMEMORY DOCTOR\r\nMEMORY MALLOC-STATS\r\n")
    assert reply.count(b"\r\n=") == 2 and b"txt:Hi Sam" in reply
    assert b"txt:" + report_start(server) in reply


def test_memory_malloc_stats_is_the_allocators_report(server):
    c = server.client()
    assert c.execute_command("MEMORY", "MALLOC-STATS").startswith(report_start(server))
    c.close()


def test_memory_purge_gives_free_pages_back(server):
    c = server.client()
    load(server.port, 100_000, 512, time.time() + DEADLINE_S)
    # Delete four keys in five: the heap keeps holes the trimmer's threshold may not reach.
    keys = ["key:%07d" % i for i in range(100_000) if i % 5]
    for i in range(0, len(keys), 2000):
        c.delete(*keys[i:i + 2000])
    before = c.info("memory")
    assert c.execute_command("MEMORY", "PURGE") == b"OK"
    assert c.dbsize() == 20_000
    assert c.get("key:0000000") == b"x" * 512
    after = c.info("memory")
    # The pages go back to the kernel; the allocator's own counts of what it holds in
    # use do not move (give or take what INFO itself allocates).
    assert after["allocator_resident"] <= before["allocator_resident"]
    assert abs(after["allocator_free"] - before["allocator_free"]) < 1 << 20
    c.close()


def test_memory_subcommand_errors_match_redis(server):
    c = server.client()
    for sub in ("STATS", "DOCTOR", "PURGE", "MALLOC-STATS"):
        with pytest.raises(Exception) as e:
            c.execute_command("MEMORY", sub, "x")
        assert str(e.value) == "wrong number of arguments for 'memory|%s' command" % sub.lower()
    with pytest.raises(Exception) as e:
        c.execute_command("MEMORY", "FOO")
    assert str(e.value) == "unknown subcommand 'FOO'. Try MEMORY HELP."
    c.close()


def test_memory_help_lists_every_subcommand(server):
    c = server.client()
    lines = [l.decode() if isinstance(l, bytes) else l for l in c.execute_command("MEMORY", "HELP")]
    assert lines[0] == "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    for sub in ("DOCTOR", "MALLOC-STATS", "PURGE", "STATS", "USAGE <key> [SAMPLES <count>]", "HELP"):
        assert sub in lines
    c.close()


def test_info_memory_has_overhead_and_allocator_fields(server):
    c = server.client()
    c.set("k", "v")
    m = c.info("memory")
    for field in ("used_memory_overhead", "used_memory_startup", "used_memory_dataset",
                  "used_memory_dataset_perc", "allocator_allocated", "allocator_active",
                  "allocator_resident", "allocator_frag_ratio", "allocator_frag_bytes",
                  "allocator_rss_ratio", "allocator_rss_bytes", "rss_overhead_ratio",
                  "rss_overhead_bytes", "mem_fragmentation_ratio", "mem_fragmentation_bytes",
                  "mem_clients_normal", "mem_allocator"):
        assert field in m, field
    assert m["used_memory_overhead"] + m["used_memory_dataset"] == m["used_memory"] or \
        m["used_memory_overhead"] > m["used_memory"]
    # jemalloc as Redis names it; glibc's malloc in the sanitizer builds.
    assert m["mem_allocator"] == "libc" or m["mem_allocator"].startswith("jemalloc-5.")
    assert m["allocator_resident"] >= m["allocator_allocated"]
    ratio = m["used_memory_rss"] / m["used_memory"]
    assert abs(m["mem_fragmentation_ratio"] - ratio) < 0.05 * ratio + 0.02
    c.close()
