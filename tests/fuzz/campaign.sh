#!/usr/bin/env bash
# The long fuzz campaign: one fuzz process at a time under nice -n 19, 10-minute slices, always
# the target with the least total time so far, until every target has TARGET_SECS (default 2100).
# Totals are summed from $FUZZ_BUILD_DIR/stats.tsv (one line per run.sh run); print them with
# tests/fuzz/table.sh. Usage: nohup tests/fuzz/campaign.sh > build-fuzz/campaign.log 2>&1 &
cd "$(dirname "$0")/../.." || exit 1
export FUZZ_JOBS_NICE=1 FUZZ_BUILD_DIR="${FUZZ_BUILD_DIR:-$PWD/build-fuzz}" FUZZ_TIMEOUT="${FUZZ_TIMEOUT:-120}"
target_secs="${TARGET_SECS:-2100}"
mkdir -p "$FUZZ_BUILD_DIR" && touch "$FUZZ_BUILD_DIR/stats.tsv"
while true; do
  next=$(awk -F'\t' -v limit="$target_secs" '{s[$1]+=$2} END {n=split("parse name matcher intersect cli jwt", all, " ");
    best=""; for (i = 1; i <= n; i++) { t=all[i]; v=s[t]+0; if (v < limit && (best=="" || v < bv)) {best=t; bv=v} } print best}' \
    "$FUZZ_BUILD_DIR/stats.tsv")
  [ -z "$next" ] && break
  tests/fuzz/run.sh 600 "$next" || true
  sleep 2
done
echo "campaign done $(date)"
