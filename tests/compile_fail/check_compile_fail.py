#!/usr/bin/env python3
"""Compile-fail check for one translation unit (tests/compile_fail/*.cpp).

Usage: check_compile_fail.py SOURCE INCLUDE_DIR -- COMPILER [ARGS...]

Compiles SOURCE twice with COMPILER (as meson's cpp.cmd_array() gives it):
  1. the twin, without CAPMATCH_COMPILE_FAIL: it must compile;
  2. with -DCAPMATCH_COMPILE_FAIL: it must fail, and the diagnostics must contain
     every `// expect: TEXT` line of SOURCE (plus `// expect-gcc:` / `// expect-clang:` for
     that compiler) and the byte offset of `// expect-offset: N` in the form that compiler
     prints it (see docs/static_capability.md).
g++ prints string literals with escaped quotes (\\' and \\"); they are unescaped before
matching. Exits 0 when all holds, 1 otherwise (printing what was missing and the output).
"""

import os
import re
import subprocess
import sys
import tempfile

OFFSET_PATTERNS = {
    # g++: error: array subscript value '11' is outside the bounds of array
    #      'capmatch::v0_1::detail::invalid_capability_literal_at_byte' of type 'const char [0]'
    "gcc": r"array subscript value '{n}' is outside the bounds of array '[^']*invalid_capability_literal_at_byte'",
    # clang: note: cannot refer to element 11 of array of 0 elements in a constant expression
    #        note: in call to 'capability_literal_error(&"unknown operation"[0], ..., 11)'
    # (for offset 0 the first note reads "read of dereferenced one-past-the-end pointer")
    "clang": r"in call to 'capability_literal_error\(.*, {n}\)'",
}


def compiler_kind(cmd):
    out = subprocess.run(cmd + ["--version"], capture_output=True, text=True).stdout
    return "clang" if "clang" in out else "gcc"


def compile_once(cmd, source, include_dir, defines, workdir):
    env = dict(os.environ, LC_ALL="C", LANG="C")
    args = cmd + ["-std=c++20", "-fdiagnostics-color=never", "-Wall", "-Wextra", "-Wpedantic", "-Werror",
                  "-I", include_dir] + defines + ["-c", source, "-o", os.path.join(workdir, "out.o")]
    proc = subprocess.run(args, capture_output=True, text=True, env=env)
    return proc.returncode, proc.stdout + proc.stderr, args


def main(argv):
    if len(argv) < 5 or argv[3] != "--":
        print(__doc__)
        return 2
    source, include_dir, cmd = argv[1], argv[2], argv[4:]
    kind = compiler_kind(cmd)
    text = open(source, encoding="utf-8").read()
    expects = re.findall(r"^// expect: (.+)$", text, re.M)
    expects += re.findall(r"^// expect-%s: (.+)$" % kind, text, re.M)
    offsets = re.findall(r"^// expect-offset: (\S+)$", text, re.M)
    if not expects or len(offsets) != 1:
        print(f"{source}: needs at least one '// expect:' line and one '// expect-offset:' line")
        return 2

    ok = True
    with tempfile.TemporaryDirectory() as workdir:
        rc, out, args = compile_once(cmd, source, include_dir, [], workdir)
        if rc != 0:
            print(f"FAIL: the twin (without CAPMATCH_COMPILE_FAIL) does not compile:\n  {' '.join(args)}\n{out}")
            return 1
        rc, out, args = compile_once(cmd, source, include_dir, ["-DCAPMATCH_COMPILE_FAIL"], workdir)
    print(f"$ {' '.join(args)}")
    if rc == 0:
        print("FAIL: compiled, but the literal is invalid and must not compile")
        return 1
    plain = out.replace("\\'", "'").replace('\\"', '"')
    for e in expects:
        if e not in plain:
            print(f"FAIL: diagnostic lacks the expected text: {e}")
            ok = False
    if offsets[0] != "none":
        pattern = OFFSET_PATTERNS[kind].format(n=int(offsets[0]))
        if not re.search(pattern, plain):
            print(f"FAIL: diagnostic lacks the byte offset {offsets[0]} (pattern: {pattern})")
            ok = False
    if ok:
        print(f"ok: {kind} fails with {', '.join(repr(e) for e in expects)}"
              + ("" if offsets[0] == "none" else f" at byte {offsets[0]}"))
    else:
        print("---- compiler output ----")
        print(out)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
