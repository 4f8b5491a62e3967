// The split-services topology for the API suites (LSF_TOPOLOGY=gateway, see
// server.mjs): startServer() then starts three lsf-server processes, `serve
// --services auth`, `user` and `tasks`, on one database (a SQLite file, or a
// fresh PostgreSQL database under LSF_DATABASE_URL_TEMPLATE), one JWT secret
// and one Redis, behind nginx running deploy/nginx/gateway.conf unchanged;
// the suites talk to nginx only. Redis is part of the topology, not an
// option: without it each process keeps its own revocations, rate-limit
// counters and caches, so a logout on auth would not reach user. It is
// LSF_REDIS_URL when set, else a throwaway redis-server per gateway. The
// processes, nginx and Redis come from tests/scale/support.mjs. As in
// single mode, a sanitizer report on any process's stderr makes stop(),
// restart() and close() throw.
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { Cluster, freePort, NGINX_BIN, Nginx, REDIS_BIN, startRedis, tempDir } from '../scale/support.mjs';
import { startSink } from './mail.mjs';
import { assertNoSanitizerReport } from './sanitizers.mjs';
import { testDatabase, testEnv } from './server.mjs';

export const SERVICES = ['auth', 'user', 'tasks'];

// The worst of several exit codes (a signal name if killed): 0 only if all are 0.
function worst(codes) {
  return codes.find((c) => c !== 0) ?? 0;
}

class Gateway {
  constructor(cluster, sink, db, redis, env) {
    this.cluster = cluster;
    this.dir = cluster.dir;
    this.sink = sink;
    this.db = db;
    this.redis = redis;
    this.env = env; // the settings all three processes share (cluster.env)
    this.processes = {};
    this.checkedUpTo = {}; // per service: stderr before this offset was checked
    this.nginx = null;
    this.port = null;
    this.exitCode = null;
  }

  // nginx's address: the only one the suites use.
  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  // What the three processes wrote on stderr, over all their runs.
  stderr() {
    return SERVICES.map((s) => this.processes[s]?.stderr() ?? '').join('');
  }

  async accessLog() {
    let text = '';
    for (const s of SERVICES) text += await this.processes[s].accessLog();
    return text;
  }

  // The processes start one after the other: the first one migrates.
  async startProcesses() {
    for (const s of SERVICES) {
      if (this.processes[s]) await this.processes[s].start(); // same port: nginx is unchanged
      else this.processes[s] = await this.cluster.add(s, { services: s });
    }
  }

  async startNginx() {
    const web = path.join(this.dir, 'web');
    await mkdir(web, { recursive: true });
    await writeFile(path.join(web, 'index.html'), '<!doctype html><title>LSF Tasks</title>\n');
    const servers = (s) => `${this.processes[s].upstreamLine}\n`;
    for (let attempt = 0; ; attempt++) {
      const port = await freePort();
      try {
        this.nginx = await Nginx.start('gateway.conf', {
          'auth-servers.conf': servers('auth'),
          'user-servers.conf': servers('user'),
          'tasks-servers.conf': servers('tasks'),
          'listen.conf': `listen 127.0.0.1:${port};\n`,
          'web-root.conf': `root ${web};\n`,
        }, await tempDir('nginx', this.dir));
        this.port = port;
        return;
      } catch (err) {
        // another process may have taken the port between probe and bind
        if (attempt < 2 && /nginx exited at start/.test(String(err.message))) continue;
        throw err;
      }
    }
  }

  // Throw if a process's stderr since the last check holds a sanitizer report.
  checkSanitizers() {
    for (const s of SERVICES) {
      const text = this.processes[s]?.stderr() ?? '';
      const from = this.checkedUpTo[s] ?? 0;
      this.checkedUpTo[s] = text.length;
      assertNoSanitizerReport(text.slice(from), `lsf-server --services ${s}`);
    }
  }

  // SIGTERM the three processes (nginx keeps running); the worst exit code,
  // or a throw when one of them wrote a sanitizer report.
  async stop() {
    const running = SERVICES.map((s) => this.processes[s]).filter((p) => p?.proc);
    if (running.length === 0) return this.exitCode; // stopped already
    const codes = [];
    for (const p of running) codes.push(await p.stop());
    this.exitCode = worst(codes);
    this.checkSanitizers();
    return this.exitCode;
  }

  async start() {
    await this.startProcesses();
    return this;
  }

  // Restart the three processes on the same database, secret and ports;
  // env overrides settings from now on (undefined removes one). Resolves to
  // the worst exit code of the stopped run.
  async restart(env = {}) {
    const code = await this.stop();
    Object.assign(this.env, env);
    await this.start();
    return code;
  }

  // Stop nginx, the processes, Redis and the sink; remove the temp dir and
  // database. Resolves to the worst exit code of the three processes (throws,
  // after all that, on a sanitizer report).
  async close() {
    await this.nginx?.stop();
    try {
      return await this.stop();
    } finally {
      await this.redis?.stop();
      await this.sink.stop();
      await this.db.drop();
      if (!process.env.LSF_KEEP_TMP) await rm(this.dir, { recursive: true, force: true });
      else console.log(`kept ${this.dir}`);
    }
  }
}

// startServer() under LSF_TOPOLOGY=gateway; env applies to all three processes.
export async function startGateway(env = {}) {
  if (!NGINX_BIN) throw new Error('LSF_TOPOLOGY=gateway needs nginx (Debian nginx-light)');
  if (!process.env.LSF_REDIS_URL && !env.REDIS_URL && !REDIS_BIN)
    throw new Error('LSF_TOPOLOGY=gateway needs Redis: redis-server, LSF_REDIS_URL or REDIS_URL');
  const cluster = await Cluster.create();
  let sink, db, redis, gw;
  try {
    sink = await startSink(path.join(cluster.dir, 'mail-sink'));
    db = await testDatabase(cluster.dbPath);
    if (!process.env.LSF_REDIS_URL && !env.REDIS_URL) redis = await startRedis(await tempDir('redis', cluster.dir));
    cluster.env = {
      ...testEnv(sink),
      // as in single mode, the server's defaults (one thread per CPU)
      HTTP_THREADS: undefined,
      WORKER_THREADS: undefined,
      // nginx sets X-Forwarded-For to the client: rate limits key on it
      TRUST_PROXY: '127.0.0.1',
      DATABASE_URL: db.url,
      JWT_SECRET: randomBytes(48).toString('hex'),
      REDIS_URL: process.env.LSF_REDIS_URL ?? redis?.url,
      ...env,
    };
    gw = new Gateway(cluster, sink, db, redis, cluster.env);
    await gw.startProcesses();
    await gw.startNginx();
    return gw;
  } catch (err) {
    if (gw) await gw.close().catch(() => {});
    else {
      await redis?.stop();
      await sink?.stop();
      await db?.drop();
      await rm(cluster.dir, { recursive: true, force: true });
    }
    throw err;
  }
}
