// Search at page sizes where the server walks the user's tasks in list order
// and tests each one instead of asking the full-text index (a word in a good
// share of the tasks, issue 14), against the model: every page of a cursor
// walk and of a page walk under several sorts, prefixes, case and accents.
// Search totals are cached per user and query until the user's next write:
// these prove they stay exact through creates, updates, deletes, restores,
// and that one user never sees another's matches or cached totals.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { startServer } from '../support/server.mjs';
import {
  createTask, cursorWalk, deleteTask, ids, listTasks, modelList, pageWalk, send, signedIn, STATUSES, updateTask,
} from '../support/tasks.mjs';

const TITLES = ['Team meeting notes', 'meeting with Zoë', 'Café meeting', 'weekly MEETING', 'Meetings backlog',
  'Zürich trip', 'call the bank', 'meeting-room booking'];
const DESCRIPTIONS = ['', 'agenda for the meeting', 'bring the Éclair', 'nothing here', 'zurich office'];
const TAGSETS = [[], ['meeting'], ['work', 'home'], ['café']];
const CASES = ['meeting', 'MEET', 'meetings', 'mee', 'zurich', 'ZÜR', 'zoe', 'cafe', 'éclair', 'meeting zurich',
  'meeting room', 'room', 'bank', 'work', 'nothingmatches', 'm', 'meeting —'];

const total = async (client, query) => (await listTasks(client, { ...query, limit: '2' })).pagination.totalTasks;

describe('tasks: search pages and totals', () => {
  let server;
  let client;
  let other;
  const all = [];

  before(async () => {
    server = await startServer();
    client = await signedIn(server, 'search');
    other = await signedIn(server, 'searchother');
    // the other user's tasks match every case too: none may leak
    for (let i = 0; i < 12; i++)
      await createTask(other, { title: `${TITLES[i % TITLES.length]} other`, tags: ['meeting', 'work'] });
    for (let i = 0; i < 48; i++) {
      all.push(await createTask(client, {
        title: TITLES[i % TITLES.length],
        description: DESCRIPTIONS[i % DESCRIPTIONS.length],
        status: STATUSES[i % 3],
        priority: ['low', 'medium', 'high'][Math.floor(i / 3) % 3],
        dueDate: i % 4 === 0 ? null : new Date(Date.now() + ((i * 5) % 13) * 86400000).toISOString(),
        tags: TAGSETS[i % TAGSETS.length],
      }));
    }
  });
  after(async () => {
    assert.equal(await server.close(), 0, `lsf-server did not exit 0 on SIGTERM:\n${server.stderr()}`);
    assert.doesNotMatch(server.stderr(), /"level":"error"/);
  });

  test('every page of small-page walks matches the model, totals on every page', async () => {
    assert.ok(modelList(all, { search: 'meeting' }).length >= 30, 'the data has a common word');
    for (const search of CASES) {
      for (const sort of ['-createdAt', 'title', '-dueDate', 'priority']) {
        const want = ids(modelList(all, { search, sort }));
        for (const limit of [1, 2, 5]) {
          const what = `search ${JSON.stringify(search)} sort ${sort} limit ${limit}`;
          const byCursor = await cursorWalk(client, { search, sort }, limit);
          assert.deepEqual(ids(byCursor.tasks), want, `${what}, cursor walk`);
          assert.ok(byCursor.totals.every((n) => n === want.length), `${what}: totals ${byCursor.totals}`);
          if (limit === 1) continue; // page walks of every sort at limit 1 add little but time
          const byPage = await pageWalk(client, { search, sort }, limit);
          assert.deepEqual(ids(byPage.tasks), want, `${what}, page walk`);
          assert.ok(byPage.totals.every((n) => n === want.length), `${what}: totals ${byPage.totals}`);
        }
      }
    }
  });

  test('a page past the end is empty and keeps the total', async () => {
    const want = modelList(all, { search: 'meeting' }).length;
    for (const page of ['1000000000', String(Math.ceil(want / 2) + 1)]) {
      const body = await listTasks(client, { search: 'meeting', limit: '2', page });
      assert.deepEqual(body.tasks, [], `page ${page}`);
      assert.equal(body.pagination.totalTasks, want);
      assert.equal(body.pagination.nextCursor, null);
    }
  });

  test('with other filters, the walk keeps them', async () => {
    for (const status of STATUSES) {
      const q = { search: 'meeting', status };
      const want = ids(modelList(all, { ...q, sort: '-createdAt' }));
      const got = await cursorWalk(client, q, 2);
      assert.deepEqual(ids(got.tasks), want, `status ${status}`);
      assert.ok(got.totals.every((n) => n === want.length));
    }
  });

  test('totals stay exact through creates, updates, deletes and restores', async () => {
    const q = { search: 'meeting' };
    const n0 = modelList(all, q).length;
    assert.equal(await total(client, q), n0);
    assert.equal(await total(client, q), n0, 'asked twice (the second from the cache)');
    const byStatus = { search: 'meeting', status: 'completed' };
    const c0 = modelList(all, byStatus).length;
    assert.equal(await total(client, byStatus), c0);

    const created = await createTask(client, { title: 'one more meeting' });
    assert.equal(await total(client, q), n0 + 1, 'after a create');
    const page1 = await listTasks(client, { ...q, limit: '2' });
    assert.equal(page1.tasks[0]._id, created._id, 'the new task heads page 1');

    const plain = all.find((t) => modelList([t], q).length === 0 && t.status !== 'completed');
    await updateTask(client, plain._id, { title: 'now a meeting' });
    assert.equal(await total(client, q), n0 + 2, 'after an update that makes a match');

    await updateTask(client, created._id, { title: 'one more chat' });
    assert.equal(await total(client, q), n0 + 1, 'after an update that unmakes one');

    const matching = all.find((t) => modelList([t], q).length === 1 && t.status !== 'completed');
    await updateTask(client, matching._id, { status: 'completed' });
    assert.equal(await total(client, byStatus), c0 + 1, 'a filter beside the search: after a status change');
    assert.equal(await total(client, q), n0 + 1);

    await deleteTask(client, matching._id);
    assert.equal(await total(client, q), n0, 'after a delete (to the trash)');
    assert.equal(await total(client, byStatus), c0);
    const res = await send(client, 'POST', `/api/tasks/${matching._id}/restore`);
    assert.equal(res.status, 200, await res.text());
    assert.equal(await total(client, q), n0 + 1, 'after a restore');
    assert.equal(await total(client, byStatus), c0 + 1);
    const walked = await cursorWalk(client, q, 2);
    assert.equal(walked.tasks.length, n0 + 1, 'the pages agree with the total');
    assert.ok(walked.tasks.some((t) => t._id === matching._id), 'the restored task is found again');
    assert.ok(!walked.tasks.some((t) => t._id === created._id), 'the changed task is not');

    // put things back for the other tests
    await updateTask(client, plain._id, { title: plain.title });
    await updateTask(client, matching._id, { status: matching.status });
    await deleteTask(client, created._id);
    assert.equal(await total(client, q), n0);
  });

  test('a user never sees another user\'s matches, pages or cached totals', async () => {
    const q = { search: 'meeting' };
    const mine = modelList(all, q).length;
    assert.equal(await total(other, q), 12, 'the other user: its own 12');
    assert.equal(await total(client, q), mine);
    for (const limit of [2, 100]) {
      const got = await cursorWalk(client, q, limit);
      assert.ok(got.tasks.every((t) => t.userId === all[0].userId), `limit ${limit}: only the user's own tasks`);
      assert.equal(got.tasks.length, mine);
    }
    // the other user's writes leave this user's cached total as it was, and exact
    await createTask(other, { title: 'meeting again' });
    assert.equal(await total(other, q), 13);
    assert.equal(await total(client, q), mine);
    // nor does a write of this user reach the other's
    const t = await createTask(client, { title: 'meeting mine' });
    assert.equal(await total(other, q), 13);
    assert.equal(await total(client, q), mine + 1);
    await deleteTask(client, t._id);
    assert.equal(await total(client, q), mine);
  });
});
