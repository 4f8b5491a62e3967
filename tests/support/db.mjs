// SQL on a test server's database behind the server's back, as an operator
// or another program would: the sqlite3 CLI for SQLite, psql for PostgreSQL
// (server.db.url says which). sql() runs statements and returns what they
// print; session() keeps one connection open, for holding a transaction
// while the server works.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';

// [program, its arguments, the arguments that run one text and exit]
function command(url) {
  if (url.startsWith('sqlite:')) {
    const args = ['-batch', '-bail', '-cmd', '.timeout 5000', url.slice('sqlite:'.length)];
    return ['sqlite3', args, (text) => [...args, text]];
  }
  const args = ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', url];
  return ['psql', args, (text) => [...args, '-c', text]];
}

// Run text (one or more statements) on server's database; its output, trimmed.
export function sql(server, text) {
  const [bin, , once] = command(server.db.url);
  const r = spawnSync(bin, once(text), { encoding: 'utf8' });
  assert.equal(r.status, 0, `${bin}: ${r.stderr}`);
  return r.stdout.trim();
}

// An interactive connection: run(text) sends statements and resolves once
// they ran (a marker line comes back), close() ends it.
export function session(server) {
  const [bin, args] = command(server.db.url);
  const proc = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let seq = 0;
  proc.stdout.setEncoding('utf8');
  proc.stderr.setEncoding('utf8');
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { err += d; });
  const exited = new Promise((resolve) => proc.on('close', resolve));
  return {
    async run(text) {
      const marker = `lsf-done-${++seq}`;
      proc.stdin.write(`${text}\nSELECT '${marker}';\n`);
      for (;;) {
        const at = out.indexOf(marker);
        if (at >= 0) {
          const result = out.slice(0, at).trim();
          out = out.slice(at + marker.length);
          return result;
        }
        if (proc.exitCode !== null) throw new Error(`${bin} exited: ${err}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async close() {
      proc.stdin.end();
      await exited;
      assert.equal(err.trim(), '', `${bin} reported: ${err}`);
    },
  };
}

// The id claim of a session token (the user id), read without verifying.
export function tokenUserId(token) {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url')).id;
}
