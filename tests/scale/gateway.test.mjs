// Split services: `serve --services X` answers 404 for the routes of the
// services it does not run (/ and /health always), and deploy/nginx/
// gateway.conf sends /api/auth, /api/user and /api/tasks each to its own
// process and everything else to the static web client, with the web app's
// security headers; malformed heads get JSON errors (see errors.test.mjs).
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { Client, jsonBody, registeredClient } from '../support/client.mjs';
import { RawConn } from '../support/raw.mjs';
import { settle } from '../support/wait.mjs';
import { Cluster, freePort, needs, Nginx, tempDir } from './support.mjs';

const ROUTES = {
  auth: [['POST', '/api/auth/login'], ['POST', '/api/auth/register'], ['GET', '/api/auth/is-auth'], ['POST', '/api/auth/logout']],
  user: [['GET', '/api/user/data']],
  tasks: [['GET', '/api/tasks'], ['POST', '/api/tasks'], ['GET', '/api/tasks/stats'], ['DELETE', '/api/tasks/0190a0a0-0000-7000-8000-000000000000']],
};

describe('split services behind gateway.conf', { skip: needs.nginx() }, () => {
  let cluster, nginx, base, inst;
  before(async () => {
    cluster = await Cluster.create();
    inst = {};
    for (const s of ['auth', 'user', 'tasks']) inst[s] = await cluster.add(s, { services: s });
    const web = path.join(cluster.dir, 'web');
    await mkdir(path.join(web, 'assets'), { recursive: true });
    await writeFile(path.join(web, 'index.html'), '<!doctype html><title>LSF Tasks</title>\n');
    await writeFile(path.join(web, 'assets', 'app-1a2b3c.js'), 'console.log("app");\n');
    const port = await freePort();
    nginx = cluster.own(await Nginx.start('gateway.conf', {
      'auth-servers.conf': `${inst.auth.upstreamLine}\n`,
      'user-servers.conf': `${inst.user.upstreamLine}\n`,
      'tasks-servers.conf': `${inst.tasks.upstreamLine}\n`,
      'listen.conf': `listen 127.0.0.1:${port};\n`,
      'web-root.conf': `root ${web};\n`,
    }, await tempDir('nginx', cluster.dir)));
    base = `http://127.0.0.1:${port}`;
  });
  after(async () => {
    const codes = await cluster.close();
    for (const [name, code] of Object.entries(codes)) assert.equal(code, 0, `instance ${name} exit status`);
  });

  test('each process answers 404 for the routes of services it does not run, and / and /health', async () => {
    for (const [service, proc] of Object.entries(inst)) {
      for (const [other, routes] of Object.entries(ROUTES)) {
        for (const [method, p] of routes) {
          const res = await fetch(proc.url + p, {
            method,
            headers: { 'content-type': 'application/json', 'user-agent': 'direct-probe' },
            body: method === 'POST' ? '{}' : undefined,
          });
          const body = await jsonBody(res);
          if (other === service) assert.notEqual(res.status, 404, `${service} runs ${method} ${p}`);
          else assert.deepEqual([res.status, body.message], [404, 'Not Found'], `${service} must not run ${method} ${p}`);
        }
      }
      for (const p of ['/', '/health']) {
        const res = await fetch(proc.url + p);
        assert.equal(res.status, 200, `${service}: GET ${p}`);
        await res.arrayBuffer();
      }
    }
  });

  test('--services rejects unknown names and an empty list', async () => {
    const { spawnSync } = await import('node:child_process');
    const { binPath } = await import('../support/server.mjs');
    for (const list of ['auth,mail', '', ',']) {
      const r = spawnSync(binPath(), ['serve', '--services', list], { encoding: 'utf8', env: { PATH: process.env.PATH } });
      assert.equal(r.status, 2, `--services "${list}": ${r.stderr}`);
    }
  });

  test('the gateway routes each API prefix to its service', async () => {
    const { client } = await registeredClient(base, 'gw');
    const user = await client.get('/api/user/data');
    assert.equal(user.status, 200);
    assert.equal((await jsonBody(user)).success, true);
    const created = await client.post('/api/tasks', { title: 'via gateway' });
    assert.equal(created.status, 201);
    await created.arrayBuffer();
    const list = await client.get('/api/tasks?limit=5');
    assert.deepEqual((await jsonBody(list)).tasks.map((t) => t.title), ['via gateway']);
    const isAuth = await client.get('/api/auth/is-auth');
    assert.deepEqual(await jsonBody(isAuth), { success: true });
    const health = await fetch(`${base}/health`);
    assert.equal(health.status, 200);
    await health.arrayBuffer();

    // each request in its pool's access log (flushed about once a second)
    const wanted = { auth: [/POST \/api\/auth\/register/, /GET \/api\/auth\/is-auth/], user: [/GET \/api\/user\/data/],
      tasks: [/POST \/api\/tasks /, /GET \/api\/tasks\?limit=5/] };
    const logs = await settle(async () => Object.fromEntries(await Promise.all(
      Object.entries(inst).map(async ([s, proc]) => [s, await proc.accessLog()]))),
    (l) => Object.entries(wanted).every(([s, res]) => res.every((re) => re.test(l[s]))));
    for (const [s, res] of Object.entries(wanted)) for (const re of res) assert.match(logs[s], re, `${s}'s access log`);
    for (const [s, text] of Object.entries(logs)) {
      const foreign = text.split('\n').filter((l) => /"[A-Z]+ \/api\//.test(l) && !l.includes('direct-probe') && !l.includes(`/api/${s}`));
      assert.deepEqual(foreign, [], `${s} got only its own routes`);
    }
  });

  test('other /api paths are a JSON 404 from the gateway', async () => {
    for (const p of ['/api/nothing', '/api/auth', '/api/users/data', '/api/']) {
      const res = await fetch(base + p);
      assert.equal(res.status, 404, p);
      assert.deepEqual(await jsonBody(res), { success: false, message: 'Not Found' });
    }
  });

  test('everything else is the web client: index.html for client routes, immutable hashed assets', async () => {
    for (const p of ['/', '/login', '/tasks/123?x=1']) {
      const res = await fetch(base + p);
      assert.equal(res.status, 200, p);
      assert.match(res.headers.get('content-type'), /^text\/html/);
      assert.equal(res.headers.get('cache-control'), 'no-cache');
      assert.match(await res.text(), /<title>LSF Tasks<\/title>/);
    }
    const js = await fetch(`${base}/assets/app-1a2b3c.js`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type'), /^application\/javascript/);
    assert.match(js.headers.get('cache-control'), /immutable/);
    assert.equal(await js.text(), 'console.log("app");\n');
    const missing = await fetch(`${base}/assets/gone-000.js`);
    assert.equal(missing.status, 404, 'a missing asset is not index.html');
    await missing.arrayBuffer();
  });

  test('the web client nginx serves may not be framed: the CSP, X-Frame-Options and Referrer-Policy of lsf-server', async () => {
    const csp = "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
    for (const p of ['/', '/index.html', '/login', '/assets/app-1a2b3c.js', '/assets/gone-000.js']) {
      const res = await fetch(base + p);
      assert.equal(res.headers.get('content-security-policy'), csp, `CSP of ${p}`);
      assert.equal(res.headers.get('x-frame-options'), 'DENY', `X-Frame-Options of ${p}`);
      assert.equal(res.headers.get('referrer-policy'), 'same-origin', `Referrer-Policy of ${p}`);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', `X-Content-Type-Options of ${p}`);
      await res.arrayBuffer();
    }
    const js = await fetch(`${base}/assets/app-1a2b3c.js`);
    assert.match(js.headers.get('cache-control'), /immutable/, 'the location keeps its own header too');
    await js.arrayBuffer();
  });

  test('malformed heads to the services get JSON errors from the gateway', async () => {
    const fields = Array.from({ length: 101 }, (_, i) => `X-Field-${i}: v`);
    const cases = [
      ['GET /api/user/data HTTP/1.1', 'Host: x', ...fields], // forwarded; lsf-server's parser refuses it
      ['GET /api/tasks HTTP/1.1', 'Host: x', 'X-Bad: a\x01b'],
      ['POST /api/auth/login HTTP/1.1', 'Host: x', 'Content-Length: 2', 'Transfer-Encoding: chunked'], // refused by nginx
    ];
    for (const head of cases) {
      const conn = await RawConn.open(Number(new URL(base).port));
      try {
        await conn.write(`${head.join('\r\n')}\r\n\r\n0\r\n\r\n`);
        const res = await conn.response();
        assert.equal(res.status, 400, `${head[0]}: ${res.body}`);
        assert.match(res.headers['content-type'] ?? '', /^application\/json/, `${head[0]}: ${res.body}`);
        assert.deepEqual(JSON.parse(res.body), { success: false, message: 'Malformed request' }, head[0]);
      } finally {
        conn.destroy();
      }
    }
  });

  test('a client on the gateway keeps its session across the three processes', async () => {
    const c = new Client(base);
    const { identity } = await registeredClient(inst.auth.url, 'gw2');
    assert.equal((await c.login(identity)).status, 200);
    assert.equal((await c.get('/api/user/data')).status, 200);
    assert.equal((await c.get('/api/tasks/stats')).status, 200);
  });
});
