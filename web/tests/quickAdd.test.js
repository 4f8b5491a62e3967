import { beforeAll, describe, expect, test } from 'vitest';
import { keyOf, parseQuickAdd, quickAddBody, resolveDate } from '../src/lib/quickAdd.js';

// Thursday, December 3, 2026, 15:00 UTC
const NOW = Date.UTC(2026, 11, 3, 15);
const day = (phrase) => {
  const at = resolveDate(phrase, NOW);
  return at === null ? null : new Date(at).toISOString().slice(0, 10);
};
const parse = (line, keep) => parseQuickAdd(line, { now: NOW, keep });

beforeAll(() => {
  process.env.TZ = 'UTC';
});

describe('dates', () => {
  test('words and forms', () => {
    expect(day('today')).toBe('2026-12-03');
    expect(day('Tomorrow')).toBe('2026-12-04');
    expect(day('next week')).toBe('2026-12-07'); /* the next Monday */
    expect(day('in 3 days')).toBe('2026-12-06');
    expect(day('in 1 day')).toBe('2026-12-04');
    expect(day('in 2 weeks')).toBe('2026-12-17');
    expect(day('2027-01-15')).toBe('2027-01-15');
    expect(day('dec 25')).toBe('2026-12-25');
    expect(day('25 December')).toBe('2026-12-25');
    expect(day('jan 5')).toBe('2027-01-05'); /* past this year: next year's */
    expect(day('Dec 3')).toBe('2026-12-03'); /* today is not past */
  });
  test('a weekday is the next one after today', () => {
    expect(day('friday')).toBe('2026-12-04');
    expect(day('mon')).toBe('2026-12-07');
    expect(day('thursday')).toBe('2026-12-10'); /* today is a Thursday: a week on */
    expect(day('Wednesday')).toBe('2026-12-09');
    expect(day('tues')).toBe('2026-12-08');
  });
  test('no such day', () => {
    expect(day('feb 30')).toBeNull();
    expect(day('2026-13-01')).toBeNull();
    expect(day('2026-02-29')).toBeNull();
    expect(day('in 0 days')).toBeNull();
    expect(day('marching 5')).toBeNull();
  });
});

describe('parseQuickAdd', () => {
  test('date, tag and priority come out of the title as chips', () => {
    const p = parse('Pay rent tomorrow #home !high');
    expect(p.title).toBe('Pay rent');
    expect(p.dueDate).toBe('2026-12-04');
    expect(p.priority).toBe('high');
    expect(p.tags).toEqual(['home']);
    expect(p.tokens.map((t) => [t.kind, t.text, t.label])).toEqual([
      ['due', 'tomorrow', 'Due tomorrow (Fri, Dec 4)'],
      ['tag', '#home', '#home'],
      ['priority', '!high', 'High priority'],
    ]);
    expect(quickAddBody(p)).toEqual({ title: 'Pay rent', tags: ['home'], priority: 'high', dueDate: '2026-12-04' });
  });
  test('a plain line is just a title', () => {
    const p = parse('  Call   the plumber  ');
    expect(p).toEqual({ title: 'Call the plumber', dueDate: null, priority: null, tags: [], tokens: [] });
    expect(quickAddBody(p)).toEqual({ title: 'Call the plumber', tags: [] });
  });
  test('syntax in the middle; several tags, once each; the last priority', () => {
    const p = parse('#work Write in 3 days the #work report #q4.plan !l !1');
    expect(p.title).toBe('Write the report');
    expect(p.tags).toEqual(['work', 'q4.plan']);
    expect(p.priority).toBe('high');
    expect(p.dueDate).toBe('2026-12-06');
  });
  test('only whole words: a word containing a date or a # inside a word stays', () => {
    const p = parse("Todays list, issue#12, tomorrow's plan, Monday-ish");
    expect(p.title).toBe("Todays list, issue#12, tomorrow's plan, Monday-ish");
    expect(p.dueDate).toBeNull();
    expect(p.tags).toEqual([]);
  });
  test('words that are also weekdays in short form stay: sat, sun, wed', () => {
    expect(parse('Sun cream').dueDate).toBeNull();
    expect(parse('Sat exam prep').dueDate).toBeNull();
  });
  test('the first date counts; a later one stays in the title', () => {
    const p = parse('Plan friday the talk for dec 25');
    expect(p.dueDate).toBe('2026-12-04');
    expect(p.title).toBe('Plan the talk for dec 25');
  });
  test('keep as text: the chip is gone and the word stays', () => {
    const first = parse('Watch Tomorrow Never Dies friday #films');
    expect(first.dueDate).toBe('2026-12-04'); /* "Tomorrow" comes first... */
    expect(first.title).toBe('Watch Never Dies friday');
    const kept = parse('Watch Tomorrow Never Dies friday #films', [keyOf(first.tokens[0])]);
    expect(kept.title).toBe('Watch Tomorrow Never Dies'); /* ...kept, friday is the date */
    expect(kept.dueDate).toBe('2026-12-04');
    const noTag = parse('Watch Tomorrow Never Dies friday #films', ['due:tomorrow', 'tag:#films']);
    expect(noTag.title).toBe('Watch Tomorrow Never Dies #films');
    expect(noTag.tags).toEqual([]);
  });
  test('a tag longer than the API allows stays text; an empty title is left empty', () => {
    const long = `#${'a'.repeat(41)}`;
    expect(parse(`Note ${long}`).tags).toEqual([]);
    expect(parse(`Note ${long}`).title).toBe(`Note ${long}`);
    expect(parse('#home tomorrow').title).toBe('');
  });
  test('punctuation after a token', () => {
    const p = parse('Ship it (#work), today!');
    expect(p.tags).toEqual(['work']);
    expect(p.dueDate).toBe('2026-12-03');
  });
});
