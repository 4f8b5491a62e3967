// docs/OPERATIONS.md runs as written: every ```sh block there is marked
// <!-- runbook: NAME -->, and each NAME is run here with `sh -eu`, in an
// environment of real servers started for it (an lsf-server on SQLite with
// its metrics listener and log file; PostgreSQL, a primary with a streaming
// replica, Redis; pgBackRest for point-in-time recovery), then checked for
// what it should have done. A block not run here, or a block that fails,
// fails the suite. Run: make runbooks (part of make test).
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync } from 'node:fs';
import { appendFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { PASSWORDS, writeFixtures } from '../import/fixtures.mjs';
import { Client, registeredClient } from '../support/client.mjs';
import { expectError } from '../support/errors.mjs';
import { startRedis } from '../support/redis.mjs';
import { requireOrSkip } from '../support/require.mjs';
import { binPath, freePort, startServer } from '../support/server.mjs';
import { createTask } from '../support/tasks.mjs';
import { settle } from '../support/wait.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SUPPORT = path.join(ROOT, 'tests/support');
const has = (bin, args = ['--version']) => spawnSync(bin, args).status === 0;
const NO_PG = requireOrSkip('PostgreSQL', existsSync('/usr/lib/postgresql'), 'Debian package postgresql');
const NO_PGBACKREST = requireOrSkip('pgbackrest', has('pgbackrest', ['version']), 'Debian package pgbackrest');

// name -> the block's text, from the document
async function runbooks() {
  const doc = await readFile(path.join(ROOT, 'docs/OPERATIONS.md'), 'utf8');
  const blocks = new Map();
  const re = /(<!-- runbook: ([\w-]+) -->\n)?```(\w*)\n([\s\S]*?)```/g;
  for (const m of doc.matchAll(re)) {
    if (m[3] !== 'sh') continue;
    assert.ok(m[2], `a sh block of docs/OPERATIONS.md has no runbook marker:\n${m[4]}`);
    assert.ok(!blocks.has(m[2]), `two runbooks named ${m[2]}`);
    blocks.set(m[2], m[4]);
  }
  return blocks;
}

const ran = new Set();

// Run block NAME with env; returns {stdout, stderr}; asserts exit 0.
function run(blocks, name, env, { user } = {}) {
  const text = blocks.get(name);
  assert.ok(text, `docs/OPERATIONS.md has no runbook ${name}`);
  ran.add(name);
  const full = { PATH: process.env.PATH, HOME: process.env.HOME || '/tmp', ...env };
  for (const [k, v] of Object.entries(full)) if (v === undefined) delete full[k];
  const cmd = user ? 'runuser' : 'sh';
  const args = user ? ['-u', user, '--', 'env', ...Object.entries(full).map(([k, v]) => `${k}=${v}`), 'sh', '-eu', '-c', text]
    : ['-eu', '-c', text];
  const r = spawnSync(cmd, args, { env: full, encoding: 'utf8', timeout: 180000, cwd: env.CWD || tmpdir() });
  assert.equal(r.status, 0, `runbook ${name} failed (${r.status}):\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  return r;
}

describe('docs/OPERATIONS.md runbooks', () => {
  let blocks;
  let server;
  let work;
  let binDir;
  let base; // environment of the SQLite server's blocks
  let user;
  before(async () => {
    blocks = await runbooks();
    work = await mkdtemp(path.join(tmpdir(), 'lsf-runbooks-'));
    chmodSync(work, 0o755);
    binDir = path.join(work, 'bin');
    await mkdir(binDir);
    await symlink(binPath(), path.join(binDir, 'lsf-server'));
    const mport = await freePort();
    server = await startServer({ METRICS_PORT: String(mport) });
    user = await registeredClient(server.url, 'runbook');
    await createTask(user.client, { title: 'kept by the drill' });
    await mkdir(path.join(work, 'backups'));
    base = {
      PATH: `${binDir}:${process.env.PATH}`,
      DATABASE_URL: server.env.DATABASE_URL,
      JWT_SECRET: server.env.JWT_SECRET,
      LSF_ENV: 'test',
      DATA_DIR: server.dir,
      DB_FILE: path.join(server.dir, 'lsf.db'),
      HOST: '127.0.0.1',
      PORT: String(server.port),
      METRICS_URL: `http://127.0.0.1:${mport}/metrics`,
      LOG_FILE: path.join(work, 'lsf.log'),
      BACKUP_DIR: path.join(work, 'backups'),
      ENV_FILE: path.join(work, 'no.env'),
      ACCESS_LOG: 'off',
      METRICS_PORT: '0',
    };
  });
  after(async () => {
    assert.equal(await server.close(), 0, server.stderr());
    if (!process.env.LSF_KEEP_TMP) await rm(work, { recursive: true, force: true });
  });
  const withLog = async () => {
    await writeFile(base.LOG_FILE, server.stderr());
    return base;
  };

  test('the alerts\' first commands run against a live instance', async () => {
    await fetch(`${server.url}/api/nope`);
    const env = await withLog();
    assert.match(run(blocks, 'alert-errors', env).stdout, /\/health\/ready: 200/);
    assert.match(run(blocks, 'alert-latency', env).stdout, /http_request_duration_seconds_count/);
    const down = run(blocks, 'alert-down', env).stdout;
    assert.match(down, /\/health\/live: 200/);
    assert.match(down, /\/health\/ready: 200/);
  });

  test('the restore drill and a real restore', async () => {
    const env = { ...(await withLog()), DRILL_EMAIL: user.identity.email };
    const r = run(blocks, 'drill', env);
    assert.match(r.stdout, /^backup .*\.lsfbak: sqlite/m);
    assert.match(r.stdout, /^checked /m);
    assert.match(r.stdout, /^restored .*sessions ended for \d+ users/ms);
    const file = /^backup (\S+):/m.exec(r.stdout)[1];
    await server.stop();
    const restored = run(blocks, 'restore', { ...env, BACKUP_FILE: file });
    assert.match(restored.stdout, /^restored /m);
    await server.restart();
    const c = new Client(server.url);
    assert.equal((await c.login(user.identity)).status, 200);
  });

  test('rollback, rotation, disk, outbox, account: the SQLite blocks', async () => {
    const env = await withLog();
    const rb = run(blocks, 'rollback', env);
    assert.match(rb.stdout, /^lsf-server \d+\.\d+\.\d+/m);
    assert.match(rb.stdout, /^backup \S+before-upgrade-\S+\.lsfbak: sqlite, schema [1-9]\d*,/m, 'the schema version');
    run(blocks, 'rotation', env);
    const disk = run(blocks, 'disk', env).stdout;
    assert.match(disk, /lsf\.db/);
    assert.match(disk, /^ok$/m, 'quick_check');
    assert.match(run(blocks, 'outbox', env).stdout, /^store_outbox_pending \d+/m);
    const gone = await registeredClient(server.url, 'runbookdelete');
    run(blocks, 'account', { ...env, USER_EMAIL: gone.identity.email });
    const exported = JSON.parse(await readFile(path.join(env.BACKUP_DIR, 'export.json'), 'utf8'));
    assert.equal(exported.user.email, gone.identity.email);
    await expectError(await new Client(server.url).login(gone.identity), 401, 'Invalid email or password');
    await expectError(await gone.client.get('/api/user/data'), 401, 'Not Authorized. Login Again');
  });

  test('import from the MERN app', async () => {
    const exportDir = path.join(work, 'export');
    const files = await writeFixtures(exportDir);
    assert.equal(files.relaxed.users, path.join(exportDir, 'users.json'));
    const r = run(blocks, 'import', { ...(await withLog()), EXPORT_DIR: exportDir });
    assert.match(r.stdout, /^import: users: 8 read, 3 would import, 0 already here, 5 refused/m);
    assert.match(r.stdout, /^import: users: 8 read, 3 imported, 0 already here, 5 refused/m);
    assert.match(r.stdout, /^\s+1 bad email$/m);
    const c = new Client(server.url);
    assert.equal((await c.login({ email: 'alice@example.com', password: PASSWORDS.alice.password })).status, 200);
  });

  test('Redis lost or flushed', async () => {
    const redis = await startRedis();
    const mport = await freePort();
    const s = await startServer({ REDIS_URL: redis.url, METRICS_PORT: String(mport) });
    try {
      await registeredClient(s.url, 'redisrunbook');
      const r = run(blocks, 'redis', { ...base, REDIS_URL: redis.url, METRICS_URL: `http://127.0.0.1:${mport}/metrics` });
      assert.match(r.stdout, /^PONG$/m);
      assert.match(r.stdout, /^kv_up\{backend="redis"\} 1$/m);
    } finally {
      await s.close();
      await redis.close();
    }
  });

  test('PostgreSQL: the pool alert and a primary failover', { skip: NO_PG, timeout: 180000 }, async () => {
    const out = execFileSync(path.join(SUPPORT, 'pg_cluster.sh'), ['start'], { encoding: 'utf8' }).trim().split(' ');
    const [dir, primary, replica] = out;
    try {
      execFileSync('psql', ['-X', '-q', '-d', primary, '-c', 'CREATE TABLE runbook_probe (n int); INSERT INTO runbook_probe VALUES (1)']);
      const mport = await freePort();
      const s = await startServer({ DATABASE_URL: primary, METRICS_PORT: String(mport) });
      try {
        const pgEnv = { ...base, DATABASE_URL: primary, METRICS_URL: `http://127.0.0.1:${mport}/metrics` };
        const r = run(blocks, 'alert-pool', pgEnv);
        assert.match(r.stdout, /db_pool_connections\{state="in_use"\}/);
        // a query that runs for minutes, cancelled by its pid
        const long = spawn('psql', ['-X', '-d', primary, '-c', 'SELECT pg_sleep(300) AS runbook_long'], { stdio: ['ignore', 'pipe', 'pipe'] });
        let longErr = '';
        long.stderr.on('data', (c) => { longErr += c; });
        const longDone = new Promise((resolve) => long.on('exit', resolve));
        const pidOf = "SELECT pid FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(300) AS runbook_long%'";
        const pid = await settle(() => execFileSync('psql', ['-X', '-At', '-d', primary, '-c', pidOf], { encoding: 'utf8' }).trim(),
          (p) => /^\d+$/.test(p), { timeoutMs: 10000 });
        assert.match(run(blocks, 'alert-pool-cancel', { ...pgEnv, PID: pid }).stdout, /^t$/m);
        assert.notEqual(await longDone, 0);
        assert.match(longErr, /canceling statement due to user request/);
        // the restore drill on PostgreSQL, and the outbox query
        const owner = await registeredClient(s.url, 'pgdrill');
        const drill = new URL(primary);
        drill.pathname = '/lsf_drill';
        const d = run(blocks, 'drill-postgres', { ...pgEnv, DRILL_URL: drill.toString(), DRILL_EMAIL: owner.identity.email });
        assert.match(d.stdout, /^backup \S+: postgres, schema [1-9]/m);
        assert.match(d.stdout, /^restored /m);
        assert.equal(execFileSync('psql', ['-X', '-At', '-d', primary, '-c', "SELECT count(*) FROM pg_database WHERE datname = 'lsf_drill'"], { encoding: 'utf8' }).trim(), '0');
        assert.match(run(blocks, 'outbox-postgres', pgEnv).stdout, /^\s*count \|/m);
      } finally {
        await s.close();
      }
      execFileSync(path.join(SUPPORT, 'pg_cluster.sh'), ['stop-primary', dir]);
      const f = run(blocks, 'failover', { ...base, REPLICA_URL: replica, DATABASE_URL: primary });
      assert.deepEqual(f.stdout.trim().split('\n').slice(0, 3), ['t', 't', 'f']);
      const after2 = await startServer({ DATABASE_URL: replica });
      try {
        assert.equal((await new Client(after2.url).register({ name: 'After', email: 'after-failover@example.com', password: 'password-after' })).status, 201);
      } finally {
        await after2.close();
      }
    } finally {
      execFileSync(path.join(SUPPORT, 'pg_cluster.sh'), ['stop', dir]);
    }
  });

  test('pgBackRest: continuous archiving, then recovery to a moment', { skip: NO_PG || NO_PGBACKREST, timeout: 300000 }, async () => {
    const [dir, url] = execFileSync(path.join(SUPPORT, 'postgres.sh'), ['start'], { encoding: 'utf8' }).trim().split(' ');
    const asPg = process.getuid() === 0 ? 'postgres' : undefined;
    try {
      const port = new URL(url).port;
      const PGBIN = execFileSync('sh', ['-c', 'ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1'], { encoding: 'utf8' }).trim();
      const env = {
        PATH: process.env.PATH, PGDATA: path.join(dir, 'data'), PGPORT: port, PGSOCKET: dir, PGUSER: 'lsf', PGBIN, PGLOG: path.join(dir, 'server.log'),
        BACKREST_REPO: path.join(dir, 'repo'), BACKREST_CONF: path.join(dir, 'pgbackrest.conf'),
        PGBACKREST_LOG_PATH: path.join(dir, 'log'), PGBACKREST_LOCK_PATH: path.join(dir, 'lock'),
        DATABASE_URL: url, CWD: dir,
      };
      // postgres.sh gave its settings on the command line, which a stop and start
      // (not a restart) forgets: in postgresql.conf, as a real server has them
      await appendFile(path.join(env.PGDATA, 'postgresql.conf'), `port = ${port}\nunix_socket_directories = '${dir}'\n`
        + 'listen_addresses = \'127.0.0.1\'\nmax_connections = 200\nfsync = off\n');
      for (const d of ['repo', 'log', 'lock']) execFileSync(asPg ? 'runuser' : 'mkdir', asPg ? ['-u', 'postgres', '--', 'mkdir', path.join(dir, d)] : [path.join(dir, d)]);
      let t = Date.now();
      const lap = (what) => { process.stderr.write(`pitr: ${what} ${Date.now() - t} ms\n`); t = Date.now(); };
      run(blocks, 'pitr-setup', env, { user: asPg });
      lap('setup');
      const sql = (q) => execFileSync('psql', ['-X', '-At', '-d', url, '-c', q], { encoding: 'utf8' }).trim();
      sql('CREATE TABLE pitr (n int); INSERT INTO pitr VALUES (1)');
      assert.match(run(blocks, 'pitr-daily', env, { user: asPg }).stdout, /diff backup: \S+/);
      lap('daily');
      const target = sql("SELECT pg_sleep(1.1), to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'").split('|')[1];
      sql('SELECT pg_sleep(1.1)');
      sql('INSERT INTO pitr VALUES (2)');
      sql('SELECT pg_switch_wal()');
      // the archive has the segment with row 2 before the server stops
      for (let i = 0; i < 100 && sql("SELECT last_archived_wal IS NOT NULL AND last_archived_time > now() - interval '1 minute' FROM pg_stat_archiver") !== 't'; i++) {
        await new Promise((r) => setTimeout(r, 200));
      }
      lap('rows and archive');
      const r = run(blocks, 'pitr-restore', { ...env, RECOVERY_TARGET: target }, { user: asPg });
      lap('restore');
      assert.match(r.stdout, /status: ok/);
      assert.match(r.stdout.trim().split('\n').pop(), /^f$/, 'promoted after recovery');
      assert.equal(sql('SELECT string_agg(n::text, \',\') FROM pitr'), '1', 'row 1 from before the target, not row 2 from after it');
    } finally {
      execFileSync(path.join(SUPPORT, 'postgres.sh'), ['stop', dir]);
    }
  });

  test('every command of lsf-server --help and of docs/OPERATIONS.md has --help: exit 0, its usage on stdout', async () => {
    const help = spawnSync(binPath(), ['--help'], { encoding: 'utf8' });
    assert.equal(help.status, 0);
    const listed = [...help.stdout.split('\ncommands:\n')[1].split('\n\n')[0].matchAll(/^  ([a-z]+)/gm)].map((m) => m[1]);
    assert.deepEqual(listed, ['serve', 'migrate', 'healthcheck', 'backup', 'restore', 'import', 'user', 'help', 'version']);
    const doc = await readFile(path.join(ROOT, 'docs/OPERATIONS.md'), 'utf8');
    const used = new Set([...doc.matchAll(/lsf-server ([a-z]+)(?: (export|delete))?/g)].map((m) => m.slice(1).filter(Boolean).join(' ')));
    for (const cmd of new Set([...listed.filter((c) => c !== 'help' && c !== 'version'), 'user export', 'user delete', ...used])) {
      const r = spawnSync(binPath(), [...cmd.split(' '), '--help'], { encoding: 'utf8', env: { PATH: process.env.PATH } });
      assert.equal(r.status, 0, `lsf-server ${cmd} --help: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`^usage: lsf-server ${cmd.split(' ')[0]}`), `lsf-server ${cmd} --help`);
    }
  });

  test('every runbook of docs/OPERATIONS.md was run', () => {
    const all = [...blocks.keys()];
    const pgOnly = new Set(['alert-pool', 'alert-pool-cancel', 'drill-postgres', 'outbox-postgres', 'failover', 'pitr-setup', 'pitr-daily', 'pitr-restore']);
    const missing = all.filter((n) => !ran.has(n) && !((NO_PG || NO_PGBACKREST) && pgOnly.has(n)));
    assert.deepEqual(missing, []);
  });
});
