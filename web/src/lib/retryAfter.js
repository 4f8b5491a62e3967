// Rate limits as the user reads them: the wait a 429's Retry-After header
// asks for (delay-seconds or an HTTP-date, RFC 9110 §10.2.3) and the
// sentence that says when to try again.

// Milliseconds to wait from now, or null when the value is missing or not
// one of the two forms. A date in the past is 0.
export function parseRetryAfter(value, now = Date.now()) {
  if (value === undefined || value === null) return null;
  const text = String(value).trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // HTTP-date: IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT" and the two
  // obsolete forms all start with a day name; anything else ("1.5", "soon")
  // is refused rather than left to Date.parse's guesses.
  if (!/^[A-Za-z]{3,9},? /.test(text)) return null;
  // all three are in GMT; asctime does not say so, and Date.parse would read it as local time
  const at = Date.parse(/\b(GMT|UTC)\b/.test(text) ? text : `${text} GMT`);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

const plural = (n, unit) => `${n} ${unit}${n === 1 ? '' : 's'}`;

// "45 seconds", "2 minutes", "3 hours": rounded up, so it never says a
// shorter wait than the server asked for; seconds below two minutes, so a
// countdown moves every second when it matters.
export function formatWait(ms) {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  if (seconds < 120) return plural(seconds, 'second');
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 120) return plural(minutes, 'minute');
  return plural(Math.ceil(minutes / 60), 'hour');
}

// The message for a 429 that asked to wait ms (null: it did not say).
export function rateLimitMessage(ms) {
  if (ms === null || ms === undefined) return 'Too many requests: please wait a moment and try again';
  if (ms <= 0) return 'Too many requests: you can try again now';
  return `Too many requests: try again in ${formatWait(ms)}`;
}
