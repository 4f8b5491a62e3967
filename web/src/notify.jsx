// Toasts, few and out of the way. Routine results (created, saved) are not
// toasted: the list shows them, and screen readers hear them from the
// page's live region. What is toasted:
// - an Undo for a complete, a status change or a delete: one at a time, a
//   newer one replaces it;
// - an error that has no other place (a failed complete; a form shows its
//   own errors in the form, and "no answer" is the offline banner's job): one
//   toast per message, so the same failure twice is one toast;
// - a 429 with Retry-After: one toast that counts the wait down to "you can
//   try again now"; screen readers hear the wait once, not every second.
// At most maxToasts() show (one on a phone); a new one closes the oldest
// rather than queueing it, so none pops up long after its cause. Toasts live
// in a dock below the page's scrolling region (App.jsx), so they take room
// from it rather than covering anything; when one appears, the focused
// control is scrolled back into the region if the dock pushed it out.
import { useEffect, useState } from 'react';
import { toast } from 'react-toastify';
import { errorMessage, isSessionLost, retryAfterOf } from './api.js';
import { rateLimitMessage } from './lib/retryAfter.js';

const RATE_LIMIT_TOAST = 'rate-limit';
let undoToast = null; /* id of the Undo toast on screen */
let undoSeq = 0;
const MAX_TOAST_MS = 10 * 60 * 1000;
export const UNDO_MS = 6000;
const PHONE = '(max-width: 640px)';

const maxToasts = () => (typeof matchMedia === 'function' && matchMedia(PHONE).matches ? 1 : 3);
const shown = []; /* ids of the toasts on screen, oldest first */

// Scrolls the page's region (#scroller) so that el is wholly in view.
export function keepInView(el) {
  const box = document.getElementById('scroller');
  if (!el?.getBoundingClientRect || !box?.contains(el)) return;
  const s = box.getBoundingClientRect();
  const r = el.getBoundingClientRect();
  if (r.height === 0) return;
  if (r.bottom > s.bottom) box.scrollBy({ top: r.bottom - s.bottom + 12 });
  else if (r.top < s.top) box.scrollBy({ top: r.top - s.top - 12 });
}

toast.onChange(({ id, status }) => {
  const at = shown.indexOf(id);
  if (status === 'added' && at === -1) shown.push(id);
  if (status === 'removed' && at !== -1) shown.splice(at, 1);
  if (status === 'added') requestAnimationFrame(() => keepInView(document.activeElement));
});

// Room for a toast about to be added under id: close the oldest others.
function makeRoom(id) {
  const others = shown.filter((x) => x !== id);
  for (let i = 0; i <= others.length - maxToasts(); i++) toast.dismiss(others[i]);
}

function Countdown({ until }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return rateLimitMessage(Math.max(0, until - now));
}

export function notifyError(err) {
  if (err?.request && !err.response) return; /* the offline banner says it */
  if (isSessionLost(err)) return; /* the log-in page says it (auth.jsx) */
  const wait = retryAfterOf(err);
  if (wait === null) {
    const message = errorMessage(err);
    const id = `error:${message}`;
    if (toast.isActive(id)) return;
    makeRoom(id);
    toast.error(message, { toastId: id });
    return;
  }
  const render = (
    <>
      <span aria-hidden="true" data-countdown=""><Countdown key={Date.now()} until={Date.now() + wait} /></span>
      <span className="sr-only">{rateLimitMessage(wait)}</span>
    </>
  );
  const options = { autoClose: Math.min(wait, MAX_TOAST_MS) + 1000 };
  if (toast.isActive(RATE_LIMIT_TOAST)) toast.update(RATE_LIMIT_TOAST, { render, ...options });
  else {
    makeRoom(RATE_LIMIT_TOAST);
    toast.error(render, { toastId: RATE_LIMIT_TOAST, ...options });
  }
}

function UndoToast({ id, message, onUndo }) {
  return (
    <div className="undo-toast">
      <span>{message}</span>
      <button type="button" className="btn btn-undo" onClick={() => { toast.dismiss(id); onUndo(); }}>Undo</button>
    </div>
  );
}

// "Completed “X”" with an Undo button, replacing any earlier one (a new
// toast each time: one on its way out cannot be updated).
export function notifyUndo(message, onUndo) {
  if (undoToast !== null) toast.dismiss(undoToast);
  const id = `undo-${++undoSeq}`;
  undoToast = id;
  makeRoom(id);
  toast(<UndoToast id={id} message={message} onUndo={onUndo} />, {
    toastId: id, autoClose: UNDO_MS, closeButton: true, onClose: () => { if (undoToast === id) undoToast = null; },
  });
}

// A short confirmation for things the page does not show (logged out).
export function notifyInfo(message, kind = 'success') {
  const id = `info:${message}`;
  if (toast.isActive(id)) return;
  makeRoom(id);
  toast[kind](message, { toastId: id });
}

// For a form that shows err itself: only a 429's countdown is toasted too.
export function notifyFormError(err) {
  if (retryAfterOf(err) !== null) notifyError(err);
}
