// HTTP behaviour around the handlers: unknown routes (404), wrong methods
// (405 + Allow), body limits (413), content types (415), malformed or
// mistyped JSON (400), oversized heads (431), security headers and CORS.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { Client, jsonBody, newIdentity, rawHttp, rawSocket } from '../support/client.mjs';
import { expectError, statusFor } from '../support/errors.mjs';
import { startServer } from '../support/server.mjs';

const MiB = 1024 * 1024;
const ALLOWED_ORIGIN = 'http://localhost:5173';

// A JSON object {"email":"","pad":"xxx…"} of exactly size bytes.
function paddedJson(size) {
  const shell = JSON.stringify({ email: '', pad: '' });
  return Buffer.from(JSON.stringify({ email: '', pad: 'x'.repeat(size - shell.length) }));
}

describe('http: routing, limits, content types, headers, CORS', () => {
  let server;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    assert.equal(await server.close(), 0, `lsf-server did not exit 0 on SIGTERM:\n${server.stderr()}`);
  });

  const post = (path, body, headers = { 'content-type': 'application/json' }) =>
    fetch(server.url + path, { method: 'POST', headers, body });

  test('an unknown route answers 404 JSON {success:false, message}', async () => {
    for (const path of ['/nope', '/api/unknown', '/api/auth/nope', '/api/user/data/extra', '/health/x']) {
      await expectError(await fetch(server.url + path), 404, 'Not Found');
    }
    await expectError(await post('/api/unknown', '{}'), 404, 'Not Found');
  });

  test('a known path with a wrong method answers 405 with an Allow header', async () => {
    const cases = [['GET', '/api/auth/login', 'POST'], ['PUT', '/api/auth/register', 'POST'], ['DELETE', '/api/user/data', 'GET'],
      ['POST', '/api/auth/is-auth', 'GET'], ['POST', '/health', 'GET'], ['PATCH', '/', 'GET']];
    for (const [method, path, allow] of cases) {
      const res = await fetch(server.url + path, { method });
      assert.ok((res.headers.get('allow') || '').split(/,\s*/).includes(allow), `${method} ${path}: Allow "${res.headers.get('allow')}"`);
      await expectError(res, 405, 'Method Not Allowed');
    }
  });

  test('a body of exactly 1 MiB is read', async () => {
    await expectError(await post('/api/auth/send-reset-otp', paddedJson(MiB)), 400, 'Email is required');
  });

  test('a body over 1 MiB answers 413 JSON', async () => {
    const big = await rawHttp(`${server.url}/api/auth/send-reset-otp`, {
      headers: { 'content-type': 'application/json' },
      body: paddedJson(MiB + 1),
    });
    assert.equal(big.status, statusFor(413, 'Request body too large'), `413 expected, got ${big.status}: ${big.body.slice(0, 200)}`);
    assert.match(big.headers['content-type'] || '', /^application\/json/, `413 body is not JSON: ${big.headers['content-type']} ${big.body.slice(0, 200)}`);
    assert.deepEqual(JSON.parse(big.body), { success: false, message: 'Request body too large' });
  });

  test('a chunked body over 1 MiB answers 413', async () => {
    const res = await rawHttp(`${server.url}/api/auth/login`, {
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      body: paddedJson(2 * MiB),
      chunked: true,
    });
    assert.equal(res.status, statusFor(413, 'Request body too large'), res.body.slice(0, 200));
  });

  test('a non-JSON Content-Type on a JSON endpoint answers 415', async () => {
    const body = JSON.stringify({ email: 'a@example.com', password: 'password123' });
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonp']) {
      await expectError(await post('/api/auth/login', body, { 'content-type': type }), 415, 'Content-Type must be application/json');
    }
    const noType = await fetch(`${server.url}/api/auth/login`, { method: 'POST', body: Buffer.from(body) });
    await expectError(noType, 415, 'Content-Type must be application/json');
  });

  test('application/json with parameters or in other case is accepted', async () => {
    const body = JSON.stringify({ email: newIdentity('ct').email, password: 'password123' });
    for (const type of ['application/json; charset=utf-8', 'Application/JSON']) {
      await expectError(await post('/api/auth/login', body, { 'content-type': type }), 401, 'Invalid email or password');
    }
  });

  test('malformed JSON answers 400', async () => {
    for (const body of ['{', '{"email":', "{'email':'a'}", '{"email":"a@example.com",}', 'null x', '{"a":1}{"b":2}']) {
      await expectError(await post('/api/auth/login', body), 400, /^Malformed JSON body/, 'INVALID_JSON');
    }
  });

  test('a JSON body that is not an object answers 400', async () => {
    for (const body of ['"hello"', '42', 'true']) {
      await expectError(await post('/api/auth/login', body), 400, /JSON/, 'INVALID_JSON');
    }
  });

  test('fields of the wrong type answer 400', async () => {
    const cases = [
      ['/api/auth/login', { email: 123, password: 'password123' }],
      ['/api/auth/login', { email: 'a@example.com', password: ['password123'] }],
      ['/api/auth/register', { name: { first: 'A' }, email: 'a@example.com', password: 'password123' }],
      ['/api/auth/register', { name: 'A', email: true, password: 'password123' }],
      ['/api/auth/send-reset-otp', { email: 42 }],
      ['/api/auth/reset-password', { email: 'a@example.com', otp: 123456, newPassword: 'password123' }],
    ];
    for (const [path, json] of cases) {
      const res = await post(path, JSON.stringify(json));
      await expectError(res, 400, /must be a string/, 'VALIDATION');
    }
  });

  test('non-UTF-8 bytes in a string answer 400', async () => {
    const body = Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from(`","email":"${newIdentity('utf8').email}","password":"password123"}`)]);
    await expectError(await post('/api/auth/register', body), 400, /^Malformed JSON body/, 'INVALID_JSON');
    const overlong = Buffer.concat([Buffer.from('{"email":"a'), Buffer.from([0xc0, 0xaf]), Buffer.from('@example.com","password":"password123"}')]);
    await expectError(await post('/api/auth/login', overlong), 400, /^Malformed JSON body/, 'INVALID_JSON');
  });

  test('a NUL character in a string is refused with 400 and creates nothing', async () => {
    const id = newIdentity('nul');
    for (const field of ['name', 'password']) {
      const res = await post('/api/auth/register', JSON.stringify({ ...id, [field]: `${id[field]}\u0000x` }));
      const body = await res.text();
      const expected = [statusFor(400, undefined, 'INVALID_JSON'), statusFor(400, undefined, 'VALIDATION')];
      assert.ok(expected.includes(res.status), `NUL in ${field}: got ${res.status} ${body}`);
      assert.equal(JSON.parse(body).success, false, `NUL in ${field}: ${body}`);
    }
    const email = JSON.stringify({ ...id, email: `${id.email}\u0000.evil.com` });
    const res = await post('/api/auth/register', email);
    assert.equal(JSON.parse(await res.text()).success, false);
    await expectError(await new Client(server.url).login(id), 401, 'Invalid email or password');
  });

  test('a request head over the limit answers 431', async () => {
    const res = await fetch(`${server.url}/health`, { headers: { 'x-filler': 'a'.repeat(20 * 1024) } });
    await expectError(res, 431, 'Request header fields too large');
  });

  test('a malformed request line gets a 400 and the server keeps serving', async () => {
    const res = await rawSocket(server.port, 'GARBAGE\r\n\r\n');
    assert.ok(res.status === 400 || res.status === 0, `status ${res.status}`);
    assert.equal((await fetch(`${server.url}/health`)).status, 200);
  });

  test('every answer carries the security headers', async () => {
    const answers = [
      await fetch(`${server.url}/`),
      await fetch(`${server.url}/health`),
      await fetch(`${server.url}/nope`),
      await fetch(`${server.url}/api/user/data`),
      await new Client(server.url).register(newIdentity('headers')),
    ];
    for (const res of answers) {
      const where = `${res.url} ${res.status}`;
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', where);
      assert.ok(res.headers.get('referrer-policy'), `Referrer-Policy on ${where}`);
      const csp = res.headers.get('content-security-policy') || '';
      assert.ok(/frame-ancestors/.test(csp) || /^(DENY|SAMEORIGIN)$/i.test(res.headers.get('x-frame-options') || ''),
        `frame-ancestors or X-Frame-Options on ${where}`);
      assert.equal(res.headers.get('strict-transport-security'), null, `no HSTS in the test environment (${where})`);
      await res.arrayBuffer();
    }
  });

  test('CORS: the allowed origin gets Access-Control-Allow-Origin and credentials', async () => {
    const res = await fetch(`${server.url}/api/auth/is-auth`, { headers: { origin: ALLOWED_ORIGIN } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), ALLOWED_ORIGIN);
    assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
    assert.match(res.headers.get('vary') || '', /origin/i);
    // also on errors, so the browser client can read their messages
    const err = await fetch(`${server.url}/api/user/data`, { headers: { origin: ALLOWED_ORIGIN } });
    assert.equal(err.headers.get('access-control-allow-origin'), ALLOWED_ORIGIN);
    await expectError(err, 401, 'Not Authorized. Login Again');
  });

  test('CORS: a preflight from the allowed origin answers 204 with the methods', async () => {
    const res = await fetch(`${server.url}/api/auth/login`, {
      method: 'OPTIONS',
      headers: { origin: ALLOWED_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), ALLOWED_ORIGIN);
    assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
    assert.ok((res.headers.get('access-control-allow-methods') || '').split(/,\s*/).includes('POST'), res.headers.get('access-control-allow-methods'));
    assert.match(res.headers.get('access-control-allow-headers') || '', /content-type/i);
    assert.equal(await res.text(), '');
  });

  test('CORS: other origins get no Access-Control-Allow-Origin', async () => {
    for (const origin of ['http://evil.example', 'http://localhost:5174', 'https://localhost:5173', 'http://localhost:5173.evil.example', 'null']) {
      const res = await fetch(`${server.url}/api/auth/is-auth`, { headers: { origin } });
      assert.equal(res.headers.get('access-control-allow-origin'), null, origin);
      assert.equal(res.headers.get('access-control-allow-credentials'), null, origin);
      await res.arrayBuffer();
      const pre = await fetch(`${server.url}/api/auth/login`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST' },
      });
      assert.equal(pre.headers.get('access-control-allow-origin'), null, `preflight from ${origin}`);
      await pre.arrayBuffer();
    }
  });

  test('a state-changing request from a foreign origin is refused with 403', async () => {
    const id = newIdentity('csrf');
    const res = await fetch(`${server.url}/api/auth/register`, {
      method: 'POST',
      headers: { origin: 'http://evil.example', 'content-type': 'application/json' },
      body: JSON.stringify(id),
    });
    await expectError(res, 403, 'Forbidden');
    await expectError(await new Client(server.url).login(id), 401, 'Invalid email or password');
  });

  test('a client X-Request-Id is echoed; otherwise one is generated', async () => {
    const mine = await fetch(`${server.url}/health`, { headers: { 'x-request-id': 'test-req-123' } });
    assert.equal(mine.headers.get('x-request-id'), 'test-req-123');
    const theirs = await fetch(`${server.url}/health`);
    assert.ok((theirs.headers.get('x-request-id') || '').length >= 8);
    await Promise.all([mine.arrayBuffer(), theirs.arrayBuffer()]);
  });
});
