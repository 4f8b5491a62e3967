// Task writes under concurrency, the group-commit path on SQLite
// (src/http/writer.c): clients that hang up while their write waits for its
// batch leave the server running and their writes whole, and a kill -9
// under write load loses no acknowledged creation. Under `make asan-test`
// (or LSF_BIN pointing at build/asan/lsf-server) the first test is the
// scenario of the use-after-free that took group commit out in 6d7cb15.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';

import { jsonBody } from '../support/client.mjs';
import { postgres, startServer } from '../support/server.mjs';
import { createTask, signedIn } from '../support/tasks.mjs';

// Write a request on a fresh connection and hang up at once, without
// reading; resolves once the socket is closed.
function sendAndHangUp(port, bytes) {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    sock.on('error', () => {});
    sock.on('close', resolve);
    sock.on('connect', () => sock.end(bytes, () => sock.destroy()));
  });
}

function rawRequest(method, path, token, json) {
  const body = json === undefined ? '' : JSON.stringify(json);
  return `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: token=${token}\r\n` +
    (json === undefined ? '' : 'Content-Type: application/json\r\n') +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

describe('tasks: writes in group commit', () => {
  let server;
  let client;
  before(async () => {
    server = await startServer();
    client = await signedIn(server, 'group');
  });
  after(async () => {
    assert.equal(await server.close(), 0, `lsf-server did not exit 0 on SIGTERM:\n${server.stderr()}`);
    assert.doesNotMatch(server.stderr(), /"level":"error"/);
  });

  test('clients hanging up while their writes wait: the server carries on, each write whole', async () => {
    const port = Number(new URL(server.url).port);
    const token = client.token;
    const victims = [];
    for (let i = 0; i < 16; i++) victims.push((await createTask(client, { title: `victim ${i}` }))._id);
    const titles = new Set();
    for (let round = 0; round < 6; round++) {
      const sends = [];
      for (let i = 0; i < 48; i++) {
        const title = `hung up ${round}-${i}`;
        titles.add(title);
        sends.push(sendAndHangUp(port, rawRequest('POST', '/api/tasks', token, { title })));
      }
      for (let i = 0; i < 16; i++) {
        const id = victims[i];
        sends.push(sendAndHangUp(port, round % 2 === 0
          ? rawRequest('PATCH', `/api/tasks/${id}`, token, { title: `victim ${i} round ${round}` })
          : rawRequest('PUT', `/api/tasks/${id}`, token, { priority: 'high' })));
      }
      await Promise.all(sends);
    }
    // a write of the same client after all that is answered as usual
    const last = await createTask(client, { title: 'after the hang-ups' });
    assert.equal(last.title, 'after the hang-ups');

    // every creation that happened happened once, with its own title
    const res = await client.get('/api/tasks?limit=100&page=1&sort=createdAt');
    const first = await jsonBody(res);
    assert.equal(res.status, 200);
    const all = [];
    for (let page = 1; page <= first.pagination.totalPages; page++) {
      const body = await jsonBody(await client.get(`/api/tasks?limit=100&page=${page}&sort=createdAt`));
      all.push(...body.tasks);
    }
    const hung = all.filter((t) => t.title.startsWith('hung up '));
    assert.ok(hung.length <= titles.size, `${hung.length} creations from ${titles.size} requests`);
    assert.equal(new Set(hung.map((t) => t.title)).size, hung.length, 'no creation twice');
    for (const t of hung) assert.ok(titles.has(t.title), `unexpected title ${t.title}`);
    // every victim still reads back whole: its title is one the requests wrote
    for (let i = 0; i < 16; i++) {
      const v = all.find((t) => t._id === victims[i]);
      assert.ok(v, `victim ${i} is still there`);
      assert.match(v.title, new RegExp(`^victim ${i}( round \\d)?$`));
    }
    server.checkSanitizers();
  });

  test('a task write waiting for the SQLite lock holds up no event loop', { skip: postgres && 'SQLite only' }, async () => {
    // one loop: before group commit, the write held it until the lock came (busy timeout: 5 s)
    const one = await startServer({ HTTP_THREADS: '1' });
    try {
      const c = await signedIn(one, 'group-lock');
      const { session } = await import('../support/db.mjs');
      const other = session(one);
      await other.run('BEGIN IMMEDIATE;');
      let writeDone = false;
      const write = c.post('/api/tasks', { title: 'waits for the lock' }).then(async (res) => {
        writeDone = true;
        return { status: res.status, body: await res.text() };
      });
      try {
        // reads are answered while the write waits for the lock
        for (let i = 0; i < 5; i++) {
          const res = await c.get('/api/tasks');
          assert.equal(res.status, 200, await res.text());
          await res.arrayBuffer().catch(() => {});
        }
        assert.equal(writeDone, false, 'the write waited for the lock');
      } finally {
        await other.run('COMMIT;');
        await other.close();
      }
      const w = await write;
      assert.equal(w.status, 201, w.body);
    } finally {
      assert.equal(await one.close(), 0, `lsf-server did not exit 0 on SIGTERM:\n${one.stderr()}`);
    }
  });

  test('kill -9 under write load: every acknowledged creation is there after a restart', async () => {
    const acked = [];
    let failed = 0, sent = 0, killed = false, killNow;
    const killTime = new Promise((resolve) => (killNow = resolve));
    const base = server.url;
    const cookie = `token=${client.token}`;
    const worker = async (w) => {
      for (let n = 0; !killed && sent < 2000; n++) {
        sent++;
        try {
          const res = await fetch(`${base}/api/tasks`, {
            method: 'POST',
            headers: { cookie, 'content-type': 'application/json' },
            body: JSON.stringify({ title: `load ${w}-${n}` }),
          });
          const text = await res.text();
          if (res.status === 201) {
            acked.push(JSON.parse(text).task._id);
            if (acked.length === 200) killNow();
          } else {
            failed++;
          }
        } catch {
          failed++; // the kill: no answer, nothing acknowledged
        }
      }
    };
    const load = Promise.all(Array.from({ length: 16 }, (_, w) => worker(w)));
    await Promise.race([killTime, load]);
    const proc = server.proc;
    proc.kill('SIGKILL');
    killed = true;
    assert.equal(await server.exited, 'SIGKILL');
    await load;
    server.checkSanitizers();
    server.proc = null;
    await server.start(); // the same data directory and database

    assert.ok(acked.length >= 200, `${acked.length} creations acknowledged before the kill`);
    const missing = [];
    for (const id of acked) {
      const res = await fetch(`${server.url}/api/tasks/${id}`, { headers: { cookie } }); // a new port
      await res.arrayBuffer();
      if (res.status !== 200) missing.push(`${id}: ${res.status}`);
    }
    assert.deepEqual(missing, [], `${missing.length} of ${acked.length} acknowledged creations are missing`);
  });
});
