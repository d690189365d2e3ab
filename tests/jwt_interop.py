#!/usr/bin/env python3
"""Ably JWTs against real clients: tokens minted by PyJWT (Debian python3-jwt) or by the npm
`jsonwebtoken` package verify in `capmatch verify-jwt`, and tokens minted by `capmatch jwt` verify
in them, over generated claim sets; the decoded claims are compared field by field.

usage: jwt_interop.py CAPMATCH pyjwt|jsonwebtoken [NODE] [SETS]
Exits 77 (skipped) when the other implementation is not installed."""
import json
import os
import random
import subprocess
import sys
import time

SKIP = 77
KEY_NAME = "appId.keyId"
SECRET = "s3cr3t-Interop_value"
KEY = KEY_NAME + ":" + SECRET

capmatch = sys.argv[1]
other = sys.argv[2]
node = sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] else "node"
count = int(sys.argv[4]) if len(sys.argv) > 4 else 200
here = os.path.dirname(os.path.abspath(__file__))

if other == "pyjwt":
    try:
        import jwt  # Debian python3-jwt
    except ImportError:
        print("PyJWT is not installed (apt-get install python3-jwt); skipping")
        sys.exit(SKIP)
elif other == "jsonwebtoken":
    if not os.path.isdir(os.path.join(here, "node", "node_modules", "jsonwebtoken")):
        print("tests/node/node_modules/jsonwebtoken missing (cd tests/node && npm ci); skipping")
        sys.exit(SKIP)
    try:
        subprocess.run([node, "--version"], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        print("node is not installed; skipping")
        sys.exit(SKIP)
else:
    sys.exit("unknown implementation " + other)

rng = random.Random(20261202)  # deterministic claim sets
OPS = ["subscribe", "publish", "presence", "history", "stats", "push-subscribe", "push-admin",
       "channel-metadata", "privileged-headers", "object-subscribe", "object-publish",
       "annotation-subscribe", "annotation-publish", "message-update-own", "message-update-any",
       "message-delete-own", "message-delete-any"]
PIECES = ["chat", "room", "caf\u00e9", "\u4e2d\u6587", "x\"q", "b\\s", "t\tab", "\U0001F600", "n1", "Z"]


def text(n):
    """A random non-empty string: ASCII, quotes, backslashes, controls, non-ASCII (no NUL)."""
    alphabet = "abcXYZ019 _-.:/\"\\\t\n\x01\x1f\x7f\u00e9\u4e2d\U0001F600="
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(1, n)))


def resource():
    segs = [rng.choice(PIECES + ["*"]) for _ in range(rng.randint(1, 3))]
    q = rng.choice(["", "", "", "[*]", "[meta]", "[queue]"])
    return q + ":".join(segs)


def capability():
    cap = {}
    for _ in range(rng.randint(1, 6)):
        ops = ["*"] if rng.random() < 0.2 else rng.sample(OPS, rng.randint(1, 4))
        cap[resource()] = ops
    return cap


def canonical(cap):
    """SEMANTICS §1.5, computed here: keys by UTF-8 bytes, ops sorted, no whitespace."""
    items = sorted(cap.items(), key=lambda kv: kv[0].encode("utf-8"))
    return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" +
                          json.dumps(sorted(v, key=lambda o: o.encode()), separators=(",", ":"))
                          for k, v in items) + "}"


def claim_set(i, now):
    s = {"iat": now - rng.randint(0, 300)}
    s["exp"] = s["iat"] + rng.randint(301, 86400)
    if rng.random() < 0.85:
        s["cap"] = capability()
        s["cap_object"] = rng.random() < 0.3  # the object form, as the Ably CLI writes it
    if rng.random() < 0.7:
        s["clientId"] = rng.choice(["*", text(12)])
    if rng.random() < 0.4:
        s["revocationKey"] = text(10)
    # User claims with distinct first segments never tie (rule 26).
    s["user"] = {}
    for k in range(rng.randint(0, 4)):
        shape = rng.choice(["u{k}", "u{k}:*", "u{k}:*:end", "[*]u{k}:x", "[filter=a]u{k}"])
        s["user"][shape.format(k=k)] = text(8)
    if rng.random() < 0.3:
        s["user"]["*"] = "guest"
    s["limits"] = {}
    for k in range(rng.randint(0, 2)):
        s["limits"]["ably.limits.publish.perAttachment.maxRate.u%d:*" % k] = rng.choice([1, 10, 0.5, 250, 2.25])
    s["extra"] = {}
    for k in range(rng.randint(0, 3)):
        s["extra"]["c%d_%s" % (k, rng.choice(["sub", "n\u00e4me", "role"]))] = rng.choice(
            [text(6), rng.randint(-10**9, 10**9), True, None, [1, "two", {"three": 3}], {"a": {"b": []}}])
    return s


def payload_of(s):
    p = {"iat": s["iat"], "exp": s["exp"]}
    if "cap" in s:
        p["x-ably-capability"] = s["cap"] if s["cap_object"] else canonical(s["cap"])
    if "clientId" in s:
        p["x-ably-clientId"] = s["clientId"]
    if "revocationKey" in s:
        p["x-ably-revocation-key"] = s["revocationKey"]
    for pat, v in s["user"].items():
        p["ably.channel." + pat] = v
    p.update(s["limits"])
    p.update(s["extra"])
    return p


failures = []


def fail(i, what):
    failures.append("set %d: %s" % (i, what))


def check_capmatch_output(i, s, out):
    """What `capmatch verify-jwt` printed, against the claim set."""
    got = json.loads(out, object_pairs_hook=lambda pairs: pairs)
    top = dict(got)
    expect = {"keyName": KEY_NAME, "iat": s["iat"], "exp": s["exp"]}
    for k, v in expect.items():
        if top.get(k) != v:
            fail(i, "%s: %r != %r" % (k, top.get(k), v))
    cap_pairs = top["capability"]
    want = canonical(s["cap"]) if "cap" in s else '{"[*]*":["*"]}'
    have = "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + json.dumps(v, separators=(",", ":"))
                          for k, v in cap_pairs) + "}"
    if have != want:
        fail(i, "capability %s != %s" % (have, want))
    for field, key in (("clientId", "clientId"), ("revocationKey", "revocationKey")):
        if top.get(field) != s.get(key):
            fail(i, "%s %r != %r" % (field, top.get(field), s.get(key)))
    if dict(top.get("userClaims", [])) != s["user"]:
        fail(i, "userClaims %r != %r" % (top.get("userClaims"), s["user"]))
    if dict(top.get("limits", [])) != s["limits"]:
        fail(i, "limits %r != %r" % (top.get("limits"), s["limits"]))
    plain = json.loads(out)
    if plain.get("claims", {}) != s["extra"]:
        fail(i, "claims %r != %r" % (plain.get("claims"), s["extra"]))


def capmatch_jwt(s):
    args = [capmatch, "jwt", "--key", KEY, "--iat", str(s["iat"]), "--ttl", str(s["exp"] - s["iat"])]
    if "cap" in s:
        args += ["--capability", json.dumps(s["cap"], ensure_ascii=False)]
    if "clientId" in s:
        args += ["--client-id", s["clientId"]]
    if "revocationKey" in s:
        args += ["--revocation-key", s["revocationKey"]]
    for pat, v in s["user"].items():
        args += ["--claim", "ably.channel.%s=%s" % (pat, json.dumps(v, ensure_ascii=False))]
    for name, v in list(s["limits"].items()) + list(s["extra"].items()):
        args += ["--claim", "%s=%s" % (name, json.dumps(v, ensure_ascii=False))]
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode != 0:
        return None, r.stderr
    return r.stdout.strip(), None


def check_decoded(i, s, header, payload):
    """A capmatch-minted token as the other implementation decoded it."""
    if header != {"typ": "JWT", "alg": "HS256", "kid": KEY_NAME}:
        fail(i, "header %r" % header)
    want = {"iat": s["iat"], "exp": s["exp"]}
    if "cap" in s:
        want["x-ably-capability"] = canonical(s["cap"])
    if "clientId" in s:
        want["x-ably-clientId"] = s["clientId"]
    if "revocationKey" in s:
        want["x-ably-revocation-key"] = s["revocationKey"]
    for pat, v in s["user"].items():
        want["ably.channel." + pat] = v
    want.update(s["limits"])
    want.update(s["extra"])
    if payload != want:
        fail(i, "payload %r != %r" % (payload, want))


now = int(time.time())
sets = [claim_set(i, now) for i in range(count)]
payloads = [payload_of(s) for s in sets]

# 1. Minted by the other implementation, verified by capmatch.
if other == "pyjwt":
    tokens = [jwt.encode(p, SECRET, algorithm="HS256", headers={"kid": KEY_NAME}) for p in payloads]
else:
    job = json.dumps({"secret": SECRET, "kid": KEY_NAME, "payloads": payloads})
    r = subprocess.run([node, os.path.join(here, "node", "jwt_interop.js"), "sign"], input=job,
                       capture_output=True, text=True, check=True)
    tokens = json.loads(r.stdout)
for i, (s, t) in enumerate(zip(sets, tokens)):
    r = subprocess.run([capmatch, "verify-jwt", "--key", KEY, "--now", str(now), t], capture_output=True, text=True)
    if r.returncode != 0:
        fail(i, "capmatch rejected a %s token: %s" % (other, r.stderr.strip()))
        continue
    check_capmatch_output(i, s, r.stdout)
    # The same token with a wrong secret, or one byte of the signature changed, is refused.
    if i % 20 == 0:
        bad = t[:-2] + ("A" if t[-2] != "A" else "B") + t[-1]
        r = subprocess.run([capmatch, "verify-jwt", "--key", KEY, "--now", str(now), bad], capture_output=True, text=True)
        if r.returncode != 1 or "error 40144" not in r.stderr:
            fail(i, "altered token: %r" % r.stderr)

# 2. Minted by capmatch, verified by the other implementation.
mine = []
for i, s in enumerate(sets):
    t, err = capmatch_jwt(s)
    if t is None:
        fail(i, "capmatch jwt failed: " + err.strip())
    mine.append(t)
if other == "pyjwt":
    for i, (s, t) in enumerate(zip(sets, mine)):
        if t is None:
            continue
        try:
            header = jwt.get_unverified_header(t)
            payload = jwt.decode(t, SECRET, algorithms=["HS256"])
        except jwt.PyJWTError as e:
            fail(i, "PyJWT rejected a capmatch token: %s" % e)
            continue
        check_decoded(i, s, header, payload)
        if i % 20 == 0:
            try:
                jwt.decode(t, SECRET + "x", algorithms=["HS256"])
                fail(i, "PyJWT accepted a capmatch token under the wrong secret")
            except jwt.InvalidSignatureError:
                pass
else:
    job = json.dumps({"secret": SECRET, "now": now, "tokens": [t or "" for t in mine]})
    r = subprocess.run([node, os.path.join(here, "node", "jwt_interop.js"), "verify"], input=job,
                       capture_output=True, text=True, check=True)
    for i, (s, t, v) in enumerate(zip(sets, mine, json.loads(r.stdout))):
        if t is None:
            continue
        if "error" in v:
            fail(i, "jsonwebtoken rejected a capmatch token: %s" % v["error"])
            continue
        check_decoded(i, s, v["header"], v["payload"])

for f in failures[:20]:
    print("FAIL", f)
print("%s: %d claim sets, both directions, %d failures" % (other, count, len(failures)))
sys.exit(1 if failures else 0)
