// The API client: fetch on the same origin (the session is the server's
// HttpOnly `token` cookie, which the browser sends), one function per endpoint
// of docs/openapi.yaml, and errorMessage() turning any failure into the text
// to show. A failure is an Error with `response` ({status, data, headers})
// when the server answered, else with `request` and `code` (ERR_NETWORK, or
// ECONNABORTED after TIMEOUT_MS). A request that finds the session gone
// ("Not Authorized. Login Again", in either error mode) tells the
// onSessionLost() listeners, so the app can send the user to log in.
import { reportAnswer, reportNoAnswer } from './connectivity.js';
import { newIdempotencyKey } from './lib/idempotency.js';
import { parseRetryAfter, rateLimitMessage } from './lib/retryAfter.js';

export const TIMEOUT_MS = 15000;
// A create that got no answer is sent again, with the same Idempotency-Key,
// after each of these delays.
export const CREATE_RETRY_DELAYS_MS = [1000, 3000];

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export const SESSION_LOST_MESSAGE = 'Not Authorized. Login Again';
const sessionListeners = new Set();

// Calls cb(path) whenever a request finds the session gone; returns the
// unsubscribe function.
export function onSessionLost(cb) {
  sessionListeners.add(cb);
  return () => sessionListeners.delete(cb);
}

// Whether err says the session is gone (not a wrong password, which is a
// 401 too, with its own message).
export function isSessionLost(err) {
  return err?.response?.data?.message === SESSION_LOST_MESSAGE;
}

function noAnswer(method, path, cause) {
  const timedOut = cause?.name === 'TimeoutError';
  const err = new Error(timedOut ? 'Request timed out' : 'Network Error');
  err.request = { method, path };
  err.code = timedOut ? 'ECONNABORTED' : 'ERR_NETWORK';
  err.cause = cause;
  return err;
}

// One request; resolves to the JSON body of a 2xx answer. With
// ERROR_STATUS=legacy the server answers errors with 200 and success:false:
// those reject like real HTTP errors, so callers handle one shape.
export async function request(method, path, { body, params, headers = {}, timeoutMs = TIMEOUT_MS } = {}) {
  const qs = params ? new URLSearchParams(params).toString() : '';
  const init = {
    method,
    credentials: 'same-origin',
    headers: { Accept: 'application/json', ...headers },
    signal: AbortSignal.timeout(timeoutMs),
  };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  let text;
  try {
    res = await fetch(`/api${path}${qs ? `?${qs}` : ''}`, init);
    text = await res.text();
  } catch (cause) {
    reportNoAnswer(); /* the offline banner shows until the server answers again */
    throw noAnswer(method, path, cause); /* the answer, or its body, was lost */
  }
  reportAnswer();
  let data = text;
  try {
    data = text ? JSON.parse(text) : '';
  } catch {
    /* not JSON (a proxy's error page): kept as text */
  }
  if (!res.ok || (data && data.success === false)) {
    const err = new Error((data && typeof data.message === 'string' && data.message) || `Request failed with status code ${res.status}`);
    err.response = { status: res.status, data, headers: res.headers };
    if (isSessionLost(err)) for (const cb of sessionListeners) cb(path);
    throw err;
  }
  return data;
}

// send() again after each delay while it gets no answer at all.
export async function withRetries(send, delays = CREATE_RETRY_DELAYS_MS, wait = sleep) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await send();
    } catch (err) {
      if (err.response || attempt >= delays.length) throw err;
      await wait(delays[attempt]);
    }
  }
}

function header(headers, name) {
  if (!headers) return undefined;
  return typeof headers.get === 'function' ? headers.get(name) : headers[name];
}

// The wait a 429 asked for, in ms; null for other errors or without a
// usable Retry-After.
export function retryAfterOf(err, now = Date.now()) {
  if (err?.response?.status !== 429) return null;
  return parseRetryAfter(header(err.response.headers, 'retry-after'), now);
}

// The message to show for a failed request: for a 429, when to try again;
// else the API's own `message` when it sent one, else a plain description
// of what went wrong.
export function errorMessage(err, now = Date.now()) {
  if (err?.response?.status === 429) return rateLimitMessage(retryAfterOf(err, now));
  const data = err?.response?.data;
  if (data && typeof data.message === 'string' && data.message) return data.message;
  if (err?.response) return `Request failed (HTTP ${err.response.status})`;
  if (err?.request || err?.code === 'ECONNABORTED') return 'Cannot reach the server, please try again';
  return err?.message || 'Something went wrong';
}

// Query parameters for GET /api/tasks: empty filters are left out.
export function taskQuery({ status, priority, tag, search, dueBefore, dueAfter, sort, limit, cursor } = {}) {
  const q = {};
  for (const [k, v] of Object.entries({ status, priority, tag, search, dueBefore, dueAfter, sort, limit, cursor })) {
    const s = typeof v === 'string' ? v.trim() : v;
    if (s !== undefined && s !== null && s !== '') q[k] = s;
  }
  return q;
}

const get = (path, params) => request('GET', path, { params });
const post = (path, body) => request('POST', path, { body });
const taskPath = (id) => `/tasks/${encodeURIComponent(id)}`;

export const api = {
  register: (body) => post('/auth/register', body),
  login: (body) => post('/auth/login', body),
  // a short timeout: the app logs out locally whatever the answer
  logout: () => request('POST', '/auth/logout', { timeoutMs: 5000 }),
  sendVerifyOtp: () => post('/auth/send-verify-otp'),
  verifyAccount: (otp) => post('/auth/verify-account', { otp }),
  sendResetOtp: (email) => post('/auth/send-reset-otp', { email }),
  resetPassword: (body) => post('/auth/reset-password', body),
  userData: () => get('/user/data').then((d) => d.userData),
  listTasks: (filters) => get('/tasks', taskQuery(filters)),
  // key: the Idempotency-Key, the same for every retry of this create
  createTask: (body, { key = newIdempotencyKey(), delays = CREATE_RETRY_DELAYS_MS, wait = sleep } = {}) =>
    withRetries(() => request('POST', '/tasks', { body, headers: { 'Idempotency-Key': key } }), delays, wait).then((d) => d.task),
  updateTask: (id, body) => request('PATCH', taskPath(id), { body }).then((d) => d.task),
  // {success, message, task}: the task as it was; it is in the trash now
  deleteTask: (id) => request('DELETE', taskPath(id)),
  // the task back from the trash, as it was
  restoreTask: (id) => request('POST', `${taskPath(id)}/restore`).then((d) => d.task),
  // {tasks (each with deletedAt), pagination, retentionMs}: last deleted first
  trash: ({ page = 1, limit = 20 } = {}) => get('/tasks/trash', { page, limit }),
  // the whole account as a JSON document (GET /api/user/export), as a Blob
  exportAccount: async () => new Blob([JSON.stringify(await get('/user/export'), null, 2)], { type: 'application/json' }),
  deleteAccount: (password) => request('DELETE', '/user', { body: { password } }),
  taskStats: () => get('/tasks/stats').then((d) => d.stats),
};
