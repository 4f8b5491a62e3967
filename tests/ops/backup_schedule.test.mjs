// deploy/k8s/base/backup.sh, the scheduled backups of the Compose service
// `backup` and of the Kubernetes CronJob lsf-backup, run here outside a
// container against a running server: rounds every LSF_BACKUP_INTERVAL_S
// that each leave a checked 0600 backup, only the newest LSF_BACKUP_KEEP of
// them kept (and nothing else in the directory touched), SIGTERM ending a
// wait at once; LSF_BACKUP_ONCE=1 as the CronJob runs it, on SQLite and on
// PostgreSQL, and a failed round that keeps the earlier files. The Compose
// service itself runs in make compose-test, the CronJob's manifest is
// checked in make k8s-test (tests/k8s/manifests.test.mjs).
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { registeredClient } from '../support/client.mjs';
import { requireOrSkip } from '../support/require.mjs';
import { binPath, startServer } from '../support/server.mjs';
import { settle } from '../support/wait.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SCRIPT = path.join(ROOT, 'deploy/k8s/base/backup.sh');
const SUPPORT = path.join(ROOT, 'tests/support');
const NAME = /^lsf-\d{8}T\d{6}Z\.lsfbak$/;
const NO_PG = requireOrSkip('PostgreSQL', existsSync('/usr/lib/postgresql'), 'Debian package postgresql');

// backup.sh with env; {proc, out(), done: Promise<{code, signal}>}
function startScript(env) {
  const proc = spawn('sh', [SCRIPT], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  proc.stdout.on('data', (c) => { text += c; });
  proc.stderr.on('data', (c) => { text += c; });
  const done = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  return { proc, out: () => text, done };
}

describe('deploy/k8s/base/backup.sh', () => {
  let server;
  let work;
  let env;
  before(async () => {
    server = await startServer();
    await registeredClient(server.url, 'scheduled');
    work = await mkdtemp(path.join(tmpdir(), 'lsf-backup-schedule-'));
    const bin = path.join(work, 'bin');
    await mkdir(bin);
    await symlink(binPath(), path.join(bin, 'lsf-server'));
    env = {
      PATH: `${bin}:${process.env.PATH}`,
      LSF_ENV: 'test',
      DATABASE_URL: server.env.DATABASE_URL,
      JWT_SECRET: server.env.JWT_SECRET,
      DATA_DIR: server.dir,
      ENV_FILE: path.join(work, 'no.env'),
    };
  });
  after(async () => {
    assert.equal(await server.close(), 0, server.stderr());
    await rm(work, { recursive: true, force: true });
  });

  test('a checked 0600 backup each round, the newest LSF_BACKUP_KEEP kept, other files untouched, SIGTERM ends it', async () => {
    const dir = path.join(work, 'every');
    await mkdir(dir);
    // not a name of the schedule's: never removed
    await writeFile(path.join(dir, 'before-upgrade.lsfbak'), 'x');
    await writeFile(path.join(dir, 'lsf-20000101T000000Z.lsfbak.tmp-abcdef'), 'x');
    const run = startScript({ ...env, LSF_BACKUP_DIR: dir, LSF_BACKUP_INTERVAL_S: '1', LSF_BACKUP_KEEP: '2' });
    try {
      // rounds 3 and 4 each remove the oldest
      await settle(() => (run.out().match(/^backup.sh: removed /gm) ?? []).length, (n) => n >= 2, { timeoutMs: 60000, intervalMs: 200 });
      assert.equal((run.out().match(/^checked /gm) ?? []).length >= 4, true, run.out());
    } finally {
      run.proc.kill('SIGTERM');
    }
    assert.deepEqual(await run.done, { code: 0, signal: null }, 'SIGTERM during the wait: exit 0');
    const names = (await readdir(dir)).sort();
    const kept = names.filter((n) => NAME.test(n));
    assert.equal(kept.length, 2, names.join(' '));
    assert.deepEqual(names.filter((n) => !NAME.test(n)), ['before-upgrade.lsfbak', 'lsf-20000101T000000Z.lsfbak.tmp-abcdef']);
    const backups = [...run.out().matchAll(/^backup (\S+): sqlite/gm)].map((m) => path.basename(m[1]));
    assert.deepEqual(kept, backups.slice(-2).sort(), 'the newest two');
    for (const n of kept) assert.equal((await stat(path.join(dir, n))).mode & 0o777, 0o600, n);
  });

  test('LSF_BACKUP_ONCE=1 (the CronJob): one round, exit 0; a failed round exits 1 and keeps the earlier files', async () => {
    const dir = path.join(work, 'once');
    await mkdir(dir);
    const once = { ...env, LSF_BACKUP_DIR: dir, LSF_BACKUP_ONCE: '1', LSF_BACKUP_KEEP: '1' };
    const ok = startScript(once);
    assert.deepEqual(await ok.done, { code: 0, signal: null }, ok.out());
    const [first] = await readdir(dir);
    assert.match(first, NAME);
    const bad = startScript({ ...once, DATABASE_URL: `sqlite:${path.join(work, 'missing', 'nope.db')}` });
    assert.equal((await bad.done).code, 1, bad.out());
    assert.match(bad.out(), /backup.sh: backup failed; earlier backups are kept/);
    assert.deepEqual(await readdir(dir), [first]);
  });

  test('settings that are not whole numbers of at least 1 are refused with status 2', async () => {
    for (const [k, v] of [['LSF_BACKUP_KEEP', '0'], ['LSF_BACKUP_INTERVAL_S', '1h'], ['LSF_BACKUP_RETRY_S', '-5']]) {
      const r = startScript({ ...env, LSF_BACKUP_DIR: work, [k]: v });
      const timer = setTimeout(() => r.proc.kill('SIGKILL'), 10000);
      const { code } = await r.done;
      clearTimeout(timer);
      assert.equal(code, 2, `${k}=${v}: ${r.out()}`);
      assert.match(r.out(), /^backup.sh: LSF_BACKUP_KEEP, LSF_BACKUP_INTERVAL_S and LSF_BACKUP_RETRY_S are/m);
    }
  });

  test('LSF_BACKUP_ONCE=1 on PostgreSQL: a pg_dump backup that restores into a new database', { skip: NO_PG, timeout: 120000 }, async () => {
    const [pgdir, url] = execFileSync(path.join(SUPPORT, 'postgres.sh'), ['start'], { encoding: 'utf8' }).trim().split(' ');
    try {
      const pgEnv = { ...env, DATABASE_URL: url };
      execFileSync(binPath(), ['migrate'], { env: pgEnv, stdio: 'pipe' });
      execFileSync('psql', ['-X', '-q', '-d', url, '-c', "INSERT INTO users (id, name, email, password_hash, created_at, updated_at) VALUES ('0190a000-0000-7000-8000-000000000001', 'Pg', 'pg-scheduled@example.com', 'x', 1, 1)"]);
      const dir = path.join(work, 'pg');
      await mkdir(dir);
      const r = startScript({ ...pgEnv, LSF_BACKUP_DIR: dir, LSF_BACKUP_ONCE: '1' });
      assert.deepEqual(await r.done, { code: 0, signal: null }, r.out());
      assert.match(r.out(), /^checked \S+: postgres/m);
      const [file] = await readdir(dir);
      assert.match(file, NAME);
      execFileSync('psql', ['-X', '-q', '-d', url, '-c', 'CREATE DATABASE restored']);
      const target = new URL(url);
      target.pathname = '/restored';
      const out = execFileSync(binPath(), ['restore', path.join(dir, file)], { env: { ...env, DATABASE_URL: target.toString() }, encoding: 'utf8' });
      assert.match(out, /^restored /m);
      assert.equal(execFileSync('psql', ['-X', '-At', '-d', target.toString(), '-c', 'SELECT email FROM users'], { encoding: 'utf8' }).trim(),
        'pg-scheduled@example.com');
    } finally {
      execFileSync(path.join(SUPPORT, 'postgres.sh'), ['stop', pgdir]);
    }
  });
});
