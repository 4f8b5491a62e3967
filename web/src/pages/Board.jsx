// The task page: the quick-add line, the filters, the tasks as a list or as
// a board (columns per status), and the stats. The URL's query string holds
// the view (lib/filters.js), so back and forward work and a view can be
// bookmarked; search and tag are typed into local text and reach the URL
// once they settle (300 ms). The data, and every change, go through
// useTaskData: one request per change, applied in place. Keyboard: the
// shortcuts of lib/shortcuts.js (help with "?"), never while typing.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import HelpDialog from '../components/HelpDialog.jsx';
import FilterBar from '../components/FilterBar.jsx';
import KanbanBoard from '../components/KanbanBoard.jsx';
import QuickAdd, { QUICK_ADD_ID } from '../components/QuickAdd.jsx';
import StatsPanel from '../components/StatsPanel.jsx';
import TaskItem from '../components/TaskItem.jsx';
import { PHONE, useMedia } from '../hooks/useMedia.js';
import { useTaskData } from '../hooks/useTaskData.js';
import { DEFAULT_FILTERS, filtersFromSearch, isFiltered, searchOfFilters } from '../lib/filters.js';
import { createKeys } from '../lib/idempotency.js';
import { shortcutOf } from '../lib/shortcuts.js';
import { useDebounced } from '../lib/useDebounced.js';
import { keepInView } from '../notify.jsx';

const EXAMPLE = 'Pay rent tomorrow #home !high';

// The page's live region: each message is heard once, the same one twice too.
function useAnnouncer() {
  const [message, setMessage] = useState('');
  const flip = useRef(false);
  const announce = useCallback((text) => {
    flip.current = !flip.current;
    setMessage(flip.current ? text : `${text}\u00a0`);
  }, []);
  return [message, announce];
}

function Skeleton() {
  return (
    <ul className="tasks skeleton" aria-hidden="true">
      {[0, 1, 2, 3].map((i) => <li key={i} className="task"><span className="bone bone-title" /><span className="bone bone-meta" /></li>)}
    </ul>
  );
}

function FirstRun({ onStart }) {
  return (
    <div className="empty-state first-run">
      <h3>No tasks yet</h3>
      <p>Type what you need to do in the <strong>New task</strong> line above and press Enter. Add a date, tags and a priority as you type:</p>
      <p className="example"><kbd>{EXAMPLE}</kbd></p>
      <button type="button" className="btn btn-primary" onClick={onStart}>Add your first task</button>
    </div>
  );
}

function NoMatch({ onClear }) {
  return (
    <div className="empty-state">
      <h3>No tasks match these filters</h3>
      <button type="button" className="btn" onClick={onClear}>Clear the filters</button>
    </div>
  );
}

export default function Board() {
  const [params, setParams] = useSearchParams();
  const filters = useMemo(() => filtersFromSearch(params), [params]);
  const filtersRef = useRef(filters);
  filtersRef.current = filters;
  const phone = useMedia(PHONE);
  const [help, setHelp] = useState(false);
  const [message, announce] = useAnnouncer();

  // search and tag: typed here, in the URL once settled
  const [searchText, setSearchText] = useState(filters.search);
  const [tagText, setTagText] = useState(filters.tag);
  const inUrl = useRef({ search: filters.search, tag: filters.tag }); /* what this page last wrote there */
  const search = useDebounced(searchText, 300);
  const tag = useDebounced(tagText, 300);

  // stable (react-router's setter changes with every location), so the
  // effects below run when the typed text settles, and only then
  const setParamsRef = useRef(setParams);
  setParamsRef.current = setParams;
  const setFilters = useCallback((next, { replace = false } = {}) => {
    inUrl.current = { search: next.search, tag: next.tag };
    setParamsRef.current(searchOfFilters(next), { replace });
  }, []);
  const setFilter = useCallback((k, v) => setFilters({ ...filtersRef.current, [k]: v }), [setFilters]);

  useEffect(() => {
    if (search !== filtersRef.current.search) setFilter('search', search);
  }, [search, setFilter]);
  useEffect(() => {
    if (tag !== filtersRef.current.tag) setFilter('tag', tag);
  }, [tag, setFilter]);
  // the URL changed by back / forward / a roll-back: the text follows
  useEffect(() => {
    if (filters.search !== inUrl.current.search) setSearchText(filters.search);
    if (filters.tag !== inUrl.current.tag) setTagText(filters.tag);
    inUrl.current = { search: filters.search, tag: filters.tag };
  }, [filters.search, filters.tag]);

  const onFailed = useCallback((shown) => {
    setSearchText(shown.search);
    setTagText(shown.tag);
    setFilters(shown, { replace: true });
  }, [setFilters]);

  const data = useTaskData(filters, { onFailed, announce });
  const { create: createTask, setStatus, edit, remove, loadMore, undoLast } = data;
  const keys = useRef(null);
  if (keys.current === null) keys.current = createKeys();
  const create = useCallback(async (body) => {
    const key = keys.current.keyFor(body); /* the same key when this body is sent again */
    try {
      const task = await createTask(body, key);
      keys.current.done();
      return task;
    } catch (err) {
      keys.current.done(err);
      throw err; /* the form shows it */
    }
  }, [createTask]);

  // focus after a change: the task's first button present, else the heading
  const listRef = useRef(null);
  useEffect(() => {
    const f = data.focus;
    if (!f) return;
    const item = f.id && listRef.current?.querySelector(`[data-task-id="${CSS.escape(f.id)}"]`);
    const target = item && f.actions.map((a) => item.querySelector(`[data-action="${a}"]`)).find(Boolean);
    const el = target ?? document.getElementById('list-title');
    el?.focus();
    keepInView(el);
  }, [data.focus]);

  // shortcuts
  const streamsRef = useRef(data.streams);
  streamsRef.current = data.streams;
  useEffect(() => {
    const onKey = (e) => {
      const action = shortcutOf(e);
      if (!action || document.querySelector('dialog[open]')) return;
      const item = document.activeElement?.closest?.('[data-task-id]');
      const task = item && streamsRef.current.flatMap((s) => s.tasks).find((t) => t._id === item.dataset.taskId);
      const go = (el) => {
        if (!el) return;
        e.preventDefault();
        el.focus();
        keepInView(el);
      };
      switch (action) {
        case 'new':
          go(document.getElementById(QUICK_ADD_ID) ?? document.querySelector('.quick-add input[name="title"]'));
          break;
        case 'search':
          go(document.querySelector('.filters input[name="search"]'));
          break;
        case 'next':
        case 'previous': {
          const items = [...(listRef.current?.querySelectorAll('[data-task-id]') ?? [])];
          const at = items.indexOf(item);
          go(at === -1 ? items[action === 'next' ? 0 : items.length - 1] : items[at + (action === 'next' ? 1 : -1)]);
          break;
        }
        case 'complete':
          if (task) setStatus(task, task.status === 'completed' ? 'pending' : 'completed', { source: 'complete' });
          break;
        case 'edit':
          if (item) {
            e.preventDefault();
            item.dispatchEvent(new CustomEvent('lsf:edit'));
          }
          break;
        case 'delete':
          item?.dispatchEvent(new CustomEvent('lsf:delete'));
          break;
        case 'undo':
          if (!undoLast()) announce('Nothing to undo');
          break;
        case 'help':
          setHelp(true);
          break;
        default:
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [setStatus, undoLast, announce]);

  const shown = data.shown;
  const view = shown?.view ?? filters.view;
  const board = view === 'board';
  const total = board ? data.streams.reduce((n, s) => n + s.total, 0) : data.list?.total ?? 0;
  const firstLoad = !shown;
  const empty = !firstLoad && total === 0 && (board ? false : data.list.tasks.length === 0);
  const focusQuickAdd = () => document.getElementById(QUICK_ADD_ID)?.focus();
  const clearFilters = () => {
    setSearchText('');
    setTagText('');
    setFilters({ ...DEFAULT_FILTERS, view: filtersRef.current.view, sort: filtersRef.current.sort });
  };

  return (
    <div className={`board page-${view}`}>
      <h1 className="sr-only">Your tasks</h1>
      <QuickAdd onCreate={create} />
      <section className="card tasks-card" aria-labelledby="list-title" aria-busy={data.loading ? 'true' : undefined}>
        <div className="tasks-head">
          <h2 id="list-title" tabIndex={-1}>Tasks</h2>
          <div className="view-switch" role="group" aria-label="View">
            <button type="button" className="btn seg" aria-pressed={filters.view === 'list'} onClick={() => setFilter('view', 'list')}>List</button>
            <button type="button" className="btn seg" aria-pressed={filters.view === 'board'} onClick={() => setFilter('view', 'board')}>Board</button>
          </div>
          <button type="button" className="btn btn-ghost help-btn" aria-keyshortcuts="?" onClick={() => setHelp(true)}>
            Shortcuts <kbd aria-hidden="true">?</kbd>
          </button>
        </div>
        <FilterBar filters={filters} searchText={searchText} tagText={tagText} onSearchText={setSearchText} onTagText={setTagText}
          setFilter={setFilter} />
        <p className="count" role="status">
          {data.loading ? 'Loading…' : `${total} ${total === 1 ? 'task' : 'tasks'}`}
        </p>
        <div ref={listRef} className={data.loading && !firstLoad ? 'stale' : undefined}>
          {firstLoad && <Skeleton />}
          {empty && (data.stats?.total === 0 && !isFiltered(shown) ? <FirstRun onStart={focusQuickAdd} /> : <NoMatch onClear={clearFilters} />)}
          {!firstLoad && board && (
            <KanbanBoard streams={data.streams} loadingMore={data.loadingMore} onStatus={setStatus} onEdit={edit} onDelete={remove}
              onLoadMore={loadMore} announce={announce} />
          )}
          {!firstLoad && !board && !empty && (
            <ul className="tasks">
              {data.list.tasks.map((t) => <TaskItem key={t._id} task={t} onStatus={setStatus} onEdit={edit} onDelete={remove} />)}
            </ul>
          )}
          {!board && data.list?.more && (
            <button type="button" className="btn more" disabled={data.loadingMore !== null} onClick={() => loadMore(data.list.more)}>Load more</button>
          )}
        </div>
      </section>
      <StatsPanel key={board ? 'board' : 'list'} stats={data.stats} openAtFirst={!phone && !board} />
      <HelpDialog open={help} onClose={() => setHelp(false)} />
      <p id="announcer" className="sr-only" role="status" aria-live="polite">{message}</p>
    </div>
  );
}
