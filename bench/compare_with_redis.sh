#!/usr/bin/env bash
# Starts vellumd and a real redis-server (persistence off on both) on free loopback
# ports, runs ../shared/bench/compare.sh against them (A = Vellum, B = Redis), stops both.
# Usage: bench/compare_with_redis.sh [quick|full]   (default: full)
#
# redis-benchmark runs on this same machine and keeps one core busy, so vellumd gets one
# worker per remaining core (--server.threads = cores - 1, at least 1) unless VELLUM_ARGS
# names --server.threads. A worker on the client's core only takes turns with it: with
# two workers on two cores the client spent ~28% of a pipelined GET run waiting in the
# run queue while a core sat idle (per-thread /proc/<pid>/task/*/schedstat).
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=${1:-full}
COMPARE=${COMPARE:-../shared/bench/compare.sh}
VELLUMD=${VELLUMD:-./build/vellumd}
[ -x "$VELLUMD" ] || { echo "build vellumd first (make build)" >&2; exit 1; }
[ -f "$COMPARE" ] || { echo "compare.sh not found at $COMPARE" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PA=$(free_port); PB=$(free_port)
CORES=$(nproc)
THREADS=$(( CORES > 1 ? CORES - 1 : 1 ))
case " ${VELLUM_ARGS:-} " in
  *" --server.threads "*) THREAD_ARGS=""; THREADS="(VELLUM_ARGS)" ;;
  *) THREAD_ARGS="--server.threads $THREADS" ;;
esac
TMP=$(mktemp -d)
"$VELLUMD" --bind 127.0.0.1 --port "$PA" --dir "$TMP/vellum" --storage.durability none \
  $THREAD_ARGS ${VELLUM_ARGS:-} >"$TMP/vellumd.log" 2>&1 &
VP=$!
redis-server --bind 127.0.0.1 --port "$PB" --save '' --appendonly no --dir "$TMP" \
  --daemonize no >"$TMP/redis.log" 2>&1 &
RP=$!
trap 'kill $VP $RP 2>/dev/null; wait $VP $RP 2>/dev/null; rm -rf "$TMP"' EXIT
for p in $PA $PB; do
  for _ in $(seq 100); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.1; done
done
echo "# A = vellumd ($PA, worker threads: $THREADS of $CORES cores), B = redis-server $(redis-server --version | awk '{print $3}') ($PB)"
bash "$COMPARE" "$PA" "$PB" "$MODE"
