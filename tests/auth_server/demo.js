// The first minute with capmatch: start the example auth server and watch the real ably-js
// client get a token and be denied where it should be. Run by scripts/demo_auth_server.sh.
// Usage: node demo.js --server <auth_server binary> --config <config.json>
// Exits non-zero if anything answers otherwise than the narration says (it is also a meson test).
'use strict';
const fs = require('fs');
const h = require('./harness');
const { Ably, http } = h;

let wrong = 0;
const say = (s) => console.log(s);
async function expectOk(what, p) {
  try { await p; say(`  ✔ ${what}: accepted`); } catch (e) { wrong++; say(`  ✘ ${what}: unexpectedly refused: ${e.code} ${e.message}`); }
}
async function expectError(what, code, p) {
  try { await p; wrong++; say(`  ✘ ${what}: unexpectedly accepted`); } catch (e) {
    if (e.code !== code) wrong++;
    say(`  ${e.code === code ? '✔' : '✘'} ${what}: refused with ${e.code} (HTTP ${e.statusCode}): ${e.message}`);
  }
}

async function main() {
  const configPath = h.arg('config');
  const config = JSON.parse(fs.readFileSync(configPath, 'utf8'));
  const svc = await h.startService(h.arg('server'), configPath);
  say(`auth server listening on ${svc.base} (key ${config.key.split(':')[0]}, capability ${JSON.stringify(config.keyCapability)})`);

  say('\n1. alice\'s browser asks /auth for a TokenRequest (what ably-js does with authUrl):');
  const tr = (await http('GET', `${svc.base}/auth`, { headers: { authorization: 'Bearer demo-alice' } })).json;
  say(`  ${JSON.stringify(Object.assign({}, tr, { mac: tr.mac.slice(0, 8) + '…' }))}`);

  say('\n2. ably-js (REST, authUrl → /auth, token exchange → /keys/…/requestToken) publishes as alice:');
  const alice = h.userClient(svc, 'demo-alice');
  await expectOk('publish on chat:lobby', alice.channels.get('chat:lobby').publish('greeting', 'hello from alice'));
  say(`  token: an Ably JWT for clientId ${alice.auth.tokenDetails.clientId}, capability ${alice.auth.tokenDetails.capability}`);
  await expectError('publish on chat:secret', 40160, alice.channels.get('chat:secret').publish('x', 'y'));
  await expectError('publish on news', 40160, alice.channels.get('news').publish('x', 'y'));
  const page = await alice.channels.get('chat:lobby').history();
  say(`  history of chat:lobby: ${JSON.stringify(page.items.map((m) => `${m.clientId}: ${m.data}`))}`);

  say('\n3. the authCallback mistake: handing ably-js the same TokenRequest twice');
  const cached = new Ably.Rest(h.restOptions(svc, { authCallback: (_p, cb) => cb(null, tr) }));
  await expectOk('first use of the TokenRequest', cached.channels.get('chat:lobby').publish('x', 'once'));
  await expectError('second use of the same TokenRequest', 40105, cached.auth.authorize());

  say('\n4. the key owner revokes alice\'s tokens (POST /keys/…/revokeTokens with the key):');
  const old = alice.auth.tokenDetails.token;
  await new Ably.Rest(h.restOptions(svc, { key: config.key })).auth.revokeTokens([{ type: 'clientId', value: 'alice' }]);
  const r = await http('POST', `${svc.base}/channels/chat:lobby/messages`, {
    body: '{"name":"x"}', headers: { authorization: `Bearer ${Buffer.from(old).toString('base64')}`, 'content-type': 'application/json' },
  });
  if (r.json.error.code !== 40141) wrong++;
  say(`  ${r.json.error.code === 40141 ? '✔' : '✘'} alice's old token: refused with ${r.json.error.code}: ${r.json.error.message}`);
  await alice.auth.authorize();
  await expectOk('after renewing through /auth, publish on chat:lobby', alice.channels.get('chat:lobby').publish('x', 'back'));

  await h.stop(svc.proc);
  say(wrong === 0 ? '\nEverything answered as expected.' : `\n${wrong} answer(s) differed from the expected ones.`);
  return wrong === 0 ? 0 : 1;
}

main().then((code) => process.exit(code), (e) => { console.error(e); process.exit(1); });
