import { useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { ApiError } from '../../api/client';
import { markSignedIn } from '../../api/session';
import { useEventClient } from '../../events/react';
import { authApi, useSignInOptions } from './session';

function message(error: unknown): string {
  if (error instanceof ApiError && error.status === 401) return 'Wrong user name or password.';
  if (error instanceof ApiError && error.status === 429) return error.message;
  return error instanceof Error ? error.message : String(error);
}

/** Sign in with a user name and password; the server sets the session cookie. */
export function LoginPage() {
  const cache = useQueryClient();
  const events = useEventClient();
  const options = useSignInOptions();
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!name || !password) {
      setError('Enter your user name and password.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await authApi.login(name, password);
      setPassword('');
      markSignedIn();
      // The socket and every query start again with the new session cookie.
      events.close();
      events.start();
      await cache.invalidateQueries();
    } catch (exc) {
      setError(message(exc));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="form login-form" onSubmit={submit} noValidate aria-label="Sign in">
      <p>Sign in to Heimdall. A new server prints a one-time sign-in link on its console.</p>
      <label className="field">
        User name
        <input name="name" autoComplete="username" value={name} onChange={(e) => setName(e.target.value)} />
      </label>
      <label className="field">
        Password
        <input name="password" type="password" autoComplete="current-password" value={password}
          onChange={(e) => setPassword(e.target.value)} />
      </label>
      {error && <p className="form-error" role="alert">{error}</p>}
      <button type="submit" disabled={busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
      {options.data?.oidc_login_url && (
        <p><a href={options.data.oidc_login_url}>Sign in with single sign-on</a></p>
      )}
    </form>
  );
}
