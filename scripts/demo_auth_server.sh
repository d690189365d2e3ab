#!/usr/bin/env bash
# The auth server demo: install what is missing (cpp-httplib, nlohmann-json, Node.js and the
# pinned ably npm package), build examples/auth_server, start it on a free loopback port, and
# watch the real ably-js client get a token, be denied where it should be (40160), have a reused
# TokenRequest refused (40105) and a revoked token refused (40141). See docs/auth_server.md.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh auth-demo
[ -f build-demo-auth/build.ninja ] || meson setup build-demo-auth -Dtests=false -Dtools=false -Dbench=disabled >/dev/null
ninja -C build-demo-auth examples/auth_server >/dev/null
exec node tests/auth_server/demo.js --server build-demo-auth/examples/auth_server --config examples/auth_server/config.json
