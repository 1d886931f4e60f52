import { act, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeWebSocket, makeClient } from '../test/fakeSocket';
import { renderWithProviders } from '../test/render';
import { ConnectionIndicator } from './ConnectionIndicator';

beforeEach(() => FakeWebSocket.reset());
afterEach(() => vi.useRealTimers());

describe('ConnectionIndicator', () => {
  it('shows connected, then a reconnect countdown, then offline', async () => {
    vi.useFakeTimers({ now: 0 });
    const events = makeClient({ random: () => 0.99, now: () => Date.now(), backoff: { baseMs: 4000, capMs: 60_000 } });
    renderWithProviders(<ConnectionIndicator />, { events });
    expect(screen.getByRole('status').textContent).toBe('Offline');
    act(() => {
      events.start();
      FakeWebSocket.last.open();
    });
    expect(screen.getByRole('status').textContent).toBe('Live');
    act(() => FakeWebSocket.last.drop());
    expect(screen.getByRole('status').textContent).toBe('Reconnecting in 4 s');
    await act(async () => vi.advanceTimersByTimeAsync(1500));
    expect(screen.getByRole('status').textContent).toBe('Reconnecting in 3 s');
    act(() => events.close());
    expect(screen.getByRole('status').textContent).toBe('Offline');
  });
});
