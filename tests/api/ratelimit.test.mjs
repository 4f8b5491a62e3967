// Rate limits, each test on its own server with RATE_LIMIT=on and small
// maxima: the /api/ limit with its RateLimit-* and Retry-After headers, the
// /api/auth/ limit that counts only failed requests, and X-Forwarded-For
// believed only from TRUST_PROXY addresses.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

import { Client, newIdentity } from '../support/client.mjs';
import { expectError } from '../support/errors.mjs';
import { gateway, startServer } from '../support/server.mjs';

const TOO_MANY = 'Too many requests from this IP, please try again later.';
const WINDOW_MS = 60000;

describe('rate limits', () => {
  const servers = [];
  async function limited(env) {
    const server = await startServer({
      RATE_LIMIT: 'on',
      RATE_LIMIT_WINDOW_MS: String(WINDOW_MS),
      AUTH_RATE_LIMIT_WINDOW_MS: String(WINDOW_MS),
      ...env,
    });
    servers.push(server);
    return server;
  }
  after(async () => {
    const codes = [];
    for (const server of servers) codes.push(await server.close()); // close all before asserting
    servers.forEach((server, i) => assert.equal(codes[i], 0, `lsf-server did not exit 0 on SIGTERM:\n${server.stderr()}`));
  });

  function assertLimitHeaders(res, limit, remaining) {
    assert.equal(res.headers.get('ratelimit-limit'), String(limit));
    assert.equal(res.headers.get('ratelimit-remaining'), String(remaining));
    const reset = Number(res.headers.get('ratelimit-reset'));
    assert.ok(Number.isInteger(reset) && reset >= 0 && reset <= WINDOW_MS / 1000, `RateLimit-Reset ${res.headers.get('ratelimit-reset')}`);
  }

  test('/api/: N requests pass, then 429 with RateLimit-* and Retry-After', async () => {
    const server = await limited({ RATE_LIMIT_MAX: '3', AUTH_RATE_LIMIT_MAX: '100' });
    for (let i = 1; i <= 3; i++) {
      const res = await fetch(`${server.url}/api/user/data`);
      assertLimitHeaders(res, 3, 3 - i);
      assert.equal(res.headers.get('retry-after'), null);
      await expectError(res, 401, 'Not Authorized. Login Again');
    }
    const res = await fetch(`${server.url}/api/user/data`);
    assertLimitHeaders(res, 3, 0);
    const retry = Number(res.headers.get('retry-after'));
    assert.ok(Number.isInteger(retry) && retry > 0 && retry <= WINDOW_MS / 1000, `Retry-After ${res.headers.get('retry-after')}`);
    await expectError(res, 429, TOO_MANY);
    // other /api/ routes share the bucket (through the gateway: another process), unknown ones included
    await expectError(await fetch(`${server.url}/api/auth/is-auth`), 429, TOO_MANY);
    // / and /health are not limited; through the gateway, nginx answers unknown /api/ paths (404) and / (web client)
    if (!gateway) {
      await expectError(await fetch(`${server.url}/api/unknown`), 429, TOO_MANY);
      const root = await fetch(`${server.url}/`);
      assert.equal(root.status, 200);
      assert.equal(await root.text(), 'API Working');
      assert.equal(root.headers.get('ratelimit-limit'), null);
    }
    const health = await fetch(`${server.url}/health`);
    assert.equal(health.status, 200);
    await health.arrayBuffer();
  });

  test('/api/auth/: successful logins do not count, failed ones do', async () => {
    const server = await limited({ RATE_LIMIT_MAX: '1000', AUTH_RATE_LIMIT_MAX: '3' });
    const id = newIdentity('rl');
    const session = new Client(server.url);
    assert.equal((await session.register(id)).status, 201);
    for (let i = 0; i < 6; i++) {
      const res = await new Client(server.url).login(id);
      assert.equal(res.status, 200, `successful login ${i + 1}: ${await res.text()}`);
    }
    const wrong = { ...id, password: 'wrong-password' };
    for (let i = 0; i < 3; i++) await expectError(await new Client(server.url).login(wrong), 401, 'Invalid email or password');
    const blocked = await new Client(server.url).login(wrong);
    assert.ok(blocked.headers.get('retry-after'), 'Retry-After on 429');
    await expectError(blocked, 429, TOO_MANY);
    // once over, even the right password waits for the window
    await expectError(await new Client(server.url).login(id), 429, TOO_MANY);
    // the /api/ limit is separate: a session still reads its data
    const data = await session.get('/api/user/data');
    assert.equal(data.status, 200);
    assert.equal(data.headers.get('ratelimit-limit'), '1000');
    await data.arrayBuffer();
  });

  test('/api/auth/: validation failures count as failed requests', async () => {
    const server = await limited({ RATE_LIMIT_MAX: '1000', AUTH_RATE_LIMIT_MAX: '2' });
    const client = new Client(server.url);
    await expectError(await client.post('/api/auth/register', {}), 400, 'Missing Details');
    await expectError(await client.post('/api/auth/send-reset-otp', {}), 400, 'Email is required');
    await expectError(await client.post('/api/auth/register', {}), 429, TOO_MANY);
  });

  // /api/user/data is under the /api/ limit only; without a session it answers 401
  const NOT_AUTHORIZED = 'Not Authorized. Login Again';
  const from = (server, ip) => fetch(`${server.url}/api/user/data`, { headers: ip ? { 'x-forwarded-for': ip } : {} });

  test('X-Forwarded-For is ignored without TRUST_PROXY', async () => {
    const server = await limited({ RATE_LIMIT_MAX: '2', AUTH_RATE_LIMIT_MAX: '100' });
    await expectError(await from(server, '198.51.100.1'), 401, NOT_AUTHORIZED);
    await expectError(await from(server, '198.51.100.2'), 401, NOT_AUTHORIZED);
    await expectError(await from(server, '198.51.100.3'), 429, TOO_MANY);
    await expectError(await from(server), 429, TOO_MANY);
  });

  // nginx (the edge) replaces a client's X-Forwarded-For with the client's address; tests/scale/forwarded.test.mjs covers it
  const edge = gateway && 'gateway: nginx replaces the X-Forwarded-For a client sends';
  test('with TRUST_PROXY=127.0.0.1, each X-Forwarded-For client has its own bucket', { skip: edge }, async () => {
    const server = await limited({ RATE_LIMIT_MAX: '2', AUTH_RATE_LIMIT_MAX: '100', TRUST_PROXY: '127.0.0.1' });
    await expectError(await from(server, '198.51.100.7'), 401, NOT_AUTHORIZED);
    await expectError(await from(server, '198.51.100.7'), 401, NOT_AUTHORIZED);
    await expectError(await from(server, '198.51.100.7'), 429, TOO_MANY);
    const other = await from(server, '198.51.100.8');
    assertLimitHeaders(other, 2, 1);
    await expectError(other, 401, NOT_AUTHORIZED);
    // the rightmost untrusted hop is the client: a spoofed leftmost entry does not escape the bucket
    await expectError(await from(server, '203.0.113.99, 198.51.100.7'), 429, TOO_MANY);
    // the proxy's own address (no header) is yet another bucket
    const direct = await from(server);
    assertLimitHeaders(direct, 2, 1);
    await expectError(direct, 401, NOT_AUTHORIZED);
  });
});
