// The signed-in user for the whole app: loaded from GET /api/user/data at
// start (no session: null), reloaded after sign-in and verification; log out.
// A request that finds the session gone mid-way (expired, revoked, the
// account deleted elsewhere) signs the page out too: the routes then show
// the log-in page, which brings the user back to where they were.
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState } from 'react';
import { api, onSessionLost } from './api.js';
import { notifyInfo } from './notify.jsx';

const AuthContext = createContext(null);

export function AuthProvider({ children }) {
  const [user, setUser] = useState(null);
  const [loading, setLoading] = useState(true);

  const refresh = useCallback(async () => {
    try {
      const u = await api.userData();
      setUser(u);
      return u;
    } catch {
      setUser(null);
      return null;
    } finally {
      setLoading(false);
    }
  }, []);

  // Ends the session on this page at once, whatever the server then answers
  // (a 429, a 5xx, no answer): the log-in page shows while the request runs.
  // Resolves to null when the server confirmed, else to the error (its
  // cookie may then stay valid until it expires or a logout gets through).
  const pendingLogout = useRef(null);
  const logout = useCallback(() => {
    setUser(null);
    const done = api.logout().then(() => null, (err) => err);
    pendingLogout.current = done;
    return done;
  }, []);

  // Waits for a logout still on its way, so its answer (which clears the
  // cookie) cannot land after, and undo, the next log-in.
  const settled = useCallback(() => pendingLogout.current ?? Promise.resolve(null), []);

  useEffect(() => {
    refresh();
  }, [refresh]);

  // Only a session this page had: the first GET /api/user/data finding none is no news.
  const signedIn = useRef(false);
  signedIn.current = user !== null;
  useEffect(() => onSessionLost(() => {
    if (!signedIn.current) return;
    signedIn.current = false;
    setUser(null);
    notifyInfo('Your session has ended. Log in again to go on.', 'warning');
  }), []);

  // Signs the page out without asking the server (the account is gone).
  const forget = useCallback(() => {
    signedIn.current = false;
    setUser(null);
  }, []);

  const value = useMemo(() => ({ user, loading, refresh, logout, settled, forget }), [user, loading, refresh, logout, settled, forget]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth() {
  return useContext(AuthContext);
}
