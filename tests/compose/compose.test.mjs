// deploy/compose.yaml run for real with podman-compose (stack.mjs): the image
// under test, PostgreSQL primary + streaming replica, Redis, three instances
// behind nginx, Prometheus, an OpenTelemetry collector (a stand-in that keeps
// what it is sent). One stack for the whole file, in this order:
// image and stack checks, a trace through nginx into the collector, the accounts and tasks API suites through nginx's
// published port, then under a bounded load (load.mjs) a kill -9 of one
// instance, a rolling update A -> B and a rollback B -> A, then stop, down
// and up (data kept), and down -v (volumes gone).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { Client, jsonBody, registeredClient } from '../support/client.mjs';
import { checkExportRequest } from '../support/otlp.mjs';
import { settle } from '../support/wait.mjs';
import { idempotencySupported, Load } from './load.mjs';
import {
  buildImageB, buildStandIns, check, container, IMAGE_A, IMAGE_B, inspect, INSTANCES, PROJECT, run, runApiSuites,
  Stack,
} from './stack.mjs';

// The suites that hold against a shared, running stack: each test uses its
// own accounts. Not here: ratelimit (it sets its own limits per server) and
// the files that probe one process (signals, sockets, its log files).
const API_SUITES = ['auth', 'user', 'otp', 'session', 'tasks_counters', 'tasks_crud', 'tasks_isolation', 'tasks_list', 'tasks_paging']
  .map((s) => `tests/api/${s}.test.mjs`);
// The plan's image: node:18-alpine, about 125 MB uncompressed before the app.
const NODE_18_ALPINE_BYTES = 125e6;

async function imageId(image) {
  return (await check('podman', ['image', 'inspect', '--format', '{{.Id}}', image])).stdout.trim();
}

// Every acknowledged create is one stored task with its title, and (with
// exact) nothing else was stored: a retried create never made a second task.
async function assertStored(load, { exact }) {
  for (const { worker, tasks } of await load.stored()) {
    const ids = new Set(tasks.map((t) => t._id));
    for (const [key, id] of worker.created) assert.ok(ids.has(id), `acknowledged task ${id} (key ${key}) is stored`);
    if (!exact) continue;
    const titles = tasks.map((t) => t.title).sort();
    assert.deepEqual(titles, [...new Set(titles)], 'no create stored twice');
    assert.equal(tasks.length, worker.created.size, `${worker.identity.email}: tasks stored = creates acknowledged`);
  }
}

describe('compose: deploy/compose.yaml with podman-compose', () => {
  let stack, idempotent;
  const loads = {};

  before(async () => {
    await buildStandIns();
    await buildImageB();
    stack = await Stack.create();
    await stack.destroy().catch(() => {}); // a stack left by an interrupted run
    stack = await Stack.create();
    await stack.up();
    await stack.waitHealthy();
    idempotent = await idempotencySupported(stack.url);
  });

  after(async () => {
    if (process.env.LSF_COMPOSE_KEEP) return console.log(`stack kept: ${stack?.url}, podman-compose -p ${PROJECT}`);
    await stack?.destroy();
  });

  test('the image: uid 10001, HEALTHCHECK `lsf-server healthcheck`, STOPSIGNAL SIGTERM, PATH, OCI labels, smaller than node:18-alpine', async () => {
    const [img] = JSON.parse((await check('podman', ['image', 'inspect', IMAGE_A])).stdout);
    assert.equal(img.Config.User, '10001:10001');
    assert.equal(img.Config.StopSignal, 'SIGTERM');
    assert.deepEqual(img.Config.Entrypoint, ['lsf-server']);
    assert.deepEqual(img.Config.Cmd, ['serve']);
    assert.ok(img.Config.Env.includes('PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'), img.Config.Env.join(' '));
    assert.deepEqual(Object.keys(img.Config.Volumes ?? {}), ['/data']);
    // kept only in the docker format (podman build --format docker)
    assert.deepEqual(img.Healthcheck?.Test, ['CMD', 'lsf-server', 'healthcheck']);
    const labels = img.Config.Labels;
    assert.match(labels['org.opencontainers.image.version'], /^\d+\.\d+\.\d+/);
    assert.match(labels['org.opencontainers.image.revision'], /^[0-9a-f]{40}$|^unknown$/);
    assert.ok(labels['org.opencontainers.image.source'], 'source label');
    assert.ok(img.Size < NODE_18_ALPINE_BYTES, `image is ${img.Size} bytes`);
  });

  test('the instances run as uid 10001 on a read-only root filesystem, on PostgreSQL (+ replica) and Redis', async () => {
    for (const s of INSTANCES) {
      const c = container(s);
      assert.equal((await check('podman', ['exec', c, 'id', '-u'])).stdout.trim(), '10001');
      assert.equal(await inspect(c, '{{.HostConfig.ReadonlyRootfs}}'), 'true');
      const write = await run('podman', ['exec', c, 'sh', '-c', 'echo x > /usr/probe']);
      assert.notEqual(write.code, 0);
      assert.match(write.stderr, /Read-only file system/);
      const logs = await run('podman', ['logs', c]);
      assert.match(logs.stderr, /"msg":"kv backend ready","backend":"redis","host":"redis"/);
    }
    assert.ok(Number(await stack.psql('postgres', 'SELECT count(*) FROM schema_migrations')) >= 2);
    assert.equal(await stack.psql('postgres-replica', 'SELECT pg_is_in_recovery()'), 't');
    // a create through nginx is a row on the primary and streams to the replica
    const { client, identity } = await registeredClient(stack.url, 'rows');
    assert.equal((await client.post('/api/tasks', { title: 'on postgres' })).status, 201);
    const sql = `SELECT count(*) FROM tasks t JOIN users u ON u.id = t.user_id WHERE u.email = '${identity.email}'`;
    assert.equal(await stack.psql('postgres', sql), '1');
    assert.equal(await settle(() => stack.psql('postgres-replica', sql), (n) => n === '1'), '1');
  });

  test('Prometheus scrapes every instance', async () => {
    const targets = await settle(async () => {
      const res = await fetch(`http://127.0.0.1:${stack.prometheusPort}/api/v1/targets?state=active`);
      return (await res.json()).data.activeTargets.map((t) => `${t.labels.instance} ${t.health}`).sort();
    }, (t) => t.length === 3 && t.every((s) => s.endsWith(' up')), { timeoutMs: 60000, intervalMs: 1000 });
    assert.deepEqual(targets, ['lsf-1:9464 up', 'lsf-2:9464 up', 'lsf-3:9464 up']);
  });

  // deploy/compose.tracing.yaml: the instances export to otel-collector:4318
  // (here the stand-in of deploy/test-images, whose GET /spans answers each
  // export request it took as one line).
  test("tracing: a create through nginx with a sampled traceparent reaches the collector in the client's trace, with its SQL", async () => {
    const { client } = await registeredClient(stack.url, 'traced');
    const traceId = randomBytes(16).toString('hex');
    const parent = randomBytes(8).toString('hex');
    const res = await client.post('/api/tasks', { title: 'traced' }, { headers: { traceparent: `00-${traceId}-${parent}-01` } });
    assert.equal(res.status, 201);
    const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(res.headers.get('traceparent') ?? '');
    assert.ok(m, `traceparent answer header: ${res.headers.get('traceparent')}`);
    assert.equal(m[1], traceId);
    const serverSpanId = m[2];
    const isPostgres = (s) => (s.attributes ?? []).some((a) => a.key === 'db.system.name' && a.value.stringValue === 'postgresql');
    // the exporter sends at least every OTEL_BSP_SCHEDULE_DELAY (5 s)
    const spans = await settle(async () => {
      const text = await (await fetch(`http://127.0.0.1:${stack.otelPort}/spans`)).text();
      const found = [];
      for (const line of text.split('\n').filter(Boolean)) {
        const body = JSON.parse(line);
        checkExportRequest(body);
        for (const rs of body.resourceSpans) {
          const resource = Object.fromEntries(rs.resource.attributes.map((a) => [a.key, a.value.stringValue]));
          for (const ss of rs.scopeSpans) for (const s of ss.spans) if (s.traceId === traceId) found.push({ ...s, resource });
        }
      }
      return found;
    }, (found) => found.some((s) => s.spanId === serverSpanId) && found.some(isPostgres),
    { timeoutMs: 60000, intervalMs: 1000 });
    const server = spans.find((s) => s.spanId === serverSpanId);
    assert.ok(server, `the server span ${serverSpanId} among ${spans.length} spans of the trace`);
    assert.equal(server.name, 'POST /api/tasks');
    assert.equal(server.kind, 2, 'SPAN_KIND_SERVER');
    assert.equal(server.parentSpanId, parent, "the client's span is the parent");
    assert.equal(server.resource['service.name'], 'lsf-tasks');
    assert.ok(INSTANCES.includes(server.resource['service.instance.id']), `service.instance.id ${server.resource['service.instance.id']}`);
    const sql = spans.filter(isPostgres);
    assert.ok(sql.length > 0, `a PostgreSQL statement span in the trace: ${spans.map((s) => s.name).join(', ')}`);
    for (const s of spans) assert.equal(s.resource['service.instance.id'], server.resource['service.instance.id'], `${s.name}: one instance`);
  });

  test('the backup service: a checked, 0600 backup of the primary in the lsf-backups volume', async () => {
    const c = container('backup');
    const list = 'ls -ln /data | grep -E "lsf-[0-9]{8}T[0-9]{6}Z\\.lsfbak$" || true';
    const files = await settle(async () => (await check('podman', ['exec', c, 'sh', '-c', list])).stdout.trim(),
      (out) => out !== '', { timeoutMs: 120000, intervalMs: 2000 });
    const [line] = files.split('\n');
    assert.match(line, /^-rw------- 1 10001 10001 /);
    const file = `/data/${line.split(' ').pop()}`;
    const r = await check('podman', ['exec', c, 'lsf-server', 'restore', '--check', file]);
    assert.match(r.stdout, /^checked .*postgres/m);
  });

  test('the accounts and tasks API suites pass through nginx', async (t) => {
    const { code, output } = await runApiSuites(stack, API_SUITES);
    const count = (what) => Number(new RegExp(`^ℹ ${what} (\\d+)$`, 'm').exec(output)?.[1] ?? -1);
    t.diagnostic(`API suites through nginx: ${count('pass')} passed, ${count('fail')} failed, ${count('skipped')} skipped`);
    assert.equal(code, 0, output.slice(-20000));
    assert.equal(count('fail'), 0);
    assert.ok(count('pass') >= API_SUITES.length, `${count('pass')} tests passed`);
  });

  test('kill -9 of one instance under load: no GET fails; every acknowledged create is stored', async (t) => {
    const load = (loads.kill = new Load(stack.url, 'kill'));
    await load.start();
    await load.progress(25, 2000);
    const c = container('lsf-2');
    const pid = Number(await inspect(c, '{{.State.Pid}}'));
    process.kill(pid, 'SIGKILL'); // a crash, not `podman stop`: the restart policy brings it back
    await load.progress(25, 5000);
    await settle(() => inspect(c, '{{.RestartCount}}'), (n) => Number(n) >= 1, { timeoutMs: 60000, intervalMs: 500 });
    await settle(async () => (await run('podman', ['healthcheck', 'run', c])).code, (code) => code === 0,
      { timeoutMs: 120000, intervalMs: 1000 });
    await load.progress(25, 3000);
    await stack.reloadNginx(); // its new address
    await load.progress(25, 3000);
    await load.stop();
    t.diagnostic(`kill -9: ${load.summary()}`);
    assert.ok(Number(await inspect(c, '{{.RestartCount}}')) >= 1, 'restarted by its restart policy');
    assert.deepEqual(load.failures.filter((f) => f.method === 'GET'), []);
    assert.deepEqual(load.unacknowledged, [], 'every create got its 201 within its retries');
    await assertStored(load, { exact: false });
  });

  // Idempotency-Key on POST /api/tasks: a create that committed on the killed
  // instance but lost its answer is answered again, not made again, when the
  // client retries it with its key.
  test('kill -9: a create retried with its Idempotency-Key is never stored twice', async () => {
    assert.ok(idempotent, 'POST /api/tasks honours Idempotency-Key (a second send answers the first task, replayed)');
    await assertStored(loads.kill, { exact: true });
  });

  for (const [name, from, to] of [['rolling update A -> B', () => IMAGE_A, () => IMAGE_B], ['rollback B -> A', () => IMAGE_B, () => IMAGE_A]]) {
    test(`${name} under load: no request fails, every create is stored once`, async (t) => {
      for (const s of INSTANCES) assert.equal(await inspect(container(s), '{{.Image}}'), await imageId(from()));
      const load = (loads[name] = new Load(stack.url, name.split(' ')[0]));
      await load.start();
      await load.progress(25, 2000);
      await stack.rollout(to());
      await load.progress(25, 2000);
      await load.stop();
      t.diagnostic(`${name}: ${load.summary()}`);
      assert.deepEqual(load.failures, []);
      assert.deepEqual(load.unacknowledged, []);
      await assertStored(load, { exact: true });
      for (const s of INSTANCES) assert.equal(await inspect(container(s), '{{.Image}}'), await imageId(to()), `${s} runs ${to()}`);
    });
  }

  test('stop: every instance exits 0 on SIGTERM; down then up keeps every account and task', async () => {
    const load = loads['rollback B -> A'];
    const before = (await load.stored()).map(({ worker, tasks }) => ({ identity: worker.identity, ids: tasks.map((t) => t._id).sort() }));
    assert.deepEqual(await stack.stopInstances(), { 'lsf-1': 0, 'lsf-2': 0, 'lsf-3': 0 });
    await stack.down();
    assert.equal((await stack.volumes()).length, 6, 'the named volumes outlive down');
    await stack.up();
    await stack.waitHealthy();
    for (const { identity, ids } of before) {
      const client = new Client(stack.url);
      assert.equal((await client.login(identity)).status, 200, `${identity.email} logs in after down/up`);
      const res = await client.get('/api/tasks?limit=100');
      const body = await jsonBody(res);
      assert.equal(body.pagination.totalTasks, ids.length);
    }
  });

  test('down -v removes every volume', async () => {
    await stack.down({ volumes: true });
    assert.deepEqual(await stack.volumes(), []);
  });
});
