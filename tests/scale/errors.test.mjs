// Malformed requests through deploy/nginx/lb.conf get lsf-server's JSON
// error shape, {"success":false,"message":...}: the heads nginx refuses
// itself (a body framed two ways, a head it cannot parse, a header line over
// its buffers, an unknown Transfer-Encoding or HTTP version) through its
// error_page lines, and the heads nginx forwards but lsf-server's HTTP
// library cannot parse (over 100 header fields, a control character in a
// header value) through the njs filter of the /api/ locations, which
// rewrites exactly h2o's fixed text/plain 400. lsf-server's own 400s pass
// with their messages, and a smuggled request never reaches lsf-server.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { RawConn } from '../support/raw.mjs';
import { settle } from '../support/wait.mjs';
import { Cluster, freePort, NGINX_BIN, Nginx, tempDir } from './support.mjs';

const request = (lines, body = '') => Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), Buffer.from(body, 'latin1')]);
const many = (n) => Array.from({ length: n }, (_, i) => `X-Field-${i}: v`);

describe('lb.conf: malformed requests get JSON errors', { skip: !NGINX_BIN && 'nginx is not installed' }, () => {
  let cluster, instance, port;
  before(async () => {
    cluster = await Cluster.create();
    instance = await cluster.add('a');
    port = await freePort();
    cluster.own(await Nginx.start('lb.conf', {
      'app-servers.conf': `${instance.upstreamLine}\n`,
      'listen.conf': `listen 127.0.0.1:${port};\n`,
    }, await tempDir('nginx', cluster.dir)));
  });
  after(async () => {
    assert.deepEqual(await cluster.close(), { a: 0 });
  });

  // The one answer to bytes sent on a new connection to nginx.
  async function answer(bytes) {
    const conn = await RawConn.open(port);
    try {
      await conn.write(bytes);
      return await conn.response();
    } finally {
      conn.destroy();
    }
  }

  function assertJsonError(res, status, message, what) {
    assert.equal(res.status, status, `${what}: ${res.status} ${res.body.slice(0, 200)}`);
    assert.match(res.headers['content-type'] ?? '', /^application\/json/, `${what}: ${res.headers['content-type']} ${res.body.slice(0, 200)}`);
    assert.deepEqual(JSON.parse(res.body), { success: false, message }, what);
  }

  test('heads nginx refuses itself answer the JSON shape', async () => {
    const get = (target = '/api/auth/is-auth', version = 'HTTP/1.1') => `GET ${target} ${version}`;
    const post = ['POST /api/auth/login HTTP/1.1', 'Host: x', 'Content-Type: application/json'];
    const smuggled = request(['GET /api/smuggled HTTP/1.1', 'Host: x']).toString('latin1');
    const cases = [
      ['Content-Length with Transfer-Encoding', request([...post, 'Content-Length: 4', 'Transfer-Encoding: chunked'], `2\r\n{}\r\n0\r\n\r\n${smuggled}`), 400, 'Malformed request'],
      ['two Content-Length values', request([...post, 'Content-Length: 2', 'Content-Length: 40'], `{}${smuggled}`), 400, 'Malformed request'],
      ['a Content-Length list', request([...post, 'Content-Length: 2, 7'], '{}'), 400, 'Malformed request'],
      ['a broken chunked body', request([...post, 'Transfer-Encoding: chunked'], 'zz\r\n'), 400, 'Malformed request'],
      ['a NUL in a header value', request([get(), 'Host: x', 'X-Bad: a\0b']), 400, 'Malformed request'],
      ['a space before the colon', request([get(), 'Host: x', 'X-Bad : b']), 400, 'Malformed request'],
      ['CR in the request target', request([get('/api/a\rb'), 'Host: x']), 400, 'Malformed request'],
      ['a space in the request target', request([get('/api/a b'), 'Host: x']), 400, 'Malformed request'],
      ['HTTP/1.1 without Host', request([get()]), 400, 'Malformed request'],
      ['a 12 KB header line', request([get(), 'Host: x', `X-Big: ${'a'.repeat(12 * 1024)}`]), 431, 'Request header fields too large'],
      ['a 1 MB header line', request([get(), 'Host: x', `X-Big: ${'a'.repeat(1024 * 1024)}`]), 431, 'Request header fields too large'],
      ['a 12 KB request target', request([get(`/api/${'a'.repeat(12 * 1024)}`), 'Host: x']), 414, 'Request URI too long'],
      ['an unknown Transfer-Encoding', request([...post, 'Transfer-Encoding: gzip'], ''), 501, 'Not Implemented'],
      ['an unknown HTTP version', request([get('/api/auth/is-auth', 'HTTP/9.9'), 'Host: x']), 505, 'HTTP Version Not Supported'],
    ];
    for (const [what, bytes, status, message] of cases) assertJsonError(await answer(bytes), status, message, what);
    // nothing after a refused body reached lsf-server: once a later request
    // is in its access log (one event loop, lines in order), none is
    const marker = `after-${randomBytes(4).toString('hex')}`;
    await (await fetch(`http://127.0.0.1:${port}/api/${marker}`)).arrayBuffer();
    const log = await settle(() => instance.accessLog(), (text) => text.includes(marker));
    assert.ok(log.includes(marker), 'the later request is logged');
    assert.ok(!log.includes('/api/smuggled'), 'a smuggled request reached lsf-server');
  });

  test('heads nginx forwards and lsf-server\'s parser refuses answer the JSON shape under /api/', async () => {
    const cases = [
      ['101 header fields', request(['GET /api/auth/is-auth HTTP/1.1', 'Host: x', ...many(101)])],
      ['97 fields, over 100 with the 5 nginx adds', request(['GET /api/user/data HTTP/1.1', 'Host: x', ...many(96)])],
      ['a control character in a value', request(['GET /api/auth/is-auth HTTP/1.1', 'Host: x', 'X-Bad: a\x01b'])],
      ['DEL in a value', request(['POST /api/tasks HTTP/1.1', 'Host: x', 'Content-Length: 2', 'X-Bad: a\x7fb'], '{}')],
    ];
    for (const [what, bytes] of cases) {
      const res = await answer(bytes);
      assertJsonError(res, 400, 'Malformed request', what);
      assert.equal(res.headers['x-request-id'], undefined, `${what}: lsf-server's own answers carry an id, this is h2o's`);
    }
  });

  test('lsf-server\'s own errors pass through nginx unchanged, and the connection stays usable', async () => {
    const conn = await RawConn.open(port);
    try {
      const body = '{}';
      await conn.write(request(['POST /api/auth/login HTTP/1.1', 'Host: x', 'Content-Type: application/json', `Content-Length: ${body.length}`], body));
      const own = await conn.response();
      assertJsonError(own, 400, 'Email and password are required', 'an error of lsf-server');
      assert.match(own.headers['x-request-id'] ?? '', /\S/, 'it comes from lsf-server');
      await conn.write(request(['GET /api/nope HTTP/1.1', 'Host: x']));
      assertJsonError(await conn.response(), 404, 'Not Found', 'the next request on the connection');
      await conn.write(request(['GET /health HTTP/1.1', 'Host: x']));
      const health = await conn.response();
      assert.equal(health.status, 200);
      assert.equal(JSON.parse(health.body).status, 'healthy');
    } finally {
      conn.destroy();
    }
  });

  test('outside /api/, h2o\'s own 400 stays plain text; HTTP/0.9 gets lsf-server\'s JSON body alone', async () => {
    const web = await answer(request(['GET /some/page HTTP/1.1', 'Host: x', ...many(101)]));
    assert.equal(web.status, 400);
    assert.match(web.headers['content-type'] ?? '', /^text\/plain/, 'the njs filter runs only under /api/');
    // HTTP/0.9 has neither status line nor headers: nginx answers with the body only
    const conn = await RawConn.open(port);
    try {
      await conn.write('GET /api/nope\r\n');
      await conn.waitClosed(5000);
      assert.deepEqual(JSON.parse(conn.buf.toString()), { success: false, message: 'Not Found' });
    } finally {
      conn.destroy();
    }
  });
});
