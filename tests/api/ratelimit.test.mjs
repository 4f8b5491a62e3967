// Rate limits, each test on its own server with RATE_LIMIT=on and small
// maxima: the /api/ limit per client IP (IPv6 per /64) for anonymous
// requests and per account for signed-in ones, the failed-attempts limit
// that counts and blocks only the credential endpoints, logout that is never
// refused, the RateLimit-* and Retry-After headers of the bucket that was
// hit, and X-Forwarded-For believed only from TRUST_PROXY addresses.
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';

import { Client, jsonBody, newIdentity, parseSetCookie, registeredClient } from '../support/client.mjs';
import { expectError } from '../support/errors.mjs';
import { gateway, startServer } from '../support/server.mjs';
import { settle } from '../support/wait.mjs';

const TOO_MANY = 'Too many requests from this IP, please try again later.';
const TOO_MANY_ACCOUNT = 'Too many requests from this account, please try again later.';
const FAILED_IP = 'Too many failed attempts from this IP, please try again later.';
const FAILED_ACCOUNT = 'Too many failed attempts from this account, please try again later.';
const NOT_AUTHORIZED = 'Not Authorized. Login Again';
const WINDOW_MS = 60000;

// The user id a session token carries (read, not verified: the server does that).
const tokenUserId = (token) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url')).id;

// A well-formed HS256 token for userId, signed with a key the server does not have.
function forgedToken(userId) {
  const b64 = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ id: userId, jti: '019b76da-a87b-7fed-92ba-d980333ca82a', iat: now, exp: now + 3600 })}`;
  return `${input}.${createHmac('sha256', randomBytes(32)).update(input).digest('base64url')}`;
}

// A 429 of the named limit: status 429 in both error modes, the headers of
// the bucket that refused (limit max, none left, Retry-After), and a body
// naming the limit.
async function expectLimited(res, { limit, max, message }) {
  const text = await res.text();
  assert.equal(res.status, 429, `expected 429 (${limit}), got ${res.status}: ${text.slice(0, 300)}`);
  assert.match(res.headers.get('content-type') || '', /^application\/json/i);
  assert.deepEqual(JSON.parse(text), { success: false, message, limit });
  assert.equal(res.headers.get('ratelimit-limit'), String(max), 'RateLimit-Limit of the bucket that refused');
  assert.equal(res.headers.get('ratelimit-remaining'), '0');
  const retry = Number(res.headers.get('retry-after'));
  assert.ok(Number.isInteger(retry) && retry > 0 && retry <= WINDOW_MS / 1000, `Retry-After ${res.headers.get('retry-after')}`);
  assert.equal(res.headers.get('ratelimit-reset'), res.headers.get('retry-after'));
}

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
    await expectLimited(await fetch(`${server.url}/api/user/data`), { limit: 'api', max: 3, message: TOO_MANY });
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
    await expectLimited(blocked, { limit: 'auth', max: 3, message: FAILED_IP });
    // once over, even the right password waits for the window
    await expectLimited(await new Client(server.url).login(id), { limit: 'auth', max: 3, message: FAILED_IP });
    // the other limits are separate: a session still reads its data, counted for its account (default 3000)
    const data = await session.get('/api/user/data');
    assert.equal(data.status, 200);
    assert.equal(data.headers.get('ratelimit-limit'), '3000');
    await data.arrayBuffer();
  });

  test('/api/auth/: validation failures count as failed requests', async () => {
    const server = await limited({ RATE_LIMIT_MAX: '1000', AUTH_RATE_LIMIT_MAX: '2' });
    const client = new Client(server.url);
    await expectError(await client.post('/api/auth/register', {}), 400, 'Missing Details');
    await expectError(await client.post('/api/auth/send-reset-otp', {}), 400, 'Email is required');
    await expectLimited(await client.post('/api/auth/register', {}), { limit: 'auth', max: 2, message: FAILED_IP });
  });

  // /api/user/data is under the /api/ limit only; without a session it answers 401
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
  test('signed-in requests count per account with RATE_LIMIT_USER_MAX, anonymous ones per IP', async () => {
    const server = await limited({ RATE_LIMIT_MAX: '3', RATE_LIMIT_USER_MAX: '5', AUTH_RATE_LIMIT_MAX: '100' });
    const { client: a } = await registeredClient(server.url, 'rl-a'); // anonymous: IP 1 of 3
    const { client: b } = await registeredClient(server.url, 'rl-b'); // IP 2 of 3
    for (let i = 1; i <= 5; i++) {
      const res = await a.get('/api/tasks');
      assert.equal(res.status, 200, `signed-in request ${i}: ${await res.text()}`);
      assertLimitHeaders(res, 5, 5 - i);
    }
    await expectLimited(await a.get('/api/tasks'), { limit: 'user', max: 5, message: TOO_MANY_ACCOUNT });
    // another account from the same IP has its own bucket
    const other = await b.get('/api/user/data');
    assert.equal(other.status, 200);
    assertLimitHeaders(other, 5, 4);
    await other.arrayBuffer();
    // anonymous requests from that IP have theirs, which the accounts did not use
    const anon = await fetch(`${server.url}/api/user/data`);
    assertLimitHeaders(anon, 3, 0);
    await expectError(anon, 401, NOT_AUTHORIZED);
    await expectLimited(await fetch(`${server.url}/api/user/data`), { limit: 'api', max: 3, message: TOO_MANY });
    const after = await b.get('/api/tasks');
    assert.equal(after.status, 200, 'an exhausted IP bucket does not stop a signed-in user');
    assertLimitHeaders(after, 5, 3);
    await after.arrayBuffer();
  });

  test('a token that fails verification counts per IP, never against the account it names', async () => {
    const server = await limited({ RATE_LIMIT_MAX: '3', RATE_LIMIT_USER_MAX: '4', AUTH_RATE_LIMIT_MAX: '100' });
    const { client: victim } = await registeredClient(server.url, 'rl-victim'); // IP 1 of 3
    const forged = { headers: { authorization: `Bearer ${forgedToken(tokenUserId(victim.token))}` }, cookies: false };
    const anon = new Client(server.url);
    await expectError(await anon.get('/api/tasks', forged), 401, NOT_AUTHORIZED); // IP 2
    await expectError(await anon.get('/api/tasks', forged), 401, NOT_AUTHORIZED); // IP 3
    for (let i = 0; i < 5; i++) await expectLimited(await anon.get('/api/tasks', forged), { limit: 'api', max: 3, message: TOO_MANY });
    // the victim's own bucket is untouched: 4 of 4 left before this request
    const res = await victim.get('/api/tasks');
    assert.equal(res.status, 200, await res.text());
    assertLimitHeaders(res, 4, 3);
  });

  test('logout is counted but never refused: it always revokes the token and clears the cookie', async () => {
    const server = await limited({ RATE_LIMIT_MAX: '2', RATE_LIMIT_USER_MAX: '2', AUTH_RATE_LIMIT_MAX: '1' });
    const { client } = await registeredClient(server.url, 'rl-logout'); // IP 1 of 2
    const token = client.token;
    for (let i = 0; i < 2; i++) assert.equal((await client.get('/api/tasks')).status, 200);
    await expectLimited(await client.get('/api/user/data'), { limit: 'user', max: 2, message: TOO_MANY_ACCOUNT });
    const out = await client.post('/api/auth/logout');
    assert.equal(out.status, 200);
    assert.deepEqual(await jsonBody(out), { success: true, message: 'Logged Out' });
    const cookie = parseSetCookie(out.headers.getSetCookie().find((l) => l.startsWith('token=')) ?? '');
    assert.equal(cookie.value, '', 'the cookie is cleared');
    assert.equal(out.headers.get('ratelimit-remaining'), '0', 'counted in the account bucket');
    assert.equal(out.headers.get('retry-after'), null);
    // the token is revoked: is-auth says so (the request counts per IP now: 2 of 2)
    const check = await new Client(server.url).get('/api/auth/is-auth', { headers: { authorization: `Bearer ${token}` }, cookies: false });
    assert.deepEqual(await jsonBody(check), { success: false, message: NOT_AUTHORIZED });
    // anonymous logouts past the IP limit still answer, and still count
    for (let i = 0; i < 3; i++) {
      const res = await new Client(server.url).post('/api/auth/logout');
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('ratelimit-remaining'), '0');
      assert.deepEqual(await jsonBody(res), { success: true, message: 'Logged Out' });
    }
    await expectLimited(await fetch(`${server.url}/api/user/data`), { limit: 'api', max: 2, message: TOO_MANY });
  });

  test('five ordinary mistakes (wrong OTP, duplicate sign-up, two wrong passwords, a submit without session) leave is-auth alone', async () => {
    const server = await limited({}); // the plan's limits: 100 requests, 5 failed attempts
    const identity = newIdentity('rl-mistakes');
    const client = new Client(server.url);
    assert.equal((await client.register(identity)).status, 201);
    await expectError(await client.post('/api/auth/verify-account', { otp: '000000' }), 400, 'Invalid OTP');
    await expectError(await new Client(server.url).register(identity), 409, 'User already exists');
    for (let i = 0; i < 2; i++)
      await expectError(await new Client(server.url).login({ ...identity, password: 'wrong-password' }), 401, 'Invalid email or password');
    await expectError(await new Client(server.url).post('/api/auth/send-verify-otp'), 401, NOT_AUTHORIZED);

    // the session still looks signed in on reload, and works
    const isAuth = await client.get('/api/auth/is-auth');
    assert.equal(isAuth.status, 200);
    assert.deepEqual(await jsonBody(isAuth), { success: true });
    const data = await client.get('/api/user/data');
    assert.equal(data.status, 200);
    assert.equal((await jsonBody(data)).userData.email, identity.email);
    const anonIsAuth = await fetch(`${server.url}/api/auth/is-auth`);
    assert.deepEqual(await jsonBody(anonIsAuth), { success: false, message: NOT_AUTHORIZED });
    const out = await client.post('/api/auth/logout');
    assert.equal(out.status, 200);
    await out.arrayBuffer();

    // and the failed-attempts limit still guards sign-in: four of the five
    // mistakes came from this IP without a session, the wrong OTP from the account
    await expectError(await new Client(server.url).login({ ...identity, password: 'wrong-password' }), 401, 'Invalid email or password');
    await expectLimited(await new Client(server.url).login({ ...identity, password: 'wrong-password' }), { limit: 'auth', max: 5, message: FAILED_IP });
    await expectLimited(await new Client(server.url).login(identity), { limit: 'auth', max: 5, message: FAILED_IP });
  });

  test('the failed-attempts limit counts and blocks only register, login, the OTP and reset endpoints', async () => {
    const server = await limited({ RATE_LIMIT_MAX: '1000', AUTH_RATE_LIMIT_MAX: '1' });
    const { client, identity } = await registeredClient(server.url, 'rl-only');
    // answers without a session are not failed attempts here
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(await jsonBody(await fetch(`${server.url}/api/auth/is-auth`)), { success: false, message: NOT_AUTHORIZED });
      await expectError(await fetch(`${server.url}/api/user/data`), 401, NOT_AUTHORIZED);
      assert.equal((await new Client(server.url).post('/api/auth/logout')).status, 200);
    }
    const wrong = { ...identity, password: 'wrong-password' };
    await expectError(await new Client(server.url).login(wrong), 401, 'Invalid email or password');
    await expectLimited(await new Client(server.url).login(wrong), { limit: 'auth', max: 1, message: FAILED_IP });
    // every anonymous credential endpoint is blocked for this IP now
    const anon = new Client(server.url);
    await expectLimited(await anon.register(newIdentity('rl-late')), { limit: 'auth', max: 1, message: FAILED_IP });
    await expectLimited(await anon.login(identity), { limit: 'auth', max: 1, message: FAILED_IP });
    await expectLimited(await anon.post('/api/auth/send-reset-otp', { email: identity.email }), { limit: 'auth', max: 1, message: FAILED_IP });
    await expectLimited(await anon.post('/api/auth/reset-password', { email: identity.email, otp: '000000', newPassword: 'another-password' }), { limit: 'auth', max: 1, message: FAILED_IP });
    await expectLimited(await anon.post('/api/auth/send-verify-otp'), { limit: 'auth', max: 1, message: FAILED_IP });
    // the signed-in user is not: is-auth, user data and tasks answer
    assert.deepEqual(await jsonBody(await client.get('/api/auth/is-auth')), { success: true });
    assert.equal((await client.get('/api/user/data')).status, 200);
    assert.equal((await client.get('/api/tasks')).status, 200);
    // the account's own failed attempts (a wrong OTP) are counted for the account
    await expectError(await client.post('/api/auth/verify-account', { otp: '000000' }), 400, 'Invalid OTP');
    await expectLimited(await client.post('/api/auth/verify-account', { otp: '000000' }), { limit: 'auth', max: 1, message: FAILED_ACCOUNT });
    await expectLimited(await client.post('/api/auth/send-verify-otp'), { limit: 'auth', max: 1, message: FAILED_ACCOUNT });
    assert.deepEqual(await jsonBody(await client.get('/api/auth/is-auth')), { success: true });
    const out = await client.post('/api/auth/logout');
    assert.equal(out.status, 200);
    assert.equal(client.token, undefined, 'logged out');
  });

  // IPv6 clients behind a trusted proxy: one bucket per /64 (RATE_LIMIT_IPV6_PREFIX)
  test('IPv6 clients share a bucket per /64, and the access log keeps the full address', { skip: edge }, async () => {
    const server = await limited({ RATE_LIMIT_MAX: '2', AUTH_RATE_LIMIT_MAX: '100', TRUST_PROXY: '127.0.0.1' });
    const first = await from(server, '2001:db8:1:2::1');
    assertLimitHeaders(first, 2, 1);
    await expectError(first, 401, NOT_AUTHORIZED);
    await expectError(await from(server, '2001:db8:1:2:ffff:ffff:ffff:fffe'), 401, NOT_AUTHORIZED);
    await expectLimited(await from(server, '2001:DB8:1:2::abcd'), { limit: 'api', max: 2, message: TOO_MANY });
    const next = await from(server, '2001:db8:1:3::1'); // the next /64
    assertLimitHeaders(next, 2, 1);
    await expectError(next, 401, NOT_AUTHORIZED);
    // an IPv4-mapped address is that IPv4 client, not one bucket for all of IPv4
    assertLimitHeaders(await from(server, '::ffff:198.51.100.7'), 2, 1);
    assertLimitHeaders(await from(server, '198.51.100.7'), 2, 0);
    assertLimitHeaders(await from(server, '::ffff:198.51.100.8'), 2, 1);
    const ips = ['2001:db8:1:2::1', '2001:db8:1:2:ffff:ffff:ffff:fffe', '2001:db8:1:2::abcd', '2001:db8:1:3::1'];
    const logged = (log) => ips.every((ip) => log.split('\n').some((line) => line.startsWith(`${ip} - - [`)));
    const log = await settle(() => server.accessLog(), logged); // flushed about once a second
    assert.ok(logged(log), `an access log line for each of ${ips.join(', ')}:\n${log}`);
  });

  test('RATE_LIMIT_IPV6_PREFIX=48 widens the IPv6 bucket', { skip: edge }, async () => {
    const server = await limited({ RATE_LIMIT_MAX: '2', AUTH_RATE_LIMIT_MAX: '100', TRUST_PROXY: '127.0.0.1', RATE_LIMIT_IPV6_PREFIX: '48' });
    await expectError(await from(server, '2001:db8:1:2::1'), 401, NOT_AUTHORIZED);
    await expectError(await from(server, '2001:db8:1:3::1'), 401, NOT_AUTHORIZED);
    await expectLimited(await from(server, '2001:db8:1:ffff::1'), { limit: 'api', max: 2, message: TOO_MANY });
    assertLimitHeaders(await from(server, '2001:db8:2::1'), 2, 1);
  });

  test('a signed-in user keeps one bucket from every address', { skip: edge }, async () => {
    const server = await limited({ RATE_LIMIT_MAX: '100', RATE_LIMIT_USER_MAX: '3', AUTH_RATE_LIMIT_MAX: '100', TRUST_PROXY: '127.0.0.1' });
    const { client } = await registeredClient(server.url, 'rl-roam');
    const via = (ip) => client.get('/api/tasks', { headers: { 'x-forwarded-for': ip } });
    assertLimitHeaders(await via('198.51.100.20'), 3, 2);
    assertLimitHeaders(await via('2001:db8:9::1'), 3, 1);
    assertLimitHeaders(await via('203.0.113.5'), 3, 0);
    await expectLimited(await via('192.0.2.44'), { limit: 'user', max: 3, message: TOO_MANY_ACCOUNT });
  });
});
