// Safe retries (issue 10, defect 10): an Idempotency-Key on an authenticated
// POST, PUT or PATCH makes a retry answer what the first request answered
// (same status, same body, plus Idempotent-Replayed: true) instead of running
// again, so a client that lost an answer cannot create a duplicate. The same
// key with another request is 422, a key still in progress is 409, a key is
// one user's, a bad key is 400, and keys expire (IDEMPOTENCY_TTL_MS, 24 h by
// default). Statuses are literals: the three idempotency answers keep their
// status under ERROR_STATUS=legacy too.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';

import { Client, jsonBody, rawSocket } from '../support/client.mjs';
import { sql } from '../support/db.mjs';
import { clockAhead, errorMode, FAKETIME_LIB, startServer } from '../support/server.mjs';
import { listTasks, signedIn } from '../support/tasks.mjs';

const BAD_KEY = 'Idempotency-Key must be 1 to 255 printable ASCII characters';
const MISMATCH = 'This Idempotency-Key was used with a different request';
const IN_PROGRESS = 'A request with this Idempotency-Key is in progress; retry later';

// method path with a JSON body and an Idempotency-Key; {res, text}.
async function keyed(client, method, path, json, key) {
  const res = await client.request(method, path, { json, headers: key === undefined ? {} : { 'idempotency-key': key } });
  return { res, text: await res.text() };
}

async function expectAnswer({ res, text }, status, message) {
  assert.equal(res.status, status, `expected ${status} ${message}, got ${res.status}: ${text}`);
  assert.match(res.headers.get('content-type') || '', /^application\/json/);
  assert.deepEqual(JSON.parse(text), { success: false, message });
}

const total = async (client) => (await listTasks(client)).pagination.totalTasks;

// An SQL string literal (the values quoted here are UUIDs: no quote inside).
const sqlText = (s) => `'${s}'`;

describe('idempotency: safe retries of authenticated writes', () => {
  let server;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    assert.equal(await server.close(), 0, `lsf-server did not exit 0 on SIGTERM:\n${server.stderr()}`);
  });

  test('a retry with the same key answers the same task and creates no duplicate', async () => {
    const client = await signedIn(server, 'idem-replay');
    const key = randomUUID();
    const first = await keyed(client, 'POST', '/api/tasks', { title: 'Buy milk', tags: ['home'] }, key);
    assert.equal(first.res.status, 201, first.text);
    assert.equal(first.res.headers.get('idempotent-replayed'), null);
    const task = JSON.parse(first.text).task;

    for (let i = 0; i < 2; i++) {
      const again = await keyed(client, 'POST', '/api/tasks', { title: 'Buy milk', tags: ['home'] }, key);
      assert.equal(again.res.status, 201);
      assert.equal(again.res.headers.get('idempotent-replayed'), 'true');
      assert.match(again.res.headers.get('content-type'), /^application\/json/);
      assert.equal(again.text, first.text, 'the replay is the first answer, byte for byte');
    }
    const list = await listTasks(client);
    assert.equal(list.pagination.totalTasks, 1);
    assert.equal(list.tasks[0]._id, task._id);

    // without a key every POST is a new task, as before
    assert.equal((await keyed(client, 'POST', '/api/tasks', { title: 'Buy milk' })).res.status, 201);
    assert.equal((await keyed(client, 'POST', '/api/tasks', { title: 'Buy milk' })).res.status, 201);
    assert.equal(await total(client), 3);
  });

  test('the same key with another body, method or path answers 422 and changes nothing', async () => {
    const client = await signedIn(server, 'idem-mismatch');
    const key = randomUUID();
    const first = await keyed(client, 'POST', '/api/tasks', { title: 'Original' }, key);
    assert.equal(first.res.status, 201, first.text);
    const task = JSON.parse(first.text).task;
    const other = JSON.parse((await keyed(client, 'POST', '/api/tasks', { title: 'Other' })).text).task;

    await expectAnswer(await keyed(client, 'POST', '/api/tasks', { title: 'Changed' }, key), 422, MISMATCH);
    // the same JSON value written differently is another body: bodies compare byte for byte
    const spaced = await client.request('POST', '/api/tasks', {
      body: '{ "title": "Original" }', headers: { 'content-type': 'application/json', 'idempotency-key': key },
    });
    await expectAnswer({ res: spaced, text: await spaced.text() }, 422, MISMATCH);
    await expectAnswer(await keyed(client, 'PATCH', `/api/tasks/${task._id}`, { title: 'Original' }, key), 422, MISMATCH);
    await expectAnswer(await keyed(client, 'PUT', `/api/tasks/${other._id}`, { title: 'Original' }, key), 422, MISMATCH);

    const list = await listTasks(client, { sort: 'title' });
    assert.deepEqual(list.tasks.map((t) => t.title), ['Original', 'Other']);
    // the stored answer is still there for the right request
    const again = await keyed(client, 'POST', '/api/tasks', { title: 'Original' }, key);
    assert.equal(again.text, first.text);
  });

  test('updates replay their first answer without running again', async () => {
    const client = await signedIn(server, 'idem-update');
    const created = JSON.parse((await keyed(client, 'POST', '/api/tasks', { title: 'Report' })).text).task;
    const key = randomUUID();
    const first = await keyed(client, 'PATCH', `/api/tasks/${created._id}`, { status: 'completed' }, key);
    assert.equal(first.res.status, 200, first.text);
    assert.equal(JSON.parse(first.text).task.status, 'completed');
    // someone moves the task back in between
    const back = await keyed(client, 'PATCH', `/api/tasks/${created._id}`, { status: 'pending' });
    assert.equal(back.res.status, 200, back.text);

    const again = await keyed(client, 'PATCH', `/api/tasks/${created._id}`, { status: 'completed' }, key);
    assert.equal(again.res.status, 200);
    assert.equal(again.res.headers.get('idempotent-replayed'), 'true');
    assert.equal(again.text, first.text);
    const now = await jsonBody(await client.get(`/api/tasks/${created._id}`));
    assert.equal(now.task.status, 'pending', 'the replay did not apply the patch a second time');

    // PUT with its own key works the same way
    const putKey = randomUUID();
    const put = await keyed(client, 'PUT', `/api/tasks/${created._id}`, { title: 'Report v2' }, putKey);
    assert.equal(put.res.status, 200, put.text);
    assert.equal((await keyed(client, 'PUT', `/api/tasks/${created._id}`, { title: 'Report v2' }, putKey)).text, put.text);
  });

  test('concurrent requests with one key run once: one task, the others wait or replay', async () => {
    const client = await signedIn(server, 'idem-race');
    const key = randomUUID();
    const answers = await Promise.all(
      Array.from({ length: 12 }, () => keyed(client, 'POST', '/api/tasks', { title: 'Only once' }, key)),
    );
    const created = answers.filter((a) => a.res.status === 201);
    const waiting = answers.filter((a) => a.res.status !== 201);
    assert.ok(created.length >= 1, 'at least the first request answers 201');
    assert.equal(created.filter((a) => a.res.headers.get('idempotent-replayed') === null).length, 1,
      'exactly one answer comes from running the request');
    assert.equal(new Set(created.map((a) => JSON.parse(a.text).task._id)).size, 1);
    for (const a of waiting) await expectAnswer(a, 409, IN_PROGRESS);
    assert.equal(await total(client), 1);
    // once the first finished, a retry gets its answer
    const retry = await keyed(client, 'POST', '/api/tasks', { title: 'Only once' }, key);
    assert.equal(retry.res.status, 201);
    assert.equal(retry.text, created[0].text);
  });

  test("a key is one user's: another user with the same key gets their own answer", async () => {
    const alice = await signedIn(server, 'idem-alice');
    const bob = await signedIn(server, 'idem-bob');
    const key = randomUUID();
    const a = await keyed(alice, 'POST', '/api/tasks', { title: 'Shared words' }, key);
    const b = await keyed(bob, 'POST', '/api/tasks', { title: 'Shared words' }, key);
    assert.equal(a.res.status, 201, a.text);
    assert.equal(b.res.status, 201, b.text);
    assert.equal(b.res.headers.get('idempotent-replayed'), null, "bob's request ran: it is not alice's answer");
    const ta = JSON.parse(a.text).task;
    const tb = JSON.parse(b.text).task;
    assert.notEqual(tb._id, ta._id);
    assert.notEqual(tb.userId, ta.userId);
    // with another body, bob's key is still bob's alone
    const b2 = await keyed(bob, 'POST', '/api/tasks', { title: 'Bob only' }, randomUUID());
    assert.equal(b2.res.status, 201);
    await expectAnswer(await keyed(alice, 'POST', '/api/tasks', { title: 'Bob only' }, key), 422, MISMATCH);
    assert.equal(await total(alice), 1);
    assert.equal(await total(bob), 2);
    // replays stay with their owner
    assert.equal((await keyed(bob, 'POST', '/api/tasks', { title: 'Shared words' }, key)).text, b.text);
  });

  test('a refused request is replayed too: the same request gets the same refusal', async () => {
    const client = await signedIn(server, 'idem-refused');
    const key = randomUUID();
    const first = await keyed(client, 'POST', '/api/tasks', { title: 'x'.repeat(201) }, key);
    assert.equal(JSON.parse(first.text).success, false, first.text);
    assert.equal(first.res.status, errorMode === 'legacy' ? 200 : 400);
    const again = await keyed(client, 'POST', '/api/tasks', { title: 'x'.repeat(201) }, key);
    assert.equal(again.res.status, first.res.status);
    assert.equal(again.res.headers.get('idempotent-replayed'), 'true');
    assert.equal(again.text, first.text);
    // an update of a task that does not exist: 404 (200 in legacy mode), replayed
    const missing = '01900000-0000-7000-8000-000000000000';
    const nf = await keyed(client, 'PATCH', `/api/tasks/${missing}`, { title: 'y' }, randomUUID());
    assert.equal(nf.res.status, errorMode === 'legacy' ? 200 : 404);
    assert.equal(await total(client), 0);
  });

  test('a bad key answers 400 and runs nothing', async () => {
    const client = await signedIn(server, 'idem-badkey');
    for (const key of ['', 'k'.repeat(256), 'caf\u00e9', 'tab\there']) {
      const answer = await keyed(client, 'POST', '/api/tasks', { title: 'Bad key' }, key);
      await expectAnswer(answer, 400, BAD_KEY);
    }
    // 255 printable characters, spaces included, are a good key
    const longest = `${'k'.repeat(127)} ${'~'.repeat(127)}`;
    assert.equal((await keyed(client, 'POST', '/api/tasks', { title: 'Good key' }, longest)).res.status, 201);
    assert.equal(await total(client), 1);

    // two Idempotency-Key headers: which one would count? Neither.
    const body = '{"title":"Two keys"}';
    const raw = await rawSocket(Number(new URL(server.url).port),
      `POST /api/tasks HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nCookie: token=${client.token}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${body.length}\r\nIdempotency-Key: one\r\nIdempotency-Key: two\r\n\r\n${body}`);
    assert.equal(raw.status, 400, raw.text);
    assert.match(raw.text, new RegExp(BAD_KEY));
    assert.equal(await total(client), 1);
  });

  test('the key is ignored where it does not apply: reads, deletes, unauthenticated requests', async () => {
    const client = await signedIn(server, 'idem-ignored');
    const bad = { headers: { 'idempotency-key': '' } };
    assert.equal((await client.request('GET', '/api/tasks', bad)).status, 200);
    assert.equal((await client.request('GET', '/api/user/data', bad)).status, 200);
    const task = JSON.parse((await keyed(client, 'POST', '/api/tasks', { title: 'Delete me' })).text).task;
    assert.equal((await client.request('DELETE', `/api/tasks/${task._id}`, bad)).status, 200);
    // no session: 401 as without a key (the token check comes first)
    const anon = await new Client(server.url).request('POST', '/api/tasks', { json: { title: 't' }, headers: { 'idempotency-key': 'k1' } });
    const anonBody = await jsonBody(anon);
    assert.equal(anonBody.message, 'Not Authorized. Login Again');
    assert.equal(anon.status, errorMode === 'legacy' ? 200 : 401);
    // logout revokes every time: a key never turns it into a replay
    const key = randomUUID();
    for (let i = 0; i < 2; i++) {
      const out = await client.request('POST', '/api/auth/logout', { headers: { 'idempotency-key': key } });
      assert.equal(out.status, 200);
      assert.equal(out.headers.get('idempotent-replayed'), null);
    }
  });

  test('a request that died holding its key blocks retries until its lease ends, then the retry runs', async () => {
    const client = await signedIn(server, 'idem-lease');
    const key = randomUUID();
    const first = await keyed(client, 'POST', '/api/tasks', { title: 'Lost answer' }, key);
    assert.equal(first.res.status, 201, first.text);
    const userId = JSON.parse(first.text).task.userId;
    const where = `user_id = ${sqlText(userId)} AND key = ${sqlText(key)}`;
    // make the row look like a request still running, as if its process had been killed
    sql(server, `UPDATE idempotency_keys SET status = 0, body = NULL, lease_until = ${Date.now() + 3600000} WHERE ${where}`);
    await expectAnswer(await keyed(client, 'POST', '/api/tasks', { title: 'Lost answer' }, key), 409, IN_PROGRESS);
    await expectAnswer(await keyed(client, 'POST', '/api/tasks', { title: 'Another' }, key), 422, MISMATCH);

    sql(server, `UPDATE idempotency_keys SET lease_until = ${Date.now() - 1} WHERE ${where}`);
    const retry = await keyed(client, 'POST', '/api/tasks', { title: 'Lost answer' }, key);
    assert.equal(retry.res.status, 201, retry.text);
    assert.equal(retry.res.headers.get('idempotent-replayed'), null, 'the lease ended: the retry ran');
    const again = await keyed(client, 'POST', '/api/tasks', { title: 'Lost answer' }, key);
    assert.equal(again.text, retry.text);
    assert.equal(sql(server, `SELECT status FROM idempotency_keys WHERE ${where}`), '201');
  });
});

describe('idempotency: keys expire', () => {
  let server;
  const TTL_MS = 2000;
  before(async () => {
    server = await startServer({ IDEMPOTENCY_TTL_MS: String(TTL_MS) });
  });
  after(async () => {
    assert.equal(await server.close(), 0, `lsf-server did not exit 0 on SIGTERM:\n${server.stderr()}`);
  });

  test('after IDEMPOTENCY_TTL_MS a key is new again, and expired keys are deleted', async () => {
    const client = await signedIn(server, 'idem-ttl');
    const key = randomUUID();
    const other = randomUUID();
    const first = await keyed(client, 'POST', '/api/tasks', { title: 'Expiring' }, key);
    assert.equal(first.res.status, 201, first.text);
    assert.equal((await keyed(client, 'POST', '/api/tasks', { title: 'Forgotten' }, other)).res.status, 201);
    assert.equal((await keyed(client, 'POST', '/api/tasks', { title: 'Never again' }, randomUUID())).res.status, 201);
    const userId = JSON.parse(first.text).task.userId;
    await sleep(TTL_MS + 500);

    const later = await keyed(client, 'POST', '/api/tasks', { title: 'Expiring' }, key);
    assert.equal(later.res.status, 201, later.text);
    assert.equal(later.res.headers.get('idempotent-replayed'), null);
    assert.notEqual(JSON.parse(later.text).task._id, JSON.parse(first.text).task._id);
    // a new body under the expired key is no mismatch either
    assert.equal((await keyed(client, 'POST', '/api/tasks', { title: 'Reused' }, other)).res.status, 201);
    assert.equal(await total(client), 5);
    // the table holds the two live keys only: two expired rows were replaced, the third purged
    assert.equal(sql(server, `SELECT count(*) FROM idempotency_keys WHERE user_id = ${sqlText(userId)}`), '2');
  });
});

describe('idempotency: 24 hours by default', { skip: !FAKETIME_LIB && 'libfaketime is not installed (or ASan build)' }, () => {
  let server;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    assert.equal(await server.close(), 0, `lsf-server did not exit 0 on SIGTERM:\n${server.stderr()}`);
  });

  test('a key replays 23 hours later and is new 25 hours later', async () => {
    const client = await signedIn(server, 'idem-day');
    const key = randomUUID();
    const first = await keyed(client, 'POST', '/api/tasks', { title: 'Daily' }, key);
    assert.equal(first.res.status, 201, first.text);
    await server.restart(clockAhead('+23h'));
    client.baseUrl = server.url; // a restart listens on a new port
    const replay = await keyed(client, 'POST', '/api/tasks', { title: 'Daily' }, key);
    assert.equal(replay.res.headers.get('idempotent-replayed'), 'true');
    assert.equal(replay.text, first.text);
    await server.restart(clockAhead('+25h'));
    client.baseUrl = server.url;
    const fresh = await keyed(client, 'POST', '/api/tasks', { title: 'Daily' }, key);
    assert.equal(fresh.res.status, 201, fresh.text);
    assert.equal(fresh.res.headers.get('idempotent-replayed'), null);
    assert.equal(await total(client), 2);
  });
});
