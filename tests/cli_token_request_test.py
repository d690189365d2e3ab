#!/usr/bin/env python3
"""capmatch token-request / verify-token-request (docs/token_requests.md "The CLI").

Expected macs are computed here with Python's hmac module; every run is checked for the sentinel
secret in stdout and stderr. Usage: cli_token_request_test.py path/to/capmatch
"""
import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import tempfile

CAPMATCH = sys.argv[1]
SECRET = "SENTINEL-cli-secret"
KEY = "app.key:" + SECRET
failures = []


def run(args, stdin=None):
    p = subprocess.run([CAPMATCH] + args, input=stdin, capture_output=True, text=True)
    for stream in (p.stdout, p.stderr):
        if SECRET in stream:
            failures.append(f"secret printed by {args}")
    return p


def check(name, cond, detail=""):
    if not cond:
        failures.append(f"{name}: {detail}")


def mac(text):
    return base64.b64encode(hmac.new(SECRET.encode(), text.encode(), hashlib.sha256).digest()).decode()


def request(ttl=None, cap=None, client=None, ts=1000, nonce="0123456789abcdef"):
    text = "\n".join(["app.key", "" if ttl is None else str(ttl), cap or "", client or "", str(ts), nonce]) + "\n"
    r = {"keyName": "app.key"}
    if ttl is not None:
        r["ttl"] = ttl
    if cap is not None:
        r["capability"] = cap
    if client is not None:
        r["clientId"] = client
    r.update(timestamp=ts, nonce=nonce, mac=mac(text))
    return json.dumps(r, separators=(",", ":"), ensure_ascii=False)


# token-request: one line, exact bytes, absent fields absent
p = run(["token-request", "--key", KEY, "--timestamp", "1000", "--nonce", "0123456789abcdef",
         "--ttl", "60000", "--client-id", "*", "--capability", '{"b":["subscribe"], "a":["*"]}'])
expected = request(ttl=60000, cap='{"a":["*"],"b":["subscribe"]}', client="*") + "\n"
check("token-request full", p.returncode == 0 and p.stdout == expected, (p.returncode, p.stdout, expected))
p = run(["token-request", "--key", KEY, "--timestamp=1000", "--nonce=0123456789abcdef"])
check("token-request minimal", p.returncode == 0 and p.stdout == request() + "\n", (p.stdout, request()))
p = run(["--json", "token-request", "--key", KEY])
line = json.loads(p.stdout)
check("token-request defaults", p.returncode == 0 and len(line["nonce"]) == 32 and set(line) ==
      {"keyName", "timestamp", "nonce", "mac"}, p.stdout)
with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
    f.write('{"x":["publish"]}')
p = run(["token-request", "--key", KEY, "--timestamp", "5", "--nonce", "0123456789abcdef", "--capability", "@" + f.name])
check("token-request @file", p.returncode == 0 and json.loads(p.stdout)["capability"] == '{"x":["publish"]}', p.stdout)
p = run(["token-request", "--key", KEY, "--timestamp", "5", "--nonce", "0123456789abcdef", "--capability", "-"],
        stdin='{"y":["history"]}')
check("token-request stdin", p.returncode == 0 and json.loads(p.stdout)["capability"] == '{"y":["history"]}', p.stdout)

# token-request errors: exit 1 with the Ably code; --json puts the error on stdout
p = run(["token-request", "--key", KEY, "--ttl", "86400001"])
check("ttl too long", p.returncode == 1 and p.stderr ==
      "capmatch: error 40003: ttl 86400001 ms is above the 24 hour limit (86400000 ms)\n", p.stderr)
p = run(["--json", "token-request", "--key", KEY, "--client-id", ""])
check("empty clientId --json", p.returncode == 1 and json.loads(p.stdout) ==
      {"error": {"code": 40000, "statusCode": 400, "message": "clientId is empty"}}, p.stdout)
p = run(["token-request", "--key", KEY, "--nonce", "short"])
check("short nonce", p.returncode == 1 and "nonce has 5 characters; at least 16 required" in p.stderr, p.stderr)
p = run(["token-request", "--key", "app.key" + SECRET])
check("malformed key", p.returncode == 1 and "invalid API key" in p.stderr, p.stderr)


def usage(name, p, problem):
    """Bad usage in the tool's one format (docs/cli.md): exit 2, nothing on stdout, the problem line,
    an empty line, then the usage, with or without --json."""
    check(name, p.returncode == 2 and p.stdout == "" and
          p.stderr.split("\n")[:3] == ["capmatch: " + problem, "", "usage: capmatch [--json] COMMAND ARGS..."],
          (p.returncode, p.stdout, p.stderr[:200]))


for args, problem in [
        ([], "token-request needs --key"),
        (["--key", KEY, "--ttl", "x"], "--ttl takes a decimal number of milliseconds"),
        (["--key", KEY, "--timestamp", "1e3"], "--timestamp takes a decimal number of milliseconds since the Unix epoch"),
        (["--key", KEY, "--bogus", "1"], "unknown option (not quoted: it may hold a secret)"),
        (["--key", KEY, "extra"], "wrong number of arguments for token-request: unexpected argument (not quoted: it may be the secret)"),
        (["--key", KEY, "--key", KEY], "option --key given twice"),
        (["--key", KEY, "--capability", "-", "--capability", "-"], "option --capability given twice"),
        # a mistyped or misplaced key is never quoted
        (["--ttl", "5", KEY], "token-request needs --key"),
        (["--key", "app.key", SECRET], "wrong number of arguments for token-request: unexpected argument (not quoted: it may be the secret)"),
        (["--key=" + KEY, "--key" + KEY], "unknown option (not quoted: it may hold a secret)"),
        (["--key", KEY, "--kye=" + KEY], "unknown option (not quoted: it may hold a secret); did you mean --key?")]:
    for extra in ([], ["--json"]):
        usage(f"usage {extra} {args}", run(extra + ["token-request"] + args), problem)

# verify-token-request
ok = request(ttl=60000, cap='{"chat:*":["publish","subscribe"]}', client="bob")
p = run(["verify-token-request", "--key", KEY, "--now", "1000", ok])
check("verify ok", p.returncode == 0 and p.stdout == '{"chat:*":["publish","subscribe"]}\n', p.stdout + p.stderr)
p = run(["--json", "verify-token-request", "--key", KEY, "--key-capability", '{"chat:bob":["*"]}', "--now", "120999", ok])
check("verify --json", p.returncode == 0 and json.loads(p.stdout) ==
      {"capability": {"chat:bob": ["publish", "subscribe"]}, "keyName": "app.key", "clientId": "bob", "ttl": 60000,
       "timestamp": 1000, "nonce": "0123456789abcdef"}, p.stdout + p.stderr)
p = run(["verify-token-request", "--key", KEY, "--now", "1000", "-"], stdin=ok)
check("verify stdin", p.returncode == 0, p.stderr)
cases = [
    (["--key", "app.key:other", "--now", "1000", ok], 40101, "Request mac does not match"),
    (["--key", "other.key:" + SECRET, "--now", "1000", ok], 40101, "no key named 'app.key' is known"),
    (["--key", KEY, "--now", "121001", ok], 40104, "Timestamp not current"),
    (["--key", KEY, "--now", "1000", request(ttl=3600001)], 0, None),
    (["--key", KEY, "--revocable", "--now", "1000", request(ttl=3600001)], 40003, "1 hour limit"),
    (["--key", KEY, "--key-capability", '{"status":["*"]}', "--now", "1000", ok], 40160,
     "Key does not support requested capabilities"),
    (["--key", KEY, "--now", "1000", '{"keyName":"app.key"'], 40000, "TokenRequest is not a flat JSON object"),
    (["--key", KEY, "--now", "1000", ok.replace('"mac":"', '"mac":"x')], 40101, "mac is not the padded standard base64"),
]
for args, code, text in cases:
    p = run(["verify-token-request"] + args)
    if code == 0:
        check(f"verify {args[:3]}", p.returncode == 0, p.stderr)
        continue
    check(f"verify {code} {args[:3]}", p.returncode == 1 and p.stderr.startswith(f"capmatch: error {code}: ") and
          text in p.stderr, p.stderr)
    pj = run(["--json", "verify-token-request"] + args)
    err = json.loads(pj.stdout)["error"] if pj.returncode == 1 else {}
    check(f"verify --json {code}", err.get("code") == code and err.get("statusCode") == (400 if code in (40000, 40003) else 401)
          and text in err.get("message", ""), pj.stdout)
for args, problem in [(["--key", KEY], "wrong number of arguments for verify-token-request: missing REQUEST"),
                      (["--now", "1", ok], "verify-token-request needs --key"),
                      (["--key", KEY, "--now", "-5", ok], "--now takes a decimal number of milliseconds"),
                      (["--key", KEY, "--revocable=yes", ok], "verify-token-request: revocable was given a disallowed flag override"),
                      (["--key", KEY, ok, ok], "wrong number of arguments for verify-token-request: unexpected argument (not quoted: it may be the secret)"),
                      (["--key", KEY, "--key-capability", "-", "-"], "at most one argument may be - (standard input)")]:
    for extra in ([], ["--json"]):
        usage(f"verify usage {extra} {args}", run(extra + ["verify-token-request"] + args), problem)
# A file that cannot be read is an error (exit 1), as for every document argument.
p = run(["verify-token-request", "--key", KEY, "--now", "1000", "@/nonexistent/request.json"])
check("verify missing file", p.returncode == 1 and p.stdout == "" and
      p.stderr == "capmatch: error 40000: cannot read '/nonexistent/request.json': No such file or directory\n", p.stderr)
p = run(["token-request", "--key", KEY, "--capability", "@/nonexistent/cap.json"])
check("token-request missing file", p.returncode == 1 and
      p.stderr == "capmatch: error 40000: cannot read '/nonexistent/cap.json': No such file or directory\n", p.stderr)
p = run(["verify-token-request", "--key", KEY, "--key-capability", '{"a":["nope"]}', "--now", "1000", ok])
check("verify bad key capability", p.returncode == 1 and
      p.stderr.startswith("capmatch: error 40000: --key-capability: unknown operation 'nope' at byte 6"), p.stderr)

os.unlink(f.name)
for line in failures:
    print("FAIL", line)
print(f"{len(failures)} failures")
sys.exit(1 if failures else 0)
