#!/usr/bin/env python3
"""Compile-time cost of capability literals (docs/static_capability.md, "Compile-time cost").

Usage: compile_cost.py INCLUDE_DIR COMPILER [COMPILER...]   e.g. compile_cost.py include g++ clang++

For N = 10, 100, 1000 resources, compiles (-std=c++20 -c) three translation units:
  base     includes capmatch/static_capability.hpp, no literal;
  literal  + one N-entry static_capability (parse, canonical text);
  matcher  + static_matcher<key> (a compiled matcher built during compilation, two passes).
Reports the CPU time (user + sys, best of 3 runs: less noisy than wall time on a busy machine)
and the peak resident memory of the compiler (GNU time's %M), and which constexpr limit flag
the translation unit needed when the compiler's default limit was not enough.
"""

import os
import subprocess
import sys
import tempfile

OPS = ["publish", "subscribe", "presence", "history"]
LIMIT_FLAGS = {
    "gcc": ["-fconstexpr-ops-limit=134217728", "-fconstexpr-ops-limit=1073741824"],
    "clang": ["-fconstexpr-steps=4194304", "-fconstexpr-steps=16777216", "-fconstexpr-steps=134217728"],
}


def literal(n):
    parts = []
    for i in range(n):
        res = [f"ns{i}:*", f"room:{i}:chat", f"[queue]jobs{i}", f"team{i}:*:inbox"][i % 4]
        ops = ",".join(f'"{o}"' for o in OPS[: i % 4 + 1])
        parts.append(f'"{res}":[{ops}]')
    return "{" + ",".join(parts) + "}"


def source(kind, n):
    head = "#include <capmatch/static_capability.hpp>\n"
    if kind == "base":
        return head + "int main() { return 0; }\n"
    decl = f'static constexpr capmatch::static_capability key{{R"CAP({literal(n)})CAP"}};\n'
    if kind == "literal":
        return head + decl + "int main() { return static_cast<int>(key.json().size()); }\n"
    return head + decl + ("int main(int argc, char** argv) {\n"
                          "  return capmatch::static_matcher<key>.allows(argc > 1 ? argv[1] : \"ns1:x\", "
                          "capmatch::operation::publish);\n}\n")


def measure(cmd, path, include, extra):
    best = None
    for _ in range(3):
        proc = subprocess.run(["/usr/bin/time", "-f", "%U %S %M"] + cmd +
                              ["-std=c++20", "-I", include, "-c", path, "-o", os.devnull] + extra,
                              capture_output=True, text=True)
        if proc.returncode != 0:
            return None
        user, sys_, rss = proc.stderr.strip().splitlines()[-1].split()
        run = (float(user) + float(sys_), int(rss))
        best = run if best is None or run[0] < best[0] else (best[0], max(best[1], run[1]))
    return best


def main(argv):
    if len(argv) < 3:
        print(__doc__)
        return 2
    include = os.path.abspath(argv[1])
    with tempfile.TemporaryDirectory() as work:
        for compiler in argv[2:]:
            cmd = compiler.split()
            kind = "clang" if "clang" in subprocess.run(cmd + ["--version"], capture_output=True,
                                                        text=True).stdout else "gcc"
            version = subprocess.run(cmd + ["--version"], capture_output=True, text=True).stdout.splitlines()[0]
            print(f"\n{version}:\n")
            print("| TU | CPU s | extra vs base | peak memory | limit flag needed |")
            print("|---|---|---|---|---|")
            base = None
            for kind_, n in [("base", 0)] + [(k, n) for n in (10, 100, 1000) for k in ("literal", "matcher")]:
                path = os.path.join(work, f"{kind_}{n}.cpp")
                with open(path, "w") as f:
                    f.write(source(kind_, n))
                needed = ""
                result = measure(cmd, path, include, [])
                for flag in LIMIT_FLAGS[kind]:
                    if result is not None:
                        break
                    needed = flag
                    result = measure(cmd, path, include, [flag])
                name = "header only" if kind_ == "base" else f"{n}-entry {kind_}"
                if result is None:
                    print(f"| {name} | failed | | | |")
                    continue
                if base is None:
                    base = result[0]
                extra = "" if kind_ == "base" else f"+{result[0] - base:.2f} s"
                print(f"| {name} | {result[0]:.2f} | {extra} | {result[1] / 1024:.0f} MiB | {needed or 'none'} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
