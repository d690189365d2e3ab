#!/usr/bin/env bash
# Installs what capmatch's builds and tests need, if any of it is missing: Debian packages, and
# for the test suite the pinned npm packages of tests/node (the real clients we compare against).
# Usage: scripts/install-deps.sh [demo|auth-demo|test]   (demo: just enough to build the CLI;
# auth-demo: what scripts/demo_auth_server.sh needs)
set -eu
cd "$(dirname "$0")/.."
want=(meson ninja-build g++ pkg-config python3 libcli11-dev)
if [ "${1:-test}" = test ]; then
  want+=(clang libclang-rt-14-dev cmake doctest-dev libbenchmark-dev libre2-dev nlohmann-json3-dev
         libssl-dev python3-jwt libcpp-jwt-dev
         libcpp-httplib-dev libhiredis-dev redis-server)  # the auth server example and its tests
  # Hyperscan is only packaged for x86-64; the benchmark skips that baseline without it.
  [ "$(dpkg --print-architecture)" = amd64 ] && want+=(libhyperscan-dev)
  # Node.js and npm: any installed Node.js >= 18 will do; otherwise Debian's.
  command -v npm >/dev/null 2>&1 || want+=(nodejs npm)
fi
if [ "${1:-test}" = auth-demo ]; then
  want+=(libcpp-httplib-dev nlohmann-json3-dev libssl-dev)
  command -v npm >/dev/null 2>&1 || want+=(nodejs npm)
fi
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
if [ ${#missing[@]} -ne 0 ]; then
  echo "installing: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ "${1:-test}" = test ] || [ "${1:-test}" = auth-demo ]; then
  # ably and jsonwebtoken at the versions pinned in tests/node/package-lock.json.
  if ! (cd tests/node && npm ls --depth=0 >/dev/null 2>&1); then
    echo "installing: npm packages of tests/node" >&2
    (cd tests/node && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
fi
