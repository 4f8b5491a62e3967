// Error toasts. A 429 with Retry-After gets one toast (not one per failed
// request) that counts the wait down to "you can try again now"; screen
// readers hear the wait once, not every second.
import { useEffect, useState } from 'react';
import { toast } from 'react-toastify';
import { errorMessage, retryAfterOf } from './api.js';
import { rateLimitMessage } from './lib/retryAfter.js';

const RATE_LIMIT_TOAST = 'rate-limit';
const MAX_TOAST_MS = 10 * 60 * 1000;

function Countdown({ until }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return rateLimitMessage(Math.max(0, until - now));
}

export function notifyError(err) {
  const wait = retryAfterOf(err);
  if (wait === null) {
    toast.error(errorMessage(err));
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
  else toast.error(render, { toastId: RATE_LIMIT_TOAST, ...options });
}
