import { describe, expect, test } from 'vitest';
import {
  appendPage, compareBy, focusAfter, inQuery, insertCreated, removeTask, replaceUpdated, viewOf,
} from '../src/lib/taskList.js';

// ids in creation order, as UUIDv7 ids are
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
const titles = (view) => view.tasks.map((t) => t.title);
const view = (tasks, nextCursor = null, total = tasks.length) => ({ tasks, nextCursor, total });

describe('inQuery', () => {
  test('status, priority and tag decide; empty filters let everything in', () => {
    const t = task({ status: 'in-progress', priority: 'high', tags: ['home', 'Work'] });
    expect(inQuery(t, {})).toBe(true);
    expect(inQuery(t, { status: '', priority: '', tag: '  ', search: '' })).toBe(true);
    expect(inQuery(t, { status: 'in-progress', priority: 'high', tag: ' home ' })).toBe(true);
    expect(inQuery(t, { status: 'pending' })).toBe(false);
    expect(inQuery(t, { priority: 'low' })).toBe(false);
    expect(inQuery(t, { tag: 'work' })).toBe(false);
  });
  test('a search cannot be decided here, unless another filter already says no', () => {
    const t = task({ title: 'Buy milk' });
    expect(inQuery(t, { search: 'milk' })).toBeNull();
    expect(inQuery(t, { search: 'milk', status: 'completed' })).toBe(false);
  });
});

describe('compareBy', () => {
  const order = (tasks, sort) => [...tasks].sort(compareBy(sort)).map((t) => t.title);
  test('titles: ASCII case folded, then code points; equal keys by _id', () => {
    const ts = [task({ title: 'b' }), task({ title: 'B' }), task({ title: 'a' }), task({ title: 'é' }), task({ title: '😀' }), task({ title: '\uffee' })];
    expect(order(ts, 'title')).toEqual(['a', 'b', 'B', 'é', '\uffee', '😀']);
  });
  test('due date: missing dates last, and first when descending', () => {
    const ts = [task({ title: 'none', dueDate: null }), task({ title: 'late', dueDate: '2030-05-01T00:00:00.000Z' }), task({ title: 'soon', dueDate: '2030-02-01T00:00:00.000Z' })];
    expect(order(ts, 'dueDate')).toEqual(['soon', 'late', 'none']);
    expect(order(ts, '-dueDate')).toEqual(['none', 'late', 'soon']);
  });
  test('priority high first; then newest first by default', () => {
    const ts = [task({ title: 'm1' }), task({ title: 'h', priority: 'high' }), task({ title: 'l', priority: 'low' }), task({ title: 'm2' })];
    expect(order(ts, '-priority')).toEqual(['h', 'm2', 'm1', 'l']);
    expect(order(ts, undefined)).toEqual(['m2', 'l', 'h', 'm1']);
    expect(order(ts, 'createdAt')).toEqual(['m1', 'h', 'l', 'm2']);
  });
});

describe('insertCreated', () => {
  test('newest first: a new task goes on top and counts', () => {
    const [a, b] = [task(), task()];
    const created = task({ title: 'new' });
    const { view: v } = insertCreated(view([b, a], 'cursor', 12), created, { sort: '-createdAt' });
    expect(titles(v)).toEqual(['new', b.title, a.title]);
    expect(v.total).toBe(13);
    expect(v.nextCursor).toBe('cursor');
  });
  test('a task that sorts after the last one shown, with more pages to load, is counted but left to "Load more"', () => {
    const [a, b] = [task(), task()];
    const { view: v } = insertCreated(view([a, b], 'cursor', 12), task({ title: 'new' }), { sort: 'createdAt' });
    expect(titles(v)).toEqual([a.title, b.title]);
    expect(v.total).toBe(13);
  });
  test('with every page loaded it goes at the end; in the middle where its key says', () => {
    const [a, c] = [task({ title: 'a' }), task({ title: 'c' })];
    expect(titles(insertCreated(view([a, c]), task({ title: 'z' }), { sort: 'title' }).view)).toEqual(['a', 'c', 'z']);
    expect(titles(insertCreated(view([a, c], 'cursor'), task({ title: 'B' }), { sort: 'title' }).view)).toEqual(['a', 'B', 'c']);
  });
  test('a task outside the filters changes nothing', () => {
    const before = view([task()], null, 1);
    const r = insertCreated(before, task({ priority: 'low' }), { priority: 'high' });
    expect(r.view).toBe(before);
  });
  test('under a search the list must be asked for', () => {
    expect(insertCreated(view([]), task(), { search: 'milk' })).toEqual({ refetch: true });
  });
  test('a task a reload already brought is not shown twice', () => {
    const t = task();
    const r = insertCreated(view([t], null, 1), { ...t, title: 'renamed' }, {});
    expect(titles(r.view)).toEqual(['renamed']);
    expect(r.view.total).toBe(1);
  });
});

describe('replaceUpdated', () => {
  test('the task is replaced where it is, even when its new key sorts it elsewhere', () => {
    const [a, b, c] = [task(), task(), task()];
    const v = replaceUpdated(view([c, b, a], 'cursor', 30), { ...b, title: 'edited', updatedAt: '2031-01-01T00:00:00.000Z' }, { sort: '-updatedAt' });
    expect(titles(v)).toEqual([c.title, 'edited', a.title]);
    expect(v.total).toBe(30);
    expect(v.nextCursor).toBe('cursor');
  });
  test('a task that left the filters is taken out and uncounted', () => {
    const [a, b] = [task(), task()];
    const v = replaceUpdated(view([b, a], null, 2), { ...a, status: 'completed' }, { status: 'pending' });
    expect(titles(v)).toEqual([b.title]);
    expect(v.total).toBe(1);
  });
  test('under a search an edited task stays', () => {
    const a = task();
    expect(titles(replaceUpdated(view([a]), { ...a, title: 'other' }, { search: 'task' }))).toEqual(['other']);
  });
  test('a task not shown changes nothing', () => {
    const v = view([task()]);
    expect(replaceUpdated(v, task(), {})).toBe(v);
  });
});

describe('removeTask, viewOf, appendPage', () => {
  test('a deleted task leaves the list and the count', () => {
    const [a, b] = [task(), task()];
    const v = removeTask(view([a, b], 'cursor', 20), a._id);
    expect(v).toEqual({ tasks: [b], nextCursor: 'cursor', total: 19 });
    expect(removeTask(v, 'unknown')).toBe(v);
  });
  test('"Load more" appends the next page, without a task already shown', () => {
    const [a, b, c] = [task(), task(), task()];
    const first = viewOf({ tasks: [a, b], pagination: { nextCursor: 'c1', totalTasks: 3 } });
    const v = appendPage(first, { tasks: [b, c], pagination: { nextCursor: null, totalTasks: 3 } });
    expect(v).toEqual({ tasks: [a, b, c], nextCursor: null, total: 3 });
  });
});

describe('focusAfter', () => {
  const [a, b, c] = [task(), task(), task()];
  test('after a delete: the next task, else the previous one, else nothing', () => {
    expect(focusAfter([a, b, c], [a, c], b._id)).toBe(c._id);
    expect(focusAfter([a, b, c], [a, b], c._id)).toBe(b._id);
    expect(focusAfter([a], [], a._id)).toBeNull();
  });
  test('after a completion that keeps the task: the next task, else the task itself', () => {
    expect(focusAfter([a, b, c], [a, b, c], a._id)).toBe(b._id);
    expect(focusAfter([a, b, c], [a, b, c], c._id)).toBe(c._id);
  });
});
