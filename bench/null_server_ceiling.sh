#!/usr/bin/env bash
# Runs ../shared/bench/compare.sh with A = bench/null_server (answers every request
# without a keyspace: the least work any server can do) and B = a real redis-server, to
# show the ceiling of what compare.sh can measure on this machine. Where the null server
# itself scores about 1.0, the benchmark client, not the server, sets the pace.
# Usage: bench/null_server_ceiling.sh [quick|full]   (default: full)
#        NULL_THREADS=2 for a two-thread null server.
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=${1:-full}
COMPARE=${COMPARE:-../shared/bench/compare.sh}
NULLD=${NULLD:-./build/bench/null_server}
[ -x "$NULLD" ] || { echo "build it first (make build)" >&2; exit 1; }
[ -f "$COMPARE" ] || { echo "compare.sh not found at $COMPARE" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PA=$(free_port); PB=$(free_port)
TMP=$(mktemp -d)
"$NULLD" "$PA" "${NULL_THREADS:-1}" >"$TMP/null.log" 2>&1 &
NP=$!
redis-server --bind 127.0.0.1 --port "$PB" --save '' --appendonly no --dir "$TMP" \
  --daemonize no >"$TMP/redis.log" 2>&1 &
RP=$!
trap 'kill $NP $RP 2>/dev/null; wait $NP $RP 2>/dev/null; rm -rf "$TMP"' EXIT
for p in $PA $PB; do
  for _ in $(seq 100); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.1; done
done
echo "# A = null_server, ${NULL_THREADS:-1} thread(s) ($PA), B = redis-server $(redis-server --version | awk '{print $3}') ($PB)"
bash "$COMPARE" "$PA" "$PB" "$MODE"
