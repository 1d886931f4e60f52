/** The /ws protocol of CONTRACT §3 as the client sees it. */

/** Messages the server sends that are not logged (their `id` is null). */
export const SYSTEM_EVENTS = ['connected', 'subscribed', 'heartbeat', 'pong', 'error', 'resync'] as const;

/** Logged events: each has an integer id, strictly increasing across the server's log. */
export const LOGGED_EVENTS = [
  'job.created', 'job.state', 'job.deleted', 'job.progress', 'job.metrics',
  'dataset.created', 'dataset.updated', 'dataset.deleted',
  'model.registered', 'model.deployed', 'model.deleted',
  'receiver.created', 'receiver.updated', 'receiver.deleted', 'receiver.health',
  'localization.result',
] as const;

/** Logged events beyond CONTRACT §3 that this server sends (topics `networks`, `references`; docs/events.md). */
export const EXTENSION_EVENTS = [
  'network.created', 'network.updated', 'network.deleted',
  'reference.created', 'reference.updated', 'reference.deleted',
] as const;

export type SystemEventName = (typeof SYSTEM_EVENTS)[number];
export type LoggedEventName = (typeof LOGGED_EVENTS)[number] | (typeof EXTENSION_EVENTS)[number];
export type EventName = SystemEventName | LoggedEventName;

export interface Envelope<D = Record<string, unknown>> {
  id: number | null;
  event: string;
  topic: string;
  timestamp: string;
  data: D;
}

export type ClientMessage =
  | { op: 'subscribe'; topics: string[]; after?: number }
  | { op: 'unsubscribe'; topics: string[] }
  | { op: 'ping' };

export type ConnectionState =
  | { status: 'idle' }
  | { status: 'connecting'; attempt: number }
  | { status: 'connected'; clientId: string | null }
  | { status: 'reconnecting'; attempt: number; retryAt: number }
  | { status: 'offline' };

/** The part of the browser WebSocket the client uses, so tests can hand in a fake. */
export interface SocketLike {
  readonly readyState: number;
  onopen: ((ev: Event) => unknown) | null;
  onclose: ((ev: CloseEvent) => unknown) | null;
  onmessage: ((ev: MessageEvent) => unknown) | null;
  onerror: ((ev: Event) => unknown) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type SocketFactory = (url: string) => SocketLike;

export const OPEN = 1;
