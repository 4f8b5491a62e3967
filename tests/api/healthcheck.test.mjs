// `lsf-server healthcheck [--live]`, the command a container's HEALTHCHECK
// runs: one GET of /health/ready (or /health/live) on the HOST:PORT the
// configuration names, exit 0 on 200 and 1 otherwise (2 only for bad usage),
// with nothing written to DATA_DIR and no proxy from the environment.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { binPath, freePort, startServer } from '../support/server.mjs';

// Run the healthcheck with only the settings it reads; resolves {code, stdout, stderr}.
function healthcheck(args, env) {
  return new Promise((resolve) => {
    execFile(binPath(), ['healthcheck', ...args], { env: { PATH: process.env.PATH, ...env }, timeout: 15000 },
      (err, stdout, stderr) => resolve({ code: err ? err.code : 0, stdout, stderr }));
  });
}

describe('lsf-server healthcheck', () => {
  let server, dir;
  const env = () => ({ HOST: '127.0.0.1', PORT: String(server.port), DATA_DIR: dir, ENV_FILE: path.join(dir, 'no.env') });

  before(async () => {
    server = await startServer();
    dir = await mkdtemp(path.join(tmpdir(), 'lsf-healthcheck-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
    assert.equal(await server.close(), 0, `lsf-server did not exit 0 on SIGTERM:\n${server.stderr()}`);
  });

  test('a ready server: exit 0, "/health/ready: 200"; --live: exit 0', async () => {
    const ready = await healthcheck([], env());
    assert.deepEqual([ready.code, ready.stdout], [0, '/health/ready: 200\n'], ready.stderr);
    const live = await healthcheck(['--live'], env());
    assert.deepEqual([live.code, live.stdout], [0, '/health/live: 200\n'], live.stderr);
  });

  test('HOST=0.0.0.0 (the image default) is asked on 127.0.0.1', async () => {
    const res = await healthcheck([], { ...env(), HOST: '0.0.0.0' });
    assert.equal(res.code, 0, res.stderr);
  });

  test('nothing listening on PORT: exit 1 and the reason on stderr', async () => {
    const res = await healthcheck([], { ...env(), PORT: String(await freePort()) });
    assert.equal(res.code, 1);
    assert.match(res.stderr, /^lsf-server healthcheck: http:\/\/127\.0\.0\.1:\d+\/health\/ready: Couldn't connect to server\n$/);
  });

  test('a proxy in the environment is not used', async () => {
    const deadProxy = `http://127.0.0.1:${await freePort()}`;
    const res = await healthcheck([], { ...env(), http_proxy: deadProxy, HTTP_PROXY: deadProxy, ALL_PROXY: deadProxy });
    assert.equal(res.code, 0, res.stderr);
  });

  test('no JWT_SECRET, even in production: nothing is generated into DATA_DIR', async () => {
    const res = await healthcheck([], { ...env(), LSF_ENV: 'production' });
    assert.equal(res.code, 0, res.stderr);
    const dev = await healthcheck([], env());
    assert.equal(dev.code, 0, dev.stderr);
    assert.deepEqual(await readdir(dir), []);
  });

  test('a bad setting is unhealthy (1), never 2, which Docker reserves', async () => {
    const res = await healthcheck([], { ...env(), PORT: 'http' });
    assert.equal(res.code, 1);
    assert.match(res.stderr, /PORT: must be an integer/);
  });

  test('bad usage exits 2 with the usage line', async () => {
    const res = await healthcheck(['--ready'], env());
    assert.equal(res.code, 2);
    assert.equal(res.stderr, 'usage: lsf-server healthcheck [--live]\n');
  });
});

describe('lsf-server healthcheck while draining', () => {
  test('after SIGTERM, within SHUTDOWN_GRACE_MS: ready is 503 (exit 1), live still 200 (exit 0)', async () => {
    const server = await startServer({ SHUTDOWN_GRACE_MS: '60000' });
    const dir = await mkdtemp(path.join(tmpdir(), 'lsf-healthcheck-'));
    const env = { HOST: '127.0.0.1', PORT: String(server.port), DATA_DIR: dir, ENV_FILE: path.join(dir, 'no.env') };
    try {
      assert.equal((await healthcheck([], env)).code, 0);
      server.proc.kill('SIGTERM');
      let ready;
      for (let i = 0; i < 100; i++) { // the signal is handled on the server's own schedule
        ready = await healthcheck([], env);
        if (ready.code !== 0) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(ready.code, 1);
      assert.equal(ready.stderr, 'lsf-server healthcheck: /health/ready answered 503\n');
      const live = await healthcheck(['--live'], env);
      assert.equal(live.code, 0, live.stderr);
    } finally {
      server.proc?.kill('SIGKILL');
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
