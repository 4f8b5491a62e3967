// Rollback safety (docs/DEPLOY.md, "Rollback"): a database the current
// release (LSF_BIN) migrated must keep serving the previous release
// (LSF_PREV_BIN: lsf-server as it was before the newest migration,
// scripts/previous-release.sh), since `kubectl rollout undo` and
// compose-rollout.sh swap the image back without touching the schema. On
// SQLite, or on PostgreSQL + Redis under tests/support/with-pg-redis.sh:
// the current release migrates and serves; the previous one starts on that
// database, reads what the current one wrote and serves the accounts and
// tasks basics, mail included; the current one, started again, reads what
// the previous one wrote (rolled forward); and both at once on one database,
// as during a rolling update, share sessions, tasks and logouts.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';

import { Client, jsonBody } from '../support/client.mjs';
import { sql } from '../support/db.mjs';
import { postgres, startServer } from '../support/server.mjs';
import { createTask, listTasks } from '../support/tasks.mjs';
import { settle } from '../support/wait.mjs';
import { accountAndTasks, loginAndList } from './basics.mjs';
import { ROOT } from './k8s.mjs';

const PREV = process.env.LSF_PREV_BIN;
const CURRENT = process.env.LSF_BIN;
const backend = postgres ? 'PostgreSQL + Redis' : 'SQLite';

// The schema versions recorded in the server's database.
async function versions(server) {
  const url = server.db.url;
  const sql = 'SELECT version FROM schema_migrations ORDER BY version';
  const { stdout } = url.startsWith('sqlite:')
    ? await promisify(execFile)('sqlite3', [url.slice('sqlite:'.length), sql])
    : await promisify(execFile)('psql', ['-X', '-At', '-d', url, '-c', sql]);
  return stdout.trim().split('\n').map(Number);
}

async function migrationVersions() {
  const dir = path.join(ROOT, 'src/store/migrations', postgres ? 'postgres' : 'sqlite');
  return (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort().map((f) => Number(f.slice(0, 4)));
}

// The newest migration a binary knows: the version it records in a new
// SQLite database it migrates itself.
async function newestMigration(bin) {
  const dir = await mkdtemp(path.join(tmpdir(), 'lsf-prev-schema-'));
  try {
    const db = path.join(dir, 'lsf.db');
    await promisify(execFile)(bin, ['migrate'], { env: { PATH: process.env.PATH, LSF_ENV: 'test', DATA_DIR: dir, DATABASE_URL: `sqlite:${db}`, ENV_FILE: path.join(dir, 'no.env') } });
    const { stdout } = await promisify(execFile)('sqlite3', [db, 'SELECT max(version) FROM schema_migrations']);
    return Number(stdout.trim());
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function binaryVersion(bin) {
  return (await promisify(execFile)(bin, ['version'])).stdout.trim();
}

// Send a verification code and verify the account with it: the OTP and
// outbox tables in use, and the mail really sent.
async function verifyAccount(server, { client, identity }) {
  const sent = await client.post('/api/auth/send-verify-otp', {});
  assert.equal(sent.status, 200, await sent.text());
  const { otp } = await server.sink.waitForOtp(identity.email);
  const res = await client.post('/api/auth/verify-account', { otp });
  assert.equal(res.status, 200, JSON.stringify(await jsonBody(res)));
  const data = await jsonBody(await client.get('/api/user/data'));
  assert.equal(data.userData.isAccountVerified, true);
}

// skipped by hand without LSF_PREV_BIN; under CI=true that fails instead
describe(`rollback on ${backend}: the previous release serves on the schema the current one migrated`,
  { skip: !PREV && !process.env.CI && 'LSF_PREV_BIN is not set (make k8s-test sets it)' }, () => {
  let server, current, previous;

  before(async () => {
    assert.ok(CURRENT && PREV, 'LSF_BIN and LSF_PREV_BIN');
    assert.notEqual(await binaryVersion(PREV), await binaryVersion(CURRENT), 'two different builds');
    server = await startServer();
  });

  after(async () => {
    await server?.close();
  });

  test('the current release migrates to every migration of this tree and serves', async () => {
    assert.deepEqual(await versions(server), await migrationVersions());
    current = await accountAndTasks(server.url, 'current');
    // a create with an Idempotency-Key: the newest migration's table in use
    const res = await current.client.request('POST', '/api/tasks', { json: { title: 'current keyed' }, headers: { 'idempotency-key': 'rollback-test-1' } });
    assert.equal(res.status, 201);
    const again = await current.client.request('POST', '/api/tasks', { json: { title: 'current keyed' }, headers: { 'idempotency-key': 'rollback-test-1' } });
    assert.equal(again.status, 201);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    await verifyAccount(server, current);
  });

  test('the previous release starts on that database, reads what the current one wrote, and serves the basics', async () => {
    assert.equal(await server.stop(), 0);
    server.bin = PREV;
    await server.start();
    const health = await jsonBody(await fetch(`${server.url}/health`));
    assert.equal(health.status, 'healthy');
    // its own migrations are all there; it neither fails on nor undoes the newer one
    assert.deepEqual(await versions(server), await migrationVersions());
    const client = await loginAndList(server.url, current.identity, ['current keyed', 'current task 2', 'current task 1']);
    const data = await jsonBody(await client.get('/api/user/data'));
    assert.equal(data.userData.isAccountVerified, true);
    previous = await accountAndTasks(server.url, 'previous');
    await verifyAccount(server, previous);
    const out = await client.post('/api/auth/logout', {});
    assert.equal(out.status, 200);
  });

  test('rolled forward, the current release reads what the previous one wrote', async () => {
    // a previous release from before migration 0005 keeps the body (the code
    // in clear) of mail it sent; from 0005 on, it blanks it itself
    const kept = "SELECT count(*) FROM outbox WHERE body <> '' AND (sent_at IS NOT NULL OR gave_up)";
    if (await newestMigration(PREV) < 5) assert.ok(Number(sql(server, kept)) > 0, 'mail the previous release sent keeps its body');
    else assert.equal(await settle(() => Number(sql(server, kept)), (n) => n === 0, { timeoutMs: 15000 }), 0, 'the previous release blanks sent mail');
    assert.equal(await server.stop(), 0);
    server.bin = CURRENT;
    await server.start();
    // the current one's mail sender blanks it at its first pass
    assert.equal(await settle(() => Number(sql(server, kept)), (n) => n === 0, { timeoutMs: 15000 }), 0,
      'bodies of sent mail left after the first pass of the mail sender');
    await loginAndList(server.url, previous.identity, ['previous task 2', 'previous task 1']);
    const client = await loginAndList(server.url, current.identity, ['current keyed', 'current task 2', 'current task 1']);
    const data = await jsonBody(await client.get('/api/user/data'));
    assert.equal(data.userData.isAccountVerified, true);
  });

  test('during a rolling update both serve one database at once: sessions, tasks and logouts hold across them', async () => {
    // server runs the current release again (previous test); a second process runs the previous one
    const old = await startServer({ DATABASE_URL: server.db.url, JWT_SECRET: server.env.JWT_SECRET });
    try {
      assert.equal(await old.stop(), 0);
      old.bin = PREV;
      await old.start();
      const { client, tasks } = await accountAndTasks(old.url, 'mixed');
      // the same session, sent to the current release
      const onNew = new Client(server.url);
      onNew.jar = new Map(client.jar);
      const token = client.token;
      const list = await listTasks(onNew);
      assert.deepEqual(list.tasks.map((t) => t._id), tasks.map((t) => t._id));
      const moved = await createTask(onNew, { title: 'mixed on current' });
      const seen = await jsonBody(await client.get(`/api/tasks/${moved._id}`));
      assert.equal(seen.task.title, 'mixed on current');
      const out = await onNew.post('/api/auth/logout', {});
      assert.equal(out.status, 200);
      // revoked by the current release, refused by the previous one
      const after = await client.get('/api/user/data', { headers: { cookie: `token=${token}` } });
      assert.equal(after.status, 401);
      const isAuth = await jsonBody(await client.get('/api/auth/is-auth', { headers: { cookie: `token=${token}` } }));
      assert.equal(isAuth.success, false);
    } finally {
      await old.close();
    }
  });
});
