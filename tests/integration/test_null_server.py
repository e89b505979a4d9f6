"""bench/null_server's persisting mode (the ceiling of `make bench-persist-ceiling`) really
writes what vellumd writes: a vellumd started on its directory serves the keys it took.
(Encoding only: a kill -9 keeps the page cache, so this cannot tell everysec from always.)

Skipped where the benchmarks are not built (the sanitizer builds)."""
import os
import subprocess

import pytest
import redis

from vellum_harness import VELLUMD, Vellumd, free_port, wait_for

NULL_SERVER = os.path.join(os.path.dirname(VELLUMD), "bench", "null_server")


@pytest.mark.skipif(not os.path.exists(NULL_SERVER), reason="bench/null_server not built")
@pytest.mark.parametrize("durability", ["everysec", "always"])
def test_what_the_persisting_null_server_acknowledged_opens_in_vellumd(durability):
    server = Vellumd()  # its directory first; started on the null server's data below
    try:
        data = os.path.join(server.tmp, "data")
        port = free_port()
        log = open(os.path.join(server.tmp, "null_server.log"), "wb")
        proc = subprocess.Popen([NULL_SERVER, str(port), "1", durability, data],
                                stdout=log, stderr=subprocess.STDOUT)
        try:
            c = redis.Redis(port=port, socket_timeout=5)
            assert wait_for(lambda: _answers(c)), open(log.name).read()
            assert c.set("page:/home", b"<html>home</html>")
            assert c.mset({"page:/a": b"a" * 5000, "page:/b": b"b"})
        finally:
            proc.kill()  # no clean close: what was acknowledged must be in the log
            proc.wait()
            log.close()
        server.start()
        c = server.client()
        assert c.mget("page:/home", "page:/a", "page:/b") == [b"<html>home</html>", b"a" * 5000,
                                                               b"b"]
        assert c.dbsize() == 3
    finally:
        server.cleanup()


def _answers(c):
    try:
        return c.execute_command("PING") is not None  # the null server answers +OK
    except redis.ConnectionError:
        return False
