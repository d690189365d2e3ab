#!/usr/bin/env python3
"""Tests for the capmatch command-line tool (docs/cli.md): runs the built binary.

Usage: cli_test.py PATH/TO/capmatch
Exits non-zero when any case fails.
"""
import fcntl
import json
import os
import subprocess
import sys
import tempfile
import threading
import unittest

EXE = None  # set from argv[1]

KEY = '{"chat:*":["publish","subscribe","presence"],"status":["subscribe","history"],"alerts":["subscribe"]}'
REQUEST = '{"chat:bob":["subscribe"],"status":["*"],"secret":["publish","subscribe"]}'
EFFECTIVE = '{"chat:bob":["subscribe"],"status":["history","subscribe"]}'
EMPTY_MSG = "Key does not support requested capabilities"


class Run:
    """The result of one run: exit status, stdout and stderr as text."""

    def __init__(self, proc):
        self.rc = proc.returncode
        self.out = proc.stdout.decode("utf-8")
        self.err = proc.stderr.decode("utf-8")

    def json(self):
        lines = self.out.splitlines()
        assert len(lines) == 1, f"expected one line of JSON, got {self.out!r}"
        return json.loads(lines[0])


def run(*args, stdin=b""):
    if isinstance(stdin, str):
        stdin = stdin.encode("utf-8")
    proc = subprocess.run([EXE, *args], input=stdin, capture_output=True, timeout=120)
    return Run(proc)


class Base(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.dir.cleanup()

    def file(self, name, content):
        path = os.path.join(self.dir.name, name)
        with open(path, "wb") as f:
            f.write(content.encode("utf-8") if isinstance(content, str) else content)
        return path

    def ok(self, r, out, rc=0):
        """Text output `out` on one line, nothing on stderr."""
        self.assertEqual((r.rc, r.out, r.err), (rc, out + "\n", ""))

    def error(self, r, code, message):
        """A text-mode error: exit 1, nothing on stdout, exactly one line on stderr."""
        self.assertEqual(r.rc, 1, r.err)
        self.assertEqual(r.out, "")
        self.assertEqual(r.err, f"capmatch: error {code}: {message}\n")

    def json_error(self, r, code, status, message):
        """A --json error: exit 1, one JSON object on stdout, nothing on stderr."""
        self.assertEqual(r.rc, 1)
        self.assertEqual(r.err, "")
        self.assertEqual(r.json(), {"error": {"code": code, "statusCode": status, "message": message}})

    def usage(self, r):
        """Bad usage: exit 2, usage text on stderr, nothing on stdout."""
        self.assertEqual(r.rc, 2)
        self.assertEqual(r.out, "")
        self.assertIn("usage: capmatch", r.err)


class Parse(Base):
    def test_canonical(self):
        r = run("parse", '{"private":["subscribe","publish","presence"],"*":["subscribe"]}')
        self.ok(r, '{"*":["subscribe"],"private":["presence","publish","subscribe"]}')

    def test_whitespace_and_star(self):
        self.ok(run("parse", ' { "b" : [ "*" ] ,\n"a":["history"] } '), '{"a":["history"],"b":["*"]}')

    def test_empty_capability(self):
        self.ok(run("parse", "{}"), "{}")

    def test_escapes_canonical(self):
        self.ok(run("parse", r'{"caf\u00e9\/x":["subscribe"],"q\"":["publish"]}'),
                '{"café/x":["subscribe"],"q\\"":["publish"]}')

    def test_json(self):
        r = run("parse", "--json", '{"b":["publish"],"a":["*"]}')
        self.assertEqual(r.rc, 0)
        self.assertEqual(r.err, "")
        self.assertEqual(r.json(), {"capability": {"a": ["*"], "b": ["publish"]}})
        # The canonical text is embedded byte for byte.
        self.assertEqual(r.out, '{"capability":{"a":["*"],"b":["publish"]}}\n')

    def test_from_file(self):
        path = self.file("cap.json", '{"x":["subscribe"]}\n')
        self.ok(run("parse", "@" + path), '{"x":["subscribe"]}')

    def test_from_stdin(self):
        self.ok(run("parse", "-", stdin='{"x":["presence","history"]}'), '{"x":["history","presence"]}')

    def test_missing_file(self):
        path = os.path.join(self.dir.name, "nope.json")
        self.error(run("parse", "@" + path), 40000, f"cannot read '{path}': No such file or directory")
        self.json_error(run("--json", "parse", "@" + path), 40000, 400,
                        f"cannot read '{path}': No such file or directory")

    def test_directory_is_an_error(self):
        self.error(run("parse", "@" + self.dir.name), 40000, f"cannot read '{self.dir.name}': Is a directory")

    def test_large_file_and_stdin(self):
        # Many long resources (within the per-document limits): several MiB through file and pipe.
        n, pad = 5000, "x" * 1000
        doc = "{" + ",".join(f'"ch:{i:06d}:{pad}":["subscribe","publish"]' for i in range(n)) + "}"
        self.assertGreater(len(doc), 1 << 22)
        expected = "{" + ",".join(f'"ch:{i:06d}:{pad}":["publish","subscribe"]' for i in range(n)) + "}"
        self.ok(run("parse", "@" + self.file("big.json", doc)), expected)
        self.ok(run("parse", "-", stdin=doc), expected)

    def test_over_the_limit(self):
        # docs/cli.md: reading stops one byte past capmatch::max_document_bytes (16 MiB).
        limit = 16 << 20
        at_limit = b'{"a":["*"]}' + b" " * (limit - 11)
        self.assertEqual(len(at_limit), limit)
        self.ok(run("parse", "-", stdin=at_limit), '{"a":["*"]}')
        self.ok(run("parse", "@" + self.file("at.json", at_limit)), '{"a":["*"]}')
        msg = "standard input holds more than 16777216 bytes, the limit for a document (capmatch::max_document_bytes)"
        self.error(run("parse", "-", stdin=at_limit + b" "), 40000, msg)
        path = self.file("over.json", at_limit + b" ")
        self.error(run("intersect", '{"*":["*"]}', "@" + path), 40000,
                   f"'{path}' holds more than 16777216 bytes, the limit for a document (capmatch::max_document_bytes)")

    def test_endless_file(self):
        # An endless source gets the limit error, not an endless read (issue 14 item 2).
        r = run("--json", "parse", "@/dev/zero")
        self.json_error(r, 40000, 400,
                        "'/dev/zero' holds more than 16777216 bytes, the limit for a document "
                        "(capmatch::max_document_bytes)")

    def test_large_stdin_is_not_read_in_full(self):
        # 100 MB offered on stdin: the tool reads at most limit + 1 bytes, then answers and exits;
        # the writer counts what the pipe accepted, which is at most that plus the pipe's buffer.
        limit, total, chunk = 16 << 20, 100 * 1000 * 1000, 1 << 16
        proc = subprocess.Popen([EXE, "--json", "parse", "-"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        pipe_size = fcntl.fcntl(proc.stdin.fileno(), fcntl.F_GETPIPE_SZ)
        accepted = [0]

        def feed():
            block = b" " * chunk
            try:
                while accepted[0] < total:
                    accepted[0] += os.write(proc.stdin.fileno(), block)
            except BrokenPipeError:
                pass
            finally:
                try:
                    proc.stdin.close()
                except BrokenPipeError:
                    pass

        writer = threading.Thread(target=feed)
        writer.start()
        out, err = proc.stdout.read(), proc.stderr.read()
        proc.wait(timeout=120)
        writer.join(timeout=120)
        self.assertEqual((proc.returncode, err), (1, b""))
        self.assertEqual(json.loads(out), {"error": {"code": 40000, "statusCode": 400, "message":
                         "standard input holds more than 16777216 bytes, the limit for a document "
                         "(capmatch::max_document_bytes)"}})
        self.assertGreater(accepted[0], limit)
        self.assertLessEqual(accepted[0], limit + 1 + pipe_size)

    def test_nul_bytes_are_not_truncation(self):
        # Read as bytes: a NUL inside the text is seen, not taken as the end.
        self.error(run("parse", "@" + self.file("nul.json", b'{"a\x00b":["*"]}')), 40000,
                   "control character U+0000 in a string at byte 3; escape it (\\n, \\t, \\u00XX)")
        self.error(run("parse", "-", stdin=b'{"a":["publish"]}\x00'), 40000,
                   "trailing characters after the capability at byte 17")
        # U+0000 is never part of a resource, escaped or not.
        self.error(run("parse", '{"a\\u0000":["*"]}'), 40000, "resource 'a\\u0000' at byte 1 contains U+0000")
        # Other escaped control characters are kept and written back escaped.
        self.ok(run("parse", '{"a\\u0001\\n":["*"]}'), '{"a\\u0001\\n":["*"]}')

    def test_invalid_utf8(self):
        self.error(run("parse", "-", stdin=b'{"a\xff":["*"]}'), 40000, "invalid UTF-8 at byte 3")

    def test_bom(self):
        self.error(run("parse", "-", stdin=b'\xef\xbb\xbf{}'), 40000,
                   "byte order mark at byte 0; capability JSON must start with '{'")

    def test_invalid_capabilities(self):
        cases = [
            ('{"a":["publish_"]}', "unknown operation 'publish_' at byte 6; did you mean 'publish'?"),
            ('{"a":["Publish"]}',
             "unknown operation 'Publish' at byte 6; operations are lower-case, did you mean 'publish'?"),
            ('{"a":[]}', 'empty operation list for resource \'a\' at byte 5; list at least one operation, or "*" for all'),
            ('{"a":["*","publish"]}', "'*' must be the only operation for resource 'a', found 'publish' at byte 10"),
            ('[]', "a capability must be a JSON object, found an array at byte 0"),
            ('{"a":["publish"],"a":["subscribe"]}', "resource 'a' listed twice at byte 17 (first at byte 1)"),
            ('{"a":["publish"]', "unexpected end of input at byte 16; expected ',' or '}'"),
            ('', 'empty input; a capability is a JSON object such as {"channel":["subscribe"]}'),
            ('{"a":"publish"}', "operations for resource 'a' must be an array of strings, found a string at byte 5"),
            ('{"a":[1]}', "operations for resource 'a' must be strings, found a number at byte 6"),
            ('{"":["*"]}', "empty resource at byte 1"),
            ('{"a":["publish","publish"]}', "operation 'publish' listed twice for resource 'a' at byte 16"),
        ]
        for doc, msg in cases:
            with self.subTest(doc=doc):
                self.error(run("parse", doc), 40000, msg)
                self.json_error(run("parse", doc, "--json"), 40000, 400, msg)


class Check(Base):
    def test_allowed(self):
        self.ok(run("check", KEY, "chat:bob", "publish"), "allowed: chat:* grants publish")

    def test_allowed_json(self):
        r = run("check", "--json", KEY, "chat:bob", "publish")
        self.assertEqual((r.rc, r.err), (0, ""))
        self.assertEqual(r.json(), {"allowed": True,
                                    "matched": [{"resource": "chat:*", "ops": ["presence", "publish", "subscribe"]}],
                                    "reason": "chat:* grants publish"})

    def test_denied_op_missing(self):
        reason = "no matching resource grants publish on 'status' ('status' grants history, subscribe)"
        self.ok(run("check", KEY, "status", "publish"), "denied: " + reason, rc=1)
        r = run("check", KEY, "status", "publish", "--json")
        self.assertEqual((r.rc, r.err), (1, ""))
        self.assertEqual(r.json(), {"allowed": False,
                                    "matched": [{"resource": "status", "ops": ["history", "subscribe"]}],
                                    "reason": reason})

    def test_denied_no_match(self):
        reason = "no resource in the capability matches 'secret'"
        self.ok(run("check", KEY, "secret", "subscribe"), "denied: " + reason, rc=1)
        r = run("check", KEY, "secret", "subscribe", "--json")
        self.assertEqual(r.rc, 1)
        self.assertEqual(r.json(), {"allowed": False, "matched": [], "reason": reason})

    def test_denied_qualified(self):
        self.ok(run("check", KEY, "[queue]chat:bob", "publish"),
                "denied: '[queue]chat:bob' is a [queue] name and unqualified resources such as 'chat:*' never "
                "match qualified names; grant '[queue]chat:bob', '[queue]*' or '[*]*'", rc=1)

    def test_app_wide(self):
        self.ok(run("check", '{"*":["*"]}', "x", "stats"),
                "denied: stats is an app-wide operation: it is granted only on '*' or '[*]*' and is checked "
                "without a resource", rc=1)

    def test_semantics_examples(self):
        cases = [
            ('{"namespace:*":["subscribe"]}', "namespace:channel:other", 0),
            ('{"foo:*:baz":["subscribe"]}', "foo:bar:bam:baz", 1),
            ('{"foo*":["subscribe"]}', "foo:bar", 1),
            ('{"foo*":["subscribe"]}', "foo*", 0),
            ('{"foo:*":["subscribe"]}', "foo", 1),
            ('{"*":["subscribe"]}', "[meta]log", 1),
            ('{"[*]*":["subscribe"]}', "[meta]log", 0),
            ('{"[*]chan":["subscribe"]}', "[filter]chan", 0),
            ('{"[queue]*":["subscribe"]}', "[queue]app-q", 0),
            ('{"Chan":["subscribe"]}', "chan", 1),
        ]
        for cap, name, rc in cases:
            with self.subTest(cap=cap, name=name):
                self.assertEqual(run("check", cap, name, "subscribe").rc, rc)

    def test_invalid_resource_is_an_error(self):
        msg = "resource name 'chat::x' has an empty segment at byte 5"
        self.error(run("check", KEY, "chat::x", "publish"), 40000, msg)
        self.json_error(run("check", KEY, "chat::x", "publish", "--json"), 40000, 400, msg)
        self.error(run("check", KEY, "[*]x", "publish"), 40000,
                   "resource name '[*]x' at byte 0 cannot use the [*] qualifier; [*] is for capability patterns")

    def test_unknown_op_is_an_error(self):
        msg = "unknown operation 'Publish' at byte 0; operations are lower-case, did you mean 'publish'?"
        self.error(run("check", KEY, "chat:bob", "Publish"), 40000, msg)
        self.json_error(run("--json", "check", KEY, "chat:bob", "Publish"), 40000, 400, msg)

    def test_capability_from_file_and_stdin(self):
        path = self.file("key.json", KEY)
        self.ok(run("check", "@" + path, "alerts", "subscribe"), "allowed: alerts grants subscribe")
        self.ok(run("check", "-", "alerts", "subscribe", stdin=KEY), "allowed: alerts grants subscribe")

    def test_dash_resource_after_double_dash(self):
        cap = '{"-x":["publish"]}'
        self.ok(run("check", "--", cap, "-x", "publish"), "allowed: -x grants publish")
        self.ok(run("check", cap, "--", "-x", "publish"), "allowed: -x grants publish")
        self.usage(run("check", cap, "-x", "publish"))
        # A lone "-" is an argument, never an option; as RESOURCE it is a name, not stdin.
        self.ok(run("check", '{"-":["publish"]}', "-", "publish"), "allowed: - grants publish")

    def test_json_output_is_valid_utf8(self):
        # Names come from argv as bytes; a name that is not well-formed UTF-8 is invalid (issue 14),
        # and the error shows the byte as \xFF.
        r = run("--json", "check", '{"*":["subscribe"]}', b"caf\xff", "publish")
        self.assertEqual(r.rc, 1)
        message = r.json()["error"]["message"]  # it parses, so the output is valid UTF-8
        self.assertEqual(message, "resource name 'caf\\xFF' is not well-formed UTF-8 at byte 3")
        r = run("--json", "parse", b"@" + self.dir.name.encode() + b"/\xff\x01")
        self.assertEqual(r.json()["error"]["message"],
                         f"cannot read '{self.dir.name}/\\xFF\\u0001': No such file or directory")
        r = run("parse", b"@" + self.dir.name.encode() + b"/\xff")
        self.assertEqual(r.err, f"capmatch: error 40000: cannot read '{self.dir.name}/\\xFF': No such file or directory\n")

    def test_invalid_capability(self):
        self.error(run("check", '{"a":["publish_"]}', "a", "publish"), 40000,
                   "unknown operation 'publish_' at byte 6; did you mean 'publish'?")


class Intersect(Base):
    def test_worked_example(self):
        self.ok(run("intersect", KEY, REQUEST), EFFECTIVE)
        r = run("intersect", KEY, REQUEST, "--json")
        self.assertEqual((r.rc, r.err), (0, ""))
        self.assertEqual(r.json(), {"capability": json.loads(EFFECTIVE)})

    def test_empty_result(self):
        self.error(run("intersect", '{"chat":["*"]}', '{"status":["*"]}'), 40160, EMPTY_MSG)
        self.json_error(run("intersect", "--json", '{"chat":["*"]}', '{"status":["*"]}'), 40160, 401, EMPTY_MSG)
        self.error(run("intersect", KEY, "{}"), 40160, EMPTY_MSG)

    def test_no_request(self):
        self.ok(run("intersect", KEY),
                '{"alerts":["subscribe"],"chat:*":["presence","publish","subscribe"],"status":["history","subscribe"]}')
        self.error(run("intersect", "{}"), 40160, EMPTY_MSG)

    def test_exact_pattern_intersection(self):
        self.ok(run("intersect", '{"foo:*:baz":["*"]}', '{"foo:bar:*":["publish"]}'), '{"foo:bar:baz":["publish"]}')
        self.ok(run("intersect", '{"*":["subscribe"]}', '{"cansubscribe:*":["*"]}'), '{"cansubscribe:*":["subscribe"]}')

    def test_sources(self):
        key = self.file("key.json", KEY)
        req = self.file("req.json", REQUEST)
        self.ok(run("intersect", "@" + key, "@" + req), EFFECTIVE)
        self.ok(run("intersect", "@" + key, "-", stdin=REQUEST), EFFECTIVE)
        self.ok(run("intersect", "-", REQUEST, stdin=KEY), EFFECTIVE)
        self.usage(run("intersect", "-", "-", stdin=KEY))

    def test_bad_request(self):
        self.error(run("intersect", KEY, '{"x":["*"],"x":["*"]}'), 40000,
                   "resource 'x' listed twice at byte 11 (first at byte 1)")
        missing = os.path.join(self.dir.name, "missing")
        self.error(run("intersect", KEY, "@" + missing), 40000, f"cannot read '{missing}': No such file or directory")


class Lint(Base):
    def test_clean(self):
        r = run("lint", KEY)
        self.assertEqual((r.rc, r.out, r.err), (0, "", ""))
        r = run("lint", KEY, "--json")
        self.assertEqual((r.rc, r.err), (0, ""))
        self.assertEqual(r.json(), {"findings": []})

    def test_warnings_exit_0(self):
        r = run("lint", '{"foo*":["subscribe"],"*":["*"]}')
        self.assertEqual((r.rc, r.err), (0, ""))
        self.assertEqual(r.out.splitlines(), [
            "warning literal-star foo* at byte 1: '*' inside the segment 'foo*' is a literal character, not a "
            "wildcard: this matches only a name spelled exactly so; fix: did you mean 'foo:*'?",
            "warning shadowed foo* at byte 1: shadowed by '*' (at byte 22), which matches every name this does and "
            "grants all its operations; there is no precedence or deny; fix: remove this entry, or narrow '*' if "
            "this entry was meant to restrict access",
            "security-warning super-grant * at byte 22: grants every operation, including stats, push-admin and "
            "privileged-headers, on every channel; fix: list only the operations needed, on the channels or "
            "namespaces needed (e.g. 'chat:*')",
        ])

    def test_error_exit_1(self):
        doc = '{"chat:":["subscribe"],"room":["stats"]}'
        r = run("lint", doc)
        self.assertEqual((r.rc, r.err), (1, ""))
        self.assertEqual(r.out.splitlines(), [
            "error never-matches chat: at byte 1: an empty segment (leading ':', trailing ':' or '::') means this "
            "can never match a name; fix: did you mean 'chat:*'?",
            "warning app-wide-no-effect room at byte 23: stats is app-wide and takes effect only when granted on "
            "'*' or '[*]*'; here it grants nothing; fix: remove 'stats' here, or grant it on '*'",
        ])
        r = run("--json", "lint", doc)
        self.assertEqual((r.rc, r.err), (1, ""))
        self.assertEqual(r.json(), {"findings": [
            {"severity": "error", "code": "never-matches", "resource": "chat:", "offset": 1,
             "message": "an empty segment (leading ':', trailing ':' or '::') means this can never match a name",
             "fix": "did you mean 'chat:*'?"},
            {"severity": "warning", "code": "app-wide-no-effect", "resource": "room", "offset": 23,
             "message": "stats is app-wide and takes effect only when granted on '*' or '[*]*'; here it grants nothing",
             "fix": "remove 'stats' here, or grant it on '*'"},
        ]})

    def test_every_code_reachable(self):
        # A super-grant covers every op everywhere, so implied-op needs a document without one.
        doc = ('{"a::b":["subscribe"],"[*]*":["subscribe"],"x*":["publish"],"[quue]q":["subscribe"],'
               '"r":["stats"],"*":["channel-metadata","push-admin"],"m:*":["message-update-any"],'
               '"[?rewind=1]c":["history"],"x:y":["subscribe"]}')
        r = run("lint", "--json", doc)
        self.assertEqual(r.rc, 1)
        codes = {(f["severity"], f["code"]) for f in r.json()["findings"]}
        super_grant = run("lint", "--json", '{"[*]*":["*"]}')
        self.assertEqual(super_grant.rc, 0)
        codes |= {(f["severity"], f["code"]) for f in super_grant.json()["findings"]}
        self.assertEqual(codes, {
            ("error", "never-matches"), ("security-warning", "super-grant"), ("warning", "literal-star"),
            ("warning", "unknown-qualifier"), ("warning", "app-wide-no-effect"), ("warning", "shadowed"),
            ("suggestion", "channel-enumeration"), ("suggestion", "implied-op"), ("suggestion", "ignored-params"),
        })
        # Offsets point at the resource's opening quote in the document.
        for f in r.json()["findings"]:
            self.assertEqual(doc[f["offset"]:f["offset"] + len(f["resource"]) + 2], json.dumps(f["resource"]))

    def test_sources_and_errors(self):
        path = self.file("cap.json", '{"foo*":["subscribe"]}')
        self.assertEqual(run("lint", "@" + path).rc, 0)
        self.assertEqual(len(run("lint", "-", stdin='{"foo*":["subscribe"]}').out.splitlines()), 1)
        self.error(run("lint", '{"a":["publish_"]}'), 40000, "unknown operation 'publish_' at byte 6; did you mean 'publish'?")
        self.json_error(run("lint", "--json", "[1]"), 40000, 400, "a capability must be a JSON object, found an array at byte 0")
        self.usage(run("lint"))
        self.usage(run("lint", "{}", "{}"))


class Usage(Base):
    def test_help_and_version(self):
        for flag in ("--help", "-h"):
            r = run(flag)
            self.assertEqual((r.rc, r.err), (0, ""))
            self.assertTrue(r.out.startswith("usage: capmatch"))
        r = run("parse", "{}", "--help")
        self.assertEqual(r.rc, 0)
        self.assertIn("usage: capmatch", r.out)
        self.ok(run("--version"), "capmatch 0.1.0")

    def test_bad_usage(self):
        for args in [(), ("frobnicate",), ("parse",), ("parse", "{}", "{}"), ("check", "{}", "x"),
                     ("check", "{}", "x", "publish", "y"), ("intersect",), ("intersect", "{}", "{}", "{}"),
                     ("--frob", "parse", "{}"), ("parse", "-v", "{}")]:
            with self.subTest(args=args):
                self.usage(run(*args))
                self.usage(run("--json", *args))

    def test_usage_messages(self):
        # The first line on stderr says what is wrong; --json does not change bad usage.
        cases = [
            ((), "no command given"),
            (("frobnicate",), "unknown command (not quoted: it may hold a secret)"),
            (("fr\x01ob",), "unknown command (not quoted: it may hold a secret)"),
            (("chek", "{}", "x", "publish"), "unknown command (not quoted: it may hold a secret); did you mean check?"),
            (("parse",), "wrong number of arguments for parse: missing CAP"),
            (("check", "{}", "x"), "wrong number of arguments for check: missing OP"),
            (("parse", "{}", "{}"), "wrong number of arguments for parse: unexpected '{}'"),
            (("intersect", "{}", "{}", "x"), "wrong number of arguments for intersect: unexpected 'x'"),
            (("--frob", "parse", "{}"), "unknown option (not quoted: it may hold a secret)"),
            (("parse", "-v", "{}"), "unknown option (not quoted: it may hold a secret)"),
            (("parse", "--jsno", "{}"), "unknown option (not quoted: it may hold a secret); did you mean --json?"),
            (("--verison", "parse", "{}"), "unknown option (not quoted: it may hold a secret); did you mean --version?"),
            (("intersect", "-", "-"), "at most one argument may be - (standard input)"),
        ]
        for args, first in cases:
            for extra in ((), ("--json",)):
                with self.subTest(args=args, extra=extra):
                    r = run(*extra, *args)
                    self.assertEqual((r.rc, r.out), (2, ""))
                    self.assertEqual(r.err.split("\n")[:3], ["capmatch: " + first, "", "usage: capmatch [--json] COMMAND ARGS..."])

    def test_usage_messages_of_key_commands(self):
        # token-request, verify-token-request, jwt and verify-jwt share the tool's one bad-usage
        # format (they parsed their own arguments before, with a format of their own: fuzz_cli
        # found it), and no message quotes the key, even misplaced or mistyped.
        secret = "SENTINEL-usage-secret"
        key = "app.key:" + secret
        not_quoted = "unexpected argument (not quoted: it may be the secret)"
        cases = [
            (("token-request",), "token-request needs --key"),
            (("token-request", "--key", key, "--ttl", "1.5"), "--ttl takes a decimal number of milliseconds"),
            (("token-request", "--key", key, "--key", key), "option --key given twice"),
            (("token-request", "--nonce", "0123456789abcdef", key), "token-request needs --key"),
            (("token-request", "--key", "app.key", secret), "wrong number of arguments for token-request: " + not_quoted),
            (("verify-token-request", "--key", key), "wrong number of arguments for verify-token-request: missing REQUEST"),
            (("verify-token-request", "--key", key, "--now", "x", "{}"), "--now takes a decimal number of milliseconds"),
            (("verify-token-request", "--key", key, "--key-capability", "-", "-"),
             "at most one argument may be - (standard input)"),
            (("jwt",), "jwt needs --key"),
            (("jwt", ":\x01"), "jwt needs --key"),  # the fuzz finding, without its NUL bytes
            (("jwt", "--key", key, "--iat", "soon"), "--iat takes a whole number of seconds"),
            (("jwt", "--key", key, "--ttl", ""), "--ttl takes a whole number of seconds"),
            (("jwt", "--key", key, "--claim", "nameonly"), "--claim takes NAME=JSON"),
            (("jwt", "--key", key, "--claim", "a=1", "b=2"), "wrong number of arguments for jwt: " + not_quoted),
            (("jwt", "--key", key, "--client-id", "a", "--client-id", "b"), "option --client-id given twice"),
            (("jwt", "--key", key, "--revocable=1"), "jwt: revocable was given a disallowed flag override"),
            (("jwt", "--key", key, "--frob"), "unknown option (not quoted: it may hold a secret)"),
            (("jwt", "--key", key, "--frob=" + secret), "unknown option (not quoted: it may hold a secret)"),
            (("jwt", "--key", key, "--ttll=" + secret), "unknown option (not quoted: it may hold a secret); did you mean --ttl?"),
            (("jwt", "--key" + key), "jwt needs --key"),
            (("jwt", "--key=" + key, "--key" + key), "unknown option (not quoted: it may hold a secret)"),
            (("jwt", "--key=" + key, "-" + secret), "unknown option (not quoted: it may hold a secret)"),
            (("jwt", "--key"), "jwt: --key: 1 required TEXT missing"),
            (("verify-jwt", "--key", key), "wrong number of arguments for verify-jwt: missing TOKEN"),
            (("verify-jwt", "--key", key, "--now", "12:00", "t"), "--now takes a whole number of seconds"),
            (("verify-jwt", "--key", key, "t", key), "wrong number of arguments for verify-jwt: " + not_quoted),
            (("verify-jwt", "t"), "verify-jwt needs --key"),
            (("--key=" + key,), "unknown option (not quoted: it may hold a secret)"),  # no command
        ]
        for args, first in cases:
            for extra in ((), ("--json",)):
                with self.subTest(args=args, extra=extra):
                    r = run(*extra, *args)
                    self.assertEqual((r.rc, r.out), (2, ""))
                    self.assertEqual(r.err.split("\n")[:3], ["capmatch: " + first, "", "usage: capmatch [--json] COMMAND ARGS..."])
                    self.assertNotIn(secret, r.err)

    def test_unknown_options_never_quote_the_argument(self):
        # An unknown option is never echoed, whatever its shape (a secret typed as --SECRET,
        # -SECRET, all lower-case, with or without '='), on every command and before one: only the
        # nearest real option of the command is named. The commands are read from --help.
        help_text = run("--help").out
        section = help_text.split("commands:\n", 1)[1].split("\n\n", 1)[0]
        commands = [line.split()[0] for line in section.splitlines() if line.startswith("  ") and not line.startswith("   ")]
        grant = ["--key-id", "k", "--secret", "s", "--client-id", "c"]
        valid = {"parse": ["{}"], "check": ["{}", "x", "publish"], "intersect": ["{}"], "lint": ["{}"],
                 "revoke-request": ["clientId:a"], "grant": grant + ["{}"], "verify-grant": grant + ["c"],
                 "extend-grant": grant + ["c", "{}"], "token-request": ["--key", "app.key:abc"],
                 "verify-token-request": ["--key", "app.key:abc", "{}"], "jwt": ["--key", "app.key:abc"],
                 "verify-jwt": ["--key", "app.key:abc", "t"]}
        self.assertEqual(sorted(commands), sorted(valid))  # a new command needs its valid arguments here
        secrets = ["SENTINEL-opt-secret", "sentinellowersecret", "sentinel-lower-secret-22", "s3ntinel"]
        for command in [None, *commands]:
            for secret in secrets:
                for arg in ("--" + secret, "-" + secret, "--" + secret + "=x", "--frob=" + secret):
                    with self.subTest(command=command, arg=arg):
                        args = [arg] if command is None else [command, *valid[command], arg]
                        r = run(*args)
                        self.assertEqual((r.rc, r.out), (2, ""))
                        self.assertNotIn(secret, r.err)
                        self.assertTrue(r.err.startswith("capmatch: unknown option (not quoted: it may hold a secret)"), r.err)
        # The nearest option is that command's own, within two edits.
        for args, near in [(("--jsn",), "--json"), (("jwt", "--key", "app.key:abc", "--capabilty"), "--capability"),
                           (("revoke-request", "clientId:a", "--issued-befor"), "--issued-before"),
                           (("grant", *grant, "{}", "--secert=" + secrets[0]), "--secret"),
                           (("parse", "{}", "--ttl"), None)]:
            with self.subTest(args=args):
                r = run(*args)
                first = r.err.split("\n")[0]
                expected = "capmatch: unknown option (not quoted: it may hold a secret)"
                self.assertEqual(first, expected + (f"; did you mean {near}?" if near else ""))
                self.assertNotIn(secrets[0], r.err)

    def test_unknown_command_never_quotes_the_argument(self):
        # A key pasted where the command goes is never echoed, however the tool rejects it: as an
        # unknown command (with --json before or after it, after --, with more arguments), or by
        # an unknown option before any command. Only a real command within two edits is named.
        secret = "s3cr3tSENTINELcmd"
        unknown = "unknown command (not quoted: it may hold a secret)"
        for word in ("appId.keyId:" + secret, "appId.keyId:" + secret + "=x", secret, "-" + secret, "--" + secret):
            is_option = word.startswith("-")
            for args in ([word], ["--json", word], [word, "--json"], ["--", word], ["--json", "--", word],
                         [word, "parse", "{}"], ["--json", word, "check", "{}", "x", "publish"], [word, "--frob"]):
                with self.subTest(args=args):
                    r = run(*args)
                    self.assertEqual((r.rc, r.out), (2, ""))
                    self.assertNotIn(secret, r.err)
                    self.assertNotIn("appId", r.err)
                    self.assertNotIn("frob", r.err)
                    first = r.err.split("\n")[0]
                    if is_option and args[:2] != ["--", word] and args[:3] != ["--json", "--", word]:
                        self.assertEqual(first, "capmatch: unknown option (not quoted: it may hold a secret)")
                    elif "--frob" in args:
                        self.assertEqual(first, "capmatch: unknown option (not quoted: it may hold a secret)")
                    else:
                        self.assertEqual(first, "capmatch: " + unknown)
                    self.assertIn("\ncommands:\n  parse ", r.err)  # the usage lists the commands
        # The nearest real command, within two edits of the whole word.
        for word, near in [("chekc", "check"), ("Parse", "parse"), ("lnit", "lint"), ("jwtt", "jwt"),
                           ("verify-jwts", "verify-jwt"), ("revoke_request", "revoke-request"),
                           ("grnt", "grant"), ("extend-grants", "extend-grant"), ("frobnicate", None),
                           ("appId.keyId:" + secret, None)]:
            with self.subTest(word=word):
                r = run("--json", word, "{}")
                self.assertEqual((r.rc, r.out), (2, ""))
                self.assertEqual(r.err.split("\n")[0], "capmatch: " + unknown + (f"; did you mean {near}?" if near else ""))

    def test_command_names_and_markers_as_arguments(self):
        # A RESOURCE may be spelled like a command or like an argument-parser marker.
        for name in ("parse", "lint", "++", "-"):
            with self.subTest(name=name):
                cap = json.dumps({name: ["publish"]})
                self.ok(run("check", cap, name, "publish"), f"allowed: {name} grants publish")
        # "--" before the command is allowed too.
        self.ok(run("--", "parse", "{}"), "{}")

    def test_json_any_position(self):
        for args in [("--json", "parse", "{}"), ("parse", "--json", "{}"), ("parse", "{}", "--json")]:
            with self.subTest(args=args):
                r = run(*args)
                self.assertEqual((r.rc, r.out), (0, '{"capability":{}}\n'))

    def test_double_dash_positions(self):
        # After "--" even "--json" is an argument.
        self.error(run("parse", "--", "--json"), 40000,
                   "a capability must be a JSON object, found a number at byte 0")


def main():
    global EXE
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    EXE = os.path.abspath(sys.argv[1])
    prog = unittest.main(argv=[sys.argv[0], "-v", *sys.argv[2:]], exit=False)
    return 0 if prog.result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
