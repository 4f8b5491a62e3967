// Log in, or sign up (the same form with a name): on success the session
// cookie is set and the board opens.
import { useState } from 'react';
import { Link, useLocation, useNavigate } from 'react-router-dom';
import { api, errorMessage } from '../api.js';
import { notifyFormError, notifyInfo } from '../notify.jsx';
import { useAuth } from '../auth.jsx';
import Field from '../components/Field.jsx';
import { validateCredentials } from '../lib/validate.js';

// Where to go after logging in: the page (path and query string) that sent
// the visitor here, if any, else the board.
export function afterLogin(location) {
  const from = location.state?.from;
  return typeof from === 'string' && from.startsWith('/') && !from.startsWith('//') ? from : '/';
}

export default function Login() {
  const [signUp, setSignUp] = useState(false);
  const [values, setValues] = useState({ name: '', email: '', password: '' });
  const [errors, setErrors] = useState({});
  const [formError, setFormError] = useState('');
  const [busy, setBusy] = useState(false);
  const { refresh, settled } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();

  const set = (k) => (e) => setValues((v) => ({ ...v, [k]: e.target.value }));

  async function onSubmit(e) {
    e.preventDefault();
    const found = validateCredentials(values, { signUp });
    setErrors(found);
    setFormError('');
    if (Object.keys(found).length) return;
    setBusy(true);
    try {
      await settled();
      if (signUp) await api.register({ name: values.name.trim(), email: values.email.trim(), password: values.password });
      else await api.login({ email: values.email.trim(), password: values.password });
      await refresh();
      notifyInfo(signUp ? 'Account created' : 'Welcome back');
      navigate(afterLogin(location), { replace: true });
    } catch (err) {
      setFormError(errorMessage(err));
      notifyFormError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card auth-card" aria-labelledby="auth-title">
      <h1 id="auth-title">{signUp ? 'Create an account' : 'Log in'}</h1>
      <form onSubmit={onSubmit} noValidate>
        {signUp && <Field label="Name" name="name" autoComplete="name" value={values.name} onChange={set('name')} error={errors.name} maxLength={100} />}
        <Field label="Email" name="email" type="email" autoComplete="email" value={values.email} onChange={set('email')} error={errors.email} />
        <Field label="Password" name="password" type="password" autoComplete={signUp ? 'new-password' : 'current-password'}
          value={values.password} onChange={set('password')} error={errors.password} hint={signUp ? 'At least 8 characters' : undefined} />
        {formError && <p className="form-error" role="alert">{formError}</p>}
        <button type="submit" className="btn btn-primary" disabled={busy}>{signUp ? 'Sign up' : 'Log in'}</button>
      </form>
      <p className="switch">
        {signUp ? 'Already have an account?' : 'New here?'}{' '}
        <button type="button" className="link" onClick={() => { setSignUp(!signUp); setErrors({}); setFormError(''); }}>
          {signUp ? 'Log in' : 'Create an account'}
        </button>
      </p>
      {!signUp && <p className="switch"><Link to="/reset-password">Forgot your password?</Link></p>}
    </section>
  );
}
