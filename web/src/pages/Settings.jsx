// Settings (/settings): the account, a download of everything it holds
// (GET /api/user/export, saved as lsf-tasks-export-YYYY-MM-DD.json), and
// its deletion, confirmed with the password (DELETE /api/user): on success
// the page is signed out and shows the log-in page; a wrong password is
// shown under the field. The deletion sits behind a "Delete my account…"
// button, so the form never opens by accident.
import { useRef, useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { api, errorMessage } from '../api.js';
import { useAuth } from '../auth.jsx';
import Field from '../components/Field.jsx';
import { exportFileName } from '../lib/trash.js';
import { notifyError, notifyFormError, notifyInfo } from '../notify.jsx';

function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

export default function Settings() {
  const { user, forget } = useAuth();
  const navigate = useNavigate();
  const [exporting, setExporting] = useState(false);
  const [deleting, setDeleting] = useState(false); /* the form is open */
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const openBtn = useRef(null);

  async function onExport() {
    setExporting(true);
    try {
      download(await api.exportAccount(), exportFileName());
    } catch (err) {
      notifyError(err);
    } finally {
      setExporting(false);
    }
  }

  function close() {
    setDeleting(false);
    setPassword('');
    setError('');
    requestAnimationFrame(() => openBtn.current?.focus());
  }

  async function onDelete(e) {
    e.preventDefault();
    if (!password) {
      setError('Enter your password to confirm');
      return;
    }
    setBusy(true);
    setError('');
    try {
      await api.deleteAccount(password);
      forget();
      navigate('/login', { replace: true });
      notifyInfo('Your account and all its tasks were deleted');
    } catch (err) {
      setError(errorMessage(err));
      notifyFormError(err);
      setBusy(false);
    }
  }

  return (
    <div className="settings-page">
      <p className="back"><Link to="/">← Back to your tasks</Link></p>
      <h1>Settings</h1>
      <section className="card" aria-labelledby="account-title">
        <h2 id="account-title">Account</h2>
        <dl className="account-facts">
          <dt>Name</dt><dd>{user?.name}</dd>
          <dt>Email</dt><dd>{user?.email}{user && !user.isAccountVerified && ' (not verified)'}</dd>
        </dl>
      </section>
      <section className="card" aria-labelledby="export-title">
        <h2 id="export-title">Your data</h2>
        <p>Download your account and every task as a JSON file.</p>
        <button type="button" className="btn" onClick={onExport} disabled={exporting}>
          {exporting ? 'Preparing…' : 'Download my data'}
        </button>
      </section>
      <section className="card danger-zone" aria-labelledby="delete-title">
        <h2 id="delete-title">Delete account</h2>
        <p>This deletes your account and all your tasks, including the trash, for good. It cannot be undone.</p>
        {!deleting && (
          <button type="button" ref={openBtn} className="btn btn-danger-ghost" onClick={() => setDeleting(true)}>
            Delete my account…
          </button>
        )}
        {deleting && (
          <form onSubmit={onDelete} noValidate aria-label="Delete account">
            <Field label="Your password" type="password" autoComplete="current-password" value={password} autoFocus
              onChange={(e) => setPassword(e.target.value)} error={error} maxLength={1024} />
            <div className="form-actions">
              <button type="submit" className="btn btn-danger" disabled={busy}>
                {busy ? 'Deleting…' : 'Delete my account for good'}
              </button>
              <button type="button" className="btn btn-ghost" onClick={close} disabled={busy}>Cancel</button>
            </div>
          </form>
        )}
      </section>
    </div>
  );
}
