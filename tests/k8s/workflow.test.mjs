// .github/workflows/ci.yml read offline by GitHub's own workflow parser
// (@actions/workflow-parser, the one behind GitHub's Actions language
// service: its schema of every key, and expression syntax), then what the
// pipeline must do: `make test` through .ci/run on every push inside a
// debian:12 job container, and on a version tag the image built from
// deploy/Containerfile and pushed with the version as its tag.
import assert from 'node:assert/strict';
import { register } from 'node:module';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, test } from 'node:test';

import { parse } from 'yaml';

import { ROOT } from './k8s.mjs';

register('./json-import.mjs', import.meta.url);
const { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } = await import('@actions/workflow-parser');

const FILE = '.github/workflows/ci.yml';

// GitHub's parser's errors for a workflow's text: [] when it is valid.
async function workflowErrors(content) {
  const result = parseWorkflow({ name: 'ci.yml', content }, new NoOperationTraceWriter());
  const errors = result.context.errors.getErrors().map((e) => e.message);
  if (errors.length === 0 && result.value) {
    const template = await convertWorkflowTemplate(result.context, result.value);
    errors.push(...(template.errors ?? []).map((e) => e.Message));
  }
  return errors;
}

describe('.github/workflows/ci.yml', () => {
  let text, wf;

  before(async () => {
    text = await readFile(path.join(ROOT, FILE), 'utf8');
    wf = parse(text);
  });

  test('GitHub\'s workflow parser finds no error, and finds them in a broken copy', async () => {
    assert.deepEqual(await workflowErrors(text), []);
    const broken = text.replace('runs-on: ubuntu-latest', 'runs-onn: ubuntu-latest').replace('${{ secrets.GITHUB_TOKEN }}', '${{ secrets.GITHUB_TOKEN( }}');
    const errors = await workflowErrors(broken);
    assert.ok(errors.some((e) => /Unexpected value 'runs-onn'/.test(e)), errors.join('\n'));
    assert.ok(errors.some((e) => /Unexpected symbol/.test(e)), errors.join('\n'));
  });

  test('every push runs .ci/run (make test) in a debian:12 job container, with the history previous-release.sh needs', async () => {
    assert.deepEqual(wf.on.push.branches, ['**']);
    const job = wf.jobs.test;
    assert.equal(job.container.image, 'debian:12');
    assert.equal(job.if, undefined);
    // debian:12 has neither git (checkout's history) nor make (.ci/run): installed before both
    const checkoutAt = job.steps.findIndex((s) => s.uses?.startsWith('actions/checkout@'));
    assert.match(job.steps[0].run, /apt-get install .*\bgit\b.*\bmake\b/);
    assert.ok(checkoutAt > 0);
    const checkout = job.steps[checkoutAt];
    assert.equal(checkout.with['fetch-depth'], 0);
    assert.deepEqual(job.steps.filter((s) => s.run?.includes('.ci/run')).map((s) => s.run), ['.ci/run']);
    const ci = await readFile(path.join(ROOT, '.ci/run'), 'utf8');
    assert.match(ci, /^exec make test$/m);
  });

  test('a version tag also builds deploy/Containerfile and pushes it tagged with the version, after the tests pass', () => {
    assert.deepEqual(wf.on.push.tags, ['v*']);
    const job = wf.jobs.image;
    assert.equal(job.if, "startsWith(github.ref, 'refs/tags/v')");
    assert.equal(job.needs, 'test');
    assert.equal(job.permissions.packages, 'write');
    const script = job.steps.map((s) => s.run ?? '').join('\n');
    assert.match(script, /version=\$\{GITHUB_REF_NAME#v\}/);
    assert.match(script, /image=ghcr\.io\/\$\{GITHUB_REPOSITORY_OWNER,,\}\/lsf-server:\$version/);
    assert.match(script, /docker build -f deploy\/Containerfile/);
    assert.match(script, /docker push "\$image"/);
    assert.ok(job.steps.some((s) => s.run === 'make web'), 'web/dist is built before the image');
    assert.equal(wf.permissions.contents, 'read', 'the default token only reads');
  });
});
