// Several lists of GET /api/tasks shown as one view: the list merges them
// (pending + in-progress when completed tasks are hidden), the board shows
// one per column. A stream is a list view (lib/taskList.js) with its key
// and query: { key, q, tasks, nextCursor, total }. Changes apply to every
// stream, each by its own query, so a status change takes a task out of one
// column and into another.
import { applyUpdated, compareBy, insertCreated, removeTask } from './taskList.js';

// A stream from its definition ({ key, q }) and a list answer.
export function streamOf(def, res) {
  return { key: def.key, q: def.q, tasks: res.tasks, nextCursor: res.pagination.nextCursor ?? null, total: res.pagination.totalTasks };
}

// The streams after a create: { streams, refetch } (refetch: keys of the
// streams that cannot tell whether the task belongs, under a search).
export function createdIn(streams, task) {
  const refetch = [];
  const next = streams.map((s) => {
    const r = insertCreated(s, task, s.q);
    if (r.refetch) refetch.push(s.key);
    return r.refetch ? s : r.view;
  });
  return { streams: next, refetch };
}

// The streams after an update (searchMatched: see taskList.inQuery).
export function updatedIn(streams, task, searchMatched = false) {
  return streams.map((s) => applyUpdated(s, task, s.q, searchMatched));
}

export function removedFrom(streams, id) {
  return streams.map((s) => removeTask(s, id));
}

// Which tasks the list shows of several streams, in sort order: merged, and
// cut after the first of the streams with more pages ends (past its last
// loaded task, tasks of it not loaded yet could come first). Tasks in
// `pinned` (ids the user changed since the lists were loaded) are shown
// wherever they sort, even past the cut, so an edit never hides its task.
// Returns { tasks, total, more }: more is the key of the stream "Load more"
// asks next (the one that ends first), or null when all are complete.
export function merged(streams, sort, pinned = new Set()) {
  if (streams.length === 1) {
    const [s] = streams;
    return { tasks: s.tasks, total: s.total, more: s.nextCursor ? s.key : null };
  }
  const cmp = compareBy(sort);
  let cut = null;
  let more = null;
  for (const s of streams) {
    if (!s.nextCursor || s.tasks.length === 0) continue;
    const last = s.tasks[s.tasks.length - 1];
    if (cut === null || cmp(last, cut) < 0) {
      cut = last;
      more = s.key;
    }
  }
  if (more === null) more = streams.find((s) => s.nextCursor)?.key ?? null;
  const all = streams.flatMap((s) => s.tasks).sort(cmp);
  const tasks = cut === null ? all : all.filter((t) => cmp(t, cut) <= 0 || pinned.has(t._id));
  return { tasks, total: streams.reduce((n, s) => n + s.total, 0), more };
}

// Every task shown, in the order of the page: the list's merge, or the
// board's columns one after the other.
export function shownTasks(streams, view, sort, pinned) {
  return view === 'board' ? streams.flatMap((s) => s.tasks) : merged(streams, sort, pinned).tasks;
}
