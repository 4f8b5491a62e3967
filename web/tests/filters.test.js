import { beforeAll, describe, expect, test } from 'vitest';
import { DEFAULT_FILTERS, dueRange, filtersFromSearch, isFiltered, searchOfFilters, streamDefs } from '../src/lib/filters.js';

// Thursday, December 3, 2026, 15:00 UTC
const NOW = Date.UTC(2026, 11, 3, 15);
const f = (over = {}) => ({ ...DEFAULT_FILTERS, ...over });

beforeAll(() => {
  process.env.TZ = 'UTC';
});

describe('the URL holds the view', () => {
  test('defaults make an empty query string', () => {
    expect(searchOfFilters(f())).toBe('');
    expect(filtersFromSearch('')).toEqual(DEFAULT_FILTERS);
  });
  test('every filter round-trips, in a fixed order', () => {
    const all = f({ view: 'board', status: 'in-progress', priority: 'high', tag: 'home', search: 'café crème', sort: 'title', due: 'overdue', hideDone: true });
    const qs = searchOfFilters(all);
    expect(qs).toBe('?view=board&status=in-progress&priority=high&tag=home&q=caf%C3%A9+cr%C3%A8me&sort=title&due=overdue&hide=completed');
    expect(filtersFromSearch(qs)).toEqual(all);
    expect(filtersFromSearch(new URLSearchParams(qs))).toEqual(all);
  });
  test('unknown values are ignored, so any URL is a valid view', () => {
    expect(filtersFromSearch('?view=grid&status=done&priority=urgent&sort=random&due=never&hide=1&extra=2')).toEqual(DEFAULT_FILTERS);
  });
  test('over-long text is cut to what the API takes', () => {
    const got = filtersFromSearch(`?q=${'a'.repeat(300)}&tag=${'b'.repeat(50)}`);
    expect(got.search).toHaveLength(200);
    expect(got.tag).toHaveLength(40);
  });
  test('isFiltered: view and sort do not filter', () => {
    expect(isFiltered(f({ view: 'board', sort: 'title' }))).toBe(false);
    expect(isFiltered(f({ hideDone: true }))).toBe(true);
    expect(isFiltered(f({ search: '  ' }))).toBe(false);
  });
});

describe('due quick filters', () => {
  test('today, upcoming and overdue in the API\'s strict bounds', () => {
    expect(dueRange('today', NOW)).toEqual({ dueAfter: '2026-12-02T23:59:59.999Z', dueBefore: '2026-12-04T00:00:00.000Z' });
    expect(dueRange('upcoming', NOW)).toEqual({ dueAfter: '2026-12-03T23:59:59.999Z' });
    expect(dueRange('overdue', NOW)).toEqual({ dueBefore: '2026-12-03T00:00:00.000Z' });
    expect(dueRange('', NOW)).toEqual({});
  });
});

describe('streams', () => {
  test('the list: one stream of every status by default', () => {
    expect(streamDefs(f({ tag: ' home ' }), NOW)).toEqual([
      { key: 'all', q: { status: '', priority: '', tag: 'home', search: '', sort: '-createdAt' } },
    ]);
  });
  test('the list with a status: that status', () => {
    expect(streamDefs(f({ status: 'completed', hideDone: true }), NOW).map((d) => d.q.status)).toEqual(['completed']);
  });
  test('hiding completed tasks, or a due quick filter, with any status: pending and in progress', () => {
    expect(streamDefs(f({ hideDone: true }), NOW).map((d) => d.key)).toEqual(['pending', 'in-progress']);
    const overdue = streamDefs(f({ due: 'overdue' }), NOW);
    expect(overdue.map((d) => d.key)).toEqual(['pending', 'in-progress']);
    expect(overdue[0].q).toMatchObject({ status: 'pending', dueBefore: '2026-12-03T00:00:00.000Z' });
  });
  test('the board: a column per status, without completed when hidden; the status filter is not used', () => {
    expect(streamDefs(f({ view: 'board', status: 'pending' }), NOW).map((d) => d.key)).toEqual(['pending', 'in-progress', 'completed']);
    expect(streamDefs(f({ view: 'board', hideDone: true }), NOW).map((d) => d.key)).toEqual(['pending', 'in-progress']);
  });
});
