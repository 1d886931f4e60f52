/** The gap before the first id: the first subscribe starts at the server's `last_id` (see client.ts). */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { queryKeys } from '../api/queryKeys';
import { envelope, FakeWebSocket, flushMicrotasks, makeClient } from '../test/fakeSocket';
import { testQueryClient } from '../test/render';
import { connectCache } from './cacheSync';

beforeEach(() => FakeWebSocket.reset());
afterEach(() => vi.useRealTimers());

function connectedMessage(lastId: number, clientId = 'c1') {
  return { id: null, event: 'connected', topic: 'system', data: { client_id: clientId, server_time: 't', last_id: lastId } };
}

/** Open the socket without the fake's automatic `connected` (so the test chooses what it says). */
function openSilently(socket: FakeWebSocket): void {
  socket.readyState = 1;
  socket.onopen?.({} as Event);
}

describe('first cursor from connected.last_id', () => {
  it('subscribes nothing before connected, then with after = last_id', async () => {
    const client = makeClient();
    client.subscribe('receivers');
    client.start();
    const socket = FakeWebSocket.last;
    openSilently(socket);
    await flushMicrotasks();
    expect(socket.subscribes()).toEqual([]);
    socket.receive(connectedMessage(57));
    expect(socket.subscribes()).toEqual([{ op: 'subscribe', topics: ['receivers'], after: 57 }]);
    expect(client.cursor).toBe(57);
    client.subscribe('datasets');
    await flushMicrotasks();
    expect(socket.subscribes()[1]).toEqual({ op: 'subscribe', topics: ['datasets'], after: 57 });
    client.close();
  });

  it('sends after: 0 on an empty log instead of no cursor', async () => {
    const client = makeClient();
    client.subscribe('jobs');
    client.start();
    openSilently(FakeWebSocket.last);
    FakeWebSocket.last.receive(connectedMessage(0));
    expect(FakeWebSocket.last.subscribes()).toEqual([{ op: 'subscribe', topics: ['jobs'], after: 0 }]);
    client.close();
  });

  it('uses only the first connection last_id; a reconnect resumes from what it saw', async () => {
    vi.useFakeTimers();
    const client = makeClient({ random: () => 0 });
    client.subscribe('jobs');
    client.start();
    openSilently(FakeWebSocket.last);
    FakeWebSocket.last.receive(connectedMessage(10));
    FakeWebSocket.last.drop();
    await vi.advanceTimersByTimeAsync(1);
    const second = FakeWebSocket.last;
    openSilently(second);
    second.receive(connectedMessage(99, 'c2')); // events 11..99 happened while away: replay them
    expect(second.subscribes()).toEqual([{ op: 'subscribe', topics: ['jobs'], after: 10 }]);
    client.close();
  });

  it('keeps the old behaviour with a server that sends no last_id', async () => {
    const client = makeClient();
    client.subscribe('jobs');
    client.start();
    FakeWebSocket.last.open(); // the fake's connected has no last_id
    await flushMicrotasks();
    expect(FakeWebSocket.last.subscribes()).toEqual([{ op: 'subscribe', topics: ['jobs'] }]);
    expect(client.cursor).toBeNull();
    client.close();
  });

  it('refetches the subscribed topics queries after subscribed', async () => {
    const cache = testQueryClient();
    const client = makeClient();
    connectCache(client, cache);
    cache.setQueryData(queryKeys.receivers.list(), { items: [], total: 0 });
    client.subscribe('receivers');
    client.start();
    openSilently(FakeWebSocket.last);
    FakeWebSocket.last.receive(connectedMessage(5));
    expect(cache.getQueryState(queryKeys.receivers.list())?.isInvalidated).toBe(false);
    FakeWebSocket.last.receive(envelope(null, 'subscribed', 'system', { topics: ['receivers'], replayed: 0 }));
    expect(cache.getQueryState(queryKeys.receivers.list())?.isInvalidated).toBe(true);
    client.close();
  });
});
