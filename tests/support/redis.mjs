// A throwaway redis-server for the API tests: loopback, a free port, no
// persistence (so a restart loses everything, the worst case for the
// server). stop() and start() take it down and bring it back on the same
// port; close() stops it for good. redisAvailable() says whether the
// redis-server binary exists, so suites can skip with a clear reason.
import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

import { freePort } from './server.mjs';

const BIN = process.env.LSF_REDIS_SERVER || 'redis-server';
const START_TIMEOUT_MS = 10000;

export function redisAvailable() {
  return spawnSync(BIN, ['--version'], { stdio: 'ignore' }).status === 0;
}

// Send one inline command and return the first reply line ("+PONG", ":3").
export function redisCommand(port, line) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let data = '';
    sock.setTimeout(2000, () => sock.destroy(new Error('redis command timed out')));
    sock.on('connect', () => sock.write(`${line}\r\n`));
    sock.on('data', (chunk) => {
      data += chunk;
      const end = data.indexOf('\r\n');
      if (end >= 0) {
        sock.destroy();
        resolve(data.slice(0, end));
      }
    });
    sock.on('error', reject);
  });
}

class Redis {
  constructor(port, args = []) {
    this.port = port;
    this.args = args; // more redis-server options, e.g. ['--requirepass', pw]
    this.proc = null;
    this.output = '';
  }

  get url() {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start() {
    const proc = spawn(BIN, ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...this.args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc = proc;
    this.exited = new Promise((resolve) => proc.on('exit', resolve));
    proc.stdout.on('data', (c) => {
      this.output += c;
    });
    proc.stderr.on('data', (c) => {
      this.output += c;
    });
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) break;
      try {
        // with a password PING answers -NOAUTH: still, it answers
        if (/^(\+PONG|-NOAUTH)/.test(await redisCommand(this.port, 'PING'))) return this;
      } catch {
        await sleep(50);
      }
    }
    proc.kill('SIGKILL');
    throw new Error(`redis-server did not start on port ${this.port}:\n${this.output}`);
  }

  async stop() {
    if (this.proc === null) return;
    const proc = this.proc;
    this.proc = null;
    proc.kill('SIGTERM');
    await this.exited;
  }

  close() {
    return this.stop();
  }
}

// Start a redis-server on a free port; args are more redis-server options.
export async function startRedis({ args = [] } = {}) {
  return new Redis(await freePort(), args).start();
}
