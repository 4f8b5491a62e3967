// Read (or change) a test server's database behind its back, for tests that
// check what is stored at rest: the sqlite3 CLI on the SQLite file, psql on
// the PostgreSQL database of LSF_DATABASE_URL_TEMPLATE (server.db.url).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

// The rows sql returns, each an array of column texts (NULL reads as '';
// values may span lines). One row of one empty value reads as no row: select
// length(x) or count(*) to test for emptiness.
export function dbQuery(server, sql) {
  const url = server.db.url;
  const r = url.startsWith('sqlite:')
    ? spawnSync('sqlite3', ['-batch', '-noheader', '-separator', '\x1f', '-newline', '\x1e', '-cmd', '.timeout 5000', url.slice(7), sql], { encoding: 'utf8' })
    : spawnSync('psql', ['-X', '-q', '-A', '-t', '-F', '\x1f', '-R', '\x1e', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', sql], { encoding: 'utf8' });
  assert.equal(r.status, 0, `${url.startsWith('sqlite:') ? 'sqlite3' : 'psql'}: ${r.error ?? r.stderr}`);
  // sqlite3 ends every row with the separator, psql puts it between rows
  const text = r.stdout.replace(/\n$/, '').replace(/\x1e$/, '');
  return text === '' ? [] : text.split('\x1e').map((row) => row.split('\x1f'));
}

// The single value of a one-row, one-column query.
export function dbValue(server, sql) {
  const rows = dbQuery(server, sql);
  assert.equal(rows.length, 1, `${sql}: expected one row, got ${JSON.stringify(rows)}`);
  return rows[0][0];
}

// An SQL string literal of s (single quotes doubled).
export const sqlText = (s) => `'${String(s).replaceAll("'", "''")}'`;
