import { fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { markSignedIn } from '../api/session';
import { App } from './App';
import { FakeWebSocket, flushMicrotasks, makeClient } from '../test/fakeSocket';
import { renderWithProviders } from '../test/render';

vi.mock('../components/map/engine', () => ({ loadEngine: () => new Promise(() => undefined) }));

let signedIn = false;
const logins: unknown[] = [];
const passwords: unknown[] = [];

function reply(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status });
}

const unauthorized = { error: { code: 'unauthorized', message: 'sign in or send a valid API token', details: null } };

async function fakeServer(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const path = new URL(String(input), 'http://test').pathname.replace('/api/v1', '');
  const method = init?.method ?? 'GET';
  if (method === 'POST' && path === '/auth/login') {
    const body = JSON.parse(String(init?.body));
    logins.push(body);
    if (body.password !== 'right password') {
      return reply(401, { error: { code: 'unauthorized', message: 'wrong user name or password', details: null } });
    }
    signedIn = true;
    return reply(200, { user: { name: 'ana', role: 'operator', via: 'session', auth_enabled: true }, csrf_token: 't' });
  }
  if (path === '/auth/options') return reply(200, { auth_enabled: true, oidc_login_url: '/api/v1/auth/oidc/login' });
  if (!signedIn) return reply(401, unauthorized);
  if (method === 'PUT' && path === '/auth/password') {
    passwords.push(JSON.parse(String(init?.body)));
    return new Response(null, { status: 204 });
  }
  if (path === '/auth/me') return reply(200, { name: 'ana', role: 'operator', via: 'session', auth_enabled: true });
  if (path === '/receivers' || path === '/networks' || path === '/localizations') return reply(200, { items: [], total: 0 });
  return reply(404, { error: { code: 'not_found', message: 'no route', details: null } });
}

beforeEach(() => {
  signedIn = false;
  logins.length = 0;
  passwords.length = 0;
  FakeWebSocket.reset();
  vi.stubGlobal('fetch', vi.fn(fakeServer));
});
afterEach(() => {
  vi.unstubAllGlobals();
  markSignedIn();
  window.location.hash = '';
});

describe('LoginPage', () => {
  it('replaces the pages after a 401, refuses a wrong password, and signs in', async () => {
    window.location.hash = '#/receivers';
    const events = makeClient();
    events.start();
    FakeWebSocket.last.open();
    renderWithProviders(<App />, { events });
    const form = await screen.findByRole('form', { name: 'Sign in' }, { timeout: 10_000 });
    expect(screen.getByRole('heading', { level: 1, name: 'Sign in' })).toBeTruthy();
    const sso = await screen.findByRole('link', { name: 'Sign in with single sign-on' });
    expect(sso.getAttribute('href')).toBe('/api/v1/auth/oidc/login');

    fireEvent.change(screen.getByLabelText('User name'), { target: { value: 'ana' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'wrong' } });
    fireEvent.submit(form);
    expect((await screen.findByRole('alert')).textContent).toBe('Wrong user name or password.');

    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'right password' } });
    fireEvent.submit(form);
    await waitFor(() => expect(screen.queryByRole('form', { name: 'Sign in' })).toBeNull(), { timeout: 10_000 });
    expect(await screen.findByText('ana (operator)', {}, { timeout: 10_000 })).toBeTruthy();
    expect(logins).toEqual([{ name: 'ana', password: 'wrong' }, { name: 'ana', password: 'right password' }]);

    const passwordForm = screen.getByRole('form', { name: 'Set your password' });
    fireEvent.change(screen.getByLabelText('New password'), { target: { value: 'short' } });
    fireEvent.submit(passwordForm);
    expect((await screen.findByRole('alert')).textContent).toBe('A password needs at least 10 characters.');
    fireEvent.change(screen.getByLabelText('New password'), { target: { value: 'a longer password' } });
    fireEvent.submit(passwordForm);
    expect(await screen.findByText('Password set.')).toBeTruthy();
    expect(passwords).toEqual([{ new_password: 'a longer password' }]);
    await flushMicrotasks();
  });

  it('asks for both fields before sending anything', async () => {
    const events = makeClient();
    renderWithProviders(<App />, { events });
    const form = await screen.findByRole('form', { name: 'Sign in' }, { timeout: 10_000 });
    fireEvent.submit(form);
    expect((await screen.findByRole('alert')).textContent).toBe('Enter your user name and password.');
    expect(logins).toEqual([]);
  });
});
