import { describe, expect, test } from 'vitest';
import { formatWait, parseRetryAfter, rateLimitMessage } from '../src/lib/retryAfter.js';

const NOW = Date.parse('2030-01-02T03:04:05Z');

describe('parseRetryAfter', () => {
  test('delay-seconds', () => {
    expect(parseRetryAfter('120', NOW)).toBe(120000);
    expect(parseRetryAfter(' 0 ', NOW)).toBe(0);
    expect(parseRetryAfter(7, NOW)).toBe(7000);
  });
  test('an HTTP-date, in its three forms', () => {
    expect(parseRetryAfter('Wed, 02 Jan 2030 03:06:05 GMT', NOW)).toBe(120000);
    expect(parseRetryAfter('Wednesday, 02-Jan-30 03:05:05 GMT', NOW)).toBe(60000);
    expect(parseRetryAfter('Wed Jan  2 03:04:35 2030', NOW)).toBe(30000);
  });
  test('a date already past means now', () => {
    expect(parseRetryAfter('Tue, 01 Jan 2030 00:00:00 GMT', NOW)).toBe(0);
  });
  test('anything else is no answer', () => {
    for (const v of [undefined, null, '', 'soon', '1.5', '-3', '2 minutes', 'Foo, bar'])
      expect(parseRetryAfter(v, NOW)).toBeNull();
  });
});

describe('formatWait', () => {
  test('seconds below two minutes, then minutes, then hours, rounded up', () => {
    expect(formatWait(1000)).toBe('1 second');
    expect(formatWait(1)).toBe('1 second');
    expect(formatWait(45000)).toBe('45 seconds');
    expect(formatWait(119000)).toBe('119 seconds');
    expect(formatWait(120000)).toBe('2 minutes');
    expect(formatWait(121000)).toBe('3 minutes');
    expect(formatWait(15 * 60000)).toBe('15 minutes');
    expect(formatWait(3 * 3600000)).toBe('3 hours');
  });
});

describe('rateLimitMessage', () => {
  test('says when to try again', () => {
    expect(rateLimitMessage(120000)).toBe('Too many requests: try again in 2 minutes');
    expect(rateLimitMessage(0)).toBe('Too many requests: you can try again now');
    expect(rateLimitMessage(null)).toBe('Too many requests: please wait a moment and try again');
  });
});
