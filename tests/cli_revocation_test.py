#!/usr/bin/env python3
"""Tests for `capmatch revoke-request` (docs/revocation.md, docs/cli.md): runs the built binary.

Usage: cli_revocation_test.py PATH/TO/capmatch
"""
import json
import subprocess
import sys
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


def main():
    global EXE
    EXE = sys.argv[1]
    prog = unittest.main(argv=[sys.argv[0], "-v"], exit=False)
    return 0 if prog.result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
