// Register and login: success shapes, the session cookie, validation
// messages, duplicate accounts (also under a race), and the event loop
// staying responsive while passwords hash on workers.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { Client, jsonBody, newIdentity, parseSetCookie } from '../support/client.mjs';
import { expectError } from '../support/errors.mjs';
import { gateway, startServer } from '../support/server.mjs';

describe('auth: register and login', () => {
  let server;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    assert.equal(await server.close(), 0, `lsf-server did not exit 0 on SIGTERM:\n${server.stderr()}`);
  });

  function tokenCookie(res) {
    const lines = res.headers.getSetCookie().map(parseSetCookie).filter((c) => c.name === 'token');
    assert.equal(lines.length, 1, `expected one Set-Cookie token, got ${res.headers.getSetCookie()}`);
    return lines[0];
  }

  function assertSessionCookie(res) {
    const c = tokenCookie(res);
    assert.match(c.value, /^[\w-]+\.[\w-]+\.[\w-]+$/, 'token cookie must hold a JWT');
    assert.equal(c.attrs.httponly, true, 'HttpOnly');
    assert.equal(c.attrs['max-age'], '604800', 'Max-Age 7 days');
    assert.equal(String(c.attrs.samesite).toLowerCase(), 'lax', 'SameSite=Lax');
    assert.equal(c.attrs.path, '/', 'Path=/');
    assert.equal(c.attrs.secure, undefined, 'no Secure flag in the test environment');
    return c;
  }

  test('register answers 201 {success:true} with a session cookie and sends a welcome email', async () => {
    const client = new Client(server.url);
    const id = newIdentity('reg');
    const res = await client.register(id);
    assert.equal(res.status, 201);
    assertSessionCookie(res);
    assert.deepEqual(await jsonBody(res), { success: true });
    const me = await client.get('/api/user/data');
    assert.equal(me.status, 200);
    assert.deepEqual((await jsonBody(me)).userData, { name: id.name, email: id.email, isAccountVerified: false });
    const mail = await server.sink.waitForMail(id.email);
    assert.match(mail.subject, /welcome/i);
    assert.ok(mail.text.includes(id.email), 'welcome mail names the account email');
  });

  test('register with a missing or blank field answers "Missing Details"', async () => {
    const client = new Client(server.url);
    const base = newIdentity('missing');
    for (const field of ['name', 'email', 'password']) {
      const body = { ...base };
      delete body[field];
      await expectError(await client.register(body), 400, 'Missing Details');
      await expectError(await client.register({ ...base, [field]: '' }), 400, 'Missing Details');
    }
    await expectError(await client.register({ ...base, name: '   ' }), 400, 'Missing Details');
    await expectError(await client.post('/api/auth/register', {}), 400, 'Missing Details');
    // none of these created the account
    await expectError(await client.login(base), 401, 'Invalid email or password');
  });

  test('register with no body at all answers "Missing Details"', async () => {
    const res = await fetch(`${server.url}/api/auth/register`, { method: 'POST' });
    await expectError(res, 400, 'Missing Details');
  });

  test('register refuses malformed email addresses with 400 "Invalid email"', async () => {
    const client = new Client(server.url);
    const bad = ['plainaddress', 'no-at-sign.example.com', '@example.com', 'user@', 'user@example', 'a@@example.com',
      'a b@example.com', 'user@exa mple.com', 'user@.example.com', 'user@example..com', 'user@example.com.',
      '<user@example.com>', 'user@example.com\r\nBcc: x@example.com', `${'a'.repeat(250)}@example.com`];
    for (const email of bad) {
      const res = await client.register({ name: 'Bad Email', email, password: 'password123' });
      await expectError(res, 400, 'Invalid email');
    }
  });

  test('register refuses a password under 8 characters and accepts exactly 8', async () => {
    const client = new Client(server.url);
    const id = newIdentity('shortpw');
    await expectError(await client.register({ ...id, password: '1234567' }), 400, 'Password must be at least 8 characters');
    const ok = await client.register({ ...id, password: '12345678' });
    assert.equal(ok.status, 201, await ok.text());
  });

  test('register refuses a name over 100 characters and accepts exactly 100 (characters, not bytes)', async () => {
    const client = new Client(server.url);
    const long = await client.register({ ...newIdentity('longname'), name: 'n'.repeat(101) });
    await expectError(long, 400, /100/, 'VALIDATION');
    const huge = await client.register({ ...newIdentity('hugename'), name: 'n'.repeat(10000) });
    await expectError(huge, 400, /100/, 'VALIDATION');
    const ascii = await new Client(server.url).register({ ...newIdentity('name100'), name: 'n'.repeat(100) });
    assert.equal(ascii.status, 201, await ascii.text());
    const wideId = { ...newIdentity('wide'), name: 'é'.repeat(100) };
    const wideClient = new Client(server.url);
    const wide = await wideClient.register(wideId);
    assert.equal(wide.status, 201, await wide.text());
    const me = await jsonBody(await wideClient.get('/api/user/data'));
    assert.equal(me.userData.name, wideId.name);
  });

  test('register with an existing email answers 409 "User already exists"', async () => {
    const id = newIdentity('dup');
    assert.equal((await new Client(server.url).register(id)).status, 201);
    const again = await new Client(server.url).register({ ...id, name: 'Other', password: 'another-password' });
    await expectError(again, 409, 'User already exists');
    assert.equal(again.headers.getSetCookie().length, 0, 'no cookie for a refused registration');
    // the first password still logs in, the second does not
    assert.equal((await new Client(server.url).login(id)).status, 200);
    await expectError(await new Client(server.url).login({ ...id, password: 'another-password' }), 401, 'Invalid email or password');
  });

  test('20 parallel registrations of one email: exactly one 201, the rest "User already exists"', async () => {
    const id = newIdentity('race');
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => new Client(server.url).register({ ...id, name: `Racer ${i}` })),
    );
    const created = results.filter((r) => r.status === 201);
    assert.equal(created.length, 1, `statuses: ${results.map((r) => r.status).join(',')}`);
    for (const r of results) if (r.status !== 201) await expectError(r, 409, 'User already exists');
    await created[0].arrayBuffer();
    assert.equal((await new Client(server.url).login(id)).status, 200);
  });

  test('login answers {success:true} with a session cookie', async () => {
    const id = newIdentity('login');
    assert.equal((await new Client(server.url).register(id)).status, 201);
    const client = new Client(server.url);
    const res = await client.login(id);
    assert.equal(res.status, 200);
    assertSessionCookie(res);
    assert.deepEqual(await jsonBody(res), { success: true });
    assert.equal((await client.get('/api/user/data')).status, 200);
  });

  test('login with a wrong password or an unknown email answers 401 "Invalid email or password" alike', async () => {
    const id = newIdentity('wrongpw');
    assert.equal((await new Client(server.url).register(id)).status, 201);
    const client = new Client(server.url);
    const wrong = await client.login({ ...id, password: `${id.password}x` });
    const wrongBody = await expectError(wrong, 401, 'Invalid email or password');
    assert.equal(wrong.headers.getSetCookie().length, 0);
    const unknown = await client.login({ email: `nobody-${id.email}`, password: id.password });
    const unknownBody = await expectError(unknown, 401, 'Invalid email or password');
    assert.deepEqual(unknownBody, wrongBody, 'same answer for unknown email and wrong password');
    const malformed = await client.login({ email: 'not-an-email', password: id.password });
    await expectError(malformed, 401, 'Invalid email or password');
    const huge = await client.login({ email: id.email, password: 'x'.repeat(5000) });
    await expectError(huge, 401, 'Invalid email or password');
  });

  test('login without email or password answers 400 "Email and password are required"', async () => {
    const client = new Client(server.url);
    const id = newIdentity('loginmissing');
    await expectError(await client.login({ email: id.email }), 400, 'Email and password are required');
    await expectError(await client.post('/api/auth/login', { password: id.password }), 400, 'Email and password are required');
    await expectError(await client.login({ email: '', password: '' }), 400, 'Email and password are required');
    await expectError(await client.post('/api/auth/login', {}), 400, 'Email and password are required');
  });

  // through the gateway, / is nginx's static web client: no lsf-server event loop to probe
  test('GET / answers while 4 logins hash passwords', { skip: gateway && 'gateway: / is the static web client' }, async () => {
    const id = newIdentity('slow');
    assert.equal((await new Client(server.url).register(id)).status, 201);
    const logins = Array.from({ length: 4 }, () => new Client(server.url).login(id));
    const root = await fetch(`${server.url}/`);
    assert.equal(root.status, 200);
    assert.equal(await root.text(), 'API Working');
    for (const res of await Promise.all(logins)) assert.equal(res.status, 200, await res.text());
  });
});
