// ably-js createTokenRequest throughput, for bench_token_request.cpp (which runs this script in the
// same benchmark run and reports the result beside capmatch's). Same inputs as the C++ side: an
// 8-entry capability as JSON text, ttl, clientId; `fixed` mode passes timestamp and nonce, `default`
// lets ably-js take Date.now() and its Math.random() nonce.
// Usage: node ably_create_token_request.js [fixed|default] [calls]
// Prints "<wall ns per call> <calls> <cpu ns per call>" (CPU: process.cpuUsage, all of node's threads).
'use strict';
const path = require('path');
const Ably = require(path.join(__dirname, '..', 'tests', 'node', 'node_modules', 'ably'));

const mode = process.argv[2] || 'fixed';
const calls = Number(process.argv[3] || 200000);
const key = 'xVLyHw.G-GITw:Y2FwbWF0Y2gtYmVuY2gtc2VjcmV0LWtleQ';
const capability = JSON.stringify({
  'tenant0:room:*': ['publish', 'subscribe', 'presence'],
  'tenant0:*:admin': ['*'],
  '[queue]tenant0:jobs:*': ['subscribe'],
  '[meta]tenant0:log': ['subscribe'],
  '[*]tenant0:app:*': ['presence'],
  'tenant0:user:u1:*': ['subscribe', 'history'],
  'status': ['subscribe'],
  'announcements:*': ['subscribe', 'history'],
});

async function run(n) {
  const rest = new Ably.Rest({ key, logLevel: 0 });
  let macs = 0;
  for (let i = 0; i < n; i++) {
    const params = { capability, ttl: 3600000, clientId: 'user-42' };
    if (mode === 'fixed') {
      params.timestamp = 1700000000000;
      params.nonce = 'nonce' + (1e15 + i);
    }
    const r = await rest.auth.createTokenRequest(params, { key });
    macs += r.mac.length;
  }
  return macs;
}

(async () => {
  await run(Math.min(20000, calls));  // warm-up: let the JIT settle
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  const macs = await run(calls);
  const c1 = process.cpuUsage(c0);
  const ns = Number(process.hrtime.bigint() - t0) / calls;
  const cpu = ((c1.user + c1.system) * 1000) / calls;
  if (macs !== 44 * calls) throw new Error('unexpected mac length');
  console.log(`${ns.toFixed(1)} ${calls} ${cpu.toFixed(1)}`);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
