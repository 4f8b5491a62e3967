// The view the user chose (list or board, filters, search, sort), as it
// lives in the URL's query string so that back and forward work and a view
// can be bookmarked, and the lists ("streams") of GET /api/tasks that show it.
//
// URL keys: view=board, status, priority, tag, q (search), sort, due
// (today | upcoming | overdue), hide=completed. Defaults are left out, and
// unknown values are ignored, so any URL gives a valid view.
//
// Streams: the API filters one status at a time, so "every status but
// completed" is two streams (pending and in-progress) that the list merges
// (lib/streams.js), and the board is one stream per column.
import { DAY, todayStart } from './dates.js';
import { PRIORITY_LABELS, STATUS_LABELS } from './chart.js';

export const STATUSES = Object.keys(STATUS_LABELS);
export const SORTS = {
  '-createdAt': 'Newest first',
  createdAt: 'Oldest first',
  dueDate: 'Due date',
  '-priority': 'Priority, high first',
  title: 'Title A–Z',
  '-updatedAt': 'Recently changed',
};
export const DUE_FILTERS = { today: 'Today', upcoming: 'Upcoming', overdue: 'Overdue' };
export const DEFAULT_FILTERS = Object.freeze({
  view: 'list', status: '', priority: '', tag: '', search: '', sort: '-createdAt', due: '', hideDone: false,
});
const TEXT_MAX = 200; /* the API's longest search */

const oneOf = (value, allowed, fallback) => (value !== null && Object.hasOwn(allowed, value) ? value : fallback);

// The filters in a query string ("?view=board&q=milk" or URLSearchParams).
export function filtersFromSearch(search) {
  const p = search instanceof URLSearchParams ? search : new URLSearchParams(search);
  const text = (k) => (p.get(k) ?? '').slice(0, TEXT_MAX);
  return {
    view: p.get('view') === 'board' ? 'board' : 'list',
    status: oneOf(p.get('status'), STATUS_LABELS, ''),
    priority: oneOf(p.get('priority'), PRIORITY_LABELS, ''),
    tag: text('tag').slice(0, 40),
    search: text('q'),
    sort: oneOf(p.get('sort'), SORTS, DEFAULT_FILTERS.sort),
    due: oneOf(p.get('due'), DUE_FILTERS, ''),
    hideDone: p.get('hide') === 'completed',
  };
}

// The query string of filters ("" for the defaults), keys in a fixed order.
export function searchOfFilters(f) {
  const p = new URLSearchParams();
  if (f.view === 'board') p.set('view', 'board');
  if (f.status) p.set('status', f.status);
  if (f.priority) p.set('priority', f.priority);
  if (f.tag) p.set('tag', f.tag);
  if (f.search) p.set('q', f.search);
  if (f.sort && f.sort !== DEFAULT_FILTERS.sort) p.set('sort', f.sort);
  if (f.due) p.set('due', f.due);
  if (f.hideDone) p.set('hide', 'completed');
  const s = p.toString();
  return s ? `?${s}` : '';
}

// Does f leave tasks out (anything but view and sort)?
export function isFiltered(f) {
  return Boolean(f.status || f.priority || f.tag.trim() || f.search.trim() || f.due || f.hideDone);
}

// dueAfter / dueBefore of a quick filter at `now` (both strict, as the API
// reads them): today is the user's calendar day, due dates being days.
export function dueRange(due, now = Date.now()) {
  const start = todayStart(now);
  const iso = (ms) => new Date(ms).toISOString();
  if (due === 'today') return { dueAfter: iso(start - 1), dueBefore: iso(start + DAY) };
  if (due === 'upcoming') return { dueAfter: iso(start + DAY - 1) };
  if (due === 'overdue') return { dueBefore: iso(start) };
  return {};
}

// Only tasks still to do? With status "any", hiding completed tasks and the
// due quick filters (what is late, due today, coming up) show open tasks.
export const openOnly = (f) => Boolean(f.hideDone || f.due);

// The streams that show f at `now`: [{ key, q }], q being GET /api/tasks's
// filters. The list: one stream, or pending + in-progress when completed
// tasks are left out; the board: one per status column (not completed's
// when left out). A status filter chooses the list's one stream; the board
// ignores it (its columns are the statuses).
export function streamDefs(f, now = Date.now()) {
  const base = { priority: f.priority, tag: f.tag.trim(), search: f.search.trim(), sort: f.sort, ...dueRange(f.due, now) };
  const of = (status) => ({ key: status, q: { ...base, status } });
  if (f.view === 'board') return STATUSES.filter((s) => !(openOnly(f) && s === 'completed')).map(of);
  if (f.status) return [of(f.status)];
  if (openOnly(f)) return STATUSES.filter((s) => s !== 'completed').map(of);
  return [{ key: 'all', q: { ...base, status: '' } }];
}
