// Failover without reconfiguring: DATABASE_URL names the primary and its
// streaming replica, with target_session_attrs=read-write (libpq tries the
// hosts in order and keeps the first that accepts writes). The primary is
// stopped and the replica promoted while lsf-server runs: writes answer 503
// meanwhile, and resume on the new primary within the documented bound
// (docs/DEPLOY.md: the first request after the promotion, plus
// DB_CONNECT_TIMEOUT_MS at worst), with no restart of lsf-server; what was
// written before is still there.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { registeredClient } from '../support/client.mjs';
import { Cluster, needs, startPgCluster } from './support.mjs';

const CONNECT_TIMEOUT_MS = 2000;
const RESUME_BOUND_MS = CONNECT_TIMEOUT_MS + 3000; /* the bound, plus a request or two on a busy machine */

function hostPort(url) {
  return /@([^/]+)\//.exec(url)[1];
}

describe('failover: a multi-host DATABASE_URL with target_session_attrs=read-write', { skip: needs.pgCluster() }, () => {
  let cluster, pg, inst;

  before(async () => {
    pg = await startPgCluster();
    const url = `postgres://lsf@${hostPort(pg.primary)},${hostPort(pg.replica)}/postgres?target_session_attrs=read-write`;
    cluster = await Cluster.create({
      DATABASE_URL: url,
      HTTP_THREADS: '2',
      DB_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
      DB_STATEMENT_TIMEOUT_MS: '2000',
      DB_POOL_ACQUIRE_TIMEOUT_MS: '2000',
    });
    cluster.own({ stop: () => pg.stop() });
    inst = await cluster.add('a');
  });

  after(async () => {
    await cluster?.close();
  });

  test('the primary stopped and the replica promoted: writes resume on it without a restart', async () => {
    const { client } = await registeredClient(inst.url, 'failover');
    assert.equal((await client.post('/api/tasks', { title: 'before' })).status, 201);
    // the replica has it before the switch (streaming; wait for the replay)
    let replayed = false;
    for (let i = 0; i < 200 && !replayed; i++) {
      replayed = await pg.psql(pg.replica, "SELECT count(*) FROM tasks WHERE title = 'before'")
        .then((n) => n === '1', () => false); /* the migrations may not be replayed yet either */
      if (!replayed) await sleep(50);
    }
    assert.ok(replayed, 'the replica has the task');
    const pid = inst.proc.pid;

    await pg.stopPrimary();
    const during = await client.post('/api/tasks', { title: 'during' });
    assert.equal(during.status, 503, 'no host accepts writes: 503, not a hang');
    await pg.promote();
    const promoted = performance.now();
    let status = 0, waited = 0;
    while (status !== 201 && waited < 30000) {
      const res = await client.post('/api/tasks', { title: 'after' });
      await res.arrayBuffer();
      status = res.status;
      waited = performance.now() - promoted;
      if (status !== 201) await sleep(100);
    }
    assert.equal(status, 201, 'a write succeeded on the new primary');
    assert.ok(waited < RESUME_BOUND_MS, `writes resumed ${waited.toFixed(0)} ms after the promotion`);
    assert.equal(inst.proc.pid, pid, 'the same lsf-server process');
    const listed = await client.get('/api/tasks?sort=createdAt');
    const list = await listed.json();
    assert.equal(listed.status, 200, JSON.stringify(list));
    assert.deepEqual(list.tasks.map((t) => t.title), ['before', 'after']);
  });
});
