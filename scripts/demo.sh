#!/usr/bin/env bash
# The main job: install what is missing, build the capmatch CLI, and run it on the
# worked example of docs/semantics.md §18 (a key's capability intersected with a token request).
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh demo
[ -f build-demo/build.ninja ] || meson setup build-demo -Dtests=false -Dbench=disabled >/dev/null
ninja -C build-demo tools/capmatch >/dev/null
key='{"chat:*":["publish","subscribe","presence"],"status":["subscribe","history"],"alerts":["subscribe"]}'
request='{"chat:bob":["subscribe"],"status":["*"],"secret":["publish","subscribe"]}'
set -x
build-demo/tools/capmatch intersect "$key" "$request"
build-demo/tools/capmatch check "$key" chat:bob publish
