// Each user sees and changes only their own tasks: another user's task is
// "Task not found" exactly like a missing one, lists, search, tags, stats
// and cursors never reach across users, and failed attempts change nothing.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { expectError } from '../support/errors.mjs';
import { startServer } from '../support/server.mjs';
import {
  createTask, cursorWalk, listTasks, send, signedIn, stats,
} from '../support/tasks.mjs';

describe('tasks: isolation between users', () => {
  let server;
  let alice;
  let bob;
  const mine = [];
  before(async () => {
    server = await startServer();
    alice = await signedIn(server, 'alice');
    bob = await signedIn(server, 'bob');
    for (let i = 0; i < 12; i++) {
      mine.push(await createTask(alice, {
        title: `alice secret ${i}`,
        description: 'quarterly zebra numbers',
        status: ['pending', 'in-progress', 'completed'][i % 3],
        priority: ['low', 'medium', 'high'][i % 3],
        dueDate: new Date(Date.now() + (i - 6) * 86400000).toISOString(),
        tags: ['alicetag', `t${i % 2}`],
      }));
    }
  });
  after(async () => {
    assert.equal(await server.close(), 0, `lsf-server did not exit 0 on SIGTERM:\n${server.stderr()}`);
    assert.doesNotMatch(server.stderr(), /"level":"error"/);
  });

  test("another user's task answers exactly like a missing one", async () => {
    const t = mine[0];
    const missing = randomUUID();
    for (const [method, json] of [['GET'], ['PATCH', { title: 'hijacked' }], ['PUT', { status: 'completed' }], ['DELETE']]) {
      const theirs = await expectError(await send(bob, method, `/api/tasks/${t._id}`, json), 404, 'Task not found');
      const none = await expectError(await send(bob, method, `/api/tasks/${missing}`, json), 404, 'Task not found');
      assert.deepEqual(theirs, none);
    }
    const got = await (await alice.get(`/api/tasks/${t._id}`)).json();
    assert.deepEqual(got.task, t, 'the failed attempts changed nothing');
  });

  test("a user's list, filters, search and stats hold none of another's tasks", async () => {
    const queries = [{}, { search: 'zebra' }, { search: 'alice secret' }, { tag: 'alicetag' }, { status: 'completed' },
      { priority: 'high' }, { dueAfter: '2000-01-01' }, { sort: 'title' }, { sort: '-dueDate' }];
    for (const q of queries) {
      const b = await listTasks(bob, q);
      assert.deepEqual(b.tasks, [], JSON.stringify(q));
      assert.equal(b.pagination.totalTasks, 0);
      assert.equal(b.pagination.totalPages, 0);
      assert.equal(b.pagination.nextCursor, null);
    }
    assert.deepEqual(await stats(bob), {
      total: 0, byStatus: { pending: 0, 'in-progress': 0, completed: 0 }, byPriority: { low: 0, medium: 0, high: 0 },
      overdue: 0, dueToday: 0, completedLast7Days: 0,
    });
    const a = await listTasks(alice, { search: 'zebra', limit: '100' });
    assert.equal(a.pagination.totalTasks, mine.length);
  });

  test("the same words and tags in two users' tasks stay apart", async () => {
    const own = await createTask(bob, { title: 'alice secret copy', description: 'zebra', tags: ['alicetag'] });
    for (const q of [{ search: 'zebra' }, { tag: 'alicetag' }, { search: 'secret' }]) {
      const b = await listTasks(bob, q);
      assert.deepEqual(b.tasks.map((t) => t._id), [own._id], JSON.stringify(q));
      assert.equal(b.pagination.totalTasks, 1);
      const a = await listTasks(alice, { ...q, limit: '100' });
      assert.equal(a.pagination.totalTasks, mine.length);
      assert.ok(a.tasks.every((t) => t.userId === mine[0].userId));
    }
    assert.notEqual(own.userId, mine[0].userId);
    assert.equal((await stats(bob)).total, 1);
    assert.equal((await stats(alice)).total, mine.length);
  });

  test("a cursor from one user's list pages only the other user's own tasks", async () => {
    const first = await listTasks(alice, { limit: '2' });
    const cursor = first.pagination.nextCursor;
    assert.ok(cursor);
    const b = await listTasks(bob, { limit: '100', cursor });
    assert.ok(b.tasks.every((t) => t.userId !== mine[0].userId));
    const { tasks } = await cursorWalk(alice, {}, 5);
    assert.equal(tasks.length, mine.length);
  });

  test("parallel attempts on another user's tasks change nothing", async () => {
    const res = await Promise.all(mine.flatMap((t) => [
      send(bob, 'DELETE', `/api/tasks/${t._id}`),
      send(bob, 'PATCH', `/api/tasks/${t._id}`, { status: 'completed' }),
    ]));
    for (const r of res) await expectError(r, 404, 'Task not found');
    const a = await listTasks(alice, { limit: '100' });
    assert.deepEqual(a.tasks.map((t) => t._id).sort(), mine.map((t) => t._id).sort());
    for (const t of a.tasks) assert.deepEqual(t, mine.find((m) => m._id === t._id));
  });
});
