import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import type { ReactElement } from 'react';
import type { EventClient } from '../events/client';
import { EventClientProvider } from '../events/react';
import { makeClient } from './fakeSocket';

export function testQueryClient(): QueryClient {
  return new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Infinity }, mutations: { retry: false } } });
}

export function renderWithProviders(ui: ReactElement, options: { cache?: QueryClient; events?: EventClient } = {}) {
  const cache = options.cache ?? testQueryClient();
  const events = options.events ?? makeClient();
  const result = render(
    <QueryClientProvider client={cache}>
      <EventClientProvider client={events}>{ui}</EventClientProvider>
    </QueryClientProvider>,
  );
  return { ...result, cache, events };
}

/** A fetch stub answering by "METHOD path" (path without the /api/v1 prefix and query). */
export function stubFetch(routes: Record<string, { status?: number; body?: unknown }>) {
  const calls: { method: string; path: string; body: unknown }[] = [];
  const fetchMock = async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input), 'http://test');
    const path = url.pathname.replace('/api/v1', '');
    const method = init?.method ?? 'GET';
    calls.push({ method, path, body: init?.body ? JSON.parse(String(init.body)) : undefined });
    const route = routes[`${method} ${path}`];
    if (!route) {
      return new Response(JSON.stringify({ error: { code: 'not_found', message: `no route ${path}` } }), { status: 404 });
    }
    return new Response(route.body === undefined ? null : JSON.stringify(route.body), { status: route.status ?? 200 });
  };
  return { fetchMock, calls };
}
