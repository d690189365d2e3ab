#!/usr/bin/env python3
"""Run an example and compare its standard output with the expected text.

Usage: check_output.py EXPECTED_FILE PROGRAM [ARGS...]
"""
import difflib
import subprocess
import sys


def main() -> int:
    expected_file, cmd = sys.argv[1], sys.argv[2:]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=False)
    with open(expected_file, encoding="utf-8") as f:
        expected = f.read()
    if proc.returncode != 0:
        print(f"{cmd[0]} exited with status {proc.returncode}", file=sys.stderr)
        return 1
    if proc.stdout != expected:
        sys.stdout.writelines(difflib.unified_diff(expected.splitlines(True), proc.stdout.splitlines(True),
                                                   expected_file, "actual output"))
        return 1
    print(proc.stdout, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
