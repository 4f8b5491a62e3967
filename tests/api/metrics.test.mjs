// Observability: GET /metrics (Prometheus text) on the metrics listener and,
// with METRICS_TOKEN, on the public port; request counts by route template;
// promtool's lint of a live scrape; /health/live and /health/ready through a
// SIGTERM drain; a broken database; X-Request-Id echoed, in the access log
// and on every stderr line of the request.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { jsonBody, newIdentity, registeredClient } from '../support/client.mjs';
import { parseMetrics } from '../support/metrics.mjs';
import { requireOrSkip } from '../support/require.mjs';
import { freePort, postgres, startServer } from '../support/server.mjs';
import { settle } from '../support/wait.mjs';

const HAVE_PROMTOOL = spawnSync('promtool', ['--version']).status === 0;
const TOKEN = randomBytes(16).toString('hex');
const TEMPLATES = new Set(['/', '/health', '/health/live', '/health/ready', '/metrics', '/api/auth/register',
  '/api/auth/login', '/api/auth/logout', '/api/auth/send-verify-otp', '/api/auth/verify-account',
  '/api/auth/is-auth', '/api/auth/send-reset-otp', '/api/auth/reset-password', '/api/user/data', '/api/tasks',
  '/api/tasks/stats', '/api/tasks/:id', 'unmatched']);

const countOf = (m, method, route, status) =>
  m.get(`http_request_duration_seconds_count{method="${method}",route="${route}",status_code="${status}"}`) ?? 0;

async function scrape(mport) {
  const res = await fetch(`http://127.0.0.1:${mport}/metrics`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  return res.text();
}

describe('metrics', () => {
  let server, mport;
  before(async () => {
    mport = await freePort();
    server = await startServer({ METRICS_PORT: String(mport), METRICS_TOKEN: TOKEN });
  });
  after(async () => {
    assert.equal(await server.close(), 0, `lsf-server did not exit 0 on SIGTERM:\n${server.stderr()}`);
  });

  test('request counts by method, route template and status equal the requests made', async () => {
    const before = parseMetrics(await scrape(mport));
    const { client } = await registeredClient(server.url, 'metrics');
    const made = new Map();
    const note = (method, route, status) => made.set(`${method} ${route} ${status}`, (made.get(`${method} ${route} ${status}`) ?? 0) + 1);
    note('POST', '/api/auth/register', 201);
    const created = await client.post('/api/tasks', { title: 'observe me' });
    note('POST', '/api/tasks', created.status);
    const id = (await jsonBody(created)).task._id;
    for (let i = 0; i < 3; i++) {
      const res = await client.get(`/api/tasks/${id}`);
      await res.arrayBuffer();
      note('GET', '/api/tasks/:id', res.status);
    }
    for (const p of ['/health', '/health', '/nope', `/api/tasks/${id}/x`]) {
      const res = await fetch(server.url + p);
      await res.arrayBuffer();
      note('GET', p.startsWith('/health') ? '/health' : 'unmatched', res.status);
    }
    const text = await scrape(mport);
    const after = parseMetrics(text);
    for (const [key, n] of made) {
      const [method, route, status] = key.split(' ');
      assert.equal(countOf(after, method, route, status) - countOf(before, method, route, status), n, key);
    }
    // labels are route templates, never raw paths
    for (const series of after.keys()) {
      const route = series.match(/route="([^"]*)"/)?.[1];
      if (route !== undefined) assert.ok(TEMPLATES.has(route), `route label ${route}`);
    }
    assert.ok(!text.includes(id), 'a task id reached a label');
    assert.equal(after.get('http_requests_in_flight'), 0);
    assert.equal(after.get(`kv_up{backend="${process.env.LSF_REDIS_URL ? 'redis' : 'memory'}"}`), 1);
    assert.equal(after.get('store_outbox_pending') >= 0, true);
    assert.ok(after.get('process_resident_memory_bytes') > 1e6);
    assert.ok(after.get('process_open_fds') > 3);
    assert.ok(Math.abs(after.get('process_start_time_seconds') - Date.now() / 1000) < 600);
    assert.ok([...after.keys()].some((k) => /^lsf_build_info\{version="[^"]+",revision="[^"]+"\}$/.test(k)));
  });

  test('an answer is counted before its client has it: each scrape right after a request sees it', async () => {
    const key = 'http_request_duration_seconds_count{method="GET",route="unmatched",status_code="404"}';
    let seen = parseMetrics(await scrape(mport)).get(key) ?? 0;
    for (let i = 0; i < 200; i++) {
      const res = await fetch(`${server.url}/counted-${i}`);
      await res.arrayBuffer();
      assert.equal(res.status, 404);
      const now = parseMetrics(await scrape(mport)).get(key);
      assert.equal(now, seen + 1, `request ${i}`);
      seen = now;
    }
  });

  test('the public port serves /metrics only with the bearer token; otherwise 404 like an unknown path', async () => {
    const unknown = await fetch(`${server.url}/no-such-path`);
    const unknownBody = await unknown.text();
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: `Bearer ${TOKEN}x` }, { authorization: TOKEN }]) {
      const res = await fetch(`${server.url}/metrics`, { headers });
      assert.equal(res.status, unknown.status, JSON.stringify(headers));
      assert.equal(await res.text(), unknownBody);
    }
    const res = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
    assert.match(await res.text(), /^# HELP http_request_duration_seconds /);
  });

  test('the metrics listener answers /metrics, /health/live and /health/ready only', async () => {
    assert.equal((await fetch(`http://127.0.0.1:${mport}/health/live`)).status, 200);
    const ready = await fetch(`http://127.0.0.1:${mport}/health/ready`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { ready: true });
    for (const p of ['/', '/health', '/api/tasks', '/metricsx']) {
      const res = await fetch(`http://127.0.0.1:${mport}${p}`);
      await res.arrayBuffer();
      assert.equal(res.status, 404, p);
    }
    assert.equal((await fetch(`http://127.0.0.1:${mport}/metrics`, { method: 'POST' })).status, 404);
  });

  test('promtool check metrics accepts a live scrape', { skip: requireOrSkip('promtool', HAVE_PROMTOOL, 'Debian package prometheus') }, async () => {
    const file = path.join(server.dir, 'scrape.txt');
    await writeFile(file, await scrape(mport));
    const r = spawnSync('sh', ['-c', `promtool check metrics < '${file}'`], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });

  test('X-Request-Id: a plain one is echoed and logged, anything else is replaced', async () => {
    const id = `req.${randomBytes(6).toString('hex')}:A_1-2`;
    let res = await fetch(`${server.url}/health/live`, { headers: { 'x-request-id': id } });
    assert.equal(res.headers.get('x-request-id'), id);
    await res.arrayBuffer();
    const long = 'a'.repeat(128);
    res = await fetch(`${server.url}/health/live`, { headers: { 'x-request-id': long } });
    assert.equal(res.headers.get('x-request-id'), long);
    for (const bad of ['a'.repeat(129), 'has space', 'semi;colon', 'quote"d']) {
      res = await fetch(`${server.url}/health/live`, { headers: { 'x-request-id': bad } });
      const got = res.headers.get('x-request-id');
      assert.notEqual(got, bad);
      assert.match(got, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
    res = await fetch(`${server.url}/health/live`);
    assert.match(res.headers.get('x-request-id'), /^[0-9a-f-]{36}$/);
    // the access log is flushed every second
    const line = await settle(async () => (await server.accessLog()).split('\n').find((l) => l.includes(id)), Boolean);
    assert.ok(line, 'request id in the access log');
    assert.match(line, new RegExp(`^\\S+ - - \\[[^\\]]+\\] "GET /health/live HTTP/1\\.1" 200 \\d+ "[^"]*" "[^"]*" "${id.replace(/\./g, '\\.')}" "[0-9a-f]{32}" "[0-9a-f]{16}"$`));
  });
});

describe('health: readiness through a SIGTERM drain', () => {
  test('ready turns false at SIGTERM while a slow request finishes; live stays true', async () => {
    const mport = await freePort();
    const server = await startServer({
      METRICS_PORT: String(mport),
      ARGON2_MEMLIMIT: '256mb',
      ARGON2_OPSLIMIT: '4',
      SHUTDOWN_GRACE_MS: '1500',
    });
    try {
      assert.deepEqual(await (await fetch(`${server.url}/health/ready`)).json(), { ready: true });
      const slow = fetch(`${server.url}/api/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(newIdentity('drain')),
      });
      await sleep(100);
      server.proc.kill('SIGTERM');
      // the public port still answers during the grace; both say not ready
      // (poll: the signal reaches the server's main thread a moment later)
      let pub;
      for (let i = 0; i < 40; i++) {
        pub = await fetch(`${server.url}/health/ready`);
        if (pub.status === 503) break;
        await pub.arrayBuffer();
        await sleep(25);
      }
      assert.equal(pub.status, 503);
      assert.deepEqual(await pub.json(), { ready: false, reason: 'draining' });
      const ready = await fetch(`http://127.0.0.1:${mport}/health/ready`);
      assert.equal(ready.status, 503);
      assert.deepEqual(await ready.json(), { ready: false, reason: 'draining' });
      assert.equal((await fetch(`http://127.0.0.1:${mport}/health/live`)).status, 200);
      const res = await slow;
      assert.equal(res.status, 201, await res.text());
      assert.equal(await server.exited, 0);
    } finally {
      await server.close();
    }
  });
});

// it breaks the database by overwriting the SQLite file
describe('health: a broken database', { skip: postgres && 'PostgreSQL run: no SQLite file to break' }, () => {
  let server;
  before(async () => {
    server = await startServer({ HTTP_THREADS: '1', METRICS_PORT: '0' });
  });
  after(async () => {
    await server.close();
  });

  test('without METRICS_TOKEN, /metrics does not exist on the public port', async () => {
    const res = await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer x' } });
    assert.equal(res.status, 404);
    assert.equal((await fetch(`${server.url}/metrics`, { method: 'OPTIONS' })).status, 404);
  });

  test('a failing query is logged with the request id, route and user on every line', async () => {
    const { client } = await registeredClient(server.url, 'broken');
    // as root, permissions stop nothing: overwrite the database and its WAL in place
    const { open } = await import('node:fs/promises');
    for (const f of ['lsf.db', 'lsf.db-wal', 'lsf.db-shm']) {
      const fh = await open(path.join(server.dir, f), 'r+').catch(() => null);
      if (fh) {
        await fh.write(Buffer.alloc(4096, 'X'), 0, 4096, 0);
        await fh.close();
      }
    }
    const id = `broken-${randomBytes(4).toString('hex')}`;
    // a write: it must read the (now broken) file, whatever the caches hold
    const res = await client.post('/api/tasks', { title: 'after the break' }, { headers: { 'x-request-id': id } });
    assert.equal(res.status >= 500 || res.status === 200, true);
    const body = await res.json();
    assert.equal(body.success, false);
    assert.equal(body.requestId, id);
    // stderr reaches this process a moment after the answer: wait for the lines
    let lines = [];
    for (let i = 0; i < 100 && lines.length < 2; i++) {
      if (i) await sleep(20);
      lines = server.stderr().split('\n').filter((l) => l.includes(id)).map((l) => JSON.parse(l));
    }
    assert.ok(lines.length >= 2, `expected the query error and the request failure, got ${lines.length}`);
    for (const l of lines) {
      assert.equal(l.request_id, id);
      assert.equal(l.route, '/api/tasks');
      assert.ok(l.user_id);
    }
  });

  test('/health and /health/ready answer 503 once the database fails', async () => {
      const health = await fetch(`${server.url}/health`);
      assert.equal(health.status, 503);
      assert.equal((await health.json()).services.database, false);
      const ready = await fetch(`${server.url}/health/ready`);
      assert.equal(ready.status, 503);
      assert.deepEqual(await ready.json(), { ready: false, reason: 'database' });
    });
});

// Liveness means every event loop: each posts a heartbeat once a second, and
// /health/live fails, on the metrics listener and on the API port, once one
// is later than LIVENESS_STALL_MS. Here one loop of two is stuck for seconds
// in a write that waits for SQLite's lock, held by another program (the
// busy timeout, 5 s, is the one wait a loop may still make): the probes,
// answered by the metrics listener's thread and by the other loop, say so;
// once the lock is let go they are live again.
describe('health: /health/live fails when one event loop is stuck',
  { skip: postgres && 'PostgreSQL run: the stuck loop is made with a SQLite lock' }, () => {
    let server, mport;
    before(async () => {
      mport = await freePort();
      // TASK_WRITE_BATCH=0: task writes on the loops, so a held SQLite lock can stall one
      // (with group commit the writer thread waits instead: tasks_group_commit.test.mjs)
      server = await startServer({
        HTTP_THREADS: '2', METRICS_PORT: String(mport), LIVENESS_STALL_MS: '1000', TASK_WRITE_BATCH: '0',
      });
    });
    after(async () => {
      assert.equal(await server.close(), 0, `lsf-server did not exit 0 on SIGTERM:\n${server.stderr()}`);
    });

    const live = async (base) => {
      const res = await fetch(`${base}/health/live`, { signal: AbortSignal.timeout(2000) });
      return { status: res.status, body: await res.json() };
    };

    test('a loop waiting 5 s for the SQLite write lock: 503 with the loop named, then 200 again', async () => {
      const metricsUrl = `http://127.0.0.1:${mport}`;
      assert.deepEqual(await live(metricsUrl), { status: 200, body: { live: true } });
      const { client } = await registeredClient(server.url, 'stuck');
      const { session } = await import('../support/db.mjs');
      const other = session(server);
      await other.run('BEGIN IMMEDIATE;');
      const write = client.post('/api/tasks', { title: 'waits for the lock' });
      let seen = null;
      try {
        for (let i = 0; i < 40 && seen === null; i++) {
          await sleep(100);
          const r = await live(metricsUrl);
          if (r.status !== 200) seen = r;
        }
        const onApi = await live(server.url); /* answered by the loop that is not stuck */
        assert.ok(seen !== null, 'the metrics listener saw the stuck loop');
        assert.equal(seen.status, 503);
        assert.equal(seen.body.live, false);
        assert.equal(seen.body.reason, 'event loop stalled');
        assert.ok([0, 1].includes(seen.body.loop), `loop ${seen.body.loop}`);
        assert.ok(seen.body.stalledMs > 1000, `silent for ${seen.body.stalledMs} ms`);
        assert.equal(onApi.status, 503, 'the API port says so too');
      } finally {
        await other.run('COMMIT;');
        await other.close();
      }
      await (await write).arrayBuffer();
      let back = 0;
      for (let i = 0; i < 40 && back !== 200; i++) {
        await sleep(100);
        back = (await live(metricsUrl)).status;
      }
      assert.equal(back, 200, 'live again once the loop runs');
    });
  });
