#!/usr/bin/env bash
# The auth server's bounded load run (bench/RESULTS.md "Auth server"): real ably-js REST clients on
# loopback against one in-memory instance, then against two instances sharing one redis-server.
# Stops by itself; fails unless every request was answered as expected and every replayed
# TokenRequest was rejected exactly once. A 3 s version runs in the test suite
# (meson test auth_server_load_short).
# Usage: scripts/auth_server_load.sh [clients] [seconds]   (default 100 clients, 20 s)
set -eu
cd "$(dirname "$0")/.."
clients=${1:-100}
seconds=${2:-20}
scripts/install-deps.sh test
[ -f build-load/build.ninja ] || meson setup build-load -Dtests=false -Dtools=false -Dbench=disabled --buildtype=release >/dev/null
ninja -C build-load examples/auth_server >/dev/null
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) before the run"
exec node tests/auth_server/load.js --server build-load/examples/auth_server --config examples/auth_server/config.json \
  --clients "$clients" --seconds "$seconds" --redis-also --json build-load/auth_server_load.json
