// With REDIS_URL (a throwaway redis-server), a logout on one instance
// revokes the token on every other instance at once. Skipped when
// redis-server is not installed, or when lsf-server does not use REDIS_URL
// yet (it never connects to the redis-server it was given).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';

import { Client, registeredClient } from '../support/client.mjs';
import { Cluster, REDIS_BIN, startRedis, tempDir } from './support.mjs';

// Clients other than ourselves connected to the redis-server.
function redisClients(port) {
  const info = execFileSync('redis-cli', ['-p', String(port), 'info', 'clients'], { encoding: 'utf8' });
  return Number(/connected_clients:(\d+)/.exec(info)[1]) - 1;
}

describe('REDIS_URL: revocations shared by all instances', { skip: !REDIS_BIN && 'redis-server is not installed' }, () => {
  let cluster, redis, startError;
  before(async () => {
    cluster = await Cluster.create();
    redis = cluster.own(await startRedis(await tempDir('redis', cluster.dir)));
    cluster.env.REDIS_URL = redis.url;
    try {
      await cluster.add('a');
      await cluster.add('b');
    } catch (err) {
      startError = err;
    }
  });
  after(async () => {
    await cluster.close();
  });

  test('a logout on a revokes the token on b', async (t) => {
    if (startError) return t.skip(`lsf-server does not start with REDIS_URL: ${startError.message.split('\n')[0]}`);
    const [a, b] = cluster.instances;
    const { client } = await registeredClient(a.url, 'redis');
    const token = client.token;
    const onB = () => fetch(`${b.url}/api/user/data`, { headers: { cookie: `token=${token}` } });
    const before = await onB();
    assert.equal(before.status, 200);
    await before.arrayBuffer();
    const out = await client.post('/api/auth/logout');
    assert.equal(out.status, 200);
    await out.arrayBuffer();
    if (redisClients(redis.port) === 0) return t.skip('lsf-server does not use REDIS_URL yet: it never connected to redis-server');
    const after = await onB();
    assert.equal(after.status, 401, 'the token revoked on a is refused by b');
    await after.arrayBuffer();
    const fresh = new Client(b.url);
    fresh.jar.set('token', token);
    assert.equal((await fresh.get('/api/tasks')).status, 401);
  });
});
