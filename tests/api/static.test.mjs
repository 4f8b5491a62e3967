// The web app's files (WEB_DIR) in the server's own records and in shared
// caches: every static answer (file 200 and 304, missing asset 404, index.html
// for a client route, HEAD) has an access log line with the X-Request-Id it
// was sent with and is counted in http_request_duration_seconds under the one
// route label "static", never its path; and GET / says `Vary: Accept` both
// when it answers index.html (to a browser) and "API Working" (to curl), so a
// cache cannot hand one client's answer to the other; the web app's answers
// carry its Content-Security-Policy (no framing), X-Frame-Options and
// Referrer-Policy. The web app here is a small fixture written by the test,
// so the suite needs no web build.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';

import { parseMetrics } from '../support/metrics.mjs';
import { freePort, startServer } from '../support/server.mjs';

const INDEX = '<!doctype html><html><head><title>fixture</title><script type="module" src="/assets/app-0123abcd.js"></script></head><body><div id="root"></div></body></html>';
const ASSET = 'console.log("fixture");\n'.repeat(50);
const HTML = 'text/html,application/xhtml+xml,*/*;q=0.8';

async function writeWebDir() {
  const dir = await mkdtemp(path.join(tmpdir(), 'lsf-web-'));
  await mkdir(path.join(dir, 'assets'));
  await writeFile(path.join(dir, 'index.html'), INDEX);
  await writeFile(path.join(dir, 'index.html.gz'), gzipSync(INDEX, { level: 9 }));
  await writeFile(path.join(dir, 'assets', 'app-0123abcd.js'), ASSET);
  await writeFile(path.join(dir, 'assets', 'app-0123abcd.js.gz'), gzipSync(ASSET, { level: 9 }));
  return dir;
}

// One request through node:http (fetch would add Accept-Encoding and decode).
function request(base, pathname, { method = 'GET', headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(base + pathname, { method, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

// Vary as a lowercase list: "accept, Origin" -> ['accept', 'origin'].
const varyOf = (res) => (res.headers.vary ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);

describe('web app files in the access log, the metrics and caches', () => {
  let server, webDir, mport;
  const answers = []; // {method, path, status, id}
  let metrics, routes;

  before(async () => {
    webDir = await writeWebDir();
    mport = await freePort();
    server = await startServer({ WEB_DIR: webDir, METRICS_PORT: String(mport) });

    const send = async (method, p, headers = {}) => {
      const res = await request(server.url, p, { method, headers });
      answers.push({ method, path: p, status: res.status, id: res.headers['x-request-id'], traceparent: res.headers.traceparent });
      return res;
    };
    const file = await send('GET', '/assets/app-0123abcd.js');
    assert.equal(file.status, 200);
    assert.equal(file.body.toString(), ASSET);
    assert.equal((await send('GET', '/assets/app-0123abcd.js', { 'if-none-match': file.headers.etag })).status, 304);
    assert.equal((await send('GET', '/assets/app-0123abcd.js', { 'accept-encoding': 'gzip' })).headers['content-encoding'], 'gzip');
    assert.equal((await send('HEAD', '/assets/app-0123abcd.js')).status, 200);
    assert.equal((await send('GET', '/assets/missing-99999999.js')).status, 404);
    assert.equal((await send('GET', '/tasks/board', { accept: HTML })).status, 200);
    assert.equal((await send('GET', '/', { accept: HTML })).status, 200);
    // a client's own id is kept (and one that is not plain is replaced)
    assert.equal((await send('GET', '/assets/app-0123abcd.js', { 'x-request-id': 'support-case:42' })).headers['x-request-id'], 'support-case:42');
    assert.match((await send('GET', '/tasks/board', { accept: HTML, 'x-request-id': 'a b' })).headers['x-request-id'], /^[0-9a-f-]{36}$/);

    const res = await fetch(`http://127.0.0.1:${mport}/metrics`);
    assert.equal(res.status, 200);
    metrics = parseMetrics(await res.text());
    routes = new Set([...metrics.keys()].map((k) => /^http_request_duration_seconds_count\{.*route="([^"]*)"/.exec(k)?.[1]).filter(Boolean));
  });

  after(async () => {
    if (server) assert.equal(await server.close(), 0, `lsf-server exit code:\n${server.stderr()}`);
    if (webDir) await rm(webDir, { recursive: true, force: true });
  });

  test('GET / varies on Accept for a browser (index.html) and for curl (API Working)', async () => {
    const page = await request(server.url, '/', { headers: { accept: HTML, 'accept-encoding': 'gzip' } });
    assert.equal(page.status, 200);
    assert.match(page.headers['content-type'], /^text\/html/);
    assert.equal(page.headers['content-encoding'], 'gzip');
    assert.ok(varyOf(page).includes('accept'), `Vary: ${page.headers.vary}`);
    assert.ok(varyOf(page).includes('accept-encoding'), `Vary: ${page.headers.vary}`);

    const api = await request(server.url, '/');
    assert.equal(api.status, 200);
    assert.equal(api.body.toString(), 'API Working');
    assert.ok(varyOf(api).includes('accept'), `Vary: ${api.headers.vary}`);
    assert.ok(varyOf(api).includes('origin'), `Vary: ${api.headers.vary}`);
    assert.equal(api.headers.vary.match(/accept/gi).length, 1, 'one Vary header, no repeats');

    // a client route for curl is the API's 404, which a browser would get as the page
    const notPage = await request(server.url, '/tasks/board');
    assert.equal(notPage.status, 404);
    assert.ok(varyOf(notPage).includes('accept'), `Vary: ${notPage.headers.vary}`);
  });

  test('/api/* answers do not vary on Accept', async () => {
    const res = await request(server.url, '/api/nope', { headers: { accept: HTML } });
    assert.equal(res.status, 404);
    assert.ok(!varyOf(res).includes('accept'), `Vary: ${res.headers.vary}`);
  });

  test('every static answer carries an X-Request-Id', () => {
    for (const a of answers) assert.match(a.id ?? '', /^([0-9a-f-]{36}|support-case:42)$/, `${a.method} ${a.path}`);
    assert.equal(new Set(answers.map((a) => a.id)).size, answers.length, 'ids are unique');
  });

  test('static answers are counted under route="static", by method and status', () => {
    const count = (method, status) =>
      metrics.get(`http_request_duration_seconds_count{method="${method}",route="static",status_code="${status}"}`) ?? 0;
    const made = (method, status) => answers.filter((a) => a.method === method && a.status === status).length;
    for (const [method, status] of [['GET', 200], ['GET', 304], ['GET', 404], ['HEAD', 200]])
      assert.equal(count(method, status), made(method, status), `${method} ${status}`);
    assert.equal(count('GET', 200), 6); // the file three times, a client route twice, /
  });

  test('no series is labelled with a path of the web app', () => {
    for (const route of routes) assert.ok(!/assets|board|\.js/.test(route), `route label ${route}`);
    assert.ok(routes.has('static'));
  });

  test('the web app may not be framed: a strict CSP, X-Frame-Options and Referrer-Policy on its answers', async () => {
    const csp = "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
    for (const [p, headers] of [['/', { accept: HTML }], ['/index.html', {}], ['/tasks/board', { accept: HTML }],
      ['/assets/app-0123abcd.js', {}], ['/assets/missing-99999999.js', {}]]) {
      const res = await request(server.url, p, { headers });
      assert.equal(res.headers['content-security-policy'], csp, `CSP of ${p}`);
      assert.equal(res.headers['x-frame-options'], 'DENY', `X-Frame-Options of ${p}`);
      assert.equal(res.headers['referrer-policy'], 'same-origin', `Referrer-Policy of ${p}`);
      assert.equal(res.headers['x-content-type-options'], 'nosniff', `X-Content-Type-Options of ${p}`);
    }
  });

  test('every static answer has its access log line, with its status and request id', async () => {
    await server.stop(); // flushes the access log
    const lines = (await server.accessLog()).split('\n').filter(Boolean);
    for (const a of answers) {
      const line = lines.find((l) => l.includes(`"${a.id}" "`));
      assert.ok(line, `no access log line for ${a.method} ${a.path} (${a.id})`);
      assert.ok(line.includes(`"${a.method} ${a.path} HTTP/1.1" ${a.status} `), line);
      // the ids of the answer's traceparent end the line
      const [, traceId, spanId] = /^00-([0-9a-f]{32})-([0-9a-f]{16})-00$/.exec(a.traceparent ?? '') ?? [];
      assert.ok(traceId, `traceparent of ${a.method} ${a.path}: ${a.traceparent}`);
      assert.ok(line.endsWith(`"${a.id}" "${traceId}" "${spanId}"`), line);
    }
    // the first answer: the asset in full (the loops' lines reach the file in any order)
    const asset = lines.find((l) => l.includes(`"${answers[0].id}" "`));
    assert.ok(asset.includes(` 200 ${Buffer.byteLength(ASSET)} `), `body size in ${asset}`);
  });
});
