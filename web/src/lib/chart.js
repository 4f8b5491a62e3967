// GET /api/tasks/stats as bars for the stats panel's SVG chart: one bar per
// status and per priority, each with its share of the largest as a percentage.

export const STATUS_LABELS = { pending: 'Pending', 'in-progress': 'In progress', completed: 'Completed' };
export const PRIORITY_LABELS = { low: 'Low', medium: 'Medium', high: 'High' };

function bars(counts, labels, group) {
  const entries = Object.keys(labels).map((key) => ({ key, group, label: labels[key], value: Number(counts?.[key]) || 0 }));
  const max = Math.max(1, ...entries.map((e) => e.value));
  return entries.map((e) => ({ ...e, pct: Math.round((e.value / max) * 100) }));
}

export function statsToBars(stats) {
  return {
    status: bars(stats?.byStatus, STATUS_LABELS, 'status'),
    priority: bars(stats?.byPriority, PRIORITY_LABELS, 'priority'),
  };
}

// Bar geometry in an SVG of the given size: rows top to bottom, a bar's
// width proportional to pct (a visible sliver for 0 is not drawn).
export function barLayout(list, { width = 200, rowHeight = 22, gap = 6 } = {}) {
  return list.map((b, i) => ({ ...b, x: 0, y: i * (rowHeight + gap), height: rowHeight, width: Math.round((b.pct / 100) * width) }));
}

// One sentence for screen readers.
export function statsSummary(stats) {
  const s = stats?.byStatus ?? {};
  return `${stats?.total ?? 0} tasks: ${s.pending ?? 0} pending, ${s['in-progress'] ?? 0} in progress, ${s.completed ?? 0} completed`;
}
