// requireOrSkip(): the one way a suite skips for a missing tool (nginx,
// redis-server, PostgreSQL, promtool, prometheus, libfaketime, the sqlite3
// CLI...). Outside CI it returns a skip reason naming the tool and its Debian
// package, for `{ skip: requireOrSkip(...) }`; with CI=true (or 1) a missing
// tool is an error thrown at once, so the suite fails instead of passing
// with its tests skipped: CI must run everything.
export const inCI = /^(true|1)$/i.test(process.env.CI ?? '');

// false when available; else a skip reason, or (in CI) an Error thrown.
export function requireOrSkip(what, available, install = '') {
  if (available) return false;
  const reason = `${what} is not installed${install ? ` (${install})` : ''}`;
  if (inCI) throw new Error(`CI=true: ${reason}; CI must not skip this suite`);
  return reason;
}
