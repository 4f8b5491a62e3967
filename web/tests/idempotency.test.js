import { describe, expect, test } from 'vitest';
import { createKeys, newIdempotencyKey, outcomeUnknown } from '../src/lib/idempotency.js';

const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('newIdempotencyKey', () => {
  test('a random UUID, different each time', () => {
    const a = newIdempotencyKey();
    expect(a).toMatch(UUID4);
    expect(newIdempotencyKey()).not.toBe(a);
  });
  test('without crypto.randomUUID (plain http) it is built from getRandomValues', () => {
    const fake = { getRandomValues: (b) => b.fill(0xff) };
    expect(newIdempotencyKey(fake)).toBe('ffffffff-ffff-4fff-bfff-ffffffffffff');
    const real = { getRandomValues: (b) => globalThis.crypto.getRandomValues(b) };
    expect(newIdempotencyKey(real)).toMatch(UUID4);
  });
});

describe('outcomeUnknown', () => {
  test('no answer, 5xx, 408, 409 and 429 leave the create open; other answers settle it', () => {
    expect(outcomeUnknown({ request: {}, code: 'ERR_NETWORK' })).toBe(true);
    for (const status of [500, 502, 503, 504, 408, 409, 429]) expect(outcomeUnknown({ response: { status } })).toBe(true);
    for (const status of [400, 401, 404, 415, 422]) expect(outcomeUnknown({ response: { status } })).toBe(false);
  });
});

describe('createKeys', () => {
  let n = 0;
  const keys = () => createKeys(() => `key-${++n}`);
  test('the same body after an unsettled failure keeps its key', () => {
    const k = keys();
    const first = k.keyFor({ title: 'a' });
    k.done({ request: {} });
    expect(k.keyFor({ title: 'a' })).toBe(first);
    k.done({ response: { status: 503 } });
    expect(k.keyFor({ title: 'a' })).toBe(first);
  });
  test('a success, a settled failure or another body gets a new key', () => {
    const k = keys();
    const first = k.keyFor({ title: 'a' });
    k.done();
    const second = k.keyFor({ title: 'a' });
    expect(second).not.toBe(first);
    k.done({ response: { status: 400 } });
    const third = k.keyFor({ title: 'a' });
    expect(third).not.toBe(second);
    k.done({ request: {} });
    expect(k.keyFor({ title: 'b' })).not.toBe(third);
  });
});
