"""CLIENT subcommands against the real vellumd (two worker threads), with Redis 7's
replies and error texts: ID SETNAME GETNAME LIST INFO KILL SETINFO NO-EVICT HELP."""
import re
import socket
import time

import pytest
import redis

INFO_LINE_FIELDS = ["id", "addr", "laddr", "fd", "name", "age", "idle", "flags", "db", "sub",
                    "psub", "ssub", "multi", "qbuf", "qbuf-free", "argv-mem", "multi-mem", "rbs",
                    "rbp", "obl", "oll", "omem", "tot-mem", "events", "cmd", "user", "redir",
                    "resp", "lib-name", "lib-ver"]


@pytest.fixture
def rr(server):
    """A bytes client that returns replies as sent (no redis-py response callbacks)."""
    c = server.client()
    c.response_callbacks.clear()
    yield c
    c.close()


class RawConn:
    """One plain socket speaking inline commands; enough for replies of one line."""

    def __init__(self, server):
        self.sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        self.file = self.sock.makefile("rb")

    def call(self, line):
        self.sock.sendall(line.encode() + b"\r\n")
        reply = self.file.readline()
        if reply.startswith(b"$") and reply != b"$-1\r\n":
            reply = self.file.read(int(reply[1:]) + 2)[:-2]
        return reply

    def wait_closed(self, timeout=5.0):
        deadline = time.time() + timeout
        self.sock.settimeout(0.2)
        while time.time() < deadline:
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            except ConnectionResetError:
                return True
            if not data:
                return True
        return False

    def close(self):
        self.file.close()
        self.sock.close()


def error_text(excinfo):
    return str(excinfo.value)


def parse_line(line):
    return dict(field.split("=", 1) for field in line.split(" "))


def client_list(client, *args):
    text = client.execute_command("CLIENT", "LIST", *args).decode()
    assert text == "" or text.endswith("\n")
    return [parse_line(line) for line in text.splitlines()]


def test_client_id_is_an_integer_matching_client_info(rr):
    cid = rr.execute_command("CLIENT", "ID")
    assert isinstance(cid, int) and cid > 0
    info = parse_line(rr.execute_command("CLIENT", "INFO").decode().rstrip("\n"))
    assert int(info["id"]) == cid


def test_client_ids_increase_with_each_accepted_connection(server):
    a = RawConn(server)
    first = int(a.call("CLIENT ID")[1:])  # accepted before b connects
    b = RawConn(server)
    assert int(b.call("CLIENT ID")[1:]) > first
    a.close()
    b.close()


def test_client_setname_and_getname(rr):
    assert rr.execute_command("CLIENT", "GETNAME") is None
    assert rr.execute_command("CLIENT", "SETNAME", "worker-1") == b"OK"
    assert rr.execute_command("CLIENT", "GETNAME") == b"worker-1"
    assert rr.execute_command("CLIENT", "SETNAME", "") == b"OK"
    assert rr.execute_command("CLIENT", "GETNAME") is None


@pytest.mark.parametrize("name", ["a b", "a\nb", "caf\u00e9", "tab\there"])
def test_client_setname_rejects_spaces_and_special_characters(rr, name):
    with pytest.raises(redis.ResponseError) as e:
        rr.execute_command("CLIENT", "SETNAME", name)
    assert error_text(e) == "Client names cannot contain spaces, newlines or special characters."


def test_client_setname_arity(rr):
    with pytest.raises(redis.ResponseError) as e:
        rr.execute_command("CLIENT", "SETNAME")
    assert error_text(e) == "wrong number of arguments for 'client|setname' command"
    with pytest.raises(redis.ResponseError) as e:
        rr.execute_command("CLIENT", "GETNAME", "x")
    assert error_text(e) == "wrong number of arguments for 'client|getname' command"


def test_client_info_describes_own_connection_in_redis_field_order(rr):
    rr.execute_command("CLIENT", "SETNAME", "me")
    rr.execute_command("SELECT", "2")
    text = rr.execute_command("CLIENT", "INFO").decode()
    assert text.endswith("\n") and text.count("\n") == 1
    fields = [f.split("=", 1)[0] for f in text.rstrip("\n").split(" ")]
    assert fields == INFO_LINE_FIELDS
    info = parse_line(text.rstrip("\n"))
    assert info["name"] == "me" and info["db"] == "2" and info["flags"] == "N"
    assert info["cmd"] == "client|info" and info["user"] == "default" and info["resp"] == "2"
    assert re.fullmatch(r"127\.0\.0\.1:\d+", info["addr"])


def test_client_info_over_resp3_is_verbatim(server):
    data = server.raw(b"HELLO 3\r\nCLIENT INFO\r\n")
    assert re.search(rb"=\d+\r\ntxt:id=\d+ addr=.* resp=3 .*\n\r\n$", data)


def test_client_list_shows_clients_from_both_workers(server, rr):
    # SO_REUSEPORT spreads connections over the two workers by hash, so 16 connections
    # land on both with near certainty; every one must be listed from any connection.
    conns = [RawConn(server) for _ in range(16)]
    try:
        for i, c in enumerate(conns):
            assert c.call("CLIENT SETNAME listed-%d" % i) == b"+OK\r\n"
        names = {entry["name"] for entry in client_list(rr)}
        assert {"listed-%d" % i for i in range(16)} <= names
        ids = [int(entry["id"]) for entry in client_list(rr)]
        assert ids == sorted(ids)
    finally:
        for c in conns:
            c.close()


def test_client_list_marks_the_running_command(rr):
    mine = rr.execute_command("CLIENT", "ID")
    [me] = [e for e in client_list(rr) if int(e["id"]) == mine]
    assert me["cmd"] == "client|list"


def test_client_list_type_filter(rr):
    mine = rr.execute_command("CLIENT", "ID")
    assert mine in [int(e["id"]) for e in client_list(rr, "TYPE", "normal")]
    for kind in ("master", "replica", "slave"):
        assert client_list(rr, "TYPE", kind) == []
    with pytest.raises(redis.ResponseError) as e:
        rr.execute_command("CLIENT", "LIST", "TYPE", "bogus")
    assert error_text(e) == "Unknown client type 'bogus'"


def test_client_with_subscriptions_is_of_type_pubsub(server, rr):
    sub = RawConn(server)
    try:
        sub_id = int(sub.call("CLIENT ID")[1:])
        sub.sock.sendall(b"SUBSCRIBE news\r\n")
        assert sub.file.read(len(b"*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n")) == (
            b"*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n")
        [entry] = [e for e in client_list(rr, "TYPE", "pubsub") if int(e["id"]) == sub_id]
        assert entry["sub"] == "1" and "P" in entry["flags"]
        assert sub_id not in [int(e["id"]) for e in client_list(rr, "TYPE", "normal")]
        assert rr.execute_command("CLIENT", "KILL", "TYPE", "pubsub", "ID", str(sub_id)) == 1
        assert sub.wait_closed()
    finally:
        sub.close()


def test_client_list_shows_a_transaction_in_progress(server, rr):
    """As Redis: flag x and multi=<queued commands> while in MULTI, multi-mem their bytes;
    multi=-1 again after EXEC or DISCARD. The client sits on either worker."""
    txn = RawConn(server)
    try:
        txn_id = int(txn.call("CLIENT ID")[1:])

        def entry():
            [e] = [e for e in client_list(rr, "ID", str(txn_id))]
            return e

        assert entry()["multi"] == "-1" and "x" not in entry()["flags"]
        for finish in ("EXEC", "DISCARD"):
            assert txn.call("MULTI") == b"+OK\r\n"
            assert entry()["multi"] == "0" and "x" in entry()["flags"]
            assert txn.call("SET k v") == b"+QUEUED\r\n"
            assert txn.call("GET k") == b"+QUEUED\r\n"
            e = entry()
            assert e["multi"] == "2" and "x" in e["flags"]
            assert int(e["multi-mem"]) > 0
            assert int(e["tot-mem"]) >= int(e["multi-mem"])
            if finish == "EXEC":
                assert txn.call("EXEC") == b"*2\r\n"
                assert txn.file.read(len(b"+OK\r\n$1\r\nv\r\n")) == b"+OK\r\n$1\r\nv\r\n"
            else:
                assert txn.call("DISCARD") == b"+OK\r\n"
            e = entry()
            assert e["multi"] == "-1" and "x" not in e["flags"] and e["multi-mem"] == "0"
    finally:
        txn.close()


def test_client_info_run_by_exec_sees_its_client_still_in_multi(server):
    """Redis keeps the client in MULTI until its EXEC has run the queue."""
    c = server.client()
    c.response_callbacks.clear()  # replies as sent, as the rr fixture
    try:
        p = c.pipeline(transaction=True)
        p.execute_command("CLIENT", "INFO")
        p.set("k", "v")
        info, ok = p.execute()
        fields = parse_line(info.decode().rstrip("\n"))
        assert "x" in fields["flags"] and fields["multi"] == "2" and ok == b"OK"
        after = parse_line(c.execute_command("CLIENT", "INFO").decode().rstrip("\n"))
        assert after["multi"] == "-1" and "x" not in after["flags"]
    finally:
        c.close()


def test_client_list_id_filter(server, rr):
    other = RawConn(server)
    try:
        other_id = int(other.call("CLIENT ID")[1:])
        mine = rr.execute_command("CLIENT", "ID")
        listed = [int(e["id"]) for e in client_list(rr, "ID", str(other_id), "999999", str(mine))]
        assert listed == [other_id, mine]
        assert client_list(rr, "ID", "999999") == []
        with pytest.raises(redis.ResponseError) as e:
            rr.execute_command("CLIENT", "LIST", "ID", "abc")
        assert error_text(e) == "Invalid client ID"
    finally:
        other.close()


@pytest.mark.parametrize("args", [("TYPE",), ("ID",), ("bogus",), ("TYPE", "normal", "ID", "1")])
def test_client_list_bad_arguments_are_syntax_errors(rr, args):
    with pytest.raises(redis.ResponseError) as e:
        rr.execute_command("CLIENT", "LIST", *args)
    assert error_text(e) == "syntax error"


def test_client_kill_by_id_from_another_connection(server, rr):
    victim = RawConn(server)
    victim_id = int(victim.call("CLIENT ID")[1:])
    assert rr.execute_command("CLIENT", "KILL", "ID", str(victim_id)) == 1
    assert victim.wait_closed(), "killed client still connected"
    victim.close()
    assert rr.execute_command("CLIENT", "KILL", "ID", str(victim_id)) == 0


def test_client_kill_old_form_by_address(server, rr):
    victim = RawConn(server)
    addr = parse_line(victim.call("CLIENT INFO").decode().rstrip("\n"))["addr"]
    assert rr.execute_command("CLIENT", "KILL", addr) == b"OK"
    assert victim.wait_closed()
    victim.close()
    with pytest.raises(redis.ResponseError) as e:
        rr.execute_command("CLIENT", "KILL", addr)
    assert error_text(e) == "No such client"


def test_client_kill_filters_by_addr_and_laddr(server, rr):
    victim = RawConn(server)
    info = parse_line(victim.call("CLIENT INFO").decode().rstrip("\n"))
    assert rr.execute_command("CLIENT", "KILL", "ADDR", "1.2.3.4:5") == 0
    assert rr.execute_command("CLIENT", "KILL", "LADDR", info["laddr"], "ADDR", info["addr"],
                              "USER", "default", "TYPE", "normal") == 1
    assert victim.wait_closed()
    victim.close()


def test_client_kill_skips_itself_unless_told(server):
    me = RawConn(server)
    my_id = me.call("CLIENT ID")[1:-2].decode()
    assert me.call("CLIENT KILL ID %s" % my_id) == b":0\r\n"
    assert me.call("CLIENT KILL ID %s SKIPME no" % my_id) == b":1\r\n"
    assert me.wait_closed()
    me.close()


def test_client_kill_itself_by_old_form_replies_then_closes(server):
    me = RawConn(server)
    addr = parse_line(me.call("CLIENT INFO").decode().rstrip("\n"))["addr"]
    assert me.call("CLIENT KILL %s" % addr) == b"+OK\r\n"
    assert me.wait_closed()
    me.close()


@pytest.mark.parametrize("args,message", [
    (("ID", "abc"), "client-id should be greater than 0"),
    (("ID", "0"), "client-id should be greater than 0"),
    (("TYPE", "bogus"), "Unknown client type 'bogus'"),
    (("USER", "nobody"), "No such user 'nobody'"),
    (("SKIPME", "maybe"), "syntax error"),
    (("BOGUS", "x"), "syntax error"),
    (("ID", "1", "TYPE"), "syntax error"),
])
def test_client_kill_filter_errors(rr, args, message):
    with pytest.raises(redis.ResponseError) as e:
        rr.execute_command("CLIENT", "KILL", *args)
    assert error_text(e) == message


def test_client_setinfo_sets_library_fields(rr):
    assert rr.execute_command("CLIENT", "SETINFO", "LIB-NAME", "redis-py") == b"OK"
    assert rr.execute_command("CLIENT", "SETINFO", "lib-ver", "4.3.4") == b"OK"
    info = parse_line(rr.execute_command("CLIENT", "INFO").decode().rstrip("\n"))
    assert info["lib-name"] == "redis-py" and info["lib-ver"] == "4.3.4"


def test_client_setinfo_errors(rr):
    with pytest.raises(redis.ResponseError) as e:
        rr.execute_command("CLIENT", "SETINFO", "bogus", "x")
    assert error_text(e) == "Unrecognized option 'bogus'"
    with pytest.raises(redis.ResponseError) as e:
        rr.execute_command("CLIENT", "SETINFO", "lib-name", "has space")
    assert error_text(e) == "lib-name cannot contain spaces, newlines or special characters."
    with pytest.raises(redis.ResponseError) as e:
        rr.execute_command("CLIENT", "SETINFO", "lib-name")
    assert error_text(e) == "wrong number of arguments for 'client|setinfo' command"


def test_client_no_evict(rr):
    assert rr.execute_command("CLIENT", "NO-EVICT", "on") == b"OK"
    assert "e" in parse_line(rr.execute_command("CLIENT", "INFO").decode().rstrip("\n"))["flags"]
    assert rr.execute_command("CLIENT", "NO-EVICT", "OFF") == b"OK"
    assert parse_line(rr.execute_command("CLIENT", "INFO").decode().rstrip("\n"))["flags"] == "N"
    with pytest.raises(redis.ResponseError) as e:
        rr.execute_command("CLIENT", "NO-EVICT", "maybe")
    assert error_text(e) == "syntax error"


def test_client_help(rr):
    lines = rr.execute_command("CLIENT", "HELP")
    assert lines[0] == b"CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    for entry in (b"ID", b"SETNAME <name>", b"GETNAME", b"KILL <ip:port>", b"LIST [options ...]",
                  b"NO-EVICT (ON|OFF)", b"SETINFO <option> <value>"):
        assert entry in lines
    assert lines[-2:] == [b"HELP", b"    Prints this help."]


def test_client_help_lines_are_status_replies(server):
    assert server.raw(b"CLIENT HELP\r\n").split(b"\r\n")[1].startswith(b"+CLIENT <subcommand>")


def test_client_unknown_or_missing_subcommand(rr):
    with pytest.raises(redis.ResponseError) as e:
        rr.execute_command("CLIENT", "bogus")
    assert error_text(e) == "unknown subcommand 'bogus'. Try CLIENT HELP."
    with pytest.raises(redis.ResponseError) as e:
        rr.execute_command("CLIENT")
    assert error_text(e) == "wrong number of arguments for 'client' command"


def test_client_reply_off_drops_replies_until_on(server):
    out = server.raw(b"CLIENT REPLY OFF\r\nSET reply:k 1\r\nPING\r\nGET reply:k\r\n"
                     b"CLIENT REPLY ON\r\nGET reply:k\r\n", read_timeout=1.0)
    assert out == b"+OK\r\n$1\r\n1\r\n"


def test_client_reply_skip_drops_only_the_next_reply(server):
    out = server.raw(b"CLIENT REPLY SKIP\r\nECHO skipped\r\nECHO seen\r\nPING\r\n",
                     read_timeout=1.0)
    assert out == b"$4\r\nseen\r\n+PONG\r\n"


def test_client_reply_skip_while_off_stays_off_and_bad_mode_is_syntax_error(server):
    out = server.raw(b"CLIENT REPLY OFF\r\nCLIENT REPLY SKIP\r\nPING\r\nCLIENT REPLY ON\r\n"
                     b"CLIENT REPLY MAYBE\r\n", read_timeout=1.0)
    assert out == b"+OK\r\n-ERR syntax error\r\n"


def test_client_list_shows_the_running_command_in_qbuf(server):
    # As Redis 7.0: the caller's own CLIENT LIST (26 bytes in RESP) is in its query buffer
    # while it runs; argv-mem counts its arguments ("client" + "list").
    out = server.raw(b"*2\r\n$6\r\nCLIENT\r\n$4\r\nLIST\r\n", read_timeout=1.0).decode()
    # Ours is the newest connection (a shared server may hold older ones whose last
    # command was a CLIENT LIST too, when the whole directory runs in one pytest).
    rows = [dict(kv.split("=", 1) for kv in l.split() if "=" in kv)
            for l in out.splitlines() if "cmd=client|list" in l]
    fields = max(rows, key=lambda r: int(r["id"]))
    assert fields["qbuf"] == "26"
    assert int(fields["qbuf-free"]) > 0
    assert fields["argv-mem"] == "10"
    assert fields["oll"] == "0"
