/** A tiny hash router: `#/training/<jobId>` -> { page: 'training', params: ['<jobId>'] }. */
import { useSyncExternalStore, type AnchorHTMLAttributes } from 'react';

export interface Route {
  page: string;
  params: string[];
}

export function parseHash(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  return { page: parts[0] ?? '', params: parts.slice(1) };
}

function subscribe(notify: () => void): () => void {
  window.addEventListener('hashchange', notify);
  return () => window.removeEventListener('hashchange', notify);
}

export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, () => window.location.hash);
  return parseHash(hash);
}

export function href(...parts: string[]): string {
  return `#/${parts.map(encodeURIComponent).join('/')}`;
}

export function navigate(...parts: string[]): void {
  window.location.hash = href(...parts);
}

export function Link({ to, ...rest }: { to: string[] } & AnchorHTMLAttributes<HTMLAnchorElement>) {
  return <a href={href(...to)} {...rest} />;
}
