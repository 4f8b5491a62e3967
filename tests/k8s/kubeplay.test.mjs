// deploy/k8s/overlays/local run for real with podman 4.3's `podman kube play`:
// the image under test (LSF_IMAGE, from `make image`), PostgreSQL and Redis
// from the Debian-built stand-ins of deploy/test-images (no registry here),
// three Deployments with their PersistentVolumeClaims, the migrations as an
// init container. The overlay is wrapped in build/k8s-test/ by a kustomization
// that only renames (namePrefix k8s-test-, so a local deployment of the same
// overlay is never touched), points the images at the stand-ins and publishes
// lsf-server on a free loopback port. Then: the pods come up and become ready,
// the containers run with the manifests' user, read-only root, capabilities
// and limits, the API works on PostgreSQL and Redis, and a kill -9 of the
// server process is undone by the pod's restart policy with no data lost.
import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { stringify } from 'yaml';

import { freePort } from '../support/server.mjs';
import { accountAndTasks, loginAndList } from './basics.mjs';
import { find, kubectl, parseStream, podSpec, ROOT, run, schemaErrors } from './k8s.mjs';

const PREFIX = 'k8s-test-';
const NETWORK = 'lsf-k8s-test';
const DIR = path.join(ROOT, 'build/k8s-test');
// a short name is podman's localhost/ one
const LSF_IMAGE = (process.env.LSF_IMAGE || 'lsf-server:latest').replace(/^([^/]+)$/, 'localhost/$1');
const STAND_IN = { postgres: 'localhost/lsf-test/postgres', redis: 'localhost/lsf-test/redis' };
const POD = (deployment) => `${PREFIX}${deployment}-pod-0`; // podman's name for a Deployment's pod
const CONTAINER = (deployment, name) => `${POD(deployment)}-${name}`;
const SERVER = CONTAINER('lsf-server', 'lsf-server');
const PVCS = [`${PREFIX}lsf-postgres-data`, `${PREFIX}lsf-redis-data`];

const podman = (args) => run('podman', args);
const tryPodman = (args) => run('podman', args).catch(() => '');

async function inspect(name) {
  return JSON.parse(await podman(['inspect', name]))[0];
}

// Until GET url answers 200: at most timeoutMs; resolves the body.
async function waitOk(url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      const text = await res.text();
      if (res.status === 200) return JSON.parse(text);
      last = `${res.status} ${text}`;
    } catch (err) {
      last = err.message;
    }
    await sleep(250);
  }
  throw new Error(`${url} not 200 within ${timeoutMs} ms: ${last}`);
}

// The overlay wrapped for this test: renamed, stand-in images, a free port;
// two empty Secrets only so kustomize prefixes the references to them
// (they are removed from what kube play gets: podman 4.3 would store them as
// YAML it cannot read back; scripts/k8s-secrets.sh makes the real ones).
async function playManifest(port) {
  await mkdir(DIR, { recursive: true });
  await writeFile(path.join(DIR, 'kustomization.yaml'), `# written by tests/k8s/kubeplay.test.mjs
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../deploy/k8s/overlays/local
  - secrets.yaml
namePrefix: ${PREFIX}
namespace: lsf-k8s-test
images:
  - name: localhost/lsf-server
    newName: ${LSF_IMAGE.split(':')[0]}
    newTag: "${LSF_IMAGE.split(':')[1] ?? 'latest'}"
  - name: postgres
    newName: ${STAND_IN.postgres}
    newTag: latest
  - name: redis
    newName: ${STAND_IN.redis}
    newTag: latest
patches:
  - target:
      kind: Deployment
      name: lsf-server
    patch: |-
      - op: replace
        path: /spec/template/spec/containers/0/ports/0/hostPort
        value: ${port}
`);
  await writeFile(path.join(DIR, 'secrets.yaml'), ['lsf-secrets', 'lsf-postgres']
    .map((n) => `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${n}\n`).join('---\n'));
  const objects = parseStream(await run(kubectl(), ['kustomize', DIR]));
  const played = objects.filter((o) => o.kind !== 'Secret');
  for (const o of played) assert.deepEqual(await schemaErrors(o), [], `${o.kind}/${o.metadata.name}`);
  return played;
}

async function teardown() {
  const file = path.join(DIR, 'play.yaml');
  await tryPodman(['kube', 'down', file]);
  for (const d of ['lsf-server', 'lsf-postgres', 'lsf-redis']) await tryPodman(['pod', 'rm', '-f', POD(d)]);
  for (const v of PVCS) await tryPodman(['volume', 'rm', v]);
  for (const s of ['lsf-secrets', 'lsf-postgres']) await tryPodman(['secret', 'rm', `${PREFIX}${s}`]);
  await tryPodman(['network', 'rm', NETWORK]);
}

// The stand-ins' images (cached layers after the first build), as compose-test builds them.
async function buildStandIns() {
  for (const [target, name] of Object.entries(STAND_IN))
    await podman(['build', '--quiet', '--format', 'docker', '--pull=never', '--target', target, '-t', `${name}:latest`, 'deploy/test-images']);
}

describe('podman kube play of deploy/k8s/overlays/local', () => {
  let url, objects, played = false;

  before(async () => {
    await buildStandIns();
    await teardown(); // what an interrupted run left
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    objects = await playManifest(port);
    await writeFile(path.join(DIR, 'play.yaml'), objects.map((o) => stringify(o)).join('---\n'));
    await podman(['network', 'create', NETWORK]);
    await run('scripts/k8s-secrets.sh', ['podman', PREFIX]);
    played = true;
    // returns once every pod is started, lsf-server's after its init container exited 0
    await podman(['kube', 'play', '--network', NETWORK, path.join(DIR, 'play.yaml')]);
  });

  after(async () => {
    if (process.env.LSF_K8S_KEEP) return console.log(`pods kept: ${url}; podman kube down ${path.join(DIR, 'play.yaml')}`);
    if (played) await teardown();
  });

  test('the pods start and lsf-server becomes ready on PostgreSQL, after its migration init container', async () => {
    const health = await waitOk(`${url}/health`, 60000);
    assert.equal(health.status, 'healthy');
    assert.deepEqual(health.services, { database: true });
    assert.deepEqual(await waitOk(`${url}/health/ready`, 10000), { ready: true });
    for (const d of ['lsf-postgres', 'lsf-redis', 'lsf-server'])
      assert.equal((await inspect(POD(d))).State, 'Running', `${POD(d)}`);
    // the init container ran once and was removed; the migrations are recorded
    const exists = await podman(['container', 'exists', CONTAINER('lsf-server', 'migrate')]).then(() => true, () => false);
    assert.equal(exists, false, 'the init container is gone');
    const versions = await podman(['exec', CONTAINER('lsf-postgres', 'postgres'), 'psql', '-X', '-At', '-U', 'lsf', '-d', 'lsf',
      '-c', 'SELECT version FROM schema_migrations ORDER BY version']);
    const files = (await readdir(path.join(ROOT, 'src/store/migrations/postgres'))).filter((f) => f.endsWith('.sql'));
    assert.ok(files.length >= 4, files.join(' '));
    assert.deepEqual(versions.trim().split('\n'), files.sort().map((f) => String(Number(f.slice(0, 4)))), 'every migration of this tree');
  });

  test('the containers run as the manifests say: user, read-only root, no capabilities, no new privileges, limits', async () => {
    const want = {
      'lsf-server': { user: '10001:10001', memory: 256 * 2 ** 20, cpus: 1 },
      'lsf-postgres': { user: '999:999', memory: 512 * 2 ** 20, cpus: 1 },
      'lsf-redis': { user: '999:999', memory: 256 * 2 ** 20, cpus: 0.5 },
    };
    for (const [d, w] of Object.entries(want)) {
      const spec = podSpec(find(objects, 'Deployment', `${PREFIX}${d}`)).containers[0];
      const c = await inspect(CONTAINER(d, spec.name));
      assert.equal(c.Config.User, w.user, d);
      assert.equal(c.HostConfig.ReadonlyRootfs, true, d);
      assert.deepEqual(c.EffectiveCaps ?? [], [], d);
      assert.ok(c.HostConfig.SecurityOpt.includes('no-new-privileges'), `${d}: ${c.HostConfig.SecurityOpt}`);
      assert.equal(c.HostConfig.Memory, w.memory, d);
      assert.equal(c.HostConfig.CpuQuota / c.HostConfig.CpuPeriod, w.cpus, d);
    }
  });

  test('serves the API: accounts and tasks on PostgreSQL, sessions and caches in Redis', async () => {
    const { tasks } = await accountAndTasks(url, 'kubeplay');
    const rows = await podman(['exec', CONTAINER('lsf-postgres', 'postgres'), 'psql', '-X', '-At', '-U', 'lsf', '-d', 'lsf',
      '-c', `SELECT title FROM tasks ORDER BY title`]);
    assert.deepEqual(rows.trim().split('\n'), tasks.map((t) => t.title).sort());
    const keys = await podman(['exec', CONTAINER('lsf-redis', 'redis'), 'redis-cli', '--scan', '--pattern', 'lsf:*']);
    assert.ok(keys.trim().split('\n').filter(Boolean).length > 0, 'lsf keys in Redis');
  });

  test('kill -9 of the server process: the pod\'s restart policy starts it again, with every account and task', async () => {
    const { identity, tasks } = await accountAndTasks(url, 'beforekill');
    const before = await inspect(SERVER);
    process.kill(before.State.Pid, 'SIGKILL'); // a crash, from outside: PID 1 ignores SIGKILL from inside
    const deadline = Date.now() + 60000;
    let now;
    for (;;) {
      now = await inspect(SERVER);
      if (now.State.Running && now.State.Pid !== before.State.Pid) break;
      assert.ok(Date.now() < deadline, `not restarted: ${JSON.stringify(now.State)}`);
      await sleep(200);
    }
    assert.equal(now.RestartCount, before.RestartCount + 1);
    assert.deepEqual(await waitOk(`${url}/health/ready`, 30000), { ready: true });
    await loginAndList(url, identity, tasks.map((t) => t.title));
  });
});
