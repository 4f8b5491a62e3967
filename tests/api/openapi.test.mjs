// The route table (src/api/routes.c) and docs/openapi.yaml describe the same
// endpoints: every route is documented with its methods, and every documented
// operation is routed. Both files are read as text; no server is started.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';

const root = new URL('../../', import.meta.url);

async function routed() {
  const src = await readFile(new URL('src/api/routes.c', root), 'utf8');
  const ops = new Set();
  for (const m of src.matchAll(/\(?\{?\s*(API_[A-Z]+(?:\s*\|\s*API_[A-Z]+)*),\s*"(\/[^"]*)"/g)) {
    const path = m[2].replace(/:([A-Za-z]+)/g, '{$1}');
    for (const method of m[1].split('|')) ops.add(`${method.trim().slice(4).toLowerCase()} ${path}`);
  }
  return ops;
}

async function documented() {
  const doc = await readFile(new URL('docs/openapi.yaml', root), 'utf8');
  const ops = new Set();
  let path = null, inPaths = false;
  for (const line of doc.split('\n')) {
    if (/^\S/.test(line)) inPaths = line.startsWith('paths:');
    if (!inPaths) continue;
    const p = line.match(/^  (\/\S*):\s*$/);
    if (p) path = p[1];
    const m = line.match(/^    (get|post|put|patch|delete):\s*$/);
    if (m && path) ops.add(`${m[1]} ${path}`);
  }
  return ops;
}

test('every route is in docs/openapi.yaml and every documented operation is routed', async () => {
  const [r, d] = [await routed(), await documented()];
  assert.ok(r.size >= 17, `parsed only ${r.size} routes from routes.c`);
  assert.deepEqual([...r].filter((op) => !d.has(op)).sort(), [], 'routed but not documented');
  assert.deepEqual([...d].filter((op) => !r.has(op)).sort(), [], 'documented but not routed');
});
