// Logs: the access log has one Apache combined-format line per request (then
// the request id, trace id and span id), and
// no password, OTP, session token (JWT, as cookie or Bearer), token fragment
// or JWT_SECRET ever reaches the access log or stderr. Checked after a full
// register/verify/reset/logout run at LOG_LEVEL=info and at LOG_LEVEL=debug,
// with the error paths that log: wrong password, wrong OTPs, malformed JSON,
// forged, tampered and revoked tokens, and (on SQLite, through a trigger the
// test adds) 500s on a request carrying a password and on one carrying a cookie.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHmac, randomBytes, randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { Client, newIdentity } from '../support/client.mjs';
import { requireOrSkip } from '../support/require.mjs';
import { errorMode, postgres, startServer } from '../support/server.mjs';

const COMBINED = /^(\S+) - - \[(\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4})\] "(\S+) (\S+) HTTP\/1\.[01]" (\d{3}) (\d+|-) "((?:[^"\\]|\\x[0-9A-F]{2})*)" "((?:[^"\\]|\\x[0-9A-F]{2})*)" "([A-Za-z0-9._:-]{1,128})" "([0-9a-f]{32})" "([0-9a-f]{16})"$/;

const SQLITE3_CLI = spawnSync('sqlite3', ['-version']).status === 0;

const b64url = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

// An HS256 JWT with claims like the server's, signed with key.
function jwtSigned(key, claims) {
  const head = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(claims)}`;
  return `${head}.${createHmac('sha256', key).update(head).digest('base64url')}`;
}

// A 6-digit code other than `not`.
function otherOtp(not) {
  let otp;
  do otp = String(randomInt(100000, 1000000));
  while (otp === not);
  return otp;
}

// SQLite database of the server, when it has one and the sqlite3 CLI is here.
function sqliteDb(server) {
  const db = path.join(server.dir, 'lsf.db');
  return existsSync(db) && SQLITE3_CLI ? db : null;
}

function sqlite(db, sql) {
  const r = spawnSync('sqlite3', ['-cmd', '.timeout 5000', db, sql], { encoding: 'utf8' });
  assert.equal(r.status, 0, `sqlite3: ${r.stderr}`);
}

// The whole account story with its error paths; returns every secret that
// crossed the wire and how many 500s were provoked.
async function accountStory(server, jwtSecret, marker) {
  const secrets = [jwtSecret];
  const ua = { headers: { 'user-agent': marker, referer: 'http://localhost:5173/login' } };
  const done = async (res) => (await res.arrayBuffer(), res.status);
  // the answer is the error `status` (ERROR_STATUS=legacy answers most errors 200, success false)
  const refused = async (res, status) => {
    const text = await res.text();
    const body = /^application\/json/.test(res.headers.get('content-type') ?? '') ? JSON.parse(text) : null;
    return body?.success === false && (errorMode === 'legacy' || res.status === status);
  };
  const id = newIdentity('secrets');
  const client = new Client(server.url);
  await done(await client.post('/api/auth/register', id, ua));
  const first = client.token; // the jar forgets it at logout
  secrets.push(id.password, first, `token=${first}`);

  // verification: a wrong code first
  await done(await client.post('/api/auth/send-verify-otp', undefined, ua));
  const verify = await server.sink.waitForOtp(id.email, { match: (m) => /verification/i.test(m.subject) });
  const wrongVerify = otherOtp(verify.otp);
  assert.ok(await refused(await client.post('/api/auth/verify-account', { otp: wrongVerify }, ua), 400));
  await done(await client.post('/api/auth/verify-account', { otp: verify.otp }, ua));
  secrets.push(verify.otp, wrongVerify);

  // a wrong password, and one in a body that is not JSON
  const wrong = `${id.password}-wrong`;
  assert.ok(await refused(await client.post('/api/auth/login', { email: id.email, password: wrong }, ua), 401));
  const broken = `${id.password}-broken`;
  assert.ok(await refused(await fetch(`${server.url}/api/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json', ...ua.headers },
    body: `{"email":"${id.email}","password":"${broken}`,
  }), 400));
  secrets.push(wrong, broken);

  // reset: a wrong code first, then the right one
  await done(await client.post('/api/auth/send-reset-otp', { email: id.email }, ua));
  const reset = await server.sink.waitForOtp(id.email, { match: (m) => /reset/i.test(m.subject) });
  const wrongReset = otherOtp(reset.otp);
  const newPassword = `${id.password}-new`;
  const unused = `${id.password}-refused`;
  assert.ok(await refused(await client.post('/api/auth/reset-password',
    { email: id.email, otp: wrongReset, newPassword: unused }, ua), 400));
  await done(await client.post('/api/auth/reset-password', { email: id.email, otp: reset.otp, newPassword }, ua));
  secrets.push(reset.otp, wrongReset, newPassword, unused);
  const fresh = new Client(server.url);
  await done(await fresh.post('/api/auth/login', { email: id.email, password: newPassword }, ua));
  const token = fresh.token;
  secrets.push(token, `token=${token}`);

  // tokens that must be refused: forged with another key, tampered, unsigned
  const [h, p, sig] = token.split('.');
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
  const forged = jwtSigned(randomBytes(32).toString('hex'), claims);
  const tampered = `${h}.${p}.${sig.slice(0, -2)}${sig.endsWith('AA') ? 'BB' : 'AA'}`;
  const unsigned = `${b64url({ alg: 'none', typ: 'JWT' })}.${p}.`;
  for (const bad of [forged, tampered, unsigned]) {
    for (const headers of [{ cookie: `token=${bad}` }, { authorization: `Bearer ${bad}` }]) {
      assert.ok(await refused(await fetch(`${server.url}/api/user/data`, { headers: { ...headers, ...ua.headers } }), 401));
    }
  }
  secrets.push(forged, tampered);

  // 500s, on SQLite: a trigger that fails every insert into users and tasks
  let provoked = 0;
  const db = sqliteDb(server);
  if (db) {
    sqlite(db, `CREATE TRIGGER lsf_test_fail_users BEFORE INSERT ON users BEGIN SELECT abs(-9223372036854775807 - 1); END;
                CREATE TRIGGER lsf_test_fail_tasks BEFORE INSERT ON tasks BEGIN SELECT abs(-9223372036854775807 - 1); END;`);
    const other = newIdentity('secrets500');
    const failed = await fetch(`${server.url}/api/auth/register`, {
      method: 'POST', headers: { 'content-type': 'application/json', ...ua.headers }, body: JSON.stringify(other),
    });
    assert.ok(await refused(failed, 500));
    const task = await fresh.post('/api/tasks', { title: 'never stored' }, ua);
    assert.ok(await refused(task, 500));
    provoked = 2;
    secrets.push(other.password);
    sqlite(db, 'DROP TRIGGER lsf_test_fail_users; DROP TRIGGER lsf_test_fail_tasks;');
  }

  // logout, then the revoked token
  await done(await fresh.post('/api/auth/logout', undefined, ua));
  assert.ok(await refused(await fetch(`${server.url}/api/user/data`, { headers: { cookie: `token=${token}`, ...ua.headers } }), 401));
  await done(await fetch(`${server.url}/api/user/data?x="quoted"`, { headers: { 'user-agent': 'evil"\\agent', authorization: `Bearer ${token}` } }));
  return { secrets, provoked, tokens: [first, token, forged, tampered] };
}

// True when secret is in text (a 6-digit OTP only as a whole number:
// timestamps are full of digit runs).
const found = (text, secret) => (/^\d{6}$/.test(secret) ? new RegExp(`(?<!\\d)${secret}(?!\\d)`).test(text) : text.includes(secret));

for (const level of ['debug', 'info']) {
  describe(`logs at LOG_LEVEL=${level}: access log format and no secrets`, () => {
    let server;
    let story;
    let marker;
    before(async () => {
      const jwtSecret = randomBytes(48).toString('hex');
      server = await startServer({ LOG_LEVEL: level, JWT_SECRET: jwtSecret });
      marker = `lsf-test-agent/${Date.now()}`;
      story = await accountStory(server, jwtSecret, marker);
      // stopping flushes the access log
      assert.equal(await server.stop(), 0, `SIGTERM must exit 0:\n${server.stderr()}`);
    });
    after(async () => {
      assert.equal(await server.close(), 0);
    });

    test('every access log line is in combined format', async () => {
      const lines = (await server.accessLog()).split('\n').filter(Boolean);
      assert.ok(lines.length >= 20, `expected the requests in the access log, got ${lines.length} lines`);
      for (const line of lines) assert.match(line, COMBINED);
    });

    test('access log lines carry client, method, path, status, size, referer and user agent', async () => {
      const lines = (await server.accessLog()).split('\n').filter((l) => l.includes(marker));
      const register = lines.map((l) => COMBINED.exec(l)).find((m) => m && m[4] === '/api/auth/register');
      assert.ok(register, `no register line among:\n${lines.join('\n')}`);
      assert.equal(register[1], '127.0.0.1');
      assert.equal(register[3], 'POST');
      assert.equal(register[5], '201');
      assert.ok(Number(register[6]) > 0, 'body size');
      assert.equal(register[7], 'http://localhost:5173/login');
      assert.equal(register[8], marker);
      const t = Date.parse(register[2].replace(/^(\d{2})\/(\w{3})\/(\d{4}):/, '$2 $1 $3 '));
      assert.ok(Math.abs(t - Date.now()) < 5 * 60000, `time ${register[2]}`);
    });

    test('quotes in the request cannot forge access log fields', async () => {
      const line = (await server.accessLog()).split('\n').find((l) => l.includes('/api/user/data?x='));
      assert.ok(line, 'the quoted request is logged');
      assert.match(line, COMBINED);
      assert.ok(!line.includes('evil"'), `unescaped quote in: ${line}`);
    });

    test('the provoked 500s were logged, with their request ids',
      { skip: postgres ? 'SQLite only' : requireOrSkip('the sqlite3 CLI', SQLITE3_CLI, 'apt-get install sqlite3') }, async () => {
      assert.equal(story.provoked, 2, 'the 500s were provoked through the SQLite file');
      const failures = server.stderr().split('\n').filter((l) => l.includes('"request failed"'));
      assert.ok(failures.length >= story.provoked, `"request failed" lines:\n${failures.join('\n')}`);
      for (const line of failures) assert.match(JSON.parse(line).request_id, /^[0-9a-f-]{36}$/);
    });

    test('no password, OTP, token, cookie or JWT secret appears in the access log or on stderr', async () => {
      const access = await server.accessLog();
      const stderr = server.stderr();
      assert.ok(stderr.length > 0, 'the server logged something on stderr');
      assert.equal(story.secrets.filter((s) => !s).length, 0, 'every secret was captured');
      for (const secret of story.secrets) {
        assert.ok(!found(access, secret), `secret ${secret.slice(0, 12)}… in the access log`);
        assert.ok(!found(stderr, secret), `secret ${secret.slice(0, 12)}… on stderr`);
      }
      // no token fragment either (a signature or payload alone is still sensitive)
      for (const token of story.tokens) {
        for (const part of token.split('.').slice(1)) assert.ok(!stderr.includes(part) && !access.includes(part), 'token part leaked');
      }
    });
  });
}
