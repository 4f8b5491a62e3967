// Rolling restart of three instances behind deploy/nginx/lb.conf under
// continuous load (on one SQLite file, and once more on PostgreSQL with a
// streaming replica and Redis): four clients loop GET and POST /api/tasks while each
// instance in turn is replaced by a new process on the same port. No client
// request may fail, and every POST answered 201 made exactly one task.
//   drained: the instance is first marked `down` and nginx reloaded, then
//            SIGTERM; the procedure of docs/DEPLOY.md. A reload closes the
//            clients' idle keep-alive connections to nginx; a client then
//            sends again, as browsers do when a reused connection closes or
//            is reset before any answer. The clients share fetch's one pool,
//            which holds up to CLIENTS idle connections, and one reload can
//            close them all: a request may meet each of them in turn before a
//            fresh one, so it is sent at most CLIENTS + 2 times. The task count
//            at the end would catch a request that had run twice.
//   plain:   SIGTERM only, with SHUTDOWN_GRACE_MS above nginx's upstream
//            keepalive_timeout (5 s): for the grace the instance keeps
//            accepting and answers every request with Connection: close, so
//            nginx never sends a POST on a connection the instance closes
//            (nginx does not retry a POST it has sent); then it drains.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { jsonBody, registeredClient } from '../support/client.mjs';
import {
  Cluster, freePort, needs, Nginx, startPgCluster, startRedis, tempDir,
} from './support.mjs';

const CLIENTS = 4;
const PAUSE_MS = 2500; // between instances: above fail_timeout (2 s)

// Loop until stop() is called; returns {ok, failures[], created}.
function loadClient(client, tag) {
  const state = { running: true, ok: 0, failures: [], created: 0, resent: 0 };
  const send = async (post, i) => {
    const go = () => (post ? client.post('/api/tasks', { title: `${tag}-${i}` }) : client.get('/api/tasks?limit=1'));
    for (let attempt = 1; ; attempt++) {
      try {
        return await go();
      } catch (err) {
        // closed before any answer: a FIN (UND_ERR_SOCKET), or a RST when the
        // request reached an idle connection nginx was closing unread
        // (ECONNRESET); the shared pool may hold CLIENTS such connections
        if (!['UND_ERR_SOCKET', 'ECONNRESET'].includes(err.cause?.code) || attempt === CLIENTS + 2) throw err;
        state.resent++;
      }
    }
  };
  state.done = (async () => {
    for (let i = 0; state.running; i++) {
      const post = i % 2 === 1;
      try {
        const res = await send(post, i);
        const text = await res.text();
        if (res.status === (post ? 201 : 200)) {
          state.ok++;
          if (post) state.created++;
        } else {
          state.failures.push(`${post ? 'POST' : 'GET'} ${res.status} ${text.slice(0, 80)}`);
        }
      } catch (err) {
        state.failures.push(`${post ? 'POST' : 'GET'} ${err.cause?.code || err.message}`);
      }
    }
  })();
  return state;
}

// backend (optional): {start(cluster) -> env for the instances, ready()}.
async function runRolling(restartOne, env = {}, backend = null) {
  const cluster = await Cluster.create({ SHUTDOWN_TIMEOUT_MS: '10000', ...env });
  try {
    if (backend) Object.assign(cluster.env, await backend.start(cluster));
    for (const name of ['a', 'b', 'c']) await cluster.add(name);
    await backend?.ready();
    const port = await freePort();
    const servers = (down = -1) => cluster.instances.map((inst, k) => inst.upstreamLine.replace(';', k === down ? ' down;' : ';')).join('\n') + '\n';
    const nginx = cluster.own(await Nginx.start('lb.conf', {
      'app-servers.conf': servers(),
      'listen.conf': `listen 127.0.0.1:${port};\n`,
    }, await tempDir('nginx', cluster.dir)));
    const base = `http://127.0.0.1:${port}`;
    const clients = [];
    for (let c = 0; c < CLIENTS; c++) clients.push((await registeredClient(base, `roll${c}`)).client);

    const loads = clients.map((client, c) => loadClient(client, `c${c}`));
    await sleep(1000);
    const codes = [];
    for (const [k, inst] of cluster.instances.entries()) {
      codes.push(await restartOne({ inst, k, nginx, servers }));
      await sleep(PAUSE_MS);
    }
    for (const l of loads) l.running = false;
    await Promise.all(loads.map((l) => l.done));

    const failures = loads.flatMap((l) => l.failures);
    const ok = loads.reduce((n, l) => n + l.ok, 0);
    const resent = loads.reduce((n, l) => n + l.resent, 0);
    const report = `${ok} ok, ${resent} sent again, ${failures.length} failed: ${failures.slice(0, 10).join('; ')}\n` +
      `nginx error log:\n${(await nginx.errorLog()).split('\n').filter((l) => /error|warn/.test(l)).slice(0, 10).join('\n')}`;
    assert.ok(ok > 200, `enough load ran: ${report}`);
    assert.deepEqual(codes, [0, 0, 0], 'each instance drained and exited 0');
    assert.deepEqual(failures, [], report);
    if (process.env.LSF_SCALE_VERBOSE) console.log(report);
    // exactly the answered creates exist: no POST ran twice, none was lost
    for (const [c, client] of clients.entries()) {
      const res = await client.get('/api/tasks/stats');
      const stats = await jsonBody(res);
      assert.equal(res.status, 200);
      assert.equal(stats.stats?.total ?? stats.total, loads[c].created, `client ${c}: tasks made vs 201 answers`);
    }
  } finally {
    await cluster.close();
  }
}

// PostgreSQL primary + streaming replica and Redis, as in cluster.test.mjs.
const pgAndRedis = {
  async start(cluster) {
    this.pg = cluster.own(await startPgCluster());
    const redis = cluster.own(await startRedis(await tempDir('redis', cluster.dir)));
    return { DATABASE_URL: this.pg.primary, DATABASE_REPLICA_URLS: this.pg.replica, REDIS_URL: redis.url };
  },
  // the replica has replayed the migrations before any read goes there
  async ready() {
    const lsn = await this.pg.psql(this.pg.primary, 'SELECT pg_current_wal_lsn()');
    for (const t = Date.now(); ; await sleep(50)) {
      if (await this.pg.psql(this.pg.replica, `SELECT pg_last_wal_replay_lsn() >= '${lsn}'::pg_lsn`) === 't') return;
      assert.ok(Date.now() - t < 5000, 'the replica catches up');
    }
  },
};

describe('rolling restart behind lb.conf under load', { skip: needs.nginx() }, () => {
  test('drained: mark down + reload, SIGTERM, replace on the same port, mark up + reload', async () => {
    await runRolling(async ({ inst, k, nginx, servers }) => {
      await nginx.reload({ 'app-servers.conf': servers(k) });
      await sleep(200); // old workers finish their requests to it
      const code = await inst.stop();
      await inst.start();
      await nginx.reload({ 'app-servers.conf': servers() });
      return code;
    });
  });

  test('plain: SIGTERM with SHUTDOWN_GRACE_MS and replace on the same port, nginx untouched', async () => {
    await runRolling(async ({ inst }) => {
      const code = await inst.stop();
      await inst.start();
      return code;
    }, { SHUTDOWN_GRACE_MS: '6000' });
  });

  test('plain, on PostgreSQL (primary + streaming replica) and Redis', {
    skip: needs.redis() || needs.pgCluster(),
  }, async () => {
    await runRolling(async ({ inst }) => {
      const code = await inst.stop();
      await inst.start();
      return code;
    }, { SHUTDOWN_GRACE_MS: '6000' }, pgAndRedis);
  });
});
