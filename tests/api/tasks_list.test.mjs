// GET /api/tasks against a model computed here from the tasks the server
// returned on create/update: every combination of the six filters under
// every sort order, search semantics (prefix, any case and accent, every
// word, never query syntax), page arithmetic, and stats against the list.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { startServer } from '../support/server.mjs';
import {
  createTask, DAY, ids, listTasks, modelList, PRIORITIES, signedIn, SORTS, stats, STATUSES, updateTask,
} from '../support/tasks.mjs';

const TITLES = ['alpha report', 'Alpha plan', 'beta', 'Beta', 'Éclair recipe', 'zebra crossing', 'Zebra', 'äpfel kaufen',
  'apple pie', '10 push-ups', 'gamma alphabet', 'delta'];
const DESCRIPTIONS = ['', 'mentions zürich', 'plain words here', 'the ALPHA team', 'Café meeting'];
const TAGSETS = [[], ['work'], ['home', 'work'], ['alphatag'], ['urgent', 'home']];

describe('tasks: list filters, sorts and search against a model', () => {
  let server;
  let client;
  let all = [];
  const now = Date.now();
  const dueOf = (i) => (i % 5 === 0 ? null : new Date(now + ((i * 7) % 11 - 5) * DAY + (i % 2) * 3600000).toISOString());

  before(async () => {
    server = await startServer();
    client = await signedIn(server, 'listmodel');
    const decoy = await signedIn(server, 'decoy');
    for (let i = 0; i < 5; i++) await createTask(decoy, { title: 'alpha decoy', tags: ['work'], priority: 'high' });
    for (let i = 0; i < 60; i++) {
      all.push(await createTask(client, {
        title: TITLES[i % TITLES.length],
        description: DESCRIPTIONS[i % DESCRIPTIONS.length],
        status: STATUSES[i % 3],
        priority: PRIORITIES[Math.floor(i / 3) % 3],
        dueDate: dueOf(i),
        tags: TAGSETS[i % TAGSETS.length],
      }));
    }
    // updates move updatedAt (and completedAt) out of creation order
    for (let i = 0; i < 60; i += 7) {
      const t = await updateTask(client, all[i]._id, { status: STATUSES[(i + 1) % 3], title: `${all[i].title} v2` });
      all[i] = t;
    }
  });
  after(async () => {
    assert.equal(await server.close(), 0, `lsf-server did not exit 0 on SIGTERM:\n${server.stderr()}`);
    assert.doesNotMatch(server.stderr(), /"level":"error"/);
  });

  const filterValues = () => ({
    status: 'in-progress',
    priority: 'high',
    tag: 'work',
    search: 'alpha',
    dueBefore: new Date(now + 3 * DAY).toISOString(),
    dueAfter: new Date(now - 2 * DAY).toISOString().slice(0, 10),
  });

  test('every combination of filters under every sort matches the model', async () => {
    const values = filterValues();
    const names = Object.keys(values);
    let checked = 0;
    let nonEmpty = 0;
    for (let mask = 0; mask < 1 << names.length; mask++) {
      const q = {};
      names.forEach((n, i) => { if (mask & (1 << i)) q[n] = values[n]; });
      for (const sort of SORTS.flatMap((s) => [s, `-${s}`])) {
        const body = await listTasks(client, { ...q, sort, limit: '100' });
        const want = modelList(all, { ...q, sort });
        assert.deepEqual(ids(body.tasks), ids(want), `${JSON.stringify(q)} sort ${sort}`);
        assert.equal(body.pagination.totalTasks, want.length, `${JSON.stringify(q)} total`);
        assert.equal(body.pagination.totalPages, Math.ceil(want.length / 100));
        assert.equal(body.pagination.nextCursor, null);
        checked++;
        if (sort === 'title' && want.length > 0) nonEmpty++;
      }
    }
    assert.equal(checked, 640);
    assert.ok(nonEmpty >= 24, `the data exercises the filters: only ${nonEmpty} of 64 combinations match a task`);
  });

  test('the default order is newest first, 10 per page', async () => {
    const body = await listTasks(client);
    assert.deepEqual(ids(body.tasks), ids(modelList(all, { sort: '-createdAt' })).slice(0, 10));
    assert.deepEqual(body.pagination, {
      currentPage: 1, totalPages: 6, totalTasks: 60, limit: 10, nextCursor: body.pagination.nextCursor,
    });
    assert.equal(typeof body.pagination.nextCursor, 'string');
  });

  test('pages slice the model; past the end is empty', async () => {
    for (const sort of ['title', '-dueDate', 'priority']) {
      const want = modelList(all, { sort });
      for (let page = 1; page <= 10; page++) {
        const body = await listTasks(client, { sort, limit: '7', page: String(page) });
        assert.deepEqual(ids(body.tasks), ids(want.slice((page - 1) * 7, page * 7)), `${sort} page ${page}`);
        assert.equal(body.pagination.currentPage, page);
        assert.equal(body.pagination.totalPages, 9);
        assert.equal(body.pagination.totalTasks, 60);
        assert.equal(body.pagination.nextCursor === null, page >= 9, `nextCursor on page ${page}`);
      }
    }
  });

  test('search: prefixes, any case or accent, every word must match', async () => {
    const cases = ['alpha', 'ALPH', 'alpha report', 'report alpha', 'zurich', 'ZÜR', 'cafe', 'éclair', 'eclair recipe',
      'alphatag', 'work', 'push', '10', 'apfel', 'alpha zebra', 'nothingmatches', 'al',
      // punctuation and symbols are not words: they neither match nor block
      'alpha —', '“alpha” report', '🚀 zebra', '· beta ·', '—', 'push-ups', 'alpha-report'];
    for (const search of cases) {
      const body = await listTasks(client, { search, limit: '100', sort: 'title' });
      const want = modelList(all, { search, sort: 'title' });
      assert.deepEqual(ids(body.tasks), ids(want), `search ${JSON.stringify(search)}`);
      assert.equal(body.pagination.totalTasks, want.length);
    }
    assert.ok(modelList(all, { search: 'alpha' }).length >= 10, 'the data exercises search');
  });

  test('search text is words, never query syntax, and never an error', async () => {
    const n = (search) => listTasks(client, { search, limit: '100' }).then((b) => b.pagination.totalTasks);
    assert.equal(await n('alpha OR zebra'), 0);
    assert.equal(await n('NEAR(alpha zebra)'), 0);
    assert.equal(await n('alpha NOT beta'), 0);
    assert.equal(await n('title:alpha'), 0);
    assert.equal(await n('*'), 0);
    assert.equal(await n('(alpha)'), await n('alpha'));
    assert.equal(await n('"alpha"'), await n('alpha'));
    for (const s of ['"OR * NEAR(', '"', '"""', 'a"b', "'; DROP TABLE tasks; --", '\\', '{title}:x', '^', '-', '🚀',
      'a '.repeat(100), '"a" '.repeat(50), '🚀 '.repeat(100)])
      await listTasks(client, { search: s }); // 200, asserted inside
    assert.equal((await stats(client)).total, 60, 'nothing was dropped');
  });

  test('date filters are strict and take dates or date-times with zones', async () => {
    const t = all.find((x) => x.dueDate !== null);
    const at = t.dueDate;
    const before = await listTasks(client, { dueBefore: at, limit: '100' });
    assert.ok(!before.tasks.some((x) => x._id === t._id), 'dueBefore is exclusive');
    const afterList = await listTasks(client, { dueAfter: at, limit: '100' });
    assert.ok(!afterList.tasks.some((x) => x._id === t._id), 'dueAfter is exclusive');
    const ms = Date.parse(at);
    const around = await listTasks(client, {
      dueAfter: new Date(ms - 1).toISOString(), dueBefore: new Date(ms + 1).toISOString(), limit: '100',
    });
    assert.ok(around.tasks.some((x) => x._id === t._id));
    // the same instant written with an offset
    const offset = new Date(ms + 2 * 3600000).toISOString().replace('Z', '+02:00');
    const viaOffset = await listTasks(client, { dueBefore: offset, limit: '100', sort: 'title' });
    assert.deepEqual(ids(viaOffset.tasks), ids(modelList(all, { dueBefore: at, sort: 'title' })));
  });

  test('tags match exactly, not by prefix or case', async () => {
    for (const tag of ['work', 'Work', 'wor', 'home', 'urgent', 'alphatag', 'alpha']) {
      const body = await listTasks(client, { tag, limit: '100' });
      assert.deepEqual(ids(body.tasks), ids(modelList(all, { tag })), `tag ${tag}`);
    }
    assert.equal((await listTasks(client, { tag: 'Work' })).pagination.totalTasks, 0);
  });

  test('stats agree with the list and with the model', async () => {
    const s = await stats(client);
    const count = async (q) => (await listTasks(client, q)).pagination.totalTasks;
    assert.equal(s.total, await count({}));
    for (const st of STATUSES) {
      assert.equal(s.byStatus[st], await count({ status: st }));
      assert.equal(s.byStatus[st], all.filter((t) => t.status === st).length);
    }
    for (const p of PRIORITIES) {
      assert.equal(s.byPriority[p], await count({ priority: p }));
      assert.equal(s.byPriority[p], all.filter((t) => t.priority === p).length);
    }
    const t = Date.now();
    const open = all.filter((x) => x.status !== 'completed' && x.dueDate !== null);
    assert.equal(s.overdue, open.filter((x) => Date.parse(x.dueDate) < t).length);
    const dayStart = t - (t % DAY);
    assert.equal(s.dueToday, open.filter((x) => Date.parse(x.dueDate) >= dayStart && Date.parse(x.dueDate) < dayStart + DAY).length);
    assert.equal(s.completedLast7Days, all.filter((x) => x.completedAt !== null).length);
    // overdue through the list: not completed and due before now, in two status queries
    const overdueViaList = (await Promise.all(['pending', 'in-progress'].map((st) =>
      count({ status: st, dueBefore: new Date(t).toISOString() })))).reduce((a, b) => a + b, 0);
    assert.equal(s.overdue, overdueViaList);
  });
});
