// Logs: the access log has one Apache combined-format line per request, and
// no password, OTP or session token ever reaches the access log or stderr
// (checked after a full register/verify/reset/logout run at LOG_LEVEL=debug).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { Client, newIdentity } from '../support/client.mjs';
import { startServer } from '../support/server.mjs';

const COMBINED = /^(\S+) - - \[(\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4})\] "(\S+) (\S+) HTTP\/1\.[01]" (\d{3}) (\d+|-) "((?:[^"\\]|\\x[0-9A-F]{2})*)" "((?:[^"\\]|\\x[0-9A-F]{2})*)" "([A-Za-z0-9._:-]{1,128})"$/;

describe('logs: access log format and no secrets', () => {
  let server;
  const secrets = [];
  let marker;
  before(async () => {
    server = await startServer({ LOG_LEVEL: 'debug' });
    marker = `lsf-test-agent/${Date.now()}`;

    // a full account lifecycle, remembering every secret that crossed the wire
    const id = newIdentity('secrets');
    const client = new Client(server.url);
    const ua = { headers: { 'user-agent': marker, referer: 'http://localhost:5173/login' } };
    await (await client.post('/api/auth/register', id, ua)).arrayBuffer();
    secrets.push(id.password, client.token);
    await (await client.post('/api/auth/send-verify-otp', undefined, ua)).arrayBuffer();
    const verify = await server.sink.waitForOtp(id.email, { match: (m) => /verification/i.test(m.subject) });
    secrets.push(verify.otp);
    await (await client.post('/api/auth/verify-account', { otp: verify.otp }, ua)).arrayBuffer();
    await (await client.post('/api/auth/login', { email: id.email, password: `${id.password}-wrong` }, ua)).arrayBuffer();
    secrets.push(`${id.password}-wrong`);
    await (await client.post('/api/auth/send-reset-otp', { email: id.email }, ua)).arrayBuffer();
    const reset = await server.sink.waitForOtp(id.email, { match: (m) => /reset/i.test(m.subject) });
    secrets.push(reset.otp);
    const newPassword = `${id.password}-new`;
    await (await client.post('/api/auth/reset-password', { email: id.email, otp: reset.otp, newPassword }, ua)).arrayBuffer();
    secrets.push(newPassword);
    const fresh = new Client(server.url);
    await (await fresh.post('/api/auth/login', { email: id.email, password: newPassword }, ua)).arrayBuffer();
    secrets.push(fresh.token);
    await (await fresh.post('/api/auth/logout', undefined, ua)).arrayBuffer();
    await (await fetch(`${server.url}/api/user/data?x="quoted"`, { headers: { 'user-agent': 'evil"\\agent', authorization: `Bearer ${fresh.token}` } })).arrayBuffer();
    // stopping flushes the access log
    assert.equal(await server.stop(), 0, `SIGTERM must exit 0:\n${server.stderr()}`);
  });
  after(async () => {
    assert.equal(await server.close(), 0);
  });

  test('every access log line is in combined format', async () => {
    const lines = (await server.accessLog()).split('\n').filter(Boolean);
    assert.ok(lines.length >= 10, `expected the requests in the access log, got ${lines.length} lines`);
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

  test('no password, OTP or token appears in the access log or on stderr', async () => {
    const access = await server.accessLog();
    const stderr = server.stderr();
    assert.ok(stderr.length > 0, 'the server logged something on stderr');
    assert.equal(secrets.filter((s) => !s).length, 0, 'every secret was captured');
    for (const secret of secrets) {
      // a 6-digit OTP only counts as a whole number (timestamps are full of digit runs)
      const found = (text) => (/^\d{6}$/.test(secret) ? new RegExp(`(?<!\\d)${secret}(?!\\d)`).test(text) : text.includes(secret));
      assert.ok(!found(access), `secret ${secret.slice(0, 12)}… in the access log`);
      assert.ok(!found(stderr), `secret ${secret.slice(0, 12)}… on stderr`);
    }
    // no token fragment either (a signature or payload alone is still sensitive)
    for (const token of [secrets[1], secrets.at(-1)]) {
      for (const part of token.split('.').slice(1)) assert.ok(!stderr.includes(part) && !access.includes(part), 'token part leaked');
    }
  });
});
