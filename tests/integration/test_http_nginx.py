"""A real nginx (Debian's nginx-light) as a caching reverse proxy in front of Vellum's
HTTP edge, standing in for a CDN: it caches a page for as long as Vellum's Cache-Control
says, revalidates it with If-None-Match and gets 304, and serves the new page once the
app has overwritten the key and the cached copy went stale."""
import http.client
import os
import pwd
import shutil
import subprocess
import time

import pytest

from vellum_harness import Vellumd, free_port, wait_for

NGINX_CONF = """
user {user};
worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log info;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    proxy_cache_path {tmp}/cache keys_zone=pages:1m;
    upstream vellum {{ server 127.0.0.1:{upstream}; keepalive 4; }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://vellum;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_cache pages;
            proxy_cache_revalidate on;
            add_header X-Cache $upstream_cache_status always;
        }}
    }}
}}
"""


@pytest.fixture(scope="module")
def stack():
    http_port = free_port()
    v = Vellumd("--http.port", str(http_port))
    v.start()
    port = free_port()
    tmp = os.path.join(v.tmp, "nginx")
    os.makedirs(tmp)
    os.chmod(tmp, 0o777)  # nginx's workers may run as another user
    conf = os.path.join(tmp, "nginx.conf")
    with open(conf, "w") as f:
        # As root, nginx's workers would become "nobody" and could not write the cache under
        # the test's directory; as anyone else the directive is ignored.
        f.write(NGINX_CONF.format(tmp=tmp, upstream=http_port, port=port,
                                  user=pwd.getpwuid(os.getuid()).pw_name))
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    proc = subprocess.Popen([nginx, "-p", tmp, "-c", conf], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)

    def up():
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            c.request("GET", "/healthz")
            c.getresponse().read()
            return True
        except OSError:
            return False

    assert wait_for(up, 10), open(os.path.join(tmp, "error.log")).read()
    yield v, port
    proc.terminate()
    proc.wait(10)
    v.cleanup()


def fetch(port, path):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        c.request("GET", path)
        resp = c.getresponse()
        return resp.status, resp.getheader("X-Cache"), resp.read()
    finally:
        c.close()


def cached(port, path):
    """The next fetch nginx answers from its cache. nginx publishes a cache entry only
    once it has written the whole response out, so a request right behind the first one
    can still be a MISS."""
    last = None

    def hit():
        nonlocal last
        last = fetch(port, path)
        return last[1] == "HIT"

    wait_for(hit, 2.0)
    return last


def test_nginx_caches_for_the_ttl_and_revalidates_with_304(stack):
    v, port = stack
    r = v.client()
    # A page with its own short max-age and no TTL: nginx keeps it 1-2 s, then revalidates.
    r.hset("/home", mapping={"body": "<html>v1</html>", "cache-control": "public, max-age=1"})
    assert fetch(port, "/home") == (200, "MISS", b"<html>v1</html>")
    assert cached(port, "/home") == (200, "HIT", b"<html>v1</html>")
    before = r.info("stats")["keyspace_hits"]
    time.sleep(2.2)  # nginx counts max-age in whole seconds
    # Stale: nginx asks Vellum with If-None-Match, Vellum answers 304, nginx serves its copy.
    assert fetch(port, "/home") == (200, "REVALIDATED", b"<html>v1</html>")
    assert r.info("stats")["keyspace_hits"] == before + 1
    # The app renders a new page: once the cached copy is stale, nginx gets the new one.
    r.hset("/home", "body", "<html>v2</html>")
    time.sleep(2.2)  # nginx counts max-age in whole seconds
    assert fetch(port, "/home") == (200, "EXPIRED", b"<html>v2</html>")
    assert cached(port, "/home") == (200, "HIT", b"<html>v2</html>")
    r.close()


def test_nginx_caches_a_page_for_the_keys_ttl(stack):
    v, port = stack
    r = v.client()
    r.set("/ttl", "short-lived", ex=2)
    first = time.time()
    assert fetch(port, "/ttl") == (200, "MISS", b"short-lived")
    assert cached(port, "/ttl") == (200, "HIT", b"short-lived")
    # Vellum said max-age=2 at most (1 when a millisecond had passed since the SET), and
    # nginx counts in whole seconds of its own clock: its copy is fresh until at most
    # 3 s after the first fetch, whatever that fetch's offset within its second was.
    time.sleep(max(0.0, first + 3.2 - time.time()))
    # Gone from Vellum and stale in nginx: the miss reaches the client.
    status, cache, _ = fetch(port, "/ttl")
    assert status == 404
    r.close()
