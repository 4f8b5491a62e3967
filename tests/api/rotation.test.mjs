// Rotating JWT_SECRET without logging everyone out (issue 13): with
// JWT_SECRET_PREVIOUS set to the old key, tokens it signed stay valid until
// they expire, new tokens are signed with the new key alone; once the
// previous key is unset, its tokens are refused. docs/OPERATIONS.md, "Secret
// rotation", is this sequence.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { runCli } from '../support/cli.mjs';
import { Client, jsonBody, registeredClient } from '../support/client.mjs';
import { expectError } from '../support/errors.mjs';
import { compose, gateway, startServer } from '../support/server.mjs';

const key = () => randomBytes(48).toString('base64');

async function profileWith(server, token) {
  return fetch(`${server.url}/api/user/data`, { headers: { authorization: `Bearer ${token}` } });
}

describe('JWT_SECRET rotation', { skip: (gateway || compose) && 'restarts one server with new secrets' }, () => {
  const oldKey = key();
  const newKey = key();
  let server;
  before(async () => {
    server = await startServer({ JWT_SECRET: oldKey });
  });
  after(async () => {
    assert.equal(await server.close(), 0, `lsf-server did not exit 0 on SIGTERM:\n${server.stderr()}`);
  });

  test('old tokens stay valid through the rotation, new ones use the new key, and the old key ends with '
    + 'JWT_SECRET_PREVIOUS', async () => {
    const { client, identity } = await registeredClient(server.url, 'rotate');
    const oldToken = client.token;
    const loggedOut = new Client(server.url);
    assert.equal((await loggedOut.login(identity)).status, 200);
    const oldLoggedOut = loggedOut.token;

    await server.restart({ JWT_SECRET: newKey, JWT_SECRET_PREVIOUS: oldKey });
    assert.equal((await profileWith(server, oldToken)).status, 200, 'a token of the old key is still a session');
    // a logout during the rotation revokes an old-key token
    const out = await fetch(`${server.url}/api/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${oldLoggedOut}` } });
    assert.equal(out.status, 200);
    await expectError(await profileWith(server, oldLoggedOut), 401, 'Not Authorized. Login Again');
    const fresh = new Client(server.url);
    assert.equal((await fresh.login(identity)).status, 200);
    const newToken = fresh.token;
    assert.equal((await jsonBody(await profileWith(server, newToken))).userData.email, identity.email);

    await server.restart({ JWT_SECRET: newKey, JWT_SECRET_PREVIOUS: undefined });
    await expectError(await profileWith(server, oldToken), 401, 'Not Authorized. Login Again');
    assert.equal((await profileWith(server, newToken)).status, 200, 'the new key signed the tokens made during the rotation');

    await server.restart({ JWT_SECRET: key(), JWT_SECRET_PREVIOUS: key() });
    await expectError(await profileWith(server, newToken), 401, 'Not Authorized. Login Again');
    await server.restart({ JWT_SECRET: newKey, JWT_SECRET_PREVIOUS: undefined });
  });

  test('JWT_SECRET_PREVIOUS equal to JWT_SECRET, or short, stops the server with exit status 2', async () => {
    let r = await runCli(server, ['migrate'], { env: { JWT_SECRET: newKey, JWT_SECRET_PREVIOUS: newKey } });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /JWT_SECRET_PREVIOUS: must differ from JWT_SECRET/);
    r = await runCli(server, ['migrate'], { env: { JWT_SECRET: newKey, JWT_SECRET_PREVIOUS: 'short' } });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /JWT_SECRET_PREVIOUS: must be at least 32 bytes/);
    r = await runCli(server, ['--help']);
    assert.match(r.stdout, /JWT_SECRET_PREVIOUS/);
  });
});
