// A browser-like client for the API tests: global fetch plus a cookie jar
// that stores Set-Cookie answers and sends them back, helpers for JSON
// requests, a raw HTTP/1.1 sender for what fetch cannot send, and unique
// test identities.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';

// A unique lowercase address per call, so tests never share an account.
export function uniqueEmail(tag = 'user') {
  return `${tag}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}@example.com`;
}

export function newIdentity(tag = 'user') {
  return { name: `Test ${tag}`, email: uniqueEmail(tag), password: `pw-${randomBytes(6).toString('hex')}` };
}

// Parse one Set-Cookie line into {name, value, attrs} (attribute names lowercased).
export function parseSetCookie(line) {
  const [pair, ...rest] = line.split(';');
  const eq = pair.indexOf('=');
  const attrs = {};
  for (const a of rest) {
    const i = a.indexOf('=');
    const k = (i < 0 ? a : a.slice(0, i)).trim().toLowerCase();
    attrs[k] = i < 0 ? true : a.slice(i + 1).trim();
  }
  return { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), attrs };
}

export class Client {
  constructor(baseUrl) {
    this.baseUrl = baseUrl;
    this.jar = new Map();
  }

  get token() {
    return this.jar.get('token');
  }

  // fetch(path) with the jar's cookies (signal: an AbortSignal); the answer's
  // Set-Cookie updates the jar.
  async request(method, path, { json, body, headers = {}, cookies = true, signal } = {}) {
    const h = { ...headers };
    if (json !== undefined) {
      h['content-type'] ??= 'application/json';
      body = JSON.stringify(json);
    }
    if (cookies && this.jar.size > 0 && !('cookie' in h))
      h.cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(this.baseUrl + path, { method, headers: h, body, redirect: 'manual', signal });
    for (const line of res.headers.getSetCookie()) {
      const c = parseSetCookie(line);
      if (c.attrs['max-age'] === '0' || c.value === '') this.jar.delete(c.name);
      else this.jar.set(c.name, c.value);
    }
    return res;
  }

  get(path, opts) {
    return this.request('GET', path, opts);
  }

  post(path, json, opts = {}) {
    return this.request('POST', path, { ...opts, json });
  }

  async register(identity) {
    return this.post('/api/auth/register', identity);
  }

  async login({ email, password }) {
    return this.post('/api/auth/login', { email, password });
  }
}

// Read a JSON answer, asserting its Content-Type first.
export async function jsonBody(res) {
  const type = res.headers.get('content-type') || '';
  const text = await res.text();
  if (!/^application\/json/i.test(type)) throw new Error(`expected JSON, got ${res.status} ${type}: ${text.slice(0, 200)}`);
  return JSON.parse(text);
}

// GET /api/user/data as client: its userData (throws unless 200).
export async function userData(client) {
  const res = await client.get('/api/user/data');
  const body = await jsonBody(res);
  if (res.status !== 200) throw new Error(`GET /api/user/data: ${res.status} ${JSON.stringify(body)}`);
  return body.userData;
}

// Register a fresh account on a new client and return {client, identity}.
export async function registeredClient(baseUrl, tag) {
  const client = new Client(baseUrl);
  const identity = newIdentity(tag);
  const res = await client.register(identity);
  const body = await res.text();
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${body}`);
  return { client, identity };
}

// One request through node:http, returning {status, headers, body} even when
// the server answers before the whole request body is sent (413).
export function rawHttp(url, { method = 'POST', headers = {}, body, chunked = false } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: false });
    req.on('response', (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', (err) => {
      if (!req.res) reject(err); // after a response, a reset on our unsent body is expected
    });
    if (body !== undefined) {
      if (chunked) {
        const size = 64 * 1024;
        for (let i = 0; i < body.length; i += size) req.write(body.subarray(i, i + size));
      } else {
        req.write(body);
      }
    }
    req.end();
  });
}

// Send bytes on a fresh TCP connection and collect the reply until the server
// closes it or timeoutMs passes; for heads that fetch would not send.
export function rawSocket(port, bytes, timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    const chunks = [];
    const timer = setTimeout(() => sock.destroy(), timeoutMs);
    sock.on('connect', () => sock.write(bytes));
    sock.on('data', (d) => chunks.push(d));
    sock.on('error', (err) => (chunks.length ? undefined : reject(err)));
    sock.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const status = Number(/^HTTP\/1\.\d (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, text });
    });
  });
}
