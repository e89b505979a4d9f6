# Sourced by compare_with_redis.sh and null_server_ceiling.sh: runs
# ../shared/bench/compare.sh with A = a server the caller starts and B = a real
# redis-server (persistence off), both on free loopback ports, and stops both.
#
# The caller sets MODE and defines start_a PORT TMPDIR, which starts server A in the
# background (logging under TMPDIR) and prints nothing; then calls
#   run_side_by_side "LABEL OF A"
COMPARE=${COMPARE:-../shared/bench/compare.sh}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

run_side_by_side() {
  local label=$1
  [ -f "$COMPARE" ] || { echo "compare.sh not found at $COMPARE" >&2; exit 1; }
  local pa pb tmp
  pa=$(free_port); pb=$(free_port)
  tmp=$(mktemp -d)
  start_a "$pa" "$tmp"
  A_PID=$!
  redis-server --bind 127.0.0.1 --port "$pb" --save '' --appendonly no --dir "$tmp" \
    --daemonize no >"$tmp/redis.log" 2>&1 &
  B_PID=$!
  SIDE_TMP=$tmp
  trap 'kill $A_PID $B_PID 2>/dev/null; wait $A_PID $B_PID 2>/dev/null; rm -rf "$SIDE_TMP"' EXIT
  for p in $pa $pb; do
    for _ in $(seq 100); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.1; done
  done
  echo "# A = $label ($pa), B = redis-server $(redis-server --version | awk '{print $3}') ($pb)"
  bash "$COMPARE" "$pa" "$pb" "$MODE"
}
