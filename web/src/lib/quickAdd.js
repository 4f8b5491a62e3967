// The quick-add line's light syntax, parsed as the user types so the
// result shows as chips before saving:
//   a due date  today, tomorrow, next week, a weekday (mon … sunday: the
//               next one after today), in 3 days, in 2 weeks, dec 25,
//               25 december, 2026-12-25
//   #tag        letters, digits, - and _, with . or / inside (#home, #q4.plan)
//   !priority   !high !medium !low (also !h !m !l, !1 high … !3 low)
// Each is a whole word. The first date counts (a later one stays in the
// title); the last priority counts; tags are kept in order, once each.
// What is left, its spaces collapsed, is the title. A chip's "keep as text"
// adds its token to `keep` (by keyOf), and that word is then left in the
// title: "Watch Tomorrow Never Dies" keeps its "Tomorrow".
import { DAY, isoDay, relativeDay, shortDate, todayStart } from './dates.js';
import { TASK_LIMITS } from './validate.js';

const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const PRIORITIES = { high: 'high', h: 'high', 1: 'high', medium: 'medium', med: 'medium', m: 'medium', 2: 'medium', low: 'low', l: 'low', 3: 'low' };
export const PRIORITY_NAMES = { high: 'High priority', medium: 'Medium priority', low: 'Low priority' };

// full names, and the short forms that are not English words ("sat",
// "sun" and "wed" are left as text)
const weekday = '(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tues?|thu|thurs?|fri)';
const month = '(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*';
const DATE_RE = new RegExp(
  `(?<![\\p{L}\\p{N}#!'’-])(today|tomorrow|next week|in \\d{1,3} (?:days?|weeks?)|${weekday}|${month} \\d{1,2}|\\d{1,2} ${month}|\\d{4}-\\d{2}-\\d{2})(?![\\p{L}\\p{N}'’-])`,
  'giu',
);
const TAG_RE = /(?<![^\s(])#([\p{L}\p{N}_-]+(?:[./][\p{L}\p{N}_-]+)*)(?=$|[\s,;:?!)])/gu;
const PRIORITY_RE = /(?<![^\s(])!(high|medium|med|low|h|m|l|1|2|3)(?=$|[\s,;:?)])/giu;

const monthIndex = (word) => MONTHS.findIndex((m) => m.startsWith(word.toLowerCase().slice(0, 3)) && m.startsWith(word.toLowerCase()));

// The UTC-midnight ms of a date phrase at `now`, or null when it names no
// real day ("feb 30", "2026-13-01", "mond").
export function resolveDate(phrase, now = Date.now()) {
  const text = phrase.toLowerCase().replace(/\s+/g, ' ');
  const today = todayStart(now);
  const dow = new Date(today).getUTCDay();
  if (text === 'today') return today;
  if (text === 'tomorrow') return today + DAY;
  if (text === 'next week') return today + (((8 - dow) % 7) || 7) * DAY; /* next Monday */
  let m = /^in (\d+) (day|week)s?$/.exec(text);
  if (m) {
    const n = Number(m[1]) * (m[2] === 'week' ? 7 : 1);
    return n >= 1 && n <= 3650 ? today + n * DAY : null;
  }
  const wd = WEEKDAYS.findIndex((d) => d === text || (/^(mon|tues?|thu|thurs?|fri)$/.test(text) && d.startsWith(text)));
  if (wd !== -1) return today + (((wd - dow + 7) % 7) || 7) * DAY;
  m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (m) return validDay(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  m = /^([a-z]+) (\d{1,2})$/.exec(text) ?? /^(\d{1,2}) ([a-z]+)$/.exec(text);
  if (m) {
    const [name, day] = /^\d/.test(m[1]) ? [m[2], Number(m[1])] : [m[1], Number(m[2])];
    const mi = monthIndex(name);
    if (mi === -1) return null;
    const year = new Date(today).getUTCFullYear();
    const at = validDay(year, mi, day);
    if (at === null) return validDay(year + 1, mi, day); /* feb 29 in a common year */
    return at >= today ? at : validDay(year + 1, mi, day);
  }
  return null;
}

function validDay(y, mi, d) {
  if (y < 1970 || y > 9999 || mi < 0 || mi > 11 || d < 1) return null;
  const at = Date.UTC(y, mi, d);
  return new Date(at).getUTCDate() === d ? at : null;
}

// The key a token is kept by: its kind and its text, case folded.
export const keyOf = (token) => `${token.kind}:${token.text.toLowerCase()}`;

// Parse a quick-add line at `now`. Returns { title, dueDate ("yyyy-mm-dd"
// or null), priority (or null), tags, tokens }, tokens in the order of the
// line: { kind: 'due'|'priority'|'tag', text, start, end, value, label }.
export function parseQuickAdd(line, { now = Date.now(), keep = [] } = {}) {
  const text = String(line ?? '');
  const kept = new Set(keep);
  const found = [];
  for (const m of text.matchAll(TAG_RE)) found.push({ kind: 'tag', text: m[0], start: m.index, end: m.index + m[0].length, value: m[1] });
  for (const m of text.matchAll(PRIORITY_RE)) {
    const value = PRIORITIES[m[1].toLowerCase()];
    found.push({ kind: 'priority', text: m[0], start: m.index, end: m.index + m[0].length, value });
  }
  let due = null;
  for (const m of text.matchAll(DATE_RE)) {
    const at = resolveDate(m[1], now);
    const token = { kind: 'due', text: m[0], start: m.index, end: m.index + m[0].length, value: at === null ? null : isoDay(at) };
    if (at === null || kept.has(keyOf(token)) || found.some((t) => t.start < token.end && token.start < t.end)) continue;
    due = { ...token, at };
    break;
  }
  if (due) found.push(due);
  const tokens = [];
  const tags = [];
  let priority = null;
  for (const t of found.sort((a, b) => a.start - b.start)) {
    if (kept.has(keyOf(t))) continue;
    if (t.kind === 'tag') {
      if ([...t.value].length > TASK_LIMITS.tag || tags.length >= TASK_LIMITS.tags) continue;
      if (tags.includes(t.value)) {
        tokens.push({ ...t, label: `#${t.value}`, duplicate: true });
        continue;
      }
      tags.push(t.value);
      tokens.push({ ...t, label: `#${t.value}` });
    } else if (t.kind === 'priority') {
      priority = t.value;
      tokens.push({ ...t, label: PRIORITY_NAMES[t.value] });
    } else {
      const days = Math.round((t.at - todayStart(now)) / DAY);
      const rel = relativeDay(days);
      tokens.push({ kind: 'due', text: t.text, start: t.start, end: t.end, value: t.value, label: `Due ${rel} (${shortDate(t.at)})` });
    }
  }
  let title = '';
  let from = 0;
  for (const t of tokens) {
    title += `${text.slice(from, t.start)} `;
    from = t.end;
  }
  title = (title + text.slice(from)).replace(/\s+/g, ' ').trim();
  return { title, dueDate: due ? due.value : null, priority, tags, tokens };
}

// The API's TaskInput of a parsed line.
export function quickAddBody(parsed) {
  const body = { title: parsed.title, tags: parsed.tags };
  if (parsed.priority) body.priority = parsed.priority;
  if (parsed.dueDate) body.dueDate = parsed.dueDate;
  return body;
}
