#!/bin/sh
# Runs a Node.js comparison test from tests/node; exit 77 (meson: skipped) when node or the pinned
# packages (tests/node/node_modules, installed by scripts/install-deps.sh or `npm ci`) are missing.
# Usage: run_node_test.sh SCRIPT.js ARGS...
here="$(cd "$(dirname "$0")" && pwd)"
if ! command -v node >/dev/null 2>&1; then echo "SKIP: node is not installed"; exit 77; fi
if [ ! -d "$here/node_modules" ]; then echo "SKIP: $here/node_modules is missing (cd tests/node && npm ci)"; exit 77; fi
script="$1"
shift
exec node "$here/$script" "$@"
