#!/usr/bin/env bash
# Starts vellumd and a real redis-server (persistence off on both) on free loopback
# ports, runs bench/compare.sh against them (A = Vellum, B = Redis), stops both.
# Usage: bench/compare_with_redis.sh [quick|full]   (default: full)
# Knobs: VELLUMD (default ./build/vellumd), VELLUM_ARGS (extra vellumd flags), REDIS_ARGS
# (redis-server flags, see side_by_side.sh), and compare.sh's own (WORKLOADS, ...).
#
# redis-benchmark runs on this same machine and keeps one core busy, so vellumd gets one
# worker per remaining core (--server.threads = cores - 1, at least 1) unless VELLUM_ARGS
# names --server.threads. A worker on the client's core only takes turns with it: with
# two workers on two cores the client spent ~28% of a pipelined GET run waiting in the
# run queue while a core sat idle (per-thread /proc/<pid>/task/*/schedstat).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/side_by_side.sh
MODE=${1:-full}
VELLUMD=${VELLUMD:-./build/vellumd}
[ -x "$VELLUMD" ] || { echo "build vellumd first (make build)" >&2; exit 1; }

CORES=$(nproc)
THREADS=$(( CORES > 1 ? CORES - 1 : 1 ))
case " ${VELLUM_ARGS:-} " in
  *" --server.threads "*) THREAD_ARGS=""; THREADS="(VELLUM_ARGS)" ;;
  *) THREAD_ARGS="--server.threads $THREADS" ;;
esac
start_a() {
  "$VELLUMD" --bind 127.0.0.1 --port "$1" --dir "$2/vellum" --storage.durability none \
    $THREAD_ARGS ${VELLUM_ARGS:-} >"$2/vellumd.log" 2>&1 &
}
run_side_by_side "vellumd, worker threads: $THREADS of $CORES cores"
