// lsf-server import (issue 13): the MERN app's users and tasks from
// mongoexport (Extended JSON v2, relaxed and canonical, lines or
// --jsonArray) and mongodump (.bson) files, made by tests/import/fixtures.mjs.
// Every fixture document's outcome is written out below by _id; imported
// users log in with their old password; ObjectIds keep working as task ids;
// a re-run changes nothing; the bulk path keeps search, tags and counts
// right; a user with newer tasks here gets the older ones refused.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { bigFixtures, IDS, PASSWORDS, TASK_IDS, writeFixtures } from '../import/fixtures.mjs';
import { cliEnv, runCli } from '../support/cli.mjs';
import { Client, jsonBody } from '../support/client.mjs';
import { expectError } from '../support/errors.mjs';
import { binPath, compose, gateway, startServer, testDatabase } from '../support/server.mjs';
import { createTask } from '../support/tasks.mjs';

// _id -> reason of every refused fixture document
const REFUSED = {
  [IDS.badEmail]: 'bad email',
  [IDS.plainPassword]: 'password is not a bcrypt hash ($2a$, $2b$ or $2y$)',
  [IDS.longName]: 'oversized field: name is 101 characters, at most 100',
  [IDS.alice]: 'duplicate _id: the first document with this _id is kept',
  [IDS.aliceUpper]: 'emails that differ only in case: alice@example.com is the address of the older user '
    + '65a1b2c3aaaaaaaaaa000001, which keeps it',
  [TASK_IDS.orphan]: 'orphan task: its userId is neither in the users file nor an account here',
  [TASK_IDS.refusedOwner]: 'orphan task: its user was refused (see that user\'s line)',
  [TASK_IDS.badStatus]: 'bad enum value: status "done" is not one of pending, in-progress, completed',
  [TASK_IDS.longTitle]: 'oversized field: title is 201 characters, at most 200',
  [TASK_IDS.manyTags]: 'oversized field: more than 20 tags',
  [TASK_IDS.noTitle]: 'title is missing',
  [TASK_IDS.badPriority]: 'bad enum value: priority is not a string',
};

async function rejects(file) {
  const lines = (await readFile(file, 'utf8')).trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
  return Object.fromEntries(lines.map((l) => [l._id, l.reason]));
}

describe('import from the MERN app', { skip: (gateway || compose) && 'runs the command line against one server\'s database' }, () => {
  let server;
  let dir;
  let files;
  const dbs = [];
  before(async () => {
    server = await startServer();
    dir = await mkdtemp(path.join(tmpdir(), 'lsf-import-'));
    files = await writeFixtures(dir);
  });
  after(async () => {
    for (const db of dbs) await db.drop();
    assert.equal(await server.close(), 0, `lsf-server did not exit 0 on SIGTERM:\n${server.stderr()}`);
  });
  async function fresh(name) {
    const db = await testDatabase(path.join(server.dir, `${name}.db`));
    dbs.push(db);
    return db;
  }
  const importArgs = (form, rejectsFile, extra = []) => ['import', '--users', files[form].users, '--tasks', files[form].tasks,
    '--rejects', rejectsFile, '--no-progress', ...extra];

  test('--help', async () => {
    const r = await runCli(server, ['import', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /--users FILE/);
    assert.equal((await runCli(server, ['import'])).code, 2);
  });

  test('relaxed Extended JSON: every fixture imported or refused with its reason; logins with the old '
    + 'password; ObjectIds as task ids; times and fields as the rules say', async () => {
    const rej = path.join(dir, 'rejects-relaxed.jsonl');
    const r = await runCli(server, importArgs('relaxed', rej));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^import: users: 8 read, 3 imported, 0 already here, 5 refused; pending codes dropped for 1$/m);
    assert.match(r.stdout, /^import: tasks: 13 read, 6 imported, 0 already here, 7 refused$/m);
    assert.deepEqual(await rejects(rej), REFUSED);
    assert.equal((await stat(rej)).mode & 0o777, 0o600, 'the rejects file may hold password hashes');

    for (const [who, email] of [['alice', 'alice@example.com'], ['bob', 'bob.smith@example.com'], ['carol', 'carol@example.org']]) {
      const c = new Client(server.url);
      assert.equal((await c.login({ email, password: PASSWORDS[who].password })).status, 200, `${who} logs in`);
      assert.equal((await c.login({ email, password: PASSWORDS[who].password })).status, 200, `${who} again, argon2id now`);
    }
    const alice = new Client(server.url);
    assert.equal((await alice.login({ email: 'alice@example.com', password: PASSWORDS.alice.password })).status, 200);
    const profile = await jsonBody(await alice.get('/api/user/data'));
    assert.deepEqual(profile.userData, { name: 'Alice Archer', email: 'alice@example.com', isAccountVerified: true });

    const list = await jsonBody(await alice.get('/api/tasks?limit=10'));
    assert.deepEqual(list.tasks.map((t) => [t.title, t.createdAt]), [
      ['Same second', '2024-01-12T21:44:50.900Z'],
      ['Done', '2024-01-12T21:44:50.900Z'],
      ['Second', '2024-01-12T21:44:49.000Z'],
      ['First task', '2024-01-12T21:44:48.123Z'],
    ]);
    const first = await jsonBody(await alice.get(`/api/tasks/${TASK_IDS.a1}`));
    assert.equal(first.task._id, '018cffa2-7c80-7000-8000-000002800400', 'the UUIDv7 of ObjectId 65a1b2d0000000000000a001');
    assert.equal(first.task.userId, '018cffa2-49b8-7aaa-aaaa-aaa800000400');
    assert.deepEqual(first.task.tags, ['work', 'home']);
    assert.equal(first.task.description, 'Read the "report" \\ now');
    assert.equal(first.task.dueDate, null);
    assert.equal(first.task.status, 'pending');
    assert.equal(first.task.priority, 'low');
    assert.equal(first.task.updatedAt, '2024-01-12T21:44:48.456Z');
    const done = (await jsonBody(await alice.get(`/api/tasks/${TASK_IDS.a3}`))).task;
    assert.equal(done.completedAt, '2024-01-20T10:00:00.000Z', 'completed without completedAt: its updatedAt');
    const second = (await jsonBody(await alice.get(`/api/tasks/${TASK_IDS.a2}`))).task;
    assert.equal(second.dueDate, '2024-03-01T12:00:00.000Z');
    await expectError(await alice.get(`/api/tasks/${TASK_IDS.b1}`), 404, 'Task not found'); // Bob's
    // old links: PATCH by ObjectId too
    const patched = await alice.request('PATCH', `/api/tasks/${TASK_IDS.a1.toUpperCase()}`, { json: { status: 'completed' } });
    assert.equal(patched.status, 200);
    // search and tags work on imported tasks (the bulk path filled them)
    const found = await jsonBody(await alice.get('/api/tasks?search=repor'));
    assert.deepEqual(found.tasks.map((t) => t.title), ['First task']);
    const tagged = await jsonBody(await alice.get('/api/tasks?tag=urgent'));
    assert.deepEqual(tagged.tasks.map((t) => t.title), ['Second']);
    const stats = (await jsonBody(await alice.get('/api/tasks/stats'))).stats;
    assert.equal(stats.total, 4);

    const bob = new Client(server.url);
    assert.equal((await bob.login({ email: 'bob.smith@example.com', password: PASSWORDS.bob.password })).status, 200);
    const b1 = (await jsonBody(await bob.get(`/api/tasks/${TASK_IDS.b1}`))).task;
    assert.equal(b1.title, 'Café ☕ 日本語 🚀');
    assert.deepEqual(b1.tags, ['ünï', '日本']);
    assert.equal((await jsonBody(await bob.get('/api/user/data'))).userData.name, 'Bøb Ünïcode 日本');

    // a re-run inserts nothing
    const again = await runCli(server, importArgs('relaxed', path.join(dir, 'rejects-again.jsonl')));
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^import: users: 8 read, 0 imported, 3 already here, 5 refused/m);
    assert.match(again.stdout, /^import: tasks: 13 read, 0 imported, 6 already here, 7 refused$/m);
  });

  test('a re-run leaves the imported tasks a user deleted in the trash, the newest included', async () => {
    const alice = new Client(server.url);
    assert.equal((await alice.login({ email: 'alice@example.com', password: PASSWORDS.alice.password })).status, 200);
    for (const id of [TASK_IDS.a4, TASK_IDS.a1]) assert.equal((await alice.request('DELETE', `/api/tasks/${id}`)).status, 200, id);
    const again = await runCli(server, importArgs('relaxed', path.join(dir, 'rejects-trash.jsonl')));
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^import: tasks: 13 read, 0 imported, 6 already here, 7 refused$/m);
    for (const id of [TASK_IDS.a4, TASK_IDS.a1]) await expectError(await alice.get(`/api/tasks/${id}`), 404, 'Task not found');
    assert.equal((await jsonBody(await alice.get('/api/tasks/stats'))).stats.total, 2);
    const trash = await jsonBody(await alice.get('/api/tasks/trash'));
    assert.deepEqual(trash.tasks.map((t) => t.title), ['First task', 'Same second']);
  });

  test('canonical Extended JSON, --jsonArray (given or detected) and mongodump .bson read the same', async () => {
    for (const [form, extra] of [['canonical', []], ['array', []], ['array', ['--jsonArray']], ['bson', []]]) {
      const db = await fresh(`dry-${form}-${extra.length}`);
      const rej = path.join(dir, `rejects-${form}-${extra.length}.jsonl`);
      const r = await runCli(server, importArgs(form, rej, ['--dry-run', ...extra]), { env: { DATABASE_URL: db.url } });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^import: users: 8 read, 3 would import, 0 already here, 5 refused/m, form);
      assert.match(r.stdout, /^import: tasks: 13 read, 6 would import, 0 already here, 7 refused$/m, form);
      assert.match(r.stdout, /dry run: nothing was written/);
      const got = await rejects(rej);
      assert.deepEqual(got, REFUSED, form);
    }
    // the .bson files for real, into another database: the same account
    const db = await fresh('bson');
    const r = await runCli(server, importArgs('bson', path.join(dir, 'rejects-bson.jsonl')), { env: { DATABASE_URL: db.url } });
    assert.equal(r.code, 0, r.stderr);
    const fromBson = JSON.parse((await runCli(server, ['user', 'export', 'bob.smith@example.com'], { env: { DATABASE_URL: db.url } })).stdout);
    const fromJson = JSON.parse((await runCli(server, ['user', 'export', 'bob.smith@example.com'])).stdout);
    assert.deepEqual(fromBson.tasks, fromJson.tasks);
    assert.deepEqual(fromBson.user, fromJson.user);
  });

  test('a user with newer tasks here: older imported tasks are refused with the reason', async () => {
    const carol = new Client(server.url);
    assert.equal((await carol.login({ email: 'carol@example.org', password: PASSWORDS.carol.password })).status, 200);
    await createTask(carol, { title: 'made here, now' });
    const late = path.join(dir, 'late-tasks.json');
    await writeFile(late, `{"_id":{"$oid":"65a1b2e0000000000000c002"},"userId":{"$oid":"${IDS.carol}"},"title":"older"}\n`);
    const rej = path.join(dir, 'rejects-late.jsonl');
    const r = await runCli(server, ['import', '--tasks', late, '--rejects', rej, '--no-progress']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^import: tasks: 1 read, 0 imported, 0 already here, 1 refused$/m);
    assert.deepEqual(await rejects(rej), {
      '65a1b2e0000000000000c002': 'its user has tasks here newer than this one (created in LSF Tasks after the export); '
        + 'import never inserts a task before a user\'s latest',
    });
  });

  test('on a terminal a progress line (documents, rate, ETA), then the summary; none into a pipe', async () => {
    const big = bigFixtures(3000, 3);
    const users = path.join(dir, 'tty-users.json');
    const tasks = path.join(dir, 'tty-tasks.json');
    await writeFile(users, big.users);
    await writeFile(tasks, big.tasks);
    const db = await fresh('tty');
    const args = ['import', '--users', users, '--tasks', tasks, '--rejects', path.join(dir, 'rejects-tty.jsonl')];
    // script(1) of util-linux gives the command a pseudo-terminal
    const quoted = [binPath(), ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
    const tty = spawnSync('script', ['-qec', quoted, '/dev/null'], { env: cliEnv(server, { DATABASE_URL: db.url }), encoding: 'utf8', timeout: 120000 });
    assert.equal(tty.status, 0, tty.stdout + tty.stderr);
    assert.match(tty.stdout, /\r\x1b\[Kimport: users 3\/3 \(100%\) \d+\/s ETA 0 s/);
    assert.match(tty.stdout, /\r\x1b\[Kimport: tasks 3000\/3000 \(100%\) [1-9]\d*\/s ETA 0 s/);
    assert.match(tty.stdout, /^import: tasks: 3000 read, 3000 imported, 0 already here, 0 refused\r?$/m);
    // into a pipe (no --no-progress): the summary only
    const piped = await runCli(server, args, { env: { DATABASE_URL: (await fresh('pipe')).url } });
    assert.equal(piped.code, 0, piped.stderr);
    assert.doesNotMatch(piped.stderr + piped.stdout, /\x1b\[K|ETA/);
    assert.match(piped.stdout, /^import: tasks: 3000 read, 3000 imported, 0 already here, 0 refused$/m);
  });

  test('several batches through the bulk path: counts, tags and search of every task', async () => {
    const big = bigFixtures(3000, 3);
    const users = path.join(dir, 'big-users.json');
    const tasks = path.join(dir, 'big-tasks.json');
    await writeFile(users, big.users);
    await writeFile(tasks, big.tasks);
    const r = await runCli(server, ['import', '--users', users, '--tasks', tasks, '--batch', '700', '--rejects',
      path.join(dir, 'rejects-big.jsonl'), '--no-progress']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^import: tasks: 3000 read, 3000 imported, 0 already here, 0 refused$/m);
    const c = new Client(server.url);
    assert.equal((await c.login({ email: 'bulk1@example.com', password: PASSWORDS.alice.password })).status, 200);
    const stats = (await jsonBody(await c.get('/api/tasks/stats'))).stats;
    // user 1 has tasks i = 1, 4, 7, ...: 1000 of them, statuses i % 3 = 1 (in-progress) for all
    assert.equal(stats.total, 1000);
    assert.deepEqual(stats.byStatus, { pending: 0, 'in-progress': 1000, completed: 0 });
    const naive = await jsonBody(await c.get('/api/tasks?search=naive&limit=100'));
    // "naïve" is the title word of i % 10 = 9 and a description word of i % 10 = 3 and 7: 300 of user 1's
    assert.equal(naive.pagination.totalTasks, 300);
    const t3 = await jsonBody(await c.get('/api/tasks?tag=t3&limit=1'));
    assert.equal(t3.pagination.totalTasks, 143, 'tag t(i % 7) = t3 for i = 1 + 3k with i % 7 = 3');
    const all = await jsonBody(await c.get('/api/tasks?limit=100&sort=createdAt'));
    assert.equal(all.tasks.length, 100);
    for (let i = 1; i < all.tasks.length; i++) assert.ok(all.tasks[i - 1]._id < all.tasks[i]._id, 'createdAt order is id order');
  });
});
