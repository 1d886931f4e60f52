/**
 * Exponential backoff with full jitter: the delay is uniform in [0, min(cap, base * 2^attempt)), so
 * a server restart is not met by every tab reconnecting in the same instant.
 */
export interface BackoffOptions {
  baseMs: number;
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, capMs: 30_000 };

export function backoffCeilingMs(attempt: number, options: BackoffOptions = DEFAULT_BACKOFF): number {
  return Math.min(options.capMs, options.baseMs * 2 ** Math.max(0, attempt));
}

export function backoffDelayMs(attempt: number, random: () => number, options: BackoffOptions = DEFAULT_BACKOFF): number {
  return Math.floor(random() * backoffCeilingMs(attempt, options));
}
