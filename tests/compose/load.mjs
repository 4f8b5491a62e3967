// A bounded load on the Compose stack through nginx: WORKERS clients, each
// with its own account, loop GET /api/tasks and POST /api/tasks (every create
// with an Idempotency-Key) until stop(), at most MAX_REQUESTS requests each
// or MAX_MS, with a short pause between requests (the machine is shared with
// the stack). What a client does on a failed create is what a real client
// should: send it again with the same key, until it gets its 201.
//   - A request that fails is recorded with its method, status or error
//     (first attempts only: a retry is the client's recovery, not a success
//     of the first request).
//   - A connection that closes before any answer (nginx's reload closes idle
//     keep-alive connections) is sent again at once, at most twice, as
//     browsers do; counted as `resent`, not as a failure (tests/scale/rolling
//     does the same).
//   - created: key -> task id of the 201 that acknowledged it (the first 201
//     for that key, replayed or not).
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import { jsonBody, registeredClient } from '../support/client.mjs';

const WORKERS = 4;
const MAX_REQUESTS = 20000; // per worker
const MAX_MS = 10 * 60 * 1000;
const PAUSE_MS = 5; // between two requests of one worker
const REQUEST_TIMEOUT_MS = 20000; // above nginx's proxy_next_upstream_timeout (10 s)
// A create is sent again until it gets its 201, for this long: past the
// minute after which a key held by a crashed instance is free again (409 until
// then: README, "Safe retries").
const CREATE_RETRY_MS = 90000;
const CLOSED_BEFORE_ANSWER = ['UND_ERR_SOCKET', 'ECONNRESET'];

export class Load {
  constructor(baseUrl, tag) {
    this.baseUrl = baseUrl;
    this.tag = tag;
    this.workers = [];
    this.running = false;
    this.failures = []; // {method, what}
    this.gets = 0;
    this.posts = 0;
    this.resent = 0;
    this.retried = 0; // creates sent again with their key after a failure
    this.replayed = 0; // 201s with Idempotent-Replayed: true
    this.unacknowledged = []; // keys that never got a 201
  }

  // Register the accounts and start the loops.
  async start() {
    for (let w = 0; w < WORKERS; w++) {
      const { client, identity } = await registeredClient(this.baseUrl, `${this.tag}${w}`);
      this.workers.push({ client, identity, created: new Map() });
    }
    this.running = true;
    const deadline = Date.now() + MAX_MS;
    for (const worker of this.workers) {
      worker.done = (async () => {
        for (let i = 0; this.running && i < MAX_REQUESTS && Date.now() < deadline; i++) {
          if (i % 2 === 0) await this.read(worker);
          else await this.create(worker);
          await sleep(PAUSE_MS);
        }
      })();
    }
  }

  // Resolves once the workers have made n more requests each (on average),
  // and at least ms have passed.
  async progress(n, ms = 0) {
    const target = this.gets + this.posts + n * WORKERS;
    const until = Date.now() + ms;
    while (this.running && (this.gets + this.posts < target || Date.now() < until)) await sleep(50);
  }

  async stop() {
    this.running = false;
    await Promise.all(this.workers.map((w) => w.done));
  }

  get created() {
    return this.workers.reduce((n, w) => n + w.created.size, 0);
  }

  // One request, sent again (at most twice) when the connection closed before any answer.
  async send(client, method, path, json, headers = {}) {
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await client.request(method, path, { json, headers, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
        return { res, text: await res.text() };
      } catch (err) {
        if (!CLOSED_BEFORE_ANSWER.includes(err.cause?.code) || attempt === 3) return { error: err.cause?.code || err.name || err.message };
        this.resent++;
      }
    }
  }

  async read(worker) {
    this.gets++;
    const { res, text, error } = await this.send(worker.client, 'GET', '/api/tasks?limit=5');
    if (error || res.status !== 200) this.failures.push({ method: 'GET', what: error ?? `${res.status} ${text.slice(0, 100)}` });
  }

  async create(worker) {
    this.posts++;
    const key = randomUUID();
    const title = `${this.tag} ${key}`;
    const deadline = Date.now() + CREATE_RETRY_MS;
    for (let attempt = 0; attempt === 0 || Date.now() < deadline; attempt++) {
      if (attempt > 0) {
        this.retried++;
        await sleep(Math.min(200 * attempt, 2000));
      }
      const { res, text, error } = await this.send(worker.client, 'POST', '/api/tasks', { title }, { 'idempotency-key': key });
      if (!error && res.status === 201) {
        if (res.headers.get('idempotent-replayed') === 'true') this.replayed++;
        worker.created.set(key, JSON.parse(text).task._id);
        return;
      }
      if (attempt === 0) this.failures.push({ method: 'POST', what: error ?? `${res.status} ${text.slice(0, 100)}` });
      // 409: the first request with this key is still being answered; any other 4xx will not change
      if (!error && res.status < 500 && res.status !== 409) break;
    }
    this.unacknowledged.push(key);
  }

  // Every task of every worker's account, through the API: [{worker, tasks}].
  async stored() {
    const out = [];
    for (const worker of this.workers) {
      const tasks = [];
      for (let cursor = null; ;) {
        const res = await worker.client.get(`/api/tasks?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        const body = await jsonBody(res);
        if (res.status !== 200) throw new Error(`GET /api/tasks: ${res.status} ${JSON.stringify(body)}`);
        tasks.push(...body.tasks);
        cursor = body.pagination.nextCursor;
        if (!cursor) break;
      }
      out.push({ worker, tasks });
    }
    return out;
  }

  summary() {
    return `${this.gets} GET, ${this.posts} POST (${this.created} acknowledged, ${this.replayed} replayed), ` +
      `${this.failures.length} failed, ${this.retried} create retries, ${this.resent} resent`;
  }
}

// Whether POST /api/tasks honours Idempotency-Key: the same create sent
// twice with one key answers the first task again, marked replayed.
export async function idempotencySupported(baseUrl) {
  const { client } = await registeredClient(baseUrl, 'idem-probe');
  const key = randomUUID();
  const first = await client.post('/api/tasks', { title: 'probe' }, { headers: { 'idempotency-key': key } });
  const second = await client.post('/api/tasks', { title: 'probe' }, { headers: { 'idempotency-key': key } });
  const [a, b] = [await jsonBody(first), await jsonBody(second)];
  return first.status === 201 && second.status === 201 && second.headers.get('idempotent-replayed') === 'true' &&
    a.task._id === b.task._id;
}
