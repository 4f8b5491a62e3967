// The scaled path never blocks (issue "The scaled path never blocks"): one
// lsf-server on a PostgreSQL primary and Redis, two event loops, under a
// steady load of task lists, while Redis and then the PostgreSQL primary are
// frozen with SIGSTOP and thawed, several times. Throughout, /health/live on
// the API port, probed on a new connection every 20 ms (so every loop gets
// probed: they share the listening socket), must answer 200 well within 1 s
// (the test's bound; the 50 ms aim is the benchmark's, bench/scaled.sh). With
// Redis frozen, requests follow REDIS_DOWN_RATE_LIMIT=local (the default):
// sessions are checked in the database, so a revoked token stays refused,
// and a client over its limit is still refused (429) by the local counters.
// With the primary frozen, requests answer 503 once the statement or
// acquire timeout passes (or 429: a session the database cannot confirm
// counts against its address's limit), none hangs, and the server serves
// again after the thaw without a restart. A third part exhausts the loop's exclusive
// connections with updates blocked on a row lock: the one that finds no
// connection answers 503 within DB_POOL_ACQUIRE_TIMEOUT_MS, the blocked
// ones 503 once DB_STATEMENT_TIMEOUT_MS cuts their statement.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { registeredClient } from '../support/client.mjs';
import { Cluster, fromAddress, needs, startPgCluster, startRedis, tempDir } from './support.mjs';

const LIVE_BOUND_MS = 1000;
const STATEMENT_TIMEOUT_MS = 1000;
const ACQUIRE_TIMEOUT_MS = 1000;

// GET /health/live on a new connection; resolves to {status, ms} (status 0:
// no complete answer within 5 s).
function probeLive(port) {
  return new Promise((resolve) => {
    const start = performance.now();
    const sock = net.connect(port, '127.0.0.1');
    let data = '';
    const done = (status) => {
      sock.destroy();
      resolve({ status, ms: performance.now() - start });
    };
    sock.setTimeout(5000, () => done(0));
    sock.on('error', () => done(0));
    sock.on('connect', () => sock.write('GET /health/live HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n'));
    sock.on('data', (chunk) => {
      data += chunk;
    });
    sock.on('end', () => done(Number(/^HTTP\/1\.1 (\d+)/.exec(data)?.[1] ?? 0)));
  });
}

// Probe every 20 ms until stopped; {probes, worst, failed}.
function startProber(port) {
  const out = { probes: 0, worst: 0, failed: [] };
  let running = true;
  const done = (async () => {
    while (running) {
      const r = await probeLive(port);
      out.probes++;
      out.worst = Math.max(out.worst, r.ms);
      if (r.status !== 200) out.failed.push(r);
      await sleep(20);
    }
  })();
  return { out, stop: async () => { running = false; await done; return out; } };
}

// `workers` loops of GET path with the cookie until stopped; every answer's
// status and the longest wait.
function startLoad(url, cookie, workers = 8, path = '/api/tasks?limit=10') {
  const out = { statuses: {}, worst: 0, count: 0 };
  let running = true;
  const loops = Array.from({ length: workers }, async () => {
    while (running) {
      const start = performance.now();
      let status = 0;
      try {
        const res = await fetch(`${url}${path}`, { headers: { cookie }, signal: AbortSignal.timeout(15000) });
        await res.arrayBuffer();
        status = res.status;
      } catch {
        status = 0; /* no answer within 15 s: a hang */
      }
      out.worst = Math.max(out.worst, performance.now() - start);
      out.statuses[status] = (out.statuses[status] ?? 0) + 1;
      out.count++;
    }
  });
  return { out, stop: async () => { running = false; await Promise.all(loops); return out; } };
}

function signalAll(pids, sig) {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      /* a backend that just ended */
    }
  }
}

describe('the scaled path never blocks', { skip: needs.redis() || needs.pgCluster() }, () => {
  let cluster, redis, pg, inst, client, revokedCookie;

  before(async () => {
    pg = await startPgCluster();
    cluster = await Cluster.create({
      DATABASE_URL: pg.primary,
      HTTP_THREADS: '2',
      RATE_LIMIT: 'on',
      RATE_LIMIT_MAX: '20',
      RATE_LIMIT_WINDOW_MS: '600000',
      RATE_LIMIT_USER_MAX: '1000000',
      DB_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS),
      DB_POOL_ACQUIRE_TIMEOUT_MS: String(ACQUIRE_TIMEOUT_MS),
      DB_CONNECT_TIMEOUT_MS: '1000',
    });
    cluster.own({ stop: () => pg.stop() });
    redis = cluster.own(await startRedis(await tempDir('redis', cluster.dir)));
    cluster.env.REDIS_URL = redis.url;
    inst = await cluster.add('a');
    ({ client } = await registeredClient(inst.url, 'freeze'));
    for (let i = 0; i < 5; i++) assert.equal((await client.post('/api/tasks', { title: `task ${i}` })).status, 201);
    const { client: leaving } = await registeredClient(inst.url, 'leaving');
    revokedCookie = `token=${leaving.token}`;
    assert.equal((await leaving.post('/api/auth/logout')).status, 200);
  });

  after(async () => {
    await cluster?.close();
  });

  test('Redis frozen and thawed 3 times under load: every probe answers within 1 s, sessions hold, revocations and limits too', async () => {
    const cookie = `token=${client.token}`;
    const load = startLoad(inst.url, cookie);
    const prober = startProber(inst.port);
    const revokedDuringFreeze = [];
    let limited = 0;
    for (let i = 0; i < 3; i++) {
      await sleep(500);
      process.kill(redis.pid, 'SIGSTOP');
      try {
        const res = await fetch(`${inst.url}/api/tasks`, { headers: { cookie: revokedCookie },
          signal: AbortSignal.timeout(5000) });
        await res.arrayBuffer();
        revokedDuringFreeze.push(res.status);
        if (i === 0) {
          // another client (127.0.0.2) over RATE_LIMIT_MAX at once: counted in this process
          const answers = await Promise.all(Array.from({ length: 25 }, () =>
            fromAddress('127.0.0.2', `${inst.url}/api/tasks`)));
          limited = answers.filter((a) => a.status === 429).length;
          assert.ok(answers.every((a) => [401, 429].includes(a.status)), JSON.stringify(answers.map((a) => a.status)));
        }
        await sleep(1500);
      } finally {
        process.kill(redis.pid, 'SIGCONT');
      }
    }
    await sleep(1000);
    const probes = await prober.stop();
    const served = await load.stop();
    assert.ok(probes.probes > 50, `probed ${probes.probes} times`);
    assert.deepEqual(probes.failed, [], 'every probe answered 200');
    assert.ok(probes.worst < LIVE_BOUND_MS, `worst /health/live ${probes.worst.toFixed(1)} ms`);
    assert.deepEqual(revokedDuringFreeze, [401, 401, 401], 'a revoked token is refused while Redis is frozen');
    assert.ok(limited >= 5, `${limited} of 25 requests over the limit refused by the local counters`);
    assert.deepEqual(Object.keys(served.statuses), ['200'], `statuses under load: ${JSON.stringify(served.statuses)}`);
    assert.ok(served.worst < 5000, `no request hung: worst ${served.worst.toFixed(0)} ms`);
  });

  test('PostgreSQL primary frozen and thawed twice under load: 503s after the timeouts, no hang, live, served again after', async () => {
    const cookie = `token=${client.token}`;
    const load = startLoad(inst.url, cookie);
    const prober = startProber(inst.port);
    for (let i = 0; i < 2; i++) {
      await sleep(500);
      const pids = pg.primaryPids();
      signalAll(pids, 'SIGSTOP');
      try {
        await sleep(STATEMENT_TIMEOUT_MS + ACQUIRE_TIMEOUT_MS + 2000);
      } finally {
        signalAll(pids, 'SIGCONT');
      }
    }
    // served again without a restart
    let back = 0;
    for (let i = 0; i < 100 && back !== 200; i++) {
      const res = await client.get('/api/tasks');
      back = res.status;
      if (back !== 200) await sleep(100);
    }
    const probes = await prober.stop();
    const served = await load.stop();
    assert.equal(back, 200, 'the list answers again after the thaw');
    assert.deepEqual(probes.failed, [], 'every probe answered 200');
    assert.ok(probes.worst < LIVE_BOUND_MS, `worst /health/live ${probes.worst.toFixed(1)} ms`);
    assert.ok(served.statuses[503] > 0, `503s while frozen: ${JSON.stringify(served.statuses)}`);
    // a session the database cannot confirm is counted per client address, whose small limit may run out
    assert.ok(Object.keys(served.statuses).every((s) => ['200', '429', '503'].includes(s)), JSON.stringify(served.statuses));
    // statement timeout + 1 s margin, then at most one more acquire: never a hang
    assert.ok(served.worst < STATEMENT_TIMEOUT_MS + 1000 + ACQUIRE_TIMEOUT_MS + 1500,
      `worst request ${served.worst.toFixed(0)} ms`);
  });

  test('exclusive connections exhausted: 503 within DB_POOL_ACQUIRE_TIMEOUT_MS; a statement over DB_STATEMENT_TIMEOUT_MS: 503', async () => {
    // one loop, two exclusive connections (max(2, DB_POOL_MAX / HTTP_THREADS))
    const b = await cluster.add('b', { env: { HTTP_THREADS: '1', RATE_LIMIT: 'off', DB_POOL_MAX: '2', DB_POOL_MIN: '1', DB_POOL_ACQUIRE_TIMEOUT_MS: '500',
      DB_STATEMENT_TIMEOUT_MS: '2000' } });
    const { client: owner } = await registeredClient(b.url, 'locks');
    const created = await owner.post('/api/tasks', { title: 'locked' });
    const id = (await created.json()).task._id;
    // a session elsewhere holds the row (psql, as long as it sleeps)
    const locker = spawn('sh', ['-c', `"$(cat ${pg.dir}/pgbin)/psql" '${pg.primary}' -X -q -c "BEGIN" `
      + `-c "SELECT id FROM tasks WHERE id = '${id}' FOR UPDATE" -c "SELECT pg_sleep(8)"`], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 50; i++) { /* until the lock is held */
        const n = await pg.psql(pg.primary, "SELECT count(*) FROM pg_locks WHERE mode = 'RowShareLock'");
        if (Number(n) > 0) break;
        await sleep(100);
      }
      const put = async () => {
        const start = performance.now();
        const res = await owner.request('PUT', `/api/tasks/${id}`, { json: { title: 'changed' } });
        await res.arrayBuffer();
        return { status: res.status, ms: performance.now() - start };
      };
      const first = [put(), put()];
      await sleep(200); /* both hold a connection, waiting for the row */
      const third = await put();
      const [a, c] = await Promise.all(first);
      assert.equal(third.status, 503, 'no exclusive connection free');
      assert.ok(third.ms >= 400 && third.ms < 500 + 800, `answered after ${third.ms.toFixed(0)} ms`);
      for (const r of [a, c]) {
        assert.equal(r.status, 503, 'the statement timeout cut the blocked update');
        assert.ok(r.ms >= 1900 && r.ms < 2000 + 1500, `answered after ${r.ms.toFixed(0)} ms`);
      }
    } finally {
      locker.kill('SIGTERM');
    }
    const live = await probeLive(b.port);
    assert.equal(live.status, 200);
  });
});
