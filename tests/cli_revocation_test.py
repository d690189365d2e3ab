#!/usr/bin/env python3
"""Tests for `capmatch revoke-request` and the grant commands (docs/revocation.md,
docs/incremental_authorization.md, docs/cli.md): runs the built binary.

Usage: cli_revocation_test.py PATH/TO/capmatch
"""
import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import tempfile
import unittest

EXE = None
NOW = "1700000000000"


def run(*args):
    p = subprocess.run([EXE, *args], capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode("utf-8"), p.stderr.decode("utf-8")


class RevokeRequest(unittest.TestCase):
    def test_body(self):
        rc, out, err = run("revoke-request", "--now", NOW, "--issued-before", "1699999999000",
                           "--allow-reauth-margin", "clientId:bob", "channel:foo:*", "revocationKey:a:b")
        self.assertEqual((rc, err), (0, ""))
        self.assertEqual(out, '{"targets":["clientId:bob","channel:foo:*","revocationKey:a:b"],'
                              '"issuedBefore":1699999999000,"allowReauthMargin":true}\n')
        body = json.loads(out)  # what an HTTP client sends
        self.assertEqual(body["targets"][1], "channel:foo:*")

    def test_defaults_and_json(self):
        rc, out, err = run("--json", "revoke-request", "clientId:bob")
        self.assertEqual((rc, out, err), (0, '{"targets":["clientId:bob"]}\n', ""))

    def test_errors(self):
        rc, out, err = run("revoke-request", "--now", NOW, "--issued-before", "1700000000001", "clientId:bob")
        self.assertEqual((rc, out), (1, ""))
        self.assertEqual(err, "capmatch: error 40000: issuedBefore 1700000000001 is in the future (now is 1700000000000)\n")
        rc, out, err = run("--json", "revoke-request", "user:bob")
        self.assertEqual((rc, err), (1, ""))
        self.assertEqual(json.loads(out), {"error": {"code": 40000, "statusCode": 400, "message":
                         "unknown revocation target type 'user'; expected clientId, revocationKey or channel"}})
        targets = [f"clientId:c{i}" for i in range(101)]
        rc, out, err = run("revoke-request", *targets)
        self.assertEqual(rc, 1)
        self.assertEqual(err, "capmatch: error 40000: a revocation request has 101 targets, more than the limit "
                              "of 100 (capmatch::max_revocation_targets)\n")
        rc, out, err = run("revoke-request", *targets[:100])
        self.assertEqual(rc, 0)
        self.assertEqual(len(json.loads(out)["targets"]), 100)

    def test_usage(self):
        rc, out, err = run("revoke-request")
        self.assertEqual((rc, out), (2, ""))
        self.assertIn("usage: capmatch", err)


SECRET = "Qz7xWv3kP9tJ8rLm2Nb5Hc6Yd4Fg1Ks0"


def b64url(b):
    return base64.urlsafe_b64encode(b).decode().rstrip("=")


def reference_cookie(kid, expires, client_id, cap_text):
    """The cookie as docs/incremental_authorization.md defines it, with Python's hmac."""
    cid = client_id.encode()
    signed = b"capmatch-grant-v1\n" + kid.encode() + b"\n" + str(expires).encode() + b"\n" + \
        str(len(cid)).encode() + b"\n" + cid + b":" + cap_text.encode()
    mac = hmac.new(SECRET.encode(), signed, hashlib.sha256).digest()
    return f"g1.{kid}.{expires}.{b64url(cap_text.encode())}.{b64url(mac)}"


class Grants(unittest.TestCase):
    def grant(self, *extra, secret=SECRET, client="bob", now=NOW):
        return run("grant", "--key-id", "k1", "--secret", secret, "--client-id", client, "--now", now, *extra)

    def test_grant_verify_extend(self):
        rc, out, err = self.grant("--ttl", "60000", '{"chat:*":["subscribe"],"a":["*"]}')
        self.assertEqual((rc, err), (0, ""))
        cookie = out.strip()
        self.assertEqual(cookie, reference_cookie("k1", 1700000060000, "bob", '{"a":["*"],"chat:*":["subscribe"]}'))
        base = ["--key-id", "k1", "--secret", SECRET]
        rc, out, err = run("--json", "verify-grant", *base, "--client-id", "bob", "--now", "1700000059999", cookie)
        self.assertEqual((rc, err), (0, ""))
        self.assertEqual(json.loads(out), {"capability": {"a": ["*"], "chat:*": ["subscribe"]},
                                           "expiresMs": 1700000060000, "keyId": "k1"})
        rc, out, err = run("verify-grant", *base, "--client-id", "alice", "--now", NOW, cookie)
        self.assertEqual((rc, out), (1, ""))
        self.assertEqual(err, "capmatch: error 40101: grant signature does not verify (tampered, or issued to "
                              "another clientId)\n")
        rc, out, err = run("verify-grant", *base, "--client-id", "bob", "--now", "1700000060000", cookie)
        self.assertEqual((rc, err), (1, "capmatch: error 40101: grant expired at 1700000060000 (now is 1700000060000)\n"))
        rc, out, err = run("--json", "extend-grant", *base, "--client-id", "bob", "--now", "1700000001000",
                           "--ttl", "1000", cookie, '{"chat:*":["publish"]}')
        self.assertEqual((rc, err), (0, ""))
        text = '{"a":["*"],"chat:*":["publish","subscribe"]}'
        self.assertEqual(json.loads(out), {"cookie": reference_cookie("k1", 1700000002000, "bob", text),
                                           "capability": json.loads(text), "expiresMs": 1700000002000})

    def test_secret_from_a_file_and_never_printed(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "secret")
            with open(path, "w") as f:
                f.write(SECRET + "\n")
            rc, out, err = self.grant('{"a":["*"]}', secret="@" + path)
            self.assertEqual(rc, 0)
            self.assertEqual(out, self.grant('{"a":["*"]}')[1])
        outputs = [self.grant('{"a":["*"]}'), self.grant("{bad"), self.grant('{"a":["*"]}', client=""),
                   run("--json", "verify-grant", "--key-id", "k1", "--secret", SECRET, "--client-id", "bob", "g1.x")]
        for rc, out, err in outputs:
            for i in range(len(SECRET) - 5):
                self.assertNotIn(SECRET[i:i + 6], out + err)
        rc, out, err = self.grant('{"a":["*"]}', secret="short")
        self.assertEqual((rc, err), (1, "capmatch: error 40000: the secret of grant key 'k1' is shorter than 32 bytes "
                                        "(capmatch::min_grant_secret_bytes); use 32 random bytes\n"))


def main():
    global EXE
    EXE = sys.argv[1]
    prog = unittest.main(argv=[sys.argv[0], "-v"], exit=False)
    return 0 if prog.result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
