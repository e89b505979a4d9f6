# shellcheck shell=bash
# Sourced by compare_with_redis.sh and null_server_ceiling.sh: runs bench/compare.sh with
# A = a server the caller starts and B = a real redis-server, both on free loopback
# ports, and stops both.
#
# The caller sets MODE and defines start_a PORT TMPDIR, which starts server A in the
# background (logging under TMPDIR) and prints nothing; then calls
#   run_side_by_side "LABEL OF A"
#
# Environment knobs (all optional; compare.sh's own knobs pass through, e.g. WORKLOADS):
#   REDIS_ARGS   redis-server arguments after its address, quoted as on a command line
#                (unset: --save '' --appendonly no, i.e. no persistence; set but empty:
#                redis-server's own defaults; for a persistence comparison, e.g.
#                REDIS_ARGS="--save '' --appendonly yes --appendfsync everysec")
#   COMPARE      the harness to run (default: bench/compare.sh of this repository)
REDIS_ARGS=${REDIS_ARGS-"--save '' --appendonly no"}
COMPARE=${COMPARE:-bench/compare.sh}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

run_side_by_side() {
  local label=$1
  [ -f "$COMPARE" ] || { echo "compare.sh not found at $COMPARE" >&2; exit 1; }
  local -a redis_args
  # REDIS_ARGS is split as the shell would split a command line ('' is an empty argument).
  eval "redis_args=($REDIS_ARGS)"
  local pa pb tmp
  pa=$(free_port); pb=$(free_port)
  tmp=$(mktemp -d)
  start_a "$pa" "$tmp"
  A_PID=$!
  redis-server --bind 127.0.0.1 --port "$pb" --dir "$tmp" --daemonize no "${redis_args[@]}" \
    >"$tmp/redis.log" 2>&1 &
  B_PID=$!
  SIDE_TMP=$tmp
  trap 'kill $A_PID $B_PID 2>/dev/null; wait $A_PID $B_PID 2>/dev/null; rm -rf "$SIDE_TMP"' EXIT
  for p in $pa $pb; do
    for _ in $(seq 100); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.1; done
  done
  echo "# A = $label ($pa), B = redis-server $(redis-server --version | awk '{print $3}') ($pb) ${REDIS_ARGS}"
  bash "$COMPARE" "$pa" "$pb" "$MODE"
}
