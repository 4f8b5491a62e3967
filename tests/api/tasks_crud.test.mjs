// /api/tasks and /api/tasks/:id: create with defaults and trimming, read,
// partial updates by PUT and PATCH with completedAt kept by the server,
// delete, 404 "Task not found", 401 without a session, and 400 naming the
// field for every bad body and query value (legacy mode: the status of the
// error table, same body).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { Client } from '../support/client.mjs';
import { expectError } from '../support/errors.mjs';
import { startServer } from '../support/server.mjs';
import {
  createTask, listTasks, send, signedIn, updateTask,
} from '../support/tasks.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const bad = (res, field) => expectError(res, 400, new RegExp(field), 'VALIDATION');

describe('tasks: CRUD and validation', () => {
  let server;
  let client;
  before(async () => {
    server = await startServer();
    client = await signedIn(server, 'crud');
  });
  after(async () => {
    assert.equal(await server.close(), 0, `lsf-server did not exit 0 on SIGTERM:\n${server.stderr()}`);
    assert.doesNotMatch(server.stderr(), /"level":"error"/);
  });

  test('create with a title only takes the defaults', async () => {
    const before = Date.now();
    const t = await createTask(client, { title: 'Buy milk' });
    assert.equal(t.title, 'Buy milk');
    assert.equal(t.description, '');
    assert.equal(t.status, 'pending');
    assert.equal(t.priority, 'medium');
    assert.equal(t.dueDate, null);
    assert.deepEqual(t.tags, []);
    assert.equal(t.completedAt, null);
    assert.equal(t.createdAt, t.updatedAt);
    const created = Date.parse(t.createdAt);
    assert.ok(created >= before - 1000 && created <= Date.now() + 1000, `createdAt ${t.createdAt} is now`);
    const other = await createTask(client, { title: 'second' });
    assert.equal(other.userId, t.userId);
    assert.notEqual(other._id, t._id);
  });

  test('create stores every field, trimmed, with dates in UTC', async () => {
    const t = await createTask(client, {
      title: '  Plan the trip  ',
      description: '  Flights\nand hotels  ',
      status: 'in-progress',
      priority: 'high',
      dueDate: '2031-05-06T07:08:09.123+02:00',
      tags: [' travel ', 'Zürich', '日本'],
    });
    assert.equal(t.title, 'Plan the trip');
    assert.equal(t.description, 'Flights\nand hotels');
    assert.equal(t.status, 'in-progress');
    assert.equal(t.priority, 'high');
    assert.equal(t.dueDate, '2031-05-06T05:08:09.123Z');
    assert.deepEqual(t.tags, ['travel', 'Zürich', '日本']);
    const dateOnly = await createTask(client, { title: 'date only', dueDate: '2031-05-06' });
    assert.equal(dateOnly.dueDate, '2031-05-06T00:00:00.000Z');
    const nullDue = await createTask(client, { title: 'no due date', dueDate: null });
    assert.equal(nullDue.dueDate, null);
  });

  test('create as completed sets completedAt; GET returns the task as created', async () => {
    const t = await createTask(client, { title: 'already done', status: 'completed' });
    assert.equal(t.completedAt, t.createdAt);
    const res = await client.get(`/api/tasks/${t._id}`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { success: true, task: t });
  });

  test('PATCH and PUT change only the fields sent and bump updatedAt', async () => {
    const t = await createTask(client, { title: 'original', description: 'keep me', tags: ['a'], priority: 'low' });
    await sleep(5);
    const p = await updateTask(client, t._id, { title: 'renamed' });
    assert.deepEqual({ ...p, updatedAt: t.updatedAt }, { ...t, title: 'renamed' });
    assert.ok(Date.parse(p.updatedAt) > Date.parse(t.updatedAt), 'updatedAt moves forward');
    const u = await updateTask(client, t._id, { priority: 'high', tags: [], dueDate: '2030-01-01T00:00:00Z' }, 'PUT');
    assert.deepEqual(
      { ...u, updatedAt: p.updatedAt },
      { ...p, priority: 'high', tags: [], dueDate: '2030-01-01T00:00:00.000Z' },
    );
    const cleared = await updateTask(client, t._id, { dueDate: null, description: '' });
    assert.equal(cleared.dueDate, null);
    assert.equal(cleared.description, '');
    const got = await (await client.get(`/api/tasks/${t._id}`)).json();
    assert.deepEqual(got.task, cleared);
  });

  test('completedAt is set when status becomes completed and cleared when it leaves', async () => {
    const t = await createTask(client, { title: 'status walk' });
    await sleep(5);
    const done = await updateTask(client, t._id, { status: 'completed' });
    assert.equal(done.completedAt, done.updatedAt);
    assert.ok(Date.parse(done.completedAt) > Date.parse(t.createdAt));
    await sleep(5);
    const again = await updateTask(client, t._id, { status: 'completed', title: 'still done' });
    assert.equal(again.completedAt, done.completedAt, 'completing again keeps the first completion time');
    const other = await updateTask(client, t._id, { priority: 'low' });
    assert.equal(other.completedAt, done.completedAt, 'other fields leave completedAt alone');
    const reopened = await updateTask(client, t._id, { status: 'in-progress' }, 'PUT');
    assert.equal(reopened.completedAt, null);
    const pending = await updateTask(client, t._id, { status: 'pending' });
    assert.equal(pending.completedAt, null);
  });

  test('DELETE answers "Task deleted" with the task as it was; the task is gone for every method', async () => {
    const created = await createTask(client, { title: 'to delete', priority: 'high', tags: ['x'] });
    const t = await updateTask(client, created._id, { status: 'completed', dueDate: '2030-01-02T00:00:00Z' });
    const res = await send(client, 'DELETE', `/api/tasks/${t._id}`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), {
      success: true,
      message: 'Task deleted',
      task: { ...t, title: 'to delete', status: 'completed', priority: 'high', dueDate: '2030-01-02T00:00:00.000Z', tags: ['x'] },
    });
    await expectError(await client.get(`/api/tasks/${t._id}`), 404, 'Task not found');
    await expectError(await send(client, 'PATCH', `/api/tasks/${t._id}`, { title: 'x' }), 404, 'Task not found');
    await expectError(await send(client, 'PUT', `/api/tasks/${t._id}`, { title: 'x' }), 404, 'Task not found');
    await expectError(await send(client, 'DELETE', `/api/tasks/${t._id}`), 404, 'Task not found');
    const list = await listTasks(client, { limit: '100' });
    assert.ok(!list.tasks.some((x) => x._id === t._id));
  });

  test('unknown and malformed ids answer 404 "Task not found"', async () => {
    for (const id of [randomUUID(), '01a214c0-50b4-7103-aaa5-27fd9804edff', 'nope', '1', 'ABCDEF00-0000-7000-8000-000000000000',
      `${randomUUID()}x`, "'%20OR%201=1"]) {
      await expectError(await client.get(`/api/tasks/${id}`), 404, 'Task not found');
      await expectError(await send(client, 'PATCH', `/api/tasks/${id}`, { title: 'x' }), 404, 'Task not found');
      await expectError(await send(client, 'DELETE', `/api/tasks/${id}`), 404, 'Task not found');
    }
  });

  test('without a session every task route answers 401', async () => {
    const anon = new Client(server.url);
    const t = await createTask(client, { title: 'private' });
    const cases = [['GET', '/api/tasks'], ['POST', '/api/tasks', { title: 'x' }], ['GET', '/api/tasks/stats'],
      ['GET', `/api/tasks/${t._id}`], ['PATCH', `/api/tasks/${t._id}`, { title: 'x' }],
      ['PUT', `/api/tasks/${t._id}`, { title: 'x' }], ['DELETE', `/api/tasks/${t._id}`]];
    for (const [method, path, json] of cases)
      await expectError(await send(anon, method, path, json), 401, 'Not Authorized. Login Again');
    const still = await (await client.get(`/api/tasks/${t._id}`)).json();
    assert.equal(still.task.title, 'private');
  });

  test('titles, descriptions and tags are limited in characters, not bytes', async () => {
    assert.equal((await createTask(client, { title: 'x'.repeat(200) })).title.length, 200);
    assert.equal([...(await createTask(client, { title: '🚀'.repeat(200) })).title].length, 200);
    assert.equal((await createTask(client, { title: 'd', description: 'é'.repeat(5000) })).description.length, 5000);
    const tags = Array.from({ length: 20 }, (_, i) => `${i}`.padEnd(40, 'ü'));
    assert.deepEqual((await createTask(client, { title: 't', tags })).tags, tags);
  });

  const badBodies = [
    [{}, 'title'],
    [{ description: 'no title' }, 'title'],
    [{ title: '' }, 'title'],
    [{ title: '   \t ' }, 'title'],
    [{ title: 'x'.repeat(201) }, 'title'],
    [{ title: '🚀'.repeat(201) }, 'title'],
    [{ title: 42 }, 'title'],
    [{ title: null }, 'title'],
    [{ title: ['x'] }, 'title'],
    [{ title: 'a\u0001b' }, 'title'],
    [{ title: 'ok', tags: ['a\u001bb'] }, 'tags'],
    [{ title: 'ok', description: 'x'.repeat(5001) }, 'description'],
    [{ title: 'ok', description: 7 }, 'description'],
    [{ title: 'ok', description: null }, 'description'],
    [{ title: 'ok', status: 'done' }, 'status'],
    [{ title: 'ok', status: 'Pending' }, 'status'],
    [{ title: 'ok', status: 1 }, 'status'],
    [{ title: 'ok', status: null }, 'status'],
    [{ title: 'ok', priority: 'urgent' }, 'priority'],
    [{ title: 'ok', priority: 2 }, 'priority'],
    [{ title: 'ok', dueDate: 'tomorrow' }, 'dueDate'],
    [{ title: 'ok', dueDate: '2024-13-01' }, 'dueDate'],
    [{ title: 'ok', dueDate: '2023-02-29' }, 'dueDate'],
    [{ title: 'ok', dueDate: '2024-01-01T25:00:00Z' }, 'dueDate'],
    [{ title: 'ok', dueDate: 1700000000000 }, 'dueDate'],
    [{ title: 'ok', dueDate: '' }, 'dueDate'],
    [{ title: 'ok', dueDate: '9999-12-31T23:30:00-01:00' }, 'dueDate'], // year 10000 in UTC
    [{ title: 'ok', dueDate: '1970-01-01T00:30:00+01:00' }, 'dueDate'], // 1969 in UTC
    [{ title: 'ok', tags: 'work' }, 'tags'],
    [{ title: 'ok', tags: [1] }, 'tags'],
    [{ title: 'ok', tags: [''] }, 'tags'],
    [{ title: 'ok', tags: ['  '] }, 'tags'],
    [{ title: 'ok', tags: [null] }, 'tags'],
    [{ title: 'ok', tags: ['x'.repeat(41)] }, 'tags'],
    [{ title: 'ok', tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }, 'tags'],
    [{ title: 'ok', tags: ['dup', 'dup'] }, 'tags'],
    [{ title: 'ok', tags: { a: 1 } }, 'tags'],
    [{ title: 'ok', colour: 'red' }, 'colour'],
    [{ title: 'ok', _id: randomUUID() }, '_id'],
    [{ title: 'ok', userId: randomUUID() }, 'userId'],
    [{ title: 'ok', completedAt: null }, 'completedAt'],
    [{ title: 'ok', createdAt: '2020-01-01T00:00:00Z' }, 'createdAt'],
    [{ title: 'ok', updatedAt: '2020-01-01T00:00:00Z' }, 'updatedAt'],
  ];

  test('POST with a bad field answers 400 naming it and creates nothing', async () => {
    const c = await signedIn(server, 'badpost');
    for (const [body, field] of badBodies) await bad(await send(c, 'POST', '/api/tasks', body), field);
    assert.equal((await listTasks(c)).pagination.totalTasks, 0);
  });

  test('PUT and PATCH with a bad field answer 400 and change nothing', async () => {
    const t = await createTask(client, { title: 'stable', tags: ['x'] });
    for (const method of ['PATCH', 'PUT']) {
      for (const [body, field] of badBodies) {
        if (!(field in body)) continue; // a missing title is no error in an update
        // a valid change next to the bad one must not be applied either
        await bad(await send(client, method, `/api/tasks/${t._id}`, { priority: 'high', ...body }), field);
      }
      await expectError(await send(client, method, `/api/tasks/${t._id}`, {}), 400, /Nothing to update/, 'VALIDATION');
    }
    const got = await (await client.get(`/api/tasks/${t._id}`)).json();
    assert.deepEqual(got.task, t);
  });

  test('a body that is not a JSON object answers 400', async () => {
    const raw = (body) => client.request('POST', '/api/tasks', { body, headers: { 'content-type': 'application/json' } });
    await expectError(await raw('[1]'), 400, /JSON object/, 'INVALID_JSON');
    await expectError(await raw('"title"'), 400, /^Malformed JSON body/, 'INVALID_JSON');
    await expectError(await raw('{"title": "x",'), 400, /^Malformed JSON body/, 'INVALID_JSON');
    await expectError(await raw('{"title": "x", "title": "y"}'), 400, /title|JSON/, 'INVALID_JSON');
    await expectError(await raw('{"title": "a\\u0000b"}'), 400, /^Malformed JSON body/, 'INVALID_JSON');
  });

  test('bad list parameters answer 400 naming the parameter', async () => {
    const cursorOf = (obj) => Buffer.from(JSON.stringify(obj)).toString('base64url');
    const id = randomUUID();
    const cases = [
      ['status=done', 'status'], ['status=Pending', 'status'], ['priority=urgent', 'priority'],
      ['limit=0', 'limit'], ['limit=1000', 'limit'], ['limit=101', 'limit'], ['limit=-1', 'limit'], ['limit=abc', 'limit'],
      ['limit=1.5', 'limit'], ['limit=', 'limit'], ['limit=10abc', 'limit'],
      ['page=0', 'page'], ['page=-1', 'page'], ['page=x', 'page'], ['page=1e3', 'page'], ['page=99999999999', 'page'],
      ['dueBefore=tomorrow', 'dueBefore'], ['dueBefore=2024-13-01', 'dueBefore'], ['dueAfter=2024-02-30', 'dueAfter'],
      ['dueAfter=1700000000', 'dueAfter'],
      ['sort=foo', 'sort'], ['sort=--title', 'sort'], ['sort=-', 'sort'], ['sort=Title', 'sort'], ['sort=', 'sort'],
      ['sort=title,createdAt', 'sort'],
      ['cursor=garbage!', 'cursor'], ['cursor=', 'cursor'], [`cursor=${'A'.repeat(2000)}`, 'cursor'],
      [`cursor=${cursorOf({ s: 0, d: true, k: 1, i: 'not-a-uuid' })}`, 'cursor'],
      [`cursor=${cursorOf({ s: 9, d: true, k: 1, i: id })}`, 'cursor'],
      [`cursor=${cursorOf({ s: 4, d: false, k: 5, i: id })}&sort=title`, 'cursor'],
      [`cursor=${cursorOf({ s: 0, d: true, k: 1, i: id, x: 1 })}`, 'cursor'],
      [`cursor=${cursorOf({ s: 0, d: false, k: 1, i: id })}`, 'cursor'], // made for createdAt ascending
      ['foo=1', 'foo'], ['Status=pending', 'Status'],
      ['status=pending&status=completed', 'status'], ['limit=5&limit=5', 'limit'],
      [`tag=${'x'.repeat(41)}`, 'tag'], [`search=${'x'.repeat(201)}`, 'search'],
    ];
    for (const [qs, field] of cases) await bad(await client.get(`/api/tasks?${qs}`), field);
  });

  // The names are quoted up to 64 bytes; byte 64 falls inside a character here
  // (é is 2 bytes, 😀 is 4), and a cut character used to leave the answer
  // without a body: the quote now ends before that character.
  const longNames = [[`${'a'.repeat(63)}é`, 'a'.repeat(63)], [`${'b'.repeat(62)}😀tail`, 'b'.repeat(62)],
    [`${'c'.repeat(62)}€`, 'c'.repeat(62)], [`${'d'.repeat(64)}é`, 'd'.repeat(64)]];
  test('an unknown field whose name is cut at 64 bytes inside a character answers 400 JSON', async () => {
    for (const [name, quoted] of longNames)
      await expectError(await client.post('/api/tasks', { title: 'x', [name]: 1 }), 400, `Unknown field: ${quoted}`, 'VALIDATION');
    const task = await createTask(client, { title: 'x' });
    for (const [name, quoted] of longNames)
      await expectError(await send(client, 'PATCH', `/api/tasks/${task._id}`, { [name]: 1 }), 400, `Unknown field: ${quoted}`, 'VALIDATION');
  });

  test('an unknown query parameter whose name is cut at 64 bytes inside a character answers 400 JSON', async () => {
    for (const [name, quoted] of longNames)
      await expectError(await client.get(`/api/tasks?${encodeURIComponent(name)}=1`), 400, `Unknown query parameter: ${quoted}`, 'VALIDATION');
  });

  test('a cursor works only for the sort it was made for', async () => {
    const c = await signedIn(server, 'cursorsort');
    for (let i = 0; i < 3; i++) await createTask(c, { title: `t${i}` });
    const first = await listTasks(c, { limit: '1', sort: 'title' });
    assert.ok(first.pagination.nextCursor);
    await bad(await c.get(`/api/tasks?limit=1&cursor=${first.pagination.nextCursor}`), 'cursor');
    await bad(await c.get(`/api/tasks?limit=1&sort=-title&cursor=${first.pagination.nextCursor}`), 'cursor');
    const next = await listTasks(c, { limit: '1', sort: 'title', cursor: first.pagination.nextCursor });
    assert.equal(next.tasks[0].title, 't1');
  });

  // libsodium 1.0.18 (Debian 12) decodes every byte from 0x80 up as the '_'
  // of base64url, so a cursor with "__" in it could be spelled with any
  // two-byte UTF-8 character instead (%C3%9F is ß) and was the same cursor.
  test('a cursor spelled with characters outside base64url is refused', async () => {
    const c = await signedIn(server, 'cursorbytes');
    for (let i = 0; i < 2; i++) await createTask(c, { title: `t${i}` });
    let cursor = '';
    for (let i = 0; i < 1000 && !cursor.includes('__'); i++) // random nonce: about 1 cursor in 30 has "__"
      cursor = (await listTasks(c, { limit: '1' })).pagination.nextCursor;
    assert.ok(cursor.includes('__'), 'no cursor with "__" in 1000 tries');
    for (const spelling of ['%C3%9F', '%C2%80', '%DF%BF'])
      await bad(await c.get(`/api/tasks?limit=1&cursor=${cursor.replace('__', spelling)}`), 'cursor');
    const next = await listTasks(c, { limit: '1', cursor });
    assert.equal(next.tasks[0].title, 't0');
  });

  test('empty filter values mean no filter', async () => {
    const c = await signedIn(server, 'emptyfilters');
    await createTask(c, { title: 'one' });
    const body = await listTasks(c, 'status=&priority=&tag=&search=&dueBefore=&dueAfter=');
    assert.equal(body.tasks.length, 1);
    assert.equal(body.pagination.totalTasks, 1);
  });
});
