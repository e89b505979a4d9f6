#!/usr/bin/env bash
# Installs the Debian packages Vellum needs to build, test and benchmark.
# Idempotent: installs only what is missing; does nothing when all is present.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config
  libuv1-dev libxxhash-dev librocksdb-dev libtomlplusplus-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev python3-pytest
  redis-tools redis-server python3 python3-redis
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "setup: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
