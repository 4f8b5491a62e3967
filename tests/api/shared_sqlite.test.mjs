// Two instances on one SQLite file without Redis (docs/DEPLOY.md section 2):
// neither can see the other's memory, so once an instance notices the other
// beside the file it stops caching and checks every token in the database.
// Stats and user data read on one are fresh right after the other wrote,
// even when the first had them cached before the second started; a logout on
// one is refused by the other at once; each says so once on stderr.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { Client, jsonBody, registeredClient, userData } from '../support/client.mjs';
import { expectError } from '../support/errors.mjs';
import { postgres, startServer } from '../support/server.mjs';
import { createTask, stats } from '../support/tasks.mjs';

const NOT_AUTHORIZED = 'Not Authorized. Login Again';
const SHARED = 'another lsf-server shares this database without REDIS_URL';
const warnings = (server) => server.stderr().split('\n').filter((l) => l.includes(SHARED));

const withRedis = Boolean(process.env.LSF_REDIS_URL);
describe('one SQLite file, two instances, no Redis', { skip: (postgres || withRedis) && 'SQLite without Redis only' }, () => {
  let a, b, early, earlyIdentity;
  before(async () => {
    a = await startServer();
    // cached on A while it is alone
    ({ client: early, identity: earlyIdentity } = await registeredClient(a.url, 'early'));
    assert.equal((await stats(early)).total, 0);
    assert.equal((await stats(early)).total, 0);
    assert.equal((await userData(early)).isAccountVerified, false);
    assert.deepEqual(warnings(a), [], 'alone: no warning');
    b = await startServer({ JWT_SECRET: a.env.JWT_SECRET, DATABASE_URL: `sqlite:${a.dir}/lsf.db` });
  });
  after(async () => {
    for (const s of [b, a]) if (s) assert.equal(await s.close(), 0, `lsf-server did not exit 0:\n${s.stderr()}`);
  });

  test('what A cached before B started is not served after B writes', async () => {
    const onB = new Client(b.url);
    onB.jar = early.jar;
    await createTask(onB, { title: 'from B' });
    assert.equal((await stats(early)).total, 1);

    assert.equal((await onB.post('/api/auth/send-verify-otp')).status, 200);
    const { otp } = await b.sink.waitForOtp(earlyIdentity.email);
    const verified = await onB.post('/api/auth/verify-account', { otp });
    assert.deepEqual(await jsonBody(verified), { success: true, message: 'Email verified successfully' });
    assert.equal((await userData(early)).isAccountVerified, true);
  });

  test('stats on either instance are fresh right after the other writes', async () => {
    const { client } = await registeredClient(b.url, 'both');
    const onA = new Client(a.url);
    onA.jar = client.jar;
    for (let i = 1; i <= 3; i++) {
      const [writer, reader] = i % 2 ? [onA, client] : [client, onA];
      assert.equal((await stats(reader)).total, i - 1);
      const task = await createTask(writer, { title: `task ${i}` });
      assert.equal((await stats(reader)).total, i);
      const res = await writer.request('PATCH', `/api/tasks/${task._id}`, { json: { status: 'completed' } });
      assert.equal(res.status, 200);
      await res.arrayBuffer();
      assert.equal((await stats(reader)).byStatus.completed, i);
    }
  });

  test('a token logged out on one instance is refused by the other at once', async () => {
    for (const [here, there] of [[a, b], [b, a]]) {
      const { client } = await registeredClient(here.url, 'logout');
      const token = client.token;
      const res = await fetch(`${there.url}/api/user/data`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(res.status, 200);
      await res.arrayBuffer();
      assert.equal((await client.post('/api/auth/logout')).status, 200);
      await expectError(await fetch(`${there.url}/api/user/data`, { headers: { authorization: `Bearer ${token}` } }),
        401, NOT_AUTHORIZED);
    }
  });

  test('each instance says once that it no longer caches, and why', () => {
    for (const [name, s] of [['A', a], ['B', b]]) {
      const lines = warnings(s);
      assert.equal(lines.length, 1, `${name}:\n${s.stderr()}`);
      assert.equal(JSON.parse(lines[0]).level, 'warn');
    }
  });
});
