#!/usr/bin/env python3
"""Issue 15's tables (bench/RESULTS.md, session 4) from capmatch_bench JSON output
(--benchmark_out=run.json, --benchmark_repetitions, --benchmark_report_aggregates_only=true).

    python3 bench/summarize_families.py run.json
    python3 bench/summarize_families.py runA.txt runB.txt runC.txt
    python3 bench/summarize_families.py --shapes shapes.json

--shapes: the same tables for the shapes (shape/... and shape_build/..., bench/workloads.hpp
shape_pattern) instead of the families (check/... and build/...).

Medians of CPU time. Several runs (JSON, or the console output when a run was cut short)
are merged; a ratio always compares cells of one run: each baseline with the matcher of the
run that timed it, the matcher with the floor of the run that timed both, and the "matcher"
column shows the first run's cell. "best" is the best of the strong baselines issue 15
names: sublist (bench/baselines/sublist.hpp), RE2::Set and Hyperscan.
"""
import json
import sys

STRONG = ["sublist", "re2_set", "hyperscan"]
SIZES = [1, 8, 64, 512, 4096, 32768]


def load_text(path):
    """The console output: `name_median  real unit  cpu unit  iterations counters...`."""
    med, counters, errors = {}, {}, {}
    unit = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
    for line in open(path):
        f = line.split()
        if len(f) >= 2 and f[1] == "ERROR":
            errors[f[0]] = line.split("ERROR OCCURRED:")[1].strip()
            continue
        if not f or not f[0].endswith("_median") or len(f) < 6:
            continue
        name = f[0][: -len("_median")]
        med[name] = float(f[3]) * unit[f[4]]
        c = {}
        for kv in f[6:]:
            if "=" in kv:
                k, v = kv.split("=", 1)
                mult = 1.0
                for suf, m in (("k", 1e3), ("M", 1e6), ("G", 1e9)):
                    if v.endswith(suf) and not v.endswith("/s"):
                        v, mult = v[:-1], m
                try:
                    c[k] = float(v) * mult
                except ValueError:
                    pass
        counters[name] = c
    return {}, med, counters, errors


def load(path):
    if not path.endswith(".json"):
        return load_text(path)
    with open(path) as f:
        data = json.load(f)
    med, counters, errors = {}, {}, {}
    for b in data["benchmarks"]:
        if b.get("error_occurred"):
            errors[b["run_name"] if "run_name" in b else b["name"]] = b.get("error_message", "?")
            continue
        if b.get("aggregate_name") != "median":
            continue
        unit = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}[b["time_unit"]]
        med[b["run_name"]] = b["cpu_time"] * unit
        counters[b["run_name"]] = b
    return data.get("context", {}), med, counters, errors


def fmt(ns):
    if ns is None:
        return "–"
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e4:
        return f"{ns / 1e3:.1f} µs"
    if ns >= 100:
        return f"{ns:.0f}"
    return f"{ns:.1f}"


def only_shapes(run):
    """The run with shape/... and shape_build/... renamed check/... and build/..., the rest left out."""
    ctx, med, counters, errors = run
    rename = lambda d: {"check/" + k[len("shape/"):] if k.startswith("shape/") else "build/" + k[len("shape_build/"):]: v
                        for k, v in d.items() if k.startswith(("shape/", "shape_build/"))}
    return ctx, rename(med), rename(counters), rename(errors)


def main(args):
    shapes = "--shapes" in args
    paths = [a for a in args if a != "--shapes"]
    runs = [load(p) for p in paths]
    if shapes:
        runs = [only_shapes(r) for r in runs]
    ctx, med, counters, errors = runs[0]
    # impl cell -> the run that timed it (first run wins), for same-run ratios
    owner = {}
    for i, r in enumerate(runs):
        for k in r[1]:
            owner.setdefault(k, i)
    med = {k: runs[i][1][k] for k, i in owner.items()}
    counters = {k: runs[i][2][k] for k, i in owner.items() if k in runs[i][2]}
    for r in runs[1:]:
        errors.update(r[3])
    # an error superseded by a later run's measurement of the same cell is not reported
    errors = {k: v for k, v in errors.items() if k not in med}

    def ratio(f, n, num, den):
        """num / den, both timed in the run that timed `num`; None when that run lacks `den`."""
        key = f"check/{f}/{num}/{n}"
        if key not in owner:
            return None
        r = runs[owner[key]][1]
        d = r.get(f"check/{f}/{den}/{n}")
        return r[key] / d if d else None
    print(f"Host: {ctx.get('host_name', '?')}, {ctx.get('num_cpus', '?')} CPUs, "
          f"{ctx.get('mhz_per_cpu', '?')} MHz, load average at start {ctx.get('load_avg', '?')}\n")
    families = []
    for k in med:
        if k.startswith("check/") and "/matcher/" in k:
            f = k.split("/")[1]
            if f not in families:
                families.append(f)
    misses = []
    print("| family | N | floor | matcher | DFA | trie_walk | sublist | re2_set | hyperscan | best | best / matcher "
          "| matcher / floor | build ns/pattern | bytes/pattern − pattern bytes | sublist bytes/pattern |")
    print("|---|---:|---:|---:|:-:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|")
    per_n = {}
    for f in families:
        for n in SIZES:
            g = lambda impl: med.get(f"check/{f}/{impl}/{n}")
            m = g("matcher")
            if m is None:
                continue
            c = counters.get(f"check/{f}/matcher/{n}", {})
            dfa = "yes" if c.get("dfa", 1) else "**no**"
            # speedup over each strong baseline, each against the matcher of its own run
            base = [(ratio(f, n, b, "matcher"), b) for b in STRONG if ratio(f, n, b, "matcher") is not None]
            speedup, who = min(base) if base else (None, "–")
            fl = g("floor_hash")
            b = counters.get(f"build/{f}/{n}")
            build = f"{med[f'build/{f}/{n}'] / n:.0f}" if b else "–"
            mem = f"{b['bytes_per_pattern'] - b['pattern_bytes_per_pattern']:.1f}" if b else "–"
            smem = f"{b['sublist_bytes_per_pattern']:.1f}" if b and "sublist_bytes_per_pattern" in b else "–"
            over_floor = None
            if fl is not None:
                fr = runs[owner[f"check/{f}/floor_hash/{n}"]][1]
                over_floor = fr[f"check/{f}/matcher/{n}"] / fl if f"check/{f}/matcher/{n}" in fr else None
            print(f"| {f} | {n} | {fmt(fl)} | {fmt(m)} | {dfa} | {fmt(g('trie_walk'))} | {fmt(g('sublist'))} | "
                  f"{fmt(g('re2_set'))} | {fmt(g('hyperscan'))} | {who} | "
                  f"{'–' if speedup is None else f'{speedup:.1f}×'} | {'–' if over_floor is None else f'{over_floor:.1f}×'} | "
                  f"{build} | {mem} | {smem} |")
            per_n.setdefault(n, []).append((m, f))
            if speedup is not None and speedup < 5:
                misses.append(f"{f}/{n}: {speedup:.1f}× the best baseline ({who})")
            if over_floor is not None and over_floor > 4:
                misses.append(f"{f}/{n}: {over_floor:.1f}× the floor")
            if b and med[f"build/{f}/{n}"] / n > 1000:
                misses.append(f"{f}/{n}: build {med[f'build/{f}/{n}'] / n:.0f} ns/pattern")
            if b and b['bytes_per_pattern'] - b['pattern_bytes_per_pattern'] > 64:
                misses.append(f"{f}/{n}: {b['bytes_per_pattern'] - b['pattern_bytes_per_pattern']:.1f} B/pattern beyond pattern bytes")
    print("\n### cliff: slowest vs fastest family per N (matcher)\n")
    print("| N | fastest | slowest | slowest / fastest | slowest but adversarial | / fastest |")
    print("|---:|---|---|---:|---|---:|")
    for n in SIZES:
        if n not in per_n:
            continue
        lo, hi = min(per_n[n]), max(per_n[n])
        hi2 = max(x for x in per_n[n] if x[1] != "adversarial")
        print(f"| {n} | {lo[1]} {fmt(lo[0])} | {hi[1]} {fmt(hi[0])} | {hi[0] / lo[0]:.1f}× | "
              f"{hi2[1]} {fmt(hi2[0])} | {hi2[0] / lo[0]:.1f}× |")
        if hi[0] / lo[0] > 2:
            misses.append(f"N={n}: slowest family {hi[1]} {hi[0] / lo[0]:.1f}× the fastest {lo[1]}")
    old = [(f, n) for f in families for n in SIZES if f"check/{f}/sublist_std/{n}" in med and f"check/{f}/sublist/{n}" in med]
    if old:
        print("\n### the old sublist baseline against the strong one\n")
        print("| family | N | sublist_std (sessions 1-3) | sublist (strong) | old / strong |")
        print("|---|---:|---:|---:|---:|")
        for f, n in old:
            a, s = med[f"check/{f}/sublist_std/{n}"], med[f"check/{f}/sublist/{n}"]
            print(f"| {f} | {n} | {fmt(a)} | {fmt(s)} | {a / s:.1f}× |")
    print("\n### goals missed\n")
    for x in misses:
        print(f"- {x}")
    if errors:
        print("\n### benchmarks that reported an error\n")
        for k, v in sorted(errors.items()):
            print(f"- {k}: {v}")


if __name__ == "__main__":
    main(sys.argv[1:])
