import { describe, expect, test } from 'vitest';
import { barLayout, statsSummary, statsToBars } from '../src/lib/chart.js';

const stats = {
  total: 6,
  byStatus: { pending: 2, 'in-progress': 1, completed: 3 },
  byPriority: { low: 0, medium: 4, high: 2 },
  overdue: 1,
  dueToday: 0,
  completedLast7Days: 3,
};

describe('statsToBars', () => {
  test('one bar per status and priority, scaled to the largest', () => {
    const { status, priority } = statsToBars(stats);
    expect(status.map((b) => [b.key, b.value, b.pct])).toEqual([['pending', 2, 67], ['in-progress', 1, 33], ['completed', 3, 100]]);
    expect(priority.map((b) => [b.key, b.value, b.pct])).toEqual([['low', 0, 0], ['medium', 4, 100], ['high', 2, 50]]);
  });
  test('no tasks: every bar is empty, nothing divides by zero', () => {
    const { status } = statsToBars({ byStatus: {}, byPriority: {} });
    expect(status.every((b) => b.value === 0 && b.pct === 0)).toBe(true);
  });
  test('layout stacks rows and sizes bars by pct', () => {
    const rows = barLayout(statsToBars(stats).status, { width: 200, rowHeight: 20, gap: 5 });
    expect(rows.map((r) => [r.y, r.width])).toEqual([[0, 134], [25, 66], [50, 200]]);
  });
  test('summary reads the counts', () => {
    expect(statsSummary(stats)).toBe('6 tasks: 2 pending, 1 in progress, 3 completed');
  });
});
