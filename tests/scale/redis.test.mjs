// With REDIS_URL (a throwaway redis-server), a logout on one instance
// revokes the token on every other instance at once, and the instances use
// that redis-server (they are connected to it). Skipped when redis-server is
// not installed (a failure in CI); an instance that does not start with
// REDIS_URL, or never connects to Redis, is a failure.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';

import { Client, registeredClient } from '../support/client.mjs';
import { Cluster, needs, startRedis, tempDir } from './support.mjs';

// Clients other than ourselves connected to the redis-server.
function redisClients(port) {
  const info = execFileSync('redis-cli', ['-p', String(port), 'info', 'clients'], { encoding: 'utf8' });
  return Number(/connected_clients:(\d+)/.exec(info)[1]) - 1;
}

describe('REDIS_URL: revocations shared by all instances', { skip: needs.redis() }, () => {
  let cluster, redis;
  before(async () => {
    cluster = await Cluster.create();
    redis = cluster.own(await startRedis(await tempDir('redis', cluster.dir)));
    cluster.env.REDIS_URL = redis.url;
    await cluster.add('a');
    await cluster.add('b');
  });
  after(async () => {
    await cluster.close();
  });

  test('a logout on a revokes the token on b', async () => {
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
    assert.ok(redisClients(redis.port) > 0, 'the instances are connected to the redis-server of REDIS_URL');
    const after = await onB();
    assert.equal(after.status, 401, 'the token revoked on a is refused by b');
    await after.arrayBuffer();
    const fresh = new Client(b.url);
    fresh.jar.set('token', token);
    assert.equal((await fresh.get('/api/tasks')).status, 401);
  });
});
