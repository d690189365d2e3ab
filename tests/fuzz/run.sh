#!/usr/bin/env bash
# Builds the libFuzzer targets and runs each for a given time on a copy of its seed corpus.
# Usage: tests/fuzz/run.sh [seconds-per-target] [target ...]
#   targets: parse name matcher intersect cli crypto revocation grant token_request jwt (default: all whose source exists)
# Environment: FUZZ_BUILD_DIR (default build-fuzz), CXX (default clang++),
#   FUZZ_JOBS_NICE=1 to run under nice -n 19, FUZZ_TIMEOUT (seconds per input before
#   libFuzzer reports a timeout; default 30, raise it when the machine is busy), FUZZ_MAX_LEN
#   (largest input; default 8192, 2304 for matcher, whose work grows with patterns × names),
#   FUZZ_ARGS (more libFuzzer flags, e.g. -len_control=0 to try inputs of every length at once).
# Output: $FUZZ_BUILD_DIR/<target> (binary), work/<target>/ (the growing corpus copy),
#   artifacts/<target>/ (crashes), logs/<target>.log, and one line per run appended to
#   stats.tsv: target, seconds, executions, cov, ft, new units, exit status.
# Exit status: non-zero when any target found a crash or a property failure.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
secs="${1:-60}"
shift || true
out="${FUZZ_BUILD_DIR:-$root/build-fuzz}"
cxx="${CXX:-clang++}"
all=(parse name matcher intersect cli crypto revocation grant token_request jwt)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all[@]}")
mkdir -p "$out/logs"
nice_cmd=()
[ "${FUZZ_JOBS_NICE:-0}" = 1 ] && nice_cmd=(nice -n 19)
status=0
for t in "${targets[@]}"; do
  src="$here/fuzz_$t.cpp"
  if [ ! -f "$src" ]; then echo "fuzz: no target '$t'" >&2; status=1; continue; fi
  bin="$out/fuzz_$t"
  # The cli target runs the tool's own code (tools/cli.cpp and its commands); it needs CLI11.
  extra=()
  [ "$t" = cli ] && extra=("$root/tools/cli.cpp" "$root"/tools/commands/*.cpp)
  libs=()
  [ "$t" = crypto ] && libs=(-lcrypto)  # the differential reference (OpenSSL, test-only)
  # Rebuild when the target or any header is newer than the binary.
  if [ ! -x "$bin" ] || [ -n "$(find "$src" "$here/common.hpp" "$root/include" "$root/tools" -newer "$bin" -print -quit)" ]; then
    if ! "${nice_cmd[@]}" "$cxx" -std=c++20 -O1 -g -fno-omit-frame-pointer \
        -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
        -Wall -Wextra -Werror -I "$root/include" "$src" "${extra[@]}" -o "$bin.tmp" "${libs[@]}" 2>"$out/logs/$t.build.log"; then
      cat "$out/logs/$t.build.log" >&2; echo "fuzz: build of $t failed" >&2; status=1; continue
    fi
    mv "$bin.tmp" "$bin"
  fi
  work="$out/work/$t"
  mkdir -p "$work" "$out/artifacts/$t"
  [ -d "$here/corpus/$t" ] && cp -n "$here/corpus/$t"/* "$work"/ 2>/dev/null
  log="$out/logs/$t.log"
  max_len=8192
  [ "$t" = matcher ] && max_len=2304  # room for a name just beyond max_resource_bytes
  start=$(date +%s)
  "${nice_cmd[@]}" "$bin" -max_total_time="$secs" -timeout="${FUZZ_TIMEOUT:-30}" -rss_limit_mb=2048 -max_len="${FUZZ_MAX_LEN:-$max_len}" \
    -dict="$here/capmatch.dict" -print_final_stats=1 ${FUZZ_ARGS:-} -artifact_prefix="$out/artifacts/$t/" \
    "$work" >"$log" 2>&1
  rc=$?
  elapsed=$(( $(date +%s) - start ))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  newu=$(sed -n 's/^stat::new_units_added: *//p' "$log" | tail -n 1)
  last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -n 1)
  cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.*ft: \([0-9]*\).*/\1/p' <<<"$last")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$elapsed" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${newu:-?}" "$rc" >>"$out/stats.tsv"
  echo "fuzz $t: ${elapsed}s, ${execs:-?} executions, cov ${cov:-?}, ft ${ft:-?}, exit $rc"
  if [ "$rc" -ne 0 ]; then
    grep -E 'ERROR|property failed|SUMMARY|Test unit written' "$log" | head -n 20 >&2
    status=1
  fi
done
exit $status
