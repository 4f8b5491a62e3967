// REDIS_URL: state shared by several instances through one Redis. Logged-out
// tokens stay refused across a Redis restart (no persistence: Redis comes
// back empty) and during an outage, while the API keeps answering and logs
// the outage once; cached stats and user data are fresh on instance A right
// after instance B wrote (one SQLite file, one Redis); rate limits count
// across instances; a password with '@', ':' and '%' in REDIS_URL. Skipped
// when redis-server is not installed (fails in CI).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';

import { runCli } from '../support/cli.mjs';
import { Client, jsonBody, registeredClient, userData } from '../support/client.mjs';
import { expectError } from '../support/errors.mjs';
import { redisAvailable, redisCommand, startRedis } from '../support/redis.mjs';
import { requireOrSkip } from '../support/require.mjs';
import { startServer } from '../support/server.mjs';
import { createTask, stats } from '../support/tasks.mjs';

const NOT_AUTHORIZED = 'Not Authorized. Login Again';
const RECONNECT_MS = 1300; // the server tries to reconnect at most once a second
const bearer = (token) => ({ headers: { authorization: `Bearer ${token}` } });
const claims = (token) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url'));
const jtiOf = (token) => claims(token).jti;
const userId = (client) => claims(client.token).id;
const count = (text, re) => (text.match(re) || []).length;

// A second instance on the same database, secret and Redis as `server`.
function sibling(server, env = {}) {
  return startServer({
    REDIS_URL: server.env.REDIS_URL,
    JWT_SECRET: server.env.JWT_SECRET,
    DATABASE_URL: server.env.DATABASE_URL ?? `sqlite:${server.dir}/lsf.db`,
    ...env,
  });
}

describe('redis: shared revocations, caches and rate limits', { skip: requireOrSkip('redis-server', redisAvailable(), 'apt-get install redis-server') }, () => {
  let redis, a, b;
  before(async () => {
    redis = await startRedis();
    a = await startServer({ REDIS_URL: redis.url });
    b = await sibling(a);
  });
  after(async () => {
    for (const s of [b, a]) if (s) assert.equal(await s.close(), 0, `lsf-server did not exit 0:\n${s.stderr()}`);
    if (redis) await redis.close();
  });

  test('the servers use Redis', async () => {
    assert.match(a.stderr(), /"backend":"redis"/);
    assert.match(b.stderr(), /"backend":"redis"/);
    const { client } = await registeredClient(a.url, 'uses');
    const token = client.token;
    assert.equal(await redisCommand(redis.port, `EXISTS lsf:rev:t:${jtiOf(token)}`), ':0');
    assert.equal((await client.post('/api/auth/logout')).status, 200);
    assert.equal(await redisCommand(redis.port, `EXISTS lsf:rev:t:${jtiOf(token)}`), ':1');
  });

  test('a logged-out token stays refused after Redis restarts empty', async () => {
    const { client } = await registeredClient(a.url, 'restart');
    const token = client.token;
    assert.equal((await client.post('/api/auth/logout')).status, 200);
    assert.equal(await redisCommand(redis.port, `EXISTS lsf:rev:t:${jtiOf(token)}`), ':1');
    await expectError(await fetch(`${b.url}/api/user/data`, bearer(token)), 401, NOT_AUTHORIZED);

    await redis.stop();
    await redis.start();
    assert.equal(await redisCommand(redis.port, 'DBSIZE'), ':0');
    for (const s of [a, b]) await expectError(await fetch(`${s.url}/api/user/data`, bearer(token)), 401, NOT_AUTHORIZED);
    await sleep(RECONNECT_MS);
    for (const s of [a, b]) await expectError(await fetch(`${s.url}/api/user/data`, bearer(token)), 401, NOT_AUTHORIZED);
    // back in Redis, copied from the database
    assert.equal(await redisCommand(redis.port, `EXISTS lsf:rev:t:${jtiOf(token)}`), ':1');
  });

  test('an operator command run on a Redis that lost its data leaves it for a server to bring back in step', async () => {
    // the command has no database source of revocations: marking Redis in
    // step would make every server trust a Redis without them
    const { client } = await registeredClient(a.url, 'ops-restart');
    const token = client.token;
    assert.equal((await client.post('/api/auth/logout')).status, 200);
    const { identity: doomed } = await registeredClient(a.url, 'ops-doomed');

    await redis.stop();
    await redis.start();
    const r = await runCli(a, ['user', 'delete', doomed.email]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await redisCommand(redis.port, 'EXISTS lsf:rev:synced'), ':0', 'the command did not mark Redis in step');
    for (const s of [a, b]) await expectError(await fetch(`${s.url}/api/user/data`, bearer(token)), 401, NOT_AUTHORIZED);
    await sleep(RECONNECT_MS);
    for (const s of [a, b]) await expectError(await fetch(`${s.url}/api/user/data`, bearer(token)), 401, NOT_AUTHORIZED);
    assert.equal(await redisCommand(redis.port, `EXISTS lsf:rev:t:${jtiOf(token)}`), ':1', 'a server copied it back');
  });

  test('during an outage revoked tokens are refused, the API answers, one log line each way', async () => {
    const { client: gone } = await registeredClient(a.url, 'outage-gone');
    const { client: live } = await registeredClient(a.url, 'outage-live');
    const token = gone.token;
    assert.equal((await gone.post('/api/auth/logout')).status, 200);
    const mark = a.stderr().length;

    await redis.stop();
    for (let i = 0; i < 3; i++) {
      await expectError(await fetch(`${a.url}/api/user/data`, bearer(token)), 401, NOT_AUTHORIZED);
      assert.equal((await userData(live)).email.startsWith('outage-live'), true);
      await createTask(live, { title: `during outage ${i}` });
      assert.equal((await stats(live)).total, i + 1);
    }
    // a logout during the outage is durable too
    const liveToken = live.token;
    assert.equal((await live.post('/api/auth/logout')).status, 200);
    await expectError(await fetch(`${a.url}/api/user/data`, bearer(liveToken)), 401, NOT_AUTHORIZED);
    assert.equal((await fetch(`${a.url}/health`)).status, 200);
    await sleep(RECONNECT_MS); // a reconnect attempt fails, and is not logged again
    await expectError(await fetch(`${a.url}/api/user/data`, bearer(token)), 401, NOT_AUTHORIZED);
    assert.equal(count(a.stderr().slice(mark), /redis unavailable/g), 1, a.stderr().slice(mark));

    await redis.start();
    await sleep(RECONNECT_MS);
    await expectError(await fetch(`${a.url}/api/user/data`, bearer(token)), 401, NOT_AUTHORIZED);
    await expectError(await fetch(`${a.url}/api/user/data`, bearer(liveToken)), 401, NOT_AUTHORIZED);
    const since = a.stderr().slice(mark);
    assert.equal(count(since, /redis available again/g), 1, since);
    // Redis is used again: both revocations are back in it
    assert.equal(await redisCommand(redis.port, `EXISTS lsf:rev:t:${jtiOf(token)}`), ':1');
    assert.equal(await redisCommand(redis.port, `EXISTS lsf:rev:t:${jtiOf(liveToken)}`), ':1');
  });

  test('stats cached on A are fresh right after B writes', async () => {
    const { client, identity } = await registeredClient(a.url, 'cache');
    const onB = new Client(b.url);
    onB.jar = client.jar;
    assert.equal((await stats(client)).total, 0);
    assert.equal((await stats(client)).total, 0);
    assert.equal(await redisCommand(redis.port, `EXISTS lsf:c:gen:stats:${userId(client)}`), ':1');

    const task = await createTask(onB, { title: 'from B' });
    assert.equal((await stats(client)).total, 1);
    assert.equal((await stats(client)).byStatus.completed, 0);
    const res = await onB.request('PATCH', `/api/tasks/${task._id}`, { json: { status: 'completed' } });
    assert.equal(res.status, 200, await res.text());
    assert.equal((await stats(client)).byStatus.completed, 1);
    assert.equal((await onB.request('DELETE', `/api/tasks/${task._id}`)).status, 200);
    assert.equal((await stats(client)).total, 0);

    // user data: cached on A, the account verified through B
    assert.equal((await userData(client)).isAccountVerified, false);
    assert.equal((await onB.post('/api/auth/send-verify-otp')).status, 200);
    const { otp } = await Promise.any([a, b].map((s) => s.sink.waitForOtp(identity.email)));
    const verified = await onB.post('/api/auth/verify-account', { otp });
    assert.deepEqual(await jsonBody(verified), { success: true, message: 'Email verified successfully' });
    assert.equal((await userData(client)).isAccountVerified, true);
  });

  test('rate limits count across instances', async () => {
    const env = { RATE_LIMIT: 'on', RATE_LIMIT_MAX: '4', RATE_LIMIT_WINDOW_MS: '60000' };
    const c1 = await sibling(a, env);
    const c2 = await sibling(a, env);
    try {
      await redisCommand(redis.port, 'DEL lsf:rl:rl:api:ip:127.0.0.1');
      const statuses = [];
      for (const s of [c1, c2, c1, c2, c1, c2]) statuses.push((await fetch(`${s.url}/api/auth/is-auth`)).status);
      assert.deepEqual(statuses, [200, 200, 200, 200, 429, 429]);
    } finally {
      await c1.close();
      await c2.close();
    }
  });
});

// A password needs percent-encoding in REDIS_URL when it holds '@', ':', '%',
// '/' or '#'; the server decodes it (and splits the URL where RFC 3986 says,
// not at the first '@'). Checked against a redis-server that requires it,
// for the default user and for an ACL user, with a database number.
describe('redis: REDIS_URL with a percent-encoded password', { skip: requireOrSkip('redis-server', redisAvailable(), 'apt-get install redis-server') }, () => {
  const PASSWORD = 'p@ss:w%rd/#1';
  const ACL_USER = 'lsf-app';
  const ACL_PASSWORD = '@%40:x';
  let redis;
  // redis-cli as the default user, on database db
  const cli = (db, ...args) => execFileSync('redis-cli', ['-p', String(redis.port), '--no-auth-warning', '-a', PASSWORD, '-n', String(db), ...args],
    { encoding: 'utf8' }).trim();
  before(async () => {
    redis = await startRedis({ args: ['--requirepass', PASSWORD] });
    assert.equal(cli(0, 'ACL', 'SETUSER', ACL_USER, 'on', `>${ACL_PASSWORD}`, '~*', '&*', '+@all'), 'OK');
  });
  after(async () => {
    if (redis) await redis.close();
  });

  const cases = {
    'the default user (":password@")': { url: () => `redis://:${encodeURIComponent(PASSWORD)}@127.0.0.1:${redis.port}/2`, db: 2 },
    'a lone "password@", as redis-cli reads it': { url: () => `redis://${encodeURIComponent(PASSWORD)}@127.0.0.1:${redis.port}/3`, db: 3 },
    'an ACL user ("user:password@")': { url: () => `redis://${ACL_USER}:${encodeURIComponent(ACL_PASSWORD)}@localhost:${redis.port}/4`, db: 4 },
  };
  for (const [what, { url, db }] of Object.entries(cases)) {
    test(`${what}: the server authenticates, selects the database and keeps its revocations there`, async () => {
      const server = await startServer({ REDIS_URL: url() });
      try {
        const { client } = await registeredClient(server.url, 'redispw');
        const token = client.token;
        assert.equal((await client.post('/api/auth/logout')).status, 200);
        assert.equal(cli(db, 'EXISTS', `lsf:rev:t:${jtiOf(token)}`), '1', `the revocation is in database ${db}`);
        await expectError(await fetch(`${server.url}/api/user/data`, bearer(token)), 401, NOT_AUTHORIZED);
        assert.doesNotMatch(server.stderr(), /redis unavailable/);
        assert.ok(!server.stderr().includes(PASSWORD) && !server.stderr().includes(encodeURIComponent(PASSWORD)), 'no password on stderr');
      } finally {
        assert.equal(await server.close(), 0);
      }
    });
  }
});
