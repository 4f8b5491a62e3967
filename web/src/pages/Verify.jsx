// Email verification: enter the 6-digit code sent by email, or ask for a new one.
import { useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { api, errorMessage } from '../api.js';
import { notifyError, notifyFormError, notifyInfo } from '../notify.jsx';
import { useAuth } from '../auth.jsx';
import Field from '../components/Field.jsx';
import { isOtp } from '../lib/validate.js';

export default function Verify() {
  const { user, refresh } = useAuth();
  const [otp, setOtp] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const navigate = useNavigate();

  if (user?.isAccountVerified)
    return (
      <section className="card auth-card">
        <h1>Email verified</h1>
        <p>Your email address is verified.</p>
        <Link to="/">Go to your tasks</Link>
      </section>
    );

  async function onSubmit(e) {
    e.preventDefault();
    if (!isOtp(otp)) {
      setError('Enter the 6-digit code from the email');
      return;
    }
    setBusy(true);
    setError('');
    try {
      const res = await api.verifyAccount(otp.trim());
      notifyInfo(res.message || 'Email verified');
      await refresh();
      navigate('/');
    } catch (err) {
      setError(errorMessage(err));
      notifyFormError(err);
    } finally {
      setBusy(false);
    }
  }

  async function resend() {
    try {
      const res = await api.sendVerifyOtp();
      notifyInfo(res.message || 'A new code is on its way');
    } catch (err) {
      notifyError(err);
    }
  }

  return (
    <section className="card auth-card" aria-labelledby="verify-title">
      <h1 id="verify-title">Verify your email</h1>
      <p>We sent a 6-digit code to <strong>{user?.email}</strong>.</p>
      <form onSubmit={onSubmit} noValidate>
        <Field label="Verification code" name="otp" inputMode="numeric" autoComplete="one-time-code" maxLength={6}
          pattern="[0-9]{6}" value={otp} onChange={(e) => setOtp(e.target.value.replace(/\D/g, ''))} error={error} />
        <button type="submit" className="btn btn-primary" disabled={busy}>Verify</button>
      </form>
      <p className="switch">
        No email? <button type="button" className="link" onClick={resend}>Send a new code</button>
      </p>
    </section>
  );
}
