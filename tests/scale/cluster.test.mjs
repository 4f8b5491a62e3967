// Three lsf-server instances on PostgreSQL (a primary and a streaming
// replica made by tests/support/pg_cluster.sh) and Redis, behind
// deploy/nginx/lb.conf: a session and its logout hold on every instance, the
// auth rate limit is shared, stats are fresh on every instance after a write,
// a user reads their own write through another instance while the replica
// is paused (and a user whose mark is gone reads the stale replica: the
// mark is what routes), no acknowledged creation is lost when an instance is
// killed under load, a Redis outage changes nothing a client sees, and a
// primary outage answers 503 at once (reads still come from the replica)
// and heals without a restart.
// Skipped without nginx, redis-server or the PostgreSQL server binaries.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { Client, jsonBody, newIdentity } from '../support/client.mjs';
import { redisCommand } from '../support/redis.mjs';
import {
  Cluster, freePort, needs, Nginx, startPgCluster, startRedis, tempDir,
} from './support.mjs';

const skip = needs.nginx() || needs.redis() || needs.pgCluster();

const RYW_MS = 5000;
const FAST_MS = 3000; // "quickly": a 503 must come well inside this
const METRICS_TOKEN = `m-${Math.random().toString(36).slice(2)}`;

// The user id inside a session token (the JWT's "id" claim).
function userIdOf(token) {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).id;
}

function withToken(url, token) {
  const c = new Client(url);
  c.jar.set('token', token);
  return c;
}

async function status(res) {
  await res.arrayBuffer();
  return res.status;
}

async function createOn(url, token, title) {
  const res = await withToken(url, token).post('/api/tasks', { title });
  const body = await jsonBody(res);
  assert.equal(res.status, 201, `create "${title}" on ${url}: ${JSON.stringify(body)}`);
  return body.task;
}

async function titlesOn(url, token) {
  const res = await withToken(url, token).get('/api/tasks?limit=100');
  const body = await jsonBody(res);
  assert.equal(res.status, 200, JSON.stringify(body));
  return body.tasks.map((t) => t.title).sort();
}

async function statsTotalOn(url, token) {
  const res = await withToken(url, token).get('/api/tasks/stats');
  const body = await jsonBody(res);
  assert.equal(res.status, 200, JSON.stringify(body));
  return body.stats.total;
}

// A registered and logged-in user: {identity, token}.
async function newUser(url, tag) {
  const identity = newIdentity(tag);
  const c = new Client(url);
  assert.equal(await status(await c.register(identity)), 201);
  return { identity, token: c.token };
}

describe('three instances on PostgreSQL primary + replica and Redis behind nginx', { skip }, () => {
  let cluster, pg, redis, base, i1, i2, i3;
  let revokedToken; // logged out on instance 3

  before(async () => {
    cluster = await Cluster.create();
    pg = await startPgCluster();
    if (pg === null) throw new Error('pg_cluster.sh found no server binaries');
    cluster.own(pg);
    redis = cluster.own(await startRedis(await tempDir('redis', cluster.dir)));
    Object.assign(cluster.env, {
      DATABASE_URL: pg.primary,
      DATABASE_REPLICA_URLS: pg.replica,
      REDIS_URL: redis.url,
      DB_POOL_MAX: '4',
      DB_POOL_MIN: '1',
      DB_READ_YOUR_WRITES_MS: String(RYW_MS),
      RATE_LIMIT: 'on',
      RATE_LIMIT_MAX: '1000000',
      AUTH_RATE_LIMIT_MAX: '5',
      METRICS_TOKEN: METRICS_TOKEN,
    });
    // one at a time: the first one applies the migrations
    for (const name of ['i1', 'i2', 'i3']) await cluster.add(name);
    [i1, i2, i3] = cluster.instances;
    const port = await freePort();
    cluster.own(await Nginx.start('lb.conf', {
      'app-servers.conf': cluster.instances.map((i) => i.upstreamLine).join('\n') + '\n',
      'listen.conf': `listen 127.0.0.1:${port};\n`,
    }, await tempDir('nginx', cluster.dir)));
    base = `http://127.0.0.1:${port}`;
    await replicaCaughtUp(); // the migrations, before reads go there
  });

  // Wait until the replica has replayed everything the primary has written.
  async function replicaCaughtUp() {
    const lsn = await pg.psql(pg.primary, 'SELECT pg_current_wal_lsn()');
    for (const t = Date.now(); ; await sleep(50)) {
      if (await pg.psql(pg.replica, `SELECT pg_last_wal_replay_lsn() >= '${lsn}'::pg_lsn`) === 't') return;
      assert.ok(Date.now() - t < 5000, 'the replica catches up');
    }
  }

  after(async () => {
    if (!cluster) return;
    const codes = {};
    for (const inst of cluster.instances) codes[inst.name] = await inst.stop();
    await cluster.close();
    for (const [name, code] of Object.entries(codes)) {
      const inst = cluster.instances.find((i) => i.name === name);
      assert.equal(code, 0, `instance ${name} exit status; stderr:\n${inst.stderr().slice(-2000)}`);
    }
  });

  test('a login on instance 1 is a session on 2 and 3; a logout on 3 is refused on all three', async () => {
    const { identity } = await newUser(i1.url, 'pgc-session');
    const c1 = new Client(i1.url);
    assert.equal(await status(await c1.login(identity)), 200);
    const token = c1.token;
    for (const inst of [i2, i3]) {
      const res = await withToken(inst.url, token).get('/api/user/data');
      const body = await jsonBody(res);
      assert.equal(res.status, 200, `session of i1 on ${inst.name}`);
      assert.equal(body.userData.name, identity.name);
    }
    assert.equal(await status(await withToken(i3.url, token).post('/api/auth/logout')), 200);
    for (const inst of [i1, i2, i3]) {
      assert.equal(await status(await withToken(inst.url, token).get('/api/user/data')), 401, `on ${inst.name}`);
      assert.equal(await status(await withToken(inst.url, token).get('/api/tasks')), 401, `on ${inst.name}`);
    }
    revokedToken = token;
  });

  test('the 6th failed login, spread over the instances, is 429', async () => {
    const { identity } = await newUser(i1.url, 'pgc-limit');
    const wrong = JSON.stringify({ email: identity.email, password: 'wrong-password' });
    const login = (inst, ip) => fetch(`${inst.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
      body: wrong,
    });
    const ip = `10.77.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
    const got = [];
    for (let k = 0; k < 6; k++) got.push(await status(await login(cluster.instances[k % 3], ip)));
    assert.deepEqual(got, [401, 401, 401, 401, 401, 429]);
    assert.equal(await status(await login(i2, '10.78.0.1')), 401, 'another client is not limited');
  });

  test('a task created through instance 1 shows in the stats of instance 2 at once', async () => {
    const { token } = await newUser(i1.url, 'pgc-stats');
    assert.equal(await statsTotalOn(i2.url, token), 0); // now cached for this user
    await createOn(i1.url, token, 'counted');
    assert.equal(await statsTotalOn(i2.url, token), 1);
    assert.equal(await statsTotalOn(i3.url, token), 1);
  });

  test('/metrics reports the PostgreSQL pools (primary and replica) of the instance', async () => {
    const res = await fetch(`${i2.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    const text = await res.text();
    assert.equal(res.status, 200);
    const value = (re) => Number((re.exec(text) || [])[1]);
    assert.equal(value(/^db_pool_max_connections (\d+)$/m), 8, 'DB_POOL_MAX for the primary and for the replica');
    const inUse = value(/^db_pool_connections\{state="in_use"\} (\d+)$/m);
    const idle = value(/^db_pool_connections\{state="idle"\} (\d+)$/m);
    assert.ok(inUse >= 0 && inUse <= 8, `in use ${inUse}`);
    assert.ok(idle >= 1 && inUse + idle <= 8, `idle ${idle}`);
  });

  test('a user reads their own write through other instances while the replica lags', async () => {
    const a = await newUser(i1.url, 'pgc-ryw-a');
    const b = await newUser(i1.url, 'pgc-ryw-b');
    await createOn(i1.url, b.token, 'b before');
    await replicaCaughtUp();
    await pg.psql(pg.replica, 'SELECT pg_wal_replay_pause()');
    try {
      for (let t = Date.now(); (await pg.psql(pg.replica, 'SELECT pg_get_wal_replay_pause_state()')) !== 'paused';
        await sleep(20))
        assert.ok(Date.now() - t < 5000, 'replay pauses');

      const mine = await createOn(i1.url, a.token, 'a after');
      assert.equal(await pg.psql(pg.replica, `SELECT count(*) FROM tasks WHERE id = '${mine._id}'`), '0',
        'the replica lags: it has not seen the write');
      for (const inst of [i2, i3]) {
        assert.deepEqual(await titlesOn(inst.url, a.token), ['a after'], `list on ${inst.name}`);
        const res = await withToken(inst.url, a.token).get(`/api/tasks/${mine._id}`);
        assert.equal(res.status, 200, `get on ${inst.name}`);
        assert.equal((await jsonBody(res)).task.title, 'a after');
      }
      assert.equal(await statsTotalOn(i2.url, a.token), 1);

      // control: b writes, but its shared mark is removed, so b's next read on
      // another instance is routed to the replica, which has not seen it
      await createOn(i1.url, b.token, 'b after');
      assert.equal(await redisCommand(redis.port, `DEL lsf:ryw:${userIdOf(b.token)}`), ':1', 'the write left a mark');
      assert.deepEqual(await titlesOn(i2.url, b.token), ['b before'], 'b read the (stale) replica');
      assert.deepEqual(await titlesOn(i1.url, b.token), ['b after', 'b before'], 'i1 still has its own mark');
    } finally {
      await pg.psql(pg.replica, 'SELECT pg_wal_replay_resume()');
    }
  });

  test('kill -9 of an instance under write load: every acknowledged creation is in the database', async () => {
    const { token } = await newUser(base, 'pgc-kill');
    const acked = [];
    let failed = 0, sent = 0, ackedAfterKill = 0, killed = false, killNow;
    const killTime = new Promise((resolve) => (killNow = resolve));
    const startedAt = Date.now();
    let killedAt = Infinity;
    // the load runs until 2 s after the kill (30 s at most), however slow the machine
    const running = () => Date.now() < Math.min(startedAt + 30000, killedAt + 2000);
    const worker = async (w) => {
      for (let n = 0; running() && sent < 600; n++) {
        sent++;
        try {
          const res = await fetch(`${base}/api/tasks`, {
            method: 'POST',
            headers: { cookie: `token=${token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ title: `load ${w}-${n}` }),
          });
          const text = await res.text();
          if (res.status === 201) {
            acked.push(JSON.parse(text).task._id);
            if (killed) ackedAfterKill++;
            if (acked.length === 150) killNow();
          } else {
            failed++;
          }
        } catch {
          failed++;
        }
      }
    };
    const load = Promise.all([0, 1, 2, 3].map(worker));
    await Promise.race([killTime, load]);
    await i2.kill();
    killed = true;
    killedAt = Date.now();
    await load;
    await i2.start(); // on its port again, for the tests below

    const inDb = new Set((await pg.psql(pg.primary, `SELECT id FROM tasks WHERE user_id = '${userIdOf(token)}'`))
      .split('\n').filter(Boolean));
    const lost = acked.filter((id) => !inDb.has(id));
    assert.deepEqual(lost, [], `${lost.length} of ${acked.length} acknowledged creations are missing`);
    assert.ok(inDb.size <= acked.length + failed, 'no creation appeared out of nowhere');
    assert.ok(ackedAfterKill > 0, 'nginx kept routing creations to the other instances');
    assert.ok(failed <= Math.max(8, sent / 10), `${failed} of ${sent} failed around the kill`);
  });

  test('Redis stopped: requests still succeed and revoked tokens stay revoked', async () => {
    const { token } = await newUser(i1.url, 'pgc-redis');
    const { token: other } = await newUser(i1.url, 'pgc-redis-out');
    await redis.stop();
    try {
      for (const inst of [i1, i2, i3]) {
        assert.equal(await status(await withToken(inst.url, token).get('/api/user/data')), 200, `on ${inst.name}`);
        await createOn(inst.url, token, `without redis ${inst.name}`);
        assert.equal(await status(await withToken(inst.url, revokedToken).get('/api/user/data')), 401,
          `the token revoked before stays revoked on ${inst.name}`);
      }
      assert.equal(await statsTotalOn(i2.url, token), 3);
      // a logout during the outage reaches the other instances through the database
      assert.equal(await status(await withToken(i1.url, other).post('/api/auth/logout')), 200);
      assert.equal(await status(await withToken(i3.url, other).get('/api/user/data')), 401);
    } finally {
      await redis.start(); // empty, like a restart without persistence
    }
    // each instance uses Redis again by itself (at most a second later): its
    // next write leaves the read-your-writes mark there
    const mark = `lsf:ryw:${userIdOf(token)}`;
    for (const inst of [i1, i2, i3]) {
      for (const t = Date.now(); ; await sleep(200)) {
        await redisCommand(redis.port, `DEL ${mark}`);
        await createOn(inst.url, token, `redis back ${inst.name}`);
        if (await redisCommand(redis.port, `EXISTS ${mark}`) === ':1') break;
        assert.ok(Date.now() - t < 5000, `${inst.name} writes to Redis again`);
      }
    }
    for (const inst of [i1, i2, i3]) {
      assert.equal(await status(await withToken(inst.url, other).get('/api/user/data')), 401,
        `revoked during the outage, still refused on ${inst.name} with Redis back`);
      assert.equal(await status(await withToken(inst.url, revokedToken).get('/api/user/data')), 401);
      assert.equal(await status(await withToken(inst.url, token).get('/api/user/data')), 200);
    }
  });

  test('primary stopped: writes 503 at once, /health degraded; started again: the instances recover', async () => {
    const { token } = await newUser(i1.url, 'pgc-primary');
    const reader = await newUser(i1.url, 'pgc-reader');
    await createOn(i1.url, reader.token, 'before the outage');
    await redisCommand(redis.port, `DEL lsf:ryw:${userIdOf(reader.token)}`); // as if RYW_MS had passed
    await replicaCaughtUp();
    await pg.stopPrimary();
    let restarted = false;
    try {
      for (const inst of [i1, i2, i3]) {
        const t0 = Date.now();
        const res = await withToken(inst.url, token).post('/api/tasks', { title: 'no primary' });
        const took = Date.now() - t0;
        assert.equal(res.status, 503, `write on ${inst.name}: ${await res.text()}`);
        assert.ok(took < FAST_MS, `write on ${inst.name} answered in ${took} ms`);
        const t1 = Date.now();
        const health = await fetch(`${inst.url}/health`);
        assert.equal(health.status, 503);
        assert.equal((await jsonBody(health)).status, 'degraded');
        assert.ok(Date.now() - t1 < FAST_MS, `/health on ${inst.name} answered in ${Date.now() - t1} ms`);
      }
      const viaLb = await withToken(base, token).post('/api/tasks', { title: 'no primary' });
      assert.equal(await status(viaLb), 503, 'through nginx too');
      // a user with no recent write reads from the replica meanwhile
      assert.deepEqual(await titlesOn(i3.url, reader.token), ['before the outage']);
      await pg.startPrimary();
      restarted = true;
      for (const inst of [i1, i2, i3]) {
        let got;
        for (const t = Date.now(); Date.now() - t < 10000; await sleep(200)) {
          got = await status(await fetch(`${inst.url}/health`));
          if (got === 200) break;
        }
        assert.equal(got, 200, `/health on ${inst.name} after the primary came back`);
        await createOn(inst.url, token, `back ${inst.name}`);
      }
      assert.deepEqual(await titlesOn(base, token), ['back i1', 'back i2', 'back i3']);
    } finally {
      if (!restarted) await pg.startPrimary();
    }
  });
});
