// Routes: the board, the trash and settings need a session; the sign-in pages send a signed-in user to the board.
// A visitor sent to log in comes back to the page (and view: the query
// string) they asked for, so a bookmarked view survives the log-in.
import { Navigate, Route, Routes, useLocation } from 'react-router-dom';
import { cssTransition, ToastContainer } from 'react-toastify';
import { useAuth } from './auth.jsx';
import Navbar from './components/Navbar.jsx';
import OfflineBanner from './components/OfflineBanner.jsx';
import Board from './pages/Board.jsx';
import Login, { afterLogin } from './pages/Login.jsx';
import ResetPassword from './pages/ResetPassword.jsx';
import Settings from './pages/Settings.jsx';
import Trash from './pages/Trash.jsx';
import Verify from './pages/Verify.jsx';

function RequireUser({ children }) {
  const { user, loading } = useAuth();
  const location = useLocation();
  if (loading) return <p className="loading" role="status">Loading…</p>;
  return user ? children : <Navigate to="/login" replace state={{ from: `${location.pathname}${location.search}` }} />;
}

function GuestOnly({ children }) {
  const { user, loading } = useAuth();
  const location = useLocation();
  if (loading) return <p className="loading" role="status">Loading…</p>;
  return user ? <Navigate to={afterLogin(location)} replace /> : children;
}

// The app shell: the page scrolls in its own region, with the offline
// banner above it and the toasts in a dock below it. A toast or the banner
// takes room from the scrolling region instead of lying over it, so neither
// ever covers a control.
// Short in and out: a toast that gives way to a newer one is gone at once.
const Quick = cssTransition({ enter: 'toast-in', exit: 'toast-out', collapseDuration: 120 });

export default function App() {
  return (
    <div className="shell">
      <OfflineBanner />
      <div className="scroller" id="scroller">
        <a className="skip-link" href="#main">Skip to content</a>
        <Navbar />
        <main id="main" tabIndex={-1}>
          <Routes>
            <Route path="/" element={<RequireUser><Board /></RequireUser>} />
            <Route path="/login" element={<GuestOnly><Login /></GuestOnly>} />
            <Route path="/verify" element={<RequireUser><Verify /></RequireUser>} />
            <Route path="/trash" element={<RequireUser><Trash /></RequireUser>} />
            <Route path="/settings" element={<RequireUser><Settings /></RequireUser>} />
            <Route path="/reset-password" element={<ResetPassword />} />
            <Route path="*" element={<Navigate to="/" replace />} />
          </Routes>
        </main>
      </div>
      <div className="toast-dock">
        {/* bounded and deduplicated by src/notify.jsx, which closes the oldest rather than queueing */}
        <ToastContainer position="bottom-left" autoClose={4000} newestOnTop hideProgressBar transition={Quick} />
      </div>
    </div>
  );
}
