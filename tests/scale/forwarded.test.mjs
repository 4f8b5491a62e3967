// X-Forwarded-For through deploy/nginx/lb.conf: lsf-server (TRUST_PROXY =
// nginx's address) keys its rate limit by the real client, and a client
// cannot pick its bucket by sending its own X-Forwarded-For, not even one
// whose address lies in TRUST_PROXY (nginx replaces the header instead of
// appending to it). Clients are told apart by their loopback source
// address: 127.0.0.2 and 127.0.0.3 are two machines to nginx.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { settle } from '../support/wait.mjs';
import { Cluster, freePort, fromAddress, needs, Nginx, tempDir } from './support.mjs';

const LIMIT = 3;

for (const trust of ['127.0.0.1', 'loopback']) {
  describe(`X-Forwarded-For via lb.conf, TRUST_PROXY=${trust}`, { skip: needs.nginx() }, () => {
    let cluster, base, inst;
    before(async () => {
      cluster = await Cluster.create({
        RATE_LIMIT: 'on', RATE_LIMIT_MAX: String(LIMIT), RATE_LIMIT_WINDOW_MS: '600000', TRUST_PROXY: trust,
      });
      inst = await cluster.add('only');
      const port = await freePort();
      cluster.own(await Nginx.start('lb.conf', {
        'app-servers.conf': `${inst.upstreamLine}\n`,
        'listen.conf': `listen 127.0.0.1:${port};\n`,
      }, await tempDir('nginx', cluster.dir)));
      base = `http://127.0.0.1:${port}`;
    });
    after(async () => {
      assert.deepEqual(await cluster.close(), { only: 0 });
    });

    test('the bucket is the client\'s address, whatever X-Forwarded-For it sends', async () => {
      const statuses = [];
      for (let i = 0; i < LIMIT + 2; i++) {
        // a new forged address each time: were any believed, no bucket would fill
        const res = await fromAddress('127.0.0.2', `${base}/api/tasks`, { headers: { 'x-forwarded-for': `198.51.100.${i + 1}` } });
        statuses.push(res.status);
      }
      assert.deepEqual(statuses, [...Array(LIMIT).fill(401), 429, 429], 'forged X-Forwarded-For values share one bucket');
      const other = await fromAddress('127.0.0.3', `${base}/api/tasks`, { headers: { 'x-forwarded-for': '127.0.0.2' } });
      assert.equal(other.status, 401, 'another client has its own bucket and cannot claim someone else\'s');
      const again = await fromAddress('127.0.0.3', `${base}/api/tasks`);
      assert.equal(again.status, 401);

      const made = LIMIT + 4;
      const log = await settle(() => inst.accessLog(), (l) => l.split('\n').filter((x) => x.includes('/api/tasks')).length >= made);
      const clients = new Set(log.split('\n').filter((l) => l.includes('/api/tasks')).map((l) => l.split(' ')[0]));
      assert.deepEqual([...clients].sort(), ['127.0.0.2', '127.0.0.3'], 'lsf-server logs the real clients');
    });
  });
}
