import { describe, expect, test } from 'vitest';
import { createdIn, merged, removedFrom, shownTasks, updatedIn } from '../src/lib/streams.js';
import { applyUpdated, inQuery } from '../src/lib/taskList.js';

let seq = 0;
const task = (over = {}) => {
  seq += 1;
  const at = new Date(Date.UTC(2030, 0, 1, 0, 0, seq)).toISOString();
  return {
    _id: `0190${String(seq).padStart(4, '0')}-0000-7000-8000-000000000000`,
    title: `task ${seq}`, description: '', status: 'pending', priority: 'medium', dueDate: null, tags: [],
    completedAt: null, createdAt: at, updatedAt: at, ...over,
  };
};
const stream = (key, q, tasks, nextCursor = null, total = tasks.length) => ({ key, q, tasks, nextCursor, total });
const titles = (list) => list.map((t) => t.title);

describe('inQuery with due ranges', () => {
  const range = { dueAfter: '2030-01-01T23:59:59.999Z', dueBefore: '2030-01-03T00:00:00.000Z' };
  test('strict bounds, and a task without a date is outside any range', () => {
    expect(inQuery(task({ dueDate: '2030-01-02T00:00:00.000Z' }), range)).toBe(true);
    expect(inQuery(task({ dueDate: '2030-01-03T00:00:00.000Z' }), range)).toBe(false);
    expect(inQuery(task({ dueDate: '2030-01-01T23:59:59.999Z' }), range)).toBe(false);
    expect(inQuery(task({ dueDate: null }), range)).toBe(false);
    expect(inQuery(task({ dueDate: null }), { dueBefore: range.dueBefore })).toBe(false);
  });
  test('a task known to match the search is in', () => {
    expect(inQuery(task(), { search: 'x' })).toBeNull();
    expect(inQuery(task(), { search: 'x' }, true)).toBe(true);
  });
});

describe('applyUpdated', () => {
  test('a task moved into a column joins it in its place, and stays in view past the loaded end', () => {
    const [a, b, c] = [task(), task(), task()];
    const pending = stream('pending', { status: 'pending', sort: 'createdAt' }, [a, c], 'cur', 5);
    const moved = { ...b, status: 'pending' };
    expect(titles(applyUpdated(pending, moved, pending.q).tasks)).toEqual([a.title, b.title, c.title]);
    expect(applyUpdated(pending, moved, pending.q).total).toBe(6);
    const late = { ...task(), status: 'pending' };
    const placed = applyUpdated(pending, late, pending.q);
    expect(titles(placed.tasks)).toEqual([a.title, c.title, late.title]);
    expect(placed.key).toBe('pending');
  });
  test('one that left the column goes; others are untouched', () => {
    const a = task();
    const s = stream('pending', { status: 'pending' }, [a]);
    expect(applyUpdated(s, { ...a, status: 'completed' }, s.q).tasks).toEqual([]);
    const other = stream('completed', { status: 'completed' }, []);
    expect(applyUpdated(other, { ...task(), status: 'pending' }, other.q)).toBe(other);
  });
  test('under a search, a task not shown joins only when known to match', () => {
    const s = stream('pending', { status: 'pending', search: 'milk' }, []);
    const t = task({ title: 'milk' });
    expect(applyUpdated(s, t, s.q).tasks).toEqual([]);
    expect(applyUpdated(s, t, s.q, true).tasks).toEqual([t]);
  });
});

describe('streams', () => {
  test('a status change moves a task between columns', () => {
    const a = task();
    const cols = [stream('pending', { status: 'pending' }, [a]), stream('in-progress', { status: 'in-progress' }, [])];
    const next = updatedIn(cols, { ...a, status: 'in-progress' });
    expect(next.map((s) => s.tasks.length)).toEqual([0, 1]);
    expect(next.map((s) => s.total)).toEqual([0, 1]);
  });
  test('a create lands in the streams it belongs to; a search asks again', () => {
    const cols = [stream('pending', { status: 'pending' }, []), stream('searched', { search: 'x' }, [])];
    const { streams, refetch } = createdIn(cols, task());
    expect(streams[0].tasks).toHaveLength(1);
    expect(refetch).toEqual(['searched']);
  });
  test('a delete leaves every stream', () => {
    const a = task();
    expect(removedFrom([stream('all', {}, [a])], a._id)[0].total).toBe(0);
  });
});

describe('merged', () => {
  const sort = '-createdAt';
  test('one stream is shown as it is', () => {
    const s = stream('all', {}, [task()], 'c', 4);
    expect(merged([s], sort)).toEqual({ tasks: s.tasks, total: 4, more: 'all' });
  });
  test('two streams in sort order, cut where the one with more pages ends', () => {
    const [t1, t2, t3, t4, t5, t6] = [task(), task(), task(), task(), task(), task()];
    // newest first: t6 t5 t4 t3 t2 t1
    const pending = stream('pending', {}, [t6, t3], 'more', 5);
    const progress = stream('in-progress', {}, [t5, t4, t2, t1], null, 4);
    const m = merged([pending, progress], sort);
    expect(titles(m.tasks)).toEqual(titles([t6, t5, t4, t3])); /* t2, t1 could come after pending's unloaded tasks */
    expect(m.total).toBe(9);
    expect(m.more).toBe('pending');
    expect(titles(merged([pending, progress], sort, new Set([t1._id])).tasks)).toEqual(titles([t6, t5, t4, t3, t1]));
  });
  test('complete streams are merged whole', () => {
    const [t1, t2] = [task(), task()];
    const m = merged([stream('pending', {}, [t1]), stream('in-progress', {}, [t2])], sort);
    expect(titles(m.tasks)).toEqual(titles([t2, t1]));
    expect(m.more).toBeNull();
  });
  test('shownTasks: the board lists column after column', () => {
    const [t1, t2] = [task(), task()];
    const cols = [stream('pending', {}, [t1]), stream('in-progress', {}, [t2])];
    expect(titles(shownTasks(cols, 'board', sort))).toEqual(titles([t1, t2]));
    expect(titles(shownTasks(cols, 'list', sort))).toEqual(titles([t2, t1]));
  });
});
