// lsf-server backup and restore (issue 13): a backup taken under write load
// restores into a fresh database with every task acknowledged before it
// began; logins work; every session issued before the restore ends (so a
// logout made after the backup stays a logout), and with REDIS_URL no
// instance serves a cached answer from before; a truncated or altered file,
// or a non-empty target without --force, is refused with a clear message.
// Runs on SQLite, and on PostgreSQL + Redis under `make api-scaled`.
import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { runCli } from '../support/cli.mjs';
import { Client, jsonBody, registeredClient } from '../support/client.mjs';
import { expectError } from '../support/errors.mjs';
import { compose, gateway, startServer, testDatabase } from '../support/server.mjs';
import { createTask } from '../support/tasks.mjs';

const skip = (gateway || compose) && 'runs the command line against one server\'s database';

describe('backup and restore', { skip }, () => {
  let server;
  const extraDbs = [];
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    for (const db of extraDbs) await db.drop();
    assert.equal(await server.close(), 0, `lsf-server did not exit 0 on SIGTERM:\n${server.stderr()}`);
  });

  async function freshDatabase(name) {
    const db = await testDatabase(path.join(server.dir, `${name}.db`));
    extraDbs.push(db);
    return db;
  }

  test('--help of backup and restore', async () => {
    const b = await runCli(server, ['backup', '--help']);
    assert.equal(b.code, 0);
    assert.match(b.stdout, /usage: lsf-server backup --out FILE/);
    const r = await runCli(server, ['restore', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /--force/);
    assert.equal((await runCli(server, ['backup'])).code, 2, 'backup without --out is a usage error');
  });

  test('under write load: every task acknowledged before the backup began is restored, logins work, '
    + 'and sessions from before the restore are over', async () => {
    const writers = [];
    for (let i = 0; i < 3; i++) writers.push(await registeredClient(server.url, `bk${i}`));
    const acked = []; // [{id, owner, at}]
    let stop = false;
    const load = writers.map(async ({ client }, w) => {
      for (let n = 0; !stop; n++) {
        const task = await createTask(client, { title: `load ${w}.${n}`, tags: ['load'] });
        acked.push({ id: task._id, owner: w, at: Date.now() });
      }
    });
    while (acked.length < 30) await new Promise((r) => setTimeout(r, 20));

    const file = path.join(server.dir, 'load.lsfbak');
    const began = Date.now();
    const before = acked.filter((t) => t.at < began).map((t) => ({ ...t }));
    const backup = await runCli(server, ['backup', '--out', file, '--gzip']);
    const afterBackup = acked.length;
    while (acked.length < afterBackup + 10) await new Promise((r) => setTimeout(r, 20)); // writes went on
    stop = true;
    await Promise.all(load);
    assert.equal(backup.code, 0, backup.stderr);
    assert.match(backup.stdout, /^backup .*load\.lsfbak: \w+, schema \d+, gzip payload/m);
    assert.equal((await stat(file)).mode & 0o777, 0o600, 'a backup file is private');

    // a logout after the backup: the restored database does not know of it
    const { client: leaver, identity: leaverId } = writers[0];
    const oldToken = leaver.token;
    assert.equal((await leaver.post('/api/auth/logout')).status, 200);

    const db = await freshDatabase('restored');
    assert.equal(await server.stop(), 0);
    const restore = await runCli(server, ['restore', file], { env: { DATABASE_URL: db.url } });
    assert.equal(restore.code, 0, restore.stderr);
    assert.match(restore.stdout, /sessions ended for 3 users/);
    await server.restart({ DATABASE_URL: db.url });

    for (const { identity } of writers) {
      const c = new Client(server.url);
      assert.equal((await c.login(identity)).status, 200, `login of ${identity.email} after the restore`);
      const mine = before.filter((t) => t.owner === writers.findIndex((x) => x.identity === identity));
      for (const t of mine) {
        const res = await c.get(`/api/tasks/${t.id}`);
        assert.equal(res.status, 200, `task ${t.id} acknowledged before the backup began is restored`);
      }
    }
    // the token logged out after the backup, and every other token from before, is refused
    await expectError(await fetch(`${server.url}/api/user/data`, { headers: { authorization: `Bearer ${oldToken}` } }),
      401, 'Not Authorized. Login Again');
    const stillValid = writers[1].client.token;
    await expectError(await fetch(`${server.url}/api/user/data`, { headers: { authorization: `Bearer ${stillValid}` } }),
      401, 'Not Authorized. Login Again');
    assert.ok(leaverId.email);
  });

  test('the restore bumps the cache generations: no cached answer from before it is served', async () => {
    const { client, identity } = await registeredClient(server.url, 'bkcache');
    await createTask(client, { title: 'kept' });
    const file = path.join(server.dir, 'cache.lsfbak');
    assert.equal((await runCli(server, ['backup', '--out', file])).code, 0);
    await createTask(client, { title: 'after the backup' });
    const stats = await jsonBody(await client.get('/api/tasks/stats')); // cached (with REDIS_URL) at 2
    assert.equal(stats.stats.total, 2);

    const db = await freshDatabase('cache');
    assert.equal(await server.stop(), 0);
    const restore = await runCli(server, ['restore', file], { env: { DATABASE_URL: db.url } });
    assert.equal(restore.code, 0, restore.stderr);
    await server.restart({ DATABASE_URL: db.url });
    const again = new Client(server.url);
    assert.equal((await again.login(identity)).status, 200);
    assert.equal((await jsonBody(await again.get('/api/tasks/stats'))).stats.total, 1);
  });

  test('a truncated, altered or foreign file is refused with a clear message, and nothing is restored', async () => {
    const { client } = await registeredClient(server.url, 'bktrash');
    const trashed = await createTask(client, { title: 'in the trash at backup time' });
    assert.equal((await client.request('DELETE', `/api/tasks/${trashed._id}`)).status, 200);
    const file = path.join(server.dir, 'whole.lsfbak');
    const made = await runCli(server, ['backup', '--out', file]);
    assert.equal(made.code, 0, made.stderr);
    assert.match(made.stdout, /^ {2}task_trash +[1-9]\d*$/m, 'the trash is counted in the manifest');
    const bytes = await readFile(file);
    const db = await freshDatabase('refused');
    const env = { DATABASE_URL: db.url };

    const truncated = path.join(server.dir, 'truncated.lsfbak');
    await writeFile(truncated, bytes.subarray(0, bytes.length - 100));
    let r = await runCli(server, ['restore', truncated], { env });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /refused: the payload is \d+ bytes, the manifest says \d+ \(the file is truncated or was changed\)/);

    const altered = path.join(server.dir, 'altered.lsfbak');
    const copy = Buffer.from(bytes);
    copy[copy.length - 5000] ^= 0x01;
    await writeFile(altered, copy);
    r = await runCli(server, ['restore', altered], { env });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /refused: the payload's SHA-256 is not the manifest's/);

    const noManifest = path.join(server.dir, 'notabackup.lsfbak');
    await writeFile(noManifest, 'SQLite format 3\0 and so on');
    r = await runCli(server, ['restore', noManifest], { env });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /not an lsf-server backup/);

    const edited = path.join(server.dir, 'edited.lsfbak');
    await writeFile(edited, bytes.toString('latin1').replace(/"users":(\d+)/, (_, n) => `"users":${Number(n) + 1}`), 'latin1');
    r = await runCli(server, ['restore', edited], { env });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /restored users has \d+ rows, the manifest says \d+/);

    const trashEdited = path.join(server.dir, 'trash-edited.lsfbak');
    await writeFile(trashEdited, bytes.toString('latin1').replace(/"task_trash":(\d+)/, (_, n) => `"task_trash":${Number(n) + 1}`), 'latin1');
    r = await runCli(server, ['restore', trashEdited], { env: { DATABASE_URL: (await freshDatabase('trash-edited')).url } });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /restored task_trash has \d+ rows, the manifest says \d+/);

    // a backup made before the trash was counted: its manifest has no
    // task_trash, which is restored without that check
    const older = path.join(server.dir, 'older.lsfbak');
    const text = bytes.toString('latin1');
    assert.match(text, /,"task_trash":\d+/);
    await writeFile(older, text.replace(/,"task_trash":\d+/, ''), 'latin1');
    r = await runCli(server, ['restore', older], { env: { DATABASE_URL: (await freshDatabase('older')).url } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ {2}task_trash +not counted \(an older backup\)$/m);

    r = await runCli(server, ['restore', '--check', file], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^checked .*whole\.lsfbak/m);
  });

  test('a database that does not exist or was never migrated (a wrong DATABASE_URL) is not backed up', async () => {
    const missing = path.join(server.dir, 'nowhere', 'lsf.db');
    const file = path.join(server.dir, 'nothing.lsfbak');
    let r = await runCli(server, ['backup', '--out', file], { env: { DATABASE_URL: `sqlite:${missing}` } });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^lsf-server backup: the database has no schema \(never migrated, or DATABASE_URL names the wrong one\); nothing backed up$/m);
    await assert.rejects(stat(file), { code: 'ENOENT' });
    const db = await freshDatabase('unmigrated');
    r = await runCli(server, ['backup', '--out', file], { env: { DATABASE_URL: db.url } });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /the database has no schema/);
    await assert.rejects(stat(file), { code: 'ENOENT' });
  });

  test('a database that holds users is not overwritten without --force, and is with it', async () => {
    const file = path.join(server.dir, 'force.lsfbak');
    assert.equal((await runCli(server, ['backup', '--out', file])).code, 0);
    let r = await runCli(server, ['restore', file]); // onto the server's own, non-empty database
    assert.equal(r.code, 1);
    assert.match(r.stderr, /holds users or tasks; refusing to overwrite it without --force/);
    assert.equal((await runCli(server, ['backup', '--out', file])).code, 1, 'a backup never overwrites a file');
    await server.stop();
    r = await runCli(server, ['restore', '--force', file]);
    assert.equal(r.code, 0, r.stderr);
    await server.restart();
  });
});
