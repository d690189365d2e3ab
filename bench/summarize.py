#!/usr/bin/env python3
"""Turns capmatch_bench JSON output (--benchmark_out=run.json with --benchmark_repetitions and
--benchmark_report_aggregates_only=true) into the markdown tables of bench/RESULTS.md.

    python3 bench/summarize.py run.json [run2.json ...]

Medians of CPU time. With several runs, each check cell shows the median of the first run
and, in brackets, the range over all runs.
"""
import json
import sys

BASELINES = ["ops_for", "naive", "sublist", "re2_set", "hyperscan", "std_regex"]
COLUMNS = ["floor_hash", "matcher", "trie_walk"] + BASELINES


def load(path):
    with open(path) as f:
        data = json.load(f)
    med = {}
    counters = {}
    for b in data["benchmarks"]:
        if b.get("aggregate_name") != "median":
            continue
        name = b["run_name"]
        unit = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}[b["time_unit"]]
        med[name] = b["cpu_time"] * unit
        counters[name] = b
    return data.get("context", {}), med, counters


def fmt(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e4:
        return f"{ns / 1e3:.1f} µs"
    if ns >= 100:
        return f"{ns:.0f}"
    return f"{ns:.1f}"


def main(paths):
    runs = [load(p) for p in paths]
    ctx, med, counters = runs[0]
    print(f"Host: {ctx.get('host_name', '?')}, {ctx.get('num_cpus', '?')} CPUs, "
          f"load average at start {ctx.get('load_avg', '?')}, library build: {ctx.get('library_build_type', '?')}\n")
    for family in ["scoped", "global"]:
        if not any(k.startswith(f"check/{family}/matcher/") for k in med):
            continue  # a run filtered to other benchmarks
        print(f"### check, {family} family: median CPU ns per check (4096 queries, half hits)\n")
        print("| N | " + " | ".join(COLUMNS) + " | best baseline | best / matcher |")
        print("|---:|" + "---:|" * (len(COLUMNS) + 2))
        for n in [1, 8, 64, 512, 4096]:
            cells = []
            for c in COLUMNS:
                key = f"check/{family}/{c}/{n}"
                if key not in med:
                    cells.append("–")
                    continue
                cell = fmt(med[key])
                if len(runs) > 1 and c == "matcher":
                    vals = [r[1][key] for r in runs if key in r[1]]
                    cell += f" [{fmt(min(vals))}–{fmt(max(vals))}]"
                cells.append(cell)
            base = [(med[f"check/{family}/{b}/{n}"], b) for b in BASELINES if f"check/{family}/{b}/{n}" in med]
            m = med.get(f"check/{family}/matcher/{n}")
            if not base or m is None:
                print(f"| {n} | " + " | ".join(cells) + " | – | – |")
                continue
            best, who = min(base)
            print(f"| {n} | " + " | ".join(cells) + f" | {who} | {best / m:.1f}× |")
        print()
    print("### build: matcher construction from a parsed capability\n")
    print("| workload | N | ns/pattern | bytes/pattern | pattern bytes/pattern | bytes/pattern − pattern bytes | states | DFA |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for family in ["scoped", "global"]:
        for n in [1, 8, 64, 512, 4096]:
            b = counters.get(f"build/{family}/{n}")
            if not b:
                continue
            ns = med[f"build/{family}/{n}"] / n
            print(f"| {family} | {n} | {ns:.0f} | {b['bytes_per_pattern']:.1f} | {b['pattern_bytes_per_pattern']:.1f} | "
                  f"{b['bytes_per_pattern'] - b['pattern_bytes_per_pattern']:.1f} | {b['states']:.0f} | {'yes' if b['dfa'] else 'no'} |")
    print()
    print("### parse + validate + canonicalise vs nlohmann::json::parse (scoped documents)\n")
    print("| N | doc | capmatch::parse | parse + canonical text | nlohmann::json::parse | ratio (parse) | ratio (parse + text) |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for n in [64, 512, 4096]:
        a, t, j = (med.get(f"parse/{k}/{n}") for k in ["capmatch", "capmatch_with_canonical_text", "nlohmann_json_parse"])
        if a is None or j is None:
            continue
        print(f"| {n} | scoped/{n} | {fmt(a)} | {fmt(t)} | {fmt(j)} | {j / a:.1f}× | {j / t:.1f}× |")
    print()
    a, r = med.get("intersect/capmatch/1000x100"), med.get("intersect/pairwise_reference/1000x100")
    if a and r:
        print("### intersection, 1000-entry key × 100-entry request\n")
        print("| capmatch::intersect | pairwise reference | ratio |")
        print("|---:|---:|---:|")
        print(f"| {fmt(a)} | {fmt(r)} | {r / a:.1f}× |")


if __name__ == "__main__":
    main(sys.argv[1:])
