/**
 * The browser side of sign-in (docs/security.md): the CSRF token the server set in the readable
 * `heimdall_csrf` cookie (echoed in `X-CSRF-Token` on every write), and whether the server has said
 * 401 — then the app shows the login page instead of the pages.
 */

export const CSRF_COOKIE = 'heimdall_csrf';
export const CSRF_HEADER = 'X-CSRF-Token';

/** The CSRF token of the current session, or null (no session, or authentication off). */
export function csrfToken(cookies: string = typeof document === 'undefined' ? '' : document.cookie): string | null {
  for (const part of cookies.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === CSRF_COOKIE && rest.length > 0) return decodeURIComponent(rest.join('='));
  }
  return null;
}

type Listener = () => void;
const listeners = new Set<Listener>();
let signedOut = false;

function set(value: boolean): void {
  if (signedOut === value) return;
  signedOut = value;
  for (const listener of listeners) listener();
}

/** The server answered 401: credentials are missing, expired or revoked. */
export function markSignedOut(): void {
  set(true);
}

export function markSignedIn(): void {
  set(false);
}

export function isSignedOut(): boolean {
  return signedOut;
}

export function subscribeSession(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
