#!/usr/bin/env bash
# Installs the Debian packages Vellum needs to build, test and benchmark.
# Idempotent: installs only what is missing; does nothing when all is present.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config
  libuv1-dev libxxhash-dev librocksdb-dev libtomlplusplus-dev libssl-dev libjemalloc-dev
  liblua5.1-0-dev lua-cjson-dev lua-bitop-dev libhttp-parser-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev python3-pytest
  redis-tools redis-server python3 python3-redis python3-prometheus-client nginx-light wrk curl
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# Node.js runs the ioredis / node-redis client tests; use the machine's own if it has one.
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The Node.js client packages, pinned by package-lock.json, into a folder the tests own.
node_dir="$(dirname "$0")/../tests/integration/node"
if [ ! -d "$node_dir/node_modules/ioredis" ] || [ ! -d "$node_dir/node_modules/redis" ] ||
   [ ! -d "$node_dir/node_modules/rate-limit-redis" ] || [ ! -d "$node_dir/node_modules/redlock" ]; then
  echo "setup: installing the Node.js test clients (npm ci)"
  (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
