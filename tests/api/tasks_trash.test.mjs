// The trash (issue 16): DELETE /api/tasks/:id moves a task there, GET
// /api/tasks/trash lists it (last deleted first, with deletedAt), POST
// /api/tasks/:id/restore brings it back as it was. A task in the trash is
// left out of reads, lists, filters, search, totals and stats, and comes
// back into all of them; restores and deletes are idempotent in effect;
// another user can neither see nor restore it; past TRASH_RETENTION_MS it
// is neither listed nor restorable.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { jsonBody } from '../support/client.mjs';
import { expectError } from '../support/errors.mjs';
import { startServer } from '../support/server.mjs';
import {
  createTask, deleteTask, listTasks, send, signedIn, stats,
} from '../support/tasks.mjs';

const DAY = 86400000;

async function trash(client, qs = '') {
  const res = await client.get(`/api/tasks/trash${qs}`);
  const body = await jsonBody(res);
  assert.equal(res.status, 200, `trash ${qs}: ${res.status} ${JSON.stringify(body)}`);
  assert.equal(body.success, true);
  assert.deepEqual(Object.keys(body).sort(), ['pagination', 'retentionMs', 'success', 'tasks']);
  assert.deepEqual(Object.keys(body.pagination).sort(), ['currentPage', 'limit', 'totalPages', 'totalTasks']);
  return body;
}

async function restore(client, id) {
  const res = await send(client, 'POST', `/api/tasks/${id}/restore`);
  const body = await jsonBody(res);
  assert.equal(res.status, 200, `restore ${id}: ${res.status} ${JSON.stringify(body)}`);
  assert.deepEqual(Object.keys(body).sort(), ['message', 'success', 'task']);
  assert.equal(body.success, true);
  assert.equal(body.message, 'Task restored');
  return body.task;
}

const ids = (tasks) => tasks.map((t) => t._id);

describe('tasks: the trash', () => {
  let server;
  let alice;
  let bob;
  before(async () => {
    server = await startServer();
    alice = await signedIn(server, 'trash-alice');
    bob = await signedIn(server, 'trash-bob');
  });
  after(async () => {
    assert.equal(await server.close(), 0, `lsf-server did not exit 0 on SIGTERM:\n${server.stderr()}`);
    assert.doesNotMatch(server.stderr(), /"level":"error"/);
  });

  test('a deleted task leaves reads, lists, filters, search, totals and stats, and restore brings it all back', async () => {
    const client = await signedIn(server, 'trash-cycle');
    const keep = await createTask(client, { title: 'keep this one', tags: ['house'] });
    const t = await createTask(client, {
      title: 'Paint the fence',
      description: 'zanzibar blue',
      status: 'in-progress',
      priority: 'high',
      dueDate: new Date(Date.now() - 2 * DAY).toISOString(),
      tags: ['house', 'weekend'],
    });
    const full = await stats(client);
    assert.equal(full.total, 2);
    assert.equal(full.byStatus['in-progress'], 1);
    assert.equal(full.byPriority.high, 1);
    assert.equal(full.overdue, 1);

    const deleted = await deleteTask(client, t._id);
    assert.deepEqual(deleted, t);

    await expectError(await client.get(`/api/tasks/${t._id}`), 404, 'Task not found', 'TASK_NOT_FOUND');
    const all = await listTasks(client);
    assert.deepEqual(ids(all.tasks), [keep._id]);
    assert.equal(all.pagination.totalTasks, 1);
    assert.deepEqual(ids((await listTasks(client, { tag: 'weekend' })).tasks), []);
    assert.equal((await listTasks(client, { tag: 'house' })).pagination.totalTasks, 1);
    assert.deepEqual(ids((await listTasks(client, { search: 'zanzi' })).tasks), []);
    assert.equal((await listTasks(client, { search: 'zanzi' })).pagination.totalTasks, 0);
    assert.deepEqual(ids((await listTasks(client, { status: 'in-progress' })).tasks), []);
    assert.equal((await listTasks(client, { status: 'in-progress' })).pagination.totalTasks, 0);
    const less = await stats(client);
    assert.equal(less.total, 1);
    assert.equal(less.byStatus['in-progress'], 0);
    assert.equal(less.byPriority.high, 0);
    assert.equal(less.overdue, 0);

    const bin = await trash(client);
    assert.deepEqual(ids(bin.tasks), [t._id]);
    const { deletedAt, ...rest } = bin.tasks[0];
    assert.deepEqual(rest, t);
    const at = Date.parse(deletedAt);
    assert.ok(at >= Date.parse(t.updatedAt) && at <= Date.now() + 1000, `deletedAt ${deletedAt}`);
    assert.equal(bin.pagination.totalTasks, 1);
    assert.equal(bin.retentionMs, 30 * DAY);

    const back = await restore(client, t._id);
    assert.deepEqual(back, t);
    assert.deepEqual(await (async () => (await jsonBody(await client.get(`/api/tasks/${t._id}`))).task)(), t);
    assert.deepEqual(ids((await listTasks(client)).tasks), [t._id, keep._id]);
    assert.deepEqual(ids((await listTasks(client, { tag: 'weekend' })).tasks), [t._id]);
    assert.deepEqual(ids((await listTasks(client, { search: 'zanzi' })).tasks), [t._id]);
    assert.equal((await listTasks(client, { status: 'in-progress' })).pagination.totalTasks, 1);
    assert.deepEqual(await stats(client), full);
    assert.deepEqual((await trash(client)).tasks, []);
  });

  test('restore again answers the live task; delete again and unknown ids are 404', async () => {
    const t = await createTask(alice, { title: 'twice' });
    await deleteTask(alice, t._id);
    await expectError(await send(alice, 'DELETE', `/api/tasks/${t._id}`), 404, 'Task not found', 'TASK_NOT_FOUND');
    assert.deepEqual(await restore(alice, t._id), t);
    assert.deepEqual(await restore(alice, t._id), t);
    assert.equal((await listTasks(alice, { search: 'twice' })).pagination.totalTasks, 1);
    await expectError(await send(alice, 'POST', `/api/tasks/${randomUUID()}/restore`), 404, 'Task not found',
      'TASK_NOT_FOUND');
    await expectError(await send(alice, 'POST', '/api/tasks/not-an-id/restore'), 404, 'Task not found',
      'TASK_NOT_FOUND');
  });

  test('a task deleted, restored and deleted again is in the trash once', async () => {
    const client = await signedIn(server, 'trash-again');
    const t = await createTask(client, { title: 'again and again' });
    for (let i = 0; i < 3; i++) {
      await deleteTask(client, t._id);
      await restore(client, t._id);
    }
    await deleteTask(client, t._id);
    const bin = await trash(client);
    assert.deepEqual(ids(bin.tasks), [t._id]);
    assert.equal((await stats(client)).total, 0);
    await restore(client, t._id);
    assert.equal((await stats(client)).total, 1);
    assert.equal((await listTasks(client, { search: 'again' })).pagination.totalTasks, 1);
  });

  test("another user's trash is invisible and untouchable", async () => {
    const t = await createTask(alice, { title: 'alice only', tags: ['private'] });
    await deleteTask(alice, t._id);
    assert.ok(!ids((await trash(bob)).tasks).includes(t._id));
    assert.equal((await trash(bob)).pagination.totalTasks, 0);
    await expectError(await send(bob, 'POST', `/api/tasks/${t._id}/restore`), 404, 'Task not found', 'TASK_NOT_FOUND');
    await expectError(await send(bob, 'DELETE', `/api/tasks/${t._id}`), 404, 'Task not found', 'TASK_NOT_FOUND');
    assert.equal((await stats(bob)).total, 0);
    assert.ok(ids((await trash(alice)).tasks).includes(t._id));
    // bob's own delete of a task with the same tag leaves alice's trash alone
    const b = await createTask(bob, { title: 'bob only', tags: ['private'] });
    await deleteTask(bob, b._id);
    assert.deepEqual(ids((await trash(bob)).tasks), [b._id]);
    assert.deepEqual(await restore(alice, t._id), t);
    assert.deepEqual(ids((await listTasks(bob, { tag: 'private' })).tasks), []);
  });

  test('the trash lists the last deleted first, paged, and checks its parameters', async () => {
    const client = await signedIn(server, 'trash-pages');
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await createTask(client, { title: `page ${i}` }));
    for (const i of [2, 0, 4, 1, 3]) await deleteTask(client, made[i]._id);
    const order = [3, 1, 4, 0, 2].map((i) => made[i]._id);
    assert.deepEqual(ids((await trash(client)).tasks), order);
    const p1 = await trash(client, '?limit=2');
    assert.deepEqual(ids(p1.tasks), order.slice(0, 2));
    assert.deepEqual(p1.pagination, { currentPage: 1, totalPages: 3, totalTasks: 5, limit: 2 });
    const p3 = await trash(client, '?limit=2&page=3');
    assert.deepEqual(ids(p3.tasks), order.slice(4));
    assert.deepEqual((await trash(client, '?page=9')).tasks, []);

    await expectError(await client.get('/api/tasks/trash?limit=0'), 400, 'limit must be an integer from 1 to 100', 'VALIDATION');
    await expectError(await client.get('/api/tasks/trash?limit=101'), 400, 'limit must be an integer from 1 to 100', 'VALIDATION');
    await expectError(await client.get('/api/tasks/trash?page=x'), 400, /^page must be an integer/, 'VALIDATION');
    await expectError(await client.get('/api/tasks/trash?page=1&page=2'), 400, 'page must be given at most once', 'VALIDATION');
    await expectError(await client.get('/api/tasks/trash?status=pending'), 400, 'Unknown query parameter: status', 'VALIDATION');
    await expectError(await client.get('/api/tasks/trash?limit=%ZZ'), 400, /percent-encoded/, 'VALIDATION');
  });

  test("the account export holds the trash, last deleted first, and no one else's", async () => {
    const client = await signedIn(server, 'trash-export');
    const a = await createTask(client, { title: 'exported a' });
    const b = await createTask(client, { title: 'exported b' });
    const c = await createTask(client, { title: 'exported c' });
    await deleteTask(client, a._id);
    await deleteTask(client, c._id);
    await deleteTask(alice, (await createTask(alice, { title: 'not in the export' }))._id);
    const res = await client.get('/api/user/export');
    const doc = await jsonBody(res);
    assert.equal(res.status, 200);
    assert.deepEqual(ids(doc.tasks), [b._id]);
    assert.deepEqual(ids(doc.trash), [c._id, a._id]);
    const { deletedAt, ...rest } = doc.trash[1];
    assert.deepEqual(rest, a);
    assert.match(deletedAt, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });

  test('trash and restore need a session', async () => {
    const t = await createTask(alice, { title: 'session' });
    const res1 = await fetch(`${server.url}/api/tasks/trash`);
    await expectError(res1, 401, 'Not Authorized. Login Again', 'NOT_AUTHORIZED');
    const res2 = await fetch(`${server.url}/api/tasks/${t._id}/restore`, { method: 'POST' });
    await expectError(res2, 401, 'Not Authorized. Login Again', 'NOT_AUTHORIZED');
  });
});

describe('tasks: the trash past TRASH_RETENTION_MS', () => {
  let server;
  before(async () => {
    server = await startServer({ TRASH_RETENTION_MS: '0' });
  });
  after(async () => {
    assert.equal(await server.close(), 0, `lsf-server did not exit 0 on SIGTERM:\n${server.stderr()}`);
    assert.doesNotMatch(server.stderr(), /"level":"error"/);
  });

  test('with a retention of 0 a deleted task is gone at once: not listed, not restorable', async () => {
    const client = await signedIn(server, 'trash-gone');
    const t = await createTask(client, { title: 'gone for good' });
    await deleteTask(client, t._id);
    const bin = await trash(client);
    assert.deepEqual(bin.tasks, []);
    assert.equal(bin.pagination.totalTasks, 0);
    assert.equal(bin.retentionMs, 0);
    await expectError(await send(client, 'POST', `/api/tasks/${t._id}/restore`), 404, 'Task not found', 'TASK_NOT_FOUND');
    assert.equal((await stats(client)).total, 0);
    // the id stays unused by any live task: it cannot be read either
    await expectError(await client.get(`/api/tasks/${t._id}`), 404, 'Task not found', 'TASK_NOT_FOUND');
  });
});
