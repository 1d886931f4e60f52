import { afterEach, describe, expect, it, vi } from 'vitest';
import { request } from './client';
import { csrfToken, isSignedOut, markSignedIn } from './session';

afterEach(() => {
  vi.unstubAllGlobals();
  document.cookie = 'heimdall_csrf=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/';
  markSignedIn();
});

function recordingFetch(status = 200) {
  const calls: { method: string; headers: Record<string, string>; credentials?: string }[] = [];
  vi.stubGlobal('fetch', async (_input: RequestInfo | URL, init?: RequestInit) => {
    calls.push({ method: init?.method ?? 'GET', headers: (init?.headers ?? {}) as Record<string, string>,
      credentials: init?.credentials });
    const body = status === 200 ? '{}' : JSON.stringify({ error: { code: 'unauthorized', message: 'sign in' } });
    return new Response(body, { status });
  });
  return calls;
}

describe('session', () => {
  it('reads the CSRF token from its cookie among others', () => {
    expect(csrfToken('a=1; heimdall_csrf=abc%3D; b=2')).toBe('abc=');
    expect(csrfToken('heimdall_session=x')).toBeNull();
    expect(csrfToken('')).toBeNull();
  });

  it('sends the CSRF token on writes only, with same-origin credentials', async () => {
    document.cookie = 'heimdall_csrf=tok123; path=/';
    const calls = recordingFetch();
    await request('POST', '/networks', { body: { name: 'x' } });
    await request('GET', '/networks');
    await request('DELETE', '/networks/1');
    expect(calls[0].headers['X-CSRF-Token']).toBe('tok123');
    expect(calls[1].headers['X-CSRF-Token']).toBeUndefined();
    expect(calls[2].headers['X-CSRF-Token']).toBe('tok123');
    expect(calls.every((call) => call.credentials === 'same-origin')).toBe(true);
  });

  it('a 401 from the API signs the tab out, a wrong password at sign-in does not', async () => {
    recordingFetch(401);
    await expect(request('POST', '/auth/login', { body: {} })).rejects.toMatchObject({ status: 401 });
    expect(isSignedOut()).toBe(false);
    await expect(request('GET', '/receivers')).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
    expect(isSignedOut()).toBe(true);
  });
});
