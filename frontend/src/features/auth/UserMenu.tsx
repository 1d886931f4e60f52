import { useQueryClient } from '@tanstack/react-query';
import { markSignedOut } from '../../api/session';
import { useEventClient } from '../../events/react';
import { PasswordForm } from './PasswordForm';
import { authApi, useMe } from './session';

/** The signed-in user and a sign-out button (nothing with authentication off or on older servers). */
export function UserMenu() {
  const me = useMe();
  const cache = useQueryClient();
  const events = useEventClient();
  if (!me.data || me.data.via !== 'session') return null;
  const signOut = async () => {
    await authApi.logout().catch(() => undefined);
    events.close();
    cache.clear();
    markSignedOut();
  };
  return (
    <span className="user-menu">
      <span>{me.data.name} ({me.data.role})</span>
      <details className="password-menu">
        <summary>Password</summary>
        <PasswordForm />
      </details>
      <button type="button" onClick={() => void signOut()}>Sign out</button>
    </span>
  );
}
