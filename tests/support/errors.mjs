// expectError(): the one way tests assert an error answer, in both error
// modes. Under LSF_ERROR_STATUS=legacy an error answers its legacy status
// (200 for most accounts errors, as the original Express app did; the status
// where Express middleware answered: unknown route, 413, 415, malformed JSON,
// 429) with the same JSON body. The expected rows are written out below, not
// read from src/core/error.h, so a wrong row there fails the suite; a row
// added there needs its line here too.
import assert from 'node:assert/strict';

import { errorMode } from './server.mjs';

// name (CORE_E_<name> in error.h) -> {status, legacy, message}
export const errorTable = new Map(Object.entries({
  BAD_REQUEST: { status: 400, legacy: 200, message: 'Bad Request' },
  MALFORMED_REQUEST: { status: 400, legacy: 400, message: 'Malformed request' },
  INVALID_JSON: { status: 400, legacy: 400, message: 'Malformed JSON body' },
  VALIDATION: { status: 400, legacy: 200, message: 'Invalid request' },
  MISSING_DETAILS: { status: 400, legacy: 200, message: 'Missing Details' },
  INVALID_EMAIL: { status: 400, legacy: 200, message: 'Invalid email' },
  WEAK_PASSWORD: { status: 400, legacy: 200, message: 'Password must be at least 8 characters' },
  LOGIN_FIELDS_REQUIRED: { status: 400, legacy: 200, message: 'Email and password are required' },
  ALREADY_VERIFIED: { status: 400, legacy: 200, message: 'Account Already verified' },
  INVALID_OTP: { status: 400, legacy: 200, message: 'Invalid OTP' },
  OTP_EXPIRED: { status: 400, legacy: 200, message: 'OTP Expired' },
  EMAIL_REQUIRED: { status: 400, legacy: 200, message: 'Email is required' },
  RESET_FIELDS_REQUIRED: { status: 400, legacy: 200, message: 'Email, OTP, and new password are required' },
  IDEMPOTENCY_KEY: { status: 400, legacy: 400, message: 'Idempotency-Key must be 1 to 255 printable ASCII characters' },
  INVALID_CREDENTIALS: { status: 401, legacy: 200, message: 'Invalid email or password' },
  NOT_AUTHORIZED: { status: 401, legacy: 200, message: 'Not Authorized. Login Again' },
  FORBIDDEN: { status: 403, legacy: 403, message: 'Forbidden' },
  NOT_FOUND: { status: 404, legacy: 404, message: 'Not Found' },
  USER_NOT_FOUND: { status: 404, legacy: 200, message: 'User not found' },
  TASK_NOT_FOUND: { status: 404, legacy: 200, message: 'Task not found' },
  METHOD_NOT_ALLOWED: { status: 405, legacy: 405, message: 'Method Not Allowed' },
  USER_EXISTS: { status: 409, legacy: 200, message: 'User already exists' },
  CONFLICT: { status: 409, legacy: 200, message: 'Conflict' },
  IDEMPOTENCY_IN_PROGRESS: { status: 409, legacy: 409, message: 'A request with this Idempotency-Key is in progress; retry later' },
  PAYLOAD_TOO_LARGE: { status: 413, legacy: 413, message: 'Request body too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, legacy: 415, message: 'Content-Type must be application/json' },
  EXPECTATION_FAILED: { status: 417, legacy: 417, message: 'Expectation Failed' },
  IDEMPOTENCY_MISMATCH: { status: 422, legacy: 422, message: 'This Idempotency-Key was used with a different request' },
  HEADERS_TOO_LARGE: { status: 431, legacy: 431, message: 'Request header fields too large' },
  RATE_LIMITED: { status: 429, legacy: 429, message: 'Too many requests from this IP, please try again later.' },
  INTERNAL: { status: 500, legacy: 200, message: 'Internal Server Error' },
  UNAVAILABLE: { status: 503, legacy: 503, message: 'Service Unavailable' },
}));

// The error row meant by (status, message, code): code names it outright;
// otherwise the row whose status and exact message match.
export function errorRow(status, message, code) {
  if (code !== undefined) {
    const row = errorTable.get(code);
    assert.ok(row, `unknown error code ${code}: add its row to errorTable in tests/support/errors.mjs`);
    assert.equal(row.status, status, `${code} has status ${row.status} in errors.mjs, the test expects ${status}`);
    return row;
  }
  const rows = [...errorTable.values()].filter((r) => r.status === status && r.message === message);
  assert.equal(rows.length, 1, `no single row of errorTable has status ${status} and message ${JSON.stringify(message)}; pass its code`);
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
