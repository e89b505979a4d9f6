#!/usr/bin/env bash
# Runs bench/compare.sh with A = bench/null_server (answers every request without a
# keyspace: the least work any server can do) and B = a real redis-server, to show the
# ceiling of what compare.sh can measure on this machine. Where the null server
# itself scores about 1.0, the benchmark client, not the server, sets the pace.
# Usage: bench/null_server_ceiling.sh [quick|full]   (default: full)
#        NULL_THREADS=2 for a two-thread null server; NULLD (default
#        ./build/bench/null_server), REDIS_ARGS and compare.sh's knobs as in
#        compare_with_redis.sh.
#        NULL_DURABILITY=everysec|always: the null server writes every SET through
#        Vellum's storage engine in that mode (the ceiling of a persisting vellumd), and
#        redis-server runs with its AOF in the same mode unless REDIS_ARGS says otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=${1:-full}
NULLD=${NULLD:-./build/bench/null_server}
[ -x "$NULLD" ] || { echo "build it first (make build)" >&2; exit 1; }
DURABILITY=${NULL_DURABILITY:-}
if [ -n "$DURABILITY" ]; then
  REDIS_ARGS=${REDIS_ARGS-"--save '' --appendonly yes --appendfsync $DURABILITY"}
fi
source bench/side_by_side.sh

# With a durability, the null server persists into the run's directory ($2).
start_a() {
  "$NULLD" "$1" "${NULL_THREADS:-1}" ${DURABILITY:+"$DURABILITY" "$2"} >"$2/null.log" 2>&1 &
}
run_side_by_side "null_server${DURABILITY:+ persisting ($DURABILITY)}, ${NULL_THREADS:-1} thread(s)"
