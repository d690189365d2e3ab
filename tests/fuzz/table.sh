#!/usr/bin/env bash
# Prints the fuzz campaign table (markdown) from $FUZZ_BUILD_DIR/stats.tsv: per target the
# number of runs, total time, executions (summed), and cov / ft of the last run.
stats="${FUZZ_BUILD_DIR:-$(dirname "$0")/../../build-fuzz}/stats.tsv"
awk -F'\t' '
  { t=$1; secs[t]+=$2; if ($3 ~ /^[0-9]+$/) ex[t]+=$3; runs[t]++; cov[t]=$4; ft[t]=$5 }
  END {
    print "| target | runs | total time | executions | cov | ft |"
    print "|---|---|---|---|---|---|"
    n = split("parse name matcher intersect cli crypto revocation grant token_request jwt", all, " ")
    for (i = 1; i <= n; i++) { t = all[i]; if (!(t in runs)) continue
      printf "| %s | %d | %d min %02d s | %d | %s | %s |\n", t, runs[t], int(secs[t]/60), secs[t]%60, ex[t], cov[t], ft[t] }
  }' "$stats"
