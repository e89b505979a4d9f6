#!/usr/bin/env bash
# make bench-http: wrk with keep-alive against Vellum's HTTP edge and against nginx
# serving the same 10,000 pages of 4 KiB from files, side by side, alternating rounds.
#
# Vellum runs one worker thread and nginx one worker process (wrk takes the other core);
# nginx is configured as for static pages (sendfile, open_file_cache), keep-alive on both.
# Each round runs wrk for DURATION seconds on each side; a row reports the median
# requests/s and p99 of each side and their ratio Vellum/nginx with its round range.
#
# Knobs: ROUNDS (3), DURATION (5 s), CONNECTIONS (50), PAGES (10000), SIZE (4096).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3} DURATION=${DURATION:-5} CONNECTIONS=${CONNECTIONS:-50}
PAGES=${PAGES:-10000} SIZE=${SIZE:-4096}
VELLUMD=${VELLUMD:-build/vellumd}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
tmp=$(mktemp -d)
resp_port=$(free_port) vhttp=$(free_port) nport=$(free_port)
"$VELLUMD" --bind 127.0.0.1 --port "$resp_port" --http.port "$vhttp" --server.threads 1 \
  --storage.durability none >"$tmp/vellumd.log" 2>&1 &
vpid=$!
mkdir -p "$tmp/www/p" "$tmp/nginx"
cat >"$tmp/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $tmp/nginx/body;
    proxy_temp_path $tmp/nginx/proxy;
    fastcgi_temp_path $tmp/nginx/fastcgi;
    uwsgi_temp_path $tmp/nginx/uwsgi;
    scgi_temp_path $tmp/nginx/scgi;
    default_type text/html;
    etag on;
    # nginx at its best for static pages: descriptors and metadata cached, sendfile.
    sendfile on;
    tcp_nopush on;
    open_file_cache max=20000 inactive=60s;
    open_file_cache_valid 60s;
    server { listen 127.0.0.1:$nport; root $tmp/www; }
}
CONF
chmod -R a+rwx "$tmp"
trap 'kill $vpid $npid 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do redis-cli -p "$resp_port" ping >/dev/null 2>&1 && break; sleep 0.1; done

# The same pages on both sides: /p/<i>, SIZE bytes each.
python3 - "$resp_port" "$tmp/www/p" "$PAGES" "$SIZE" <<'PY'
import os, socket, sys
port, root, pages, size = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
body = (b"<html>" + b"x" * size)[:size]
out = bytearray()
for i in range(pages):
    key = b"/p/%d" % i
    out += b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(key), key, len(body), body)
    with open(os.path.join(root, str(i)), "wb") as f:
        f.write(body)
s = socket.create_connection(("127.0.0.1", port))
s.sendall(out)
got = b""
while got.count(b"+OK\r\n") < pages:
    got += s.recv(1 << 20)
PY
/usr/sbin/nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" >/dev/null 2>&1 &
npid=$!
python3 - "$nport" <<'PY'
import socket, sys, time
for _ in range(100):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=0.5).close()
        break
    except OSError:
        time.sleep(0.1)
PY

cat >"$tmp/pages.lua" <<LUA
request = function()
  return wrk.format("GET", "/p/" .. math.random(0, $PAGES - 1))
end
LUA

run() {  # run PORT -> "requests_per_s p99_ms"
  wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$tmp/pages.lua" "http://127.0.0.1:$1" |
    awk '/Requests\/sec/ {rps=$2}
         /^ +99%/ {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; p99=v}
         END {printf "%s %s\n", rps, p99}'
}

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
va=() na=() vp=() np=() ratios=()
for round in $(seq "$ROUNDS"); do
  read -r v_rps v_p99 < <(run "$vhttp")
  read -r n_rps n_p99 < <(run "$nport")
  va+=("$v_rps") na+=("$n_rps") vp+=("$v_p99") np+=("$n_p99")
  ratios+=("$(awk -v a="$v_rps" -v b="$n_rps" 'BEGIN {printf "%.3f", a/b}')")
  echo "# round $round: vellum $v_rps req/s (p99 $v_p99 ms), nginx $n_rps req/s (p99 $n_p99 ms)"
done
v_med=$(printf '%s\n' "${va[@]}" | median) n_med=$(printf '%s\n' "${na[@]}" | median)
vp_med=$(printf '%s\n' "${vp[@]}" | median) np_med=$(printf '%s\n' "${np[@]}" | median)
lo=$(printf '%s\n' "${ratios[@]}" | sort -g | head -1) hi=$(printf '%s\n' "${ratios[@]}" | sort -g | tail -1)
printf '%-24s %12s %12s %9s %9s %9s %s\n' workload vellum_req/s nginx_req/s ratio v_p99ms n_p99ms round_ratio_range
printf '%-24s %12s %12s %9s %9s %9s %s\n' "get-${SIZE}B-c$CONNECTIONS" "$v_med" "$n_med" \
  "$(awk -v a="$v_med" -v b="$n_med" 'BEGIN {printf "%.3f", a/b}')" "$vp_med" "$np_med" "$lo..$hi"
