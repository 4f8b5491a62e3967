// The tests' view of email: starts smtp_sink.py, reads the .eml files it
// stores, decodes them (headers, multipart, base64, quoted-printable) and
// finds the 6-digit OTP in a message, so OTP flows use the real email.
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const SINK = path.join(path.dirname(fileURLToPath(import.meta.url)), 'smtp_sink.py');

function unfoldHeaders(text) {
  const headers = {};
  for (const line of text.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const name = line.slice(0, i).trim().toLowerCase();
    (headers[name] ??= []).push(line.slice(i + 1).trim());
  }
  return headers;
}

// RFC 2047 encoded words (=?utf-8?B?...?= / ?Q?) in a header value.
function decodeWords(value) {
  return value.replace(/=\?([^?]+)\?([bBqQ])\?([^?]*)\?=/g, (_, charset, enc, data) => {
    const buf = enc.toUpperCase() === 'B'
      ? Buffer.from(data, 'base64')
      : Buffer.from(data.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (m, h) => String.fromCharCode(parseInt(h, 16))), 'latin1');
    return buf.toString(/utf-?8/i.test(charset) ? 'utf8' : 'latin1');
  });
}

function decodeBody(raw, encoding) {
  const enc = (encoding || '7bit').toLowerCase();
  if (enc === 'base64') return Buffer.from(raw.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (enc === 'quoted-printable') {
    const bytes = raw.replace(/=\r?\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (m, h) => String.fromCharCode(parseInt(h, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8');
  }
  return raw;
}

// Split one MIME entity into headers and its decoded leaf parts.
function parseEntity(text) {
  const sep = text.search(/\r?\n\r?\n/);
  const headText = sep < 0 ? text : text.slice(0, sep);
  const body = sep < 0 ? '' : text.slice(sep).replace(/^\r?\n\r?\n/, '');
  const headers = unfoldHeaders(headText);
  const type = (headers['content-type']?.[0] || 'text/plain').toLowerCase();
  const boundary = /boundary="?([^";]+)"?/i.exec(headers['content-type']?.[0] || '')?.[1];
  if (type.startsWith('multipart/') && boundary) {
    const parts = body.split(`--${boundary}`).slice(1);
    const leaves = [];
    for (const part of parts) {
      if (part.startsWith('--')) break;
      leaves.push(...parseEntity(part.replace(/^\r?\n/, '')).parts);
    }
    return { headers, parts: leaves };
  }
  return { headers, parts: [{ type, text: decodeBody(body, headers['content-transfer-encoding']?.[0]) }] };
}

export function parseMail(raw) {
  const { headers, parts } = parseEntity(raw);
  const plain = parts.find((p) => p.type.startsWith('text/plain'));
  const html = parts.find((p) => p.type.startsWith('text/html'));
  return {
    raw,
    headers,
    envelopeTo: (headers['x-envelope-to'] || []).map((a) => a.toLowerCase()),
    to: decodeWords(headers.to?.[0] || ''),
    subject: decodeWords(headers.subject?.[0] || ''),
    text: plain?.text ?? (html ? html.text.replace(/<[^>]*>/g, ' ') : ''),
    html: html?.text ?? '',
  };
}

// The 6-digit code in a mail, or null: the plain text first, else the HTML
// without its tags (so a colour such as #123456 in a style is not taken).
export function extractOtp(mail) {
  const find = (s) => /(?<![\w#@.-])\d{6}(?![\w@-])/.exec(s)?.[0] ?? null;
  return find(mail.text) ?? find(mail.html.replace(/<style[\s\S]*?<\/style>/gi, ' ').replace(/<[^>]*>/g, ' '));
}

class Sink {
  constructor(dir, proc, port) {
    this.dir = dir;
    this.proc = proc;
    this.port = port;
    this.taken = new Set(); // files already returned by waitForMail
  }

  // Every stored mail, oldest first, with its file name.
  async all() {
    let names;
    try {
      names = (await readdir(this.dir)).filter((n) => n.endsWith('.eml')).sort();
    } catch {
      return [];
    }
    const out = [];
    for (const name of names) out.push({ file: name, ...parseMail(await readFile(path.join(this.dir, name), 'latin1').then((s) => Buffer.from(s, 'latin1').toString('utf8'))) });
    return out;
  }

  async mailsTo(address) {
    const a = address.toLowerCase();
    return (await this.all()).filter((m) => m.envelopeTo.includes(a));
  }

  // The next mail to address (not returned before) that satisfies match.
  async waitForMail(address, { match = () => true, timeoutMs = 10000 } = {}) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const m of await this.mailsTo(address)) {
        if (!this.taken.has(m.file) && match(m)) {
          this.taken.add(m.file);
          return m;
        }
      }
      if (Date.now() > deadline) throw new Error(`no mail to ${address} within ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  // The next mail to address carrying a 6-digit code (and satisfying
  // opts.match, if given); returns {mail, otp}.
  async waitForOtp(address, { match = () => true, ...opts } = {}) {
    const mail = await this.waitForMail(address, { ...opts, match: (m) => match(m) && extractOtp(m) !== null });
    return { mail, otp: extractOtp(mail) };
  }

  async stop() {
    if (this.proc === null || this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const done = new Promise((resolve) => this.proc.once('exit', resolve));
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
    await done;
    clearTimeout(timer);
  }
}

// The mail another sink stores in dir (the Compose stack's, tests/compose),
// read the same way; stop() does nothing.
export function openMailDir(dir) {
  return new Sink(dir, null, null);
}

export function startSink(dir) {
  return new Promise((resolve, reject) => {
    const proc = spawn('/usr/bin/python3', [SINK, '--host', '127.0.0.1', '--port', '0', '--dir', dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`smtp sink did not start:\n${err}`));
    }, 10000);
    proc.stderr.on('data', (d) => {
      err += d;
    });
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /READY (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(new Sink(dir, proc, Number(m[1])));
      }
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`smtp sink exited with ${code}:\n${err}`));
    });
  });
}
