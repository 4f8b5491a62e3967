// The task board: stats, a new-task form, filters (status, priority, tag,
// debounced search, sort) and the list, paged with pagination.nextCursor.
// A create, update or delete costs one request: the list and the counts
// are updated in place from the task in its answer (lib/taskList.js,
// lib/stats.js), so the user keeps the pages they loaded and the task in
// view. Both are reloaded quietly when the tab comes back into view or
// regains focus (at most every SYNC_MIN_MS) and every SYNC_EVERY_MS while
// visible, so a drift (another tab, a day passing) does not last.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { toast } from 'react-toastify';
import { api } from '../api.js';
import Field from '../components/Field.jsx';
import StatsPanel from '../components/StatsPanel.jsx';
import TaskForm from '../components/TaskForm.jsx';
import TaskItem from '../components/TaskItem.jsx';
import { PRIORITY_LABELS, STATUS_LABELS } from '../lib/chart.js';
import { createKeys } from '../lib/idempotency.js';
import { applyTaskChange } from '../lib/stats.js';
import { appendPage, emptyView, focusAfter, insertCreated, removeTask, replaceUpdated, viewOf } from '../lib/taskList.js';
import { useDebounced } from '../lib/useDebounced.js';
import { notifyError } from '../notify.jsx';

const PAGE = 10;
const MAX_LIMIT = 100; /* the API's largest page (STORE_TASK_PAGE_MAX) */
const SYNC_MIN_MS = 2 * 60 * 1000;
const SYNC_EVERY_MS = 5 * 60 * 1000;
const SORTS = {
  '-createdAt': 'Newest first',
  createdAt: 'Oldest first',
  dueDate: 'Due date',
  '-priority': 'Priority, high first',
  title: 'Title A–Z',
  '-updatedAt': 'Recently changed',
};

const isCompletion = (body) => Object.keys(body).length === 1 && body.status === 'completed';

export default function Board() {
  const [filters, setFilters] = useState({ status: '', priority: '', tag: '', search: '', sort: '-createdAt' });
  const search = useDebounced(filters.search, 300);
  const tag = useDebounced(filters.tag, 300);
  const query = useMemo(
    () => ({ status: filters.status, priority: filters.priority, sort: filters.sort, tag, search }),
    [filters.status, filters.priority, filters.sort, tag, search],
  );

  // State that the handlers read right after a change lives in refs too.
  const [view, setViewState] = useState(emptyView);
  const viewRef = useRef(view);
  const setView = useCallback((v) => { viewRef.current = v; setViewState(v); }, []);
  const [stats, setStatsState] = useState(null);
  const statsRef = useRef(null);
  const setStats = useCallback((s) => { statsRef.current = s; setStatsState(s); }, []);
  const [loading, setLoading] = useState(false);

  const shownQuery = useRef(null); /* the query of the tasks shown */
  const request = useRef(0); /* the latest list request; older answers are dropped */
  // Writes: epoch moves when one starts and when one ends; an answer of a
  // read that overlapped a write may or may not include it.
  const writes = useRef({ epoch: 0, busy: 0, statsStale: false });
  const syncedAt = useRef(0);
  const focusTo = useRef(undefined);
  const listRef = useRef(null);
  const keys = useRef(null);
  if (keys.current === null) keys.current = createKeys();

  const loadStats = useCallback(async ({ quiet = false } = {}) => {
    const w = writes.current;
    const epoch = w.epoch;
    const clean = w.busy === 0;
    try {
      const s = await api.taskStats();
      syncedAt.current = Date.now();
      if (clean && w.epoch === epoch) setStats(s);
      else w.statsStale = true; /* counted after the writes settle */
    } catch (err) {
      if (!quiet) notifyError(err);
    }
  }, [setStats]);

  // The list of q from the start, `limit` tasks; with cursor, the next page
  // appended. quiet: no "Loading…" and no error toast (a background sync).
  const loadList = useCallback(async (q, { limit = PAGE, cursor, quiet = false } = {}) => {
    const id = ++request.current;
    const epoch = writes.current.epoch;
    if (!quiet) setLoading(true);
    try {
      const res = await api.listTasks({ ...q, limit, cursor });
      if (id !== request.current) return; /* a newer request answered first */
      if (cursor) {
        setView(appendPage(viewRef.current, res));
        return;
      }
      if (writes.current.epoch !== epoch) {
        loadList(q, { limit, quiet: true }); /* a change landed meanwhile: this answer may miss it */
        return;
      }
      shownQuery.current = q;
      setView(viewOf(res));
    } catch (err) {
      if (id === request.current && !quiet) notifyError(err);
    } finally {
      if (id === request.current) setLoading(false);
    }
  }, [setView]);

  // As many tasks as shown now, so "Load more" pages stay.
  const reloadShown = useCallback((extra = 0) => {
    const n = viewRef.current.tasks.length + extra;
    if (n > MAX_LIMIT || !shownQuery.current) return;
    loadList(shownQuery.current, { limit: Math.max(PAGE, n), quiet: true });
  }, [loadList]);

  useEffect(() => {
    loadList(query);
  }, [loadList, query]);

  useEffect(() => {
    loadStats();
  }, [loadStats]);

  useEffect(() => {
    const sync = () => {
      if (document.visibilityState !== 'visible' || Date.now() - syncedAt.current < SYNC_MIN_MS) return;
      syncedAt.current = Date.now();
      loadStats({ quiet: true });
      reloadShown();
    };
    const timer = setInterval(sync, SYNC_EVERY_MS);
    window.addEventListener('focus', sync);
    window.addEventListener('online', sync);
    document.addEventListener('visibilitychange', sync);
    return () => {
      clearInterval(timer);
      window.removeEventListener('focus', sync);
      window.removeEventListener('online', sync);
      document.removeEventListener('visibilitychange', sync);
    };
  }, [loadStats, reloadShown]);

  // After Complete, Delete or an edit that took a task out of the list:
  // focus the next task's first action (see focusAfter), or the list's
  // heading when none is left, never <body>.
  useEffect(() => {
    if (focusTo.current === undefined) return;
    const id = focusTo.current;
    focusTo.current = undefined;
    const item = id && listRef.current?.querySelector(`[data-task-id="${CSS.escape(id)}"]`);
    const target = item?.querySelector('[data-action="complete"]') ?? item?.querySelector('[data-action="edit"]');
    (target ?? document.getElementById('list-title'))?.focus();
  }, [view]);

  async function write(send) {
    const w = writes.current;
    w.epoch++;
    w.busy++;
    try {
      return await send();
    } finally {
      w.epoch++;
      w.busy--;
      // counts that could not take the change (none loaded yet, or a load overlapped it) are asked for
      if (w.busy === 0 && (w.statsStale || statsRef.current === null)) {
        w.statsStale = false;
        loadStats({ quiet: true });
      }
    }
  }

  const set = (k) => (e) => setFilters((f) => ({ ...f, [k]: e.target.value }));

  async function create(body) {
    const key = keys.current.keyFor(body); /* the same key when this body is sent again */
    let task;
    try {
      task = await write(() => api.createTask(body, { key }));
      keys.current.done();
    } catch (err) {
      keys.current.done(err);
      throw err; /* the form shows it */
    }
    setStats(applyTaskChange(statsRef.current, null, task));
    const placed = insertCreated(viewRef.current, task, shownQuery.current ?? {});
    if (placed.refetch) reloadShown(1);
    else setView(placed.view);
    toast.success(`Created "${task.title}"`);
  }

  async function update(task, body) {
    const completing = isCompletion(body);
    try {
      const saved = await write(() => api.updateTask(task._id, body));
      const before = viewRef.current;
      const old = before.tasks.find((t) => t._id === saved._id) ?? task;
      setStats(applyTaskChange(statsRef.current, old, saved));
      const next = replaceUpdated(before, saved, shownQuery.current ?? {});
      if (completing || !next.tasks.some((t) => t._id === saved._id)) focusTo.current = focusAfter(before.tasks, next.tasks, saved._id);
      setView(next);
      toast.success(completing ? `Completed "${saved.title}"` : `Saved "${saved.title}"`);
    } catch (err) {
      if (!completing) throw err; /* the edit form shows it at the field */
      notifyError(err);
    }
  }

  async function remove(task) {
    try {
      const res = await write(() => api.deleteTask(task._id));
      setStats(applyTaskChange(statsRef.current, res.task ?? task, null));
      const before = viewRef.current;
      const next = removeTask(before, task._id);
      focusTo.current = focusAfter(before.tasks, next.tasks, task._id);
      setView(next);
      toast.success(`Deleted "${task.title}"`);
    } catch (err) {
      notifyError(err);
    }
  }

  return (
    <div className="board">
      <h1 className="sr-only">Your tasks</h1>
      <StatsPanel stats={stats} />
      <section className="card" aria-labelledby="new-title">
        <h2 id="new-title">New task</h2>
        <TaskForm onSave={create} submitLabel="Add task" />
      </section>
      <section className="card" aria-labelledby="list-title">
        <h2 id="list-title" tabIndex={-1}>Tasks</h2>
        <div className="filters" role="search" aria-label="Filter tasks">
          <Field label="Search" type="search" name="search" value={filters.search} onChange={set('search')} />
          <Field label="Status" as="select" name="filter-status" value={filters.status} onChange={set('status')}>
            <option value="">Any</option>
            {Object.entries(STATUS_LABELS).map(([k, l]) => <option key={k} value={k}>{l}</option>)}
          </Field>
          <Field label="Priority" as="select" name="filter-priority" value={filters.priority} onChange={set('priority')}>
            <option value="">Any</option>
            {Object.entries(PRIORITY_LABELS).map(([k, l]) => <option key={k} value={k}>{l}</option>)}
          </Field>
          <Field label="Tag" name="filter-tag" value={filters.tag} onChange={set('tag')} />
          <Field label="Sort" as="select" name="sort" value={filters.sort} onChange={set('sort')}>
            {Object.entries(SORTS).map(([k, l]) => <option key={k} value={k}>{l}</option>)}
          </Field>
        </div>
        <p className="count" role="status">
          {loading ? 'Loading…' : `${view.total} ${view.total === 1 ? 'task' : 'tasks'}`}
        </p>
        {view.tasks.length === 0 && !loading ? (
          <p className="empty">No tasks here yet.</p>
        ) : (
          <ul className="tasks" ref={listRef}>
            {view.tasks.map((t) => <TaskItem key={t._id} task={t} onUpdate={update} onDelete={remove} />)}
          </ul>
        )}
        {view.nextCursor && (
          <button type="button" className="btn more" disabled={loading}
            onClick={() => loadList(shownQuery.current, { cursor: viewRef.current.nextCursor })}>Load more</button>
        )}
      </section>
    </div>
  );
}
