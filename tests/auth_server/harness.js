// Shared pieces of the auth server tests: start and stop the services (always stopped, even when a
// test fails or the runner is interrupted), the real ably-js client from tests/node, and a tiny
// assertion log. Used by e2e.test.js, redis.test.js and load.js.
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const net = require('net');
const path = require('path');
const { createRequire } = require('module');

const SKIP = 77;  // meson's "skipped" exit status

const here = __dirname;
const nodeDir = path.join(here, '..', 'node');
let Ably;
try {
  Ably = createRequire(path.join(nodeDir, 'package.json'))('ably');
} catch (e) {
  console.error('cannot load ably from tests/node (run scripts/install-deps.sh test, or cd tests/node && npm ci): ' + e.message);
  process.exit(1);
}

// --- child processes -------------------------------------------------------------------------
const children = new Set();
function killAll() {
  for (const c of children) {
    try { c.kill('SIGTERM'); } catch (_) { /* already gone */ }
  }
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => { killAll(); process.exit(1); });
}
process.on('unhandledRejection', (e) => { console.error('unhandled rejection:', e); process.exit(1); });

/// Spawns `cmd args`, resolves when a stdout line matches `ready` (with the match), rejects when
/// the process exits first or after `timeoutMs`.
function start(cmd, args, ready, timeoutMs = 15000) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let out = '', err = '', done = false;
    const timer = setTimeout(() => finish(new Error(`${path.basename(cmd)} did not start in ${timeoutMs} ms\n${out}${err}`)), timeoutMs);
    function finish(e, m) {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (e) reject(e); else resolve({ child, match: m, stderr: () => err });
    }
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(ready);
      if (m) finish(null, m);
    });
    child.stderr.on('data', (d) => { err += d; if (err.length > 65536) err = err.slice(-32768); });
    child.on('exit', (code, sig) => {
      children.delete(child);
      finish(new Error(`${path.basename(cmd)} exited (${code ?? sig}) before it was ready\n${out}${err}`));
    });
    child.on('error', (e) => finish(e));
  });
}

/// Stops a child started by start() and waits for it.
function stop(proc) {
  return new Promise((resolve) => {
    const c = proc.child;
    if (c.exitCode !== null || c.signalCode !== null) return resolve();
    c.once('exit', () => resolve());
    c.kill('SIGTERM');
  });
}

/// A free loopback port (the kernel's choice; for redis-server, which cannot report its own).
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

/// Starts the auth server; resolves to { base, port, proc }.
async function startService(bin, configPath, extra = []) {
  const proc = await start(bin, ['--config', configPath, '--host', '127.0.0.1', '--port', '0', ...extra],
                           /listening on http:\/\/127\.0\.0\.1:(\d+)/);
  const port = Number(proc.match[1]);
  return { base: `http://127.0.0.1:${port}`, port, proc };
}

/// Starts redis-server on a free loopback port with no persistence; resolves to { port, proc }.
async function startRedis(redisBin) {
  const port = await freePort();
  const proc = await start(redisBin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
                                      '--protected-mode', 'yes', '--daemonize', 'no', '--loglevel', 'notice',
                                      '--always-show-logo', 'no'],
                           /Ready to accept connections/);
  return { port, proc };
}

/// The first executable named `name` on PATH, or null.
function which(name) {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    const p = path.join(dir, name);
    try { fs.accessSync(p, fs.constants.X_OK); return p; } catch (_) { /* next */ }
  }
  return null;
}

// --- ably-js clients -----------------------------------------------------------------------------

/// Client options that point ably-js REST at the service: no TLS, JSON, no fallback hosts.
function restOptions(svc, more = {}) {
  return Object.assign({ restHost: '127.0.0.1', port: svc.port, tls: false, useBinaryProtocol: false,
                         fallbackHosts: [], logLevel: 0 }, more);
}

/// An ably-js REST client that gets its tokens from the service's /auth as user `session`.
function userClient(svc, session, more = {}) {
  return new Ably.Rest(restOptions(svc, Object.assign({
    authUrl: `${svc.base}/auth`,
    authHeaders: { Authorization: `Bearer ${session}` },
  }, more)));
}

// --- assertions ----------------------------------------------------------------------------------
let failures = 0, passes = 0;
function check(cond, what) {
  if (cond) { passes++; console.log(`ok - ${what}`); } else { failures++; console.log(`not ok - ${what}`); }
  return cond;
}
function equal(actual, expected, what) {
  const ok = JSON.stringify(actual) === JSON.stringify(expected);
  return check(ok, ok ? what : `${what}: got ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
}
/// Awaits `p`; checks it resolves.
async function resolves(p, what) {
  try { const v = await p; check(true, what); return v; } catch (e) {
    check(false, `${what}: rejected with ${e && e.code} ${e && e.message}`);
    return undefined;
  }
}
/// Awaits `p`; checks it rejects with Ably error `code` and HTTP `status`.
async function rejects(p, code, status, what) {
  try { await p; check(false, `${what}: resolved, expected error ${code}`); return undefined; } catch (e) {
    const ok = e && e.code === code && e.statusCode === status;
    check(ok, ok ? `${what} (${code})` : `${what}: got ${e && e.code}/${e && e.statusCode} ${e && e.message}, expected ${code}/${status}`);
    return e;
  }
}
function summary() {
  console.log(`# ${passes} passed, ${failures} failed`);
  return failures === 0 ? 0 : 1;
}

/// GET/POST with fetch; resolves to { status, json, text, headers }.
async function http(method, url, { headers = {}, body } = {}) {
  const r = await fetch(url, { method, headers, body });
  const text = await r.text();
  let json;
  try { json = JSON.parse(text); } catch (_) { json = undefined; }
  return { status: r.status, json, text, headers: r.headers };
}

/// Reads a command-line option `--name value`.
function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

module.exports = { Ably, SKIP, start, stop, freePort, startService, startRedis, which, restOptions, userClient,
                   check, equal, resolves, rejects, summary, http, arg };
