// Reset password in two steps: email -> emailed 6-digit code + new password.
import { useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { api, errorMessage } from '../api.js';
import { notifyFormError, notifyInfo } from '../notify.jsx';
import { useAuth } from '../auth.jsx';
import Field from '../components/Field.jsx';
import { isOtp, validateCredentials } from '../lib/validate.js';

export default function ResetPassword() {
  const [step, setStep] = useState('email');
  const [email, setEmail] = useState('');
  const [otp, setOtp] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState({});
  const [busy, setBusy] = useState(false);
  const navigate = useNavigate();
  const { refresh } = useAuth();

  async function run(fn) {
    setBusy(true);
    try {
      await fn();
    } catch (err) {
      setErrors({ form: errorMessage(err) });
      notifyFormError(err);
    } finally {
      setBusy(false);
    }
  }

  function sendCode(e) {
    e.preventDefault();
    const found = validateCredentials({ email, password: 'x' });
    setErrors(found);
    if (found.email) return;
    run(async () => {
      const res = await api.sendResetOtp(email.trim());
      notifyInfo(res.message || 'Code sent');
      setStep('code');
    });
  }

  function reset(e) {
    e.preventDefault();
    const found = {};
    if (!isOtp(otp)) found.otp = 'Enter the 6-digit code from the email';
    const pw = validateCredentials({ name: 'x', email, password }, { signUp: true }).password;
    if (pw) found.password = pw;
    setErrors(found);
    if (Object.keys(found).length) return;
    run(async () => {
      const res = await api.resetPassword({ email: email.trim(), otp: otp.trim(), newPassword: password });
      notifyInfo(res.message || 'Password reset');
      await refresh(); /* the reset ended every session */
      navigate('/login');
    });
  }

  return (
    <section className="card auth-card" aria-labelledby="reset-title">
      <h1 id="reset-title">Reset password</h1>
      {step === 'email' ? (
        <form onSubmit={sendCode} noValidate>
          <p>Enter your account's email; we will send you a 6-digit code.</p>
          <Field label="Email" name="email" type="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)} error={errors.email} />
          {errors.form && <p className="form-error" role="alert">{errors.form}</p>}
          <button type="submit" className="btn btn-primary" disabled={busy}>Send code</button>
        </form>
      ) : (
        <form onSubmit={reset} noValidate>
          <p>Enter the code sent to <strong>{email}</strong> and choose a new password.</p>
          <Field label="Code" name="otp" inputMode="numeric" autoComplete="one-time-code" maxLength={6} value={otp}
            onChange={(e) => setOtp(e.target.value.replace(/\D/g, ''))} error={errors.otp} />
          <Field label="New password" name="newPassword" type="password" autoComplete="new-password" value={password}
            onChange={(e) => setPassword(e.target.value)} error={errors.password} hint="At least 8 characters" />
          {errors.form && <p className="form-error" role="alert">{errors.form}</p>}
          <button type="submit" className="btn btn-primary" disabled={busy}>Set new password</button>
          <button type="button" className="link" onClick={() => { setStep('email'); setErrors({}); }}>Use another email</button>
        </form>
      )}
      <p className="switch"><Link to="/login">Back to log in</Link></p>
    </section>
  );
}
