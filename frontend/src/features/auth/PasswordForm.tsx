import { useState, type FormEvent } from 'react';
import { authApi } from './session';

/** Set your own password (the first admin signs in through a one-time link and has none yet). */
export function PasswordForm() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (next.length < 10) {
      setMessage({ ok: false, text: 'A password needs at least 10 characters.' });
      return;
    }
    try {
      await authApi.setPassword(next, current || undefined);
      setCurrent('');
      setNext('');
      setMessage({ ok: true, text: 'Password set.' });
    } catch (exc) {
      setMessage({ ok: false, text: exc instanceof Error ? exc.message : String(exc) });
    }
  };

  return (
    <form className="form password-form" onSubmit={submit} noValidate aria-label="Set your password">
      <label className="field">
        Current password (if you have one)
        <input type="password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} />
      </label>
      <label className="field">
        New password
        <input type="password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} />
      </label>
      {message && <p className={message.ok ? 'muted' : 'form-error'} role={message.ok ? 'status' : 'alert'}>{message.text}</p>}
      <button type="submit">Set password</button>
    </form>
  );
}
