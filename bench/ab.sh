#!/usr/bin/env bash
# A/B comparison of two capmatch_bench binaries on a noisy machine: runs them alternately
# (A, B, A, B, ...) so that load changes hit both, and prints per benchmark the median of
# each binary's medians and their ratio, and the ratio of the fastest single runs (steadier
# than the medians when other tenants load the host: noise only ever adds time).
# Usage: bench/ab.sh BIN_A BIN_B [rounds=3] [benchmark filter regex='check/.*/matcher/']
# Example: cp build/bench/capmatch_bench /tmp/A; (change, rebuild); bench/ab.sh /tmp/A build/bench/capmatch_bench
set -eu
a="$1"; b="$2"; rounds="${3:-3}"; filter="${4:-check/.*/matcher/}"
raw="$(mktemp)"
trap 'rm -f "$raw"' EXIT
for _ in $(seq "$rounds"); do
  for side in A B; do
    bin="$a"; [ "$side" = B ] && bin="$b"
    "$bin" --no-gate-for-profiling --benchmark_filter="$filter" --benchmark_repetitions=3 \
      --benchmark_min_time=0.1 2>/dev/null |
      awk -v s="$side" '$1 ~ /^(check|build)\// && $1 !~ /_(mean|stddev|cv)$/ {print s, $1, $4}' >>"$raw"
  done
done
python3 - "$raw" <<'PY'
import collections, statistics, sys
med, runs = collections.defaultdict(list), collections.defaultdict(list)
for line in open(sys.argv[1]):
    side, name, cpu = line.split()
    if name.endswith("_median"):
        med[(name.removesuffix("_median"), side)].append(float(cpu))
    else:
        runs[(name, side)].append(float(cpu))
for name in sorted({k[0] for k in med}):
    a, b = med[(name, "A")], med[(name, "B")]
    ma, mb = statistics.median(a), statistics.median(b)
    fa, fb = min(runs[(name, "A")]), min(runs[(name, "B")])
    print(f"{name:44s} A {ma:10.2f}  B {mb:10.2f}  B/A {mb / ma:5.2f}  fastest B/A {fb / fa:5.2f}   A {a} B {b}")
PY
