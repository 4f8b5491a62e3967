// App name, the user's name, a "verify your email" prompt while unverified,
// the trash and settings, log out.
import { Link, useNavigate } from 'react-router-dom';
import { api, errorMessage } from '../api.js';
import { useAuth } from '../auth.jsx';
import { notifyError, notifyInfo } from '../notify.jsx';
import ThemeToggle from './ThemeToggle.jsx';

export default function Navbar() {
  const { user, logout } = useAuth();
  const navigate = useNavigate();

  async function startVerify() {
    try {
      const res = await api.sendVerifyOtp();
      notifyInfo(res.message || 'Verification code sent');
      navigate('/verify');
    } catch (err) {
      notifyError(err);
    }
  }

  async function onLogout() {
    const answer = logout();
    navigate('/login');
    const err = await answer;
    if (!err) notifyInfo('Logged out');
    else notifyInfo(`Logged out on this page, but the server did not confirm it (${errorMessage(err)})`, 'warning');
  }

  return (
    <header className="navbar">
      <nav aria-label="Main">
        <Link to="/" className="brand">LSF Tasks</Link>
        <ThemeToggle />
        {user && (
          <div className="nav-user">
            {!user.isAccountVerified && (
              <button type="button" className="btn btn-warn" onClick={startVerify}>Verify your email</button>
            )}
            <span className="user-name"><span className="sr-only">Signed in as </span>{user.name}</span>
            <Link to="/trash" className="nav-link">Trash</Link>
            <Link to="/settings" className="nav-link">Settings</Link>
            <button type="button" className="btn btn-ghost" onClick={onLogout}>Log out</button>
          </div>
        )}
      </nav>
    </header>
  );
}
