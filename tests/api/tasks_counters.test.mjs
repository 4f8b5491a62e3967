// Totals and stats stay exact under concurrent writes: hundreds of parallel
// creates, deletes and status/priority changes by two users at once, racing
// deletes and flips of one task; afterwards stats, every totalTasks and the
// tasks a full walk really returns agree.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { expectError } from '../support/errors.mjs';
import { startServer } from '../support/server.mjs';
import {
  createTask, cursorWalk, DAY, listTasks, PRIORITIES, send, signedIn, stats, STATUSES,
} from '../support/tasks.mjs';

// Stats computed from the tasks themselves, at time now.
function statsOf(tasks, now) {
  const dayStart = now - (now % DAY);
  const open = tasks.filter((t) => t.status !== 'completed' && t.dueDate !== null).map((t) => Date.parse(t.dueDate));
  return {
    total: tasks.length,
    byStatus: Object.fromEntries(STATUSES.map((s) => [s, tasks.filter((t) => t.status === s).length])),
    byPriority: Object.fromEntries(PRIORITIES.map((p) => [p, tasks.filter((t) => t.priority === p).length])),
    overdue: open.filter((d) => d < now).length,
    dueToday: open.filter((d) => d >= dayStart && d < dayStart + DAY).length,
    completedLast7Days: tasks.filter((t) => t.completedAt !== null && Date.parse(t.completedAt) >= now - 7 * DAY).length,
  };
}

// The real tasks (a full walk), and every counter the API offers checked
// against them.
async function assertCountersExact(client, label) {
  const { tasks } = await cursorWalk(client, {}, 100);
  assert.equal(new Set(tasks.map((t) => t._id)).size, tasks.length, `${label}: walk repeats a task`);
  const s = await stats(client);
  const want = statsOf(tasks, Date.now());
  // due dates here are days away from now, so the moment of each count does not matter
  assert.deepEqual(s, want, label);
  assert.equal((await listTasks(client)).pagination.totalTasks, tasks.length, `${label}: totalTasks`);
  for (const status of STATUSES) {
    for (const priority of PRIORITIES) {
      const body = await listTasks(client, { status, priority, limit: '100' });
      const n = tasks.filter((t) => t.status === status && t.priority === priority).length;
      assert.equal(body.pagination.totalTasks, n, `${label}: ${status}/${priority}`);
      assert.equal(body.tasks.length, Math.min(n, 100));
    }
  }
  const tagged = tasks.filter((t) => t.tags.includes('load')).length;
  assert.equal((await listTasks(client, { tag: 'load' })).pagination.totalTasks, tagged, `${label}: tag total`);
  return tasks;
}

function fields(i) {
  return {
    title: `load ${i}`,
    status: STATUSES[i % 3],
    priority: PRIORITIES[(i >> 1) % 3],
    dueDate: i % 5 === 0 ? null : new Date(Date.now() + ((i % 7) - 3) * DAY + 3 * 3600000).toISOString(),
    tags: i % 2 ? ['load'] : [],
  };
}

describe('tasks: counters under concurrent writes', () => {
  let server;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    assert.equal(await server.close(), 0, `lsf-server did not exit 0 on SIGTERM:\n${server.stderr()}`);
    assert.doesNotMatch(server.stderr(), /"level":"error"/);
  });

  test('200 parallel creates, then 200 parallel deletes, changes and creates by two users', async () => {
    const a = await signedIn(server, 'loada');
    const b = await signedIn(server, 'loadb');
    const [ta, tb] = await Promise.all([a, b].map((c, k) =>
      Promise.all(Array.from({ length: 200 }, (_, i) => createTask(c, fields(i + k))))));
    assert.equal((await assertCountersExact(a, 'after creates (a)')).length, 200);
    assert.equal((await assertCountersExact(b, 'after creates (b)')).length, 200);

    const ops = [];
    for (const [c, tasks] of [[a, ta], [b, tb]]) {
      for (let i = 0; i < 200; i++) {
        const t = tasks[i];
        if (i % 4 === 0) ops.push(send(c, 'DELETE', `/api/tasks/${t._id}`));
        else if (i % 4 === 1) ops.push(send(c, 'PATCH', `/api/tasks/${t._id}`, { status: STATUSES[(i + 1) % 3] }));
        else if (i % 4 === 2) ops.push(send(c, 'PUT', `/api/tasks/${t._id}`, { priority: PRIORITIES[(i + 2) % 3], status: 'completed' }));
        else ops.push(send(c, 'POST', '/api/tasks', fields(1000 + i)));
      }
    }
    const res = await Promise.all(ops);
    const bodies = await Promise.all(res.map((r) => r.text()));
    res.forEach((r, i) => assert.ok(r.status === 200 || r.status === 201, `op ${i}: ${r.status} ${bodies[i]}`));

    const after = await assertCountersExact(a, 'after mixed writes (a)');
    assert.equal(after.length, 200 - 50 + 50);
    const byId = new Map(after.map((t) => [t._id, t]));
    ta.forEach((t, i) => {
      const now = byId.get(t._id);
      if (i % 4 === 0) assert.equal(now, undefined, `task ${i} was deleted`);
      else if (i % 4 === 1) assert.equal(now.status, STATUSES[(i + 1) % 3]);
      else if (i % 4 === 2) assert.deepEqual([now.status, now.priority], ['completed', PRIORITIES[(i + 2) % 3]]);
      else assert.deepEqual(now, t);
    });
    await assertCountersExact(b, 'after mixed writes (b)');
  });

  test('racing deletes of one task: one succeeds, the count drops by one', async () => {
    const c = await signedIn(server, 'racedelete');
    const tasks = await Promise.all(Array.from({ length: 5 }, (_, i) => createTask(c, fields(i))));
    const res = await Promise.all(Array.from({ length: 12 }, () => send(c, 'DELETE', `/api/tasks/${tasks[0]._id}`)));
    // judged by the body: in legacy mode "Task not found" answers 200 too
    const bodies = await Promise.all(res.map((r) => r.clone().json()));
    const won = res.filter((_, i) => bodies[i].success === true);
    assert.equal(won.length, 1, `exactly one delete wins: ${JSON.stringify(bodies)}`);
    assert.equal(won[0].status, 200);
    for (const r of res.filter((_, i) => bodies[i].success !== true)) await expectError(r, 404, 'Task not found');
    assert.equal((await assertCountersExact(c, 'after racing deletes')).length, 4);
  });

  test('racing status and priority flips of one task leave counters matching its final state', async () => {
    const c = await signedIn(server, 'raceflip');
    const t = await createTask(c, { title: 'flip', tags: ['load'] });
    const res = await Promise.all(Array.from({ length: 40 }, (_, i) =>
      send(c, i % 2 ? 'PATCH' : 'PUT', `/api/tasks/${t._id}`, { status: STATUSES[i % 3], priority: PRIORITIES[(i * 2) % 3] })));
    for (const r of res) assert.equal(r.status, 200);
    const [final] = await assertCountersExact(c, 'after racing flips');
    assert.equal(final._id, t._id);
    assert.equal(final.completedAt !== null, final.status === 'completed');
  });

  test('deletes racing updates of the same tasks: each task either gone or updated, counters exact', async () => {
    const c = await signedIn(server, 'racemix');
    const tasks = await Promise.all(Array.from({ length: 60 }, (_, i) => createTask(c, fields(i))));
    const res = await Promise.all(tasks.flatMap((t, i) => [
      send(c, 'DELETE', `/api/tasks/${t._id}`),
      send(c, 'PATCH', `/api/tasks/${t._id}`, { status: STATUSES[(i + 2) % 3], tags: ['load', 'mix'] }),
    ]));
    for (const r of res) assert.ok(r.status === 200 || r.status === 404, `status ${r.status}`);
    const left = await assertCountersExact(c, 'after deletes racing updates');
    assert.equal(left.length, 0, 'every task was deleted, before or after its update');
    assert.equal((await listTasks(c, { tag: 'mix' })).pagination.totalTasks, 0);
  });
});
