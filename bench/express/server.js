// Express reference implementation of the task endpoints that bench/run.sh
// measures against lsf-server: the stack the users run today (Express +
// jsonwebtoken + better-sqlite3), written the way an Express developer would
// port the original app to the SQLite schema of lsf-server (it opens a copy of
// the same seeded database). Same JWT (HS256, claim `id`, from the `token`
// cookie or a Bearer header), same query parameters, same JSON shapes, same
// durability (WAL, synchronous=NORMAL). Like the original app it counts with
// COUNT(*) (countDocuments) and aggregates stats over the tasks; with
// EXPRESS_SQL=lsf it reads totals and stats from the task_counts table instead,
// as lsf-server does. Bench only: not part of `make test`.
//
// Environment: PORT, HOST (127.0.0.1), DB (the SQLite file), JWT_SECRET,
//   EXPRESS_WORKERS (1: one process, as usually deployed; n: node:cluster),
//   EXPRESS_SQL (naive | lsf).
'use strict';

const cluster = require('node:cluster');
const crypto = require('node:crypto');
const express = require('express');
const cookieParser = require('cookie-parser');
const jwt = require('jsonwebtoken');
const Database = require('better-sqlite3');

const PORT = Number(process.env.PORT || 4000);
const HOST = process.env.HOST || '127.0.0.1';
const WORKERS = Number(process.env.EXPRESS_WORKERS || 1);
const USE_COUNTERS = process.env.EXPRESS_SQL === 'lsf';
const { JWT_SECRET } = process.env;

if (!process.env.DB || !JWT_SECRET) {
  console.error('express: DB and JWT_SECRET are required');
  process.exit(2);
}

if (WORKERS > 1 && cluster.isPrimary) {
  for (let i = 0; i < WORKERS; i++) cluster.fork();
  cluster.on('exit', (w, code) => {
    console.error(`express: worker ${w.process.pid} exited with ${code}`);
    process.exit(1);
  });
  process.on('SIGTERM', () => {
    for (const w of Object.values(cluster.workers)) w.kill('SIGTERM');
    process.exit(0);
  });
  return;
}

const db = new Database(process.env.DB);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('foreign_keys = ON');
db.pragma('busy_timeout = 5000');

const STATUSES = ['pending', 'in-progress', 'completed'];
const PRIORITIES = ['low', 'medium', 'high'];
// createdAt sorts by id: ids are UUIDv7 made from created_at, and (user_id, id) is indexed
const SORTS = {
  createdAt: { col: 'id', field: (t) => null },
  updatedAt: { col: 'updated_at', field: (t) => t.updated_at },
  // no due date sorts as the end of time (due_sort = INT64_MAX, more than a JS number holds exactly)
  dueDate: { col: 'due_sort', field: (t) => (t.due_date == null ? 'none' : t.due_date) },
  priority: { col: 'priority', field: (t) => t.priority },
  title: { col: 'title COLLATE NOCASE', field: (t) => t.title },
};
const LIST_PARAMS = new Set(['status', 'priority', 'tag', 'search', 'dueBefore', 'dueAfter', 'sort', 'page', 'limit', 'cursor']);
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/;
const DAY = 86400000;

class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

const iso = (ms) => (ms == null ? null : new Date(ms).toISOString());

function toJson(t) {
  return {
    _id: t.id,
    userId: t.user_id,
    title: t.title,
    description: t.description,
    status: STATUSES[t.status],
    priority: PRIORITIES[t.priority],
    dueDate: iso(t.due_date),
    tags: JSON.parse(t.tags),
    completedAt: iso(t.completed_at),
    createdAt: iso(t.created_at),
    updatedAt: iso(t.updated_at),
  };
}

function uuidv7(ms) {
  const b = crypto.randomBytes(16);
  b.writeUIntBE(ms, 0, 6);
  b[6] = 0x70 | (b[6] & 0x0f);
  b[8] = 0x80 | (b[8] & 0x3f);
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function parseDate(v, field) {
  const ms = ISO_DATE.test(v) ? Date.parse(v) : NaN;
  if (Number.isNaN(ms)) throw new HttpError(400, `${field} must be an ISO-8601 date-time`);
  return ms;
}

function parseInt10(v, field, min, max) {
  if (!/^\d{1,10}$/.test(v) || Number(v) < min || Number(v) > max) {
    throw new HttpError(400, `${field} must be an integer from ${min} to ${max}`);
  }
  return Number(v);
}

// FTS5 query: each word quoted and prefix-matched, restricted to the owner's rows
function matchExpr(userId, text) {
  const words = text.split(/\s+/).filter((w) => /[\p{L}\p{N}]/u.test(w));
  if (words.length === 0) return null;
  const terms = words.map((w) => `"${w.replace(/"/g, '""')}"*`).join(' AND ');
  return `owner : "${userId.replace(/-/g, '')}" AND {title description tags} : (${terms})`;
}

const encodeCursor = (c) => Buffer.from(JSON.stringify(c)).toString('base64url');

function decodeCursor(text, sort) {
  try {
    const c = JSON.parse(Buffer.from(text, 'base64url').toString());
    if (c.s === sort && typeof c.i === 'string') return c;
  } catch (e) {
    // fall through
  }
  throw new HttpError(400, 'cursor is not a cursor this server returned');
}

const stmts = new Map();
function prepare(sql) {
  let s = stmts.get(sql);
  if (!s) {
    s = db.prepare(sql);
    stmts.set(sql, s);
  }
  return s;
}

function auth(req, res, next) {
  const header = req.headers.authorization;
  const token = header && header.startsWith('Bearer ') ? header.slice(7).trim() : req.cookies.token;
  try {
    const decoded = jwt.verify(token, JWT_SECRET, { algorithms: ['HS256'] });
    if (typeof decoded.id !== 'string') throw new Error('no id');
    req.userId = decoded.id;
    return next();
  } catch (e) {
    return res.status(401).json({ success: false, message: 'Not Authorized. Login Again' });
  }
}

function listTasks(req, res) {
  const q = req.query;
  for (const [k, v] of Object.entries(q)) {
    if (!LIST_PARAMS.has(k)) throw new HttpError(400, `Unknown parameter ${k}`);
    if (typeof v !== 'string') throw new HttpError(400, `${k} must be given at most once`);
  }
  const where = ['user_id = ?'];
  const args = [req.userId];
  let countable = true; // the counters can answer: only status and priority filters
  if (q.status) {
    if (!STATUSES.includes(q.status)) throw new HttpError(400, 'status must be one of pending, in-progress, completed');
    where.push('status = ?');
    args.push(STATUSES.indexOf(q.status));
  }
  if (q.priority) {
    if (!PRIORITIES.includes(q.priority)) throw new HttpError(400, 'priority must be one of low, medium, high');
    where.push('priority = ?');
    args.push(PRIORITIES.indexOf(q.priority));
  }
  if (q.tag) {
    where.push('seq IN (SELECT task_seq FROM task_tags WHERE user_id = ? AND tag = ?)');
    args.push(req.userId, q.tag.trim());
    countable = false;
  }
  if (q.search && q.search.trim()) {
    const match = matchExpr(req.userId, q.search.trim());
    if (match === null) {
      return res.json({ success: true, tasks: [], pagination: { currentPage: 1, totalPages: 0, totalTasks: 0, limit: 10, nextCursor: null } });
    }
    where.push('seq IN (SELECT rowid FROM tasks_fts WHERE tasks_fts MATCH ?)');
    args.push(match);
    countable = false;
  }
  if (q.dueBefore) {
    where.push('due_date < ?');
    args.push(parseDate(q.dueBefore, 'dueBefore'));
    countable = false;
  }
  if (q.dueAfter) {
    where.push('due_date > ?');
    args.push(parseDate(q.dueAfter, 'dueAfter'));
    countable = false;
  }
  const sortParam = q.sort || '-createdAt';
  const desc = sortParam.startsWith('-');
  const sort = SORTS[desc ? sortParam.slice(1) : sortParam];
  if (!sort) throw new HttpError(400, 'sort must be one of createdAt, updatedAt, dueDate, priority, title (- for descending)');
  const limit = q.limit ? parseInt10(q.limit, 'limit', 1, 100) : 10;
  const page = q.page ? parseInt10(q.page, 'page', 1, 1000000000) : 1;
  const dir = desc ? 'DESC' : 'ASC';
  const cmp = desc ? '<' : '>';

  const countSql = USE_COUNTERS && countable
    ? `SELECT coalesce(sum(n), 0) AS n FROM task_counts WHERE ${where.join(' AND ')}`
    : `SELECT COUNT(*) AS n FROM tasks WHERE ${where.join(' AND ')}`;
  const listWhere = [...where];
  const listArgs = [...args];
  let tail;
  if (q.cursor) {
    const c = decodeCursor(q.cursor, sortParam);
    if (sort.col === 'id') {
      listWhere.push(`id ${cmp} ?`);
      listArgs.push(c.i);
    } else {
      listWhere.push(`(${sort.col}, id) ${cmp} (?, ?)`);
      listArgs.push(c.k === 'none' && sort.col === 'due_sort' ? 9223372036854775807n : c.k, c.i);
    }
    tail = `ORDER BY ${sort.col === 'id' ? 'id' : `${sort.col} ${dir}, id`} ${dir} LIMIT ?`;
    listArgs.push(limit + 1);
  } else {
    tail = `ORDER BY ${sort.col === 'id' ? 'id' : `${sort.col} ${dir}, id`} ${dir} LIMIT ? OFFSET ?`;
    listArgs.push(limit + 1, (page - 1) * limit);
  }
  const listSql = `SELECT * FROM tasks WHERE ${listWhere.join(' AND ')} ${tail}`;

  // one read transaction, so the total and the page agree
  const { total, rows } = db.transaction(() => ({
    total: prepare(countSql).get(...args).n,
    rows: prepare(listSql).all(...listArgs),
  }))();
  const more = rows.length > limit;
  const tasks = more ? rows.slice(0, limit) : rows;
  const last = tasks[tasks.length - 1];
  res.json({
    success: true,
    tasks: tasks.map(toJson),
    pagination: {
      currentPage: q.cursor ? null : page,
      totalPages: Math.ceil(total / limit),
      totalTasks: total,
      limit,
      nextCursor: more ? encodeCursor({ s: sortParam, k: sort.field(last), i: last.id }) : null,
    },
  });
}

function text(body, field, max, required) {
  const v = body[field];
  if (typeof v !== 'string') throw new HttpError(400, `${field} must be a string`);
  const s = v.trim();
  if (required && s.length === 0) throw new HttpError(400, `${field} must not be empty`);
  if ([...s].length > max) throw new HttpError(400, `${field} must be at most ${max} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(s)) throw new HttpError(400, `${field} must not contain control characters`);
  return s;
}

const TASK_FIELDS = new Set(['title', 'description', 'status', 'priority', 'dueDate', 'tags']);

function createTask(req, res) {
  if (!req.is('application/json')) throw new HttpError(415, 'Content-Type must be application/json');
  const body = req.body;
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'Missing Details');
  for (const k of Object.keys(body)) if (!TASK_FIELDS.has(k)) throw new HttpError(400, `Unknown field ${k}`);
  if (body.title === undefined) throw new HttpError(400, 'Missing Details');
  const title = text(body, 'title', 200, true);
  const description = body.description === undefined ? '' : text(body, 'description', 5000, false);
  let status = 0;
  let priority = 1;
  let due = null;
  let tags = [];
  if (body.status !== undefined) {
    status = STATUSES.indexOf(body.status);
    if (status < 0) throw new HttpError(400, 'status must be one of pending, in-progress, completed');
  }
  if (body.priority !== undefined) {
    priority = PRIORITIES.indexOf(body.priority);
    if (priority < 0) throw new HttpError(400, 'priority must be one of low, medium, high');
  }
  if (body.dueDate !== undefined && body.dueDate !== null) {
    if (typeof body.dueDate !== 'string') throw new HttpError(400, 'dueDate must be an ISO-8601 date-time or null');
    due = parseDate(body.dueDate, 'dueDate');
  }
  if (body.tags !== undefined) {
    if (!Array.isArray(body.tags)) throw new HttpError(400, 'tags must be an array of strings');
    if (body.tags.length > 20) throw new HttpError(400, 'tags must have at most 20 entries');
    tags = body.tags.map((t) => text({ t }, 't', 40, true));
    if (new Set(tags).size !== tags.length) throw new HttpError(400, 'tags must not repeat');
  }
  const now = Date.now();
  const task = {
    id: uuidv7(now),
    user_id: req.userId,
    title,
    description,
    status,
    priority,
    due_date: due,
    tags: JSON.stringify(tags),
    completed_at: status === 2 ? now : null,
    created_at: now,
    updated_at: now,
  };
  prepare(
    'INSERT INTO tasks (id, user_id, title, description, status, priority, due_date, tags, completed_at, created_at, updated_at) ' +
      'VALUES (@id, @user_id, @title, @description, @status, @priority, @due_date, @tags, @completed_at, @created_at, @updated_at)',
  ).run(task);
  res.status(201).json({ success: true, task: toJson(task) });
}

function taskStats(req, res) {
  const now = Date.now();
  const dayStart = now - (now % DAY);
  const stats = {
    total: 0,
    byStatus: { pending: 0, 'in-progress': 0, completed: 0 },
    byPriority: { low: 0, medium: 0, high: 0 },
    overdue: 0,
    dueToday: 0,
    completedLast7Days: 0,
  };
  db.transaction(() => {
    const groups = USE_COUNTERS
      ? prepare('SELECT status, priority, n FROM task_counts WHERE user_id = ?').all(req.userId)
      : prepare('SELECT status, priority, COUNT(*) AS n FROM tasks WHERE user_id = ? GROUP BY status, priority').all(req.userId);
    for (const g of groups) {
      stats.total += g.n;
      stats.byStatus[STATUSES[g.status]] += g.n;
      stats.byPriority[PRIORITIES[g.priority]] += g.n;
    }
    const openDue = prepare(
      'SELECT COUNT(*) AS n FROM tasks WHERE user_id = ? AND status != 2 AND due_date IS NOT NULL AND due_date >= ? AND due_date < ?',
    );
    stats.overdue = openDue.get(req.userId, Number.MIN_SAFE_INTEGER, now).n;
    stats.dueToday = openDue.get(req.userId, dayStart, dayStart + DAY).n;
    stats.completedLast7Days = prepare(
      'SELECT COUNT(*) AS n FROM tasks WHERE user_id = ? AND completed_at IS NOT NULL AND completed_at >= ?',
    ).get(req.userId, now - 7 * DAY).n;
  })();
  res.json({ success: true, stats });
}

function userData(req, res) {
  const user = prepare('SELECT name, email, is_account_verified FROM users WHERE id = ?').get(req.userId);
  if (!user) return res.json({ success: false, message: 'User not found' });
  return res.json({ success: true, userData: { name: user.name, email: user.email, isAccountVerified: user.is_account_verified === 1 } });
}

const app = express();
app.set('query parser', 'simple');
app.use(express.json({ limit: '1mb' }));
app.use(cookieParser());
app.get('/api/health', (req, res) => res.json({ status: 'healthy', timestamp: new Date().toISOString(), services: { database: true } }));
app.get('/api/user/data', auth, userData);
app.get('/api/tasks/stats', auth, taskStats);
app.get('/api/tasks', auth, listTasks);
app.post('/api/tasks', auth, createTask);
app.use((req, res) => res.status(404).json({ success: false, message: 'Not found' }));
// eslint-disable-next-line no-unused-vars
app.use((err, req, res, next) => {
  const status = err.status || err.statusCode || 500;
  if (status >= 500) console.error(err);
  res.status(status).json({ success: false, message: status >= 500 ? 'Internal Server Error' : err.message });
});

const server = app.listen(PORT, HOST, () => console.error(`express: listening on ${HOST}:${PORT} (pid ${process.pid})`));
process.on('SIGTERM', () => server.close(() => {
  db.close();
  process.exit(0);
}));
