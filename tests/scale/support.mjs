// Helpers for the scale-out tests: several lsf-server instances sharing one
// SQLite file (or the DATABASE_URL given in the cluster's env) and one JWT
// secret (each restartable on its own port), nginx run from a temp prefix
// with the configs of deploy/nginx used as they are (only the small
// local/*.conf includes are written here), a self-signed certificate, a
// throwaway redis-server (restartable on its port), and a PostgreSQL primary
// with a streaming replica (tests/support/pg_cluster.sh) with psql for
// checks. Everything listens on loopback free ports and lives in temp dirs
// that cleanup() removes.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { requireOrSkip } from '../support/require.mjs';
import { binPath, freePort } from '../support/server.mjs';

export { freePort };

const NGINX_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../deploy/nginx');
const PG_CLUSTER_SH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../support/pg_cluster.sh');
const START_TIMEOUT_MS = 15000;
const STOP_TIMEOUT_MS = 15000;

export const NGINX_BIN = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));
// Whether pg_cluster.sh can run: a PostgreSQL server with pg_basebackup.
export const PG_CLUSTER_AVAILABLE = (() => {
  try {
    return readdirSync('/usr/lib/postgresql').some((v) => existsSync(`/usr/lib/postgresql/${v}/bin/pg_basebackup`));
  } catch {
    return false;
  }
})();
export const REDIS_BIN = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p));

// Skip reasons of the suites, for `{ skip: needs.nginx() }`: false when the
// tool is here; with CI=true a missing one throws instead (support/require.mjs).
export const needs = {
  nginx: () => requireOrSkip('nginx', NGINX_BIN, 'apt-get install nginx-light'),
  redis: () => requireOrSkip('redis-server', REDIS_BIN, 'apt-get install redis-server'),
  pgCluster: () => requireOrSkip('the PostgreSQL server binaries', PG_CLUSTER_AVAILABLE, 'apt-get install postgresql'),
};

// A temp dir readable by nginx's workers (they run as nobody under root).
export async function tempDir(tag, parent = tmpdir()) {
  const dir = await mkdtemp(path.join(parent, `lsf-scale-${tag}-`));
  chmodSync(dir, 0o755);
  return dir;
}

// True once something accepts TCP connections on host:port.
function canConnect(port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const sock = net.connect(port, host);
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

async function waitFor(what, check, proc, timeoutMs = START_TIMEOUT_MS) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`${what} exited at start`);
    if (await check()) return;
    await sleep(50);
  }
  throw new Error(`${what} not ready within ${timeoutMs} ms`);
}

// One lsf-server process; start() again after stop() reuses its port.
export class Instance {
  constructor(name, cluster, { services, env = {} } = {}) {
    this.name = name;
    this.cluster = cluster;
    this.services = services;
    this.env = env;
    this.dir = path.join(cluster.dir, name);
    this.port = null;
    this.proc = null;
    this.stderrText = '';
    this.runs = 0;
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  get upstreamLine() {
    return `server 127.0.0.1:${this.port} max_fails=1 fail_timeout=2s;`;
  }

  // Access log lines of every run so far (one file per run).
  async accessLog() {
    let text = '';
    for (let i = 1; i <= this.runs; i++)
      text += await readFile(path.join(this.dir, `access-${i}.log`), 'utf8').catch(() => '');
    return text;
  }

  stderr() {
    return this.stderrText;
  }

  async start() {
    await mkdir(this.dir, { recursive: true });
    const samePort = this.port !== null;
    for (let attempt = 0; ; attempt++) {
      if (!samePort) this.port = await freePort();
      try {
        await this.spawnOnce();
        return this;
      } catch (err) {
        // the port may be taken between probe and bind, or (same port) still held
        if (attempt < 20 && /cannot listen/.test(String(err.message))) {
          await sleep(samePort ? 50 : 0);
          continue;
        }
        throw err;
      }
    }
  }

  async spawnOnce() {
    this.runs++;
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME || this.dir,
      LSF_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(this.port),
      DATA_DIR: this.dir,
      DATABASE_URL: `sqlite:${this.cluster.dbPath}`,
      JWT_SECRET: this.cluster.secret,
      ACCESS_LOG: path.join(this.dir, `access-${this.runs}.log`),
      WEB_DIR: path.join(this.dir, 'no-web'),
      ENV_FILE: path.join(this.dir, 'no.env'),
      ARGON2_MEMLIMIT: '8mb',
      ARGON2_OPSLIMIT: '1',
      RATE_LIMIT: 'off',
      TRUST_PROXY: '127.0.0.1',
      HTTP_THREADS: '1',
      WORKER_THREADS: '1',
      SHUTDOWN_TIMEOUT_MS: '10000',
      METRICS_PORT: '0', // no loopback listener: instances would share its port
      ASAN_OPTIONS: process.env.ASAN_OPTIONS,
      LSAN_OPTIONS: process.env.LSAN_OPTIONS,
      UBSAN_OPTIONS: process.env.UBSAN_OPTIONS,
      ...this.cluster.env,
      ...this.env,
    };
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
    const args = ['serve', ...(this.services ? ['--services', this.services] : [])];
    const proc = spawn(binPath(), args, { cwd: this.dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc = proc;
    let runErr = '';
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (chunk) => {
      runErr += chunk;
      this.stderrText += chunk;
    });
    // 'close', not 'exit': after the last of stderr is read
    this.exited = new Promise((resolve) => proc.on('close', (code, signal) => resolve(code ?? signal)));
    try {
      await waitFor(`lsf-server ${this.name}`, async () => {
        try {
          const res = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(1000) });
          await res.arrayBuffer();
          return res.status === 200;
        } catch {
          return false;
        }
      }, proc);
    } catch (err) {
      proc.kill('SIGKILL');
      await this.exited;
      this.proc = null;
      throw new Error(`${err.message}:\n${runErr}`);
    }
  }

  // SIGKILL, no drain (a crash); resolves once the process is gone.
  async kill() {
    if (this.proc === null) return null;
    const proc = this.proc;
    this.proc = null;
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    return this.exited;
  }

  // Send SIGTERM; resolves to the exit code once the process has drained.
  async stop() {
    if (this.proc === null) return null;
    const proc = this.proc;
    this.proc = null;
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_TIMEOUT_MS);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

// Instances on one shared database and secret; env applies to all of them.
export class Cluster {
  static async create(env = {}) {
    const c = new Cluster();
    c.dir = await tempDir('cluster');
    c.dbPath = path.join(c.dir, 'lsf.db');
    c.secret = randomBytes(48).toString('hex');
    c.env = env;
    c.instances = [];
    c.others = [];
    return c;
  }

  async add(name, opts) {
    const inst = new Instance(name, this, opts);
    this.instances.push(inst);
    await inst.start();
    return inst;
  }

  // Also stopped by close() (nginx, redis).
  own(thing) {
    this.others.push(thing);
    return thing;
  }

  async close() {
    const codes = {};
    for (const o of this.others.reverse()) await o.stop();
    for (const inst of this.instances) codes[inst.name] = await inst.stop();
    if (!process.env.LSF_KEEP_TMP) await rm(this.dir, { recursive: true, force: true });
    else console.log(`kept ${this.dir}`);
    return codes;
  }
}

// Pids of a process's children, from /proc.
function childPids(pid) {
  const out = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

// nginx with deploy/nginx/<conf> as is, from a temp prefix: <prefix>/conf/
// holds symlinks to deploy/nginx/*.conf and *.js (includes and js_import
// resolve next to -c) and the generated local/*.conf given in `local`
// (name -> text).
export class Nginx {
  static async start(conf, local, dir) {
    const n = new Nginx();
    n.prefix = dir;
    n.conf = conf;
    await mkdir(path.join(dir, 'conf', 'local'), { recursive: true });
    await mkdir(path.join(dir, 'logs'), { recursive: true });
    for (const f of readdirSync(NGINX_DIR).filter((x) => /\.(conf|js)$/.test(x)))
      symlinkSync(path.join(NGINX_DIR, f), path.join(dir, 'conf', f));
    await n.writeLocal(local);
    await n.launch();
    return n;
  }

  async writeLocal(local) {
    for (const [name, text] of Object.entries(local)) await writeFile(path.join(this.prefix, 'conf', 'local', name), text);
  }

  args(extra = []) {
    return ['-p', `${this.prefix}/`, '-c', path.join(this.prefix, 'conf', this.conf), '-g', 'daemon off;', ...extra];
  }

  async launch() {
    const test = spawnSync(NGINX_BIN, this.args(['-t', '-q']), { encoding: 'utf8' });
    if (test.status !== 0) throw new Error(`nginx -t failed for ${this.conf}:\n${test.stderr}`);
    this.stderrText = '';
    this.proc = spawn(NGINX_BIN, this.args(), { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc.stderr.setEncoding('utf8');
    this.proc.stderr.on('data', (c) => (this.stderrText += c));
    this.exited = new Promise((resolve) => this.proc.on('exit', (code, signal) => resolve(code ?? signal)));
    const ports = await this.listenPorts();
    try {
      await waitFor('nginx', async () => (await Promise.all(ports.map((p) => canConnect(p)))).every(Boolean), this.proc);
    } catch (err) {
      throw new Error(`${err.message}:\n${this.stderrText}${await this.errorLog()}`);
    }
  }

  async listenPorts() {
    const ports = [];
    for (const f of ['listen.conf', 'tls.conf']) {
      const text = await readFile(path.join(this.prefix, 'conf', 'local', f), 'utf8').catch(() => '');
      for (const m of text.matchAll(/listen\s+[\d.]+:(\d+)/g)) ports.push(Number(m[1]));
    }
    return ports;
  }

  // Rewrite local files and reload; resolves once new workers run the new
  // configuration (the old ones finish their requests meanwhile).
  async reload(local) {
    await this.writeLocal(local);
    const test = spawnSync(NGINX_BIN, this.args(['-t', '-q']), { encoding: 'utf8' });
    if (test.status !== 0) throw new Error(`nginx -t failed:\n${test.stderr}`);
    const before = new Set(childPids(this.proc.pid));
    this.proc.kill('SIGHUP');
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      // new workers exist (the cache manager never runs without a cache path)
      if (childPids(this.proc.pid).some((p) => !before.has(p))) return;
      await sleep(20);
    }
    throw new Error('nginx did not reload within 5 s');
  }

  accessLog() {
    return readFile(path.join(this.prefix, 'logs', 'access.log'), 'utf8').catch(() => '');
  }

  errorLog() {
    return readFile(path.join(this.prefix, 'logs', 'error.log'), 'utf8').catch(() => '');
  }

  async stop() {
    if (!this.proc || this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await this.exited;
    clearTimeout(timer);
  }
}

// A self-signed certificate for CN=localhost: {cert, key} paths in dir.
export async function selfSignedCert(dir) {
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert,
    '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1']);
  return { cert, key };
}

// redis-server on a free port, no persistence; {url, stop(), start()}:
// start() after stop() runs a new, empty server on the same port.
export async function startRedis(dir) {
  const port = await freePort();
  let proc, exited;
  const redis = {
    url: `redis://127.0.0.1:${port}`,
    port,
    get pid() {
      return proc.pid;
    },
    async start() {
      proc = spawn(REDIS_BIN, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
        '--dir', dir], { stdio: ['ignore', 'ignore', 'ignore'] });
      exited = new Promise((resolve) => proc.on('exit', resolve));
      await waitFor('redis-server', () => canConnect(port), proc);
    },
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
  await redis.start();
  return redis;
}

// PostgreSQL primary + streaming replica (tests/support/pg_cluster.sh), or
// null when the server binaries are missing (the script exits 77).
// {primary, replica} are URLs; psql(url, sql) returns the unaligned output.
export async function startPgCluster() {
  const run = promisify(execFile);
  let out;
  try {
    ({ stdout: out } = await run(PG_CLUSTER_SH, ['start']));
  } catch (err) {
    if (err.code === 77) return null;
    throw new Error(`pg_cluster.sh start failed:\n${err.stderr}`);
  }
  const [dir, primary, replica] = out.trim().split(' ');
  const pgbin = readFileSync(path.join(dir, 'pgbin'), 'utf8').trim();
  return {
    dir,
    primary,
    replica,
    async psql(url, sql) {
      const { stdout } = await run(path.join(pgbin, 'psql'), [url, '-X', '-At', '-v', 'ON_ERROR_STOP=1', '-c', sql]);
      return stdout.trim();
    },
    stopPrimary: () => run(PG_CLUSTER_SH, ['stop-primary', dir]),
    startPrimary: () => run(PG_CLUSTER_SH, ['start-primary', dir]),
    promote: () => run(PG_CLUSTER_SH, ['promote', dir]),
    // the primary's server processes (postmaster first), to freeze and thaw them
    primaryPids() {
      const postmaster = Number(readFileSync(path.join(dir, 'primary', 'postmaster.pid'), 'utf8').split('\n')[0]);
      return [postmaster, ...childPids(postmaster)];
    },
    async stop() {
      await run(PG_CLUSTER_SH, ['stop', dir]).catch(() => {});
    },
  };
}

// One request through node:http from a chosen local address (the loopback
// range is all ours: 127.0.0.2 is "another client" to nginx).
export async function fromAddress(localAddress, url, { method = 'GET', headers = {}, body } = {}) {
  const http = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, localAddress, agent: false });
    req.on('response', (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
