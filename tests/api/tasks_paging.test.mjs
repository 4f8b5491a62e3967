// Walking a whole list while the same user keeps adding tasks.
//
// What is guaranteed (and asserted here):
// - Cursor walks (keyset), any sort: no task twice, every task that existed
//   when the walk started exactly once, and the order of the walk is the sort
//   order throughout. With the default -createdAt, new tasks sort before the
//   walk's start, so the walk returns exactly the tasks present at its start.
// - Page walks (page=1,2,...) with createdAt ascending: new tasks sort after
//   every existing one, so each existing task comes exactly once, in order,
//   and only new tasks follow them. On SQLite the server stamps a new task
//   inside its write transaction after the user's latest one, so no task ever
//   appears before one already seen, and no task comes twice. On PostgreSQL
//   two creates racing on two connections may commit out of id order, so a
//   new task may come twice (store_task_create() in src/store/store.h).
// - Page walks with the default -createdAt: every new task pushes the later
//   pages back by one, so a task may come twice (on two pages) but none that
//   existed at the start is ever skipped.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { startServer } from '../support/server.mjs';
import {
  compareBy, createTask, cursorWalk, DAY, deleteTask, ids, listTasks, modelList, pageWalk, PRIORITIES, signedIn, SORTS,
  STATUSES, updateTask,
} from '../support/tasks.mjs';
import { settle } from '../support/wait.mjs';

const ON_POSTGRES = Boolean(process.env.LSF_DATABASE_URL_TEMPLATE);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const ALL_SORTS = SORTS.flatMap((s) => [s, `-${s}`]);
const WORDS = ['apple', 'Banana', 'cherry', 'date', 'Elder', 'fig', 'grape', 'ß', 'Ünder', '42'];

function fields(i) {
  return {
    title: `${WORDS[i % WORDS.length]} ${WORDS[(i * 7) % WORDS.length]}`,
    status: STATUSES[i % 3],
    priority: PRIORITIES[(i * 5) % 3],
    dueDate: i % 4 === 0 ? null : new Date(Date.UTC(2030, 0, 1) + ((i * 13) % 9) * DAY).toISOString(),
    tags: i % 2 ? ['odd'] : [],
  };
}

// Creates tasks for client in the background (`workers` in flight, at most
// `max` in all) until stop(); `made` holds the tasks created.
function inserter(client, { workers = 3, max = 400, start = 100000 } = {}) {
  const made = [];
  let stopped = false;
  let n = start;
  const loops = Array.from({ length: workers }, async () => {
    while (!stopped && made.length < max) made.push(await createTask(client, fields(n++)));
  });
  return {
    made,
    // wait (bounded) until k more tasks were made since `since`
    async progress(since, k = 2) {
      for (let i = 0; i < 200 && made.length < since + k && made.length < max; i++) await sleep(5);
    },
    async stop() {
      stopped = true;
      await Promise.all(loops);
      return made;
    },
  };
}

function assertNoDuplicates(list, label) {
  const seen = new Set();
  for (const t of list) {
    assert.ok(!seen.has(t._id), `${label}: ${t._id} (${t.title}) came twice`);
    seen.add(t._id);
  }
}

function assertSorted(list, sort, label) {
  const cmp = compareBy(sort);
  for (let i = 1; i < list.length; i++)
    assert.ok(cmp(list[i - 1], list[i]) < 0, `${label}: out of order at ${i}: ${list[i - 1].title} / ${list[i].title}`);
}

describe('tasks: page and cursor walks under concurrent inserts', () => {
  let server;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    assert.equal(await server.close(), 0, `lsf-server did not exit 0 on SIGTERM:\n${server.stderr()}`);
    assert.doesNotMatch(server.stderr(), /"level":"error"/);
  });

  // n tasks made 20 at a time, then a pause so later tasks get a later ms
  async function seeded(tag, n) {
    const client = await signedIn(server, tag);
    const tasks = [];
    for (let i = 0; i < n; i += 20)
      tasks.push(...await Promise.all(Array.from({ length: Math.min(20, n - i) }, (_, j) => createTask(client, fields(i + j)))));
    await sleep(5);
    return { client, tasks };
  }

  test('at rest, page and cursor walks of every sort return the model order exactly', async () => {
    const { client, tasks } = await seeded('rest', 45);
    for (const sort of ALL_SORTS) {
      const want = ids(modelList(tasks, { sort }));
      for (const limit of [1, 7, 45, 100]) {
        const byCursor = await cursorWalk(client, { sort }, limit);
        assert.deepEqual(ids(byCursor.tasks), want, `cursor ${sort} limit ${limit}`);
        assert.ok(byCursor.totals.every((n) => n === 45));
      }
      const byPage = await pageWalk(client, { sort }, 7);
      assert.deepEqual(ids(byPage.tasks), want, `page ${sort}`);
    }
    // a filtered walk keeps its filter on every page
    const q = { sort: '-dueDate', tag: 'odd', status: 'pending' };
    assert.deepEqual(ids((await cursorWalk(client, q, 2)).tasks), ids(modelList(tasks, q)));
  });

  test('a cursor walk of the default order returns exactly the tasks present at its start', async () => {
    const { client, tasks } = await seeded('cursordefault', 150);
    let ins = null;
    let seen = 0;
    // inserts start once the first page is read: the walk's start is then exact
    const walk = await cursorWalk(client, {}, 7, async () => {
      ins ??= inserter(client);
      await ins.progress(seen);
      seen = ins.made.length;
    });
    const made = await ins.stop();
    assert.ok(made.length >= 40, `inserts ran during the walk (${made.length})`);
    assert.deepEqual(ids(walk.tasks), ids(modelList(tasks, { sort: '-createdAt' })));
    for (let i = 1; i < walk.totals.length; i++) assert.ok(walk.totals[i] >= walk.totals[i - 1], 'totalTasks only grows');
    assert.ok(walk.totals.at(-1) > walk.totals[0], 'totalTasks counts the new tasks');
    // and a new walk sees everything
    const again = await cursorWalk(client, {}, 100);
    assert.equal(again.tasks.length, tasks.length + made.length);
    assertNoDuplicates(again.tasks, 'second walk');
  });

  test('cursor walks of every sort: each task once, every initial task, in order', async () => {
    const { client, tasks } = await seeded('cursorall', 60);
    const initial = new Set(ids(tasks));
    const ins = inserter(client, { max: 600 });
    for (const sort of ALL_SORTS) {
      let seen = ins.made.length;
      const before = new Set(ins.made.map((t) => t._id));
      const walk = await cursorWalk(client, { sort }, 9, async () => {
        await ins.progress(seen, 1);
        seen = ins.made.length;
      });
      assertNoDuplicates(walk.tasks, sort);
      assertSorted(walk.tasks, sort, sort);
      const got = new Set(ids(walk.tasks));
      for (const id of initial) assert.ok(got.has(id), `${sort}: initial task ${id} missing`);
      for (const id of before) assert.ok(got.has(id), `${sort}: task ${id} made before the walk is missing`);
    }
    const made = await ins.stop();
    assert.ok(made.length >= 60, `inserts ran during the walks (${made.length})`);
  });

  test('a page walk by createdAt ascending: each initial task exactly once, in order, then only new ones', async () => {
    const { client, tasks } = await seeded('pageasc', 120);
    const ins = inserter(client);
    let seen = 0;
    const walk = await pageWalk(client, { sort: 'createdAt' }, 7, async () => {
      await ins.progress(seen);
      seen = ins.made.length;
    });
    const made = await ins.stop();
    assert.ok(made.length >= 30, `inserts ran during the walk (${made.length})`);
    const want = ids(modelList(tasks, { sort: 'createdAt' }));
    assert.deepEqual(ids(walk.tasks.slice(0, want.length)), want);
    const newIds = new Set(ids(made));
    assert.ok(walk.tasks.slice(want.length).every((t) => newIds.has(t._id)));
    if (ON_POSTGRES) return;
    assertNoDuplicates(walk.tasks, 'createdAt page walk');
    assertSorted(walk.tasks, 'createdAt', 'createdAt page walk');
  });

  test('a page walk of the default order never skips a task; repeats come from the shift', async () => {
    const { client, tasks } = await seeded('pagedesc', 120);
    const ins = inserter(client);
    let seen = 0;
    const walk = await pageWalk(client, {}, 10, async () => {
      await ins.progress(seen);
      seen = ins.made.length;
    });
    const made = await ins.stop();
    assert.ok(made.length >= 20, `inserts ran during the walk (${made.length})`);
    const got = new Set(ids(walk.tasks));
    for (const t of tasks) assert.ok(got.has(t._id), `initial task ${t._id} skipped`);
    // a repeat is a task shifted onto the next page by the inserts
    assert.ok(walk.tasks.length - got.size > 0, 'inserts between pages shift tasks onto the next page');
    const known = new Set([...ids(tasks), ...ids(made)]);
    assert.ok(walk.tasks.every((t) => known.has(t._id)));
  });

  // Titles of the full 200 characters, in 1- to 4-byte UTF-8 (800 bytes at
  // most); a cursor that carried its title used to grow past the 1,024 bytes
  // the server accepts back, and put the title in URLs and access logs.
  const MARK = 'LSFTITLE';
  const FILLERS = ['x', 'ü', '€', '漢', '😀', 'Ab'];
  function longTitle(i) {
    const head = `${String.fromCharCode(97 + ((i * 7) % 26))}${i} ${MARK} `;
    const fill = FILLERS[i % FILLERS.length];
    const chars = [...head];
    while (chars.length < 200) chars.push(...fill);
    return chars.slice(0, 200).join('');
  }
  // Whether bytes hold any of the titles' text, raw or JSON-escaped.
  function holdsTitleText(bytes) {
    const pieces = [MARK, ...FILLERS.filter((f) => f !== 'x').map((f) => f.repeat(3))];
    return pieces.some((p) => bytes.includes(Buffer.from(p)) || bytes.includes(Buffer.from(JSON.stringify(p).slice(1, -1))) ||
      bytes.includes(Buffer.from(JSON.stringify(p).slice(1, -1).replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`))));
  }

  test('title sorts with 200-character titles: every cursor is accepted back and carries no title text', async () => {
    const client = await signedIn(server, 'longtitles');
    const tasks = [];
    for (let i = 0; i < 35; i += 7)
      tasks.push(...await Promise.all(Array.from({ length: 7 }, (_, j) => createTask(client, { title: longTitle(i + j) }))));
    tasks.push(await createTask(client, { title: '😀'.repeat(200) })); // the longest title: 800 bytes
    assert.ok(tasks.every((t) => [...t.title].length === 200));
    const cursors = [];
    for (const sort of ['title', '-title']) {
      for (const limit of [1, 5]) {
        const got = [];
        let cursor = null;
        do {
          const body = await listTasks(client, { sort, limit: String(limit), ...(cursor ? { cursor } : {}) });
          got.push(...body.tasks);
          cursor = body.pagination.nextCursor;
          if (cursor !== null) cursors.push(cursor);
        } while (cursor !== null);
        assert.deepEqual(ids(got), ids(modelList(tasks, { sort })), `${sort} limit ${limit}`);
      }
    }
    assert.equal(cursors.length, 2 * (35 + 7));
    for (const c of cursors) {
      assert.match(c, /^[A-Za-z0-9_-]+$/, 'URL-safe');
      assert.ok(!holdsTitleText(Buffer.from(c, 'base64url')), `a cursor carries title text: ${Buffer.from(c, 'base64url').toString()}`);
    }
    // the access log has the walks' URLs (flushed about once a second), and no title in them
    const log = await settle(() => server.accessLog(), (text) => cursors.every((c) => text.includes(c)));
    for (const c of cursors) assert.ok(log.includes(c), 'every cursor request is in the access log');
    assert.ok(!log.includes(MARK), 'no title in the access log');
    for (const m of log.matchAll(/[?&]cursor=([A-Za-z0-9_-]+)/g))
      assert.ok(!holdsTitleText(Buffer.from(m[1], 'base64url')), 'no title text in a logged cursor');
  });

  test('a title cursor keeps its place when its task is renamed or deleted before the next page', async () => {
    const client = await signedIn(server, 'anchor');
    const tasks = [];
    const titled = (prefix, i) => [...`${prefix} ${longTitle(i)}`].slice(0, 200).join('');
    for (let i = 0; i < 9; i++) tasks.push(await createTask(client, { title: titled(String.fromCharCode(97 + i), i) }));
    const want = ids(modelList(tasks, { sort: 'title' }));
    // deleted: the next page starts right after the deleted task's place
    const first = await listTasks(client, { sort: 'title', limit: '3' });
    assert.deepEqual(ids(first.tasks), want.slice(0, 3));
    await deleteTask(client, want[2]);
    const next = await listTasks(client, { sort: 'title', limit: '3', cursor: first.pagination.nextCursor });
    assert.deepEqual(ids(next.tasks), want.slice(3, 6));
    // renamed to sort first: the cursor still holds the old place
    await updateTask(client, want[5], { title: titled('0', 99) });
    const third = await listTasks(client, { sort: 'title', limit: '3', cursor: next.pagination.nextCursor });
    assert.deepEqual(ids(third.tasks), want.slice(6, 9));
    assert.equal(third.pagination.nextCursor, null);
  });
});
