// deploy/nginx/tls.conf with a self-signed certificate: plain HTTP only
// redirects (301, path and query kept), HTTPS reaches lsf-server and every
// answer, errors included, carries HSTS; sessions work over it; malformed
// heads get JSON errors on both servers.
import assert from 'node:assert/strict';
import https from 'node:https';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';

import { RawConn } from '../support/raw.mjs';
import { Cluster, freePort, fromAddress, needs, NGINX_BIN, Nginx, selfSignedCert, tempDir } from './support.mjs';

function httpsGet(url, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, headers, rejectUnauthorized: false, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString(),
        protocol: res.socket.getProtocol?.() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('tls.conf: HTTPS, redirect and HSTS', { skip: needs.nginx() }, () => {
  let cluster, httpBase, httpsBase;
  before(async () => {
    cluster = await Cluster.create();
    await cluster.add('a');
    await cluster.add('b');
    const dir = await tempDir('nginx', cluster.dir);
    const { cert, key } = await selfSignedCert(dir);
    const [port, tlsPort] = [await freePort(), await freePort()];
    cluster.own(await Nginx.start('tls.conf', {
      'app-servers.conf': cluster.instances.map((i) => i.upstreamLine).join('\n') + '\n',
      'listen.conf': `listen 127.0.0.1:${port};\n`,
      'tls.conf': `listen 127.0.0.1:${tlsPort} ssl;\nssl_certificate ${cert};\nssl_certificate_key ${key};\n`,
    }, dir));
    httpBase = `http://127.0.0.1:${port}`;
    httpsBase = `https://127.0.0.1:${tlsPort}`;
  });
  after(async () => {
    assert.deepEqual(await cluster.close(), { a: 0, b: 0 });
  });

  test('plain HTTP answers 301 to the same path on https, for every method, without reaching lsf-server', async () => {
    for (const method of ['GET', 'POST', 'HEAD']) {
      const res = await fetch(`${httpBase}/api/tasks?status=pending&limit=5`, { method, redirect: 'manual' });
      assert.equal(res.status, 301, method);
      assert.equal(res.headers.get('location'), 'https://127.0.0.1/api/tasks?status=pending&limit=5');
      assert.equal(res.headers.get('strict-transport-security'), null, 'HSTS is only sent over HTTPS');
      assert.equal(res.headers.get('x-request-id'), null, 'lsf-server was not asked');
      await res.arrayBuffer();
    }
    const named = await fromAddress('127.0.0.1', `${httpBase}/health`, { headers: { host: 'tasks.example.com:8080' } });
    assert.equal(named.headers.location, 'https://tasks.example.com/health', 'the host the client asked for, standard port');
  });

  test('HTTPS reaches lsf-server with HSTS on successes and errors', async () => {
    const health = await httpsGet(`${httpsBase}/health`);
    assert.equal(health.status, 200);
    assert.match(health.headers['strict-transport-security'], /^max-age=\d{8,}; includeSubDomains$/);
    assert.ok(health.headers['x-request-id'], 'answered by lsf-server');
    for (const [p, status] of [['/api/tasks', 401], ['/api/none', 404]]) {
      const res = await httpsGet(httpsBase + p);
      assert.equal(res.status, status, p);
      assert.match(res.headers['strict-transport-security'], /max-age=/, `HSTS on ${status}`);
      assert.equal(JSON.parse(res.body).success, false);
    }
    const big = await httpsGet(`${httpsBase}/api/auth/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(2 * 1024 * 1024),
    });
    assert.equal(big.status, 413);
    assert.match(big.headers['strict-transport-security'], /max-age=/, 'HSTS on nginx\'s own errors');
  });

  test('malformed heads get JSON errors on both servers, with HSTS over HTTPS', async () => {
    const bad = ['GET /api/a b HTTP/1.1', 'Host: x'];
    const many = ['GET /api/user/data HTTP/1.1', 'Host: x', ...Array.from({ length: 101 }, (_, i) => `X-Field-${i}: v`)];
    const plain = await RawConn.open(Number(new URL(httpBase).port));
    const answers = [];
    try {
      await plain.write(`${bad.join('\r\n')}\r\n\r\n`);
      answers.push(['redirecting server, nginx\'s own 400', await plain.response(), false]);
    } finally {
      plain.destroy();
    }
    for (const [what, head] of [['HTTPS, nginx\'s own 400', bad], ['HTTPS, h2o\'s own 400', many]]) {
      const sock = tls.connect({ host: '127.0.0.1', port: Number(new URL(httpsBase).port), rejectUnauthorized: false });
      await new Promise((resolve, reject) => sock.once('secureConnect', resolve).once('error', reject));
      const conn = new RawConn(sock);
      try {
        await conn.write(`${head.join('\r\n')}\r\n\r\n`);
        answers.push([what, await conn.response(), true]);
      } finally {
        conn.destroy();
      }
    }
    for (const [what, res, hsts] of answers) {
      assert.equal(res.status, 400, `${what}: ${res.body}`);
      assert.match(res.headers['content-type'] ?? '', /^application\/json/, `${what}: ${res.body}`);
      assert.deepEqual(JSON.parse(res.body), { success: false, message: 'Malformed request' }, what);
      if (hsts) assert.match(res.headers['strict-transport-security'] ?? '', /max-age=/, `${what}: HSTS`);
    }
  });

  test('only TLS 1.2 and 1.3 are offered', async () => {
    const res = await httpsGet(`${httpsBase}/health`);
    assert.equal(res.status, 200);
    await assert.rejects(new Promise((resolve, reject) => {
      const req = https.request(`${httpsBase}/health`, { rejectUnauthorized: false, agent: false, maxVersion: 'TLSv1.1', minVersion: 'TLSv1' }, resolve);
      req.on('error', reject);
      req.end();
    }));
  });

  test('a session over HTTPS works on both instances', async () => {
    const email = `tls-${Date.now()}@example.com`;
    const reg = await httpsGet(`${httpsBase}/api/auth/register`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'TLS user', email, password: 'pw-secret-123' }),
    });
    assert.equal(reg.status, 201, reg.body);
    const cookie = reg.headers['set-cookie'].find((c) => c.startsWith('token=')).split(';')[0];
    for (let i = 0; i < 4; i++) {
      const res = await httpsGet(`${httpsBase}/api/user/data`, { headers: { cookie } });
      assert.equal(res.status, 200);
      assert.equal(JSON.parse(res.body).userData.name, 'TLS user');
    }
  });
});
