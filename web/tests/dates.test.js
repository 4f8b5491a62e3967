import { afterEach, describe, expect, test } from 'vitest';
import { daysUntil, dueInfo, fullDate, relativeDay, todayStart } from '../src/lib/dates.js';

// Thursday, December 3, 2026, 15:00 UTC
const NOW = Date.UTC(2026, 11, 3, 15);
const task = (dueDate, status = 'pending') => ({ dueDate, status });
const tz = process.env.TZ;
afterEach(() => {
  process.env.TZ = tz;
});

describe('todayStart', () => {
  test('the user\'s calendar day, as midnight UTC of that date', () => {
    process.env.TZ = 'UTC';
    expect(new Date(todayStart(NOW)).toISOString()).toBe('2026-12-03T00:00:00.000Z');
  });
  test('in New York at 23:30 local (04:30 UTC the next day) it is still the local date', () => {
    process.env.TZ = 'America/New_York';
    expect(new Date(todayStart(Date.UTC(2026, 11, 4, 4, 30))).toISOString()).toBe('2026-12-03T00:00:00.000Z');
  });
  test('in Tokyo at 08:00 local (23:00 UTC the day before) it is already the local date', () => {
    process.env.TZ = 'Asia/Tokyo';
    expect(new Date(todayStart(Date.UTC(2026, 11, 2, 23))).toISOString()).toBe('2026-12-03T00:00:00.000Z');
  });
});

describe('relative days', () => {
  test('the phrases people use', () => {
    process.env.TZ = 'UTC';
    expect([0, 1, 2, 3, 13, 14, 20, 59, 60, 400, 800].map(relativeDay)).toEqual([
      'today', 'tomorrow', 'in 2 days', 'in 3 days', 'in 13 days', 'in 2 weeks', 'in 2 weeks', 'in 8 weeks', 'in 1 month',
      'in 13 months', 'in 2 years',
    ]);
    expect([-1, -2, -15, -90].map(relativeDay)).toEqual(['1 day late', '2 days late', '2 weeks late', '2 months late']);
  });
  test('daysUntil counts calendar days, whatever the time of day', () => {
    process.env.TZ = 'UTC';
    expect(daysUntil('2026-12-03', NOW)).toBe(0);
    expect(daysUntil('2026-12-03T23:59:59Z', NOW)).toBe(0);
    expect(daysUntil('2026-12-04T00:00:00.000Z', NOW)).toBe(1);
    expect(daysUntil('2026-12-01', NOW)).toBe(-2);
    expect(daysUntil(null, NOW)).toBeNull();
    expect(daysUntil('not a date', NOW)).toBeNull();
  });
});

describe('dueInfo', () => {
  test('overdue, today, soon and later, with a label and the full date', () => {
    process.env.TZ = 'UTC';
    expect(dueInfo(task('2026-12-01T00:00:00.000Z'), NOW)).toEqual({ days: -2, state: 'overdue', label: '2 days late', full: 'Tuesday, December 1, 2026' });
    expect(dueInfo(task('2026-12-03T00:00:00.000Z'), NOW)).toEqual({ days: 0, state: 'today', label: 'Due today', full: 'Thursday, December 3, 2026' });
    expect(dueInfo(task('2026-12-04T00:00:00.000Z'), NOW)).toMatchObject({ state: 'soon', label: 'Due tomorrow' });
    expect(dueInfo(task('2026-12-06T00:00:00.000Z'), NOW)).toMatchObject({ state: 'soon', label: 'Due in 3 days' });
    expect(dueInfo(task('2026-12-25T00:00:00.000Z'), NOW)).toMatchObject({ state: 'later', label: 'Due in 3 weeks', full: 'Friday, December 25, 2026' });
    expect(dueInfo(task(null), NOW)).toBeNull();
  });
  test('a completed task is never late', () => {
    process.env.TZ = 'UTC';
    expect(dueInfo(task('2026-12-01T00:00:00.000Z', 'completed'), NOW)).toMatchObject({ state: 'done', label: 'Was due 2 days ago' });
    expect(dueInfo(task('2026-12-02T00:00:00.000Z', 'completed'), NOW)).toMatchObject({ state: 'done', label: 'Was due yesterday' });
    expect(dueInfo(task('2026-12-03T00:00:00.000Z', 'completed'), NOW)).toMatchObject({ state: 'done', label: 'Due today' });
  });
  test('a time other than midnight is part of the full date, in UTC', () => {
    expect(fullDate('2026-12-03T09:05:00Z')).toBe('Thursday, December 3, 2026, 09:05 UTC');
    expect(fullDate('nope')).toBe('');
  });
});
