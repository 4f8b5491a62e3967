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

// The rate class of each route (API_RATE_* in routes.c; TASK_ROUTE and TASK_WRITE rows are API_RATE_API).
async function rateClasses() {
  const src = await readFile(new URL('src/api/routes.c', root), 'utf8');
  const re = /\(?\{?\s*(API_[A-Z]+(?:\s*\|\s*API_[A-Z]+)*),\s*"(\/[^"]*)"/g;
  const matches = [...src.matchAll(re)];
  const rates = new Map();
  matches.forEach((m, i) => {
    const row = src.slice(m.index, i + 1 < matches.length ? matches[i + 1].index : src.length);
    const rate = /API_RATE_[A-Z_]+/.exec(row)?.[0] ?? (/TASK_(?:ROUTE|WRITE)\s*$/.test(src.slice(0, m.index)) ? 'API_RATE_API' : undefined);
    const path = m[2].replace(/:([A-Za-z]+)/g, '{$1}');
    for (const method of m[1].split('|')) rates.set(`${method.trim().slice(4).toLowerCase()} ${path}`, rate);
  });
  return rates;
}

// The documented operations that list a 429 answer.
async function documented429() {
  const doc = await readFile(new URL('docs/openapi.yaml', root), 'utf8');
  const ops = new Set();
  let path = null, op = null, inPaths = false;
  for (const line of doc.split('\n')) {
    if (/^\S/.test(line)) inPaths = line.startsWith('paths:');
    if (!inPaths) continue;
    const p = line.match(/^  (\/\S*):\s*$/);
    if (p) path = p[1];
    const m = line.match(/^    (get|post|put|patch|delete):\s*$/);
    if (m) op = `${m[1]} ${path}`;
    if (/^ {8}'429':\s*$/.test(line) && op) ops.add(op);
  }
  return ops;
}

test('docs/openapi.yaml lists a 429 exactly for the routes the rate limiter may refuse', async () => {
  const [rates, with429] = [await rateClasses(), await documented429()];
  const refusable = new Set(['API_RATE_API', 'API_RATE_AUTH']);
  assert.equal(rates.get('post /api/auth/logout'), 'API_RATE_COUNT_ONLY', 'logout is counted, never refused');
  assert.equal(rates.get('get /api/auth/is-auth'), 'API_RATE_API', 'is-auth is not a credential endpoint');
  for (const [op, rate] of rates) {
    assert.ok(rate, `no rate class found for ${op}`);
    assert.equal(with429.has(op), refusable.has(rate), `${op} (${rate}) ${with429.has(op) ? 'lists' : 'does not list'} a 429`);
  }
});
