// settle(read, done): reads until done(value) holds or the deadline passes,
// and returns the last value read, so the caller's assertion reports what was
// seen. For what a server does on its own schedule (lsf-server flushes its
// access log about once a second), never for what it must have done before
// answering: that is asserted right after the answer.
import { setTimeout as sleep } from 'node:timers/promises';

export async function settle(read, done, { timeoutMs = 10000, intervalMs = 100 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() >= deadline) return value;
    await sleep(intervalMs);
  }
}
