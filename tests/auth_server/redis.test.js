// Two auth server processes sharing one redis-server (started here on a free loopback port):
// single-use nonces and revocations hold across instances, as behind a load balancer.
// Usage: node redis.test.js --server <auth_server binary> --config <config.json> --redis-server <path>
'use strict';
const fs = require('fs');
const h = require('./harness');
const { Ably, check, equal, resolves, rejects, http } = h;

const bearer = (token) => ({ authorization: `Bearer ${Buffer.from(token).toString('base64')}`, 'content-type': 'application/json' });

async function main() {
  const bin = h.arg('server'), configPath = h.arg('config');
  const redisBin = h.arg('redis-server') || h.which('redis-server');
  if (!redisBin) { console.log('redis-server is not installed'); return h.SKIP; }
  const config = JSON.parse(fs.readFileSync(configPath, 'utf8'));
  const keyName = config.key.split(':')[0];
  const redis = await h.startRedis(redisBin);
  const a = await h.startService(bin, configPath, ['--redis', `127.0.0.1:${redis.port}`]);
  const b = await h.startService(bin, configPath, ['--redis', `127.0.0.1:${redis.port}`]);
  const alice = { authorization: 'Bearer demo-alice' };
  const exchange = (svc, tr) => http('POST', `${svc.base}/keys/${keyName}/requestToken`,
                                     { body: JSON.stringify(tr), headers: { 'content-type': 'application/json' } });

  // --- a TokenRequest accepted by one instance is rejected by the other (40105) ---------------------
  for (const [first, second, label] of [[a, b, 'A then B'], [b, a, 'B then A']]) {
    const tr = (await http('GET', `${first.base}/auth`, { headers: alice })).json;
    const one = await exchange(first, tr);
    equal(one.status, 200, `${label}: the first instance accepts the TokenRequest`);
    const two = await exchange(second, tr);
    equal([two.status, two.json && two.json.error.code], [401, 40105], `${label}: the other instance rejects it as replayed`);
    const again = await exchange(first, tr);
    equal([again.status, again.json && again.json.error.code], [401, 40105], `${label}: and so does the first one`);
  }
  {
    // The authCallback mistake behind a load balancer: the cached request works once, anywhere.
    const tr = (await http('GET', `${a.base}/auth`, { headers: alice })).json;
    const onA = new Ably.Rest(h.restOptions(a, { authCallback: (_p, cb) => cb(null, tr) }));
    const onB = new Ably.Rest(h.restOptions(b, { authCallback: (_p, cb) => cb(null, tr) }));
    await resolves(onA.channels.get('chat:lobby').publish('x', '1'), 'ably-js with a cached TokenRequest: first use on A');
    await rejects(onB.channels.get('chat:lobby').publish('x', '1'), 40105, 401, 'ably-js with the same TokenRequest on B');
  }
  {
    // Two instances racing for one nonce: exactly one wins.
    const tr = (await http('GET', `${a.base}/auth`, { headers: alice })).json;
    const results = await Promise.all([a, b, a, b, a, b, a, b].map((s) => exchange(s, tr)));
    equal(results.map((r) => r.status).sort(), [200, 401, 401, 401, 401, 401, 401, 401],
          '8 concurrent exchanges of one TokenRequest on two instances: exactly one accepted');
  }

  // --- a token from one instance works on the other; a revocation posted to one holds on both -------
  {
    const onA = h.userClient(a, 'demo-alice'), onB = h.userClient(b, 'demo-alice'), bob = h.userClient(b, 'demo-bob');
    await resolves(onA.channels.get('chat:lobby').publish('x', '1'), 'alice publishes through A');
    await resolves(onB.channels.get('chat:lobby').publish('x', '1'), 'alice publishes through B');
    await resolves(bob.channels.get('chat:lobby').history(), 'bob reads through B');
    const tokA = onA.auth.tokenDetails.token, tokB = onB.auth.tokenDetails.token, tokBob = bob.auth.tokenDetails.token;
    const cross = await http('POST', `${b.base}/channels/chat:lobby/messages`, { body: '{"name":"x"}', headers: bearer(tokA) });
    equal(cross.status, 201, 'a token issued by A is accepted by B (same key, stateless gateway)');
    const admin = new Ably.Rest(h.restOptions(a, { key: config.key }));
    await resolves(admin.auth.revokeTokens([{ type: 'clientId', value: 'alice' }]), 'revocation of clientId:alice posted to A');
    for (const [svc, name] of [[a, 'A'], [b, 'B']]) {
      for (const [tok, from] of [[tokA, 'A'], [tokB, 'B']]) {
        const r = await http('POST', `${svc.base}/channels/chat:lobby/messages`, { body: '{"name":"x"}', headers: bearer(tok) });
        equal([r.status, r.json && r.json.error.code], [401, 40141], `${name} refuses alice's token from ${from} (40141)`);
      }
      const r = await http('GET', `${svc.base}/channels/chat:lobby/messages`, { headers: bearer(tokBob) });
      equal(r.status, 200, `${name} still accepts bob's token`);
    }
    // Renewal through authUrl (explicit: ably-js 2.28 REST retries with the stale token, ably/ably-js#2193).
    await resolves(onB.auth.authorize(), 'alice renews through B');
    await resolves(onB.channels.get('chat:lobby').publish('x', '2'), 'the renewed token publishes through B');
    const back = await http('POST', `${a.base}/channels/chat:lobby/messages`, { body: '{"name":"x"}', headers: bearer(onB.auth.tokenDetails.token) });
    equal(back.status, 201, 'and through A');
  }

  // --- an instance started after the revocation enforces it too (it replays the stream) -----------------
  {
    const c = await h.startService(bin, configPath, ['--redis', `127.0.0.1:${redis.port}`]);
    const late = h.userClient(a, 'demo-alice');
    await resolves(late.channels.get('chat:lobby').history(), 'a token issued after the revocation works on A');
    const r = await http('GET', `${c.base}/channels/chat:lobby/messages`, { headers: bearer(late.auth.tokenDetails.token) });
    equal(r.status, 200, 'a third instance started later accepts it');
    const tr = (await http('GET', `${c.base}/auth`, { headers: alice })).json;
    const oldTr = await exchange(a, tr);
    equal(oldTr.status, 200, 'a TokenRequest from the third instance is exchanged on A');
    const again = await exchange(c, tr);
    equal([again.status, again.json && again.json.error.code], [401, 40105], 'and replayed on the third instance: 40105');
    await h.stop(c.proc);
  }

  // --- Redis gone: verifiers fail closed --------------------------------------------------------------
  {
    const tr = (await http('GET', `${a.base}/auth`, { headers: alice })).json;
    const bob = h.userClient(b, 'demo-bob');
    await resolves(bob.channels.get('chat:lobby').history(), 'bob reads through B before Redis stops');
    const validToken = bob.auth.tokenDetails.token;
    await h.stop(redis.proc);
    const r = await exchange(a, tr);
    equal([r.status, r.json && r.json.error.code], [500, 50003], 'with Redis down a TokenRequest is refused (50003, store unavailable), never accepted unchecked');
    const g = await http('GET', `${b.base}/channels/chat:lobby/messages`, { headers: bearer(validToken) });
    equal([g.status, g.json && g.json.error.code], [500, 50003],
          'with Redis down the gateway cannot read revocations and refuses a valid token (50003, store unavailable)');
  }

  await h.stop(a.proc);
  await h.stop(b.proc);
  return h.summary();
}

main().then((code) => process.exit(code), (e) => { console.error(e); process.exit(1); });
