// Routes: the board needs a session; the sign-in pages send a signed-in user to it.
import { Navigate, Route, Routes } from 'react-router-dom';
import { ToastContainer } from 'react-toastify';
import { useAuth } from './auth.jsx';
import Navbar from './components/Navbar.jsx';
import Board from './pages/Board.jsx';
import Login from './pages/Login.jsx';
import ResetPassword from './pages/ResetPassword.jsx';
import Verify from './pages/Verify.jsx';

function RequireUser({ children }) {
  const { user, loading } = useAuth();
  if (loading) return <p className="loading" role="status">Loading…</p>;
  return user ? children : <Navigate to="/login" replace />;
}

function GuestOnly({ children }) {
  const { user, loading } = useAuth();
  if (loading) return <p className="loading" role="status">Loading…</p>;
  return user ? <Navigate to="/" replace /> : children;
}

export default function App() {
  return (
    <>
      <a className="skip-link" href="#main">Skip to content</a>
      <Navbar />
      <main id="main" tabIndex={-1}>
        <Routes>
          <Route path="/" element={<RequireUser><Board /></RequireUser>} />
          <Route path="/login" element={<GuestOnly><Login /></GuestOnly>} />
          <Route path="/verify" element={<RequireUser><Verify /></RequireUser>} />
          <Route path="/reset-password" element={<ResetPassword />} />
          <Route path="*" element={<Navigate to="/" replace />} />
        </Routes>
      </main>
      <ToastContainer position="bottom-right" autoClose={4000} theme="light" newestOnTop limit={3} />
    </>
  );
}
