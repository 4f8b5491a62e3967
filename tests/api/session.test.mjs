// Sessions: the token is accepted as the `token` cookie and as a Bearer
// header, is-auth answers 200 either way, logout clears the cookie and
// revokes every valid token presented (and only those), and tampered,
// expired, foreign-key, alg=none or crit-carrying tokens are refused.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { Client, jsonBody, newIdentity, parseSetCookie, registeredClient } from '../support/client.mjs';
import { expectError } from '../support/errors.mjs';
import { startServer } from '../support/server.mjs';

const NOT_AUTHORIZED = 'Not Authorized. Login Again';
const b64url = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

function decodeJwt(token) {
  const [h, p] = token.split('.');
  return { header: JSON.parse(Buffer.from(h, 'base64url')), payload: JSON.parse(Buffer.from(p, 'base64url')) };
}

function signJwt(header, payload, secret) {
  const input = `${b64url(header)}.${b64url(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

const bearer = (token) => ({ headers: { authorization: `Bearer ${token}` }, cookies: false });

describe('session: tokens, is-auth, logout and revocation', () => {
  let server;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    assert.equal(await server.close(), 0, `lsf-server did not exit 0 on SIGTERM:\n${server.stderr()}`);
  });

  test('the token works as the `token` cookie and as Authorization: Bearer', async () => {
    const { client } = await registeredClient(server.url, 'both');
    const token = client.token;
    const viaCookie = await fetch(`${server.url}/api/user/data`, { headers: { cookie: `theme=dark; token=${token}; x=1` } });
    assert.equal(viaCookie.status, 200);
    assert.equal((await jsonBody(viaCookie)).success, true);
    const anon = new Client(server.url);
    const viaBearer = await anon.get('/api/user/data', bearer(token));
    assert.equal(viaBearer.status, 200);
    assert.equal((await jsonBody(viaBearer)).success, true);
  });

  test('is-auth answers {success:true} with a valid token', async () => {
    const { client } = await registeredClient(server.url, 'isauth');
    const res = await client.get('/api/auth/is-auth');
    assert.equal(res.status, 200);
    assert.deepEqual(await jsonBody(res), { success: true });
    const viaBearer = await new Client(server.url).get('/api/auth/is-auth', bearer(client.token));
    assert.deepEqual(await jsonBody(viaBearer), { success: true });
  });

  test('is-auth without a valid token answers 200 {success:false} in both error modes', async () => {
    const cases = [{}, { cookie: 'token=garbage' }, { authorization: 'Bearer a.b.c' }, { authorization: 'Basic dXNlcjpwYXNz' }];
    for (const headers of cases) {
      const res = await fetch(`${server.url}/api/auth/is-auth`, { headers });
      assert.equal(res.status, 200, `is-auth with ${JSON.stringify(headers)}`);
      assert.deepEqual(await jsonBody(res), { success: false, message: NOT_AUTHORIZED });
    }
  });

  test('every authenticated route answers 401 "Not Authorized. Login Again" without a valid token', async () => {
    const routes = [['GET', '/api/user/data'], ['POST', '/api/auth/send-verify-otp'], ['POST', '/api/auth/verify-account']];
    for (const [method, path] of routes) {
      for (const headers of [{}, { cookie: 'token=' }, { cookie: 'token=abc.def.ghi' }, { authorization: 'Bearer' }, { authorization: 'Bearer x' }]) {
        const init = { method, headers: { ...headers } };
        if (method === 'POST') {
          init.headers['content-type'] = 'application/json';
          init.body = JSON.stringify({ otp: '123456' });
        }
        await expectError(await fetch(server.url + path, init), 401, NOT_AUTHORIZED);
      }
    }
  });

  test('tampered, expired, foreign-key and alg=none tokens are refused', async () => {
    const { client } = await registeredClient(server.url, 'forge');
    const secret = server.env.JWT_SECRET;
    const { header, payload } = decodeJwt(client.token);
    assert.equal(header.alg, 'HS256');
    assert.ok(payload.id && payload.exp && payload.iat, `claims: ${JSON.stringify(payload)}`);
    // control: the same claims signed with the server's key are accepted
    const resigned = signJwt(header, payload, secret);
    assert.equal((await fetch(`${server.url}/api/user/data`, bearer(resigned))).status, 200, 'control token must be accepted');

    const now = Math.floor(Date.now() / 1000);
    const bad = {
      expired: signJwt(header, { ...payload, iat: now - 8 * 86400, exp: now - 86400 }, secret),
      otherKey: signJwt(header, payload, `${secret}x`),
      algNone: `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(payload)}.`,
      tamperedPayload: `${client.token.split('.')[0]}.${b64url({ ...payload, id: `${payload.id.slice(0, -1)}${payload.id.endsWith('0') ? '1' : '0'}` })}.${client.token.split('.')[2]}`,
      truncatedSig: client.token.slice(0, -3),
      hs512: signJwt({ ...header, alg: 'HS512' }, payload, secret),
      // RFC 7515 4.1.11: an extension we do not understand must be refused, even when well signed
      crit: signJwt({ ...header, crit: ['exp'] }, payload, secret),
      critExtension: signJwt({ ...header, crit: ['x-lsf-scope'], 'x-lsf-scope': 'admin' }, payload, secret),
      critEmpty: signJwt({ ...header, crit: [] }, payload, secret),
    };
    for (const [name, token] of Object.entries(bad)) {
      const res = await fetch(`${server.url}/api/user/data`, bearer(token));
      await expectError(res, 401, NOT_AUTHORIZED).catch((err) => {
        err.message = `${name}: ${err.message}`;
        throw err;
      });
    }
  });

  test('logout answers "Logged Out", expires the cookie and revokes the token', async () => {
    const { client } = await registeredClient(server.url, 'logout');
    const token = client.token;
    const res = await client.post('/api/auth/logout');
    assert.equal(res.status, 200);
    const cookies = res.headers.getSetCookie().map(parseSetCookie).filter((c) => c.name === 'token');
    assert.equal(cookies.length, 1, 'logout sets the token cookie');
    assert.equal(cookies[0].value, '');
    assert.equal(cookies[0].attrs['max-age'], '0');
    assert.equal(cookies[0].attrs.path, '/');
    assert.equal(cookies[0].attrs.httponly, true);
    assert.deepEqual(await jsonBody(res), { success: true, message: 'Logged Out' });
    assert.equal(client.token, undefined, 'the client dropped the cookie');
    // the old token is dead server-side, by cookie and by Bearer
    await expectError(await fetch(`${server.url}/api/user/data`, bearer(token)), 401, NOT_AUTHORIZED);
    await expectError(await fetch(`${server.url}/api/user/data`, { headers: { cookie: `token=${token}` } }), 401, NOT_AUTHORIZED);
    const isAuth = await fetch(`${server.url}/api/auth/is-auth`, bearer(token));
    assert.deepEqual(await jsonBody(isAuth), { success: false, message: NOT_AUTHORIZED });
  });

  test('logout with a Bearer token revokes that token', async () => {
    const { client } = await registeredClient(server.url, 'logoutbearer');
    const token = client.token;
    const res = await new Client(server.url).post('/api/auth/logout', undefined, bearer(token));
    assert.deepEqual(await jsonBody(res), { success: true, message: 'Logged Out' });
    await expectError(await client.get('/api/user/data'), 401, NOT_AUTHORIZED);
  });

  test('logout with an invalid Bearer token and a valid cookie revokes the cookie\'s token', async () => {
    const { client } = await registeredClient(server.url, 'logoutmixed');
    const token = client.token;
    for (const bad of ['a.b.c', `${token.slice(0, -2)}xx`]) {
      const res = await client.post('/api/auth/logout', undefined, { headers: { authorization: `Bearer ${bad}`, cookie: `token=${token}` } });
      assert.deepEqual(await jsonBody(res), { success: true, message: 'Logged Out' });
      const c = res.headers.getSetCookie().map(parseSetCookie).find((x) => x.name === 'token');
      assert.equal(c?.attrs['max-age'], '0', 'the cookie is cleared');
    }
    await expectError(await fetch(`${server.url}/api/user/data`, { headers: { cookie: `token=${token}` } }), 401, NOT_AUTHORIZED);
    await expectError(await fetch(`${server.url}/api/user/data`, bearer(token)), 401, NOT_AUTHORIZED);
  });

  test('logout revokes every valid token presented: the Bearer one and each token cookie', async () => {
    const { identity } = await registeredClient(server.url, 'logoutall');
    const sessions = [];
    for (let i = 0; i < 3; i++) {
      const c = new Client(server.url);
      assert.equal((await c.login(identity)).status, 200);
      sessions.push(c.token);
    }
    const survivor = new Client(server.url);
    assert.equal((await survivor.login(identity)).status, 200);
    const [a, b, c] = sessions;
    const res = await fetch(`${server.url}/api/auth/logout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${a}`, cookie: `theme=dark; token=garbage; token=${b}; x=1; token="${c}"` },
    });
    assert.deepEqual(await jsonBody(res), { success: true, message: 'Logged Out' });
    for (const t of sessions) await expectError(await fetch(`${server.url}/api/user/data`, bearer(t)), 401, NOT_AUTHORIZED);
    assert.equal((await survivor.get('/api/user/data')).status, 200, 'a session not presented still works');
  });

  test('logout revokes only its own session', async () => {
    const { client: first, identity } = await registeredClient(server.url, 'twosessions');
    const second = new Client(server.url);
    assert.equal((await second.login(identity)).status, 200);
    assert.notEqual(first.token, second.token);
    const firstToken = first.token;
    assert.equal((await first.post('/api/auth/logout')).status, 200);
    assert.equal((await second.get('/api/user/data')).status, 200, 'the other session still works');
    await expectError(await fetch(`${server.url}/api/user/data`, bearer(firstToken)), 401, NOT_AUTHORIZED);
    // logging in again gives a fresh, working session
    const third = new Client(server.url);
    assert.equal((await third.login(identity)).status, 200);
    assert.equal((await third.get('/api/user/data')).status, 200);
  });

  test('logout without a token still answers "Logged Out" and clears the cookie', async () => {
    const res = await new Client(server.url).post('/api/auth/logout');
    assert.equal(res.status, 200);
    assert.deepEqual(await jsonBody(res), { success: true, message: 'Logged Out' });
    const c = res.headers.getSetCookie().map(parseSetCookie).find((x) => x.name === 'token');
    assert.ok(c, 'Set-Cookie token');
    assert.equal(c.attrs['max-age'], '0');
  });

  test('logging out twice with the same token is harmless', async () => {
    const { client } = await registeredClient(server.url, 'twice');
    const token = client.token;
    for (let i = 0; i < 2; i++) {
      const res = await new Client(server.url).post('/api/auth/logout', undefined, bearer(token));
      assert.deepEqual(await jsonBody(res), { success: true, message: 'Logged Out' });
    }
    await expectError(await fetch(`${server.url}/api/user/data`, bearer(token)), 401, NOT_AUTHORIZED);
  });

  test('a session works for another account only with its own token', async () => {
    const a = await registeredClient(server.url, 'alice');
    const b = await registeredClient(server.url, 'bob');
    const dataA = await jsonBody(await a.client.get('/api/user/data'));
    const dataB = await jsonBody(await b.client.get('/api/user/data'));
    assert.equal(dataA.userData.email, a.identity.email);
    assert.equal(dataB.userData.email, b.identity.email);
  });

  test('the token claims carry an expiry 7 days after issue', async () => {
    const id = newIdentity('claims');
    const client = new Client(server.url);
    assert.equal((await client.register(id)).status, 201);
    const { payload } = decodeJwt(client.token);
    assert.equal(payload.exp - payload.iat, 7 * 86400);
    assert.ok(Math.abs(payload.iat - Date.now() / 1000) < 120, 'iat is now');
  });
});
