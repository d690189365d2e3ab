#!/usr/bin/env bash
# Runs one fuzz target (through run.sh) until its coverage has not grown for FLAT seconds
# (default 300), or until MAX seconds (default 3600), and reports when it plateaued.
# Usage: tests/fuzz/plateau.sh TARGET [FLAT] [MAX]   (environment as for run.sh)
# Output: run.sh's line and stats.tsv row (exit status 72 there: libFuzzer was interrupted), then "plateau TARGET: cov C since S s (of T s)"
#   or "no plateau TARGET ..." when MAX ended the run while coverage still grew.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
t="$1"; flat="${2:-300}"; max="${3:-3600}"
out="${FUZZ_BUILD_DIR:-$here/../../build-fuzz}"
log="$out/logs/$t.log"
mkdir -p "$out/logs" && : >"$log"
"$here/run.sh" "$max" "$t" &
runner=$!
start=$(date +%s); last_cov=""; since=$start; fuzzer=""
while kill -0 "$runner" 2>/dev/null; do
  sleep 10
  cov=$(grep -aoE '^#[0-9]+.*cov: [0-9]+' "$log" 2>/dev/null | tail -n 1 | sed 's/.*cov: //')
  [ -z "$cov" ] && continue  # still building or loading the corpus
  now=$(date +%s)
  if [ "$cov" != "$last_cov" ]; then last_cov=$cov; since=$now; fi
  [ -z "$fuzzer" ] && fuzzer=$(pgrep -P "$runner" | head -n 1)
  if [ $((now - since)) -ge "$flat" ] && [ -n "$fuzzer" ]; then
    kill -INT "$fuzzer" 2>/dev/null  # libFuzzer prints its final stats and exits with 72
    wait "$runner"; rc=$?
    # run.sh exits 1 for the interrupt; a finding leaves an artifact (crash-, leak-, timeout-...).
    [ -z "$(ls -A "$out/artifacts/$t" 2>/dev/null)" ] && rc=0
    echo "plateau $t: cov $last_cov unchanged for $((now - since)) s, reached after $((since - start)) s (of $((now - start)) s)"
    exit $rc
  fi
done
wait "$runner"; rc=$?
echo "no plateau $t: cov ${last_cov:-?} last grew at $((since - start)) s of $(( $(date +%s) - start )) s"
exit $rc
