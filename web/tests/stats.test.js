import { describe, expect, test } from 'vitest';
import { applyTaskChange, timedCounts } from '../src/lib/stats.js';

const NOW = Date.parse('2030-06-15T12:00:00Z');
const task = (over = {}) => ({
  _id: 'x', title: 't', status: 'pending', priority: 'medium', dueDate: null, completedAt: null, tags: [], ...over,
});
const stats = () => ({
  total: 5,
  byStatus: { pending: 2, 'in-progress': 1, completed: 2 },
  byPriority: { low: 1, medium: 3, high: 1 },
  overdue: 1,
  dueToday: 1,
  completedLast7Days: 2,
});

describe('timedCounts', () => {
  test('overdue: open and due before now', () => {
    expect(timedCounts(task({ dueDate: '2030-06-15T11:59:59.999Z' }), NOW)).toEqual({ overdue: 1, dueToday: 1, completedLast7Days: 0 });
    expect(timedCounts(task({ dueDate: '2030-06-14T00:00:00.000Z' }), NOW)).toEqual({ overdue: 1, dueToday: 0, completedLast7Days: 0 });
    expect(timedCounts(task({ dueDate: '2030-06-14T00:00:00.000Z', status: 'completed', completedAt: '2030-06-15T00:00:00.000Z' }), NOW))
      .toEqual({ overdue: 0, dueToday: 0, completedLast7Days: 1 });
  });
  test('due today: open and within the UTC day', () => {
    expect(timedCounts(task({ dueDate: '2030-06-15T00:00:00.000Z' }), NOW).dueToday).toBe(1);
    expect(timedCounts(task({ dueDate: '2030-06-15T23:59:59.999Z' }), NOW)).toEqual({ overdue: 0, dueToday: 1, completedLast7Days: 0 });
    expect(timedCounts(task({ dueDate: '2030-06-16T00:00:00.000Z' }), NOW).dueToday).toBe(0);
    expect(timedCounts(task({ dueDate: '2030-06-15T18:00:00.000Z', status: 'in-progress' }), NOW).dueToday).toBe(1);
  });
  test('completed in the last 7 days: completedAt at or after now - 7 days', () => {
    const done = (at) => task({ status: 'completed', completedAt: at });
    expect(timedCounts(done('2030-06-08T12:00:00.000Z'), NOW).completedLast7Days).toBe(1);
    expect(timedCounts(done('2030-06-08T11:59:59.999Z'), NOW).completedLast7Days).toBe(0);
  });
  test('no dates, no counts', () => {
    expect(timedCounts(task(), NOW)).toEqual({ overdue: 0, dueToday: 0, completedLast7Days: 0 });
  });
});

describe('applyTaskChange', () => {
  test('a create adds the task to every count it is in', () => {
    const created = task({ priority: 'high', dueDate: '2030-06-15T20:00:00.000Z' });
    expect(applyTaskChange(stats(), null, created, NOW)).toEqual({
      total: 6,
      byStatus: { pending: 3, 'in-progress': 1, completed: 2 },
      byPriority: { low: 1, medium: 3, high: 2 },
      overdue: 1,
      dueToday: 2,
      completedLast7Days: 2,
    });
  });
  test('completing an overdue task moves it from pending to completed, out of overdue, into the last 7 days', () => {
    const before = task({ dueDate: '2030-06-10T00:00:00.000Z' });
    const after = { ...before, status: 'completed', completedAt: '2030-06-15T11:00:00.000Z' };
    expect(applyTaskChange(stats(), before, after, NOW)).toEqual({
      total: 5,
      byStatus: { pending: 1, 'in-progress': 1, completed: 3 },
      byPriority: { low: 1, medium: 3, high: 1 },
      overdue: 0,
      dueToday: 1,
      completedLast7Days: 3,
    });
  });
  test('reopening a completed task takes it out of the last 7 days', () => {
    const before = task({ status: 'completed', completedAt: '2030-06-14T00:00:00.000Z', priority: 'low' });
    const after = { ...before, status: 'in-progress', completedAt: null, priority: 'high' };
    expect(applyTaskChange(stats(), before, after, NOW)).toEqual({
      total: 5,
      byStatus: { pending: 2, 'in-progress': 2, completed: 1 },
      byPriority: { low: 0, medium: 3, high: 2 },
      overdue: 1,
      dueToday: 1,
      completedLast7Days: 1,
    });
  });
  test('a delete takes the task out of every count it was in', () => {
    const gone = task({ status: 'in-progress', dueDate: '2030-06-15T06:00:00.000Z' });
    expect(applyTaskChange(stats(), gone, null, NOW)).toEqual({
      total: 4,
      byStatus: { pending: 2, 'in-progress': 0, completed: 2 },
      byPriority: { low: 1, medium: 2, high: 1 },
      overdue: 0,
      dueToday: 0,
      completedLast7Days: 2,
    });
  });
  test('the stats passed in are not changed; nothing loaded stays nothing', () => {
    const s = stats();
    applyTaskChange(s, null, task(), NOW);
    expect(s).toEqual(stats());
    expect(applyTaskChange(null, null, task(), NOW)).toBeNull();
  });
  test('a count that drifted does not go below 0', () => {
    const empty = { total: 0, byStatus: { pending: 0, 'in-progress': 0, completed: 0 }, byPriority: { low: 0, medium: 0, high: 0 }, overdue: 0, dueToday: 0, completedLast7Days: 0 };
    expect(applyTaskChange(empty, task({ dueDate: '2030-01-01T00:00:00.000Z' }), null, NOW)).toEqual(empty);
  });
});
