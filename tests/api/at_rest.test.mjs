// One-time codes and personal data at rest (issue 10, defect 4): once an
// email is delivered (SMTP or the .eml fallback) or given up, its body (the
// one place the OTP exists in clear) is blanked in the outbox; delivered and
// given-up rows, and .eml files, are deleted after OUTBOX_RETENTION_MS; the
// SQLite database with its -wal and -shm, the generated JWT secret and the
// .eml files are 0600 in 0700 directories; looser file modes left by an older
// version are tightened at start, with one log line each, and a directory
// others can enter is named in a warning (it may be shared: not changed).
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';

import { jsonBody, registeredClient } from '../support/client.mjs';
import { sql } from '../support/db.mjs';
import { postgres, startServer } from '../support/server.mjs';

const mode = async (p) => (await stat(p)).mode & 0o777;
const octal = (m) => `0${m.toString(8)}`;

async function eventually(what, check, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(100);
  }
}

const count = (server, where) => Number(sql(server, `SELECT count(*) FROM outbox WHERE ${where}`));

// Register, ask for a verification code and return it with the address.
async function userWithOtp(server, tag) {
  const { client, identity } = await registeredClient(server.url, tag);
  const res = await client.post('/api/auth/send-verify-otp');
  assert.equal((await jsonBody(res)).success, true);
  const { otp } = await server.sink.waitForOtp(identity.email, { match: (m) => /verification/i.test(m.subject) });
  return { client, identity, otp };
}

describe('at rest: the outbox forgets what it delivered', () => {
  let server;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    assert.equal(await server.close(), 0, `lsf-server did not exit 0 on SIGTERM:\n${server.stderr()}`);
  });

  test('a delivered email keeps no body, and the code is nowhere in the outbox', async () => {
    const { identity, otp } = await userWithOtp(server, 'rest-smtp');
    const mine = `recipient = '${identity.email}'`;
    await eventually('both emails marked sent', () => count(server, `${mine} AND sent_at IS NOT NULL`) === 2);
    assert.equal(count(server, `${mine} AND length(body) > 0`), 0);
    assert.equal(count(server, `(subject || body || coalesce(last_error, '')) LIKE '%${otp}%'`), 0);
    if (postgres) return; // old row versions stay in PostgreSQL's heap until vacuumed
    // nor in the file's free space: a clean stop checkpoints the WAL into the file and removes it
    await server.stop();
    const file = await readFile(server.db.url.slice('sqlite:'.length));
    assert.equal(file.includes(Buffer.from(otp)), false, 'the code is still in the database file');
    assert.equal(file.includes(Buffer.from('Verify your account')), false);
    await server.start();
  });

  test('a mail given up is blanked too', async () => {
    // a From: the renderer refuses makes every delivery fail for good at once
    await server.restart({ MAIL_FROM: 'not an address' });
    try {
      const { identity } = await registeredClient(server.url, 'rest-giveup');
      const mine = `recipient = '${identity.email}'`;
      await eventually('the welcome mail given up', () => count(server, `${mine} AND CAST(gave_up AS INTEGER) = 1`) === 1);
      assert.equal(count(server, `${mine} AND length(body) > 0`), 0);
    } finally {
      await server.restart({ MAIL_FROM: undefined });
    }
  });
});

describe('at rest: retention', () => {
  let server;
  before(async () => {
    server = await startServer({ OUTBOX_RETENTION_MS: '1000', SMTP_URL: undefined });
  });
  after(async () => {
    assert.equal(await server.close(), 0, `lsf-server did not exit 0 on SIGTERM:\n${server.stderr()}`);
  });

  test('delivered rows and .eml files are deleted after OUTBOX_RETENTION_MS', async () => {
    const { identity } = await registeredClient(server.url, 'rest-retention');
    const mine = `recipient = '${identity.email}'`;
    const mailDir = path.join(server.dir, 'mail');
    const emls = async () => (await readdir(mailDir).catch(() => [])).filter((n) => n.endsWith('.eml'));
    await eventually('the welcome mail written', async () => (await emls()).length === 1);
    await eventually('the delivered row deleted', () => count(server, mine) === 0);
    await eventually('the .eml file deleted', async () => (await emls()).length === 0);
  });
});

describe('at rest: file modes', { skip: postgres && 'SQLite files only' }, () => {
  let dir;
  let server;
  const paths = {};
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'lsf-rest-'));
    paths.db = path.join(dir, 'private', 'lsf.db');
    paths.data = path.join(dir, 'data');
    paths.secret = path.join(paths.data, 'jwt-secret');
    paths.mail = path.join(paths.data, 'mail');
    server = await startServer({
      DATABASE_URL: `sqlite:${paths.db}`, DATA_DIR: paths.data, JWT_SECRET: undefined, SMTP_URL: undefined,
    });
  });
  after(async () => {
    assert.equal(await server.close(), 0, `lsf-server did not exit 0 on SIGTERM:\n${server.stderr()}`);
    await rm(dir, { recursive: true, force: true });
  });

  async function assertPrivate() {
    const want = {
      [path.dirname(paths.db)]: 0o700, [paths.db]: 0o600, [`${paths.db}-wal`]: 0o600, [`${paths.db}-shm`]: 0o600,
      [paths.data]: 0o700, [paths.secret]: 0o600, [paths.mail]: 0o700,
    };
    for (const name of await readdir(paths.mail)) want[path.join(paths.mail, name)] = 0o600;
    const got = {};
    for (const p of Object.keys(want)) got[p] = octal(await mode(p));
    assert.deepEqual(got, Object.fromEntries(Object.entries(want).map(([p, m]) => [p, octal(m)])));
  }

  test('the database, its -wal and -shm, the secret and the mail are private to the server', async () => {
    await registeredClient(server.url, 'rest-modes'); // a write (so -wal and -shm exist) and a welcome .eml
    await eventually('the welcome .eml written', async () =>
      (await readdir(paths.mail).catch(() => [])).some((n) => n.endsWith('.eml')));
    await assertPrivate();
  });

  test('looser file modes left from before are tightened at start, with one log line each', async () => {
    await server.stop();
    const old = path.join(paths.mail, `${Date.now()}-999999.eml`); // recent: not due for deletion
    await writeFile(old, 'Subject: old\r\n\r\nYour OTP is 123456.\r\n', { mode: 0o644 });
    const files = [paths.db, `${paths.db}-wal`, `${paths.db}-shm`, paths.secret, old];
    for (const p of files) {
      await writeFile(p, '', { flag: 'a' }); // -wal and -shm are gone after a clean stop
      await chmod(p, 0o644);
    }
    const dirs = [path.dirname(paths.db), paths.data, paths.mail];
    for (const p of dirs) await chmod(p, 0o755);
    const from = server.stderr().length;
    await server.start();
    const lines = server.stderr().slice(from).split('\n');
    const tightened = lines.filter((l) => /tightened/.test(l));
    for (const p of files) assert.equal(tightened.filter((l) => l.includes(`"${p}"`)).length, 1, `one line for ${p}:\n${tightened.join('\n')}`);
    assert.equal(tightened.length, files.length);
    // directories may be shared on purpose (/tmp, a home): named in a warning, not changed
    const open = lines.filter((l) => /open to other users/.test(l));
    for (const p of dirs) assert.equal(open.filter((l) => l.includes(`"${p}"`)).length, 1, `one warning for ${p}:\n${open.join('\n')}`);
    for (const p of dirs) assert.equal(octal(await mode(p)), '0755');
    for (const p of dirs) await chmod(p, 0o700);
    await assertPrivate();

    // the next start finds nothing to tighten or warn about, and says nothing
    await server.stop();
    const again = server.stderr().length;
    await server.start();
    assert.deepEqual(server.stderr().slice(again).split('\n').filter((l) => /tightened|open to other users/.test(l)), []);
    await assertPrivate();
  });
});
