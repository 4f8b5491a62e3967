// Liveness: GET / answers "API Working" as the original app did, GET /health
// reports the database, and neither needs a session.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { jsonBody } from '../support/client.mjs';
import { startServer } from '../support/server.mjs';

describe('health', () => {
  let server;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    assert.equal(await server.close(), 0, `lsf-server did not exit 0 on SIGTERM:\n${server.stderr()}`);
  });

  test('GET / answers 200 "API Working"', async () => {
    const res = await fetch(`${server.url}/`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'API Working');
  });

  test('HEAD / answers 200 without a body', async () => {
    const res = await fetch(`${server.url}/`, { method: 'HEAD' });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), '');
  });

  test('GET /health answers {status:"healthy", timestamp, services:{database:true}}', async () => {
    const before = Date.now();
    const res = await fetch(`${server.url}/health`);
    assert.equal(res.status, 200);
    const body = await jsonBody(res);
    assert.deepEqual(Object.keys(body).sort(), ['services', 'status', 'timestamp']);
    assert.equal(body.status, 'healthy');
    assert.deepEqual(body.services, { database: true });
    assert.match(body.timestamp, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);
    const t = Date.parse(body.timestamp);
    assert.ok(t >= before - 2000 && t <= Date.now() + 2000, `timestamp ${body.timestamp} is now`);
  });

  test('/health is not cached and ignores a session cookie', async () => {
    const res = await fetch(`${server.url}/health`, { headers: { cookie: 'token=garbage' } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('cache-control') || '', /no-store/);
    assert.equal((await jsonBody(res)).status, 'healthy');
  });

  test('the server keeps answering after many sequential requests on one connection', async () => {
    for (let i = 0; i < 50; i++) {
      const res = await fetch(`${server.url}/health`);
      assert.equal(res.status, 200);
      await res.arrayBuffer();
    }
  });
});
