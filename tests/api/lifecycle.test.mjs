// Connection and process lifecycle: REQUEST_TIMEOUT_MS against slow heads
// and bodies (slowloris) and idle keep-alive, keep-alive itself, head size
// limits at and beyond h2o's own ceiling, SIGHUP reopening the access log,
// SIGTERM draining an in-flight slow request, SHUTDOWN_TIMEOUT_MS passing
// with one still in flight (exit 1, nothing freed under the running
// threads), and the command line refusing bad configuration with status 2
// (and documenting every variable).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

import { newIdentity } from '../support/client.mjs';
import { expectError } from '../support/errors.mjs';
import { RawConn, connectOutcome } from '../support/raw.mjs';
import { assertNoSanitizerReport } from '../support/sanitizers.mjs';
import { binPath, freePort, startServer } from '../support/server.mjs';

const CONFIG_C = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/core/config.c');
const TIMEOUT_MS = 1000; // REQUEST_TIMEOUT_MS of the first server
const DRIP_MS = 300;
const SLOW_CLIENTS = 300;
const SLOW_BODY_PATH = '/api/auth/login';

// What a slow client means to send, one byte per DRIP_MS after `head`: the
// rest of a head (70 bytes, 21 s) or a whole 100-byte body (30 s); the
// server must cut it off long before.
const SLOW = {
  'slow head': { head: 'GET / HTTP/1.1\r\nHost: x\r\n', drip: `X-Slow: ${'a'.repeat(60)}\r\n\r\n` },
  'slow body': {
    head: `POST ${SLOW_BODY_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n`,
    drip: `{"email":"${'a'.repeat(88)}"}`,
  },
};

// fetch on a fresh connection: the server closes idle ones after 1 s, and a
// pooled connection could be reused just as it does.
const get = (url, headers = {}) => fetch(url, { headers: { connection: 'close', ...headers } });

async function poll(what, fn, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await fn();
    if (got) return got;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

describe('lifecycle: timeouts, keep-alive, head limits, SIGHUP', () => {
  let server;
  before(async () => {
    server = await startServer({ REQUEST_TIMEOUT_MS: String(TIMEOUT_MS) });
  });
  after(async () => {
    assert.equal(await server.close(), 0, `lsf-server did not exit 0 on SIGTERM:\n${server.stderr()}`);
  });

  for (const [kind, { head, drip }] of Object.entries(SLOW)) {
    test(`${kind}: ${SLOW_CLIENTS} slow clients are cut off after REQUEST_TIMEOUT_MS while /health answers`, async () => {
      const conns = await Promise.all(Array.from({ length: SLOW_CLIENTS }, () => RawConn.open(server.port)));
      try {
        await Promise.all(conns.map((c) => c.write(head)));
        for (const c of conns) c.startDrip(drip, DRIP_MS);
        assert.equal(conns.filter((c) => c.isClosed).length, 0, 'precondition: every slow connection is open');
        const res = await get(`${server.url}/health`);
        assert.equal(res.status, 200, `GET /health with ${SLOW_CLIENTS} slow connections open`);
        assert.equal((await res.json()).status, 'healthy');

        const closes = await Promise.all(conns.map((c) => c.waitClosed(10000)));
        for (const [i, { byServer, at }] of closes.entries()) {
          const c = conns[i];
          assert.ok(byServer, `${kind} #${i}: the server did not close the connection`);
          const lived = at - c.openedAt;
          assert.ok(lived >= TIMEOUT_MS / 2, `${kind} #${i}: closed after ${lived} ms, before REQUEST_TIMEOUT_MS`);
          assert.ok(lived <= 5 * TIMEOUT_MS, `${kind} #${i}: closed only after ${lived} ms (REQUEST_TIMEOUT_MS=${TIMEOUT_MS})`);
          const dripped = c.sent - Buffer.byteLength(head);
          assert.ok(dripped < drip.length / 2, `${kind} #${i}: the client dripped ${dripped} of ${drip.length} bytes before being cut off`);
        }
      } finally {
        for (const c of conns) c.destroy();
      }
    });
  }

  test('an idle keep-alive connection is closed after REQUEST_TIMEOUT_MS', async () => {
    const conn = await RawConn.open(server.port);
    try {
      await conn.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
      const res = await conn.response();
      const answeredAt = Date.now();
      assert.equal(res.status, 200);
      assert.doesNotMatch(res.headers.connection || '', /close/i, 'the first answer keeps the connection alive');
      const { byServer, at } = await conn.waitClosed(10 * TIMEOUT_MS);
      assert.ok(byServer, 'the server closed the idle connection');
      const idle = at - answeredAt;
      assert.ok(idle >= TIMEOUT_MS / 2 && idle <= 5 * TIMEOUT_MS, `idle connection closed after ${idle} ms (REQUEST_TIMEOUT_MS=${TIMEOUT_MS})`);
    } finally {
      conn.destroy();
    }
  });

  test('keep-alive: sequential and pipelined requests on one socket all get answers', async () => {
    const conn = await RawConn.open(server.port);
    try {
      await conn.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
      const first = await conn.response();
      assert.equal(first.status, 200);
      assert.equal(JSON.parse(first.body).status, 'healthy');
      await conn.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      const second = await conn.response();
      assert.equal(second.status, 200);
      assert.equal(second.body, 'API Working');
      // two more in one write (pipelined); answers come back in order
      await conn.write('GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n');
      const third = await conn.response();
      const fourth = await conn.response();
      assert.equal(third.body, 'API Working');
      assert.equal(JSON.parse(fourth.body).status, 'healthy');
      assert.equal(conn.isClosed, false, 'the connection is still open after four requests');
    } finally {
      conn.destroy();
    }
  });

  test('HEADER_LIMIT (16kb): many headers or a long request line answer 431 JSON; a head just under passes', async () => {
    const many = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`x-fill-${i}`, 'b'.repeat(1024)]));
    await expectError(await get(`${server.url}/health`, many), 431, 'Request header fields too large');
    await expectError(await get(`${server.url}/health?pad=${'a'.repeat(20 * 1024)}`), 431, 'Request header fields too large');
    await expectError(await get(`${server.url}/${'a'.repeat(20 * 1024)}`), 431, 'Request header fields too large');
    const under = await get(`${server.url}/health?pad=${'a'.repeat(8 * 1024)}`, { 'x-fill': 'b'.repeat(7 * 1024) });
    assert.equal(under.status, 200, 'a 15 KB head is under the 16 KB limit');
    await under.arrayBuffer();
  });

  test("a head beyond h2o's own ceiling (~400 KB) or with over 100 headers answers 400 and closes", async () => {
    const heads = {
      '500 KB request line': `GET /health?pad=${'a'.repeat(500 * 1024)} HTTP/1.1\r\nHost: x\r\n\r\n`,
      '500 KB header': `GET /health HTTP/1.1\r\nHost: x\r\nX-Fill: ${'b'.repeat(500 * 1024)}\r\n\r\n`,
      '120 headers': `GET /health HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 120 }, (_, i) => `X-F${i}: 1\r\n`).join('')}\r\n`,
    };
    for (const [what, head] of Object.entries(heads)) {
      const conn = await RawConn.open(server.port);
      try {
        await conn.write(head);
        const res = await conn.response();
        assert.equal(res.status, 400, `${what}: ${res.status} ${res.body.slice(0, 200)}`);
        // h2o writes this answer straight to the socket (text/plain "Bad Request"): no filter sees it
        assert.match(res.body, /Bad Request/);
        const { byServer } = await conn.waitClosed(5000);
        assert.ok(byServer, `${what}: the server closes the connection`);
      } finally {
        conn.destroy();
      }
    }
    const res = await get(`${server.url}/health`);
    assert.equal(res.status, 200, 'the server keeps serving');
    await res.arrayBuffer();
  });

  test('SIGHUP reopens the access log: new lines go to a new file at ACCESS_LOG, the renamed one keeps the old', async () => {
    const oldMark = `oldMark-hup-${randomBytes(6).toString('hex')}`;
    const newMark = `after-hup-${randomBytes(6).toString('hex')}`;
    await (await get(`${server.url}/health?m=${oldMark}`)).arrayBuffer();
    await poll(`"${oldMark}" in the access log`, async () => (await server.accessLog()).includes(oldMark));

    const renamed = `${server.accessLogPath}.1`;
    await rename(server.accessLogPath, renamed);
    const reopened = () => (server.stderr().match(/access log reopened/g) || []).length;
    const reopensBefore = reopened();
    assert.ok(server.proc?.pid, 'the server process is running');
    process.kill(server.proc.pid, 'SIGHUP');
    await poll('"access log reopened" on stderr', () => reopened() > reopensBefore);

    for (let i = 0; i < 4; i++) await (await get(`${server.url}/health?m=${newMark}`)).arrayBuffer();
    // each event loop flushes its own buffer about once a second: wait for all four
    const fresh = await poll(`four "${newMark}" lines in the new access log`, async () => {
      const text = await server.accessLog();
      return text.split('\n').filter((l) => l.includes(newMark)).length >= 4 && text;
    });
    assert.ok(!fresh.includes(oldMark), 'the new file does not repeat old lines');
    assert.equal(fresh.split('\n').filter((l) => l.includes(newMark)).length, 4, fresh);
    const old = readFileSync(renamed, 'utf8');
    assert.ok(old.includes(oldMark), 'the renamed file keeps the old lines');
    assert.ok(!old.includes(newMark), 'no new line reaches the renamed file');
    assert.equal(server.exitCode, null, 'SIGHUP does not stop the server');
  });
});

describe('lifecycle: SIGTERM drains in-flight requests', () => {
  let server;
  before(async () => {
    // about 1.3 s per hash here, so the drain lasts 2.5 s or more (at 0.5 s a
    // hash a faster CPU ended it before the still-draining check); one worker
    // so the second registration waits in the queue; the drain may take as
    // long as it needs on a loaded machine (past SHUTDOWN_TIMEOUT_MS, 10 s in
    // tests, the process exits 1 without answering: the next describe)
    server = await startServer({ ARGON2_MEMLIMIT: '256mb', ARGON2_OPSLIMIT: '12', WORKER_THREADS: '1', SHUTDOWN_TIMEOUT_MS: '120000' });
  });
  after(async () => {
    await server.close();
  });

  test('slow registrations in flight complete with 201, idle connections close, new ones are refused, exit 0', async () => {
    const idle = await RawConn.open(server.port);
    await idle.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.equal((await idle.response()).status, 200);

    const ids = [newIdentity('drain'), newIdentity('drain')];
    // both written on connected sockets before SIGTERM (the drain serves the
    // listen backlog), however slowly this process runs
    const conns = await Promise.all(ids.map(() => RawConn.open(server.port)));
    await Promise.all(conns.map((c, i) => {
      const body = JSON.stringify(ids[i]);
      return c.write(`POST /api/auth/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    }));
    const pending = conns.map((c) => c.response({ timeoutMs: 30000 }));
    await sleep(200); // one hashing, one queued
    process.kill(server.proc.pid, 'SIGTERM');

    const idleClose = await idle.waitClosed(3000);
    assert.ok(idleClose.byServer, 'an idle keep-alive connection is closed by the drain');
    await sleep(200);
    assert.equal(server.exitCode, null, 'precondition: still draining (hashing takes longer)');
    assert.equal(await connectOutcome(server.port), 'ECONNREFUSED', 'a connection during the drain is refused');

    for (const [i, res] of (await Promise.all(pending)).entries())
      assert.equal(res.status, 201, `registration ${i} in flight at SIGTERM: ${res.status} ${res.body}`);
    const code = await Promise.race([server.exited, sleep(30000, 'still running', { ref: false })]);
    assert.equal(code, 0, `exit status after the drain:\n${server.stderr()}`);
    assert.equal(await connectOutcome(server.port), 'ECONNREFUSED', 'nothing listens after the drain');
  });
});

describe('lifecycle: SHUTDOWN_TIMEOUT_MS passes with a request still in flight', () => {
  let server, mport;
  before(async () => {
    // one hash takes seconds (32 passes over 256 MB), far beyond the 300 ms timeout
    mport = await freePort();
    server = await startServer({
      ARGON2_MEMLIMIT: '256mb', ARGON2_OPSLIMIT: '32', WORKER_THREADS: '1', SHUTDOWN_TIMEOUT_MS: '300',
      METRICS_PORT: String(mport),
    });
  });
  after(async () => {
    await server.close(); // throws on a sanitizer report (a use-after-free of kv or the config)
  });

  test('the process exits non-zero at once, saying so, without touching what the running request uses', async () => {
    const conn = await RawConn.open(server.port);
    const body = JSON.stringify(newIdentity('abandoned'));
    await conn.write(`POST /api/auth/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    // the registration is being served (hashing on the worker) before SIGTERM
    await poll('the registration in flight', async () => {
      const text = await (await get(`http://127.0.0.1:${mport}/metrics`)).text();
      return /^http_requests_in_flight 1$/m.test(text);
    }, 10000);
    process.kill(server.proc.pid, 'SIGTERM');

    const code = await Promise.race([server.exited, sleep(30000, 'still running', { ref: false })]);
    assert.notEqual(code, 'still running', `lsf-server did not exit after the shutdown timeout:\n${server.stderr()}`);
    assert.equal(code, 1, `exit status after the shutdown timeout:\n${server.stderr()}`);
    assert.match(server.stderr(), /"level":"error","msg":"shutdown timeout: requests still in flight are abandoned"/);
    const { byServer } = await conn.waitClosed(5000);
    assert.ok(byServer, 'the connection of the abandoned request ends with the process');
    assert.equal(conn.buf.length, 0, `the abandoned request got no answer: ${conn.buf.toString('latin1').slice(0, 200)}`);
  });
});

describe('lifecycle: command line and bad configuration', () => {
  let dir;
  let port;
  const secret = randomBytes(32).toString('hex');
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'lsf-cli-'));
    port = await freePort();
  });
  after(() => {
    if (!process.env.LSF_KEEP_TMP) rmSync(dir, { recursive: true, force: true });
  });

  // Run lsf-server with a valid test configuration changed by env
  // (undefined removes a variable); a bad one must fail before serving.
  function run(args, env = {}) {
    const full = {
      PATH: process.env.PATH,
      HOME: dir,
      LSF_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: dir,
      DATABASE_URL: `sqlite:${path.join(dir, 'lsf.db')}`,
      ACCESS_LOG: path.join(dir, 'access.log'),
      ENV_FILE: path.join(dir, 'no.env'),
      JWT_SECRET: secret,
      ASAN_OPTIONS: process.env.ASAN_OPTIONS,
      LSAN_OPTIONS: process.env.LSAN_OPTIONS,
      UBSAN_OPTIONS: process.env.UBSAN_OPTIONS,
      ...env,
    };
    for (const [k, v] of Object.entries(full)) if (v === undefined) delete full[k];
    const r = spawnSync(binPath(), args, { cwd: dir, env: full, encoding: 'utf8', timeout: 10000, killSignal: 'SIGKILL' });
    assertNoSanitizerReport(r.stderr, `lsf-server ${args.join(' ')}`); // startServer() checks its servers; these run here
    return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
  }

  test('the base configuration is valid (migrate exits 0), also in production with a random secret', () => {
    const ok = run(['migrate']);
    assert.equal(ok.status, 0, ok.stderr);
    for (const secret of [randomBytes(48).toString('base64'), randomBytes(16).toString('hex')]) {
      const prod = run(['migrate'], { LSF_ENV: 'production', JWT_SECRET: secret });
      assert.equal(prod.status, 0, prod.stderr);
    }
  });

  // Obviously weak secrets: exit 2 naming JWT_SECRET, saying how to make a
  // good one, never echoing the value. Outside production they still start.
  const weakSecrets = ['a'.repeat(40), '0123456789abcdef0123456789abcdef', 'abcdefghijklmnopqrstuvwxyz012345',
    'changeme-changeme-changeme-changeme!', 'ab'.repeat(20)];
  for (const secret of weakSecrets) {
    test(`serve in production with JWT_SECRET=${secret.slice(0, 12)}... exits 2 saying how to make a good one`, () => {
      const r = run(['serve'], { LSF_ENV: 'production', JWT_SECRET: secret });
      assert.equal(r.status, 2, `status ${r.status} (signal ${r.signal}); stderr:\n${r.stderr}`);
      assert.match(r.stderr, /JWT_SECRET: too weak for production/);
      assert.match(r.stderr, /openssl rand -base64 48/);
      assert.ok(!r.stderr.includes(secret), `the secret is echoed:\n${r.stderr}`);
    });
  }
  test('outside production a weak secret is allowed (tests, development)', () => {
    const r = run(['migrate'], { JWT_SECRET: 'a'.repeat(40) });
    assert.equal(r.status, 0, r.stderr);
  });

  test('in production with a random secret the server starts and serves', async () => {
    const server = await startServer({ LSF_ENV: 'production', JWT_SECRET: randomBytes(48).toString('base64') });
    try {
      const res = await fetch(`${server.url}/health`);
      assert.equal(res.status, 200);
      assert.equal((await res.json()).status, 'healthy');
    } finally {
      assert.equal(await server.close(), 0, server.stderr());
    }
  });

  const bad = [
    ['PORT', { PORT: '0' }],
    ['PORT', { PORT: 'abc' }],
    ['BODY_LIMIT', { BODY_LIMIT: 'lots' }],
    ['JWT_SECRET', { LSF_ENV: 'production', JWT_SECRET: undefined }],
    ['JWT_SECRET', { LSF_ENV: 'production', JWT_SECRET: 's'.repeat(31) }],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://x' }],
    ['SMTP_URL', { SMTP_URL: 'http://x' }],
    ['REDIS_URL', { REDIS_URL: 'rediss://cache.example:6380' }], // no TLS to Redis in this build
    ['REDIS_URL', { REDIS_URL: 'http://cache.example' }],
    ['REDIS_URL', { REDIS_URL: 'redis://' }],
    ['REDIS_URL', { REDIS_URL: 'redis://cache.example:99999' }],
    ['REDIS_URL', { REDIS_URL: 'redis://cache.example:0' }],
    ['REDIS_URL', { REDIS_URL: 'redis://cache.example/x' }],
    ['REDIS_URL', { REDIS_URL: 'redis://cache.example/1/2' }],
    ['REDIS_URL', { REDIS_URL: 'redis://cache.example?db=1' }],
    ['REDIS_URL', { REDIS_URL: 'redis://[::1' }],
    ['REDIS_URL', { REDIS_URL: 'redis:///3' }],
    ['REDIS_URL', { REDIS_URL: 'redis://:p%0Aw@cache.example' }], // a control character once decoded
  ];
  for (const [name, env] of bad) {
    test(`serve with ${JSON.stringify(env)} exits 2 naming ${name}`, () => {
      const r = run(['serve'], env);
      assert.equal(r.status, 2, `status ${r.status} (signal ${r.signal}); stderr:\n${r.stderr}`);
      assert.match(r.stderr, new RegExp(`\\b${name}\\b`), `stderr does not name ${name}:\n${r.stderr}`);
    });
  }

  test('rediss:// is refused at start with a message saying why', () => {
    const r = run(['serve'], { REDIS_URL: 'rediss://cache.example:6380' });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /REDIS_URL: rediss:\/\/ \(TLS\) is not supported/);
  });

  test('a REDIS_URL error does not echo its user or password', () => {
    for (const url of ['redis://admin:hunter2-secret@cache.example:99999', 'redis://:hunter2-secret@cache@example',
      'rediss://admin:hunter2-secret@cache.example', 'redis://admin:hunter2-secret@cache.example/db']) {
      const r = run(['serve'], { REDIS_URL: url });
      assert.equal(r.status, 2, `${url}: ${r.stderr}`);
      assert.match(r.stderr, /REDIS_URL/);
      assert.ok(!r.stderr.includes('hunter2') && !r.stderr.includes('admin'), r.stderr);
    }
  });

  test('the SMTP_URL error does not echo the rest of the URL', () => {
    const r = run(['serve'], { SMTP_URL: 'http://user:hunter2-secret@mail.example' });
    assert.equal(r.status, 2, r.stderr);
    assert.ok(!r.stderr.includes('hunter2-secret'), r.stderr);
  });

  test('--help and serve --help exit 0 and document every variable of the config table', () => {
    const names = [...readFileSync(CONFIG_C, 'utf8').matchAll(/^\s*\{"([A-Z][A-Z0-9_]*)",/gm)].map((m) => m[1]);
    assert.ok(names.length >= 20 && names.includes('REQUEST_TIMEOUT_MS'), `could not parse the rows of ${CONFIG_C}: ${names}`);
    for (const args of [['--help'], ['serve', '--help']]) {
      const r = run(args);
      assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
      const missing = names.filter((n) => !new RegExp(`^\\s+${n}\\s`, 'm').test(r.stdout));
      assert.deepEqual(missing, [], `${args.join(' ')} does not document ${missing.join(', ')}`);
    }
  });

  test('an unknown command exits 2 with usage on stderr', () => {
    const r = run(['bogus']);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /unknown command "bogus"/);
    assert.match(r.stderr, /usage: lsf-server/);
  });
});
