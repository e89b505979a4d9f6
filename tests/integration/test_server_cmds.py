"""Server introspection commands against the real vellumd: INFO, CONFIG, TIME, SHUTDOWN,
COMMAND, SLOWLOG, MEMORY, OBJECT, DEBUG, with Redis 7's replies and error texts."""
import os
import re
import signal
import socket
import subprocess
import time

import pytest
import redis

from vellum_harness import SOURCE_DIR, VELLUMD, Vellumd, monitor_lines, wait_for

LFU_NOT_SELECTED = (
    "An LFU maxmemory policy is not selected, access frequency not tracked. Please note "
    "that when switching between policies at runtime LRU and LFU data will take some time "
    "to adjust.")
LFU_SELECTED = (
    "An LFU maxmemory policy is selected, idle time not tracked. Please note that when "
    "switching between policies at runtime LRU and LFU data will take some time to adjust.")


@pytest.fixture
def rr(server):
    """A bytes client that returns replies as sent (no redis-py response callbacks)."""
    c = server.client()
    c.flushall()
    c.response_callbacks.clear()
    yield c
    c.close()


def info_text(client, *sections):
    """The INFO text as sent, whatever response callbacks the client has."""
    pool = client.connection_pool
    conn = pool.get_connection("INFO")
    try:
        conn.send_command("INFO", *sections)
        reply = conn.read_response()
    finally:
        pool.release(conn)
    return reply.decode() if isinstance(reply, bytes) else reply


def info_fields(client, section):
    """field -> value (str) of one INFO section."""
    out = {}
    for line in info_text(client, section).split("\r\n"):
        if line and not line.startswith("#"):
            k, v = line.split(":", 1)
            out[k] = v
    return out


def error_text(excinfo):
    return str(excinfo.value)


def wait_closed(sock, timeout=5.0):
    """Reads until the server closes the socket; returns (closed, bytes read)."""
    deadline = time.time() + timeout
    sock.settimeout(0.2)
    data = b""
    while time.time() < deadline:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            continue
        except ConnectionResetError:
            return True, data
        if not chunk:
            return True, data
        data += chunk
    return False, data


def with_config(client, name, value):
    """Sets a parameter and returns its old value, for a finally: block to restore."""
    old = client.execute_command("CONFIG", "GET", name)[1]
    client.execute_command("CONFIG", "SET", name, value)
    return old


# ---- INFO ----

def test_info_default_sections_in_redis_order(rr):
    text = info_text(rr)
    headers = re.findall(r"^# (\w+)\r$", text, re.M)
    assert headers == ["Server", "Clients", "Memory", "Persistence", "Stats", "Replication",
                       "CPU", "Modules", "Cluster", "Keyspace"]
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")


def test_info_sections_come_out_in_redis_order_whatever_was_asked(rr):
    text = info_text(rr, "cpu", "SERVER")
    assert re.findall(r"^# (\w+)\r$", text, re.M) == ["Server", "CPU"]
    assert "\r\n\r\n# CPU\r\n" in text


def test_info_unknown_section_is_empty(rr):
    assert rr.execute_command("INFO", "nosuchsection") == b""


def test_info_all_and_everything_include_commandstats(rr):
    rr.execute_command("PING")
    for group in ("all", "everything"):
        assert "# Commandstats\r\ncmdstat_" in info_text(rr, group)
    assert "# Commandstats" not in info_text(rr, "default")


def test_info_server_fields(server, rr):
    f = info_fields(rr, "server")
    assert f["redis_version"] == "7.0.0"
    assert f["vellum_version"] == "0.1.0"
    assert f["redis_mode"] == "standalone"
    assert f["os"].startswith("Linux ")
    assert f["arch_bits"] == "64"
    assert int(f["process_id"]) == server.proc.pid
    assert re.fullmatch(r"[0-9a-f]{40}", f["run_id"])
    assert int(f["tcp_port"]) == server.port
    assert abs(int(f["server_time_usec"]) / 1e6 - time.time()) < 60
    assert int(f["uptime_in_seconds"]) >= 0 and f["uptime_in_days"] == "0"
    assert f["hz"] == "10"
    assert os.path.basename(f["executable"]) == "vellumd"
    assert f["config_file"] == ""
    assert f["io_threads_active"] == "0"


def test_info_clients_fields(rr):
    f = info_fields(rr, "clients")
    assert int(f["connected_clients"]) >= 1
    assert f["maxclients"] == "10000"
    assert f["blocked_clients"] == "0"
    assert f["tracking_clients"] == "0"
    assert "client_recent_max_output_buffer" in f
    assert "client_recent_max_input_buffer" in f


def test_info_memory_fields(rr):
    f = info_fields(rr, "memory")
    assert int(f["used_memory"]) > 0
    assert re.fullmatch(r"\d+(\.\d\d[KMGTP])?B?", f["used_memory_human"])
    assert int(f["used_memory_rss"]) > 0
    assert int(f["used_memory_peak"]) >= int(f["used_memory"])
    assert f["maxmemory"] == "0" and f["maxmemory_human"] == "0B"
    assert f["maxmemory_policy"] == "noeviction"
    assert float(f["mem_fragmentation_ratio"]) > 0


def test_info_persistence_fields(rr):
    f = info_fields(rr, "persistence")
    assert f["loading"] == "0"
    # Records the persister wrote since the last snapshot (or since start): this shared
    # server has taken writes from other tests.
    assert int(f["rdb_changes_since_last_save"]) >= 0
    assert f["rdb_bgsave_in_progress"] == "0"
    assert f["rdb_last_bgsave_status"] == "ok"
    # The default durability is everysec: Redis's appendonly yes, appendfsync everysec.
    assert f["aof_enabled"] == "1"
    assert f["aof_last_write_status"] == "ok"
    assert f["vellum_durability"] == "everysec"


def test_info_stats_fields(rr):
    f = info_fields(rr, "stats")
    for name in ("total_connections_received", "total_commands_processed",
                 "instantaneous_ops_per_sec", "total_net_input_bytes", "total_net_output_bytes",
                 "rejected_connections", "expired_keys", "evicted_keys", "keyspace_hits",
                 "keyspace_misses", "client_output_buffer_limit_disconnections",
                 "total_error_replies"):
        assert int(f[name]) >= 0, name
    assert int(f["total_commands_processed"]) > 0
    assert int(f["total_net_input_bytes"]) > 0


def test_info_stats_counts_error_replies(rr):
    before = int(info_fields(rr, "stats")["total_error_replies"])
    with pytest.raises(redis.ResponseError):
        rr.execute_command("CONFIG", "SET", "nosuchparam", "1")
    assert int(info_fields(rr, "stats")["total_error_replies"]) >= before + 1


def test_info_stats_counts_keyspace_hits_and_misses(rr):
    before = info_fields(rr, "stats")
    rr.set("info-hit", "1")
    rr.get("info-hit")
    rr.get("info-miss")
    after = info_fields(rr, "stats")
    assert int(after["keyspace_hits"]) >= int(before["keyspace_hits"]) + 1
    assert int(after["keyspace_misses"]) >= int(before["keyspace_misses"]) + 1


def test_info_replication_fields(rr):
    f = info_fields(rr, "replication")
    assert f["role"] == "master"
    assert f["connected_slaves"] == "0"
    assert re.fullmatch(r"[0-9a-f]{40}", f["master_replid"])
    # The log position: RocksDB's last sequence number (test_replication.py checks that
    # primary and replica agree on it).
    assert re.fullmatch(r"\d+", f["master_repl_offset"])


def test_info_cpu_fields(rr):
    f = info_fields(rr, "cpu")
    assert re.fullmatch(r"\d+\.\d{6}", f["used_cpu_sys"])
    assert re.fullmatch(r"\d+\.\d{6}", f["used_cpu_user"])


def test_info_keyspace_lists_only_nonempty_dbs(rr):
    rr.set("ks-a", "1")
    rr.set("ks-b", "2", ex=100)
    rr.execute_command("SELECT", "3")
    rr.set("ks-c", "3")
    rr.execute_command("SELECT", "0")
    text = info_text(rr, "keyspace")
    assert text == ("# Keyspace\r\ndb0:keys=2,expires=1,avg_ttl=0\r\n"
                    "db3:keys=1,expires=0,avg_ttl=0\r\n")


def test_info_commandstats_counts_a_get(rd):
    def calls():
        stats = rd.info("commandstats")
        return stats.get("cmdstat_get", {}).get("calls", 0)
    before = calls()
    rd.get("cs-key")
    rd.get("cs-key")
    assert calls() == before + 2
    entry = rd.info("commandstats")["cmdstat_get"]
    assert set(entry) == {"calls", "usec", "usec_per_call", "rejected_calls", "failed_calls"}


def test_info_commandstats_counts_rejected_and_failed_calls(rd):
    with pytest.raises(redis.ResponseError):
        rd.execute_command("GET")
    with pytest.raises(redis.ResponseError):
        rd.execute_command("CONFIG", "SET", "nosuchparam", "1")
    stats = rd.info("commandstats")
    assert stats["cmdstat_get"]["rejected_calls"] >= 1
    assert stats["cmdstat_config|set"]["failed_calls"] >= 1


def test_info_resp3_is_verbatim_text(server):
    data = server.raw(b"HELLO 3\r\nINFO cluster\r\n")
    assert data.endswith(b"=34\r\ntxt:# Cluster\r\ncluster_enabled:0\r\n\r\n")


# ---- CONFIG ----

def test_config_get_returns_redis_names(server, rd):
    assert rd.config_get("port") == {"port": str(server.port)}
    got = rd.config_get("maxmemory*")
    assert {"maxmemory", "maxmemory-policy", "maxmemory-samples"} <= set(got)
    assert got["maxmemory-policy"] == "noeviction"


def test_config_get_several_patterns_without_duplicates(server, rr):
    reply = rr.execute_command("CONFIG", "GET", "port", "timeout", "port")
    assert reply == [b"port", str(server.port).encode(), b"timeout", b"0"]


def test_config_get_unknown_pattern_is_empty(rr):
    assert rr.execute_command("CONFIG", "GET", "nosuchparam*") == []


def test_config_get_over_resp3_is_a_map(server):
    data = server.raw(b"HELLO 3\r\nCONFIG GET port\r\n")
    port = str(server.port).encode()
    assert data.endswith(b"%%1\r\n$4\r\nport\r\n$%d\r\n%s\r\n" % (len(port), port))


def test_config_set_then_get(rd):
    old = with_config(rd, "slowlog-max-len", "64")
    try:
        assert rd.config_get("slowlog-max-len") == {"slowlog-max-len": "64"}
    finally:
        rd.config_set("slowlog-max-len", old)


def test_config_set_several_pairs(rr):
    old_a = rr.execute_command("CONFIG", "GET", "slowlog-max-len")[1]
    old_b = rr.execute_command("CONFIG", "GET", "maxmemory-samples")[1]
    try:
        assert rr.execute_command("CONFIG", "SET", "slowlog-max-len", "65",
                                  "maxmemory-samples", "7") == b"OK"
        assert rr.execute_command("CONFIG", "GET", "slowlog-max-len", "maxmemory-samples") == [
            b"slowlog-max-len", b"65", b"maxmemory-samples", b"7"]
    finally:
        rr.execute_command("CONFIG", "SET", "slowlog-max-len", old_a, "maxmemory-samples", old_b)


def test_config_encoding_parameters_and_their_ziplist_aliases_are_accepted(rr):
    # Tools, tuning scripts and Redis's own test suite set these; Vellum accepts them
    # (and ignores them: one representation per type).
    names = [b"hash-max-listpack-entries", b"hash-max-listpack-value", b"set-max-intset-entries",
             b"set-max-listpack-entries", b"set-max-listpack-value", b"zset-max-listpack-entries",
             b"zset-max-listpack-value", b"list-max-listpack-size", b"list-compress-depth"]
    old = {n: rr.execute_command("CONFIG", "GET", n)[1] for n in names}
    try:
        assert rr.execute_command("CONFIG", "SET", "hash-max-ziplist-entries", "256",
                                  "set-max-intset-entries", "1000") == b"OK"
        assert rr.execute_command("CONFIG", "GET", "hash-max-listpack-entries") == [
            b"hash-max-listpack-entries", b"256"]
        assert rr.execute_command("CONFIG", "GET", "hash-max-ziplist-entries") == [
            b"hash-max-ziplist-entries", b"256"]
        assert rr.execute_command("CONFIG", "SET", "list-max-ziplist-size", "-3") == b"OK"
        assert rr.execute_command("CONFIG", "GET", "list-max-listpack-size")[1] == b"-3"
        rr.hset("enc:h", mapping={"f%d" % i: "v" for i in range(300)})
        assert rr.hlen("enc:h") == 300
    finally:
        rr.delete("enc:h")
        for n, v in old.items():
            rr.execute_command("CONFIG", "SET", n, v)


def test_config_set_odd_arguments_is_arity_error(rr):
    with pytest.raises(redis.ResponseError) as e:
        rr.execute_command("CONFIG", "SET", "maxclients", "100", "timeout")
    assert error_text(e) == "wrong number of arguments for 'config|set' command"
    with pytest.raises(redis.ResponseError) as e:
        rr.execute_command("CONFIG", "SET", "maxclients")
    assert error_text(e) == "wrong number of arguments for 'config|set' command"


def test_config_set_unknown_parameter_error(rr):
    with pytest.raises(redis.ResponseError) as e:
        rr.execute_command("CONFIG", "SET", "nosuchparam", "1")
    assert error_text(e) == "Unknown option or number of arguments for CONFIG SET - 'nosuchparam'"


def test_config_set_maxclients_refuses_connection_beyond_it():
    with Vellumd() as s:
        c = s.client()
        c.ping()
        # The harness's readiness PING closed its connection; the server may not have
        # reaped it yet, and it would count against the limit.
        assert wait_for(lambda: len(c.client_list()) == 1)
        assert c.config_set("maxclients", "2")
        second = socket.create_connection(("127.0.0.1", s.port), timeout=5)
        second.sendall(b"PING\r\n")
        assert second.recv(64) == b"+PONG\r\n"
        third = socket.create_connection(("127.0.0.1", s.port), timeout=5)
        closed, data = wait_closed(third)
        assert closed and data == b"-ERR max number of clients reached\r\n"
        assert int(info_fields(c, "stats")["rejected_connections"]) >= 1
        second.close()
        third.close()
        c.close()


def test_config_set_timeout_closes_idle_client():
    with Vellumd() as s:
        c = s.client()
        assert c.config_set("timeout", "1")
        idle = socket.create_connection(("127.0.0.1", s.port), timeout=5)
        idle.sendall(b"PING\r\n")
        assert idle.recv(64) == b"+PONG\r\n"
        start = time.time()
        closed, _ = wait_closed(idle, timeout=4.0)
        assert closed, "idle client still open after 4 s with timeout 1"
        assert time.time() - start <= 4.0
        idle.close()
        c.close()


def test_config_resetstat_clears_commandstats_but_keeps_slowlog(rd):
    old = with_config(rd, "slowlog-log-slower-than", "0")
    try:
        rd.get("resetstat-key")
        assert rd.execute_command("SLOWLOG", "LEN") > 0
        assert rd.execute_command("CONFIG", "RESETSTAT") == "OK"
        stats = rd.info("commandstats")
        assert "cmdstat_get" not in stats
        assert rd.execute_command("SLOWLOG", "LEN") > 0
        assert int(info_fields(rd, "stats")["keyspace_misses"]) == 0
    finally:
        rd.config_set("slowlog-log-slower-than", old)


def test_config_rewrite_persists_value_into_the_config_file():
    with Vellumd(config_text="[server]\nmaxclients = 1000\n") as s:
        c = s.client(decode_responses=True)
        assert c.config_get("maxclients") == {"maxclients": "1000"}
        assert c.config_set("maxclients", "777")
        assert c.execute_command("CONFIG", "REWRITE") == "OK"
        with open(s.config_path) as f:
            text = f.read()
        assert re.search(r"^maxclients = 777$", text, re.M), text
        c.close()
        assert s.stop() == 0
        s.start()
        c = s.client(decode_responses=True)
        assert c.config_get("maxclients") == {"maxclients": "777"}
        assert info_fields(c, "server")["config_file"] == os.path.realpath(s.config_path)
        c.close()


def test_config_rewrite_without_config_file_errors(rr):
    with pytest.raises(redis.ResponseError) as e:
        rr.execute_command("CONFIG", "REWRITE")
    assert error_text(e) == "The server is running without a config file"


def test_config_help(rr):
    lines = rr.execute_command("CONFIG", "HELP")
    assert lines[0] == b"CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert b"GET <pattern>" in lines and b"RESETSTAT" in lines and b"REWRITE" in lines
    assert lines[-2:] == [b"HELP", b"    Prints this help."]


def test_config_unknown_subcommand_and_missing_subcommand(rr):
    with pytest.raises(redis.ResponseError) as e:
        rr.execute_command("CONFIG", "FOO")
    assert error_text(e) == "unknown subcommand 'FOO'. Try CONFIG HELP."
    with pytest.raises(redis.ResponseError) as e:
        rr.execute_command("CONFIG")
    assert error_text(e) == "wrong number of arguments for 'config' command"
    with pytest.raises(redis.ResponseError) as e:
        rr.execute_command("CONFIG", "GET")
    assert error_text(e) == "wrong number of arguments for 'config|get' command"


# ---- TIME ----

def test_time_returns_seconds_and_microseconds(rr):
    secs, usecs = rr.execute_command("TIME")
    assert abs(int(secs) - time.time()) < 60
    assert 0 <= int(usecs) < 1000000


def test_time_over_resp2_is_two_bulk_strings(server):
    data = server.raw(b"TIME\r\n")
    assert re.fullmatch(rb"\*2\r\n\$\d+\r\n\d+\r\n\$\d+\r\n\d+\r\n", data)


def test_time_arity(rr):
    with pytest.raises(redis.ResponseError) as e:
        rr.execute_command("TIME", "x")
    assert error_text(e) == "wrong number of arguments for 'time' command"


# ---- SHUTDOWN ----

def test_shutdown_exits_zero_without_reply():
    s = Vellumd().start()
    try:
        sock = socket.create_connection(("127.0.0.1", s.port), timeout=5)
        sock.sendall(b"SHUTDOWN\r\n")
        closed, data = wait_closed(sock)
        assert closed and data == b""
        assert s.proc.wait(timeout=10) == 0
    finally:
        s.cleanup()


def test_shutdown_with_flags_exits_zero():
    s = Vellumd().start()
    try:
        sock = socket.create_connection(("127.0.0.1", s.port), timeout=5)
        sock.sendall(b"SHUTDOWN NOSAVE NOW FORCE\r\n")
        assert wait_closed(sock) == (True, b"")
        assert s.proc.wait(timeout=10) == 0
    finally:
        s.cleanup()


def test_sigterm_exits_zero():
    s = Vellumd().start()
    try:
        s.client().ping()
        s.proc.send_signal(signal.SIGTERM)
        assert s.proc.wait(timeout=10) == 0
    finally:
        s.cleanup()


def test_shutdown_answers_the_pipelined_batch_before_it():
    s = Vellumd().start()
    try:
        sock = socket.create_connection(("127.0.0.1", s.port), timeout=5)
        batch = b"".join(b"SET k%d v%d\r\n" % (i, i) for i in range(100))
        sock.sendall(batch + b"GET k99\r\nPING\r\nSHUTDOWN\r\nPING\r\n")
        closed, data = wait_closed(sock)
        assert closed
        assert data == b"+OK\r\n" * 100 + b"$3\r\nv99\r\n+PONG\r\n"
        assert s.proc.wait(timeout=10) == 0
    finally:
        s.cleanup()


def test_shutdown_abort_without_shutdown_in_progress(rr):
    with pytest.raises(redis.ResponseError) as e:
        rr.execute_command("SHUTDOWN", "ABORT")
    assert error_text(e) == "No shutdown in progress."


@pytest.mark.parametrize("args", [("NOSAVE", "SAVE"), ("ABORT", "NOW"), ("SAVE", "ABORT"),
                                  ("BOGUS",)])
def test_shutdown_bad_flags_are_syntax_errors(rr, args):
    with pytest.raises(redis.ResponseError) as e:
        rr.execute_command("SHUTDOWN", *args)
    assert error_text(e) == "syntax error"
    assert rr.ping()


# ---- COMMAND ----

def test_command_count_equals_len_command(rr):
    count = rr.execute_command("COMMAND", "COUNT")
    everything = rr.execute_command("COMMAND")
    assert count == len(everything) > 20
    names = [entry[0] for entry in everything]
    assert b"get" in names and b"config" in names and b"client" in names
    assert not any(b"|" in n for n in names)


def test_command_info_get_shows_arity_and_flags(rr):
    [entry] = rr.execute_command("COMMAND", "INFO", "get")
    name, arity, flags, first, last, step, cats, tips, specs, subs = entry
    assert (name, arity, first, last, step) == (b"get", 2, 1, 1, 1)
    assert flags == [b"readonly", b"fast"]
    assert set(cats) == {b"@read", b"@string", b"@fast"}
    assert tips == [] and subs == []
    assert specs == [[b"flags", [b"RO", b"access"],
                      b"begin_search", [b"type", b"index", b"spec", [b"index", 1]],
                      b"find_keys", [b"type", b"range", b"spec",
                                     [b"lastkey", 0, b"keystep", 1, b"limit", 0]]]]


def test_command_info_flags_are_status_replies(server):
    data = server.raw(b"COMMAND INFO get\r\n")
    assert data.startswith(b"*1\r\n*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n")


def test_command_info_unknown_is_nil(server, rr):
    reply = rr.execute_command("COMMAND", "INFO", "nosuchcmd", "get")
    assert reply[0] is None and reply[1][0] == b"get"
    assert server.raw(b"COMMAND INFO nosuchcmd\r\n") == b"*1\r\n$-1\r\n"


def test_command_info_subcommand_by_full_name(rr):
    [entry] = rr.execute_command("COMMAND", "INFO", "config|get")
    assert entry[0] == b"config|get" and entry[1] == -3
    assert b"admin" in entry[2]
    [entry] = rr.execute_command("COMMAND", "INFO", "object|encoding")
    assert entry[3:6] == [2, 2, 1]


def test_command_info_container_nests_subcommands(rr):
    [entry] = rr.execute_command("COMMAND", "INFO", "config")
    assert entry[0] == b"config" and entry[1] == -2
    subs = {sub[0]: sub[1] for sub in entry[9]}
    assert subs[b"config|get"] == -3 and subs[b"config|set"] == -4
    assert subs[b"config|resetstat"] == 2 and subs[b"config|help"] == 2


def test_command_docs_shows_summary_since_group(rr):
    reply = rr.execute_command("COMMAND", "DOCS", "get")
    assert reply[0] == b"get"
    doc = dict(zip(reply[1][::2], reply[1][1::2]))
    assert doc[b"since"] == b"1.0.0" and doc[b"group"] == b"string"
    assert doc[b"summary"]


def test_command_docs_nests_subcommands_of_containers(rr):
    reply = rr.execute_command("COMMAND", "DOCS", "slowlog")
    doc = dict(zip(reply[1][::2], reply[1][1::2]))
    subs = dict(zip(doc[b"subcommands"][::2], doc[b"subcommands"][1::2]))
    assert {b"slowlog|get", b"slowlog|len", b"slowlog|reset", b"slowlog|help"} <= set(subs)


def test_command_docs_leaves_out_unknown_names(rr):
    assert rr.execute_command("COMMAND", "DOCS", "nosuchcmd") == []
    reply = rr.execute_command("COMMAND", "DOCS", "nosuchcmd", "time")
    assert reply[0] == b"time" and len(reply) == 2


def test_command_docs_through_redis_cli(server):
    rc, out = server.cli("--no-raw", "COMMAND", "DOCS", "get")
    assert rc == 0
    assert '1) "get"' in out
    assert '"summary"' in out and '"since"' in out and '"group"' in out and '"string"' in out


def test_command_docs_over_resp3_is_a_map(server):
    data = server.raw(b"HELLO 3\r\nCOMMAND DOCS get\r\n")
    assert b"%1\r\n$3\r\nget\r\n%3\r\n$7\r\nsummary\r\n" in data


def test_command_list_includes_subcommands(rr):
    names = rr.execute_command("COMMAND", "LIST")
    assert b"get" in names and b"client|list" in names and b"command|docs" in names
    assert len(names) > rr.execute_command("COMMAND", "COUNT")


def test_command_list_filterby(rr):
    assert rr.execute_command("COMMAND", "LIST", "FILTERBY", "PATTERN", "conf*") == [
        b"config", b"config|get", b"config|set", b"config|resetstat", b"config|rewrite",
        b"config|help"]
    admin = rr.execute_command("COMMAND", "LIST", "FILTERBY", "ACLCAT", "admin")
    assert b"config|set" in admin and b"get" not in admin
    assert b"get" in rr.execute_command("COMMAND", "LIST", "FILTERBY", "ACLCAT", "STRING")
    assert rr.execute_command("COMMAND", "LIST", "FILTERBY", "ACLCAT", "nosuchcat") == []
    assert rr.execute_command("COMMAND", "LIST", "FILTERBY", "MODULE", "m") == []


@pytest.mark.parametrize("args", [("FILTERBY",), ("FILTERBY", "bogus", "x"), ("bogus",),
                                  ("FILTERBY", "PATTERN", "x", "y")])
def test_command_list_bad_filter_is_syntax_error(rr, args):
    with pytest.raises(redis.ResponseError) as e:
        rr.execute_command("COMMAND", "LIST", *args)
    assert error_text(e) == "syntax error"


def test_command_getkeys(rr):
    assert rr.execute_command("COMMAND", "GETKEYS", "GET", "k") == [b"k"]
    assert rr.execute_command("COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2") == [b"a", b"b"]
    assert rr.execute_command("COMMAND", "GETKEYS", "OBJECT", "ENCODING", "k") == [b"k"]
    for args, msg in [(("nosuchcmd", "a"), "Invalid command specified"),
                      (("PING", "a"), "The command has no key arguments"),
                      (("GET", "a", "b"), "Invalid number of arguments specified for command")]:
        with pytest.raises(redis.ResponseError) as e:
            rr.execute_command("COMMAND", "GETKEYS", *args)
        assert error_text(e) == msg


def test_command_subcommand_errors(rr):
    with pytest.raises(redis.ResponseError) as e:
        rr.execute_command("COMMAND", "bogus")
    assert error_text(e) == "unknown subcommand 'bogus'. Try COMMAND HELP."
    with pytest.raises(redis.ResponseError) as e:
        rr.execute_command("COMMAND", "COUNT", "x")
    assert error_text(e) == "wrong number of arguments for 'command|count' command"


def test_command_help(rr):
    lines = rr.execute_command("COMMAND", "HELP")
    assert lines[0] == b"COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert b"DOCS [<command-name> ...]" in lines
    assert lines[-1] == b"    Prints this help."


def test_commands_markdown_is_current():
    path = os.path.join(SOURCE_DIR, "docs", "commands.md")
    generated = subprocess.run([VELLUMD, "--commands-markdown"], capture_output=True,
                               timeout=30, check=True).stdout.decode()
    assert os.path.exists(path), "docs/commands.md is missing: run `make docs`"
    with open(path) as f:
        assert f.read() == generated, "docs/commands.md is stale: run `make docs`"


# ---- SLOWLOG ----

def test_slowlog_records_commands_with_threshold_zero(server, rr):
    old = with_config(rr, "slowlog-log-slower-than", "0")
    try:
        rr.execute_command("CLIENT", "SETNAME", "slowpoke")
        rr.execute_command("SLOWLOG", "RESET")
        rr.execute_command("ECHO", "hello")
        [entry] = rr.execute_command("SLOWLOG", "GET", "1")
        eid, ts, duration, argv, addr, name = entry
        assert argv == [b"ECHO", b"hello"]
        assert abs(ts - time.time()) < 60 and duration >= 0 and eid >= 0
        assert addr.startswith(b"127.0.0.1:") and name == b"slowpoke"
    finally:
        rr.execute_command("CONFIG", "SET", "slowlog-log-slower-than", old)


def test_slowlog_len_and_reset(rr):
    old = with_config(rr, "slowlog-log-slower-than", "0")
    try:
        rr.execute_command("PING")
        assert rr.execute_command("SLOWLOG", "LEN") >= 1
        assert rr.execute_command("SLOWLOG", "RESET") == b"OK"
        # The RESET itself is logged once it has run, as in Redis.
        assert rr.execute_command("SLOWLOG", "LEN") == 1
    finally:
        rr.execute_command("CONFIG", "SET", "slowlog-log-slower-than", old)


def test_slowlog_get_counts(rr):
    old = with_config(rr, "slowlog-log-slower-than", "0")
    try:
        rr.execute_command("SLOWLOG", "RESET")
        for _ in range(12):
            rr.execute_command("PING")
        assert len(rr.execute_command("SLOWLOG", "GET")) == 10
        assert len(rr.execute_command("SLOWLOG", "GET", "-1")) >= 13
        assert rr.execute_command("SLOWLOG", "GET", "0") == []
        newest_first = [e[0] for e in rr.execute_command("SLOWLOG", "GET", "3")]
        assert newest_first == sorted(newest_first, reverse=True)
    finally:
        rr.execute_command("CONFIG", "SET", "slowlog-log-slower-than", old)


def test_slowlog_ignores_fast_commands_by_default(rr):
    rr.execute_command("SLOWLOG", "RESET")
    rr.execute_command("PING")
    assert rr.execute_command("SLOWLOG", "LEN") == 0


def test_slowlog_errors(rr):
    for count in ("abc", "-2"):
        with pytest.raises(redis.ResponseError) as e:
            rr.execute_command("SLOWLOG", "GET", count)
        assert error_text(e) == "count should be greater than or equal to -1"
    with pytest.raises(redis.ResponseError) as e:
        rr.execute_command("SLOWLOG", "GET", "1", "2")
    assert error_text(e) == ("unknown subcommand or wrong number of arguments for 'GET'. "
                             "Try SLOWLOG HELP.")
    with pytest.raises(redis.ResponseError) as e:
        rr.execute_command("SLOWLOG", "LEN", "x")
    assert error_text(e) == "wrong number of arguments for 'slowlog|len' command"


def test_slowlog_help(rr):
    lines = rr.execute_command("SLOWLOG", "HELP")
    assert lines[0] == b"SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert b"GET [<count>]" in lines and b"LEN" in lines and b"RESET" in lines


# ---- MEMORY ----

def test_memory_usage_of_a_string(rr):
    rr.set("mem-small", "x")
    rr.set("mem-big", "x" * 10000)
    small = rr.execute_command("MEMORY", "USAGE", "mem-small")
    big = rr.execute_command("MEMORY", "USAGE", "mem-big", "SAMPLES", "0")
    assert 0 < small < 1000 and big >= 10000


def test_memory_usage_of_missing_key_is_nil(server, rr):
    assert rr.execute_command("MEMORY", "USAGE", "mem-missing") is None
    assert server.raw(b"MEMORY USAGE mem-missing\r\n") == b"$-1\r\n"


def test_memory_usage_option_errors(rr):
    rr.set("mem-k", "v")
    with pytest.raises(redis.ResponseError) as e:
        rr.execute_command("MEMORY", "USAGE", "mem-k", "SAMPLES", "x")
    assert error_text(e) == "value is not an integer or out of range"
    for args in (("SAMPLES", "-1"), ("BOGUS",), ("SAMPLES",)):
        with pytest.raises(redis.ResponseError) as e:
            rr.execute_command("MEMORY", "USAGE", "mem-k", *args)
        assert error_text(e) == "syntax error"


def test_memory_help_and_unknown_subcommand(rr):
    lines = rr.execute_command("MEMORY", "HELP")
    assert b"USAGE <key> [SAMPLES <count>]" in lines
    with pytest.raises(redis.ResponseError) as e:
        rr.execute_command("MEMORY", "bogus")
    assert error_text(e) == "unknown subcommand 'bogus'. Try MEMORY HELP."


# ---- OBJECT ----

@pytest.mark.parametrize("value,encoding", [
    ("12345", b"int"), ("-7", b"int"), ("9223372036854775807", b"int"), ("01", b"embstr"),
    ("92233720368547758070", b"embstr"), ("hello", b"embstr"), ("x" * 44, b"embstr"),
    ("x" * 45, b"raw")])
def test_object_encoding_of_strings(rr, value, encoding):
    rr.set("enc", value)
    assert rr.execute_command("OBJECT", "ENCODING", "enc") == encoding


def test_object_on_missing_key_is_nil(rr):
    for sub in ("ENCODING", "FREQ", "IDLETIME", "REFCOUNT"):
        assert rr.execute_command("OBJECT", sub, "obj-missing") is None


def test_object_refcount_is_one(rr):
    rr.set("obj-rc", "v")
    assert rr.execute_command("OBJECT", "REFCOUNT", "obj-rc") == 1


def test_object_idletime_is_seconds(rr):
    rr.set("obj-idle", "v")
    assert rr.execute_command("OBJECT", "IDLETIME", "obj-idle") >= 0


def test_object_freq_needs_an_lfu_policy(rr):
    rr.set("obj-freq", "v")
    with pytest.raises(redis.ResponseError) as e:
        rr.execute_command("OBJECT", "FREQ", "obj-freq")
    assert error_text(e) == LFU_NOT_SELECTED
    old = with_config(rr, "maxmemory-policy", "allkeys-lfu")
    try:
        assert rr.execute_command("OBJECT", "FREQ", "obj-freq") >= 0
        with pytest.raises(redis.ResponseError) as e:
            rr.execute_command("OBJECT", "IDLETIME", "obj-freq")
        assert error_text(e) == LFU_SELECTED
    finally:
        rr.execute_command("CONFIG", "SET", "maxmemory-policy", old)


def test_object_help_and_errors(rr):
    lines = rr.execute_command("OBJECT", "HELP")
    assert lines[0] == b"OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert b"ENCODING <key>" in lines and b"FREQ <key>" in lines
    with pytest.raises(redis.ResponseError) as e:
        rr.execute_command("OBJECT", "ENCODING")
    assert error_text(e) == "wrong number of arguments for 'object|encoding' command"
    with pytest.raises(redis.ResponseError) as e:
        rr.execute_command("OBJECT", "bogus", "k")
    assert error_text(e) == "unknown subcommand 'bogus'. Try OBJECT HELP."


# ---- DEBUG ----

def test_debug_sleep_blocks_then_replies_ok(rr):
    start = time.time()
    assert rr.execute_command("DEBUG", "SLEEP", "0.2") == b"OK"
    assert time.time() - start >= 0.2
    assert rr.execute_command("DEBUG", "SLEEP", "0") == b"OK"


def test_debug_unknown_subcommand(rr):
    with pytest.raises(redis.ResponseError) as e:
        rr.execute_command("DEBUG", "bogus")
    assert error_text(e) == "unknown subcommand 'bogus'. Try DEBUG HELP."


def test_monitor_shows_commands_as_redis_does(server):
    def actions(c):
        c.set("mon:k", "a b\n\x01")
        with pytest.raises(redis.ResponseError):
            c.execute_command("AUTH", "secret")
        p = c.pipeline(transaction=True)
        p.set("mon:x", 1)
        p.get("mon:x")
        p.execute()
        c.config_get("port")  # admin: not shown
        c.delete("mon:k", "mon:x")

    lines = monitor_lines(server, actions)
    shown = [re.sub(r"^\+\d+\.\d{6} \[0 127\.0\.0\.1:\d+\] ", "", l) for l in lines]
    assert all(l != s for l, s in zip(lines, shown)), lines  # every line had the prefix
    assert shown == ['"SET" "mon:k" "a b\\n\\x01"', '"AUTH" "(redacted)"', '"MULTI"',
                     '"SET" "mon:x" "1"', '"GET" "mon:x"', '"EXEC"', '"DEL" "mon:k" "mon:x"']


def test_monitor_client_is_flagged_and_stops_with_its_connection(server, rr):
    m = socket.create_connection(("127.0.0.1", server.port), timeout=2)
    m.sendall(b"MONITOR\r\n")
    assert m.recv(5) == b"+OK\r\n"
    listed = rr.execute_command("CLIENT", "LIST").decode()
    assert any(" flags=O " in l for l in listed.splitlines())
    m.close()
    assert wait_for(lambda: not any(" flags=O " in l for l in
                                    rr.execute_command("CLIENT", "LIST").decode().splitlines()),
                    5.0)
    assert rr.ping()
