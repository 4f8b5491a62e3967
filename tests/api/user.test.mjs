// GET /api/user/data: the signed-in user's profile in the original app's
// shape, and nothing without a valid session.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { Client, jsonBody, newIdentity } from '../support/client.mjs';
import { expectError } from '../support/errors.mjs';
import { startServer } from '../support/server.mjs';

describe('user: /api/user/data', () => {
  let server;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    assert.equal(await server.close(), 0, `lsf-server did not exit 0 on SIGTERM:\n${server.stderr()}`);
  });

  test('answers {success:true, userData:{name,email,isAccountVerified}} and nothing more', async () => {
    const client = new Client(server.url);
    const id = newIdentity('profile');
    assert.equal((await client.register(id)).status, 201);
    const res = await client.get('/api/user/data');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^application\/json/);
    assert.deepEqual(await jsonBody(res), {
      success: true,
      userData: { name: id.name, email: id.email, isAccountVerified: false },
    });
  });

  test('returns a Unicode name as it was registered', async () => {
    const client = new Client(server.url);
    const id = { ...newIdentity('unicode'), name: 'Zoë Ünal 日本語 🚀' };
    assert.equal((await client.register(id)).status, 201);
    const body = await jsonBody(await client.get('/api/user/data'));
    assert.equal(body.userData.name, id.name);
  });

  test('the same profile through a Bearer token after login', async () => {
    const id = newIdentity('bearerprofile');
    assert.equal((await new Client(server.url).register(id)).status, 201);
    const client = new Client(server.url);
    assert.equal((await client.login(id)).status, 200);
    const res = await fetch(`${server.url}/api/user/data`, { headers: { authorization: `Bearer ${client.token}` } });
    assert.equal((await jsonBody(res)).userData.email, id.email);
  });

  test('without a session answers 401 "Not Authorized. Login Again"', async () => {
    await expectError(await fetch(`${server.url}/api/user/data`), 401, 'Not Authorized. Login Again');
  });

  test('the password hash and internal ids never appear in the profile', async () => {
    const client = new Client(server.url);
    const id = newIdentity('nohash');
    assert.equal((await client.register(id)).status, 201);
    const text = await (await client.get('/api/user/data')).text();
    assert.doesNotMatch(text, /argon2|\$2[aby]\$|password|verifyOtp|resetOtp/i);
    assert.ok(!text.includes(id.password));
  });
});
