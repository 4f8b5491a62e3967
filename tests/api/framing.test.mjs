// Request framing on the direct path, over raw sockets: a head that gives
// the body's length in two ways (Content-Length with Transfer-Encoding,
// Content-Length fields that differ, two Transfer-Encoding fields, a folded
// line next to a body) answers a JSON 400 and the server closes the
// connection, so the bytes after the body are never run as a second request
// ("request smuggling"): on the API, on a web app file, on a CORS preflight
// and on the metrics listener. Heads with one clear framing keep the
// connection alive. The errors h2o answers itself before routing (body too
// large, broken chunked body, unknown Transfer-Encoding, unreadable
// Content-Length, unknown Expect) are JSON with an X-Request-Id and an
// access log line; heads h2o's parser cannot read at all get its 400 and the
// connection closes (their JSON comes from nginx: tests/scale/errors.test.mjs).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { Client, newIdentity } from '../support/client.mjs';
import { RawConn } from '../support/raw.mjs';
import { freePort, startServer } from '../support/server.mjs';
import { settle } from '../support/wait.mjs';

const CLOSE_TIMEOUT_MS = 5000;

// A complete request as bytes: head lines joined with CRLF, then the body.
const request = (lines, body = '') => Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), Buffer.from(body, 'latin1')]);
const chunked = (text) => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n0\r\n\r\n`;

// The request an attacker hides after the body: a registration of a fresh
// account, whose effect (the account exists) is checked afterwards.
function smuggledRegistration(identity) {
  const body = JSON.stringify(identity);
  return request(['POST /api/auth/register HTTP/1.1', 'Host: x', 'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`], body);
}

// A smuggled GET whose path is a marker to look for in the access log.
const smuggledGet = (marker) => request([`GET /api/${marker} HTTP/1.1`, 'Host: x']);

describe('request framing', () => {
  let server, webDir, metricsPort;
  before(async () => {
    webDir = await mkdtemp(path.join(tmpdir(), 'lsf-web-'));
    await writeFile(path.join(webDir, 'index.html'), '<!doctype html><title>fixture</title>\n');
    metricsPort = await freePort();
    server = await startServer({ WEB_DIR: webDir, METRICS_PORT: String(metricsPort) });
  });
  after(async () => {
    assert.equal(await server.close(), 0, `lsf-server did not exit 0 on SIGTERM:\n${server.stderr()}`);
    await rm(webDir, { recursive: true, force: true });
  });

  // Send bytes on a new connection; expect exactly one JSON 400 with this
  // message, then the server closing the connection with nothing more sent.
  async function expectRefusedAndClosed(bytes, message, port = server.port) {
    const conn = await RawConn.open(port);
    try {
      await conn.write(bytes);
      const res = await conn.response();
      assert.equal(res.status, 400, `status: ${res.status} ${res.body}`);
      assert.match(res.headers['content-type'] ?? '', /^application\/json/, res.body);
      assert.deepEqual(JSON.parse(res.body), { success: false, message });
      assert.equal(res.headers.connection, 'close', 'the answer announces the close');
      const closed = await conn.waitClosed(CLOSE_TIMEOUT_MS);
      assert.equal(closed.byServer, true, 'the server closed the connection');
      assert.equal(conn.buf.length, 0, `nothing after the 400: ${conn.buf.toString('latin1').slice(0, 300)}`);
      return res;
    } finally {
      conn.destroy();
    }
  }

  // The smuggled registration did not run: its account does not exist.
  async function expectNotRegistered(identity) {
    const res = await new Client(server.url).login(identity);
    const body = await res.json();
    assert.deepEqual([body.success, body.message], [false, 'Invalid email or password'],
      `the smuggled registration of ${identity.email} ran`);
  }

  // Once the line of the refused request (its X-Request-Id) is in the access
  // log (flushed about once a second), no line names the smuggled marker.
  async function expectNotLogged(requestId, marker) {
    const log = await settle(() => server.accessLog(), (text) => text.includes(requestId));
    assert.ok(log.includes(requestId), `the refused request ${requestId} is in the access log`);
    assert.ok(!log.includes(marker), `the smuggled request ran:\n${log.split('\n').filter((l) => l.includes(marker)).join('\n')}`);
  }

  test('Content-Length with Transfer-Encoding: chunked: 400, closed, the bytes after the body never run', async () => {
    for (const order of [['Content-Length: 4', 'Transfer-Encoding: chunked'], ['Transfer-Encoding: chunked', 'Content-Length: 4']]) {
      const victim = newIdentity('smuggled-te');
      const marker = `smuggled-${randomBytes(6).toString('hex')}`;
      const head = ['POST /api/auth/login HTTP/1.1', 'Host: x', 'Content-Type: application/json', ...order];
      const res = await expectRefusedAndClosed(
        Buffer.concat([request(head, chunked('{}')), smuggledRegistration(victim), smuggledGet(marker)]),
        'Content-Length and Transfer-Encoding together');
      await expectNotRegistered(victim);
      await expectNotLogged(res.headers['x-request-id'], marker);
    }
  });

  test('two Content-Length fields that differ: 400, closed, the rest of the body never runs', async () => {
    const victim = newIdentity('smuggled-cl');
    const marker = `smuggled-${randomBytes(6).toString('hex')}`;
    const rest = Buffer.concat([smuggledRegistration(victim), smuggledGet(marker)]);
    // h2o reads the first value (2: "{}"); a proxy reading the second sends it all as one body
    const head = ['POST /api/auth/login HTTP/1.1', 'Host: x', 'Content-Type: application/json', 'Content-Length: 2',
      `Content-Length: ${2 + rest.length}`];
    const res = await expectRefusedAndClosed(Buffer.concat([request(head, '{}'), rest]), 'Conflicting Content-Length headers');
    await expectNotRegistered(victim);
    await expectNotLogged(res.headers['x-request-id'], marker);
  });

  test('two Transfer-Encoding fields, or a folded header line in a request with a body: 400, closed', async () => {
    const victim = newIdentity('smuggled-te2');
    const base = ['POST /api/auth/login HTTP/1.1', 'Host: x', 'Content-Type: application/json'];
    await expectRefusedAndClosed(
      Buffer.concat([request([...base, 'Transfer-Encoding: chunked', 'Transfer-Encoding: chunked'], chunked('{}')), smuggledRegistration(victim)]),
      'More than one Transfer-Encoding header');
    await expectRefusedAndClosed(
      Buffer.concat([request([...base, 'Content-Length: 2', 'X-Note: a', ' folded'], '{}'), smuggledRegistration(victim)]),
      'Folded header line in a request with a body');
    await expectNotRegistered(victim);
  });

  test('the same refusal on a web app file, on a CORS preflight and on the metrics listener', async () => {
    const tail = (marker) => Buffer.concat([Buffer.from(chunked('')), smuggledGet(marker)]);
    const cases = [
      [server.port, ['GET /index.html HTTP/1.1', 'Host: x', 'Accept: text/html']],
      [server.port, ['GET /some/client/route HTTP/1.1', 'Host: x', 'Accept: text/html']],
      [server.port, ['OPTIONS /api/auth/login HTTP/1.1', 'Host: x', 'Origin: http://localhost:5173',
        'Access-Control-Request-Method: POST']],
      [metricsPort, ['GET /health/live HTTP/1.1', 'Host: x']],
    ];
    for (const [port, head] of cases) {
      const marker = `smuggled-${randomBytes(6).toString('hex')}`;
      const res = await expectRefusedAndClosed(Buffer.concat([request([...head, 'Content-Length: 5', 'Transfer-Encoding: chunked']), tail(marker)]),
        'Content-Length and Transfer-Encoding together', port);
      if (port === server.port) await expectNotLogged(res.headers['x-request-id'], marker);
    }
  });

  test('one clear framing keeps the connection: chunked, Content-Length, or the same Content-Length twice', async () => {
    const heads = [
      ['Transfer-Encoding: chunked'],
      ['Content-Length: 2'],
      ['Content-Length: 2', 'Content-Length: 2'],
    ];
    for (const framing of heads) {
      const conn = await RawConn.open(server.port);
      try {
        const body = framing[0].startsWith('Transfer') ? chunked('{}') : '{}';
        await conn.write(Buffer.concat([
          request(['POST /api/auth/login HTTP/1.1', 'Host: x', 'Content-Type: application/json', ...framing], body),
          request(['GET /health/live HTTP/1.1', 'Host: x']),
        ]));
        const first = await conn.response();
        assert.equal(JSON.parse(first.body).message, 'Email and password are required', `${framing}: ${first.body}`);
        assert.equal(first.headers.connection, 'keep-alive', `${framing}: keep-alive`);
        const second = await conn.response();
        assert.equal(second.status, 200, `${framing}: the next request on the connection is answered`);
        assert.equal(conn.isClosed, false, `${framing}: the connection stays open`);
      } finally {
        conn.destroy();
      }
    }
  });

  test('errors h2o answers before routing are JSON, with an X-Request-Id and an access log line', async () => {
    const post = ['POST /api/auth/login HTTP/1.1', 'Host: x', 'Content-Type: application/json'];
    const cases = [
      ['broken chunked body', request([...post, 'Transfer-Encoding: chunked'], 'zz\r\n{}\r\n0\r\n\r\n'), 400, 'Malformed request'],
      ['unknown Transfer-Encoding', request([...post, 'Transfer-Encoding: gzip'], ''), 400, 'Malformed request'],
      ['a Content-Length list', request([...post, 'Content-Length: 2, 7'], '{}'), 400, 'Malformed request'],
      ['an unknown Expect', request([...post, 'Content-Length: 2', 'Expect: the-unexpected'], '{}'), 417, 'Expectation Failed'],
      ['a body over BODY_LIMIT', request([...post, `Content-Length: ${1024 * 1024 + 1}`], ''), 413, 'Request body too large'],
    ];
    const ids = [];
    for (const [what, bytes, status, message] of cases) {
      const conn = await RawConn.open(server.port);
      try {
        await conn.write(bytes);
        const res = await conn.response();
        assert.equal(res.status, status, `${what}: ${res.status} ${res.body}`);
        assert.match(res.headers['content-type'] ?? '', /^application\/json/, `${what}: ${res.body}`);
        assert.deepEqual(JSON.parse(res.body), { success: false, message }, what);
        assert.match(res.headers['x-request-id'] ?? '', /^[0-9a-f-]{36}$/, `${what}: X-Request-Id`);
        assert.equal(res.headers['x-content-type-options'], 'nosniff', what);
        ids.push([what, res.headers['x-request-id'], status]);
      } finally {
        conn.destroy();
      }
    }
    const log = await settle(() => server.accessLog(), (text) => ids.every(([, id]) => text.includes(id)));
    for (const [what, id, status] of ids) {
      const line = log.split('\n').find((l) => l.includes(id));
      assert.ok(line, `${what}: no access log line with ${id}`);
      assert.match(line, new RegExp(`"POST /api/auth/login HTTP/1\\.1" ${status} `), `${what}: ${line}`);
    }
  });

  test('heads h2o\'s parser cannot read get a 400 and a closed connection; the server keeps serving', async () => {
    const many = Array.from({ length: 101 }, (_, i) => `X-Field-${i}: v`);
    const heads = [
      ['101 header fields', request(['GET /api/auth/is-auth HTTP/1.1', 'Host: x', ...many])],
      ['a control character in a value', request(['GET /api/auth/is-auth HTTP/1.1', 'Host: x', 'X-Bad: a\x01b'])],
      ['a header line without a colon', request(['GET /api/auth/is-auth HTTP/1.1', 'Host: x', 'NoColon'])],
      ['CR in the request target', request(['GET /api/a\rb HTTP/1.1', 'Host: x'])],
      ['HTTP/0.9', Buffer.from('GET /api/auth/is-auth\r\n\r\n')],
    ];
    for (const [what, bytes] of heads) {
      const conn = await RawConn.open(server.port);
      try {
        await conn.write(bytes);
        const res = await conn.response();
        assert.equal(res.status, 400, `${what}: ${res.status}`);
        assert.equal((await conn.waitClosed(CLOSE_TIMEOUT_MS)).byServer, true, `${what}: closed by the server`);
      } finally {
        conn.destroy();
      }
    }
    const res = await fetch(`${server.url}/health/live`);
    assert.equal(res.status, 200);
    await res.arrayBuffer();
  });
});
