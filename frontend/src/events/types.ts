/** The /ws protocol of CONTRACT §3 as the client sees it. */

import { LOGGED_EVENTS, SYSTEM_EVENTS, type EventPayloads } from '../api/generated/events';

// Every event name and its data type come from the backend's one declaration (EVENT_TYPES), through
// `npm run gen:api`: a handler table typed Record<EventName, ...> fails to compile when the server
// declares an event the web app does not handle, and an event the server does not declare cannot be named.
export { LOGGED_EVENTS, SYSTEM_EVENTS, type EventPayloads };

export type SystemEventName = (typeof SYSTEM_EVENTS)[number];
export type LoggedEventName = (typeof LOGGED_EVENTS)[number];
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
