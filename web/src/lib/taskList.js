// The board's list as the server would send it, kept in place after a
// create, update or delete from the task the API answered with, so a change
// costs one request and the user keeps their place (the pages loaded with
// "Load more", the task in view). The rules mirror GET /api/tasks: filters
// status, priority, tag, dueBefore and dueAfter; orders by one key then _id
// (UUIDv7, so creation order), titles as SQLite's NOCASE (ASCII folded, then
// code points); a missing dueDate after every date. A list view is
// { tasks, nextCursor, total } (total: pagination.totalTasks); other fields
// of it (a stream's key and query) are kept.

const PRIORITY_ORDER = { low: 0, medium: 1, high: 2 };

// Does task t belong in the list of query q (the API's query parameters)?
// true or false; null when it cannot tell: the search filter is the server's
// full-text match, which the client does not repeat, unless searchMatched
// says the task is known to match it (it was in this search's answers and
// its text has not changed since).
export function inQuery(t, q = {}, searchMatched = false) {
  if (q.status && t.status !== q.status) return false;
  if (q.priority && t.priority !== q.priority) return false;
  const tag = typeof q.tag === 'string' ? q.tag.trim() : '';
  if (tag && !t.tags.includes(tag)) return false;
  if (q.dueBefore || q.dueAfter) {
    const due = t.dueDate ? Date.parse(t.dueDate) : NaN; /* no date: outside any range, as SQL's NULL */
    if (Number.isNaN(due)) return false;
    if (q.dueBefore && !(due < Date.parse(q.dueBefore))) return false;
    if (q.dueAfter && !(due > Date.parse(q.dueAfter))) return false;
  }
  if (typeof q.search === 'string' && q.search.trim() && !searchMatched) return null;
  return true;
}

// Did the words the search looks at (title, description, tags) stay the same?
export function sameText(a, b) {
  return a.title === b.title && a.description === b.description && a.tags.join('\n') === b.tags.join('\n');
}

// Code point order, which is UTF-8 byte order (JS's < compares UTF-16 units).
function compareCodePoints(a, b) {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a.codePointAt(i);
    const y = b.codePointAt(j);
    if (x !== y) return x < y ? -1 : 1;
    i += x > 0xffff ? 2 : 1;
    j += y > 0xffff ? 2 : 1;
  }
  return i < a.length ? 1 : j < b.length ? -1 : 0;
}

const nocase = (s) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

function compareKey(a, b, field) {
  switch (field) {
    case 'title': return compareCodePoints(nocase(a.title), nocase(b.title));
    case 'priority': return PRIORITY_ORDER[a.priority] - PRIORITY_ORDER[b.priority];
    case 'dueDate': {
      const x = a.dueDate === null ? Infinity : Date.parse(a.dueDate);
      const y = b.dueDate === null ? Infinity : Date.parse(b.dueDate);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 'updatedAt':
    case 'createdAt': {
      const x = Date.parse(a[field]);
      const y = Date.parse(b[field]);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    default: return 0;
  }
}

// The comparator of sort ("title", "-createdAt", ...): the key, then _id.
export function compareBy(sort = '-createdAt') {
  const desc = sort.startsWith('-');
  const field = desc ? sort.slice(1) : sort;
  return (a, b) => {
    let c = compareKey(a, b, field);
    if (c === 0) c = a._id < b._id ? -1 : a._id > b._id ? 1 : 0;
    return desc ? -c : c;
  };
}

export const emptyView = () => ({ tasks: [], nextCursor: null, total: 0 });

// The view of a list answer ({tasks, pagination}).
export function viewOf(res) {
  return { tasks: res.tasks, nextCursor: res.pagination.nextCursor ?? null, total: res.pagination.totalTasks };
}

// The next page ("Load more") appended. A task already shown is not shown
// twice (an edit can move a task past the cursor it was loaded before).
export function appendPage(view, res) {
  const shown = new Set(view.tasks.map((t) => t._id));
  return { ...view, tasks: [...view.tasks, ...res.tasks.filter((t) => !shown.has(t._id))], nextCursor: res.pagination.nextCursor ?? null, total: res.pagination.totalTasks };
}

// After a create: { view } to show, or { refetch: true } when the client
// cannot tell whether the task is in the list (a search is on). A task
// outside the filters changes nothing. One that sorts after the last task
// shown while more pages remain is counted but not shown: "Load more"
// brings it in its place (the cursor is a position in the order, so the
// tasks shown stay a correct start of the list either way).
export function insertCreated(view, task, q) {
  if (view.tasks.some((t) => t._id === task._id)) return { view: replaceUpdated(view, task, q) }; /* a reload already had it */
  const member = inQuery(task, q);
  if (member === null) return { refetch: true };
  if (!member) return { view };
  return { view: place(view, task, q.sort, false) };
}

// view with task counted and put where sort puts it. Past the last task
// shown while more pages remain, it is shown last when keepInView (a task
// the user just moved here), else only counted.
function place(view, task, sort, keepInView) {
  const cmp = compareBy(sort);
  let at = view.tasks.findIndex((t) => cmp(task, t) < 0);
  if (at === -1) {
    if (view.nextCursor && !keepInView) return { ...view, total: view.total + 1 };
    at = view.tasks.length;
  }
  const tasks = [...view.tasks.slice(0, at), task, ...view.tasks.slice(at)];
  return { ...view, tasks, total: view.total + 1 };
}

// After an update: the task replaced where it is, even when its new values
// would sort it elsewhere (the user keeps the task they just changed in
// view; the next load of the list puts the order right). A task that left
// the filters (completed while the list shows pending ones) is taken out.
export function replaceUpdated(view, task, q) {
  const at = view.tasks.findIndex((t) => t._id === task._id);
  if (at === -1) return view;
  if (inQuery(task, q) === false) return removeTask(view, task._id);
  const tasks = view.tasks.slice();
  tasks[at] = task;
  return { ...view, tasks };
}

// After an update in a list that may not show the task: replaced where it
// is (replaceUpdated); when it is not shown but now belongs (a status change
// moved it into this board column, an undo brought it back into the list),
// put in its place and kept in view. searchMatched: see inQuery.
export function applyUpdated(view, task, q, searchMatched = false) {
  if (view.tasks.some((t) => t._id === task._id)) {
    if (inQuery(task, q, searchMatched) === false) return removeTask(view, task._id);
    return replaceUpdated(view, task, q);
  }
  if (inQuery(task, q, searchMatched) !== true) return view;
  return place(view, task, q.sort, true);
}

// After a delete (or a task leaving the filters).
export function removeTask(view, id) {
  const tasks = view.tasks.filter((t) => t._id !== id);
  if (tasks.length === view.tasks.length) return view;
  return { ...view, tasks, total: Math.max(0, view.total - 1) };
}

// Where keyboard focus goes after an action on task id took `before` to
// `after`: the id of the next task still shown, else the task itself (still
// shown, e.g. completed), else the previous one; null for an empty list.
export function focusAfter(before, after, id) {
  const shown = new Set(after.map((t) => t._id));
  const at = before.findIndex((t) => t._id === id);
  if (at === -1) return after[0]?._id ?? null;
  const next = before.slice(at + 1).find((t) => shown.has(t._id));
  if (next) return next._id;
  if (shown.has(id)) return id;
  const prev = before.slice(0, at).reverse().find((t) => shown.has(t._id));
  return prev ? prev._id : null;
}
