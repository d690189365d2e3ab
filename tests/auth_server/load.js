// A bounded load run of the auth server with real ably-js REST clients on loopback.
// Usage: node load.js --server <auth_server> --config <config.json> [--clients 100] [--seconds 20]
//                     [--redis-server <path>] [--redis-also] [--json <file>]
// Modes: "memory" (one instance) and, with --redis-also, "redis" (two instances sharing one
// redis-server, clients spread over both). Each client loops until the deadline, then stops:
//   - publishes on a channel it may publish on (expects success; latency recorded),
//   - every 5th round publishes where it may not (expects exactly 40160),
//   - every 10th round renews its token through authUrl (/auth -> TokenRequest -> exchange),
//   - every 10th round replays: fetches a TokenRequest, exchanges it on one instance (expects a
//     token) and again on the other (expects exactly 40105).
// Checks that nothing is lost: every operation settles with the expected answer, every replay is
// rejected exactly once, the run ends by itself. Prints throughput and p50/p99 latency.
'use strict';
const fs = require('fs');
const h = require('./harness');
const { http } = h;

/// CPU seconds (user + system) a process has used, from /proc (Linux), or NaN.
function cpuSeconds(pid) {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / 100;  // utime, stime in clock ticks (USER_HZ = 100)
  } catch (_) { return NaN; }
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)];
}

async function run(mode, services, clients, seconds, keyName) {
  const stats = {
    mode, clients, seconds, instances: services.length,
    publish: { sent: 0, ok: 0, wrong: 0, lat: [] },
    denied: { sent: 0, rejected40160: 0, wrong: 0, lat: [] },
    renew: { sent: 0, ok: 0, wrong: 0, lat: [] },
    replay: { sent: 0, firstAccepted: 0, replayRejected40105: 0, replayAccepted: 0, wrong: 0 },
    errors: [],
  };
  const note = (what, e) => { if (stats.errors.length < 10) stats.errors.push(`${what}: ${e && (e.code || e.status)} ${e && e.message}`); };
  const timed = async (bucket, fn) => {
    const t0 = process.hrtime.bigint();
    try { await fn(); } finally { bucket.lat.push(Number(process.hrtime.bigint() - t0) / 1e6); }
  };
  const deadline = Date.now() + seconds * 1000;

  async function client(i) {
    const svc = services[i % services.length], other = services[(i + 1) % services.length];
    const c = h.userClient(svc, 'demo-alice');
    const allowed = c.channels.get('chat:lobby'), forbidden = c.channels.get(`chat:private-${i}`);
    for (let round = 0; Date.now() < deadline; round++) {
      stats.publish.sent++;
      try {
        await timed(stats.publish, () => allowed.publish('load', `client ${i} round ${round}`));
        stats.publish.ok++;
      } catch (e) { stats.publish.wrong++; note('publish', e); }
      if (round % 5 === 4) {
        stats.denied.sent++;
        try {
          await timed(stats.denied, () => forbidden.publish('load', 'x'));
          stats.denied.wrong++; note('denied publish accepted', {});
        } catch (e) {
          if (e.code === 40160 && e.statusCode === 401) stats.denied.rejected40160++; else { stats.denied.wrong++; note('denied', e); }
        }
      }
      if (round % 10 === 9) {
        stats.renew.sent++;
        try { await timed(stats.renew, () => c.auth.authorize()); stats.renew.ok++; } catch (e) { stats.renew.wrong++; note('renew', e); }
        stats.replay.sent++;
        try {
          const tr = (await http('GET', `${svc.base}/auth`, { headers: { authorization: 'Bearer demo-alice' } })).json;
          const body = JSON.stringify(tr), headers = { 'content-type': 'application/json' };
          const first = await http('POST', `${svc.base}/keys/${keyName}/requestToken`, { body, headers });
          if (first.status === 200 && first.json && first.json.token) stats.replay.firstAccepted++; else { stats.replay.wrong++; note('first use', first.json && first.json.error); }
          const again = await http('POST', `${other.base}/keys/${keyName}/requestToken`, { body, headers });
          if (again.status === 401 && again.json && again.json.error.code === 40105) stats.replay.replayRejected40105++;
          else if (again.status === 200) stats.replay.replayAccepted++;
          else { stats.replay.wrong++; note('replay', again.json && again.json.error); }
        } catch (e) { stats.replay.wrong++; note('replay', e); }
      }
    }
  }

  const serverCpu0 = services.reduce((a, s) => a + cpuSeconds(s.proc.child.pid), 0), clientCpu0 = process.cpuUsage();
  const t0 = Date.now();
  const watchdog = new Promise((_, reject) => setTimeout(() => reject(new Error('the run did not stop within 60 s of its deadline')),
                                                        seconds * 1000 + 60000).unref());
  await Promise.race([Promise.all(Array.from({ length: clients }, (_, i) => client(i))), watchdog]);
  const elapsed = (Date.now() - t0) / 1000;
  const serverCpu = services.reduce((a, s) => a + cpuSeconds(s.proc.child.pid), 0) - serverCpu0;
  const clientCpuUse = process.cpuUsage(clientCpu0), clientCpu = (clientCpuUse.user + clientCpuUse.system) / 1e6;
  const summary = { mode, clients, seconds, instances: services.length, elapsed };
  for (const k of ['publish', 'denied', 'renew']) {
    const lat = stats[k].lat.sort((x, y) => x - y);
    summary[k] = Object.assign({}, stats[k], { lat: undefined, perSecond: +(stats[k].sent / elapsed).toFixed(1),
                                                p50ms: +percentile(lat, 50).toFixed(2), p99ms: +percentile(lat, 99).toFixed(2) });
  }
  summary.replay = stats.replay;
  const requests = stats.publish.sent + stats.denied.sent + 3 * stats.renew.sent + 3 * stats.replay.sent;
  summary.httpRequestsPerSecond = +(requests / elapsed).toFixed(1);
  summary.httpRequests = requests;
  summary.serverCpuSeconds = +serverCpu.toFixed(2);
  summary.serverCpuMicrosPerRequest = +((serverCpu * 1e6) / requests).toFixed(0);
  summary.clientCpuSeconds = +clientCpu.toFixed(2);
  summary.errors = stats.errors;
  summary.nothingLost = stats.publish.ok === stats.publish.sent && stats.denied.rejected40160 === stats.denied.sent &&
    stats.renew.ok === stats.renew.sent && stats.replay.firstAccepted === stats.replay.sent &&
    stats.replay.replayRejected40105 === stats.replay.sent && stats.replay.replayAccepted === 0;
  return summary;
}

function report(s) {
  const line = (k) => `${k.padEnd(8)} ${String(s[k].sent).padStart(7)} sent ${String(s[k].perSecond).padStart(8)}/s  p50 ${s[k].p50ms} ms  p99 ${s[k].p99ms} ms`;
  console.log(`# mode ${s.mode}: ${s.clients} ably-js clients, ${s.instances} instance(s), ${s.elapsed.toFixed(1)} s`);
  for (const k of ['publish', 'denied', 'renew']) console.log(`# ${line(k)}`);
  console.log(`# replay   ${s.replay.sent} attempts: first use accepted ${s.replay.firstAccepted}, replay rejected 40105 ${s.replay.replayRejected40105}, replay accepted ${s.replay.replayAccepted}`);
  console.log(`# HTTP requests/s (publishes + denials + 3 per renewal + 3 per replay attempt): ${s.httpRequestsPerSecond}`);
  console.log(`# CPU: server(s) ${s.serverCpuSeconds} s (${s.serverCpuMicrosPerRequest} µs per HTTP request), ably-js client process ${s.clientCpuSeconds} s`);
  for (const e of s.errors) console.log(`#   error: ${e}`);
}

async function main() {
  const bin = h.arg('server'), configPath = h.arg('config');
  const clients = Number(h.arg('clients', '100')), seconds = Number(h.arg('seconds', '20'));
  const config = JSON.parse(fs.readFileSync(configPath, 'utf8'));
  const keyName = config.key.split(':')[0];
  const results = [];

  const svc = await h.startService(bin, configPath, ['--threads', String(Math.max(64, clients * 2))]);
  results.push(await run('memory', [svc], clients, seconds, keyName));
  await h.stop(svc.proc);

  if (process.argv.includes('--redis-also')) {
    const redisBin = h.arg('redis-server') || h.which('redis-server');
    if (!redisBin) { console.log('redis-server is not installed'); return h.SKIP; }
    const redis = await h.startRedis(redisBin);
    const extra = ['--redis', `127.0.0.1:${redis.port}`, '--threads', String(Math.max(64, clients * 2))];
    const a = await h.startService(bin, configPath, extra), b = await h.startService(bin, configPath, extra);
    results.push(await run('redis', [a, b], clients, seconds, keyName));
    await h.stop(a.proc);
    await h.stop(b.proc);
    await h.stop(redis.proc);
  }

  for (const s of results) {
    report(s);
    h.check(s.nothingLost, `${s.mode}: every request answered as expected, every replay rejected exactly once`);
    h.check(s.publish.sent > 0 && s.replay.sent > 0, `${s.mode}: the run did work (${s.publish.sent} publishes, ${s.replay.sent} replays)`);
  }
  const out = h.arg('json');
  if (out) fs.writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
  return h.summary();
}

main().then((code) => process.exit(code), (e) => { console.error(e); process.exit(1); });
