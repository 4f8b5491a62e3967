// The Compose stack under test: deploy/compose.yaml + deploy/compose.smtp.yaml
// + deploy/compose.tracing.yaml + tests/compose/compose.test.yaml, run by podman-compose as the project
// "lsf-test" with the image under test (LSF_IMAGE, built by `make image`) and
// the Debian-built stand-ins of deploy/test-images for the official images
// (POSTGRES_IMAGE, ...), nginx, Prometheus and the collector stand-in's
// /spans on free loopback ports, fresh
// secrets and a mail directory in a temp dir. podman runs with the project's
// containers.conf (CONTAINERS_CONF, set by make) and never pulls.
import { execFile, spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

import { freePort } from '../support/server.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// LSF_COMPOSE_PROJECT names another project, so two runs on one machine do
// not take each other's containers, networks and volumes.
export const PROJECT = process.env.LSF_COMPOSE_PROJECT || 'lsf-test';
export const FILES = ['deploy/compose.yaml', 'deploy/compose.smtp.yaml', 'deploy/compose.tracing.yaml', 'tests/compose/compose.test.yaml'];
export const INSTANCES = ['lsf-1', 'lsf-2', 'lsf-3'];
export const IMAGE_A = process.env.LSF_IMAGE || 'lsf-server:latest';
// per project too: a tag is global in podman's storage, and two runs would
// otherwise build B over each other's
export const IMAGE_B = `localhost/lsf-server:${PROJECT}-b`;
// The services podman can healthcheck (the stand-in SMTP sink and collector have none).
const HEALTHCHECKED = ['postgres', 'postgres-replica', 'redis', ...INSTANCES, 'nginx', 'prometheus'];
const STAND_INS = { postgres: 'POSTGRES_IMAGE', redis: 'REDIS_IMAGE', nginx: 'NGINX_IMAGE', prometheus: 'PROMETHEUS_IMAGE', 'smtp-sink': 'SMTP_SINK_IMAGE', 'otel-collector': 'OTEL_COLLECTOR_IMAGE' };
const STAND_IN_TAG = 'localhost/lsf-test';

// Run a command; resolves {code, stdout, stderr}, never rejects on a non-zero exit.
export function run(cmd, args, { env = {}, input } = {}) {
  return new Promise((resolve, reject) => {
    const proc = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d) => { stdout += d; });
    proc.stderr.on('data', (d) => { stderr += d; });
    proc.on('error', reject);
    proc.on('close', (code) => resolve({ code, stdout, stderr }));
    proc.stdin.end(input);
  });
}

// Like run(), but rejects with the output when the exit code is not 0.
export async function check(cmd, args, opts) {
  const res = await run(cmd, args, opts);
  if (res.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${res.code}:\n${res.stdout.slice(-3000)}\n${res.stderr.slice(-3000)}`);
  return res;
}

export function container(service) {
  return `${PROJECT}_${service}_1`;
}

export async function inspect(name, format) {
  return (await check('podman', ['inspect', '--format', format, name])).stdout.trim();
}

// The stand-ins of the official images, from deploy/test-images (cached layers after the first build).
export async function buildStandIns() {
  for (const target of Object.keys(STAND_INS))
    await check('podman', ['build', '--quiet', '--format', 'docker', '--pull=never', '--target', target, '-t', `${STAND_IN_TAG}/${target}:latest`, 'deploy/test-images']);
}

// Image B for the rolling update: image A plus a label (tests/compose/image-b).
export async function buildImageB() {
  await check('podman', ['build', '--quiet', '--format', 'docker', '--pull=never', '--build-arg', `BASE=${IMAGE_A}`, '-t', IMAGE_B, 'tests/compose/image-b']);
}

export class Stack {
  static async create() {
    const stack = new Stack();
    stack.dir = await mkdtemp(path.join(tmpdir(), 'lsf-compose-'));
    stack.secrets = path.join(stack.dir, 'secrets');
    stack.mail = path.join(stack.dir, 'mail');
    await mkdir(stack.mail);
    await chmod(stack.mail, 0o777); // the sink writes as nobody
    await check('scripts/compose-secrets.sh', [stack.secrets]);
    stack.httpPort = await freePort();
    stack.prometheusPort = await freePort();
    stack.otelPort = await freePort();
    stack.env = {
      LSF_IMAGE: IMAGE_A,
      LSF_SECRETS_DIR: stack.secrets,
      LSF_COMPOSE_MAIL_DIR: stack.mail,
      LSF_HTTP_PORT: String(stack.httpPort),
      PROMETHEUS_PORT: String(stack.prometheusPort),
      SMTP_SINK_UI_PORT: String(await freePort()),
      OTEL_COLLECTOR_TEST_PORT: String(stack.otelPort),
      // for scripts/compose-rollout.sh
      LSF_COMPOSE_ENGINE: 'podman',
      LSF_COMPOSE_PROJECT: PROJECT,
      LSF_COMPOSE_FILES: FILES.join(' '),
    };
    for (const [target, variable] of Object.entries(STAND_INS)) stack.env[variable] = `${STAND_IN_TAG}/${target}:latest`;
    return stack;
  }

  get url() {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  // podman-compose with the stack's files, project and variables; never pulls.
  compose(args, env = {}) {
    const files = FILES.flatMap((f) => ['-f', f]);
    const global = args[0] === 'up' ? ['--podman-run-args=--pull=never'] : [];
    return check('podman-compose', ['-p', PROJECT, ...files, ...global, ...args], { env: { ...this.env, ...env } });
  }

  async up() {
    await this.compose(['up', '-d']);
  }

  // Until every healthcheck passes (podman runs them only on request without
  // systemd) and nginx answers /health: at most timeoutMs.
  async waitHealthy(timeoutMs = 240000) {
    const deadline = Date.now() + timeoutMs;
    for (const service of HEALTHCHECKED) {
      for (;;) {
        const res = await run('podman', ['healthcheck', 'run', container(service)]);
        if (res.code === 0) break;
        if (Date.now() > deadline) {
          const logs = await run('podman', ['logs', '--tail', '30', container(service)]);
          throw new Error(`${service} not healthy within ${timeoutMs} ms: ${res.stdout}${res.stderr}\n${logs.stdout}${logs.stderr}`);
        }
        await sleep(1000);
      }
    }
    for (;;) {
      const ok = await fetch(`${this.url}/health`).then((r) => r.ok, () => false);
      if (ok) return;
      if (Date.now() > deadline) throw new Error(`nginx at ${this.url} does not answer /health`);
      await sleep(500);
    }
  }

  // Stop the instances (SIGTERM) with the stop timeout compose.yaml asks for
  // (podman-compose 1.0.3 ignores stop_grace_period); resolves to their exit codes.
  async stopInstances() {
    // podman stops them in parallel: one SHUTDOWN_GRACE_MS, not three
    await check('podman', ['stop', '-t', '30', ...INSTANCES.map(container)]);
    const codes = {};
    for (const s of INSTANCES) codes[s] = Number(await inspect(container(s), '{{.State.ExitCode}}'));
    return codes;
  }

  async down({ volumes = false } = {}) {
    await run('podman', ['stop', '-t', '30', ...INSTANCES.map(container)]); // in parallel, see stopInstances
    await this.compose(['down', '-t', '30', ...(volumes ? ['-v'] : [])]);
  }

  // The stack's named volumes that exist now.
  async volumes() {
    const res = await check('podman', ['volume', 'ls', '--quiet', '--filter', `label=io.podman.compose.project=${PROJECT}`]);
    return res.stdout.split('\n').filter(Boolean).sort();
  }

  rollout(image) {
    return check('scripts/compose-rollout.sh', [image], { env: this.env });
  }

  reloadNginx() {
    return check('scripts/compose-rollout.sh', ['--reload-nginx'], { env: this.env });
  }

  // One SQL statement on a PostgreSQL service as the lsf user; the rows as text.
  async psql(service, sql) {
    return (await check('podman', ['exec', container(service), 'psql', '-X', '-At', '-U', 'lsf', '-d', 'lsf', '-c', sql])).stdout.trim();
  }

  // Remove everything the stack left (containers, volumes, networks) and the temp dir.
  async destroy() {
    await run('podman-compose', ['-p', PROJECT, ...FILES.flatMap((f) => ['-f', f]), 'down', '-t', '30', '-v'], { env: this.env });
    for (const net of ['front', 'data']) await run('podman', ['network', 'rm', `${PROJECT}_${net}`]);
    if (!process.env.LSF_KEEP_TMP) await rm(this.dir, { recursive: true, force: true });
  }
}

// `node --test` on the given API suites with LSF_TOPOLOGY=compose against the
// stack; resolves {code, output}. NODE_TEST_CONTEXT is removed, or the child
// would report to this test runner instead of printing its own results.
export async function runApiSuites(stack, files) {
  const env = {
    ...process.env,
    LSF_TOPOLOGY: 'compose',
    LSF_COMPOSE_URL: stack.url,
    LSF_COMPOSE_MAIL_DIR: stack.mail,
    LSF_COMPOSE_SECRETS_DIR: stack.secrets,
    LSF_COMPOSE_CONTAINERS: INSTANCES.map(container).join(','),
  };
  delete env.NODE_TEST_CONTEXT;
  const res = await promisify(execFile)(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files],
    { cwd: ROOT, env, maxBuffer: 64 << 20 }).then((r) => ({ code: 0, ...r }), (err) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }));
  return { code: res.code, output: `${res.stdout}${res.stderr}` };
}
