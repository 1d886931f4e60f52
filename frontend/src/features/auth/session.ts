import { useQuery } from '@tanstack/react-query';
import { useSyncExternalStore } from 'react';
import { request } from '../../api/client';
import { isSignedOut, subscribeSession } from '../../api/session';

export interface Me {
  name: string;
  role: 'viewer' | 'operator' | 'admin';
  via: 'session' | 'token' | 'local';
  auth_enabled: boolean;
}

export const meKey = ['auth', 'me'] as const;

export interface SignInOptions {
  auth_enabled: boolean;
  oidc_login_url: string | null;
}

export const authApi = {
  options: () => request<SignInOptions>('GET', '/auth/options'),
  me: () => request<Me>('GET', '/auth/me'),
  login: (name: string, password: string) =>
    request<{ user: Me; csrf_token: string }>('POST', '/auth/login', { body: { name, password } }),
  logout: () => request<void>('POST', '/auth/logout'),
  setPassword: (newPassword: string, currentPassword?: string) =>
    request<void>('PUT', '/auth/password', {
      body: { new_password: newPassword, ...(currentPassword ? { current_password: currentPassword } : {}) },
    }),
};

/** Whether the server said 401 (the login page replaces the pages until a sign-in succeeds). */
export function useSignedOut(): boolean {
  return useSyncExternalStore(subscribeSession, isSignedOut, isSignedOut);
}

/** How this server lets people sign in (single sign-on or not). */
export function useSignInOptions() {
  return useQuery({ queryKey: ['auth', 'options'], queryFn: authApi.options, retry: false, staleTime: Infinity });
}

/** Who this tab acts as; undefined while unknown or when the server has no /auth (older servers). */
export function useMe() {
  return useQuery({ queryKey: meKey, queryFn: authApi.me, retry: false, staleTime: 60_000 });
}
