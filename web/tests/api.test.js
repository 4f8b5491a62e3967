import { afterEach, describe, expect, test, vi } from 'vitest';
import { api, errorMessage, isSessionLost, onSessionLost, retryAfterOf, taskQuery } from '../src/api.js';

const NOW = Date.parse('2030-01-02T03:04:05Z');

describe('errorMessage', () => {
  test('shows the API message of an HTTP error', () => {
    const err = { response: { status: 401, data: { success: false, message: 'Invalid email or password' } } };
    expect(errorMessage(err)).toBe('Invalid email or password');
  });
  test('names the status when the body has no message', () => {
    expect(errorMessage({ response: { status: 502, data: '<html>' } })).toBe('Request failed (HTTP 502)');
  });
  test('explains a rate limit without a body', () => {
    expect(errorMessage({ response: { status: 429, data: '' } })).toMatch(/Too many requests/);
  });
  test('a 429 says when to try again, from Retry-After in seconds or as a date', () => {
    const limited = (value) => ({
      response: { status: 429, data: { success: false, message: 'Too many requests from this IP, please try again later.' }, headers: new Headers({ 'Retry-After': value }) },
    });
    expect(errorMessage(limited('120'), NOW)).toBe('Too many requests: try again in 2 minutes');
    expect(errorMessage(limited('Wed, 02 Jan 2030 03:04:50 GMT'), NOW)).toBe('Too many requests: try again in 45 seconds');
    expect(retryAfterOf(limited('30'), NOW)).toBe(30000);
    expect(retryAfterOf({ response: { status: 503, headers: new Headers({ 'Retry-After': '30' }) } }, NOW)).toBeNull();
  });
  test('a request without an answer is a network problem', () => {
    expect(errorMessage({ request: {}, message: 'Network Error' })).toBe('Cannot reach the server, please try again');
  });
  test('falls back to the error text', () => {
    expect(errorMessage(new Error('boom'))).toBe('boom');
    expect(errorMessage(undefined)).toBe('Something went wrong');
  });
});

describe('taskQuery', () => {
  test('leaves out empty filters and trims text', () => {
    expect(taskQuery({ status: '', priority: 'high', tag: '  ', search: ' milk ', sort: '-createdAt', limit: 10, cursor: undefined }))
      .toEqual({ priority: 'high', search: 'milk', sort: '-createdAt', limit: 10 });
  });
  test('passes the cursor of the previous page', () => {
    expect(taskQuery({ cursor: 'abc' })).toEqual({ cursor: 'abc' });
  });
  test('passes the due-date bounds of the quick filters', () => {
    expect(taskQuery({ status: 'pending', dueBefore: '2030-01-02T00:00:00.000Z', dueAfter: '' }))
      .toEqual({ status: 'pending', dueBefore: '2030-01-02T00:00:00.000Z' });
    expect(taskQuery({ dueAfter: '2030-01-01T23:59:59.999Z' })).toEqual({ dueAfter: '2030-01-01T23:59:59.999Z' });
  });
});

// The client against a fetch spy: what it sends, and what it makes of answers.
const json = (status, body, headers = {}) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
const TASK = { _id: 'id-1', title: 'Buy milk' };

function spy(...answers) {
  const fetch = vi.fn(async () => {
    const next = answers.shift();
    if (next instanceof Error) throw next;
    return next;
  });
  vi.stubGlobal('fetch', fetch);
  return fetch;
}
const sent = (fetch, i) => ({ url: fetch.mock.calls[i][0], ...fetch.mock.calls[i][1], headers: new Headers(fetch.mock.calls[i][1].headers) });

afterEach(() => vi.unstubAllGlobals());

describe('the client', () => {
  test('a create sends its body with a fresh Idempotency-Key (a UUID) each time', async () => {
    const fetch = spy(json(201, { success: true, task: TASK }), json(201, { success: true, task: TASK }));
    expect(await api.createTask({ title: 'Buy milk' })).toEqual(TASK);
    await api.createTask({ title: 'Buy milk' });
    const [one, two] = [sent(fetch, 0), sent(fetch, 1)];
    expect(one.url).toBe('/api/tasks');
    expect(one.method).toBe('POST');
    expect(one.body).toBe('{"title":"Buy milk"}');
    expect(one.headers.get('content-type')).toBe('application/json');
    expect(one.headers.get('idempotency-key')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(two.headers.get('idempotency-key')).not.toBe(one.headers.get('idempotency-key'));
  });

  test('a create that got no answer is sent again with the same key, and only then', async () => {
    const fetch = spy(new TypeError('Failed to fetch'), new TypeError('Failed to fetch'), json(201, { success: true, task: TASK }));
    const waits = [];
    const task = await api.createTask({ title: 'Buy milk' }, { delays: [5, 7], wait: async (ms) => waits.push(ms) });
    expect(task).toEqual(TASK);
    expect(fetch).toHaveBeenCalledTimes(3);
    const keys = [0, 1, 2].map((i) => sent(fetch, i).headers.get('idempotency-key'));
    expect(new Set(keys).size).toBe(1);
    expect(waits).toEqual([5, 7]);
  });

  test('an answer, even an error, is not retried; no answer after the last retry rejects as a network error', async () => {
    let fetch = spy(json(400, { success: false, message: 'title is required' }), json(201, {}));
    await expect(api.createTask({ title: '' }, { delays: [0], wait: async () => {} })).rejects.toMatchObject({ response: { status: 400 } });
    expect(fetch).toHaveBeenCalledTimes(1);
    fetch = spy(new TypeError('x'), new TypeError('x'));
    const err = await api.createTask({ title: 'a' }, { delays: [0], wait: async () => {} }).catch((e) => e);
    expect(fetch).toHaveBeenCalledTimes(2);
    expect(err.code).toBe('ERR_NETWORK');
    expect(errorMessage(err)).toBe('Cannot reach the server, please try again');
  });

  test('the caller\'s key is the one sent (a resubmitted form reuses it)', async () => {
    const fetch = spy(json(201, { success: true, task: TASK }));
    await api.createTask({ title: 'a' }, { key: 'my-key' });
    expect(sent(fetch, 0).headers.get('idempotency-key')).toBe('my-key');
  });

  test('other writes send no Idempotency-Key', async () => {
    const fetch = spy(json(200, { success: true, task: TASK }), json(200, { success: true, message: 'Task deleted', task: TASK }));
    await api.updateTask('id/1', { status: 'completed' });
    expect(await api.deleteTask('id-1')).toEqual({ success: true, message: 'Task deleted', task: TASK });
    expect(sent(fetch, 0).url).toBe('/api/tasks/id%2F1');
    expect(sent(fetch, 0).method).toBe('PATCH');
    expect(sent(fetch, 0).headers.has('idempotency-key')).toBe(false);
    expect(sent(fetch, 1).method).toBe('DELETE');
    expect(sent(fetch, 1).body).toBeUndefined();
  });

  test('a 429 rejects with its Retry-After readable', async () => {
    spy(json(429, { success: false, message: 'Too many requests from this IP, please try again later.' }, { 'Retry-After': '90' }));
    const err = await api.taskStats().catch((e) => e);
    expect(err.response.status).toBe(429);
    expect(errorMessage(err, Date.now())).toBe('Too many requests: try again in 90 seconds');
  });

  test('legacy errors (200 with success:false) reject like HTTP errors; a list query leaves out empty filters', async () => {
    const fetch = spy(json(200, { success: false, message: 'Invalid OTP' }), json(200, { success: true, tasks: [], pagination: {} }));
    await expect(api.verifyAccount('123456')).rejects.toMatchObject({ message: 'Invalid OTP', response: { status: 200 } });
    await api.listTasks({ status: '', search: ' milk ', limit: 10 });
    expect(sent(fetch, 1).url).toBe('/api/tasks?search=milk&limit=10');
  });
});

describe('the trash, the account and a lost session', () => {
  test('restore, the trash page and account deletion send what the API expects', async () => {
    const fetch = spy(
      json(200, { success: true, message: 'Task restored', task: TASK }),
      json(200, { success: true, tasks: [], pagination: { currentPage: 2, totalPages: 1, totalTasks: 0, limit: 20 }, retentionMs: 5 }),
      json(200, { success: true, message: 'Account deleted' }),
    );
    expect(await api.restoreTask('id/1')).toEqual(TASK);
    expect((await api.trash({ page: 2 })).retentionMs).toBe(5);
    await api.deleteAccount('pw "x"');
    expect(sent(fetch, 0).url).toBe('/api/tasks/id%2F1/restore');
    expect(sent(fetch, 0).method).toBe('POST');
    expect(sent(fetch, 1).url).toBe('/api/tasks/trash?page=2&limit=20');
    expect(sent(fetch, 2).url).toBe('/api/user');
    expect(sent(fetch, 2).method).toBe('DELETE');
    expect(sent(fetch, 2).body).toBe('{"password":"pw \\"x\\""}');
  });

  test('the export is the document, as a JSON Blob', async () => {
    spy(json(200, { success: true, exportedAt: '2026-12-05T00:00:00.000Z', user: { name: 'A' }, tasks: [TASK] }));
    const blob = await api.exportAccount();
    expect(blob.type).toBe('application/json');
    expect(JSON.parse(await blob.text()).tasks).toEqual([TASK]);
  });

  test('a lost session tells the listeners in both error modes; a wrong password does not', async () => {
    const lost = [];
    const stop = onSessionLost((path) => lost.push(path));
    spy(
      json(401, { success: false, message: 'Not Authorized. Login Again' }),
      json(200, { success: false, message: 'Not Authorized. Login Again' }),
      json(401, { success: false, message: 'Incorrect password' }),
    );
    await expect(api.taskStats()).rejects.toThrow('Not Authorized. Login Again');
    await expect(api.listTasks({})).rejects.toThrow('Not Authorized. Login Again');
    await expect(api.deleteAccount('wrong')).rejects.toThrow('Incorrect password');
    stop();
    expect(lost).toEqual(['/tasks/stats', '/tasks']);
    expect(isSessionLost({ response: { status: 401, data: { message: 'Incorrect password' } } })).toBe(false);
  });
});
