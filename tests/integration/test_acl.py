"""ACL: users, hashed passwords, command categories and key patterns (Redis 7.0)."""
import hashlib
import socket

import pytest
import redis

from vellum_harness import Vellumd

SSR_RULES = ["on", ">secret", "~pages:*", "+@read", "+@write", "-@dangerous"]


def sha(text):
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture(autouse=True)
def clean_users(server):
    """Every test starts with only the default user."""
    yield
    c = server.client(decode_responses=True)
    for name in c.execute_command("ACL", "USERS"):
        if name != "default":
            c.execute_command("ACL", "DELUSER", name)
    c.close()


def setuser(client, name, *rules):
    return client.execute_command("ACL", "SETUSER", name, *rules)


def as_user(server, name, password):
    return server.client(username=name, password=password, decode_responses=True)


# ---- ACL SETUSER / GETUSER / LIST / USERS / DELUSER ----

def test_setuser_then_list_shows_rules_with_password_hash(rd):
    assert setuser(rd, "app", *SSR_RULES) == "OK"
    assert rd.execute_command("ACL", "LIST") == [
        "user app on #%s ~pages:* resetchannels -@all +@read +@write -@dangerous" % sha("secret"),
        "user default on nopass ~* &* +@all"]


def test_new_user_without_rules_is_off_with_nothing(rd):
    setuser(rd, "eve")
    assert rd.execute_command("ACL", "LIST")[1] == "user eve off resetchannels -@all"


def test_getuser_reply_fields(rd):
    setuser(rd, "app", *SSR_RULES, "%R~ro:*", "&news:*")
    assert rd.execute_command("ACL", "GETUSER", "app") == [
        "flags", ["on"],
        "passwords", [sha("secret")],
        "commands", "-@all +@read +@write -@dangerous",
        "keys", "~pages:* %R~ro:*",
        "channels", "&news:*",
        "selectors", []]


def test_getuser_of_default(rd):
    assert rd.execute_command("ACL", "GETUSER", "default") == [
        "flags", ["on", "nopass"], "passwords", [], "commands", "+@all", "keys", "~*",
        "channels", "&*", "selectors", []]


def test_getuser_of_missing_user_is_nil(server):
    assert server.raw(b"ACL GETUSER nosuch\r\n", read_timeout=0.5) == b"$-1\r\n"


def test_getuser_flags_are_a_set_in_resp3(server):
    out = server.raw(b"HELLO 3\r\nACL GETUSER default\r\n", read_timeout=0.5)
    assert b"%6\r\n$5\r\nflags\r\n~2\r\n$2\r\non\r\n$6\r\nnopass\r\n" in out


def test_passwords_never_shown_in_clear(rd):
    setuser(rd, "app", "on", ">hunter2", "#" + sha("other"))
    shown = str(rd.execute_command("ACL", "LIST")) + str(rd.execute_command("ACL", "GETUSER", "app"))
    assert "hunter2" not in shown
    assert sha("hunter2") in shown and sha("other") in shown


def test_setuser_unknown_modifier_is_a_syntax_error(server):
    out = server.raw(b"ACL SETUSER bob on x\r\nACL GETUSER bob\r\n", read_timeout=0.5)
    assert out == b"-ERR Error in ACL SETUSER modifier 'x': Syntax error\r\n$-1\r\n"


def test_setuser_unknown_command_or_category(rd):
    for rule in ("+nosuch", "+@nosuch", "+config|nosuch"):
        with pytest.raises(redis.ResponseError) as e:
            setuser(rd, "bob", rule)
        assert str(e.value) == ("Error in ACL SETUSER modifier '%s': Unknown command or "
                                "category name in ACL" % rule)


def test_setuser_bad_password_hash(rd):
    with pytest.raises(redis.ResponseError) as e:
        setuser(rd, "bob", "#abc")
    assert str(e.value) == ("Error in ACL SETUSER modifier '#abc': The password hash must be "
                            "exactly 64 characters and contain only lowercase hexadecimal "
                            "characters")


def test_setuser_removing_a_missing_password(rd):
    with pytest.raises(redis.ResponseError) as e:
        setuser(rd, "bob", "<nope")
    assert str(e.value) == ("Error in ACL SETUSER modifier '<nope': The password you are "
                            "trying to remove from the user does not exist")


def test_setuser_pattern_after_allkeys(rd):
    with pytest.raises(redis.ResponseError) as e:
        setuser(rd, "bob", "allkeys", "~foo")
    assert "Try 'resetkeys' to start with an empty list of patterns" in str(e.value)


def test_users_are_sorted(rd):
    setuser(rd, "zed")
    setuser(rd, "amy")
    assert rd.execute_command("ACL", "USERS") == ["amy", "default", "zed"]


def test_deluser_counts_deleted_users(rd):
    setuser(rd, "a")
    setuser(rd, "b")
    assert rd.execute_command("ACL", "DELUSER", "a", "b", "nosuch") == 2
    assert rd.execute_command("ACL", "USERS") == ["default"]


def test_deluser_default_is_refused(rd):
    setuser(rd, "a")
    with pytest.raises(redis.ResponseError, match="^The 'default' user cannot be removed$"):
        rd.execute_command("ACL", "DELUSER", "a", "default")
    assert rd.execute_command("ACL", "USERS") == ["a", "default"]


def test_deluser_disconnects_the_users_clients(rd, server):
    setuser(rd, "app", "on", ">pw", "+@all", "~*")
    with socket.create_connection(("127.0.0.1", server.port), timeout=2) as app:
        app.sendall(b"AUTH app pw\r\n")
        assert app.recv(100) == b"+OK\r\n"
        assert rd.execute_command("ACL", "DELUSER", "app") == 1
        assert app.recv(100) == b""  # closed by the server


# ---- WHOAMI / CAT / DRYRUN / LOG / HELP ----

def test_whoami_is_default_then_the_authenticated_user(rd, server):
    assert rd.execute_command("ACL", "WHOAMI") == "default"
    setuser(rd, "app", "on", ">pw", "+acl|whoami")
    assert as_user(server, "app", "pw").execute_command("ACL", "WHOAMI") == "app"


def test_cat_lists_every_category(rd):
    assert rd.execute_command("ACL", "CAT") == [
        "keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap",
        "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking",
        "dangerous", "connection", "transaction", "scripting"]


def test_cat_of_a_category_lists_its_commands(rd):
    strings = rd.execute_command("ACL", "CAT", "string")
    assert "get" in strings and "set" in strings and "hset" not in strings
    dangerous = rd.execute_command("ACL", "CAT", "dangerous")
    assert "flushall" in dangerous and "get" not in dangerous


def test_cat_unknown_category(rd):
    with pytest.raises(redis.ResponseError, match="^Unknown category 'nosuch'$"):
        rd.execute_command("ACL", "CAT", "nosuch")


def test_dryrun_reports_without_running(rd):
    setuser(rd, "app", *SSR_RULES)
    assert rd.execute_command("ACL", "DRYRUN", "app", "set", "pages:1", "v") == "OK"
    assert rd.get("pages:1") is None
    assert rd.execute_command("ACL", "DRYRUN", "app", "get", "other:1") == \
        "This user has no permissions to access the 'other:1' key"
    assert rd.execute_command("ACL", "DRYRUN", "app", "flushall") == \
        "This user has no permissions to run the 'flushall' command"


def test_dryrun_unknown_user_and_command(rd):
    with pytest.raises(redis.ResponseError, match="^User 'nosuch' not found$"):
        rd.execute_command("ACL", "DRYRUN", "nosuch", "get", "k")
    with pytest.raises(redis.ResponseError, match="^Command 'nosuch' not found$"):
        rd.execute_command("ACL", "DRYRUN", "default", "nosuch")


def log_fields(entry):
    return {k: entry[k] for k in ("count", "reason", "context", "object", "username")}


def test_log_records_denials_newest_first(server, rd):
    rd.execute_command("ACL", "LOG", "RESET")
    setuser(rd, "app", *SSR_RULES)
    server.raw(b"AUTH app secret\r\nFLUSHALL\r\nGET other:1\r\nGET other:1\r\n"
               b"AUTH app wrong\r\n", read_timeout=0.5)
    log = [log_fields(e) for e in rd.acl_log()]
    assert log == [
        {"count": 1, "reason": "auth", "context": "toplevel", "object": "AUTH", "username": "app"},
        {"count": 2, "reason": "key", "context": "toplevel", "object": "other:1",
         "username": "app"},
        {"count": 1, "reason": "command", "context": "toplevel", "object": "flushall",
         "username": "app"}]
    assert len(rd.execute_command("ACL", "LOG", "1")) == 1
    entry = rd.acl_log(1)[0]
    assert float(entry["age-seconds"]) < 5
    assert entry["client-info"]["user"] == "app"  # the client was app when AUTH failed


def test_log_reset_empties_it(server, rd):
    server.raw(b"AUTH nosuch pw\r\n", read_timeout=0.5)
    assert rd.execute_command("ACL", "LOG", "RESET") == "OK"
    assert rd.execute_command("ACL", "LOG") == []


def test_help_starts_with_the_usage_line(rd):
    lines = rd.execute_command("ACL", "HELP")
    assert lines[0] == "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert lines[-2:] == ["HELP", "    Prints this help."]


# ---- AUTH ----

def test_auth_with_user_and_right_password(server, rd):
    setuser(rd, "app", *SSR_RULES)
    out = server.raw(b"AUTH app secret\r\nACL WHOAMI\r\n", read_timeout=0.5)
    assert out.startswith(b"+OK\r\n")


def test_auth_with_wrong_password(server, rd):
    setuser(rd, "app", *SSR_RULES)
    out = server.raw(b"AUTH app nope\r\n", read_timeout=0.5)
    assert out == b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"


def test_auth_of_disabled_user(server, rd):
    setuser(rd, "app", "off", ">secret", "+@all")
    out = server.raw(b"AUTH app secret\r\n", read_timeout=0.5)
    assert out == b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"


def test_auth_of_unknown_user(server):
    out = server.raw(b"AUTH nosuch secret\r\n", read_timeout=0.5)
    assert out == b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"


def test_hello_auth_with_user(server, rd):
    setuser(rd, "app", "on", ">pw", "+acl|whoami")
    out = server.raw(b"HELLO 3 AUTH app pw\r\nACL WHOAMI\r\n", read_timeout=0.5)
    assert out.startswith(b"%7\r\n") and out.endswith(b"$3\r\napp\r\n")


def test_hello_auth_wrong_password(server, rd):
    setuser(rd, "app", "on", ">pw")
    out = server.raw(b"HELLO 3 AUTH app nope\r\n", read_timeout=0.5)
    assert out == b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"


def test_reset_returns_to_the_default_user(server, rd):
    setuser(rd, "app", "on", ">pw", "+@all")
    out = server.raw(b"AUTH app pw\r\nRESET\r\nACL WHOAMI\r\n", read_timeout=0.5)
    assert out == b"+OK\r\n+RESET\r\n$7\r\ndefault\r\n"


def test_client_list_shows_the_user(server, rd):
    setuser(rd, "app", "on", ">pw", "+client|info")
    info = as_user(server, "app", "pw").execute_command("CLIENT", "INFO")
    assert " user=app " in info


def test_client_kill_user_closes_that_users_clients(server, rd):
    setuser(rd, "app", "on", ">pw", "+@all", "~*")
    with socket.create_connection(("127.0.0.1", server.port), timeout=2) as app:
        app.sendall(b"AUTH app pw\r\n")
        assert app.recv(100) == b"+OK\r\n"
        assert rd.execute_command("CLIENT", "KILL", "USER", "app") == 1
        assert app.recv(100) == b""
    with pytest.raises(redis.ResponseError, match="^No such user 'nosuch'$"):
        rd.execute_command("CLIENT", "KILL", "USER", "nosuch")


# ---- Permissions ----

def test_denied_command_is_noperm(server, rd):
    setuser(rd, "app", *SSR_RULES)
    out = server.raw(b"AUTH app secret\r\nFLUSHALL\r\n", read_timeout=0.5)
    assert out == (b"+OK\r\n-NOPERM this user has no permissions to run the 'flushall' "
                   b"command\r\n")


def test_denied_key_is_noperm(server, rd):
    setuser(rd, "app", *SSR_RULES)
    out = server.raw(b"AUTH app secret\r\nGET other:1\r\nGET pages:1\r\n", read_timeout=0.5)
    assert out == (b"+OK\r\n-NOPERM this user has no permissions to access one of the keys "
                   b"used as arguments\r\n$-1\r\n")


def test_mget_with_one_denied_key_is_refused(server, rd):
    setuser(rd, "app", *SSR_RULES)
    app = as_user(server, "app", "secret")
    with pytest.raises(redis.exceptions.NoPermissionError):
        app.mget("pages:1", "other:1")
    assert app.mget("pages:1", "pages:2") == [None, None]


def test_read_category_cannot_set(server, rd):
    setuser(rd, "reader", "on", ">pw", "~*", "+@read")
    reader = as_user(server, "reader", "pw")
    assert reader.get("k") is None
    with pytest.raises(redis.exceptions.NoPermissionError,
                       match="no permissions to run the 'set' command"):
        reader.set("k", "v")


def test_ssr_user_reads_and_writes_its_pages(server, rd):
    setuser(rd, "app", *SSR_RULES)
    app = as_user(server, "app", "secret")
    assert app.set("pages:/home", "<html>", ex=60)
    assert app.get("pages:/home") == "<html>"
    with pytest.raises(redis.exceptions.NoPermissionError):
        app.set("sessions:1", "x")


def test_write_only_pattern_cannot_read(server, rd):
    setuser(rd, "app", "on", ">pw", "+@all", "%W~w:*", "%R~r:*")
    app = as_user(server, "app", "pw")
    assert app.set("w:1", "v")
    with pytest.raises(redis.exceptions.NoPermissionError):
        app.get("w:1")
    assert app.get("r:1") is None
    with pytest.raises(redis.exceptions.NoPermissionError):
        app.set("r:1", "v")


def test_subcommand_rule_allows_only_that_subcommand(server, rd):
    setuser(rd, "ops", "on", ">pw", "+config|get")
    ops = as_user(server, "ops", "pw")
    assert "maxmemory" in ops.config_get("maxmemory")
    with pytest.raises(redis.exceptions.NoPermissionError,
                       match="'config\\|set' command"):
        ops.config_set("maxmemory", "0")


def test_container_rule_allows_every_subcommand(server, rd):
    setuser(rd, "ops", "on", ">pw", "+config")
    ops = as_user(server, "ops", "pw")
    assert ops.config_set("slowlog-max-len", "128")


def test_setuser_applies_to_connected_clients(server, rd):
    setuser(rd, "app", "on", ">pw", "~*", "+get")
    app = as_user(server, "app", "pw")
    with pytest.raises(redis.exceptions.NoPermissionError):
        app.set("k", "v")
    setuser(rd, "app", "+set")
    assert app.set("k", "v")


def test_denied_command_counts_as_rejected_call(server, rd):
    rd.config_resetstat()
    setuser(rd, "app", *SSR_RULES)
    app = as_user(server, "app", "secret")
    with pytest.raises(redis.exceptions.NoPermissionError):
        app.flushall()
    assert rd.info("commandstats")["cmdstat_flushall"]["rejected_calls"] == 1


def test_noperm_inside_multi_aborts_exec(server, rd):
    setuser(rd, "app", *SSR_RULES, "+@transaction")
    out = server.raw(b"AUTH app secret\r\nMULTI\r\nSET other v\r\nEXEC\r\n", read_timeout=0.5)
    assert out == (b"+OK\r\n+OK\r\n-NOPERM this user has no permissions to access one of the "
                   b"keys used as arguments\r\n-EXECABORT Transaction discarded because of "
                   b"previous errors.\r\n")


def test_denied_channel_is_noperm(server, rd):
    setuser(rd, "app", "on", ">pw", "+@all", "&news:*")
    out = server.raw(b"AUTH app pw\r\nPUBLISH other m\r\nPUBLISH news:1 m\r\n",
                     read_timeout=0.5)
    assert out == (b"+OK\r\n-NOPERM this user has no permissions to access one of the "
                   b"channels used as arguments\r\n:0\r\n")


def test_auth_and_hello_need_no_permission(server, rd):
    setuser(rd, "none", "on", ">pw", "-@all")
    out = server.raw(b"AUTH none pw\r\nPING\r\nAUTH none pw\r\n", read_timeout=0.5)
    assert out == (b"+OK\r\n-NOPERM this user has no permissions to run the 'ping' command\r\n"
                   b"+OK\r\n")


# ---- requirepass is the default user's password ----

def test_requirepass_is_the_default_users_password():
    with Vellumd("--requirepass", "s3cret") as s:
        out = s.raw(b"GET k\r\nAUTH default s3cret\r\nACL LIST\r\n", read_timeout=0.5)
        line = ("user default on #%s ~* &* +@all" % sha("s3cret")).encode()
        assert out == (b"-NOAUTH Authentication required.\r\n+OK\r\n*1\r\n$%d\r\n%s\r\n"
                       % (len(line), line))


def test_config_set_requirepass_updates_default():
    with Vellumd() as s:
        c = s.client(decode_responses=True)
        c.config_set("requirepass", "newpass")
        # Redis keeps a client that connected while default was nopass authenticated;
        # Vellum asks it to AUTH (see the ACL notes in server/acl.h).
        c.execute_command("AUTH", "newpass")
        assert c.execute_command("ACL", "GETUSER", "default")[3] == [sha("newpass")]
        assert s.raw(b"GET k\r\n", read_timeout=0.5) == b"-NOAUTH Authentication required.\r\n"
        assert s.raw(b"AUTH newpass\r\nGET k\r\n", read_timeout=0.5) == b"+OK\r\n$-1\r\n"
        c.config_set("requirepass", "")
        assert c.execute_command("ACL", "GETUSER", "default")[1] == ["on", "nopass"]
        assert s.raw(b"GET k\r\n", read_timeout=0.5) == b"$-1\r\n"


def test_setuser_default_password_requires_auth():
    with Vellumd() as s:
        c = s.client()
        c.execute_command("ACL", "SETUSER", "default", "resetpass", ">pw")
        assert s.raw(b"GET k\r\nAUTH pw\r\nGET k\r\n", read_timeout=0.5) == \
            b"-NOAUTH Authentication required.\r\n+OK\r\n$-1\r\n"


# ---- Users from the config file ----

CONFIG_USERS = """
[[acl.user]]
name = "app"
rules = "on >secret ~pages:* +@read +@write -@dangerous"

[[acl.user]]
name = "reader"
rules = "on >r ~* +@read"
"""


def test_users_from_the_config_file():
    with Vellumd(config_text=CONFIG_USERS) as s:
        c = s.client(decode_responses=True)
        assert c.execute_command("ACL", "USERS") == ["app", "default", "reader"]
        app = s.client(username="app", password="secret", decode_responses=True)
        assert app.set("pages:1", "v")
        with pytest.raises(redis.exceptions.NoPermissionError):
            app.get("other:1")
        reader = s.client(username="reader", password="r")
        with pytest.raises(redis.exceptions.NoPermissionError):
            reader.set("k", "v")


def test_config_rewrite_keeps_the_config_file_users():
    with Vellumd(config_text=CONFIG_USERS) as s:
        c = s.client()
        c.config_set("maxmemory", "1mb")
        assert c.execute_command("CONFIG", "REWRITE") == b"OK"
        with open(s.config_path) as f:
            text = f.read()
        assert 'name = "app"' in text and 'rules = "on >r ~* +@read"' in text


def test_bad_acl_rule_in_the_config_file_stops_startup():
    text = '[[acl.user]]\nname = "ok"\nrules = "on"\n\n[[acl.user]]\nname = "bad"\nrules = "on bogus"\n'
    s = Vellumd(config_text=text)
    with pytest.raises(RuntimeError):
        s.start()
    s.proc.wait(timeout=5)
    assert s.proc.returncode == 1
    assert ("vellumd: bad configuration: %s:5: acl.user 'bad': Error in ACL SETUSER modifier "
            "'bogus': Syntax error" % s.config_path) in s.log()
    s.cleanup()


def test_acl_table_with_a_non_string_rule_is_a_config_error():
    s = Vellumd(config_text='[[acl.user]]\nname = "x"\nrules = 5\n')
    with pytest.raises(RuntimeError):
        s.start()
    s.proc.wait(timeout=5)
    assert "vellum.toml:3: 'acl.user.rules' must be a string, got an integer" in s.log()
    s.cleanup()
