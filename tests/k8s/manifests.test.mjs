// deploy/k8s checked offline: every overlay rendered by the pinned kubectl's
// kustomize, every object validated against the Kubernetes OpenAPI schemas
// (kubernetes-models), and the deployment policy written as tests: probes,
// limits and non-root for every container, pinned images in prod, rollout
// and shutdown settings that fit lsf-server's drain, network policies that
// let only the ingress reach the server and only the server reach the
// databases, no secret in git, and the scripts that make secrets and render
// a release agreeing with what the overlays reference.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, test } from 'node:test';

import {
  containers, find, K8S, kubectl, OVERLAYS, parseStream, podSpec, projectVersion, quantity, renderOverlay, ROOT, run,
  schemaErrors, selects,
} from './k8s.mjs';

const rendered = {};
let version;

before(async () => {
  for (const name of ['base', ...OVERLAYS]) rendered[name] = await renderOverlay(name);
  version = await projectVersion();
});

const SERVER_LABELS = { 'app.kubernetes.io/name': 'lsf-server', 'app.kubernetes.io/component': 'server' };
// The Secrets the pods read; scripts/k8s-secrets.sh makes them, never git.
const SECRETS = ['lsf-secrets', 'lsf-postgres'];
const SECRET_NAMES = ['JWT_SECRET', 'DATABASE_URL', 'DATABASE_REPLICA_URLS', 'REDIS_URL', 'SMTP_URL', 'SMTP_USER', 'SMTP_PASS'];

function envOf(configMap) {
  return configMap.data;
}

describe('the validator', () => {
  test('rejects what the API server would: a string replica count, a container without a name, a bad quantity', async () => {
    const deployment = structuredClone(find(rendered.prod, 'Deployment', 'lsf-server'));
    deployment.spec.replicas = '3';
    delete deployment.spec.template.spec.containers[0].name;
    deployment.spec.template.spec.containers[0].resources.limits.memory = '256 MB';
    const errors = await schemaErrors(deployment);
    assert.ok(errors.includes('/spec/replicas must be integer'), errors.join('\n'));
    assert.ok(errors.includes('/spec/template/spec/containers/0 must have required property name'), errors.join('\n'));
    assert.ok(errors.some((e) => e.startsWith('/spec/template/spec/containers/0/resources/limits/memory')), errors.join('\n'));
    assert.deepEqual(await schemaErrors({ apiVersion: 'apps/v1', kind: 'Deploymnet', metadata: { name: 'x' } }), ['unknown kind Deploymnet in apps/v1']);
  });
});

for (const name of ['base', ...OVERLAYS]) {
  describe(`${name}: every rendered object`, () => {
    test('is valid against the Kubernetes OpenAPI schemas', async () => {
      assert.ok(rendered[name].length >= 5, `${rendered[name].length} objects`);
      const invalid = [];
      for (const obj of rendered[name]) {
        const errors = await schemaErrors(obj);
        if (errors.length) invalid.push(`${obj.kind}/${obj.metadata?.name}: ${errors.join('; ')}`);
      }
      assert.deepEqual(invalid, []);
    });

    test('every container: requests and limits (cpu, memory), limits >= requests', () => {
      for (const { obj, container } of containers(rendered[name])) {
        const where = `${obj.kind}/${obj.metadata.name} ${container.name}`;
        const { requests = {}, limits = {} } = container.resources ?? {};
        for (const r of ['cpu', 'memory']) {
          assert.ok(requests[r] && limits[r], `${where}: ${r} request and limit`);
          assert.ok(quantity(limits[r]) >= quantity(requests[r]), `${where}: ${r} limit ${limits[r]} < request ${requests[r]}`);
        }
      }
    });

    test('every container: non-root, no privilege escalation, read-only root, all capabilities dropped, seccomp RuntimeDefault', () => {
      for (const { obj, pod, container } of containers(rendered[name])) {
        const where = `${obj.kind}/${obj.metadata.name} ${container.name}`;
        const sc = container.securityContext ?? {};
        const psc = pod.securityContext ?? {};
        assert.equal(sc.runAsNonRoot ?? psc.runAsNonRoot, true, `${where}: runAsNonRoot`);
        const uid = sc.runAsUser ?? psc.runAsUser;
        assert.ok(Number.isInteger(uid) && uid > 0, `${where}: runAsUser ${uid}`);
        assert.equal(sc.allowPrivilegeEscalation, false, `${where}: allowPrivilegeEscalation`);
        assert.equal(sc.readOnlyRootFilesystem, true, `${where}: readOnlyRootFilesystem`);
        assert.deepEqual(sc.capabilities?.drop, ['ALL'], `${where}: capabilities.drop`);
        assert.equal(sc.capabilities?.add, undefined, `${where}: capabilities.add`);
        assert.equal((sc.seccompProfile ?? psc.seccompProfile)?.type, 'RuntimeDefault', `${where}: seccomp`);
        assert.ok(!pod.hostNetwork && !pod.hostPID && !pod.hostIPC, `${where}: host namespaces`);
        assert.equal(pod.automountServiceAccountToken, false, `${where}: no service account token`);
      }
    });

    test('every long-running container has startup, readiness and liveness probes', () => {
      const long = containers(rendered[name]).filter(({ obj, init }) => !init && obj.kind !== 'Job' && obj.kind !== 'CronJob');
      assert.ok(long.length >= 1);
      for (const { obj, container } of long) {
        for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe'])
          assert.ok(container[probe], `${obj.kind}/${obj.metadata.name} ${container.name}: ${probe}`);
      }
    });

    test('no Secret is rendered (secrets are made in the cluster), and every Secret or ConfigMap a pod reads exists or is one the scripts make', () => {
      assert.deepEqual(rendered[name].filter((o) => o.kind === 'Secret'), []);
      const configMaps = rendered[name].filter((o) => o.kind === 'ConfigMap').map((o) => o.metadata.name);
      for (const { obj, pod, container } of containers(rendered[name])) {
        const where = `${obj.kind}/${obj.metadata.name} ${container.name}`;
        for (const from of container.envFrom ?? []) {
          if (from.configMapRef) assert.ok(configMaps.includes(from.configMapRef.name), `${where}: ConfigMap ${from.configMapRef.name}`);
          if (from.secretRef) assert.ok(SECRETS.includes(from.secretRef.name), `${where}: Secret ${from.secretRef.name}`);
        }
        for (const e of container.env ?? []) {
          if (e.valueFrom?.secretKeyRef) assert.ok(SECRETS.includes(e.valueFrom.secretKeyRef.name), `${where}: Secret ${e.valueFrom.secretKeyRef.name}`);
          assert.ok(!SECRET_NAMES.includes(e.name) || e.valueFrom, `${where}: ${e.name} written in the manifest`);
        }
        for (const v of pod.volumes ?? [])
          if (v.secret) assert.ok(SECRETS.includes(v.secret.secretName), `${where}: Secret volume ${v.secret.secretName}`);
      }
    });
  });
}

describe('lsf-server in base, dev and prod', () => {
  for (const name of ['base', 'dev', 'prod']) {
    test(`${name}: 3 replicas, RollingUpdate with maxUnavailable 0, /health/ready and /health/live probes, spread over nodes and zones`, () => {
      const d = find(rendered[name], 'Deployment', 'lsf-server');
      assert.equal(d.spec.replicas, 3);
      assert.equal(d.spec.strategy.type, 'RollingUpdate');
      assert.equal(d.spec.strategy.rollingUpdate.maxUnavailable, 0);
      assert.ok(d.spec.revisionHistoryLimit >= 2, 'history for rollout undo');
      assert.deepEqual(d.spec.selector.matchLabels, SERVER_LABELS);
      const pod = podSpec(d);
      const c = pod.containers.find((x) => x.name === 'lsf-server');
      assert.ok(c, 'container lsf-server');
      assert.equal(c.readinessProbe.httpGet.path, '/health/ready');
      assert.equal(c.livenessProbe.httpGet.path, '/health/live');
      assert.ok(c.startupProbe.httpGet, 'startup probe over HTTP');
      assert.equal(c.readinessProbe.httpGet.port, 'http');
      assert.deepEqual(c.ports.find((p) => p.name === 'http'), { name: 'http', containerPort: 4000 });
      const keys = pod.topologySpreadConstraints.map((t) => t.topologyKey).sort();
      assert.deepEqual(keys, ['kubernetes.io/hostname', 'topology.kubernetes.io/zone']);
      for (const t of pod.topologySpreadConstraints) assert.deepEqual(t.labelSelector.matchLabels, SERVER_LABELS);
    });

    test(`${name}: terminationGracePeriodSeconds covers preStop + SHUTDOWN_GRACE_MS + SHUTDOWN_TIMEOUT_MS`, () => {
      const d = find(rendered[name], 'Deployment', 'lsf-server');
      const pod = podSpec(d);
      const c = pod.containers[0];
      const cmName = c.envFrom.find((f) => f.configMapRef).configMapRef.name;
      const env = envOf(find(rendered[name], 'ConfigMap', cmName));
      assert.deepEqual(c.lifecycle.preStop.exec.command, ['sleep', '5']);
      assert.equal(env.SHUTDOWN_GRACE_MS, '5000');
      assert.equal(env.SHUTDOWN_TIMEOUT_MS, '20000');
      const needed = 5 + (Number(env.SHUTDOWN_GRACE_MS) + Number(env.SHUTDOWN_TIMEOUT_MS)) / 1000;
      assert.ok(pod.terminationGracePeriodSeconds > needed, `${pod.terminationGracePeriodSeconds} s <= ${needed} s`);
      assert.equal(pod.terminationGracePeriodSeconds, 40);
    });

    test(`${name}: requests and limits as measured (bench/k8s-resources.sh)`, () => {
      const c = podSpec(find(rendered[name], 'Deployment', 'lsf-server')).containers[0];
      assert.deepEqual(c.resources, { requests: { cpu: '250m', memory: '160Mi' }, limits: { cpu: '1', memory: '256Mi' } });
    });

    test(`${name}: secrets only from the file lsf-secrets mounts (ENV_FILE), none in the ConfigMap`, () => {
      const d = find(rendered[name], 'Deployment', 'lsf-server');
      const pod = podSpec(d);
      const c = pod.containers[0];
      assert.deepEqual(c.env, [{ name: 'ENV_FILE', value: '/run/secrets/lsf/lsf.env' }]);
      assert.deepEqual(c.volumeMounts.find((m) => m.name === 'secrets'), { name: 'secrets', mountPath: '/run/secrets/lsf', readOnly: true });
      assert.deepEqual(pod.volumes.find((v) => v.name === 'secrets').secret, { secretName: 'lsf-secrets', defaultMode: 0o440 });
      const env = envOf(find(rendered[name], 'ConfigMap', c.envFrom[0].configMapRef.name));
      for (const key of SECRET_NAMES) assert.equal(env[key], undefined, `${key} in the ConfigMap`);
      assert.equal(env.HTTP_THREADS, '2');
      assert.equal(env.WORKER_THREADS, '2');
    });

    test(`${name}: the Service, Ingress, HPA (min 3) and PodDisruptionBudget all point at the serving pods`, () => {
      const objs = rendered[name];
      const podLabels = find(objs, 'Deployment', 'lsf-server').spec.template.metadata.labels;
      const jobLabels = find(objs, 'Job', 'lsf-migrate').spec.template.metadata.labels;
      const svc = find(objs, 'Service', 'lsf-server');
      assert.ok(selects(svc.spec.selector, podLabels), 'Service selects the server pods');
      assert.ok(!selects(svc.spec.selector, jobLabels), 'Service does not select the migration pods');
      assert.deepEqual(svc.spec.ports.find((p) => p.name === 'http'), { name: 'http', port: 80, targetPort: 'http' });
      const ing = find(objs, 'Ingress', 'lsf-server');
      assert.deepEqual(ing.spec.rules[0].http.paths[0].backend.service, { name: 'lsf-server', port: { name: 'http' } });
      assert.equal(ing.metadata.annotations['nginx.ingress.kubernetes.io/proxy-body-size'], '1m');
      assert.ok(ing.spec.tls[0].hosts.includes(ing.spec.rules[0].host), 'TLS for the host');
      const hpa = find(objs, 'HorizontalPodAutoscaler', 'lsf-server');
      assert.equal(hpa.spec.minReplicas, 3);
      assert.ok(hpa.spec.maxReplicas > 3);
      assert.deepEqual(hpa.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'lsf-server' });
      const pdb = find(objs, 'PodDisruptionBudget', 'lsf-server');
      assert.ok(selects(pdb.spec.selector.matchLabels, podLabels));
      assert.equal(pdb.spec.minAvailable, 2);
    });

    test(`${name}: the migration Job runs \`migrate\` with the Deployment's image, config and secrets`, () => {
      const objs = rendered[name];
      const server = podSpec(find(objs, 'Deployment', 'lsf-server')).containers[0];
      const job = find(objs, 'Job', 'lsf-migrate');
      const c = podSpec(job).containers[0];
      assert.equal(c.image, server.image);
      assert.deepEqual(c.args, ['migrate']);
      assert.deepEqual(c.envFrom, server.envFrom);
      assert.deepEqual(c.env, server.env);
      assert.equal(podSpec(job).restartPolicy, 'Never');
      assert.ok(job.spec.backoffLimit >= 3, 'retries while the database starts');
      assert.ok(job.spec.activeDeadlineSeconds > 0);
    });

    test(`${name}: the backup CronJob runs deploy/k8s/base/backup.sh once a night with the Deployment's image, config and secrets, into its volume`, async () => {
      const objs = rendered[name];
      const server = podSpec(find(objs, 'Deployment', 'lsf-server')).containers[0];
      const cron = find(objs, 'CronJob', 'lsf-backup');
      assert.equal(cron.spec.schedule, '17 3 * * *');
      assert.equal(cron.spec.timeZone, 'Etc/UTC');
      assert.equal(cron.spec.concurrencyPolicy, 'Forbid', 'never two backups at once');
      const pod = podSpec(cron);
      assert.equal(pod.restartPolicy, 'Never');
      const [c] = pod.containers;
      assert.equal(c.image, server.image);
      assert.deepEqual(c.envFrom, server.envFrom);
      assert.deepEqual(c.command, ['/bin/sh', '/lsf/backup.sh']);
      const env = Object.fromEntries(c.env.map((e) => [e.name, e.value]));
      assert.deepEqual(env, { ENV_FILE: '/run/secrets/lsf/lsf.env', LSF_BACKUP_ONCE: '1', LSF_BACKUP_DIR: '/backups', LSF_BACKUP_KEEP: '14' });
      const mounts = Object.fromEntries(c.volumeMounts.map((m) => [m.mountPath, m.name]));
      const volumes = Object.fromEntries(pod.volumes.map((v) => [v.name, v]));
      assert.deepEqual(volumes[mounts['/run/secrets/lsf']].secret, { secretName: 'lsf-secrets', defaultMode: 0o440 });
      const claim = volumes[mounts['/backups']].persistentVolumeClaim.claimName;
      assert.ok(find(objs, 'PersistentVolumeClaim', claim).spec.resources.requests.storage, `PVC ${claim}`);
      const script = find(objs, 'ConfigMap', volumes[mounts['/lsf']].configMap.name);
      assert.equal(script.data['backup.sh'], await readFile(path.join(K8S, 'base/backup.sh'), 'utf8'));
      assert.ok(!selects(find(objs, 'Service', 'lsf-server').spec.selector, cron.spec.jobTemplate.spec.template.metadata.labels),
        'the Service does not select backup pods');
    });

    test(`${name}: the namespace enforces the restricted Pod Security Standard`, () => {
      const ns = rendered[name].find((o) => o.kind === 'Namespace');
      assert.equal(ns.metadata.labels['pod-security.kubernetes.io/enforce'], 'restricted');
      for (const o of rendered[name].filter((x) => x.kind !== 'Namespace')) assert.equal(o.metadata.namespace, ns.metadata.name, `${o.kind}/${o.metadata.name}`);
    });
  }

  test('namespaces: base lsf, dev lsf-dev, prod lsf', () => {
    assert.equal(find(rendered.base, 'Namespace').metadata.name, 'lsf');
    assert.equal(find(rendered.dev, 'Namespace').metadata.name, 'lsf-dev');
    assert.equal(find(rendered.prod, 'Namespace').metadata.name, 'lsf');
  });
});

describe('images', () => {
  test('prod: every image has a version tag (never :latest or none), lsf-server the project version from a registry', () => {
    for (const { obj, container } of containers(rendered.prod)) {
      const m = /^(.+\/[^:@/]+)(?::([^@]+))?(?:@sha256:[0-9a-f]{64})?$/.exec(container.image);
      assert.ok(m, `${obj.kind}/${obj.metadata.name}: ${container.image}`);
      assert.ok(m[2] && m[2] !== 'latest', `${obj.kind}/${obj.metadata.name}: ${container.image} has no version tag`);
      assert.equal(container.imagePullPolicy, 'IfNotPresent');
    }
    assert.equal(podSpec(find(rendered.prod, 'Deployment', 'lsf-server')).containers[0].image, `ghcr.io/lsf-tasks/lsf-server:${version}`);
  });

  test('dev and local: lsf-server is the project version, PostgreSQL 15 and Redis 7, nothing :latest', () => {
    const images = (name) => [...new Set(containers(rendered[name]).map((c) => c.container.image))].sort();
    assert.deepEqual(images('dev'), [`lsf-server:${version}`, 'postgres:15', 'redis:7']);
    assert.deepEqual(images('local'), [`localhost/lsf-server:${version}`, 'postgres:15', 'redis:7']);
  });
});

describe('network policies', () => {
  // The peers allowed to reach pods with these labels on port, over every
  // policy that selects them; null when no policy selects them (all allowed).
  function allowedPeers(objs, labels, port) {
    const policies = objs.filter((o) => o.kind === 'NetworkPolicy' && o.spec.policyTypes.includes('Ingress')
      && selects(o.spec.podSelector.matchLabels, labels));
    if (policies.length === 0) return null;
    const peers = [];
    for (const p of policies)
      for (const rule of p.spec.ingress ?? [])
        if (!rule.ports || rule.ports.some((x) => x.port === port)) peers.push(...(rule.from ?? [{ everyone: true }]));
    return peers;
  }

  for (const name of ['base', 'dev', 'prod']) {
    test(`${name}: every pod is covered by a default deny; lsf-server's port 4000 only from ingress-nginx, 9464 only from Prometheus`, () => {
      const objs = rendered[name];
      const deny = find(objs, 'NetworkPolicy', 'default-deny-ingress');
      assert.deepEqual(deny.spec, { podSelector: {}, policyTypes: ['Ingress'] });
      assert.deepEqual(allowedPeers(objs, SERVER_LABELS, 4000), [{
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } },
        podSelector: { matchLabels: { 'app.kubernetes.io/name': 'ingress-nginx' } },
      }]);
      assert.deepEqual(allowedPeers(objs, SERVER_LABELS, 9464), [{
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
        podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } },
      }]);
      const migrate = find(objs, 'Job', 'lsf-migrate').spec.template.metadata.labels;
      assert.deepEqual(allowedPeers(objs, migrate, 4000), [], 'migration pods take no connection');
      const backup = find(objs, 'CronJob', 'lsf-backup').spec.jobTemplate.spec.template.metadata.labels;
      assert.deepEqual(allowedPeers(objs, backup, 4000), [], 'backup pods take no connection');
    });
  }

  test('dev: PostgreSQL and Redis only from lsf-server\'s pods (server and migration), which those pods carry', () => {
    const objs = rendered.dev;
    const from = [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'lsf-server' } } }];
    const pg = find(objs, 'StatefulSet', 'lsf-postgres').spec.template.metadata.labels;
    const redis = find(objs, 'StatefulSet', 'lsf-redis').spec.template.metadata.labels;
    assert.deepEqual(allowedPeers(objs, pg, 5432), from);
    assert.deepEqual(allowedPeers(objs, redis, 6379), from);
    for (const [kind, n] of [['Deployment', 'lsf-server'], ['Job', 'lsf-migrate'], ['CronJob', 'lsf-backup']]) {
      const o = find(objs, kind, n);
      const labels = (kind === 'CronJob' ? o.spec.jobTemplate.spec : o.spec).template.metadata.labels;
      assert.ok(selects(from[0].podSelector.matchLabels, labels), `${n} pods may reach the databases`);
    }
    assert.ok(!selects(from[0].podSelector.matchLabels, pg), 'PostgreSQL pods are not lsf-server');
  });

  test('dev: the databases are StatefulSets with volumes; prod runs none (external PostgreSQL and Redis)', () => {
    for (const n of ['lsf-postgres', 'lsf-redis']) {
      const s = find(rendered.dev, 'StatefulSet', n);
      assert.equal(s.spec.volumeClaimTemplates[0].spec.resources.requests.storage, '1Gi');
      assert.equal(find(rendered.dev, 'Service', n).spec.clusterIP, 'None');
    }
    assert.deepEqual(rendered.prod.filter((o) => o.kind === 'StatefulSet'), []);
    assert.deepEqual(containers(rendered.prod).map((c) => c.container.name).sort(), ['backup', 'lsf-server', 'migrate']);
  });
});

describe('local (podman kube play)', () => {
  test('only what kube play runs: a ConfigMap, PersistentVolumeClaims and Deployments', () => {
    assert.deepEqual([...new Set(rendered.local.map((o) => o.kind))].sort(), ['ConfigMap', 'Deployment', 'PersistentVolumeClaim']);
    assert.deepEqual(rendered.local.filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name),
      ['lsf-postgres', 'lsf-redis', 'lsf-server'], 'the databases first: kube play starts pods in this order');
  });

  test('lsf-server: one replica on 127.0.0.1:4000, migrations in an init container, secrets from lsf-secrets', () => {
    const d = find(rendered.local, 'Deployment', 'lsf-server');
    const pod = podSpec(d);
    assert.equal(d.spec.replicas, 1);
    assert.equal(pod.restartPolicy, 'OnFailure');
    assert.deepEqual(pod.containers[0].ports[0], { name: 'http', containerPort: 4000, hostPort: 4000, hostIP: '127.0.0.1' });
    assert.deepEqual(pod.initContainers.map((c) => c.name), ['migrate']);
    assert.match(pod.initContainers[0].command.join(' '), /until lsf-server migrate; do/);
    for (const c of [...pod.initContainers, ...pod.containers])
      assert.deepEqual(c.envFrom.map((f) => f.secretRef?.name).filter(Boolean), ['lsf-secrets']);
    assert.equal(pod.volumes.find((v) => v.secret), undefined, 'no Secret volume: podman 4.3 crashes on one');
  });
});

describe('what is never in git', () => {
  test('base/secret.template.yaml is a valid Secret with placeholders only, and names no key the ConfigMap sets', async () => {
    const [secret] = parseStream(await readFile(path.join(K8S, 'base/secret.template.yaml'), 'utf8'));
    assert.deepEqual(await schemaErrors(secret), []);
    const lines = secret.stringData['lsf.env'].split('\n').filter((l) => l && !l.startsWith('#'));
    assert.deepEqual(lines.map((l) => l.split('=')[0]), SECRET_NAMES);
    for (const l of lines) assert.match(l.slice(l.indexOf('=') + 1), /<[^>]+>/, `${l}: a placeholder`);
    const env = envOf(rendered.base.find((o) => o.kind === 'ConfigMap'));
    for (const key of SECRET_NAMES) assert.equal(env[key], undefined);
  });

  test('no file under deploy/k8s holds a value that looks like a real secret', async () => {
    const files = (await run('git', ['ls-files', 'deploy/k8s'])).split('\n').filter(Boolean);
    assert.ok(files.length >= 15, files.join(' '));
    for (const f of files) {
      const text = await readFile(path.join(ROOT, f), 'utf8');
      assert.doesNotMatch(text, /[0-9a-f]{32,}|[A-Za-z0-9+/]{40,}={0,2}|-----BEGIN/, `${f}: a key or token`);
      if (!f.endsWith('/secret.template.yaml')) assert.doesNotMatch(text, /^kind: Secret$|secretGenerator/m, `${f}: a Secret`);
    }
  });
});

describe('scripts/k8s-secrets.sh makes what the overlays read (kubectl --dry-run=client, no cluster)', () => {
  async function secretsFor(args, env = {}) {
    const out = await run('scripts/k8s-secrets.sh', ['kubectl', ...args], { env: { KUBECTL: `${kubectl()} --dry-run=client -o yaml`, ...env } });
    const objs = parseStream(out.replace(/^(?=apiVersion:)/gm, '---\n'));
    for (const o of objs) assert.deepEqual(await schemaErrors(o), []);
    return Object.fromEntries(objs.map((o) => [o.metadata.name, o]));
  }
  const decode = (b64) => Buffer.from(b64, 'base64').toString('utf8');
  const envLines = (text) => Object.fromEntries(text.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));

  test('--dev: lsf-postgres (password) and lsf-secrets (lsf.env) in lsf-dev, URLs to the dev StatefulSets, random values', async () => {
    const a = await secretsFor(['lsf-dev', '--dev']);
    const b = await secretsFor(['lsf-dev', '--dev']);
    assert.deepEqual(Object.keys(a).sort(), ['lsf-postgres', 'lsf-secrets']);
    assert.equal(a['lsf-secrets'].metadata.namespace, 'lsf-dev');
    const password = decode(a['lsf-postgres'].data.password);
    assert.match(password, /^[0-9a-f]{64}$/);
    const env = envLines(decode(a['lsf-secrets'].data['lsf.env']));
    assert.deepEqual(Object.keys(env), ['JWT_SECRET', 'DATABASE_URL', 'REDIS_URL']);
    assert.match(env.JWT_SECRET, /^[0-9a-f]{64}$/);
    assert.equal(env.DATABASE_URL, `postgres://lsf:${password}@lsf-postgres:5432/lsf`);
    assert.equal(env.REDIS_URL, 'redis://lsf-redis:6379/0');
    assert.notEqual(decode(b['lsf-postgres'].data.password), password, 'a new password each time');
    // what the dev overlay mounts: these names and keys
    const dev = rendered.dev;
    assert.equal(podSpec(find(dev, 'StatefulSet', 'lsf-postgres')).volumes.find((v) => v.secret).secret.secretName, 'lsf-postgres');
    assert.equal(podSpec(find(dev, 'StatefulSet', 'lsf-postgres')).containers[0].env.find((e) => e.name === 'POSTGRES_PASSWORD_FILE').value,
      '/run/secrets/postgres/password');
  });

  test('prod: the databases come from the environment (required), optional settings only when set', async () => {
    await assert.rejects(secretsFor(['lsf']), /set DATABASE_URL and REDIS_URL/);
    const s = await secretsFor(['lsf'], { DATABASE_URL: 'postgres://lsf:pw@db.internal:5432/lsf', REDIS_URL: 'redis://:pw@cache.internal:6379/0', SMTP_URL: 'smtps://mail.internal:465' });
    assert.deepEqual(Object.keys(s), ['lsf-secrets']);
    const env = envLines(decode(s['lsf-secrets'].data['lsf.env']));
    assert.deepEqual(Object.keys(env), ['JWT_SECRET', 'DATABASE_URL', 'REDIS_URL', 'SMTP_URL']);
    assert.equal(env.DATABASE_URL, 'postgres://lsf:pw@db.internal:5432/lsf');
    assert.equal(env.SMTP_URL, 'smtps://mail.internal:465');
  });
});

describe('scripts/k8s-rollout.sh render (offline)', () => {
  test('render OVERLAY: exactly what kubectl kustomize renders', async () => {
    const out = parseStream(await run('scripts/k8s-rollout.sh', ['render', 'deploy/k8s/overlays/prod'], { env: { KUBECTL: kubectl() } }));
    assert.deepEqual(out, rendered.prod);
  });

  test('render OVERLAY IMAGE: the Deployment and the migration Job, both with IMAGE, otherwise unchanged', async () => {
    const image = 'ghcr.io/lsf-tasks/lsf-server:9.9.9';
    const out = parseStream(await run('scripts/k8s-rollout.sh', ['render', 'deploy/k8s/overlays/prod', image], { env: { KUBECTL: kubectl() } }));
    assert.deepEqual(out.map((o) => `${o.kind}/${o.metadata.name}`), ['Deployment/lsf-server', 'Job/lsf-migrate']);
    for (const o of out) {
      assert.deepEqual(await schemaErrors(o), []);
      assert.deepEqual(podSpec(o).containers.map((c) => c.image), [image]);
      const original = structuredClone(find(rendered.prod, o.kind, o.metadata.name));
      podSpec(original).containers[0].image = image;
      // kubectl adds empty creationTimestamps and status; nothing else may differ
      delete o.metadata.creationTimestamp;
      delete o.spec.template.metadata.creationTimestamp;
      assert.deepEqual(o.status, {});
      delete o.status;
      assert.deepEqual(o, original);
    }
  });

  test('an overlay that does not exist is refused', async () => {
    await assert.rejects(run('scripts/k8s-rollout.sh', ['render', 'deploy/k8s/overlays/nope'], { env: { KUBECTL: kubectl() } }), /no such overlay directory/);
  });
});
