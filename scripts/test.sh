#!/usr/bin/env bash
# The whole test suite: installs what is missing, then builds and tests every variant
# (g++, clang, ...), and ends with one line "N passed, N failed" counting meson tests
# across all variants. Exit status is non-zero when anything failed.
# Usage: scripts/test.sh [variant ...]   (default: all variants)
set -u
cd "$(dirname "$0")/.."
mkdir -p build-test
scripts/install-deps.sh test || { echo "0 passed, 1 failed"; exit 1; }

# Every variant builds at -O2 (the project's debugoptimized) without full debug information:
# -g cost a third of the build's compile time (g++ test_matcher.cpp 46 s against 30 s) and no
# test reads it. The sanitizer variant adds line tables (-gline-tables-only, +5 %), so that its
# reports name files and lines.
common_opts=(-Ddebug=false)
# name | compiler | meson options (words, not globbed: a meson list holds brackets)
variants=(
  "gcc|g++|"
  "clang|clang++|-Dbench=disabled"
  # clang ASan+UBSan (any UB report fails the test), plus each libFuzzer target for 45 s on its corpus
  "asan|clang++|-Dtest_scope=core -Dexamples=false -Db_sanitize=address,undefined -Db_lundef=false -Dcpp_args=['-fno-sanitize-recover=all','-gline-tables-only'] -Dbench=disabled -Dfuzz=true -Dfuzz_seconds=45"
  # the core without exceptions or RTTI; doctest's REQUIRE then aborts instead of throwing
  "noexcept-gcc|g++|-Dtest_scope=core -Dexamples=false -Dcpp_eh=none -Dcpp_rtti=false -Dcpp_args=-DDOCTEST_CONFIG_NO_EXCEPTIONS_BUT_WITH_ALL_ASSERTS -Dbench=disabled"
  "noexcept-clang|clang++|-Dtest_scope=core -Dexamples=false -Dcpp_eh=none -Dcpp_rtti=false -Dcpp_args=-DDOCTEST_CONFIG_NO_EXCEPTIONS_BUT_WITH_ALL_ASSERTS -Dbench=disabled"
)
selected=("$@")
passed=0
failed=0
skipped=0
for v in "${variants[@]}"; do
  IFS='|' read -r name cxx opts <<<"$v"
  read -r -a opt_words <<<"$opts"
  if [ ${#selected[@]} -gt 0 ] && [[ ! " ${selected[*]} " =~ " $name " ]]; then continue; fi
  dir="build-test/$name"
  echo "=== variant $name ($cxx ${common_opts[*]} $opts)"
  if [ ! -f "$dir/build.ninja" ]; then
    if ! CXX=$cxx meson setup "$dir" "${common_opts[@]}" "${opt_words[@]}" >"$dir.setup.log" 2>&1; then
      cat "$dir.setup.log"; echo "variant $name: meson setup failed"; failed=$((failed + 1)); continue
    fi
  fi
  if ! ninja -C "$dir" >"$dir.build.log" 2>&1; then
    tail -n 60 "$dir.build.log"; echo "variant $name: build failed"; failed=$((failed + 1)); continue
  fi
  meson test -C "$dir" --print-errorlogs --num-processes 2 || true
  counts=$(python3 - "$dir/meson-logs/testlog.json" <<'PY'
import json, sys
ok = bad = skip = 0
for line in open(sys.argv[1]):
    r = json.loads(line)["result"]
    if r in ("OK", "EXPECTEDFAIL"): ok += 1
    elif r == "SKIP": skip += 1
    else: bad += 1
print(ok, bad, skip)
PY
)
  read -r ok bad skip <<<"$counts"
  skipped=$((skipped + skip))
  passed=$((passed + ok))
  failed=$((failed + bad))
done
if [ "$skipped" -gt 0 ]; then echo "$passed passed, $failed failed, $skipped skipped"; else echo "$passed passed, $failed failed"; fi
[ "$failed" -eq 0 ]
