// expectError(): the one way tests assert an error answer, in both error
// modes. The statuses come from parsing the X-macro table in
// src/core/error.h, so the suite cannot drift from the server: under
// LSF_ERROR_STATUS=legacy an error answers its legacy status (200 for most
// accounts errors, as the original Express app did) with the same JSON body.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { errorMode } from './server.mjs';

const ERROR_H = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/core/error.h');

// name -> {status, legacy, message}, from lines such as
//   X(MISSING_DETAILS, 400, 200, "Missing Details")
export const errorTable = (() => {
  const table = new Map();
  const re = /X\((\w+),\s*(\d{3}),\s*(\d{3}),\s*("(?:[^"\\]|\\.)*")\)/g;
  for (const m of readFileSync(ERROR_H, 'utf8').matchAll(re))
    table.set(m[1], { status: Number(m[2]), legacy: Number(m[3]), message: JSON.parse(m[4]) });
  if (table.size < 10) throw new Error(`could not parse the error table in ${ERROR_H}`);
  return table;
})();

// The error row meant by (status, message, code): code names it outright;
// otherwise the row whose status and exact message match.
export function errorRow(status, message, code) {
  if (code !== undefined) {
    const row = errorTable.get(code);
    assert.ok(row, `unknown error code ${code} in ${ERROR_H}`);
    assert.equal(row.status, status, `${code} has status ${row.status} in error.h, the test expects ${status}`);
    return row;
  }
  const rows = [...errorTable.values()].filter((r) => r.status === status && r.message === message);
  assert.equal(rows.length, 1, `no single row of error.h has status ${status} and message ${JSON.stringify(message)}; pass its code`);
  return rows[0];
}

// The status an error of this row answers in the current mode.
export function statusFor(status, message, code) {
  const row = errorRow(status, message, code);
  return errorMode === 'legacy' ? row.legacy : row.status;
}

// Assert res is the error {success:false, message} with the status of the
// current mode; message is a string (exact) or RegExp; code (an error.h
// name) is needed when the message is not the table's own text. Returns the
// parsed body.
export async function expectError(res, status, message, code) {
  const text = await res.text();
  const expected = statusFor(status, typeof message === 'string' ? message : undefined, code);
  assert.equal(res.status, expected, `expected ${expected} (${errorMode} mode) ${message}, got ${res.status}: ${text.slice(0, 300)}`);
  assert.match(res.headers.get('content-type') || '', /^application\/json/i, `error answer is not JSON: ${text.slice(0, 200)}`);
  const body = JSON.parse(text);
  assert.equal(body.success, false, `success must be false: ${text}`);
  if (message instanceof RegExp) assert.match(body.message, message);
  else assert.equal(body.message, message);
  return body;
}
