/**
 * The app's one event client: one WebSocket per tab carrying every topic (CONTRACT §3).
 *
 * - Topics are reference-counted: views call `subscribe(topic)` and the release function it returns;
 *   the server hears about a topic when its count leaves 0 and when it returns to 0. Changes are
 *   flushed once per microtask, so a React StrictMode mount/unmount/mount sends nothing extra.
 * - Every logged event's id is remembered (bounded) and duplicates are dropped; on reconnect the client
 *   subscribes again with `after` = the last id it saw, so the server replays what it missed.
 * - Nothing is subscribed before the server's `connected`: its `last_id` (from the first connection)
 *   is the initial cursor, so the first subscribe already carries `after` and no event logged between
 *   the page's REST fetch and the subscription is lost (the cache refetches after `subscribed`).
 * - Unexpected closes reconnect with exponential backoff and full jitter; `close()` never reconnects.
 * - A `ping` goes out periodically; a socket silent for too long is treated as dead.
 */
import { markSignedOut } from '../api/session';
import { backoffDelayMs, DEFAULT_BACKOFF, type BackoffOptions } from './backoff';
import {
  OPEN, type ClientMessage, type ConnectionState, type Envelope, type SocketFactory, type SocketLike,
} from './types';

export type EnvelopeListener = (envelope: Envelope) => void;

export interface EventClientOptions {
  url: string;
  socketFactory?: SocketFactory;
  random?: () => number;
  now?: () => number;
  backoff?: BackoffOptions;
  pingIntervalMs?: number;
  /** With no message at all for this long (the server heartbeats every 15 s), the socket is dead. */
  staleAfterMs?: number;
  /** How many recent event ids are remembered for de-duplication. */
  dedupeWindow?: number;
}

/** The close code of a socket without valid credentials. */
export const UNAUTHORIZED_CLOSE = 4401;

export class EventClient {
  private readonly options: Required<EventClientOptions>;
  private socket: SocketLike | null = null;
  private readonly refCounts = new Map<string, number>();
  private serverTopics = new Set<string>();
  private readonly listeners = new Set<EnvelopeListener>();
  private readonly stateListeners = new Set<() => void>();
  private state: ConnectionState = { status: 'idle' };
  private lastId: number | null = null;
  private readonly seen = new Set<number>();
  /** `after` values of subscribes whose replay is not confirmed yet: a reconnect must not skip them. */
  private pendingAfters: (number | null)[] = [];
  private attempt = 0;
  private everOpened = false;
  /** Whether the current socket has received `connected`: subscribes wait for it (it brings the cursor). */
  private ready = false;
  private cursorSeeded = false;
  private stopped = true;
  private flushQueued = false;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private lastMessageAt = 0;
  lastServerError: { code: string; message: string } | null = null;

  constructor(options: EventClientOptions) {
    this.options = {
      socketFactory: (url) => new WebSocket(url) as unknown as SocketLike,
      random: Math.random,
      now: Date.now,
      backoff: DEFAULT_BACKOFF,
      pingIntervalMs: 20_000,
      staleAfterMs: 45_000,
      dedupeWindow: 10_000,
      ...options,
    };
  }

  /** Open the connection (idempotent). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    if (typeof window !== 'undefined') window.addEventListener('online', this.onBrowserOnline);
    this.open();
  }

  /** Close on purpose: no reconnect until `start()` is called again. */
  close(): void {
    this.stopped = true;
    if (typeof window !== 'undefined') window.removeEventListener('online', this.onBrowserOnline);
    this.clearTimers();
    const socket = this.socket;
    this.socket = null;
    this.ready = false;
    this.serverTopics.clear();
    socket?.close(1000, 'client closing');
    this.setState({ status: 'offline' });
  }

  /** Hold a topic for as long as the returned release function has not been called. */
  subscribe(topic: string): () => void {
    this.refCounts.set(topic, (this.refCounts.get(topic) ?? 0) + 1);
    this.queueFlush();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const count = (this.refCounts.get(topic) ?? 1) - 1;
      if (count <= 0) this.refCounts.delete(topic);
      else this.refCounts.set(topic, count);
      this.queueFlush();
    };
  }

  addListener(listener: EnvelopeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onStateChange(listener: () => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  getState(): ConnectionState {
    return this.state;
  }

  /** The last logged event id seen, the resume point. */
  get cursor(): number | null {
    return this.lastId;
  }

  topics(): string[] {
    return [...this.refCounts.keys()];
  }

  /** Receive a raw message (exposed for the socket handler and tests). */
  handleMessage(raw: string): void {
    let envelope: Envelope;
    try {
      envelope = JSON.parse(raw) as Envelope;
    } catch {
      return; // Not JSON: nothing the protocol defines, nothing to act on.
    }
    if (!envelope || typeof envelope.event !== 'string') return;
    this.lastMessageAt = this.options.now();
    if (typeof envelope.id === 'number') {
      if (this.seen.has(envelope.id)) return;
      this.remember(envelope.id);
    }
    this.handleSystem(envelope);
    for (const listener of [...this.listeners]) listener(envelope);
  }

  private handleSystem(envelope: Envelope): void {
    const data = (envelope.data ?? {}) as Record<string, unknown>;
    if (envelope.event === 'connected') {
      this.attempt = 0;
      this.setState({ status: 'connected', clientId: typeof data.client_id === 'string' ? data.client_id : null });
      this.onConnected(data.last_id);
    } else if (envelope.event === 'subscribed') {
      this.pendingAfters.shift();
    } else if (envelope.event === 'error') {
      this.lastServerError = { code: String(data.code ?? 'error'), message: String(data.message ?? '') };
    }
  }

  private remember(id: number): void {
    this.seen.add(id);
    if (this.seen.size > this.options.dedupeWindow) {
      const oldest = this.seen.values().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
    if (this.lastId === null || id > this.lastId) this.lastId = id;
  }

  private open(): void {
    this.retryTimer = null;
    this.ready = false;
    this.setState({ status: 'connecting', attempt: this.attempt });
    const socket = this.options.socketFactory(this.options.url);
    this.socket = socket;
    socket.onopen = () => socket === this.socket && this.onOpen();
    socket.onmessage = (ev) => socket === this.socket && this.handleMessage(String(ev.data));
    socket.onclose = (ev) => {
      // 4401: the server refused this socket's credentials (docs/security.md): show the login page.
      if (ev?.code === UNAUTHORIZED_CLOSE) markSignedOut();
      if (socket === this.socket) this.onUnexpectedClose();
    };
    socket.onerror = () => undefined; // a close event always follows; reconnect logic lives there
  }

  private onOpen(): void {
    this.lastMessageAt = this.options.now();
    this.setState({ status: 'connected', clientId: null });
    this.pingTimer = setInterval(() => this.keepAlive(), this.options.pingIntervalMs);
  }

  /** The server's first message on this socket: seed the cursor once, then (re)subscribe everything. */
  private onConnected(lastId: unknown): void {
    if (this.ready || !this.socket) return;
    if (!this.cursorSeeded) {
      this.cursorSeeded = true;
      // Only the FIRST connection's last_id: later ones could skip what a dropped replay had not sent yet.
      if (this.lastId === null && typeof lastId === 'number' && Number.isInteger(lastId)) this.lastId = lastId;
    }
    this.ready = true;
    const resumed = this.everOpened;
    this.everOpened = true;
    const after = this.resumeCursor();
    this.pendingAfters = [];
    this.serverTopics.clear();
    this.flush(after);
    if (resumed && after === undefined) this.emitResync(this.topics());
  }

  /** The smallest id from which nothing may have been missed. */
  private resumeCursor(): number | undefined {
    const candidates = [...this.pendingAfters, this.lastId].filter((id): id is number => id !== null);
    return candidates.length ? Math.min(...candidates) : undefined;
  }

  private onUnexpectedClose(): void {
    this.socket = null;
    this.ready = false;
    this.clearTimers();
    this.serverTopics.clear();
    if (this.stopped) return;
    const delay = backoffDelayMs(this.attempt, this.options.random, this.options.backoff);
    this.attempt += 1;
    this.setState({ status: 'reconnecting', attempt: this.attempt, retryAt: this.options.now() + delay });
    this.retryTimer = setTimeout(() => this.open(), delay);
  }

  private keepAlive(): void {
    const socket = this.socket;
    if (!socket || socket.readyState !== OPEN) return;
    if (this.options.now() - this.lastMessageAt > this.options.staleAfterMs) {
      // Half-open connection: nothing arrives, not even heartbeats. Drop it and reconnect.
      this.socket = null;
      socket.close(4000, 'stale');
      this.onUnexpectedClose();
      return;
    }
    this.send({ op: 'ping' });
  }

  private readonly onBrowserOnline = (): void => {
    if (this.state.status !== 'reconnecting' || !this.retryTimer) return;
    clearTimeout(this.retryTimer);
    this.open();
  };

  private queueFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      this.flush(this.lastId ?? undefined);
    });
  }

  /** Tell the server the difference between the topics held and the topics it knows. */
  private flush(after: number | undefined): void {
    if (!this.socket || !this.ready || this.socket.readyState !== OPEN) return;
    const wanted = new Set(this.refCounts.keys());
    const added = [...wanted].filter((t) => !this.serverTopics.has(t));
    const removed = [...this.serverTopics].filter((t) => !wanted.has(t));
    if (removed.length) this.send({ op: 'unsubscribe', topics: removed });
    if (added.length) {
      this.send(after === undefined ? { op: 'subscribe', topics: added } : { op: 'subscribe', topics: added, after });
      this.pendingAfters.push(after ?? null);
    }
    this.serverTopics = wanted;
  }

  private emitResync(topics: string[]): void {
    const timestamp = new Date(this.options.now()).toISOString();
    for (const topic of topics) {
      this.handleMessage(JSON.stringify({ id: null, event: 'resync', topic, timestamp, data: { reason: 'no cursor' } }));
    }
  }

  private send(message: ClientMessage): void {
    this.socket?.send(JSON.stringify(message));
  }

  private clearTimers(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.retryTimer = null;
    this.pingTimer = null;
  }

  private setState(state: ConnectionState): void {
    this.state = state;
    for (const listener of [...this.stateListeners]) listener();
  }
}
