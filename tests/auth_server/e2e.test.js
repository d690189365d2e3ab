// The example auth server (examples/auth_server) driven end to end by the real ably-js REST client.
// Usage: node e2e.test.js --server <auth_server binary> --config <config.json>
// Each scenario names the rule it proves (docs/semantics.md §N, docs/auth_server.md).
'use strict';
const fs = require('fs');
const h = require('./harness');
const { Ably, check, equal, resolves, rejects, http } = h;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const bin = h.arg('server'), configPath = h.arg('config');
  const config = JSON.parse(fs.readFileSync(configPath, 'utf8'));
  const keyName = config.key.split(':')[0];
  const svc = await h.startService(bin, configPath);

  // --- 1. allowed and denied (§3 rules 11-13) ---------------------------------------------------
  {
    const alice = h.userClient(svc, 'demo-alice');
    await resolves(alice.channels.get('chat:lobby').publish('greeting', 'hello'), 'alice publishes on chat:lobby (granted)');
    const td = alice.auth.tokenDetails;
    check(td && typeof td.token === 'string' && td.token.split('.').length === 3, 'the token from the exchange is a JWT');
    equal(td && td.clientId, 'alice', 'TokenDetails.clientId is the user\'s');
    equal(td && JSON.parse(td.capability), { 'chat:lobby': ['history', 'publish', 'subscribe'], news: ['history', 'subscribe'] },
          'TokenDetails.capability is the user\'s grants ∩ the key\'s capability');
    const page = await resolves(alice.channels.get('chat:lobby').history(), 'alice reads chat:lobby history (granted)');
    equal(page && page.items.map((m) => [m.name, m.data, m.clientId]), [['greeting', 'hello', 'alice']],
          'history returns the published message');
    const denied = await rejects(alice.channels.get('chat:other').publish('x', 'y'), 40160, 401, 'alice publishes on chat:other (not granted)');
    equal(denied && denied.message,
          "Unable to perform channel operation (operation not permitted): no resource in the capability matches 'chat:other'",
          'the 40160 message says why (no pattern matches)');
    const noOp = await rejects(alice.channels.get('news').publish('x', 'y'), 40160, 401, 'alice publishes on news (subscribe and history only)');
    equal(noOp && noOp.message,
          "Unable to perform channel operation (operation not permitted): no matching resource grants publish on 'news' ('news' grants history, subscribe)",
          'the 40160 message names the operations the matching pattern grants');
    await rejects(alice.channels.get('room:1').history(), 40160, 401, 'alice reads room:1 history (not granted)');
    const bob = h.userClient(svc, 'demo-bob');
    // bob's grant {"news":["*"]} meets the key's {"news":["subscribe","history"]}: no publish.
    await rejects(bob.channels.get('news').publish('x', 'y'), 40160, 401, 'bob publishes on news (the key does not allow publish there)');
    await resolves(bob.channels.get('chat:anything').history(), 'bob reads chat:anything history (chat:* ∩ chat:*)');
    const stranger = h.userClient(svc, 'not-a-session');
    await rejects(stranger.channels.get('chat:lobby').publish('x', 'y'), 40101, 401, '/auth refuses an unknown session');
    const r = await http('POST', `${svc.base}/channels/chat:lobby/messages`, { body: '{}', headers: { 'content-type': 'application/json' } });
    equal([r.status, r.json && r.json.error.code, r.json && r.json.error.message],
          [401, 40140, 'token required: send Authorization: Bearer <base64 of the token>'], 'the gateway without a token answers 40140');
    const forged = Buffer.from(td.token.slice(0, -2) + (td.token.endsWith('AA') ? 'BB' : 'AA')).toString('base64');
    const f = await http('POST', `${svc.base}/channels/chat:lobby/messages`,
                         { body: '{}', headers: { authorization: `Bearer ${forged}`, 'content-type': 'application/json' } });
    equal([f.status, f.json && f.json.error.code], [401, 40144], 'the gateway refuses a token with a changed signature (40144)');
  }

  // --- 2. the cached-TokenRequest authCallback mistake (token-request-reuse.txt, §5 rules 22-23) -------
  {
    const first = await http('GET', `${svc.base}/auth`, { headers: { authorization: 'Bearer demo-alice' } });
    equal(first.headers.get('cache-control'), 'no-cache, no-store, must-revalidate', '/auth answers with no-cache headers');
    const cached = first.json;
    const mistaken = new Ably.Rest(h.restOptions(svc, { authCallback: (_params, cb) => cb(null, cached) }));
    await resolves(mistaken.channels.get('chat:lobby').publish('a', '1'), 'cached TokenRequest: first use gets a token');
    const replayed = await rejects(mistaken.auth.authorize(), 40105, 401, 'cached TokenRequest: the same request again is rejected');
    equal(replayed && replayed.message,
          'Nonce value replayed: this keyName and nonce were already used; create a new TokenRequest for every token (never cache one)',
          'the 40105 message');
    let calls = 0;
    const correct = new Ably.Rest(h.restOptions(svc, {
      authCallback: async (_params, cb) => {
        calls++;
        try {
          const r = await http('GET', `${svc.base}/auth`, { headers: { authorization: 'Bearer demo-alice' } });
          cb(null, r.json);
        } catch (e) { cb(e, null); }
      },
    }));
    await resolves(correct.channels.get('chat:lobby').publish('a', '1'), 'correct authCallback: first token');
    await resolves(correct.auth.authorize(), 'correct authCallback: second token');
    await resolves(correct.auth.authorize(), 'correct authCallback: third token');
    await resolves(correct.channels.get('chat:lobby').publish('b', '2'), 'correct authCallback: publishes with the latest token');
    equal(calls, 3, 'the correct authCallback fetched a fresh TokenRequest each time');
    const n1 = await http('GET', `${svc.base}/auth`, { headers: { authorization: 'Bearer demo-alice' } });
    const n2 = await http('GET', `${svc.base}/auth`, { headers: { authorization: 'Bearer demo-alice' } });
    check(n1.json.nonce !== n2.json.nonce && n1.json.mac !== n2.json.mac, '/auth never returns the same TokenRequest twice');
  }

  // --- 3. a TokenRequest signed with a clock 3 minutes off (§5 rule 22: 40104) ----------------------
  {
    // ably-js itself signs, with the key, as an auth server with a wrong clock would.
    const signer = new Ably.Rest(h.restOptions(svc, { key: config.key }));
    const withTimestamp = (ts) => signer.auth.createTokenRequest({ clientId: 'alice', timestamp: ts }, null);
    for (const [offset, label] of [[-180000, 'behind'], [180000, 'ahead']]) {
      const tr = await withTimestamp(Date.now() + offset);
      const c = new Ably.Rest(h.restOptions(svc, { authCallback: (_p, cb) => cb(null, tr) }));
      await rejects(c.channels.get('chat:lobby').publish('x', '1'), 40104, 401, `a TokenRequest signed 3 minutes ${label} is rejected`);
    }
    const good = await withTimestamp(Date.now());
    const c = new Ably.Rest(h.restOptions(svc, { authCallback: (_p, cb) => cb(null, good) }));
    await resolves(c.channels.get('chat:lobby').publish('x', '1'), 'a TokenRequest signed by ably-js with a correct clock is accepted');
    const keyCanonical = Object.fromEntries(Object.entries(config.keyCapability).sort().map(([k, v]) => [k, [...v].sort()]));
    equal(c.auth.tokenDetails && JSON.parse(c.auth.tokenDetails.capability), keyCanonical,
          'no requested capability: the token gets the key\'s whole capability (§4 rule 14)');
    const badMac = await withTimestamp(Date.now());
    badMac.mac = Buffer.alloc(32, 7).toString('base64');
    const m = new Ably.Rest(h.restOptions(svc, { authCallback: (_p, cb) => cb(null, badMac) }));
    await rejects(m.channels.get('chat:lobby').publish('x', '1'), 40101, 401, 'a TokenRequest with a wrong mac is rejected');
  }

  // --- 4. incremental authorization (§5 rule 28) ----------------------------------------------------
  {
    // A browser keeps the grant cookie; here a small cookie jar does, inside a correct authCallback.
    const jar = {};
    let want = null;
    const authFetch = async (session, channel, cookies) => {
      const q = channel ? `?channel=${encodeURIComponent(channel)}` : '';
      const cookie = Object.entries(cookies).map(([k, v]) => `${k}=${v}`).join('; ');
      const headers = { authorization: `Bearer ${session}` };
      if (cookie) headers.cookie = cookie;
      const r = await http('GET', `${svc.base}/auth${q}`, { headers });
      const set = r.headers.get('set-cookie');
      if (set) { const m = set.match(/^capmatch_grant=([^;]+)/); if (m) cookies.capmatch_grant = m[1]; }
      return r;
    };
    const client = new Ably.Rest(h.restOptions(svc, {
      authCallback: async (_p, cb) => {
        const r = await authFetch('demo-alice', want, jar);
        if (r.status !== 200) cb(r.json.error, null); else cb(null, r.json);
      },
    }));
    await rejects(client.channels.get('room:42').publish('x', '1'), 40160, 401, 'before asking: room:42 is denied');
    want = 'room:42';
    await resolves(client.auth.authorize(), 'alice asks for room:42');
    check(typeof jar.capmatch_grant === 'string', '/auth set the signed grant cookie');
    await resolves(client.channels.get('room:42').publish('x', '1'), 'room:42 is now allowed');
    await resolves(client.channels.get('chat:lobby').publish('x', '1'), 'chat:lobby (the user\'s own grant) still allowed');
    want = 'room:43';
    await resolves(client.auth.authorize(), 'alice asks for one more channel, room:43');
    equal(JSON.parse(client.auth.tokenDetails.capability), {
      'chat:lobby': ['history', 'publish', 'subscribe'], news: ['history', 'subscribe'],
      'room:42': ['history', 'publish', 'subscribe'], 'room:43': ['history', 'publish', 'subscribe'],
    }, 'the new token covers the earlier grants, the cookie\'s room:42 and the new room:43');
    await resolves(client.channels.get('room:42').publish('x', '1'), 'room:42 (from the cookie) allowed');
    await resolves(client.channels.get('room:43').publish('x', '1'), 'room:43 (new) allowed');
    await rejects(client.channels.get('room:44').publish('x', '1'), 40160, 401, 'room:44 (never asked for) denied');
    // Renewing through authUrl with the cookie and no new channel keeps the grants.
    const renewer = h.userClient(svc, 'demo-alice', { authHeaders: { Authorization: 'Bearer demo-alice', Cookie: `capmatch_grant=${jar.capmatch_grant}` } });
    await resolves(renewer.channels.get('room:43').publish('x', '1'), 'an authUrl client presenting the cookie keeps room:43');
    // A tampered cookie: one character of the signature changed.
    const good = jar.capmatch_grant;
    const at = good.length - 10;  // inside the mac (its last character also carries padding bits)
    const tampered = { capmatch_grant: good.slice(0, at) + (good[at] === 'A' ? 'B' : 'A') + good.slice(at + 1) };
    const t = await authFetch('demo-alice', 'room:44', tampered);
    equal([t.status, t.json && t.json.error.code], [401, 40101], 'a tampered grant cookie is refused (40101)');
    // A grant widened by hand: the capability part swapped for a larger one.
    const parts = good.split('.');
    parts[3] = Buffer.from('{"room:*":["*"]}').toString('base64url');
    const widened = await authFetch('demo-alice', null, { capmatch_grant: parts.join('.') });
    equal([widened.status, widened.json && widened.json.error.code], [401, 40101], 'a grant cookie with a rewritten capability is refused');
    const stolen = await authFetch('demo-bob', null, { capmatch_grant: good });
    equal([stolen.status, stolen.json && stolen.json.error.code], [401, 40101], 'alice\'s grant cookie is refused for bob (clientId bound)');
    for (const pattern of ['room:*', '[*]room:1', 'room:*:x']) {
      const p = await authFetch('demo-alice', pattern, {});
      equal([p.status, p.json && p.json.error.code, p.headers.get('set-cookie')], [400, 40000, null],
            `asking for "${pattern}" (a pattern, not one channel) is refused and grants nothing`);
    }
    const notAllowed = await authFetch('demo-bob', 'room:1', {});
    equal([notAllowed.status, notAllowed.json && notAllowed.json.error.code], [401, 40160], 'bob may not ask for room:1 (40160)');
  }

  // --- 5. revocation by clientId (§5 rule 27): 40141, renewal through authUrl ----------------------
  {
    const alice = h.userClient(svc, 'demo-alice');
    const bob = h.userClient(svc, 'demo-bob');
    await resolves(alice.channels.get('chat:lobby').publish('before', '1'), 'alice publishes before the revocation');
    await resolves(bob.channels.get('chat:lobby').history(), 'bob reads before the revocation');
    const oldAlice = alice.auth.tokenDetails.token, oldBob = bob.auth.tokenDetails.token;
    const admin = new Ably.Rest(h.restOptions(svc, { key: config.key }));
    const result = await resolves(admin.auth.revokeTokens([{ type: 'clientId', value: 'alice' }]), 'revokeTokens with the key (Basic auth)');
    equal(result && [result.successCount, result.failureCount, result.results[0].target], [1, 0, 'clientId:alice'],
          'revokeTokens reports one target revoked');
    const raw = await http('POST', `${svc.base}/channels/chat:lobby/messages`, {
      body: '{"name":"x"}', headers: { authorization: `Bearer ${Buffer.from(oldAlice).toString('base64')}`, 'content-type': 'application/json' },
    });
    equal([raw.status, raw.json && raw.json.error.code], [401, 40141], 'alice\'s old token is refused with 40141');
    // ably-js 2.28.0 REST retries a request that failed with a token error using the stale
    // Authorization header, forever (ably/ably-js#2193, fix proposed in #2303): so the client
    // renews explicitly here, through authUrl, as an application must with REST today.
    await resolves(alice.auth.authorize(), 'ably-js renews through authUrl after 40141');
    check(alice.auth.tokenDetails.token !== oldAlice, 'alice now holds a new token (issued after issuedBefore)');
    await resolves(alice.channels.get('chat:lobby').publish('after', '2'), 'the renewed token publishes');
    await resolves(bob.channels.get('chat:lobby').history(), 'bob\'s token is not revoked');
    equal(bob.auth.tokenDetails.token, oldBob, 'bob kept his token');
    const wrongKey = new Ably.Rest(h.restOptions(svc, { key: `${keyName}:not-the-secret` }));
    await rejects(wrongKey.auth.revokeTokens([{ type: 'clientId', value: 'bob' }]), 40101, 401, 'revokeTokens with a wrong secret is refused');
    const badTarget = await http('POST', `${svc.base}/keys/${keyName}/revokeTokens`, {
      body: '{"targets":["user:bob"]}',
      headers: { authorization: `Basic ${Buffer.from(config.key).toString('base64')}`, 'content-type': 'application/json' },
    });
    equal([badTarget.status, badTarget.json && badTarget.json.error.code], [400, 40000], 'an unknown target type is refused (40000)');
  }

  // --- 6. an Ably JWT from /auth (§5 rule 24) ----------------------------------------------------------
  {
    const jwtClient = h.userClient(svc, 'demo-alice', { authParams: { format: 'jwt' } });
    await resolves(jwtClient.channels.get('chat:lobby').publish('jwt', '1'), 'a JWT from /auth publishes on chat:lobby');
    const token = jwtClient.auth.tokenDetails.token;
    const header = JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString());
    equal(header, { typ: 'JWT', alg: 'HS256', kid: keyName }, 'the JWT header names the key');
    await rejects(jwtClient.channels.get('chat:other').publish('x', '1'), 40160, 401, 'the JWT is denied chat:other');
    await resolves(jwtClient.channels.get('chat:lobby').history(), 'the JWT reads chat:lobby history');
    // A short-lived JWT: once expired the gateway answers 40142. ably-js does not read a JWT's
    // exp (an authUrl answer of application/jwt gives it no `expires`), and its REST retry after
    // a 40142 resends the stale token (ably/ably-js#2193): so the client renews explicitly.
    const short = h.userClient(svc, 'demo-alice', { authParams: { format: 'jwt', ttl: '1000' } });
    await resolves(short.channels.get('chat:lobby').publish('short', '1'), 'a 1 s JWT publishes');
    const old = short.auth.tokenDetails.token;
    await sleep(2100);
    const expired = await http('POST', `${svc.base}/channels/chat:lobby/messages`, {
      body: '{"name":"x"}', headers: { authorization: `Bearer ${Buffer.from(old).toString('base64')}`, 'content-type': 'application/json' },
    });
    equal([expired.status, expired.json && expired.json.error.code], [401, 40142], 'the expired JWT is refused with 40142');
    await resolves(short.auth.authorize(), 'ably-js renews the expired JWT through authUrl');
    check(short.auth.tokenDetails.token !== old, 'a new JWT was fetched');
    await resolves(short.channels.get('chat:lobby').publish('renewed', '2'), 'the renewed JWT publishes');
    // Revocation applies to JWTs too.
    const admin = new Ably.Rest(h.restOptions(svc, { key: config.key }));
    await sleep(5);  // issuedBefore must be later than the JWT's issue time (milliseconds)
    await resolves(admin.auth.revokeTokens([{ type: 'channel', value: 'chat:lobby' }]), 'revoke tokens whose capability names chat:lobby');
    const revoked = await http('GET', `${svc.base}/channels/chat:lobby/messages`, {
      headers: { authorization: `Bearer ${Buffer.from(jwtClient.auth.tokenDetails.token).toString('base64')}` },
    });
    equal([revoked.status, revoked.json && revoked.json.error.code], [401, 40141], 'the JWT naming chat:lobby is revoked (40141)');
  }

  await h.stop(svc.proc);
  return h.summary();
}

main().then((code) => process.exit(code), (e) => { console.error(e); process.exit(1); });
