import { describe, expect, test } from 'vitest';
import { deletedWords, exportFileName, purgeWords, retentionNote, retentionWords } from '../src/lib/trash.js';

const NOW = Date.parse('2026-12-05T10:00:00.000Z');
const DAY = 86400000;

describe('retention', () => {
  test('in days, in hours below a day, nothing for 0', () => {
    expect(retentionWords(30 * DAY)).toBe('30 days');
    expect(retentionWords(DAY)).toBe('1 day');
    expect(retentionWords(12 * 3600000)).toBe('12 hours');
    expect(retentionWords(1000)).toBe('1 hour');
    expect(retentionWords(0)).toBe('');
  });
  test('the note says how long, or that nothing is kept', () => {
    expect(retentionNote(30 * DAY)).toBe('Deleted tasks are kept for 30 days, then removed for good.');
    expect(retentionNote(0)).toBe('Deleted tasks are removed for good at once.');
  });
});

describe('deleted and purge words', () => {
  test('deleted: by calendar day in UTC', () => {
    expect(deletedWords('2026-12-05T00:00:01.000Z', NOW)).toBe('Deleted today');
    expect(deletedWords('2026-12-04T23:59:59.000Z', NOW)).toBe('Deleted yesterday');
    expect(deletedWords('2026-12-01T12:00:00.000Z', NOW)).toBe('Deleted 4 days ago');
    expect(deletedWords('not a date', NOW)).toBe('Deleted');
  });
  test('purge: days, then hours, then soon', () => {
    expect(purgeWords('2026-12-05T10:00:00.000Z', 30 * DAY, NOW)).toBe('Removed for good in 30 days');
    expect(purgeWords('2026-11-06T09:00:00.000Z', 30 * DAY, NOW)).toBe('Removed for good in 23 hours');
    expect(purgeWords('2026-11-05T10:30:00.000Z', 30 * DAY, NOW)).toBe('Removed for good soon');
  });
});

test('the export file is named after the UTC day', () => {
  expect(exportFileName(NOW)).toBe('lsf-tasks-export-2026-12-05.json');
  expect(exportFileName(Date.parse('2026-12-31T23:59:59.999Z'))).toBe('lsf-tasks-export-2026-12-31.json');
});
