#!/usr/bin/env bash
# Memory given back under eviction churn: RSS next to used_memory once maxmemory is full
# and every write evicts, Vellum then Redis, one at a time.
#
# Each server gets --maxmemory 50mb --maxmemory-policy allkeys-lru (Vellum with
# --storage.durability none, Redis with --save '' --appendonly no) on a free loopback
# port; redis-benchmark then writes 2M SETs of 100 B over 10M random keys (pipeline 16),
# and after 3 s of rest the script prints keys, used_memory, VmRSS and their ratio.
#
#   bash bench/eviction_churn.sh                 # uses build/vellumd
#   VELLUMD=/path/to/vellumd bash bench/eviction_churn.sh
set -euo pipefail
cd "$(dirname "$0")/.."
VELLUMD=${VELLUMD:-build/vellumd}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

for kind in vellum redis; do
  port=$(free_port)
  dir=$(mktemp -d)
  if [ "$kind" = vellum ]; then
    "$VELLUMD" --bind 127.0.0.1 --port "$port" --dir "$dir" --storage.durability none \
      --maxmemory 50mb --maxmemory-policy allkeys-lru >"$dir/log" 2>&1 &
  else
    redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --save '' --appendonly no \
      --maxmemory 50mb --maxmemory-policy allkeys-lru >"$dir/log" 2>&1 &
  fi
  pid=$!
  for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  redis-benchmark -p "$port" -t set -n 2000000 -r 10000000 -d 100 -P 16 -q >/dev/null 2>&1
  sleep 3
  used=$(redis-cli -p "$port" info memory | tr -d '\r' | awk -F: '$1=="used_memory"{print $2}')
  rss=$(awk '/VmRSS/{print $2 * 1024}' "/proc/$pid/status")
  keys=$(redis-cli -p "$port" dbsize)
  awk -v k="$kind" -v n="$keys" -v u="$used" -v r="$rss" 'BEGIN {
    printf "%-7s keys %8d  used %6.1f MB  rss %6.1f MB  rss/used %.2f\n", k, n, u / 1e6, r / 1e6, r / u }'
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
done
