#!/usr/bin/env bash
# Installs the Debian packages capmatch's builds need, if any are missing.
# Usage: scripts/install-deps.sh [demo|test]   (demo: just enough to build the CLI)
set -eu
want=(meson ninja-build g++ pkg-config python3 libcli11-dev)  # CLI11: the CLI's argument parser
if [ "${1:-test}" = test ]; then
  want+=(clang libclang-rt-14-dev cmake doctest-dev libbenchmark-dev libre2-dev nlohmann-json3-dev)
  # Hyperscan is only packaged for x86-64; the benchmark skips that baseline without it.
  [ "$(dpkg --print-architecture)" = amd64 ] && want+=(libhyperscan-dev)
fi
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
