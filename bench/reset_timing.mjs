// Timing of POST /api/auth/send-reset-otp for a known and an unknown email
// (issue 10, defect 7: the known one was 0.3-0.4 ms slower, because only it
// wrote, which let anyone tell registered addresses apart). Run by
// bench/run.sh, or alone:
//   LSF_BIN=build/release/lsf-server node bench/reset_timing.mjs
// lsf-server on a free loopback port over a fresh SQLite database (mail to
// DATA_DIR/mail, OTP_SEND_MAX high so every known request's job really issues
// a code), one registered account. RESET_BENCH_N (500) requests of each kind,
// interleaved known/unknown on one keep-alive connection so drift hits both,
// after 50 unmeasured pairs; latency measured by the client from request to
// the end of the answer. Prints a markdown section with the median and p90 of
// each and the ratio of the medians (known / unknown). Aim: the medians
// within 10% of each other (a ratio from 0.9 to 1.1). With BENCH_STRICT=1,
// exits 1 when the aim is missed.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const LSF_BIN = path.resolve(process.env.LSF_BIN || process.argv[2] || path.join(ROOT, 'build/release/lsf-server'));
const N = Number(process.env.RESET_BENCH_N || 500);
const WARMUP = 50;
const AIM_RATIO_LOW = 0.9;
const AIM_RATIO_HIGH = 1.1;

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

// POST json to url; resolves to {status, body, ms} (ms: until the last byte).
function post(url, json) {
  const body = JSON.stringify(json);
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({
        status: res.statusCode,
        body: Buffer.concat(chunks).toString(),
        ms: Number(process.hrtime.bigint() - start) / 1e6,
      }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

async function main() {
  const dir = await mkdtemp(path.join(tmpdir(), 'lsf-reset-bench-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const proc = spawn(LSF_BIN, ['serve'], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      PATH: process.env.PATH, HOST: '127.0.0.1', PORT: String(port), DATA_DIR: dir,
      DATABASE_URL: `sqlite:${path.join(dir, 'lsf.db')}`, WEB_DIR: path.join(dir, 'no-web'),
      ENV_FILE: path.join(dir, 'no.env'), RATE_LIMIT: 'off', ACCESS_LOG: 'off', LOG_LEVEL: 'warn',
      LSF_ENV: 'test', METRICS_PORT: '0', OTP_SEND_MAX: '1000000', ARGON2_MEMLIMIT: '8mb', ARGON2_OPSLIMIT: '1',
    },
  });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  try {
    for (let i = 0; ; i++) {
      try {
        await (await fetch(`${base}/health`)).arrayBuffer();
        break;
      } catch {
        if (i > 200 || proc.exitCode !== null) throw new Error(`lsf-server did not start:\n${stderr}`);
        await sleep(50);
      }
    }
    const known = 'reset-bench@example.com';
    const reg = await post(`${base}/api/auth/register`, { name: 'Reset Bench', email: known, password: 'bench-password-1' });
    if (reg.status !== 201) throw new Error(`register: ${reg.status} ${reg.body}`);

    const times = { known: [], unknown: [] };
    for (let i = 0; i < WARMUP + N; i++) {
      // alternate which kind goes first, so neither always follows the other's job
      const order = i % 2 === 0 ? ['known', 'unknown'] : ['unknown', 'known'];
      for (const kind of order) {
        const email = kind === 'known' ? known : `nobody-${i}@example.com`;
        const res = await post(`${base}/api/auth/send-reset-otp`, { email });
        if (res.status !== 200 || !res.body.includes('"success":true')) throw new Error(`send-reset-otp: ${res.status} ${res.body}`);
        if (i >= WARMUP) times[kind].push(res.ms);
      }
    }
    const k50 = quantile(times.known, 0.5);
    const u50 = quantile(times.unknown, 0.5);
    const ratio = k50 / u50;
    const met = ratio >= AIM_RATIO_LOW && ratio <= AIM_RATIO_HIGH;
    const fmt = (ms) => `${ms.toFixed(3)} ms`;
    console.log('\n## send-reset-otp: known versus unknown email\n');
    console.log(`${N} requests of each kind, interleaved on one keep-alive connection, after ${WARMUP} unmeasured pairs.\n`);
    console.log('| email | median | p90 |');
    console.log('|---|---:|---:|');
    console.log(`| known (has an account) | ${fmt(k50)} | ${fmt(quantile(times.known, 0.9))} |`);
    console.log(`| unknown | ${fmt(u50)} | ${fmt(quantile(times.unknown, 0.9))} |`);
    console.log(`\nRatio of the medians (known / unknown): ${ratio.toFixed(3)}; difference ${((k50 - u50) * 1000).toFixed(0)} us.`);
    console.log(`Aim: a ratio from ${AIM_RATIO_LOW} to ${AIM_RATIO_HIGH} ${met ? '(met)' : '(MISSED)'}.`);
    return met;
  } finally {
    agent.destroy();
    proc.kill('SIGTERM');
    await new Promise((resolve) => (proc.exitCode !== null ? resolve() : proc.on('close', resolve)));
    await rm(dir, { recursive: true, force: true });
  }
}

main().then((met) => {
  if (!met && process.env.BENCH_STRICT === '1') process.exit(1);
}, (err) => {
  console.error(`bench/reset_timing.mjs: ${err.message}`);
  process.exit(1);
});
