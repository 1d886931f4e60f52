/** A scriptable stand-in for the browser WebSocket, for tests of the event client. */
import { EventClient, type EventClientOptions } from '../events/client';
import type { ClientMessage, SocketLike } from '../events/types';

export class FakeWebSocket implements SocketLike {
  static instances: FakeWebSocket[] = [];
  readyState = 0;
  sent: ClientMessage[] = [];
  closedWith: number | undefined;
  onopen: SocketLike['onopen'] = null;
  onclose: SocketLike['onclose'] = null;
  onmessage: SocketLike['onmessage'] = null;
  onerror: SocketLike['onerror'] = null;

  constructor(readonly url: string) {
    FakeWebSocket.instances.push(this);
  }

  static reset(): void {
    FakeWebSocket.instances = [];
  }

  static get last(): FakeWebSocket {
    return FakeWebSocket.instances[FakeWebSocket.instances.length - 1];
  }

  send(data: string): void {
    this.sent.push(JSON.parse(data) as ClientMessage);
  }

  /** Client-initiated close: the browser fires `close` afterwards. */
  close(code?: number): void {
    this.closedWith = code ?? 1000;
    this.readyState = 3;
    this.onclose?.({ code: this.closedWith } as CloseEvent);
  }

  // ---- server side -----------------------------------------------------------------------
  open(clientId = 'c1'): void {
    this.readyState = 1;
    this.onopen?.({} as Event);
    this.receive({ id: null, event: 'connected', topic: 'system', data: { client_id: clientId, server_time: 't' } });
  }

  receive(message: { id: number | null; event: string; topic: string; data?: Record<string, unknown> }): void {
    const envelope = { timestamp: '2026-01-01T00:00:00.000Z', data: {}, ...message };
    this.onmessage?.({ data: JSON.stringify(envelope) } as MessageEvent);
  }

  /** The server or network drops the connection. */
  drop(code = 1006): void {
    this.readyState = 3;
    this.onclose?.({ code } as CloseEvent);
  }

  subscribes(): Extract<ClientMessage, { op: 'subscribe' }>[] {
    return this.sent.filter((m): m is Extract<ClientMessage, { op: 'subscribe' }> => m.op === 'subscribe');
  }
}

export function makeClient(options: Partial<EventClientOptions> = {}): EventClient {
  return new EventClient({ url: 'ws://test/ws', socketFactory: (url) => new FakeWebSocket(url), ...options });
}

/** Let queued microtasks (subscription flushes) run. */
export const flushMicrotasks = () => new Promise<void>((resolve) => queueMicrotask(resolve));

export function envelope(id: number | null, event: string, topic: string, data: Record<string, unknown> = {}) {
  return { id, event, topic, timestamp: '2026-01-01T00:00:00.000Z', data };
}
