// The stats panel's counts (GET /api/tasks/stats) kept up to date from the
// task a create, update or delete answered with, instead of reloading them
// after every change. The definitions are the server's
// (store_*_task_stats in src/store/sqlite/task.c and postgres/task.c):
// overdue = not completed and due before now; due today = not completed and
// due within today's UTC day; completed in the last 7 days = completedAt
// within 7 × 24 h before now.

const DAY = 86400000;

function time(iso) {
  return iso ? Date.parse(iso) : NaN; /* NaN compares false: no date, no count */
}

// What task t adds to each time-dependent count at time now (0 or 1 each).
export function timedCounts(t, now) {
  const open = t.status !== 'completed';
  const due = time(t.dueDate);
  const dayStart = now - (now % DAY);
  return {
    overdue: open && due < now ? 1 : 0,
    dueToday: open && due >= dayStart && due < dayStart + DAY ? 1 : 0,
    completedLast7Days: time(t.completedAt) >= now - 7 * DAY ? 1 : 0,
  };
}

// stats after `before` became `after`: a create has no before, a delete no
// after. Returns a new object (stats itself is left alone); null stays null
// (nothing loaded yet: the next load brings the truth). A count never goes
// below 0: a local view that drifted is put right by the next stats load.
export function applyTaskChange(stats, before, after, now = Date.now()) {
  if (!stats) return stats;
  const next = { ...stats, byStatus: { ...stats.byStatus }, byPriority: { ...stats.byPriority } };
  const add = (t, n) => {
    if (!t) return;
    next.total += n;
    next.byStatus[t.status] = (next.byStatus[t.status] ?? 0) + n;
    next.byPriority[t.priority] = (next.byPriority[t.priority] ?? 0) + n;
    for (const [k, v] of Object.entries(timedCounts(t, now))) next[k] = (next[k] ?? 0) + n * v;
  };
  add(before, -1);
  add(after, 1);
  const floor = (o) => { for (const k of Object.keys(o)) if (o[k] < 0) o[k] = 0; };
  for (const k of ['total', 'overdue', 'dueToday', 'completedLast7Days']) if (next[k] < 0) next[k] = 0;
  floor(next.byStatus);
  floor(next.byPriority);
  return next;
}
