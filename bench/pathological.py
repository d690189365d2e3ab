#!/usr/bin/env python3
"""Writes the pathological inputs of issue 14 (items 1 and 3) to a directory, for docs/limits.md.

Usage: /usr/bin/python3 bench/pathological.py OUTDIR
  lint_namespace.json   10 000 entries in one namespace: "chat:room0" ... "chat:room9999"
  lint_star_chain.json  4 000 entries of 60 "*:" segments, a distinct literal and ":*",
                        granting message-delete-any
  lint_star_chain10k.json  the same with 10 000 entries
  intersect_key.json    104 broad entries "[?p0]*" ... "[?p103]*", all ["*"]
  intersect_req.json    10 000 entries of about 1.6 KB each (16 MB)
  intersect_key_depth.json  the same attack without equal key patterns: "x:*" ... "x" + 102 ":*"
                        (104 distinct patterns whose intersections with each request entry
                        are one and the same text)
  intersect_req_depth.json  10 000 entries "*:y<j>:<long literals>:*"
  intersect_key_late.json   104 key entries of 100 "*:" segments then a literal "z<k>"
  intersect_req_late.json   10 000 entries of 100 literal segments then "r<j>": every pair is a
                        candidate (first segment "*") and differs only in its last segment
  lint_generalized.json  lint's adversarial worst case: 2 000 random patterns over {x, *}^127
                        then "z" (they share long prefixes with every query but contain none),
                        and 2 000 entries "x" * 127 then a distinct literal
"""
import json
import os
import random
import sys


def write(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, separators=(",", ":"))


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    write(os.path.join(out, "lint_namespace.json"), {f"chat:room{i}": ["publish"] for i in range(10000)})
    for n, name in ((4000, "lint_star_chain.json"), (10000, "lint_star_chain10k.json")):
        write(os.path.join(out, name), {"*:" * 60 + f"l{i}:*": ["message-delete-any"] for i in range(n)})
    write(os.path.join(out, "intersect_key.json"), {f"[?p{k}]*": ["*"] for k in range(104)})
    # 10 000 entries of about 1.6 KB: 100 segments of 15 bytes plus a distinct tail.
    seg = "abcdefghijklmn"
    write(os.path.join(out, "intersect_req.json"),
          {":".join([seg + str(j % 10)] * 100) + f":r{j}": ["subscribe"] for j in range(10000)})
    write(os.path.join(out, "intersect_key_depth.json"), {"x" + ":*" * k: ["*"] for k in range(1, 103)})
    write(os.path.join(out, "intersect_req_depth.json"),
          {f"*:y{j}:" + ":".join([seg] * 100) + ":*": ["subscribe"] for j in range(10000)})

    write(os.path.join(out, "intersect_key_late.json"), {"*:" * 100 + f"z{k}": ["*"] for k in range(104)})
    write(os.path.join(out, "intersect_req_late.json"),
          {":".join([seg + str(j % 10)] * 100) + f":r{j}": ["subscribe"] for j in range(10000)})
    rng = random.Random(14)
    gen = {}
    while len(gen) < 2000:
        gen[":".join(rng.choice("x*") for _ in range(127)) + ":z"] = ["subscribe"]
    for m in range(2000):
        gen[":".join(["x"] * 127) + f":w{m}"] = ["subscribe"]
    write(os.path.join(out, "lint_generalized.json"), gen)


if __name__ == "__main__":
    main()
