// Raw TCP clients for tests that fetch cannot express: a connection that
// writes a head byte by byte (slowloris), keeps a connection idle, sends
// several requests on one socket, or needs to know who closed it.
// RawConn.open(port) -> conn; conn.write(bytes); conn.response() parses the
// next HTTP/1.1 answer; conn.closed resolves {byServer, at} when the socket
// closes; connectOutcome(port) says whether anything accepts connections.
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export class RawConn {
  // Resolves once connected; rejects on a connect error.
  static open(port, host = '127.0.0.1') {
    return new Promise((resolve, reject) => {
      const sock = net.connect(port, host);
      sock.once('error', reject);
      sock.once('connect', () => {
        sock.off('error', reject);
        resolve(new RawConn(sock));
      });
    });
  }

  constructor(sock) {
    this.sock = sock;
    this.openedAt = Date.now();
    this.buf = Buffer.alloc(0);
    this.sent = 0; // bytes handed to write()
    this.byServer = false; // the peer ended or reset the connection
    this.byUs = false;
    this.waiter = null;
    this.drip = null;
    sock.setNoDelay(true);
    sock.on('data', (d) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake();
    });
    sock.on('end', () => {
      this.byServer = !this.byUs;
    });
    sock.on('error', (err) => {
      if (!this.byUs && ['ECONNRESET', 'EPIPE'].includes(err.code)) this.byServer = true;
    });
    this.closed = new Promise((resolve) => {
      sock.on('close', () => {
        this.stopDrip();
        this.closedAt = Date.now();
        this.wake();
        resolve({ byServer: this.byServer, at: this.closedAt });
      });
    });
  }

  get isClosed() {
    return this.closedAt !== undefined;
  }

  wake() {
    const w = this.waiter;
    this.waiter = null;
    if (w) w();
  }

  // Resolves when the bytes are flushed to the kernel (or the socket is gone).
  write(bytes) {
    if (this.sock.destroyed) return Promise.resolve();
    this.sent += Buffer.byteLength(bytes);
    return new Promise((resolve) => this.sock.write(bytes, () => resolve()));
  }

  // Write one byte of `bytes` every intervalMs until all are sent or the
  // socket closes. Returns at once; `dripDone` resolves when it stops.
  startDrip(bytes, intervalMs) {
    const data = Buffer.from(bytes);
    let i = 0;
    this.dripDone = new Promise((resolve) => {
      this.drip = { resolve };
      this.drip.timer = setInterval(() => {
        if (this.sock.destroyed || i >= data.length) {
          this.stopDrip();
          return;
        }
        this.write(data.subarray(i, i + 1));
        i++;
      }, intervalMs);
    });
  }

  stopDrip() {
    if (!this.drip) return;
    clearInterval(this.drip.timer);
    this.drip.resolve();
    this.drip = null;
  }

  destroy() {
    this.stopDrip();
    if (!this.isClosed) this.byUs = true;
    this.sock.destroy();
  }

  // Wait until closed; rejects after timeoutMs (the socket is then destroyed).
  async waitClosed(timeoutMs) {
    const timer = sleep(timeoutMs, 'timeout', { ref: false });
    const outcome = await Promise.race([this.closed, timer]);
    if (outcome === 'timeout') {
      this.destroy();
      throw new Error(`the connection was still open after ${timeoutMs} ms`);
    }
    return outcome;
  }

  // Wait until the buffer holds something parse() accepts.
  async next(parse, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const got = parse();
      if (got !== null) return got;
      if (this.isClosed) throw new Error(`connection closed; received so far: ${JSON.stringify(this.buf.toString('latin1').slice(0, 300))}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no complete answer within ${timeoutMs} ms; received: ${JSON.stringify(this.buf.toString('latin1').slice(0, 300))}`);
      await new Promise((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  // The next complete HTTP/1.x response: {status, headers (lower-case
  // names), body (utf8)}. Bodies framed by Content-Length, chunked encoding,
  // or (Connection: close) the end of the stream. Not for HEAD answers.
  response({ timeoutMs = 5000 } = {}) {
    return this.next(() => this.takeResponse(), timeoutMs);
  }

  takeResponse() {
    const end = this.buf.indexOf('\r\n\r\n');
    if (end < 0) return null;
    const lines = this.buf.subarray(0, end).toString('latin1').split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
    if (!m) throw new Error(`not an HTTP response: ${JSON.stringify(lines[0])}`);
    const headers = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const status = Number(m[1]);
    let rest = this.buf.subarray(end + 4);
    let body;
    let used;
    if (status === 204 || status === 304 || (status >= 100 && status < 200)) {
      body = Buffer.alloc(0);
      used = 0;
    } else if (/chunked/i.test(headers['transfer-encoding'] || '')) {
      const parts = [];
      let off = 0;
      for (;;) {
        const eol = rest.indexOf('\r\n', off);
        if (eol < 0) return null;
        const size = parseInt(rest.subarray(off, eol).toString('latin1'), 16);
        if (Number.isNaN(size)) throw new Error('bad chunk size');
        if (rest.length < eol + 2 + size + 2) return null;
        parts.push(rest.subarray(eol + 2, eol + 2 + size));
        off = eol + 2 + size + 2;
        if (size === 0) break;
      }
      body = Buffer.concat(parts);
      used = off;
    } else if (headers['content-length'] !== undefined) {
      const len = Number(headers['content-length']);
      if (rest.length < len) return null;
      body = rest.subarray(0, len);
      used = len;
    } else {
      if (!this.isClosed) return null; // delimited by the end of the stream
      body = rest;
      used = rest.length;
    }
    rest = rest.subarray(used);
    this.buf = Buffer.from(rest);
    return { status, headers, body: body.toString('utf8') };
  }
}

// 'connected' when something accepts a TCP connection on port, otherwise the
// error code (ECONNREFUSED when nothing listens).
export function connectOutcome(port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const sock = net.connect(port, host);
    sock.once('connect', () => {
      sock.destroy();
      resolve('connected');
    });
    sock.once('error', (err) => resolve(err.code));
  });
}
