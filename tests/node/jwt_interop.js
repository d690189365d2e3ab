// Signs and verifies JWTs with the npm `jsonwebtoken` package (pinned in package.json) for
// tests/jwt_interop.py. Reads one JSON job on stdin, writes one JSON array on stdout.
//   sign:   {"secret", "kid", "payloads": [...]}  -> ["token", ...]
//   verify: {"secret", "now", "tokens": [...]}     -> [{"header", "payload"} | {"error"}, ...]
'use strict';
const jwt = require('jsonwebtoken');

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  const job = JSON.parse(input);
  const mode = process.argv[2];
  let out;
  if (mode === 'sign') {
    out = job.payloads.map((p) => jwt.sign(p, job.secret, { algorithm: 'HS256', keyid: job.kid }));
  } else if (mode === 'verify') {
    out = job.tokens.map((t) => {
      try {
        const r = jwt.verify(t, job.secret, { algorithms: ['HS256'], complete: true, clockTimestamp: job.now });
        return { header: r.header, payload: r.payload };
      } catch (e) {
        return { error: String(e.message) };
      }
    });
  } else {
    process.stderr.write('usage: node jwt_interop.js sign|verify < job.json\n');
    process.exit(2);
  }
  process.stdout.write(JSON.stringify(out));
});
