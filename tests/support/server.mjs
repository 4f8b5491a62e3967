// Starts lsf-server (LSF_BIN) for one test file: a free port on 127.0.0.1, a
// fresh temp dir for the database, access log and JWT secret, an SMTP sink for
// its mail, and the error mode from LSF_ERROR_STATUS. stop() sends SIGTERM and
// returns the exit code; restart() starts it again on the same dir and secret.
// LSF_DATABASE_URL_TEMPLATE (a PostgreSQL URL) gives each server a fresh
// database on that PostgreSQL instead of a SQLite file; LSF_TOPOLOGY=gateway
// starts the split services behind nginx instead (gateway.mjs), and
// LSF_TOPOLOGY=compose hands out the running Compose stack (compose.mjs), with
// the same interface. A server whose stderr shows a sanitizer report (ASan, LSan,
// UBSan, TSan) fails the suite: stop(), restart() and close() throw after the
// process is gone (close() after cleaning up), whatever the tests asserted.
import { redisCommand } from './redis.mjs';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

import { startSink } from './mail.mjs';
import { assertNoSanitizerReport } from './sanitizers.mjs';

export const errorMode = process.env.LSF_ERROR_STATUS || 'http';

// LSF_TOPOLOGY=gateway: every startServer() is auth, user and tasks as three
// processes behind deploy/nginx/gateway.conf. Suites skip the few tests that
// only make sense against one process with `skip: gateway && 'reason'`.
export const gateway = process.env.LSF_TOPOLOGY === 'gateway';

// LSF_TOPOLOGY=compose: every startServer() is the running Compose stack of
// tests/compose, reached through its nginx (compose.mjs).
export const compose = process.env.LSF_TOPOLOGY === 'compose';

// LSF_DATABASE_URL_TEMPLATE set: the servers run on PostgreSQL (testDatabase).
export const postgres = Boolean(process.env.LSF_DATABASE_URL_TEMPLATE);

// libfaketime (Debian package libfaketime) lets a restarted server run with
// its clock moved forward, e.g. to expire OTPs; tests skip when it is absent.
// Not under ASan (LSF_SANITIZED=1, set by `make asan-test`): the ASan runtime
// reads the clock before libfaketime is initialised, and the server hangs.
export const FAKETIME_LIB = process.env.LSF_SANITIZED ? undefined
  : ['/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1', '/usr/lib/faketime/libfaketimeMT.so.1']
    .find((p) => existsSync(p));

// Settings that run the server `offset` ahead of real time ("+2d", "+20m").
export function clockAhead(offset) {
  return {
    LD_PRELOAD: FAKETIME_LIB,
    FAKETIME: offset,
    // ASan builds refuse a preloaded library unless told not to check
    ASAN_OPTIONS: [process.env.ASAN_OPTIONS, 'verify_asan_link_order=0'].filter(Boolean).join(':'),
  };
}
const START_TIMEOUT_MS = 15000;
const STOP_TIMEOUT_MS = 15000;

export function binPath() {
  const bin = process.env.LSF_BIN;
  if (!bin) throw new Error('LSF_BIN is not set: run `make api` or LSF_BIN=/path/to/lsf-server node --test tests/api/');
  return bin;
}

// A port nobody listens on right now: bind to 0, read it, close.
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// Settings every test server gets, whatever the topology: test mode, cheap
// password hashing, no rate limits, mail to the sink, no metrics listener.
export function testEnv(sink) {
  return {
    LSF_ENV: 'test',
    ERROR_STATUS: errorMode,
    ARGON2_MEMLIMIT: '8mb',
    ARGON2_OPSLIMIT: '1',
    RATE_LIMIT: 'off',
    SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
    SHUTDOWN_TIMEOUT_MS: '10000',
    METRICS_PORT: '0', // many servers at once: no metrics listener each on 9464
    // LSF_REDIS_URL runs the whole suite with its state in that Redis
    REDIS_URL: process.env.LSF_REDIS_URL,
    // sanitizer settings of the caller (e.g. suppressions) reach ASan builds
    ASAN_OPTIONS: process.env.ASAN_OPTIONS,
    LSAN_OPTIONS: process.env.LSAN_OPTIONS,
    UBSAN_OPTIONS: process.env.UBSAN_OPTIONS,
  };
}

function psql(url, sql) {
  return promisify(execFile)('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', sql]);
}

// The database of one test server: a fresh PostgreSQL database when
// LSF_DATABASE_URL_TEMPLATE is set (drop() removes it, once no process uses
// it), else the SQLite file at sqlitePath. {url, drop()}.
export async function testDatabase(sqlitePath) {
  const template = process.env.LSF_DATABASE_URL_TEMPLATE;
  if (!postgres) return { url: `sqlite:${sqlitePath}`, drop: async () => {} };
  const name = `lsf_test_${randomBytes(6).toString('hex')}`;
  await psql(template, `CREATE DATABASE ${name}`);
  const url = new URL(template);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => (process.env.LSF_KEEP_TMP ? undefined : psql(template, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)),
  };
}

// Before each server: servers of one run share LSF_REDIS_URL's rate-limit
// counters (all clients are 127.0.0.1), so the previous file's are cleared.
async function clearSharedRateLimits() {
  if (!process.env.LSF_REDIS_URL) return;
  const port = Number(new URL(process.env.LSF_REDIS_URL).port);
  await redisCommand(port, "EVAL \"for _,k in ipairs(redis.call('KEYS','lsf:rl:*')) do redis.call('DEL',k) end\" 0");
}

class Server {
  constructor(dir, sink, db, env) {
    this.dir = dir;
    this.sink = sink;
    this.db = db;
    this.env = env;
    this.proc = null;
    this.stderrText = '';
    this.checkedUpTo = 0; // stderr before this offset was checked for sanitizer reports
    this.exitCode = null;
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  // Throw if stderr written since the last check holds a sanitizer report.
  checkSanitizers() {
    const text = this.stderrText.slice(this.checkedUpTo);
    this.checkedUpTo = this.stderrText.length;
    assertNoSanitizerReport(text);
  }

  get accessLogPath() {
    return path.join(this.dir, 'access.log');
  }

  // Everything the server wrote on stderr, over all its runs.
  stderr() {
    return this.stderrText;
  }

  accessLog() {
    return readFile(this.accessLogPath, 'utf8').catch(() => '');
  }

  async start() {
    for (let attempt = 0; ; attempt++) {
      this.port = await freePort();
      try {
        await this.spawnOnce();
        return this;
      } catch (err) {
        // another process may have taken the port between probe and bind
        if (attempt < 2 && /cannot listen/.test(String(err.message))) continue;
        throw err;
      }
    }
  }

  async spawnOnce() {
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME || this.dir,
      HOST: '127.0.0.1',
      PORT: String(this.port),
      DATA_DIR: this.dir,
      DATABASE_URL: this.db.url,
      ACCESS_LOG: this.accessLogPath,
      WEB_DIR: path.join(this.dir, 'no-web'),
      ENV_FILE: path.join(this.dir, 'no.env'),
      ...testEnv(this.sink),
      ...this.env,
    };
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
    // server.bin, when a test sets it, runs another build on the same dir and database
    const proc = spawn(this.bin ?? binPath(), ['serve'], { cwd: this.dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc = proc;
    this.exitCode = null;
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (chunk) => {
      this.stderrText += chunk;
    });
    this.exited = new Promise((resolve) => {
      proc.on('close', (code, signal) => { // 'close', not 'exit': after the last of stderr is read
        this.exitCode = code ?? signal;
        resolve(this.exitCode);
      });
    });
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (this.exitCode !== null) throw new Error(`lsf-server exited with ${this.exitCode} at start:\n${this.stderrText}`);
      try {
        const res = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(1000) });
        await res.arrayBuffer();
        return;
      } catch {
        await sleep(50);
      }
    }
    proc.kill('SIGKILL');
    throw new Error(`lsf-server did not answer GET /health within ${START_TIMEOUT_MS} ms:\n${this.stderrText}`);
  }

  // SIGTERM and wait; resolves to the exit code (a signal name if killed),
  // or throws when the server wrote a sanitizer report.
  async stop() {
    if (this.proc === null) return this.exitCode;
    const proc = this.proc;
    this.proc = null;
    if (this.exitCode === null) proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_TIMEOUT_MS);
    const code = await this.exited;
    clearTimeout(timer);
    this.checkSanitizers();
    return code;
  }

  // Start again on the same data dir, secret and settings (a new port);
  // env overrides settings from now on (undefined removes one). Resolves to
  // the exit code of the stopped run.
  async restart(env = {}) {
    const code = await this.stop();
    Object.assign(this.env, env);
    await this.start();
    return code;
  }

  // Stop server and sink, remove the temp dir and database; returns the
  // server's exit code (throws, after all that, on a sanitizer report).
  async close() {
    try {
      return await this.stop();
    } finally {
      await this.sink.stop();
      await this.db.drop();
      if (!process.env.LSF_KEEP_TMP) await rm(this.dir, { recursive: true, force: true });
    }
  }
}

// Start a server. env overrides the defaults above (undefined removes one).
export async function startServer(env = {}) {
  if (compose) {
    const { startComposeServer } = await import('./compose.mjs');
    return startComposeServer(env);
  }
  await clearSharedRateLimits();
  if (gateway) {
    const { startGateway } = await import('./gateway.mjs');
    return startGateway(env);
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'lsf-api-'));
  const sink = await startSink(path.join(dir, 'mail-sink'));
  let db;
  try {
    db = await testDatabase(path.join(dir, 'lsf.db'));
    // env.DATABASE_URL (a sibling on another server's database) wins over db.url
    const server = new Server(dir, sink, db, { JWT_SECRET: randomBytes(48).toString('hex'), DATABASE_URL: db.url, ...env });
    await server.start();
    return server;
  } catch (err) {
    await sink.stop();
    await db?.drop();
    throw err;
  }
}
