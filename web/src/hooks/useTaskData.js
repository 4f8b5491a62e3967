// The task page's data: the streams that show the chosen filters (one list,
// two merged lists, or a board column each: lib/filters.js streamDefs), the
// stats, and every change the user makes, each costing one request and
// applied in place from the server's answer (lib/streams.js, lib/stats.js)
// so the user keeps the pages they loaded and the task in view.
//
// - New filters are shown only once every stream of them answered. When that
//   fails, the filters shown stay, and onFailed(shownFilters) lets the page
//   put its controls (and the URL) back to match what is on screen.
// - Status changes (complete, reopen, the status control, a board move) are
//   shown at once and confirmed by the answer; a refusal puts the task back.
//   Each offers an Undo (lastUndo), which is itself not undoable.
// - Create, edit and delete wait for the answer. A delete moves the task to
//   the server's trash and offers an Undo too, which restores it.
// - The stats and the tasks shown are reloaded quietly when the tab is
//   shown or focused again (at most every SYNC_MIN_MS), every SYNC_EVERY_MS
//   while visible, and when the server is reachable again after an outage.
//   Reads that overlapped a write are asked again once writes settle.
// - focus: after a change, { id, actions } names the task (and the first of
//   its buttons present) that should take keyboard focus; the page applies it.
import { useCallback, useEffect, useRef, useState } from 'react';
import { api } from '../api.js';
import { subscribe as onConnectivity } from '../connectivity.js';
import { searchOfFilters, streamDefs } from '../lib/filters.js';
import { STATUS_LABELS } from '../lib/chart.js';
import { applyTaskChange } from '../lib/stats.js';
import { createdIn, merged, removedFrom, shownTasks, streamOf, updatedIn } from '../lib/streams.js';
import { appendPage, focusAfter, sameText } from '../lib/taskList.js';
import { notifyError, notifyUndo } from '../notify.jsx';

export const LIST_PAGE = 10;
export const BOARD_PAGE = 50;
const MAX_LIMIT = 100; /* the API's largest page (STORE_TASK_PAGE_MAX) */
const SYNC_MIN_MS = 2 * 60 * 1000;
const SYNC_EVERY_MS = 5 * 60 * 1000;

const pageOf = (f) => (f.view === 'board' ? BOARD_PAGE : LIST_PAGE);

function useRefState(initial) {
  const [value, setValue] = useState(initial);
  const ref = useRef(value);
  const set = useCallback((v) => {
    ref.current = v;
    setValue(v);
  }, []);
  return [value, ref, set];
}

export function statusChangeText(task, status) {
  if (status === 'completed') return `Completed “${task.title}”`;
  if (task.status === 'completed') return `Reopened “${task.title}”`;
  return `Moved “${task.title}” to ${STATUS_LABELS[status]}`;
}

export function useTaskData(filters, { onFailed, announce }) {
  const [streams, streamsRef, setStreams] = useRefState([]);
  const [shown, shownRef, setShown] = useRefState(null); /* the filters on screen */
  const [stats, statsRef, setStats] = useRefState(null);
  const [loading, setLoading] = useState(true);
  const [loadingMore, setLoadingMore] = useState(null); /* key of the stream loading its next page */
  const [focus, setFocus] = useState(null);
  const request = useRef(0); /* the latest load; older answers are dropped */
  // Writes: epoch moves when one starts and when one ends; a read that
  // overlapped a write may or may not include it.
  const writes = useRef({ epoch: 0, busy: 0, statsStale: false });
  const syncedAt = useRef(0);
  const pinned = useRef(new Set()); /* ids changed since the lists loaded (lib/streams.js merged) */
  const matched = useRef(new Set()); /* ids the shown search answered with */
  const lastUndo = useRef(null);
  const callbacks = useRef({ onFailed, announce });
  callbacks.current = { onFailed, announce };

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

  // Every stream of f from the start; limits: tasks per stream key (default
  // a page). quiet: no loading state, no error toast, no roll-back.
  const load = useCallback(async (f, { limits = {}, quiet = false } = {}) => {
    const id = ++request.current;
    const epoch = writes.current.epoch;
    const defs = streamDefs(f);
    if (!quiet) setLoading(true);
    try {
      const answers = await Promise.all(defs.map((d) => api.listTasks({ ...d.q, limit: limits[d.key] ?? pageOf(f) })));
      if (id !== request.current) return;
      if (writes.current.epoch !== epoch) {
        load(f, { limits, quiet: true }); /* a change landed meanwhile: these answers may miss it */
        return;
      }
      const next = defs.map((d, i) => streamOf(d, answers[i]));
      pinned.current = new Set();
      matched.current = new Set(next.flatMap((s) => s.tasks.map((t) => t._id)));
      setShown(f);
      setStreams(next);
    } catch (err) {
      if (id !== request.current || quiet) return;
      notifyError(err);
      const was = shownRef.current;
      if (was && searchOfFilters(was) !== searchOfFilters(f)) callbacks.current.onFailed?.(was);
    } finally {
      if (id === request.current) setLoading(false);
    }
  }, [setShown, setStreams, shownRef]);

  // The filters shown, again, with as many tasks as shown now per stream
  // (+ extra), so "Load more" pages stay.
  const reloadShown = useCallback((extra = 0) => {
    const f = shownRef.current;
    if (!f) return;
    const limits = {};
    for (const s of streamsRef.current) limits[s.key] = Math.min(MAX_LIMIT, Math.max(pageOf(f), s.tasks.length + extra));
    load(f, { limits, quiet: true });
  }, [load, shownRef, streamsRef]);

  const filtersKey = searchOfFilters(filters);
  const filtersRef = useRef(filters);
  filtersRef.current = filters;
  useEffect(() => {
    // the filters on screen again (a roll-back, or back to them): nothing to load
    if (shownRef.current && searchOfFilters(shownRef.current) === filtersKey) {
      request.current++; /* drops the answer of a load still on its way */
      setLoading(false);
      return;
    }
    load(filtersRef.current);
  }, [load, filtersKey, shownRef]);

  useEffect(() => {
    loadStats();
  }, [loadStats]);

  useEffect(() => {
    const sync = (force) => {
      if (document.visibilityState !== 'visible') return;
      if (force !== true && Date.now() - syncedAt.current < SYNC_MIN_MS) return;
      syncedAt.current = Date.now();
      loadStats({ quiet: true });
      reloadShown();
    };
    const timer = setInterval(sync, SYNC_EVERY_MS);
    const unsubscribe = onConnectivity((offline) => !offline && sync(true));
    window.addEventListener('focus', sync);
    document.addEventListener('visibilitychange', sync);
    return () => {
      clearInterval(timer);
      unsubscribe();
      window.removeEventListener('focus', sync);
      document.removeEventListener('visibilitychange', sync);
    };
  }, [loadStats, reloadShown]);

  const write = useCallback(async (send) => {
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
  }, [loadStats, statsRef]);

  const visible = useCallback(
    () => shownTasks(streamsRef.current, shownRef.current?.view, shownRef.current?.sort, pinned.current),
    [shownRef, streamsRef],
  );
  const find = useCallback((id) => streamsRef.current.flatMap((s) => s.tasks).find((t) => t._id === id), [streamsRef]);

  // Show `after` in place of `before`: the stats and every stream.
  const apply = useCallback((before, after) => {
    setStats(applyTaskChange(statsRef.current, before, after));
    const known = matched.current.has(after._id) && sameText(before, after);
    if (!known) matched.current.delete(after._id);
    pinned.current.add(after._id);
    setStreams(updatedIn(streamsRef.current, after, known));
  }, [setStats, setStreams, statsRef, streamsRef]);

  const create = useCallback(async (body, key) => {
    const task = await write(() => api.createTask(body, { key }));
    setStats(applyTaskChange(statsRef.current, null, task));
    const placed = createdIn(streamsRef.current, task);
    setStreams(placed.streams);
    if (placed.refetch.length) reloadShown(1);
    callbacks.current.announce?.(`Created “${task.title}”`);
    return task;
  }, [write, reloadShown, setStats, setStreams, statsRef, streamsRef]);

  // An edit from the form: throws for the form to show.
  const edit = useCallback(async (task, body) => {
    const saved = await write(() => api.updateTask(task._id, body));
    const before = visible();
    apply(find(saved._id) ?? task, saved);
    const after = visible();
    if (!after.some((t) => t._id === saved._id)) setFocus({ id: focusAfter(before, after, saved._id), actions: ['complete', 'reopen', 'edit'] });
    callbacks.current.announce?.(`Saved “${saved.title}”`);
    return saved;
  }, [write, apply, visible, find]);

  // complete / reopen / the status control / a board move. source decides
  // where focus goes: 'complete' moves on to the next task (as after
  // Complete in any list), 'move' follows the card to its new column.
  const setStatus = useCallback(async (task, status, { source = 'status', undoable = true } = {}) => {
    const old = find(task._id) ?? task;
    if (old.status === status) return;
    const now = new Date().toISOString();
    const guess = { ...old, status, completedAt: status === 'completed' ? now : null, updatedAt: now };
    const before = visible();
    apply(old, guess);
    const after = visible();
    const stays = after.some((t) => t._id === old._id);
    if (source === 'complete' || !stays) setFocus({ id: focusAfter(before, after, old._id), actions: ['complete', 'reopen', 'edit'] });
    else if (source === 'move') setFocus({ id: old._id, actions: ['move'] });
    else setFocus({ id: old._id, actions: source === 'status' ? ['status'] : ['complete', 'reopen', 'edit'] });
    let saved;
    try {
      saved = await write(() => api.updateTask(old._id, { status }));
    } catch (err) {
      apply(find(old._id) ?? guess, old);
      notifyError(err);
      callbacks.current.announce?.(`Could not change “${old.title}”`);
      return;
    }
    apply(find(old._id) ?? guess, saved);
    const text = statusChangeText(old, status);
    if (!undoable) {
      callbacks.current.announce?.(`Undone: “${old.title}” is ${STATUS_LABELS[status]} again`);
      return;
    }
    const undo = () => {
      if (lastUndo.current === undo) lastUndo.current = null;
      return setStatus(saved, old.status, { source: 'undo', undoable: false });
    };
    lastUndo.current = undo;
    notifyUndo(text, undo);
  }, [write, apply, visible, find]);

  const undoLast = useCallback(() => {
    const undo = lastUndo.current;
    if (!undo) return false;
    lastUndo.current = null;
    undo();
    return true;
  }, []);

  // Bring a deleted task back from the trash and show it where it belongs.
  const restore = useCallback(async (task) => {
    let back;
    try {
      back = await write(() => api.restoreTask(task._id));
    } catch (err) {
      notifyError(err);
      callbacks.current.announce?.(`Could not restore “${task.title}”`);
      return;
    }
    if (find(back._id)) return; /* shown already (a repeated Undo) */
    setStats(applyTaskChange(statsRef.current, null, back));
    const placed = createdIn(streamsRef.current, back);
    setStreams(placed.streams);
    if (placed.refetch.length) reloadShown(1);
    setFocus({ id: back._id, actions: ['complete', 'reopen', 'edit'] });
    callbacks.current.announce?.(`Restored “${back.title}”`);
  }, [write, find, reloadShown, setStats, setStreams, statsRef, streamsRef]);

  // Delete moves the task to the server's trash; the toast's Undo (and `u`)
  // restores it.
  const remove = useCallback(async (task) => {
    try {
      const res = await write(() => api.deleteTask(task._id));
      setStats(applyTaskChange(statsRef.current, res.task ?? task, null));
      const before = visible();
      setStreams(removedFrom(streamsRef.current, task._id));
      setFocus({ id: focusAfter(before, visible(), task._id), actions: ['complete', 'reopen', 'edit'] });
      callbacks.current.announce?.(`Deleted “${task.title}”`);
      const gone = res.task ?? task;
      const undo = () => {
        if (lastUndo.current === undo) lastUndo.current = null;
        return restore(gone);
      };
      lastUndo.current = undo;
      notifyUndo(`Deleted “${gone.title}”`, undo);
    } catch (err) {
      notifyError(err);
    }
  }, [write, restore, setStats, setStreams, statsRef, streamsRef, visible]);

  const loadMore = useCallback(async (key) => {
    const f = shownRef.current;
    const s = streamsRef.current.find((x) => x.key === key);
    if (!f || !s?.nextCursor) return;
    setLoadingMore(key);
    try {
      const res = await api.listTasks({ ...s.q, limit: pageOf(f), cursor: s.nextCursor });
      if (shownRef.current !== f) return; /* other filters are shown now */
      for (const t of res.tasks) matched.current.add(t._id);
      setStreams(streamsRef.current.map((x) => (x.key === key ? appendPage(x, res) : x)));
    } catch (err) {
      notifyError(err);
    } finally {
      setLoadingMore(null);
    }
  }, [setStreams, shownRef, streamsRef]);

  const list = shown && shown.view !== 'board' ? merged(streams, shown.sort, pinned.current) : null;
  return {
    streams, shown, stats, loading, loadingMore, list, focus,
    create, edit, setStatus, remove, loadMore, undoLast,
  };
}
