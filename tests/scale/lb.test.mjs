// Three lsf-server instances on one SQLite file behind deploy/nginx/lb.conf:
// nginx spreads requests over all of them, a session made on one instance
// works on the others, and bodies between lsf-server's 1 MiB limit and
// nginx's get lsf-server's JSON 413.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { Client, jsonBody, registeredClient } from '../support/client.mjs';
import { settle } from '../support/wait.mjs';
import { Cluster, freePort, needs, Nginx, tempDir } from './support.mjs';

describe('lb.conf: N instances on one database', { skip: needs.nginx() }, () => {
  let cluster, nginx, base;
  before(async () => {
    cluster = await Cluster.create();
    for (const name of ['a', 'b', 'c']) await cluster.add(name);
    const port = await freePort();
    nginx = cluster.own(await Nginx.start('lb.conf', {
      'app-servers.conf': cluster.instances.map((i) => i.upstreamLine).join('\n') + '\n',
      'listen.conf': `listen 127.0.0.1:${port};\n`,
    }, await tempDir('nginx', cluster.dir)));
    base = `http://127.0.0.1:${port}`;
  });
  after(async () => {
    const codes = await cluster.close();
    for (const [name, code] of Object.entries(codes)) assert.equal(code, 0, `instance ${name} exit status`);
  });

  test('requests are spread over every instance', async () => {
    const { client } = await registeredClient(base, 'spread');
    const ids = new Set();
    for (let i = 0; i < 30; i++) {
      const res = await client.get('/api/user/data', { headers: { 'x-request-id': `spread-${i}` } });
      assert.equal(res.status, 200);
      ids.add(res.headers.get('x-request-id'));
      await res.arrayBuffer();
    }
    assert.equal(ids.size, 30, 'the client\'s X-Request-Id reaches lsf-server and comes back');
    // lsf-server flushes its access log once a second
    const served = async () => Promise.all(cluster.instances.map(async (inst) =>
      (await inst.accessLog()).split('\n').filter((l) => l.includes('GET /api/user/data')).length));
    const counts = await settle(served, (c) => c.reduce((x, y) => x + y) >= 30);
    assert.equal(counts.reduce((x, y) => x + y), 30, `per instance: ${counts}`);
    for (const [i, n] of counts.entries()) assert.ok(n >= 3, `instance ${cluster.instances[i].name} served ${n} of 30`);
    const log = await nginx.accessLog();
    for (const inst of cluster.instances)
      assert.match(log, new RegExp(`upstream=127\\.0\\.0\\.1:${inst.port}\\b`), `nginx log names instance ${inst.name}`);
  });

  test('a session made on one instance works on every other one and through nginx', async () => {
    const [a, b, c] = cluster.instances;
    const { client, identity } = await registeredClient(a.url, 'cross');
    const fresh = new Client(b.url);
    const login = await fresh.login(identity);
    assert.equal(login.status, 200, 'log in on b to an account registered on a');
    for (const inst of [a, c]) {
      const res = await fetch(`${inst.url}/api/user/data`, { headers: { cookie: `token=${fresh.token}` } });
      const body = await jsonBody(res);
      assert.equal(res.status, 200, `b's session on ${inst.name}`);
      assert.equal(body.userData.name, identity.name);
    }
    const create = await fetch(`${c.url}/api/tasks`, {
      method: 'POST',
      headers: { cookie: `token=${client.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'made on c' }),
    });
    assert.equal(create.status, 201);
    const viaLb = new Client(base);
    viaLb.jar.set('token', client.token);
    for (let i = 0; i < 6; i++) {
      const res = await viaLb.get('/api/tasks');
      const body = await jsonBody(res);
      assert.equal(res.status, 200);
      assert.deepEqual(body.tasks.map((t) => t.title), ['made on c'], 'every instance sees the task of c');
    }
  });

  test('a body over 1 MiB gets a JSON 413 and takes no instance out of rotation', async () => {
    const bodyOf = (n) => JSON.stringify({ email: 'x'.repeat(n - 27), password: 'p' }); // n bytes
    assert.equal(bodyOf(1000).length, 1000);
    const near = await fetch(`${base}/api/auth/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: bodyOf(1024 * 1024),
    });
    assert.notEqual(near.status, 413, 'exactly 1 MiB passes nginx and lsf-server');
    await near.arrayBuffer();
    for (const size of [1024 * 1024 + 1, 1.5 * 1024 * 1024, 3 * 1024 * 1024]) {
      const res = await fetch(`${base}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: bodyOf(size),
      });
      assert.equal(res.status, 413, `${size} bytes`);
      assert.deepEqual(await jsonBody(res), { success: false, message: 'Request body too large' });
    }
    assert.doesNotMatch(await nginx.errorLog(), /temporarily disabled/, 'no instance was marked failed');
  });

  test('nginx answers for itself only with JSON; the server header names no version', async () => {
    const res = await fetch(`${base}/health`);
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    assert.doesNotMatch(res.headers.get('server') || '', /\d/);
  });
});
