// Due dates as people say them. A due date is a calendar day: the app sends
// "yyyy-mm-dd", which the server keeps as midnight UTC of that day, so a
// due date's day is its UTC day, and "today" is the user's own calendar day
// (their local date) written the same way. Relative words ("tomorrow", "in 3
// days", "2 days late") compare those two days; the full date is for hover,
// focus and screen readers.

export const DAY = 86400000;

// The user's calendar day at `now`, as midnight UTC of that date (the form
// due dates take), in ms.
export function todayStart(now = Date.now()) {
  const d = new Date(now);
  return Date.UTC(d.getFullYear(), d.getMonth(), d.getDate());
}

// "yyyy-mm-dd" of the UTC day of ms.
export function isoDay(ms) {
  return new Date(ms).toISOString().slice(0, 10);
}

// Days from the user's today to the due date's day: 0 today, 1 tomorrow,
// -2 two days ago; null without a (valid) date.
export function daysUntil(iso, now = Date.now()) {
  const due = iso ? Date.parse(iso) : NaN;
  if (Number.isNaN(due)) return null;
  return Math.floor(due / DAY) - Math.floor(todayStart(now) / DAY);
}

const plural = (n, unit) => `${n} ${unit}${n === 1 ? '' : 's'}`;

function span(days) {
  if (days < 14) return plural(days, 'day');
  if (days < 60) return plural(Math.floor(days / 7), 'week');
  if (days < 730) return plural(Math.floor(days / 30.44), 'month');
  return plural(Math.floor(days / 365.25), 'year');
}

// The relative phrase of a day offset: "today", "tomorrow", "in 3 days",
// "in 2 weeks", "1 day late", "3 months late".
export function relativeDay(days) {
  if (days === 0) return 'today';
  if (days === 1) return 'tomorrow';
  return days > 0 ? `in ${span(days)}` : `${span(-days)} late`;
}

// "Friday, December 5, 2026" (and the time, in UTC, when it is not midnight).
export function fullDate(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const date = d.toLocaleDateString('en-US', { timeZone: 'UTC', weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' });
  if (d.getTime() % DAY === 0) return date;
  return `${date}, ${d.toLocaleTimeString('en-US', { timeZone: 'UTC', hour: '2-digit', minute: '2-digit', hour12: false })} UTC`;
}

// "Fri, Dec 5": short, for chips.
export function shortDate(ms) {
  return new Date(ms).toLocaleDateString('en-US', { timeZone: 'UTC', weekday: 'short', month: 'short', day: 'numeric' });
}

// What a task's due date says, or null without one. state: 'overdue' (its
// day has passed and it is not completed), 'today', 'soon' (within 7 days),
// 'later', or 'done' (completed: no urgency). label: "Due tomorrow",
// "2 days late", "Due today"; full: the full date.
export function dueInfo(task, now = Date.now()) {
  const days = daysUntil(task?.dueDate, now);
  if (days === null) return null;
  const rel = relativeDay(days);
  const done = task.status === 'completed';
  let state;
  if (done) state = 'done';
  else if (days < 0) state = 'overdue';
  else if (days === 0) state = 'today';
  else if (days <= 7) state = 'soon';
  else state = 'later';
  let label;
  if (days < 0) label = done ? `Was due ${days === -1 ? 'yesterday' : `${span(-days)} ago`}` : rel.charAt(0).toUpperCase() + rel.slice(1);
  else label = `Due ${rel}`;
  return { days, state, label, full: fullDate(task.dueDate) };
}
