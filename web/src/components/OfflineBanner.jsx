// Shown while the server cannot be reached (connectivity.js): what is on the
// page is what was loaded before, changes are not saved, and the app keeps
// trying; "Try again" asks at once.
import { retryNow, useOnline } from '../connectivity.js';

export default function OfflineBanner() {
  const online = useOnline();
  return (
    <div className="offline-slot" role="status">
      {!online && (
        <div className="offline-banner">
          <p>
            <strong>You are offline.</strong> The server cannot be reached: you see what was loaded before, and
            changes are not saved. Trying again…
          </p>
          <button type="button" className="btn" onClick={retryNow}>Try again now</button>
        </div>
      )}
    </div>
  );
}
