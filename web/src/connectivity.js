// Whether the server can be reached, for the offline banner: a request that
// got no answer at all (src/api.js reports it) or the browser's "offline"
// event marks the app offline; any answer, or GET /health answering the
// probe that runs meanwhile (every PROBE_MS, more slowly after a while),
// marks it online again. Subscribers hear each change (useOnline() for
// React), so the task page can reload what it shows once the server is back.
import { useSyncExternalStore } from 'react';

const PROBE_MS = [2000, 2000, 4000, 8000, 15000];
let offline = false;
let timer = null;
let attempt = 0;
const listeners = new Set();

function set(value) {
  if (offline === value) return;
  offline = value;
  if (!offline) {
    clearTimeout(timer);
    timer = null;
    attempt = 0;
  }
  for (const fn of listeners) fn(offline);
}

async function probe() {
  timer = null;
  try {
    const res = await fetch('/health', { cache: 'no-store', credentials: 'omit', signal: AbortSignal.timeout(5000) });
    await res.arrayBuffer();
    set(false);
  } catch {
    schedule();
  }
}

function schedule() {
  if (!offline || timer || typeof window === 'undefined') return; /* no probing outside a browser (unit tests) */
  timer = setTimeout(probe, PROBE_MS[Math.min(attempt++, PROBE_MS.length - 1)]);
}

// From the client: the server answered (any status), or it did not.
export function reportAnswer() {
  set(false);
}
export function reportNoAnswer() {
  set(true);
  schedule();
}

// Ask now instead of waiting for the next probe (the banner's "Try again").
export function retryNow() {
  clearTimeout(timer);
  timer = null;
  return probe();
}

export const isOffline = () => offline;

// fn(offline) on each change; returns the unsubscribe.
export function subscribe(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

if (typeof window !== 'undefined') {
  window.addEventListener('offline', reportNoAnswer);
  window.addEventListener('online', () => offline && retryNow());
}

export function useOnline() {
  return !useSyncExternalStore(subscribe, isOffline, () => false);
}
