// capmatch token-request against the real client: ably-js createTokenRequest (the pinned `ably`
// package in tests/node) signs generated inputs with a fixed timestamp and nonce; the capmatch
// CLI signs the same inputs. Where both canonical capability texts agree, every field and the
// mac must be identical. Where they differ (ably-js sorts by UTF-16 code units, and
// JSON.stringify puts array-index-like keys such as "9", "10" first), each mac must be right for
// its own signed text, both capabilities must be the same set, and capmatch must verify
// ably-js's request as sent. docs/token_requests.md "ably-js" explains the difference.
// Usage: node token_request_vs_ably.js path/to/capmatch [count]; exit 77 = skipped.
'use strict';
const { execFileSync } = require('child_process');
const crypto = require('crypto');

let Ably;
try {
  Ably = require('ably');
} catch (e) {
  console.log('SKIP: the ably package is not installed (run: cd tests/node && npm ci)');
  process.exit(77);
}
const capmatch = process.argv[2];
const count = Number(process.argv[3] || 300);
if (!capmatch) {
  console.error('usage: node token_request_vs_ably.js CAPMATCH [COUNT]');
  process.exit(2);
}

// A fixed-seed generator (mulberry32): the same inputs on every run.
let seed = 0x5eed1234;
function rnd() {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (a) => a[Math.floor(rnd() * a.length)];

const OPS = ['subscribe', 'publish', 'presence', 'history', 'stats', 'push-subscribe', 'push-admin',
  'channel-metadata', 'privileged-headers', 'object-subscribe', 'object-publish', 'annotation-subscribe',
  'annotation-publish', 'message-update-own', 'message-update-any', 'message-delete-own', 'message-delete-any'];
const SEGMENTS = ['chat', 'room', 'private', 'a', 'B', 'z9', 'café', 'naïve', '日本', 'Ωmega', '😀', '\uff01wide',
  '\ue000pua', 'quote"d', 'back\\slash', 'tab\tin', 'new\nline', 'sp ace', '*', '9', '10', '0', '42', '007', '-1'];
const QUALIFIERS = ['', '', '', '[queue]', '[meta]', '[*]', '[filter]', '[?rewind=1]'];

function resource() {
  if (rnd() < 0.08) return pick(['*', '[*]*', '9', '10', '2', '100', '0']);
  const n = 1 + Math.floor(rnd() * 3);
  const segs = [];
  for (let i = 0; i < n; i++) segs.push(pick(SEGMENTS));
  return pick(QUALIFIERS) + segs.join(':');
}
function ops() {
  if (rnd() < 0.2) return ['*'];
  const set = new Set();
  const n = 1 + Math.floor(rnd() * 4);
  while (set.size < n) set.add(pick(OPS));
  return [...set];
}
function capabilityText() {
  const cap = {};
  const n = Math.floor(rnd() * 6);  // 0..5 entries ({} included)
  while (Object.keys(cap).length < n) {
    const r = resource();
    if (r !== '' && !(r in cap)) cap[r] = ops();
  }
  // Written with escapes sometimes (\u00e9, \/), so both sides parse the same JSON text.
  let text = JSON.stringify(cap);
  if (rnd() < 0.3) text = text.replace(/é/g, '\\u00e9').replace(/:/g, ': ');
  return text;
}
function clientId() {
  return pick([undefined, undefined, '*', 'bob', 'user@example.com', 'ünïcødé', '😀 smile', 'q"uote', 'b\\ack']);
}

function hmac(secret, text) {
  return crypto.createHmac('sha256', Buffer.from(secret, 'utf8')).update(Buffer.from(text, 'utf8')).digest('base64');
}
function signedText(r) {
  const f = (v) => (v === undefined ? '' : String(v));
  return [r.keyName, f(r.ttl), f(r.capability), f(r.clientId), r.timestamp, r.nonce].join('\n') + '\n';
}
function sameCapability(a, b) {
  const norm = (t) => {
    const o = JSON.parse(t);
    return Object.keys(o).map((k) => k + '=' + [...o[k]].sort().join(',')).sort().join('|');
  };
  return norm(a) === norm(b);
}

async function main() {
  let same = 0, differ = 0, failures = 0;
  const fail = (i, what, extra) => {
    failures++;
    console.error(`case ${i}: ${what}\n  ${JSON.stringify(extra)}`);
  };
  for (let i = 0; i < count; i++) {
    const appId = pick(['xVLyHw', 'app', 'A1-_z']), keyId = pick(['G-GITw', 'key1', 'k']);
    const secret = pick(['a_secret', 'c2VjcmV0LXNlY3JldA==', 'sécret', 'x'.repeat(80), '😀sek=r/e+t']);
    const key = `${appId}.${keyId}:${secret}`;
    const params = { timestamp: 1700000000000 + i, nonce: 'nonce' + String(1e15 + i * 7919) };
    const args = ['token-request', '--key', key, '--timestamp', String(params.timestamp), '--nonce', params.nonce];
    if (rnd() < 0.6) {
      params.ttl = 1 + Math.floor(rnd() * 86400000);
      args.push('--ttl', String(params.ttl));
    }
    if (rnd() < 0.8) {
      params.capability = capabilityText();
      args.push('--capability', params.capability);
    }
    const cid = clientId();
    if (cid !== undefined) {
      params.clientId = cid;
      args.push('--client-id', cid);
    }
    const rest = new Ably.Rest({ key, logLevel: 0 });
    const theirs = await rest.auth.createTokenRequest({ ...params }, { key });
    let ours;
    try {
      ours = JSON.parse(execFileSync(capmatch, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
    } catch (e) {
      fail(i, 'capmatch token-request failed', { args, stderr: String(e.stderr || e) });
      continue;
    }
    // Fields other than the capability and the mac: identical.
    for (const f of ['keyName', 'ttl', 'clientId', 'timestamp', 'nonce'])
      if (ours[f] !== theirs[f]) fail(i, `field ${f} differs`, { ours: ours[f], theirs: theirs[f] });
    if (('capability' in ours) !== ('capability' in theirs)) fail(i, 'capability presence differs', { ours, theirs });
    const secretOnly = secret;
    if (ours.capability === theirs.capability) {
      same++;
      if (ours.mac !== theirs.mac) fail(i, 'mac differs for the same signed text', { ours, theirs });
      if (Object.keys(ours).sort().join() !== Object.keys(theirs).sort().join()) fail(i, 'field sets differ', { ours, theirs });
    } else {
      differ++;
      if (!sameCapability(ours.capability, theirs.capability)) fail(i, 'different capabilities', { ours, theirs });
      if (ours.mac !== hmac(secretOnly, signedText(ours))) fail(i, "capmatch's mac is wrong for its text", ours);
      if (theirs.mac !== hmac(secretOnly, signedText(theirs))) fail(i, "ably-js's mac is wrong for its text", theirs);
    }
    if (ours.mac !== hmac(secretOnly, signedText(ours))) fail(i, "capmatch's mac is not HMAC(secret, text)", ours);
    // capmatch verifies ably-js's request as sent (and its own).
    for (const [who, req] of [['ably-js', theirs], ['capmatch', ours]]) {
      try {
        execFileSync(capmatch, ['verify-token-request', '--key', key, '--now', String(params.timestamp),
          JSON.stringify(req)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      } catch (e) {
        const empty = req.capability === '{}';  // {} requests nothing: 40160 is the right answer
        if (!(empty && String(e.stderr).includes('error 40160')))
          fail(i, `capmatch does not verify ${who}'s request`, { req, stderr: String(e.stderr) });
      }
    }
  }
  console.log(`${count} inputs: ${same} with the same signed text (fields and mac identical), ` +
              `${differ} where ably-js's capability text differs (each mac right for its own text), ${failures} failures`);
  if (differ === 0 || same < count / 2) {
    console.error('the generator no longer reaches both cases');
    failures++;
  }
  process.exit(failures === 0 ? 0 : 1);
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
