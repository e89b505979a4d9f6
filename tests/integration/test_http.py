"""The HTTP edge against the real vellumd: pages written with any Redis client and read
over HTTP/1.1 the way a CDN or reverse proxy reads them (Python's http.client and raw
sockets): string and hash pages, ETag and 304, Cache-Control from the key's TTL, tags,
Range, HEAD, 404/405/400/431, keep-alive and pipelining, the header timeout, and RESP
clients served meanwhile."""
import http.client
import socket
import subprocess
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from vellum_harness import Vellumd, free_port


@pytest.fixture(scope="module")
def server():
    http_port = free_port()
    s = Vellumd("--http.port", str(http_port), "--http.header-timeout", "500")
    s.http_port = http_port
    s.start()
    yield s
    s.cleanup()


@pytest.fixture
def r(server):
    c = server.client(decode_responses=True)
    c.flushall()
    c.config_set("http.key-prefix", "")
    c.config_set("http.stale-while-revalidate", 0)
    c.config_set("http.user", "default")
    yield c
    c.config_set("http.user", "default")
    c.close()


def get(server, path, method="GET", headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=5)
    try:
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def raw_http(server, payload, timeout=2.0):
    """Sends bytes on a fresh socket; returns all bytes read until close or timeout."""
    return server.raw(payload, read_timeout=timeout, port=server.http_port)


def test_a_string_is_a_page_with_an_etag(server, r):
    r.set("/home", "<html>home</html>")
    status, headers, body = get(server, "/home")
    assert status == 200
    assert body == b"<html>home</html>"
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert headers["cache-control"] == "no-cache"
    assert headers["content-length"] == str(len(body))
    assert headers["etag"].startswith('"') and len(headers["etag"]) == 34
    assert headers["date"].endswith(" GMT")
    # The same body gives the same ETag; a new body a new one.
    assert get(server, "/home")[1]["etag"] == headers["etag"]
    r.set("/home", "<html>v2</html>")
    assert get(server, "/home")[1]["etag"] != headers["etag"]


def test_if_none_match_revalidates_with_304(server, r):
    r.set("/p", "page")
    etag = get(server, "/p")[1]["etag"]
    status, headers, body = get(server, "/p", headers={"If-None-Match": etag})
    assert (status, body) == (304, b"")
    assert headers["etag"] == etag
    assert "content-length" not in headers
    # A list, a weak form and * match too (weak comparison, RFC 9110); another tag does not.
    assert get(server, "/p", headers={"If-None-Match": '"x", ' + etag})[0] == 304
    assert get(server, "/p", headers={"If-None-Match": "W/" + etag})[0] == 304
    assert get(server, "/p", headers={"If-None-Match": "*"})[0] == 304
    assert get(server, "/p", headers={"If-None-Match": '"other"'})[0] == 200


def test_max_age_comes_from_the_ttl(server, r):
    r.set("/ttl", "x", ex=120)
    cc = get(server, "/ttl")[1]["cache-control"]
    assert cc in ("public, max-age=120", "public, max-age=119")
    r.config_set("http.stale-while-revalidate", 30)
    assert get(server, "/ttl")[1]["cache-control"].endswith(", stale-while-revalidate=30")


def test_a_hash_page_carries_its_own_headers_and_tags(server, r):
    r.hset("/api/user/1", mapping={"body": '{"id":1}', "content-type": "application/json",
                                   "cache-control": "public, max-age=5", "tags": "user user:1"})
    status, headers, body = get(server, "/api/user/1")
    assert (status, body) == (200, b'{"id":1}')
    assert headers["content-type"] == "application/json"
    assert headers["cache-control"] == "public, max-age=5"
    assert headers["surrogate-key"] == "user user:1"
    assert headers["cache-tag"] == "user,user:1"
    r.hset("/nobody", "title", "x")  # a hash without a body is not a page
    assert get(server, "/nobody")[0] == 404


def test_misses_and_other_types_are_404(server, r):
    assert get(server, "/missing")[0] == 404
    r.sadd("/set", "a")
    assert get(server, "/set")[0] == 404
    r.set("/gone", "x", px=50)
    time.sleep(0.1)
    assert get(server, "/gone")[0] == 404  # expired: lazily deleted, as GET would
    assert r.exists("/gone") == 0


def test_the_key_is_prefix_plus_decoded_path_without_query(server, r):
    r.config_set("http.key-prefix", "page:")
    r.set("page:/a b/é", "decoded")
    assert get(server, "/a%20b/%C3%A9?utm=1")[2] == b"decoded"
    r.config_set("http.query-in-key", "yes")
    r.set("page:/q?x=1", "with query")
    assert get(server, "/q?x=1")[2] == b"with query"
    r.config_set("http.query-in-key", "no")
    assert get(server, "/bad%zz")[0] == 400


def test_head_has_the_headers_without_the_body(server, r):
    r.set("/h", "12345")
    status, headers, body = get(server, "/h", method="HEAD")
    assert (status, body) == (200, b"")
    assert headers["content-length"] == "5"


def test_a_single_byte_range(server, r):
    r.set("/r", "0123456789")
    status, headers, body = get(server, "/r", headers={"Range": "bytes=2-4"})
    assert (status, body, headers["content-range"]) == (206, b"234", "bytes 2-4/10")
    assert get(server, "/r", headers={"Range": "bytes=-3"})[2] == b"789"
    assert get(server, "/r", headers={"Range": "bytes=7-"})[2] == b"789"
    status, headers, _ = get(server, "/r", headers={"Range": "bytes=20-30"})
    assert (status, headers["content-range"]) == (416, "bytes */10")
    assert get(server, "/r", headers={"Range": "bytes=0-1,3-4"})[0] == 200  # several: ignored


def test_other_methods_are_405_with_allow(server, r):
    status, headers, _ = get(server, "/x", method="POST")
    assert status == 405
    assert headers["allow"] == "GET, HEAD"
    assert get(server, "/x", method="DELETE")[0] == 405


def test_keep_alive_and_pipelining_answer_in_order(server, r):
    r.set("/1", "one")
    r.set("/2", "two")
    out = raw_http(server, b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /missing HTTP/1.1\r\nHost: a\r\n\r\n"
                           b"GET /2 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    assert out.count(b"HTTP/1.1 ") == 3
    first, second, third = out.split(b"HTTP/1.1 ")[1:]
    assert first.startswith(b"200") and first.endswith(b"one")
    assert second.startswith(b"404")
    assert third.startswith(b"200") and b"Connection: close" in third and third.endswith(b"two")


def test_a_malformed_request_gets_400_and_the_connection_closes(server, r):
    out = raw_http(server, b"GARBAGE\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert b"Connection: close" in out


def test_an_oversized_header_section_gets_431(server, r):
    out = raw_http(server, b"GET / HTTP/1.1\r\nX-Big: " + b"a" * 10000 + b"\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 431 ")


def test_a_client_that_sends_headers_too_slowly_is_dropped(server, r):
    with socket.create_connection(("127.0.0.1", server.http_port), timeout=5) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: a\r\n")  # never finished
        start = time.time()
        assert s.recv(100) == b""  # closed by the server
        assert time.time() - start < 3


def test_a_client_that_drips_its_headers_is_dropped_too(server, r):
    """The header timeout runs from the request's first byte, not from the last read: a
    byte every 200 ms (timeout 500 ms) must not keep a request open."""
    with socket.create_connection(("127.0.0.1", server.http_port), timeout=5) as s:
        start = time.time()
        closed = False
        for b in b"GET / HTTP/1.1\r\nX-Slow: " + b"a" * 40:
            try:
                s.sendall(bytes([b]))
            except OSError:
                closed = True
                break
            time.sleep(0.2)
            if time.time() - start > 3:
                break
        if not closed:
            s.settimeout(1)
            try:
                closed = s.recv(100) == b""
            except OSError:
                closed = True
        assert closed
        assert time.time() - start < 3


def test_resp_clients_are_served_while_http_clients_misbehave(server, r):
    socks = []
    try:
        for _ in range(20):
            s = socket.create_connection(("127.0.0.1", server.http_port), timeout=5)
            s.sendall(b"GET / HTTP/1.1\r\nX: ")  # half a request each
            socks.append(s)
        for i in range(200):
            r.set("k%d" % i, i)
        assert r.get("k199") == "199"
    finally:
        for s in socks:
            s.close()
    r.set("/after", "still serving")
    assert get(server, "/after")[2] == b"still serving"


def metrics(server):
    status, headers, body = get(server, "/metrics")
    assert status == 200
    assert headers["content-type"].startswith("text/plain; version=0.0.4")
    families = {f.name: f for f in text_string_to_metric_families(body.decode())}
    return families


def sample(families, name, **labels):
    for family in families.values():
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    raise KeyError((name, labels))


def test_metrics_parse_as_prometheus_text_and_agree_with_info(server, r):
    r.set("a", 1)
    r.set("b", 2, ex=100)
    r.get("a")
    r.get("nope")
    get(server, "/missing")
    fams = metrics(server)
    info = r.info("everything")
    assert sample(fams, "vellum_keys", db="0") == 2
    assert sample(fams, "vellum_expiring_keys", db="0") == 1
    assert sample(fams, "vellum_keyspace_hits_total") == info["keyspace_hits"]
    assert sample(fams, "vellum_keyspace_misses_total") >= 1
    assert sample(fams, "vellum_memory_used_bytes") > 0
    assert sample(fams, "vellum_commands_total", cmd="set") >= 2
    assert sample(fams, "vellum_http_requests_total", code="404") >= 1
    assert sample(fams, "vellum_persistence_write_ok") == 1
    assert sample(fams, "vellum_rocksdb_compaction_pending_bytes") == \
        info["vellum_rocksdb_compaction_pending_bytes"]
    assert sample(fams, "vellum_role", role="master") == 1
    # Counters follow Prometheus naming.
    for name, fam in fams.items():
        if fam.type == "counter":
            assert all(s.name.endswith("_total") for s in fam.samples), name


def test_the_metrics_path_is_never_read_from_the_keyspace(server, r):
    r.set("/metrics", "a page that must not be served")
    assert b"a page that must" not in get(server, "/metrics")[2]
    assert get(server, "/metrics", method="POST")[0] == 405


def test_healthz_is_200_while_serving(server, r):
    status, headers, body = get(server, "/healthz")
    assert (status, body) == (200, b"OK\n")
    assert headers["cache-control"] == "no-store"


def test_http_requests_act_as_the_configured_acl_user(server, r):
    r.set("/public/a", "open")
    r.set("/private/b", "closed")
    r.execute_command("ACL", "SETUSER", "pages", "on", "nopass", "~/public/*", "+get")
    r.config_set("http.user", "pages")
    assert get(server, "/public/a")[2] == b"open"
    assert get(server, "/private/b")[0] == 404  # exactly as if it did not exist
    r.execute_command("ACL", "SETUSER", "pages", "off")
    assert get(server, "/public/a")[0] == 404  # a disabled user serves no page
    r.config_set("http.user", "nobody")
    assert get(server, "/public/a")[0] == 404
    r.config_set("http.user", "default")
    r.execute_command("ACL", "DELUSER", "pages")
    assert get(server, "/private/b")[2] == b"closed"


def test_curl_revalidates_a_page_as_a_cdn_would(server, r):
    """curl, as operators try the edge by hand: a page, then its revalidation."""
    r.set("/curl", "<p>hi</p>", ex=60)
    out = subprocess.run(["curl", "-si", "http://127.0.0.1:%d/curl" % server.http_port],
                         capture_output=True, timeout=10, check=True).stdout.decode()
    assert out.startswith("HTTP/1.1 200 OK\r\n")
    assert out.endswith("\r\n\r\n<p>hi</p>")
    etag = next(l.split(": ", 1)[1] for l in out.split("\r\n") if l.startswith("ETag: "))
    code = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H",
                           "If-None-Match: " + etag, "http://127.0.0.1:%d/curl" % server.http_port],
                          capture_output=True, timeout=10, check=True).stdout.decode()
    assert code == "304"
