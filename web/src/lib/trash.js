// What the trash and the settings page say, without React (unit-tested in
// tests/trash.test.js): how long the trash keeps a task, when one was
// deleted and when it goes for good, and the export's file name.
import { DAY } from './dates.js';

function plural(n, word) {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

// A retention as words: "30 days", "1 day", "12 hours", "" for 0.
export function retentionWords(ms) {
  if (!(ms > 0)) return '';
  if (ms >= DAY) return plural(Math.round(ms / DAY), 'day');
  const hours = Math.max(1, Math.round(ms / 3600000));
  return plural(hours, 'hour');
}

// The trash page's note: "Deleted tasks are kept for 30 days, then removed
// for good."; without a retention, they are not kept at all.
export function retentionNote(ms) {
  const words = retentionWords(ms);
  return words ? `Deleted tasks are kept for ${words}, then removed for good.` : 'Deleted tasks are removed for good at once.';
}

// "Deleted today", "Deleted yesterday", "Deleted 3 days ago" (calendar days, UTC).
export function deletedWords(deletedAt, now = Date.now()) {
  const at = Date.parse(deletedAt);
  if (Number.isNaN(at)) return 'Deleted';
  const days = Math.floor(now / DAY) - Math.floor(at / DAY);
  if (days <= 0) return 'Deleted today';
  if (days === 1) return 'Deleted yesterday';
  return `Deleted ${days} days ago`;
}

// "Removed for good in 27 days" / "... in 5 hours" / "Removed for good soon".
export function purgeWords(deletedAt, retentionMs, now = Date.now()) {
  const left = Date.parse(deletedAt) + retentionMs - now;
  if (Number.isNaN(left) || left <= 3600000) return 'Removed for good soon';
  if (left < DAY) return `Removed for good in ${plural(Math.floor(left / 3600000), 'hour')}`;
  return `Removed for good in ${plural(Math.floor(left / DAY), 'day')}`;
}

// "lsf-tasks-export-2026-12-05.json": the day in UTC, like the export's exportedAt.
export function exportFileName(now = Date.now()) {
  return `lsf-tasks-export-${new Date(now).toISOString().slice(0, 10)}.json`;
}
