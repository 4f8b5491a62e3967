// Restart persistence: accounts, live sessions and revocations survive a
// SIGTERM (which must exit 0) and a start on the same data directory.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { Client, jsonBody, newIdentity, registeredClient } from '../support/client.mjs';
import { expectError } from '../support/errors.mjs';
import { startServer } from '../support/server.mjs';

const NOT_AUTHORIZED = 'Not Authorized. Login Again';
const bearer = (token) => ({ headers: { authorization: `Bearer ${token}` } });

describe('restart persistence', () => {
  let server;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    assert.equal(await server.close(), 0, `lsf-server did not exit 0 on SIGTERM:\n${server.stderr()}`);
  });

  async function restart() {
    const code = await server.stop();
    assert.equal(code, 0, `SIGTERM must exit 0:\n${server.stderr()}`);
    await server.start();
  }

  test('accounts, sessions and revocations survive a restart', async () => {
    const { client: kept, identity } = await registeredClient(server.url, 'persist');
    const revokedClient = new Client(server.url);
    assert.equal((await revokedClient.login(identity)).status, 200);
    const revokedToken = revokedClient.token;
    const keptToken = kept.token;
    assert.equal((await revokedClient.post('/api/auth/logout')).status, 200);

    await restart();

    const login = new Client(server.url);
    const res = await login.login(identity);
    assert.equal(res.status, 200, 'the account survived');
    assert.deepEqual(await jsonBody(res), { success: true });
    const data = await fetch(`${server.url}/api/user/data`, bearer(keptToken));
    assert.equal(data.status, 200, 'a live session survived');
    assert.equal((await jsonBody(data)).userData.email, identity.email);
    await expectError(await fetch(`${server.url}/api/user/data`, bearer(revokedToken)), 401, NOT_AUTHORIZED);
    await expectError(await new Client(server.url).register(identity), 409, 'User already exists');
  });

  test('a password reset revokes sessions durably', async () => {
    const { client, identity } = await registeredClient(server.url, 'persistreset');
    const oldToken = client.token;
    const sent = await new Client(server.url).post('/api/auth/send-reset-otp', { email: identity.email });
    assert.equal(sent.status, 200);
    const { otp } = await server.sink.waitForOtp(identity.email, { match: (m) => /reset/i.test(m.subject) });
    const newPassword = `${identity.password}-2`;
    const reset = await new Client(server.url).post('/api/auth/reset-password', { email: identity.email, otp, newPassword });
    assert.equal(reset.status, 200, await reset.text());

    await restart();

    await expectError(await fetch(`${server.url}/api/user/data`, bearer(oldToken)), 401, NOT_AUTHORIZED);
    await expectError(await new Client(server.url).login(identity), 401, 'Invalid email or password');
    assert.equal((await new Client(server.url).login({ email: identity.email, password: newPassword })).status, 200);
  });

  test('verification state and a pending OTP survive a restart', async () => {
    const { client, identity } = await registeredClient(server.url, 'persistotp');
    assert.equal((await client.post('/api/auth/send-verify-otp')).status, 200);
    const { otp } = await server.sink.waitForOtp(identity.email, { match: (m) => /verification/i.test(m.subject) });
    const token = client.token;

    await restart();

    const again = new Client(server.url);
    const res = await again.post('/api/auth/verify-account', { otp }, bearer(token));
    assert.deepEqual(await jsonBody(res), { success: true, message: 'Email verified successfully' });
    await restart();
    const me = await jsonBody(await fetch(`${server.url}/api/user/data`, bearer(token)));
    assert.equal(me.userData.isAccountVerified, true);
  });

  test('a fresh server on a fresh directory knows none of them', async () => {
    const other = await startServer();
    try {
      const id = newIdentity('elsewhere');
      assert.equal((await new Client(server.url).register(id)).status, 201);
      await expectError(await new Client(other.url).login(id), 401, 'Invalid email or password');
    } finally {
      assert.equal(await other.close(), 0);
    }
  });
});
