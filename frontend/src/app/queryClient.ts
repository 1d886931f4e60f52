import { QueryClient } from '@tanstack/react-query';
import { ApiError } from '../api/client';

/** Live events keep the cache fresh, so queries need not refetch on every focus. */
export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 30_000,
        refetchOnWindowFocus: false,
        // A missing feature (404/501) or bad request will not fix itself by retrying.
        retry: (count, error) => !(error instanceof ApiError && error.status >= 400 && error.status < 500) && count < 2,
      },
    },
  });
}
