#!/usr/bin/env python3
"""Generate single_include/capmatch.hpp from the headers in include/capmatch/.

The output is deterministic (no timestamps, no absolute paths): headers are inlined in
the include order of the umbrella header include/capmatch/capmatch.hpp, each one once,
at its first #include; headers the umbrella does not include follow, sorted by name.
Every inlined header is framed by a marker comment naming its source file. Includes of
capmatch headers ("x.hpp" or <capmatch/x.hpp>) are replaced by the header itself (or
dropped when it was already inlined); system includes are kept as written.

Usage:
  python3 scripts/amalgamate.py            write single_include/capmatch.hpp
  python3 scripts/amalgamate.py --check    exit 1 (and say how to regenerate) when stale
  python3 scripts/amalgamate.py --output FILE [--depfile FILE] [--forward-dir DIR]
      write FILE instead; --depfile writes a make-style dependency file for build systems;
      --forward-dir writes DIR/capmatch/<name>.hpp for every public header, each including
      FILE, so code written against the individual headers compiles against the single one.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INCLUDE = ROOT / "include"
HEADER_DIR = INCLUDE / "capmatch"
UMBRELLA = HEADER_DIR / "capmatch.hpp"
DEFAULT_OUTPUT = ROOT / "single_include" / "capmatch.hpp"
REGENERATE = "python3 scripts/amalgamate.py"

INCLUDE_RE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')
PRAGMA_ONCE_RE = re.compile(r"^\s*#\s*pragma\s+once\b")


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def resolve(spec: str, quote: str, including: Path) -> Path | None:
    """The capmatch header an #include names, or None for a system/third-party header."""
    candidates = []
    if quote == '"':
        candidates.append(including.parent / spec)
    candidates.append(INCLUDE / spec)
    for c in candidates:
        c = Path(os.path.normpath(c))
        if c.is_file() and (c == HEADER_DIR or HEADER_DIR in c.parents):
            return c
    return None


def version() -> str:
    text = (HEADER_DIR / "version.hpp").read_text(encoding="utf-8")
    m = re.search(r'#\s*define\s+CAPMATCH_VERSION_STRING\s+"([^"]+)"', text)
    return m.group(1) if m else "unknown"


def all_headers() -> list[Path]:
    """Every public header: umbrella include order first, then the rest sorted by name."""
    order: list[Path] = []
    seen: set[Path] = set()  # entered, as #pragma once does: a header may include one that includes it

    def visit(path: Path) -> None:
        if path in seen:
            return
        seen.add(path)
        for line in path.read_text(encoding="utf-8").splitlines():
            m = INCLUDE_RE.match(line)
            if m:
                dep = resolve(m.group(2), m.group(1), path)
                if dep is not None:
                    visit(dep)
        order.append(path)

    for line in UMBRELLA.read_text(encoding="utf-8").splitlines():
        m = INCLUDE_RE.match(line)
        if m:
            dep = resolve(m.group(2), m.group(1), UMBRELLA)
            if dep is not None:
                visit(dep)
    umbrella_closure = list(order)
    rest = sorted(p for p in HEADER_DIR.rglob("*.hpp") if p != UMBRELLA and p not in umbrella_closure)
    for p in rest:
        visit(p)
    return order


def amalgamate() -> tuple[str, list[Path]]:
    done: set[Path] = set()
    read: list[Path] = []
    out: list[str] = [
        "// capmatch — Ably-compatible capabilities for C++20, as a single header.",
        f"// Version {version()}. SPDX-License-Identifier: MIT",
        "//",
        "// This file is generated — do not edit. It is made from include/capmatch/ by",
        f"//   {REGENERATE}",
        "// and a test fails when it is out of date. Edit the headers in include/capmatch/ instead.",
        "#pragma once",
        "",
    ]

    def inline(path: Path) -> None:
        if path in done:
            return
        done.add(path)
        read.append(path)
        out.append(f"// ---- begin {rel(path)} ----")
        for line in path.read_text(encoding="utf-8").splitlines():
            if PRAGMA_ONCE_RE.match(line):
                continue
            m = INCLUDE_RE.match(line)
            if m:
                dep = resolve(m.group(2), m.group(1), path)
                if dep is not None:
                    inline(dep)
                    continue
            out.append(line.rstrip())
        out.append(f"// ---- end {rel(path)} ----")
        out.append("")

    # The umbrella's own text (banner comments) is not repeated; its includes are.
    read.append(UMBRELLA)
    for path in all_headers():
        inline(path)
    text = "\n".join(out).rstrip("\n") + "\n"
    return text, read


def write_forwarders(forward_dir: Path, target: Path) -> None:
    dest = forward_dir / "capmatch"
    dest.mkdir(parents=True, exist_ok=True)
    names = [p.relative_to(HEADER_DIR) for p in HEADER_DIR.rglob("*.hpp")]
    for name in names:
        f = dest / name
        f.parent.mkdir(parents=True, exist_ok=True)
        body = (
            "// Generated by scripts/amalgamate.py --forward-dir: forwards to the single header.\n"
            "#pragma once\n"
            f'#include "{Path(os.path.relpath(target, f.parent)).as_posix()}"\n'
        )
        if not f.is_file() or f.read_text(encoding="utf-8") != body:
            f.write_text(body, encoding="utf-8")
    wanted = {dest / n for n in names}
    for old in dest.rglob("*.hpp"):
        if old not in wanted:
            old.unlink()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="fail when the output file is out of date")
    ap.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    ap.add_argument("--depfile", type=Path)
    ap.add_argument("--forward-dir", type=Path)
    args = ap.parse_args()

    text, read = amalgamate()
    output = args.output.resolve()
    if args.check:
        current = output.read_text(encoding="utf-8") if output.is_file() else None
        if current != text:
            what = "is missing" if current is None else "is out of date with include/capmatch/"
            print(f"{rel(output) if ROOT in output.parents else output} {what}.", file=sys.stderr)
            print(f"Regenerate it with:  {REGENERATE}", file=sys.stderr)
            return 1
        print(f"{rel(output) if ROOT in output.parents else output} is up to date.")
        return 0

    output.parent.mkdir(parents=True, exist_ok=True)
    if not output.is_file() or output.read_text(encoding="utf-8") != text:
        output.write_text(text, encoding="utf-8")
    if args.forward_dir is not None:
        write_forwarders(args.forward_dir.resolve(), output)
    if args.depfile is not None:
        # The header directory itself is a dependency too, so that adding a header reruns this.
        deps = [str(p) for p in read] + [str(HEADER_DIR), str(Path(__file__).resolve())]
        esc = [d.replace(" ", "\\ ") for d in deps]
        args.depfile.write_text(f"{output}: " + " \\\n  ".join(esc) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
