"""Snapshots with the real vellumd and vellumctl: SNAPSHOT CREATE/LIST/INFO/DELETE/VERIFY,
BGSAVE/SAVE/LASTSAVE and their INFO fields, retention (keep-last, KEEP), scheduled
snapshots, events on `__vellum__:snapshots`, and the operator tool (online create/list;
offline list/info/verify/restore/drill/prune/delete), plus restore at start
(--restore-from).

A restore is checked by starting a new Vellumd on the restored data directory: the tool
restores into the new server's own `<tmp>/data` (what the harness passes as --dir) before
that server is started, and the data must come back with the same DEBUG DIGEST. A source
server is stopped before the offline tool reads its snapshot directory. Damage (a flipped
byte, a truncated file, a missing file) must be detected, named, and must leave a
restore's target untouched. Loops are bounded in count and time; data stays small
(at most 20k keys of 1 KiB).
"""
import hashlib
import json
import os
import random
import signal
import subprocess
import threading
import time

import pytest
import redis

from vellum_harness import Vellumd, error_of, wait_for

VELLUMCTL = os.environ.get("VELLUMCTL",
                           os.path.join(os.path.dirname(__file__), "../../build/vellumctl"))
CHANNEL = "__vellum__:snapshots"


# ---- helpers -------------------------------------------------------------------------------

@pytest.fixture
def servers():
    """make(*args, start=True) -> a Vellumd, cleaned up when the test ends."""
    made = []

    def make(*args, start=True):
        s = Vellumd(*args)
        made.append(s)
        return s.start() if start else s

    yield make
    for s in made:
        s.cleanup()


def boot(s):
    """Starts s (or starts it again) and waits for the load: a restore or a restart of
    20k keys takes its time under TSan."""
    s.stop()
    s.start(wait=False)
    s.wait_ready(timeout=120)
    return s


def data_dir(s):
    return os.path.join(s.tmp, "data")


def snap_dir(s):
    return os.path.join(s.tmp, "data", "snapshots")  # snapshot.dir's default


def fill(c, n, size, prefix="key", seed=0):
    """n keys prefix:00000.. of `size` random (incompressible) bytes, pipelined."""
    rng = random.Random(seed)
    for base in range(0, n, 1000):
        p = c.pipeline(transaction=False)
        for i in range(base, min(n, base + 1000)):
            p.set("%s:%05d" % (prefix, i), rng.randbytes(size))
        assert all(p.execute())


def fields(flat):
    """A flat [name, value, ...] reply as a dict: names as str, text values as str,
    integers as int."""
    return {name.decode(): value.decode() if isinstance(value, bytes) else value
            for name, value in zip(flat[::2], flat[1::2])}


def create(c, *options):
    sid = c.execute_command("SNAPSHOT", "CREATE", *options)
    assert isinstance(sid, int), sid
    return sid


def snapshots(c):
    return [fields(e) for e in c.execute_command("SNAPSHOT", "LIST")]


def ids(c):
    return [int(e["id"]) for e in snapshots(c)]


def info(c, sid):
    return fields(c.execute_command("SNAPSHOT", "INFO", sid))


def digest(c):
    return c.execute_command("DEBUG", "DIGEST").decode()


def keys_by_db(text):
    """"db0=10,db3=5" -> {"db0": 10, "db3": 5}"""
    return {k: int(v) for k, v in (part.split("=") for part in text.split(",") if part)}


def ctl(*args, timeout=120):
    """Runs vellumctl; returns the CompletedProcess with text stdout/stderr."""
    return subprocess.run([VELLUMCTL, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


def ok(p):
    assert p.returncode == 0, (p.returncode, p.stdout, p.stderr)
    return p


def online(s, *args):
    return ctl("-h", "127.0.0.1", "-p", s.port, "snapshot", *args)


def text(v):
    """One field's value as text, whichever way it came (RESP integer or bulk, JSON
    number, string or boolean)."""
    if isinstance(v, bool):
        return str(int(v))
    return v.decode() if isinstance(v, bytes) else str(v)


def as_text(d):
    return {k: text(v) for k, v in d.items()}


def restored(make, snapdir, sid):
    """A new Vellumd whose data dir was restored from snapshot sid by vellumctl, started."""
    t = make(start=False)
    os.makedirs(data_dir(t))  # empty
    ok(ctl("snapshot", "restore", sid, "--to", data_dir(t), "--snapshot-dir", snapdir))
    return boot(t)


def file_digests(root):
    """{path relative to root: sha256} of every file but RocksDB's text logs."""
    out = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            if f.startswith("LOG"):
                continue
            p = os.path.join(dirpath, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, root)] = hashlib.sha256(fh.read()).hexdigest()
    return out


def before_restore_paths(target):
    """Siblings and children of target whose name contains "before-restore"."""
    parent = os.path.dirname(target)
    found = [os.path.join(parent, n) for n in os.listdir(parent) if "before-restore" in n]
    if os.path.isdir(target):
        found += [os.path.join(target, n) for n in os.listdir(target) if "before-restore" in n]
    return found


def tmp_names(root):
    """Files and directories under root whose name ends in ".tmp"."""
    out = []
    for dirpath, dirs, files in os.walk(root):
        out += [os.path.join(dirpath, n) for n in dirs + files if n.endswith(".tmp")]
    return out


def largest_table_file(snapdir):
    shared = os.path.join(snapdir, "shared_checksum")
    names = [n for n in os.listdir(shared) if n.endswith((".sst", ".blob"))]
    assert names, os.listdir(shared)
    return os.path.join(shared, max(names, key=lambda n: os.path.getsize(os.path.join(shared, n))))


def damage(path, how):
    if how == "flipped":
        with open(path, "r+b") as f:
            f.seek(os.path.getsize(path) // 2)
            byte = f.read(1)
            f.seek(-1, os.SEEK_CUR)
            f.write(bytes([byte[0] ^ 0xFF]))
    elif how == "truncated":
        os.truncate(path, os.path.getsize(path) // 2)
    else:
        os.remove(path)


def subscribe(s):
    p = s.client().pubsub()
    p.subscribe(CHANNEL)
    assert p.get_message(timeout=2)["type"] == "subscribe"
    return p


def collect_events(p, want, seconds=10.0):
    """(event, id) pairs published on CHANNEL until all of `want` are seen or time is up."""
    seen = set()
    deadline = time.time() + seconds
    while not want <= seen and time.time() < deadline:
        m = p.get_message(timeout=0.2)
        if m is not None and m["type"] == "message":
            ev = json.loads(m["data"])
            seen.add((ev["event"], int(ev["id"])))
    return seen


# ---- SNAPSHOT CREATE / LIST / INFO / DELETE ------------------------------------------------

def test_create_returns_increasing_ids_and_list_shows_label_and_keys(servers):
    s = servers()
    c = s.client()
    for i in range(10):
        c.set("a%d" % i, i)
    c3 = s.client(db=3)
    for i in range(5):
        c3.set("b%d" % i, i)
    t0 = time.time() * 1000
    first = create(c, "LABEL", "first")
    t1 = time.time() * 1000
    digest1 = digest(c)
    for i in range(10, 15):
        c.set("a%d" % i, i)
    second = create(c, "LABEL", "second one")
    digest2 = digest(c)
    third = create(c)
    assert [first, second, third] == [1, 2, 3]
    listed = snapshots(c)
    assert [int(e["id"]) for e in listed] == [1, 2, 3]
    one, two, three = listed
    assert one["label"] == "first" and two["label"] == "second one"
    assert [int(e["keys"]) for e in listed] == [15, 20, 20]
    assert [int(e["keep"]) for e in listed] == [0, 0, 0]
    assert one["digest"] == digest1 and two["digest"] == digest2 and three["digest"] == digest2
    assert t0 - 1000 <= int(one["created_ms"]) <= t1 + 1000
    assert int(two["sequence"]) > int(one["sequence"])
    for e in listed:
        assert int(e["total_bytes"]) > 0
        assert 0 <= int(e["added_bytes"]) <= int(e["total_bytes"])
    for sub in ("meta", "private", "shared_checksum"):
        assert os.path.isdir(os.path.join(snap_dir(s), sub)), sub
    c.close(), c3.close()


def test_info_has_the_list_fields_and_keys_by_db(servers):
    s = servers()
    c = s.client()
    c.set("x", "1")
    c.set("y", "2")
    c3 = s.client(db=3)
    c3.set("z", "3")
    sid = create(c, "LABEL", "info")
    got = info(c, sid)
    listed = snapshots(c)[0]
    for name, value in listed.items():
        assert text(got[name]) == text(value), name
    assert keys_by_db(got["keys_by_db"]) == {"db0": 2, "db3": 1}
    assert got["server_version"] and got["format_version"]
    assert int(got["files"]) > 0
    assert error_of(c, "SNAPSHOT", "INFO", 99).startswith("no such snapshot")
    c.close(), c3.close()


def test_delete_removes_one_snapshot_and_ids_are_not_reused(servers):
    s = servers()
    c = s.client()
    c.set("k", "v")
    assert [create(c) for _ in range(3)] == [1, 2, 3]
    assert c.execute_command("SNAPSHOT", "DELETE", 2) == b"OK"
    assert ids(c) == [1, 3]
    assert error_of(c, "SNAPSHOT", "DELETE", 2).startswith("no such snapshot")
    assert error_of(c, "SNAPSHOT", "DELETE", 99).startswith("no such snapshot")
    assert c.execute_command("SNAPSHOT", "VERIFY", 1) == b"OK"
    assert c.execute_command("SNAPSHOT", "VERIFY", 3) == b"OK"
    assert create(c) == 4
    c.close()


def test_id_of_a_deleted_newest_snapshot_is_not_given_again_after_a_restart(servers):
    # BackupEngine numbers backups from the highest one left; Vellum's ids come from the
    # directory's own counter.
    s = servers()
    c = s.client()
    c.set("k", "v")
    assert [create(c) for _ in range(2)] == [1, 2]
    assert c.execute_command("SNAPSHOT", "DELETE", 2) == b"OK"
    c.close()
    boot(s)
    c = s.client()
    assert create(c) == 3
    assert ids(c) == [1, 3]
    assert c.execute_command("SNAPSHOT", "VERIFY", 3) == b"OK"
    c.close()
    s.stop()
    out = json.loads(ok(ctl("snapshot", "list", "--snapshot-dir", snap_dir(s), "--json")).stdout)
    assert [m["id"] for m in out] == [1, 3]
    ok(ctl("snapshot", "verify", "3", "--snapshot-dir", snap_dir(s)))


def test_snapshot_dir_setting_is_where_snapshots_go(servers):
    s = servers(start=False)
    custom = os.path.join(s.tmp, "elsewhere")
    s.args += ["--snapshot.dir", custom]
    s.start()
    c = s.client()
    c.set("k", "v")
    sid = create(c)
    for sub in ("meta", "private", "shared_checksum"):
        assert os.path.isdir(os.path.join(custom, sub)), sub
    assert not os.path.exists(os.path.join(snap_dir(s), "meta"))
    c.close()
    s.stop()
    listed = json.loads(ok(ctl("snapshot", "list", "--snapshot-dir", custom, "--json")).stdout)
    assert [int(e["id"]) for e in listed] == [sid]


# ---- restore -----------------------------------------------------------------------------

def test_round_trip_of_every_type_database_and_ttl(servers):
    s = servers()
    c = s.client()
    c.set("s:plain", "hello")
    c.set("s:big", b"b" * 100_000)  # a blob-file value
    c.set("s:ttl", "soon", px=1_000_000)
    c.hset("h:user", mapping={"name": "ada", "cart": "3"})
    c.sadd("set:tags", "a", "b", "c")
    c3 = s.client(db=3)
    c3.set("three", "3")
    c3.hset("h:ttl", mapping={"f1": "v1", "f2": "v2"})
    c3.pexpire("h:ttl", 2_000_000)
    c3.sadd("set:three", *["m%d" % i for i in range(50)])
    before = digest(c)
    ttl0, ttl3 = c.pexpiretime("s:ttl"), c3.pexpiretime("h:ttl")
    sid = create(c)
    assert info(c, sid)["digest"] == before
    c.close(), c3.close()
    s.stop()

    t = restored(servers, snap_dir(s), sid)
    c, c3 = t.client(), t.client(db=3)
    assert digest(c) == before
    assert c.pexpiretime("s:ttl") == ttl0 and c3.pexpiretime("h:ttl") == ttl3
    assert c.get("s:plain") == b"hello" and c.get("s:big") == b"b" * 100_000
    assert c.hgetall("h:user") == {b"name": b"ada", b"cart": b"3"}
    assert c.smembers("set:tags") == {b"a", b"b", b"c"}
    assert c.dbsize() == 5
    assert c3.get("three") == b"3"
    assert c3.hgetall("h:ttl") == {b"f1": b"v1", b"f2": b"v2"}
    assert c3.scard("set:three") == 50
    assert c3.dbsize() == 3
    c.close(), c3.close()


def test_restore_from_at_start_takes_the_latest_or_the_given_snapshot(servers):
    s = servers()
    c = s.client()
    c.set("a", "1")
    first = create(c)
    digest1 = digest(c)
    c.set("a", "2")
    s.client(db=3).set("b", "1")
    second = create(c)
    digest2 = digest(c)
    assert second > first
    c.set("a", "3")  # after the last snapshot: never restored
    c.close()
    s.stop()

    latest = boot(servers("--restore-from", snap_dir(s), start=False))
    c, c3 = latest.client(), latest.client(db=3)
    assert c.get("a") == b"2" and c3.get("b") == b"1"
    assert digest(c) == digest2
    c.close(), c3.close()

    older = boot(servers("--restore-from", snap_dir(s), "--snapshot", str(first), start=False))
    c, c3 = older.client(), older.client(db=3)
    assert c.get("a") == b"1" and c3.get("b") is None
    assert digest(c) == digest1
    c.close(), c3.close()


def test_keys_whose_ttl_passed_since_the_snapshot_are_gone_after_restore(servers):
    s = servers()
    c = s.client()
    c.set("short", "v", px=1500)
    c.set("long", "v", ex=3600)
    c.set("none", "v")
    sid = create(c)
    long_at = c.pexpiretime("long")
    c.close()
    s.stop()
    time.sleep(1.6)  # "short" expires while no server holds it
    t = boot(servers("--restore-from", snap_dir(s), "--snapshot", str(sid), start=False))
    c = t.client()
    assert c.get("short") is None
    assert c.get("long") == b"v" and c.pexpiretime("long") == long_at
    assert c.get("none") == b"v" and c.ttl("none") == -1
    assert c.dbsize() == 2


def test_restore_into_a_non_empty_dir_needs_force_and_keeps_the_old_contents(servers):
    s = servers()
    c = s.client()
    c.set("new", "from the snapshot")
    sid = create(c)
    c.close()
    s.stop()

    u = servers()
    u.client().set("old", "before the restore")
    u.stop()
    target = data_dir(u)
    old = file_digests(target)

    p = ctl("snapshot", "restore", sid, "--to", target, "--snapshot-dir", snap_dir(s))
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert p.stderr.strip()
    assert file_digests(target) == old
    assert before_restore_paths(target) == []

    ok(ctl("snapshot", "restore", sid, "--to", target, "--snapshot-dir", snap_dir(s), "--force"))
    aside = before_restore_paths(target)
    assert len(aside) == 1, aside
    # The old database (db/) is what moves aside, byte for byte; the data directory's
    # other contents (its lock file, a snapshot directory inside it) stay where they are.
    old_db = {k[len("db/"):]: v for k, v in old.items() if k.startswith("db/")}
    assert old_db and old_db.items() <= file_digests(aside[0]).items()
    boot(u)
    c = u.client()
    assert c.get("new") == b"from the snapshot"
    assert c.get("old") is None
    c.close()


def test_snapshot_is_a_point_in_time_of_concurrent_writers(servers):
    s = servers()
    acked = [0, 0, 0, 0]
    stop = threading.Event()
    errors = []

    def writer(t):
        c = s.client()
        try:
            for i in range(1, 5001):  # 4 x 5000 = 20k writes at most
                if stop.is_set():
                    break
                c.set("seq:%d:%d" % (t, i), i)
                acked[t] = i
        except Exception as e:  # noqa: BLE001 (reported below)
            errors.append(e)
        finally:
            c.close()

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    c = s.client()
    try:
        deadline = time.time() + 1.0
        while min(acked) < 300 and time.time() < deadline:
            time.sleep(0.01)
        before = list(acked)  # acknowledged before SNAPSHOT CREATE is sent
        sid = create(c)
        time.sleep(0.3)
    finally:
        stop.set()
        for th in threads:
            th.join(timeout=30)
    assert not errors, errors
    last = list(acked)
    assert sum(last) > sum(before)  # writers ran on while the snapshot was taken
    keys = int(info(c, sid)["keys"])
    c.close()
    s.stop()

    t = restored(servers, snap_dir(s), sid)
    c = t.client()
    total = 0
    for w in range(4):
        got = {int(k.rsplit(b":", 1)[1]) for k in c.scan_iter(match="seq:%d:*" % w, count=1000)}
        k = max(got, default=0)
        assert got == set(range(1, k + 1)), (w, k, sorted(set(range(1, k + 1)) - got)[:10])
        assert before[w] <= k <= last[w], (w, before[w], k, last[w])
        total += len(got)
    assert c.dbsize() == total == keys
    c.close()


# ---- incremental, retention, schedule ------------------------------------------------------

def test_second_snapshot_adds_only_what_changed(servers):
    # A memtable larger than the data: each snapshot's flush then adds one level-0 file,
    # too few for RocksDB to start a compaction, which would rewrite the shared files
    # (the sharing is by file; how much a compaction rewrites is RocksDB's business and
    # is measured by bench/snapshot_time.py, not asserted here).
    s = servers("--storage.write-buffer-size", "64mb")
    c = s.client(socket_timeout=60)
    fill(c, 20_000, 1024)
    first = info(c, create(c))
    assert int(first["total_bytes"]) > 0.9 * 20_000 * 1024
    assert int(first["added_bytes"]) > 0.9 * int(first["total_bytes"])
    rng = random.Random(7)
    p = c.pipeline(transaction=False)
    for i in range(0, 20_000, 100):  # 200 keys spread over the key range
        p.set("key:%05d" % i, rng.randbytes(1024))
    assert all(p.execute())
    second = info(c, create(c))
    assert int(second["keys"]) == 20_000
    assert int(second["added_bytes"]) < 0.1 * int(second["total_bytes"]), second
    c.close()


def test_keep_last_prunes_older_snapshots(servers):
    s = servers("--snapshot.keep-last", "2")
    c = s.client()
    c.set("k", "v")
    assert [create(c) for _ in range(4)] == [1, 2, 3, 4]
    assert wait_for(lambda: ids(c) == [3, 4]), ids(c)
    assert c.execute_command("SNAPSHOT", "VERIFY", 3) == b"OK"
    assert error_of(c, "SNAPSHOT", "INFO", 1).startswith("no such snapshot")
    c.close()


def test_a_keep_snapshot_survives_pruning(servers):
    s = servers("--snapshot.keep-last", "2")
    c = s.client()
    c.set("k", "v")
    kept = create(c, "LABEL", "release", "KEEP")
    for _ in range(3):
        create(c)
    assert wait_for(lambda: ids(c) == [kept, 3, 4]), ids(c)
    listed = {int(e["id"]): e for e in snapshots(c)}
    assert int(listed[kept]["keep"]) == 1 and listed[kept]["label"] == "release"
    assert int(listed[4]["keep"]) == 0
    assert c.execute_command("SNAPSHOT", "VERIFY", kept) == b"OK"
    c.close()


def test_scheduled_snapshot_appears(servers):
    s = servers("--snapshot.interval", "1s")
    c = s.client()
    c.set("k", "v")
    assert wait_for(lambda: any(int(e["keys"]) >= 1 for e in snapshots(c)), 10), snapshots(c)
    assert c.info("snapshot")["snapshots"] >= 1
    c.close()


# ---- damage --------------------------------------------------------------------------------

@pytest.mark.parametrize("how", ["flipped", "truncated", "missing"])
def test_damaged_snapshot_is_detected_named_and_never_restored(servers, how):
    s = servers()
    c = s.client()
    fill(c, 2000, 1024)
    c.set("big", b"x" * 100_000)
    c.close()
    boot(s)  # a clean restart flushes the WAL into table (and blob) files
    c = s.client(socket_timeout=60)
    sid = create(c)
    assert c.execute_command("SNAPSHOT", "VERIFY", sid) == b"OK"
    victim = largest_table_file(snap_dir(s))
    name = os.path.basename(victim)
    damage(victim, how)

    with pytest.raises(redis.ResponseError) as e:
        c.execute_command("SNAPSHOT", "VERIFY", sid)
    assert name in str(e.value), str(e.value)
    c.close()
    s.stop()

    p = ctl("snapshot", "verify", sid, "--snapshot-dir", snap_dir(s))
    assert p.returncode == 1 and name in p.stderr, (p.returncode, p.stderr)
    p = ctl("snapshot", "drill", sid, "--snapshot-dir", snap_dir(s))
    assert p.returncode == 1 and "drill ok" not in p.stdout, (p.returncode, p.stdout, p.stderr)

    # An empty target stays empty.
    empty = os.path.join(s.tmp, "restore-target")
    os.makedirs(empty)
    p = ctl("snapshot", "restore", sid, "--to", empty, "--snapshot-dir", snap_dir(s))
    assert p.returncode == 1 and name in p.stderr, (p.returncode, p.stderr)
    assert os.listdir(empty) == []

    # A daemon's data dir is left as it was, even with --force and by --restore-from.
    u = servers()
    u.client().set("old", "kept")
    u.stop()
    old = file_digests(data_dir(u))
    p = ctl("snapshot", "restore", sid, "--to", data_dir(u), "--snapshot-dir", snap_dir(s),
            "--force")
    assert p.returncode == 1 and name in p.stderr, (p.returncode, p.stderr)
    assert file_digests(data_dir(u)) == old
    assert before_restore_paths(data_dir(u)) == []
    at_start = ["--restore-from", snap_dir(s), "--snapshot", str(sid)]
    proc = subprocess.run(u.command_line() + at_start, capture_output=True, timeout=60,
                          cwd=u.tmp)
    assert proc.returncode != 0, (proc.stdout + proc.stderr).decode(errors="replace")
    assert file_digests(data_dir(u)) == old
    boot(u)
    assert u.client().get("old") == b"kept"


# ---- crash during a background save -------------------------------------------------------

def test_kill9_during_bgsave_keeps_earlier_snapshots_and_leaves_no_tmp(servers):
    s = servers("--snapshot.max-mb-per-sec", "4")  # ~20 MB to copy: seconds at 4 MB/s
    c = s.client()
    fill(c, 200, 100, prefix="early")
    first = create(c)
    first_entry = snapshots(c)[0]
    fill(c, 20_000, 1024, prefix="bulk", seed=1)
    assert c.execute_command("BGSAVE") in (True, b"Background saving started")
    assert c.info("persistence")["rdb_bgsave_in_progress"] == 1
    time.sleep(0.5)  # well into copying the files
    os.kill(s.proc.pid, signal.SIGKILL)
    c.close()

    s.args = []  # the restart copies at full speed
    boot(s)
    c = s.client(socket_timeout=60)
    listed = {int(e["id"]): e for e in snapshots(c)}
    assert first in listed
    for name in ("label", "created_ms", "keys", "total_bytes", "digest", "sequence", "keep"):
        assert text(listed[first][name]) == text(first_entry[name]), name
    for sid in listed:
        assert c.execute_command("SNAPSHOT", "VERIFY", sid) == b"OK", sid
    assert tmp_names(snap_dir(s)) == []
    newer = create(c)
    assert newer > max(listed)
    assert int(info(c, newer)["keys"]) == 20_200
    assert c.execute_command("SNAPSHOT", "VERIFY", newer) == b"OK"
    assert tmp_names(snap_dir(s)) == []
    c.close()


# ---- BGSAVE / SAVE / LASTSAVE / INFO -------------------------------------------------------

def test_bgsave_save_lastsave_and_info_fields(servers):
    s = servers("--snapshot.max-mb-per-sec", "1")  # ~3 MB: a BGSAVE lasts seconds
    c = s.client()
    raw = s.client(socket_timeout=60)
    raw.response_callbacks.clear()
    fill(c, 3000, 1024)
    p = c.info("persistence")
    assert p["rdb_bgsave_in_progress"] == 0 and p["rdb_saves"] == 0
    assert p["rdb_changes_since_last_save"] > 0
    t0 = int(time.time())
    assert raw.execute_command("BGSAVE") in (True, b"Background saving started")
    assert error_of(raw, "BGSAVE") == "Background save already in progress"
    assert raw.execute_command("BGSAVE", "SCHEDULE") == b"Background saving scheduled"
    assert c.info("persistence")["rdb_bgsave_in_progress"] == 1
    # The running one and then the scheduled one.
    assert wait_for(lambda: c.info("persistence")["rdb_saves"] == 2
                    and c.info("persistence")["rdb_bgsave_in_progress"] == 0, 30), \
        c.info("persistence")
    p = c.info("persistence")
    assert p["rdb_last_bgsave_status"] == "ok"
    lastsave = raw.execute_command("LASTSAVE")
    assert t0 <= lastsave <= time.time() + 1
    assert p["rdb_last_save_time"] == lastsave
    assert ids(c) == [1, 2]

    assert raw.execute_command("SAVE") == b"OK"
    p = c.info("persistence")
    assert p["rdb_saves"] == 3 and p["rdb_changes_since_last_save"] == 0
    assert raw.execute_command("LASTSAVE") >= lastsave
    snap = c.info("snapshot")
    assert snap["snapshots"] == 3 and snap["snapshot_last_id"] == 3
    assert snap["snapshot_failures"] == 0
    assert snap["snapshot_last_keys"] == 3000
    assert snap["snapshot_last_duration_ms"] >= 0
    assert ids(c) == [1, 2, 3]
    c.close(), raw.close()


def test_snapshot_events_are_published(servers):
    s = servers("--snapshot.keep-last", "1")
    c = s.client()
    c.set("k", "v")
    p = subscribe(s)
    assert create(c) == 1
    assert create(c) == 2  # prunes 1
    assert wait_for(lambda: ids(c) == [2])
    assert c.execute_command("SNAPSHOT", "DELETE", 2) == b"OK"
    want = {("created", 1), ("created", 2), ("pruned", 1), ("deleted", 2)}
    assert collect_events(p, want) >= want
    p.close(), c.close()


def test_durability_none_refuses_snapshots(servers):
    s = servers("--storage.durability", "none")
    c = s.client()
    c.set("k", "v")
    for cmd in (("SNAPSHOT", "CREATE"), ("BGSAVE",), ("SAVE",)):
        assert error_of(c, *cmd).startswith("snapshots need storage.durability"), cmd
    c.close()


# ---- vellumctl -----------------------------------------------------------------------------

def test_vellumctl_online_create_and_list(servers):
    s = servers()
    c = s.client()
    c.set("k", "v")
    assert ok(online(s, "create", "--label", "ops", "--keep")).stdout.strip() == "1"
    assert ok(online(s, "create", "--label", "nightly")).stdout.strip() == "2"
    listed = json.loads(ok(online(s, "list", "--json")).stdout)
    expected = [as_text(e) for e in snapshots(c)]
    assert [{k: text(e[k]) for k in expected[0]} for e in listed] == expected
    assert listed[0]["label"] == "ops" and int(listed[0]["keep"]) == 1
    assert "ops" in ok(online(s, "list")).stdout
    c.close()


def test_vellumctl_offline_list_and_info_match_the_server(servers):
    s = servers()
    c = s.client()
    c.set("a", "1")
    s.client(db=3).set("b", "2")
    create(c, "LABEL", "one")
    sid = create(c, "LABEL", "two", "KEEP")
    listed = [as_text(e) for e in snapshots(c)]
    detail = as_text(info(c, sid))
    c.close()
    s.stop()
    d = snap_dir(s)
    got = json.loads(ok(ctl("snapshot", "list", "--snapshot-dir", d, "--json")).stdout)
    assert [{k: text(e[k]) for k in listed[0]} for e in got] == listed
    got = json.loads(ok(ctl("snapshot", "info", sid, "--snapshot-dir", d, "--json")).stdout)
    assert {k: text(got[k]) for k in detail} == detail
    assert keys_by_db(got["keys_by_db"]) == {"db0": 1, "db3": 1}
    out = ok(ctl("snapshot", "list", "--snapshot-dir", d)).stdout
    assert "one" in out and "two" in out
    p = ctl("snapshot", "info", 99, "--snapshot-dir", d)
    assert p.returncode == 1 and p.stderr.strip()
    assert ctl("snapshot", "no-such-subcommand", "--snapshot-dir", d).returncode == 2


def test_vellumctl_offline_prune_and_delete(servers):
    s = servers()
    c = s.client()
    c.set("k", "v")
    kept = create(c, "KEEP")
    for i in range(3):
        c.set("k", i)
        create(c)
    c.close()
    s.stop()
    d = snap_dir(s)

    def listed():
        out = ok(ctl("snapshot", "list", "--snapshot-dir", d, "--json")).stdout
        return [int(e["id"]) for e in json.loads(out)]

    assert listed() == [1, 2, 3, 4]
    ok(ctl("snapshot", "prune", "--snapshot-dir", d, "--keep-last", 1))
    assert listed() == [kept, 4]
    ok(ctl("snapshot", "delete", 4, "--snapshot-dir", d))
    assert listed() == [kept]
    p = ctl("snapshot", "delete", 4, "--snapshot-dir", d)
    assert p.returncode == 1 and p.stderr.strip()
    ok(ctl("snapshot", "verify", kept, "--snapshot-dir", d))


def test_drill_prints_drill_ok(servers):
    s = servers()
    c = s.client()
    fill(c, 500, 100)
    c.hset("h", mapping={"f": "v"})
    s.client(db=3).sadd("s", "a", "b")
    c.set("t", "v", ex=1000)
    sid = create(c)
    c.close()
    s.stop()
    p = ok(ctl("snapshot", "drill", sid, "--snapshot-dir", snap_dir(s)))
    assert "drill ok" in p.stdout


def test_snapshot_create_holds_only_its_own_client(servers):
    # One worker thread: every client shares its loop. A throttled snapshot takes seconds;
    # the client that asked waits for it, the others are served meanwhile.
    s = servers("--server.threads", "1", "--snapshot.max-mb-per-sec", "1")
    c = s.client()
    fill(c, 3000, 1024)  # ~3 MB to copy at 1 MB/s
    result = {}

    def take():
        result["id"] = s.client().execute_command("SNAPSHOT", "CREATE")

    t = threading.Thread(target=take)
    t.start()
    other = s.client()
    assert wait_for(lambda: other.info("persistence")["rdb_bgsave_in_progress"] == 1, 10)
    start = time.time()
    for _ in range(20):
        assert other.ping()
    assert time.time() - start < 1.0
    t.join(timeout=60)
    assert not t.is_alive()
    assert result["id"] == 1


def test_save_snapshot_and_shutdown_are_refused_inside_multi(servers):
    s = servers()
    c = s.client()
    for cmd in (("SAVE",), ("SNAPSHOT", "CREATE"), ("SHUTDOWN",)):
        raw = s.raw(b"MULTI\r\n" + b"".join(
            b"*%d\r\n" % len(cmd) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a.encode()) for a in cmd)
            for _ in [0]) + b"EXEC\r\n")
        assert b"-ERR Command not allowed inside a transaction" in raw, raw
        assert b"-EXECABORT" in raw, raw
    assert c.ping()  # the server still runs
    assert snapshots(c) == []


def test_export_import_round_trip_and_tampered_archive_refused(servers, tmp_path):
    s = servers()
    c = s.client()
    c.set("page:/", "<html>home</html>")
    c.hset("session:1", mapping={"user": "ada", "cart": "3"})
    c.sadd("tags", "a", "b")
    want = digest(c)
    sid = create(c, "LABEL", "shipped")
    c.close()
    s.stop()
    archive = str(tmp_path / "snap.varc")
    ok(ctl("snapshot", "export", sid, archive, "--snapshot-dir", snap_dir(s)))

    # A tampered archive is refused, naming the problem, and adds nothing.
    other = str(tmp_path / "other-snapshots")
    bad = str(tmp_path / "bad.varc")
    blob = bytearray(open(archive, "rb").read())
    blob[len(blob) // 2] ^= 0x5A
    open(bad, "wb").write(bytes(blob))
    p = ctl("snapshot", "import", bad, "--snapshot-dir", other)
    assert p.returncode == 1 and "checksum" in p.stderr, p.stderr
    assert json.loads(ok(ctl("snapshot", "list", "--snapshot-dir", other, "--json")).stdout) == []

    out = ok(ctl("snapshot", "import", archive, "--snapshot-dir", other)).stdout
    assert "as snapshot 1" in out, out
    listed = json.loads(ok(ctl("snapshot", "list", "--snapshot-dir", other, "--json")).stdout)
    assert [m["label"] for m in listed] == ["shipped"]
    assert listed[0]["digest"] == want

    # The daemon restores straight from the archive at start.
    t = servers(start=False)
    t.args += ["--restore-from", archive]
    boot(t)
    c = t.client()
    assert digest(c) == want
    assert c.hget("session:1", "user") == b"ada"
    assert t.client().info("snapshot")["snapshot_restores"] == 1


def test_export_dir_gets_an_archive_of_each_scheduled_snapshot(servers, tmp_path):
    export = tmp_path / "bucket"
    s = servers("--snapshot.interval", "1s", "--snapshot.export-dir", str(export))
    s.client().set("k", "v")
    assert wait_for(lambda: any(p.suffix == ".varc" for p in export.glob("*")), 20)
    assert s.client().info("snapshot")["snapshot_exports"] >= 1


def test_failed_snapshot_is_reported_counted_and_the_next_one_works(servers):
    s = servers()
    c = s.client()
    c.set("k", "v")
    p = subscribe(s)
    c.execute_command("DEBUG", "DISK-FAULTS", "ON")
    try:
        with pytest.raises(redis.ResponseError) as e:
            c.execute_command("SNAPSHOT", "CREATE")
        assert "snapshot failed" in str(e.value)
        f = c.info("persistence")
        assert f["rdb_last_bgsave_status"] == "err"
        assert c.info("snapshot")["snapshot_failures"] == 1
        assert ("failed", 0) in collect_events(p, {("failed", 0)})
    finally:
        c.execute_command("DEBUG", "DISK-FAULTS", "OFF")
    assert wait_for(lambda: c.info("persistence")["aof_last_write_status"] == "ok", 20)
    sid = create(c)
    assert c.info("persistence")["rdb_last_bgsave_status"] == "ok"
    assert [m["id"] for m in snapshots(c)] == [sid]


def ctl_on_terminal(*args, timeout=120):
    """Runs vellumctl with its stderr on a pseudo-terminal (as an operator's shell has it);
    returns (returncode, stdout, what the terminal received)."""
    import pty
    master, slave = pty.openpty()
    p = subprocess.Popen([VELLUMCTL, *map(str, args)], stdout=subprocess.PIPE, stderr=slave,
                         text=True)
    os.close(slave)
    received = bytearray()

    def drain():  # the terminal is read while the tool runs: a full pty would block it
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the tool exited and closed its end
                return
            if not chunk:
                return
            received.extend(chunk)

    reader = threading.Thread(target=drain)
    reader.start()
    out, _ = p.communicate(timeout=timeout)
    reader.join(timeout=10)
    os.close(master)
    return p.returncode, out, received.decode()


def final_lines(terminal):
    """The lines a terminal keeps: each "\\r\\033[K"-rewritten line as last drawn."""
    return [line.split("\r\x1b[K")[-1] for line in terminal.replace("\r\n", "\n").split("\n")
            if line.strip()]


def test_vellumctl_shows_each_stage_and_its_progress_on_a_terminal(servers, tmp_path):
    s = servers()
    c = s.client()
    fill(c, 2000, 1024)
    sid = create(c)
    files = int(info(c, sid)["files"])
    c.close()
    s.stop()

    rc, out, term = ctl_on_terminal("snapshot", "verify", sid, "--snapshot-dir", snap_dir(s))
    assert rc == 0 and out == "snapshot %d: ok\n" % sid, (rc, out, term)
    lines = final_lines(term)
    assert len(lines) == 1, term
    assert lines[0].startswith("[") and (
        "verifying snapshot %d (%d files, every checksum): " % (sid, files)) in lines[0], term
    assert "(100%) in " in lines[0], term

    rc, out, term = ctl_on_terminal("snapshot", "drill", sid, "--snapshot-dir", snap_dir(s))
    assert rc == 0 and out.startswith("drill ok"), (rc, out, term)
    lines = final_lines(term)
    assert [l.split("] ", 1)[1].split(":")[0].split(" into ")[0] for l in lines] == [
        "verifying snapshot %d (%d files, every checksum)" % (sid, files),
        "restoring snapshot %d" % sid,
        "checking the keys and the digest against the manifest"], term
    assert all("(100%)" in l for l in lines), term
    assert "2000 keys of 2000 keys (100%)" in lines[2], term

    archive = str(tmp_path / "snap.varc")
    rc, out, term = ctl_on_terminal("snapshot", "export", sid, archive, "--snapshot-dir",
                                    snap_dir(s))
    assert rc == 0, (out, term)
    assert "writing %d files into %s" % (files + 1, archive) in final_lines(term)[-1], term
    assert "(100%)" in final_lines(term)[-1], term

    other = str(tmp_path / "other")
    rc, out, term = ctl_on_terminal("snapshot", "import", archive, "--snapshot-dir", other)
    assert rc == 0 and "as snapshot 1" in out, (out, term)
    stages = [l.split("] ", 1)[1].split(":")[0] for l in final_lines(term)]
    assert stages[:2] == ["checking archive " + archive, "unpacking archive " + archive], term
    assert "counting and digesting the keys" in stages, term
    assert any(st.startswith("copying the new files into ") for st in stages), term

    # With --json, or without a terminal, nothing but the result.
    rc, out, term = ctl_on_terminal("snapshot", "verify", sid, "--snapshot-dir", snap_dir(s),
                                    "--json")
    assert rc == 0 and term == "", term
    p = ok(ctl("snapshot", "verify", sid, "--snapshot-dir", snap_dir(s)))
    assert p.stderr == "", p.stderr

    # A failure ends the progress line before its message.
    rc, out, term = ctl_on_terminal("snapshot", "restore", sid, "--to", data_dir(s),
                                    "--snapshot-dir", snap_dir(s))
    assert rc == 1, (out, term)
    assert final_lines(term)[-1].startswith("vellumctl: "), term


def test_vellumctl_create_shows_the_servers_stage_while_it_waits(servers):
    # Throttled to 1 MB/s, ~3 MB to copy: the stages last long enough to be seen.
    s = servers("--snapshot.max-mb-per-sec", "1")
    c = s.client()
    fill(c, 3000, 1024)
    assert fields_of_info(c)["snapshot_stage"] == ""
    rc, out, term = ctl_on_terminal("-h", "127.0.0.1", "-p", s.port, "snapshot", "create")
    assert rc == 0 and out == "1\n", (rc, out, term)
    assert "copying the new files into " in term, term
    assert "MiB" in term or "KiB" in term, term
    assert term.endswith("\r\x1b[K"), term  # the line is erased once the id is printed
    assert fields_of_info(c)["snapshot_stage"] == ""
    assert int(fields_of_info(c)["snapshot_stage_done"]) == 0
    # Without a terminal: the id alone.
    p = ok(online(s, "create"))
    assert p.stdout == "2\n" and p.stderr == "", (p.stdout, p.stderr)


def fields_of_info(c):
    """INFO snapshot as text fields (redis-py would turn an empty value into '')."""
    raw = c.execute_command("INFO", "snapshot")
    if isinstance(raw, dict):
        return {k: str(v) if v is not None else "" for k, v in raw.items()}
    return dict(line.split(":", 1) for line in raw.decode().splitlines() if ":" in line)
