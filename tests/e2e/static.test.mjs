// lsf-server serving web/dist (WEB_DIR): cache policy, ETag/304, the
// precompressed variants, the SPA fallback for navigations, and what stays
// the API's (GET / for non-browsers, /api/*, /health, other methods, paths
// leaving WEB_DIR).
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';

import { startServer } from '../support/server.mjs';
import { checkPrerequisites, WEB_DIR } from './browser.mjs';
import net from 'node:net';

let server;
let asset;
const HTML = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

before(async () => {
  checkPrerequisites();
  server = await startServer({ WEB_DIR });
  asset = (await readdir(path.join(WEB_DIR, 'assets'))).find((n) => /^vendor-.*\.js$/.test(n));
});

after(async () => {
  if (server) assert.equal(await server.close(), 0, 'lsf-server exit code');
});

const get = (p, headers = {}) => fetch(server.url + p, { headers, redirect: 'manual' });

// fetch() decompresses and hides Content-Encoding choices; this sends the exact path and headers.
function raw(pathname, headers = {}) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(server.port, '127.0.0.1');
    const chunks = [];
    sock.on('data', (c) => chunks.push(c));
    sock.on('error', reject);
    sock.on('end', () => {
      const buf = Buffer.concat(chunks);
      const sep = buf.indexOf('\r\n\r\n');
      const head = buf.subarray(0, sep).toString('latin1').split('\r\n');
      const h = {};
      for (const line of head.slice(1)) h[line.slice(0, line.indexOf(':')).toLowerCase()] = line.slice(line.indexOf(':') + 1).trim();
      resolve({ status: Number(head[0].split(' ')[1]), headers: h, body: buf.subarray(sep + 4) });
    });
    const lines = [`GET ${pathname} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close'];
    for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
    sock.end(lines.join('\r\n') + '\r\n\r\n');
  });
}

describe('web app files', () => {
  test('hashed assets are immutable, with an ETag answering 304', async () => {
    const res = await get(`/assets/${asset}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.match(res.headers.get('content-type'), /javascript/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    const etag = res.headers.get('etag');
    assert.ok(etag);
    await res.arrayBuffer();
    const again = await get(`/assets/${asset}`, { 'if-none-match': etag });
    assert.equal(again.status, 304);
    assert.equal(again.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  });

  test('brotli or gzip by Accept-Encoding, from the precompressed files', async () => {
    const original = await readFile(path.join(WEB_DIR, 'assets', asset));
    const br = await raw(`/assets/${asset}`, { 'Accept-Encoding': 'gzip, br' });
    assert.equal(br.headers['content-encoding'], 'br');
    assert.match(br.headers.vary, /accept-encoding/);
    assert.ok(brotliDecompressSync(br.body).equals(original));
    const gz = await raw(`/assets/${asset}`, { 'Accept-Encoding': 'gzip' });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.ok(gunzipSync(gz.body).equals(original));
    const plain = await raw(`/assets/${asset}`);
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.ok(plain.body.equals(original));
  });

  test('a browser gets index.html at / and at client routes, not cached without revalidation', async () => {
    const index = await readFile(path.join(WEB_DIR, 'index.html'), 'utf8');
    for (const p of ['/', '/login', '/reset-password', '/some/client/route?x=1']) {
      const res = await get(p, HTML);
      assert.equal(res.status, 200, p);
      assert.equal(res.headers.get('cache-control'), 'no-cache', p);
      assert.match(res.headers.get('content-type'), /^text\/html/, p);
      assert.match(res.headers.get('vary'), /accept/, p);
      assert.equal(await res.text(), index, p);
    }
  });

  test('a client that does not ask for HTML keeps the API answers', async () => {
    const root = await get('/');
    assert.equal(await root.text(), 'API Working');
    const route = await get('/login');
    assert.equal(route.status, 404);
    assert.equal((await route.json()).success, false);
  });

  test('/api/* and /health stay the API, even for a browser', async () => {
    const res = await get('/api/nope', HTML);
    assert.equal(res.status, 404);
    assert.deepEqual(await res.json(), { success: false, message: 'Not Found' });
    const health = await get('/health', HTML);
    assert.equal((await health.json()).status, 'healthy');
  });

  test('a missing asset is a 404, not the page', async () => {
    const res = await get('/assets/missing-0000.js', HTML);
    assert.equal(res.status, 404);
    assert.match(res.headers.get('content-type'), /json/);
    await res.arrayBuffer();
  });

  test('other methods on files are the API\'s', async () => {
    const res = await fetch(`${server.url}/index.html`, { method: 'POST', headers: HTML });
    assert.equal(res.status, 404);
    assert.match(res.headers.get('content-type'), /json/);
    await res.arrayBuffer();
  });

  test('nothing outside WEB_DIR is served', async () => {
    for (const p of ['/../../../../etc/passwd', '/assets/..%2f..%2f..%2f..%2fetc%2fpasswd', '/%2e%2e/%2e%2e/etc/passwd', '/.%2e/package.json']) {
      const res = await raw(p, { Accept: 'text/html' });
      assert.doesNotMatch(res.body.toString('latin1'), /root:|"name"/, p);
    }
    const dot = await raw('/.gitignore');
    assert.equal(dot.status, 404);
  });
});
