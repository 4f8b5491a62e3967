// Helpers of the tasks API tests: a signed-in client, task requests that
// assert their success status, a whole-list reader (page or cursor walk),
// and the JS model of the list's filters, search and sort orders that the
// tests compare the server with.
import assert from 'node:assert/strict';

import { jsonBody, registeredClient } from './client.mjs';

export const STATUSES = ['pending', 'in-progress', 'completed'];
export const PRIORITIES = ['low', 'medium', 'high'];
export const SORTS = ['createdAt', 'updatedAt', 'dueDate', 'priority', 'title'];
export const DAY = 86400000;

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

// A freshly registered user's client (its cookie jar holds the session).
export async function signedIn(server, tag = 'tasks') {
  return (await registeredClient(server.url, tag)).client;
}

export function send(client, method, path, json) {
  return client.request(method, path, json === undefined ? {} : { json });
}

// POST /api/tasks; asserts 201 and the reply's shape, returns the task.
export async function createTask(client, fields) {
  const res = await send(client, 'POST', '/api/tasks', fields);
  const text = await res.text();
  assert.equal(res.status, 201, `create ${JSON.stringify(fields)}: ${res.status} ${text}`);
  const body = JSON.parse(text);
  assert.equal(body.success, true);
  assertTaskShape(body.task);
  return body.task;
}

// PATCH (or PUT) /api/tasks/:id; asserts 200, returns the task.
export async function updateTask(client, id, fields, method = 'PATCH') {
  const res = await send(client, method, `/api/tasks/${id}`, fields);
  const text = await res.text();
  assert.equal(res.status, 200, `${method} ${id} ${JSON.stringify(fields)}: ${res.status} ${text}`);
  const body = JSON.parse(text);
  assert.equal(body.success, true);
  assertTaskShape(body.task);
  return body.task;
}

// DELETE /api/tasks/:id; asserts 200 "Task deleted", returns the task as it
// was when deleted (the answer's `task`).
export async function deleteTask(client, id) {
  const res = await send(client, 'DELETE', `/api/tasks/${id}`);
  const body = await jsonBody(res);
  assert.equal(res.status, 200, `DELETE ${id}: ${res.status} ${JSON.stringify(body)}`);
  assert.deepEqual(Object.keys(body).sort(), ['message', 'success', 'task']);
  assert.equal(body.success, true);
  assert.equal(body.message, 'Task deleted');
  assert.equal(body.task._id, id);
  assertTaskShape(body.task);
  return body.task;
}

// GET /api/tasks?query (an object or a string); asserts 200 and the shape.
export async function listTasks(client, query = {}) {
  const qs = typeof query === 'string' ? query : new URLSearchParams(query).toString();
  const res = await client.get(`/api/tasks${qs ? `?${qs}` : ''}`);
  const text = await res.text();
  assert.equal(res.status, 200, `list ?${qs}: ${res.status} ${text}`);
  const body = JSON.parse(text);
  assert.equal(body.success, true);
  assert.ok(Array.isArray(body.tasks));
  assert.deepEqual(Object.keys(body.pagination).sort(), ['currentPage', 'limit', 'nextCursor', 'totalPages', 'totalTasks']);
  return body;
}

export async function stats(client) {
  const res = await client.get('/api/tasks/stats');
  const body = await jsonBody(res);
  assert.equal(res.status, 200);
  assert.equal(body.success, true);
  return body.stats;
}

// Every task of query by following nextCursor (limit per page); returns the
// tasks in order and the totalTasks of each page.
export async function cursorWalk(client, query = {}, limit = 100, onPage = async () => {}) {
  const tasks = [];
  const totals = [];
  let cursor = null;
  for (let pages = 0; ; pages++) {
    assert.ok(pages < 10000, 'cursor walk does not end');
    const body = await listTasks(client, { ...query, limit: String(limit), ...(cursor ? { cursor } : {}) });
    if (cursor) assert.equal(body.pagination.currentPage, null);
    tasks.push(...body.tasks);
    totals.push(body.pagination.totalTasks);
    await onPage(pages);
    cursor = body.pagination.nextCursor;
    if (cursor === null) break;
    assert.equal(body.tasks.length, limit, 'a page before the last one is full');
  }
  return { tasks, totals };
}

// Every task of query by page numbers 1..totalPages of the first page.
export async function pageWalk(client, query = {}, limit = 100, onPage = async () => {}) {
  const tasks = [];
  const totals = [];
  for (let page = 1; ; page++) {
    const body = await listTasks(client, { ...query, limit: String(limit), page: String(page) });
    assert.equal(body.pagination.currentPage, page);
    tasks.push(...body.tasks);
    totals.push(body.pagination.totalTasks);
    await onPage(page);
    if (body.tasks.length < limit) break;
  }
  return { tasks, totals };
}

export function assertTaskShape(t) {
  assert.deepEqual(Object.keys(t).sort(), [
    '_id', 'completedAt', 'createdAt', 'description', 'dueDate', 'priority', 'status', 'tags', 'title', 'updatedAt', 'userId',
  ]);
  assert.match(t._id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(typeof t.userId, 'string');
  assert.equal(typeof t.title, 'string');
  assert.equal(typeof t.description, 'string');
  assert.ok(STATUSES.includes(t.status), t.status);
  assert.ok(PRIORITIES.includes(t.priority), t.priority);
  assert.ok(t.dueDate === null || ISO.test(t.dueDate), `dueDate ${t.dueDate}`);
  assert.ok(t.completedAt === null || ISO.test(t.completedAt), `completedAt ${t.completedAt}`);
  assert.equal(t.completedAt !== null, t.status === 'completed', 'completedAt is set exactly when completed');
  assert.match(t.createdAt, ISO);
  assert.match(t.updatedAt, ISO);
  assert.ok(Array.isArray(t.tags) && t.tags.every((x) => typeof x === 'string'));
}

// The model.

// The words of text as the server's full-text index sees them: runs of
// letters and digits, lowercased, accents removed.
export function words(text) {
  return (text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().match(/[\p{L}\p{N}]+/gu) || []);
}

// Does task t match the list query q (the API's query parameters)?
export function matches(t, q) {
  if (q.status && t.status !== q.status) return false;
  if (q.priority && t.priority !== q.priority) return false;
  if (q.tag && !t.tags.includes(q.tag)) return false;
  if (q.dueBefore && !(t.dueDate !== null && Date.parse(t.dueDate) < Date.parse(q.dueBefore))) return false;
  if (q.dueAfter && !(t.dueDate !== null && Date.parse(t.dueDate) > Date.parse(q.dueAfter))) return false;
  if (q.search && q.search.trim()) {
    // text without a word (only punctuation or symbols) matches nothing
    const want = words(q.search);
    const have = [t.title, t.description, ...t.tags].flatMap(words);
    if (want.length === 0 || !want.every((w) => have.some((h) => h.startsWith(w)))) return false;
  }
  return true;
}

// SQLite's NOCASE: ASCII letters folded, everything else compared by UTF-8 bytes.
function nocase(s) {
  return Buffer.from(s.replace(/[A-Z]/g, (c) => c.toLowerCase()), 'utf8');
}

function key(t, sort) {
  switch (sort) {
    case 'updatedAt': return Date.parse(t.updatedAt);
    case 'dueDate': return t.dueDate === null ? Infinity : Date.parse(t.dueDate);
    case 'priority': return PRIORITIES.indexOf(t.priority);
    case 'title': return nocase(t.title);
    default: return Date.parse(t.createdAt);
  }
}

// The order of sort ("title", "-dueDate", ...): the key, then _id.
export function compareBy(sort = '-createdAt') {
  const desc = sort.startsWith('-');
  const field = desc ? sort.slice(1) : sort;
  return (a, b) => {
    const ka = key(a, field);
    const kb = key(b, field);
    let c = Buffer.isBuffer(ka) ? Buffer.compare(ka, kb) : ka < kb ? -1 : ka > kb ? 1 : 0;
    if (c === 0) c = a._id < b._id ? -1 : a._id > b._id ? 1 : 0;
    return desc ? -c : c;
  };
}

export function modelList(all, q) {
  return all.filter((t) => matches(t, q)).sort(compareBy(q.sort));
}

export const ids = (tasks) => tasks.map((t) => t._id);
