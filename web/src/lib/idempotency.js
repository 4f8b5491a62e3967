// Idempotency-Key for POST /api/tasks: a random UUID per create, kept for
// the retries of that same create, so a retry after a lost answer cannot
// make a second task (the server answers a replay with the first answer).

// A random (version 4) UUID. crypto.randomUUID exists only in secure
// contexts (https, localhost); a page on plain http under another name has
// getRandomValues alone, so the UUID is built from that there.
export function newIdempotencyKey(c = globalThis.crypto) {
  if (typeof c.randomUUID === 'function') return c.randomUUID();
  const b = c.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// Did a failed create leave it open whether the task was made? No answer at
// all (network error, timeout), a 5xx (a proxy may have lost the answer of an
// instance that wrote), 408, 409 (the same key still in progress) and 429
// (refused before it ran, but an earlier attempt with this key may have
// gone through) keep the key; any other answer settles the create.
export function outcomeUnknown(err) {
  const status = err?.response?.status;
  return status === undefined || status >= 500 || status === 408 || status === 409 || status === 429;
}

// The key of the create form: the same body sent again after an unsettled
// failure gets the same key; a success, a settled failure or a different
// body gets a new one (the server answers 422 to one key with two bodies).
export function createKeys(make = newIdempotencyKey) {
  let pending = null;
  return {
    keyFor(body) {
      const text = JSON.stringify(body);
      if (pending?.text !== text) pending = { text, key: make() };
      return pending.key;
    },
    // after the answer: err undefined for a success
    done(err) {
      if (!err || !outcomeUnknown(err)) pending = null;
    },
  };
}
