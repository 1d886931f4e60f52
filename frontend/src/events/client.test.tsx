import { act, render } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { envelope, FakeWebSocket, flushMicrotasks, makeClient } from '../test/fakeSocket';
import { backoffCeilingMs, backoffDelayMs } from './backoff';
import type { EventClient } from './client';
import { EventClientProvider, useTopics } from './react';
import { getEventClient } from './singleton';

beforeEach(() => FakeWebSocket.reset());
afterEach(() => vi.useRealTimers());

function Watcher({ topics }: { topics: string[] }) {
  useTopics(topics);
  return null;
}

async function connected(client: EventClient): Promise<FakeWebSocket> {
  client.start();
  const socket = FakeWebSocket.last;
  socket.open();
  await flushMicrotasks();
  return socket;
}

describe('one socket per tab', () => {
  it('opens exactly one socket however many components subscribe', async () => {
    const client = makeClient();
    await connected(client);
    render(
      <EventClientProvider client={client}>
        <Watcher topics={['jobs']} />
        <Watcher topics={['jobs', 'job:a']} />
        <Watcher topics={['job:a']} />
        <Watcher topics={['job:b', 'datasets']} />
        <Watcher topics={['jobs']} />
      </EventClientProvider>,
    );
    await act(flushMicrotasks);
    expect(FakeWebSocket.instances).toHaveLength(1);
    const subscribed = FakeWebSocket.last.subscribes().flatMap((m) => m.topics);
    expect(subscribed.sort()).toEqual(['datasets', 'job:a', 'job:b', 'jobs']);
  });

  it('getEventClient returns the same instance every time', () => {
    expect(getEventClient()).toBe(getEventClient());
  });

  it('counts references: unsubscribes only when the last holder releases', async () => {
    const client = makeClient();
    const socket = await connected(client);
    const releaseA = client.subscribe('job:x');
    const releaseB = client.subscribe('job:x');
    await flushMicrotasks();
    expect(socket.subscribes()).toHaveLength(1);
    releaseA();
    releaseA(); // releasing twice must not steal the other holder's reference
    await flushMicrotasks();
    expect(socket.sent.filter((m) => m.op === 'unsubscribe')).toHaveLength(0);
    releaseB();
    await flushMicrotasks();
    expect(socket.sent.filter((m) => m.op === 'unsubscribe')).toEqual([{ op: 'unsubscribe', topics: ['job:x'] }]);
  });

  it('sends nothing for a mount/unmount/mount in one tick (React StrictMode)', async () => {
    const client = makeClient();
    const socket = await connected(client);
    client.subscribe('jobs')();
    client.subscribe('jobs');
    await flushMicrotasks();
    expect(socket.sent.filter((m) => m.op !== 'ping')).toEqual([{ op: 'subscribe', topics: ['jobs'] }]);
  });
});

describe('resume and de-duplication', () => {
  it('resubscribes with after = the last id seen after an unexpected close', async () => {
    vi.useFakeTimers();
    const client = makeClient({ random: () => 0.5 });
    client.subscribe('jobs');
    const first = await connected(client);
    first.receive(envelope(41, 'job.created', 'job:a', { id: 'a' }));
    first.receive(envelope(42, 'job.state', 'job:a', { id: 'a' }));
    first.drop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeWebSocket.instances).toHaveLength(2);
    const second = FakeWebSocket.last;
    second.open();
    expect(second.subscribes()).toEqual([{ op: 'subscribe', topics: ['jobs'], after: 42 }]);
    client.close();
  });

  it('never resumes past a replay that was not confirmed before the drop', async () => {
    vi.useFakeTimers();
    const client = makeClient({ random: () => 0 });
    client.subscribe('jobs');
    const first = await connected(client);
    first.receive(envelope(100, 'job.created', 'job:a', { id: 'a' }));
    client.subscribe('job:b'); // subscribes with after=100; its replay is still pending
    await flushMicrotasks();
    first.receive(envelope(105, 'job.state', 'job:a', { id: 'a' }));
    first.drop();
    await vi.advanceTimersByTimeAsync(1);
    FakeWebSocket.last.open();
    expect(FakeWebSocket.last.subscribes()[0].after).toBe(100);
    client.close();
  });

  it('delivers each logged id once', async () => {
    const client = makeClient();
    const socket = await connected(client);
    const seen: (number | null)[] = [];
    client.addListener((e) => e.event === 'job.progress' && seen.push(e.id));
    for (const id of [7, 8, 7, 9, 8, 9]) socket.receive(envelope(id, 'job.progress', 'job:a', { step: id }));
    expect(seen).toEqual([7, 8, 9]);
    expect(client.cursor).toBe(9);
  });

  it('asks for a resync when it reconnects without ever having seen an id', async () => {
    vi.useFakeTimers();
    const client = makeClient({ random: () => 0 });
    client.subscribe('datasets');
    const first = await connected(client);
    const resyncs: string[] = [];
    client.addListener((e) => e.event === 'resync' && resyncs.push(e.topic));
    first.drop();
    await vi.advanceTimersByTimeAsync(1);
    FakeWebSocket.last.open();
    expect(resyncs).toEqual(['datasets']);
    client.close();
  });
});

describe('reconnect policy', () => {
  it('backs off exponentially with full jitter', () => {
    expect([0, 1, 2, 3].map((a) => backoffCeilingMs(a))).toEqual([500, 1000, 2000, 4000]);
    expect(backoffCeilingMs(30)).toBe(30_000);
    expect(backoffDelayMs(3, () => 0.25)).toBe(1000);
    expect(backoffDelayMs(3, () => 0)).toBe(0);
  });

  it('waits longer after each failed attempt, jittered, and stops after an intentional close', async () => {
    vi.useFakeTimers({ now: 0 });
    const randoms = [0.9, 0.9, 0.9, 0.3];
    const client = makeClient({ random: () => randoms.shift() ?? 0.5, now: () => Date.now() });
    client.start();
    const delays: number[] = [];
    for (let attempt = 0; attempt < 4; attempt += 1) {
      FakeWebSocket.last.drop();
      const state = client.getState();
      expect(state.status).toBe('reconnecting');
      if (state.status === 'reconnecting') delays.push(state.retryAt - Date.now());
      await vi.advanceTimersByTimeAsync(60_000);
    }
    // ceilings 500, 1000, 2000, 4000 times the drawn jitter
    expect(delays).toEqual([450, 900, 1800, 1200]);
    expect(FakeWebSocket.instances).toHaveLength(5);

    client.close();
    expect(FakeWebSocket.last.closedWith).toBe(1000);
    await vi.advanceTimersByTimeAsync(600_000);
    expect(FakeWebSocket.instances).toHaveLength(5);
    expect(client.getState().status).toBe('offline');
  });

  it('resets the backoff once the server says connected', async () => {
    vi.useFakeTimers({ now: 0 });
    const client = makeClient({ random: () => 0.99, now: () => Date.now() });
    client.start();
    FakeWebSocket.last.drop();
    await vi.advanceTimersByTimeAsync(60_000);
    FakeWebSocket.last.drop();
    await vi.advanceTimersByTimeAsync(60_000);
    FakeWebSocket.last.open();
    FakeWebSocket.last.drop();
    const state = client.getState();
    expect(state.status === 'reconnecting' && state.retryAt - Date.now()).toBe(495);
    client.close();
  });

  it('pings periodically and drops a socket that has gone silent', async () => {
    vi.useFakeTimers({ now: 0 });
    const client = makeClient({ random: () => 0, now: () => Date.now(), pingIntervalMs: 10_000, staleAfterMs: 25_000 });
    const socket = await connected(client);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(socket.sent.filter((m) => m.op === 'ping')).toHaveLength(1);
    socket.receive(envelope(null, 'pong', 'system'));
    await vi.advanceTimersByTimeAsync(30_000);
    expect(socket.closedWith).toBe(4000);
    await vi.advanceTimersByTimeAsync(1);
    expect(FakeWebSocket.instances).toHaveLength(2);
    client.close();
  });

  it('records server error messages and keeps the connection', async () => {
    const client = makeClient();
    const socket = await connected(client);
    socket.receive(envelope(null, 'error', 'system', { code: 'bad_topic', message: 'unknown topic "x"' }));
    expect(client.lastServerError).toEqual({ code: 'bad_topic', message: 'unknown topic "x"' });
    expect(client.getState().status).toBe('connected');
  });
});
