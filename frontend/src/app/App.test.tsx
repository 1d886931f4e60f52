import { fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeWebSocket, flushMicrotasks, makeClient } from '../test/fakeSocket';
import { renderWithProviders, stubFetch } from '../test/render';
import { App } from './App';

vi.mock('uplot', () => ({ default: class { setData() {} setSize() {} destroy() {} } }));

const receiver = { id: 'r1', name: 'rx-north', kind: 'simulated', lat: 45.45, lon: 7.5, alt_m: 300, capabilities: ['rss', 'tdoa'], timing: 'gnss', enabled: true };
const routes = {
  'GET /receivers': { body: { items: [receiver], total: 1 } },
  'GET /networks': { body: { items: [{ id: 'n1', name: 'G7 demo', receiver_ids: ['r1'] }], total: 1 } },
  'GET /jobs': { body: { items: [{ id: 'j1', kind: 'train', name: 'first run', status: 'running', progress: { percent: 40, phase: 'train' } }], total: 1 } },
  'GET /datasets': { status: 404, body: { error: { code: 'not_found', message: 'no route /api/v1/datasets' } } },
  'GET /models': { status: 501, body: { error: { code: 'not_implemented', message: 'model registry not built yet' } } },
  'GET /localizations': { body: { items: [], total: 0 } },
};

beforeEach(() => {
  FakeWebSocket.reset();
  vi.stubGlobal('fetch', stubFetch(routes).fetchMock);
});
afterEach(() => {
  vi.unstubAllGlobals();
  window.location.hash = '';
});

async function show(hash: string) {
  window.location.hash = hash;
  const events = makeClient();
  events.start();
  FakeWebSocket.last.open();
  const view = renderWithProviders(<App />, { events });
  await flushMicrotasks();
  return { ...view, events, socket: FakeWebSocket.last };
}

describe('App', () => {
  it('draws the map page with receivers on it', async () => {
    await show('#/map');
    expect(await screen.findByText('rx-north')).toBeTruthy();
    expect(screen.getByRole('img', { name: 'map' })).toBeTruthy();
  });

  it('lists receivers and subscribes to their topic over the one socket', async () => {
    const { socket } = await show('#/receivers');
    expect(await screen.findByRole('cell', { name: 'rx-north' })).toBeTruthy();
    await waitFor(() => expect(socket.subscribes().flatMap((m) => m.topics)).toContain('receivers'));
    expect(FakeWebSocket.instances).toHaveLength(1);
  });

  it('shows jobs with live controls and holds the running job topic', async () => {
    const { socket } = await show('#/training');
    expect(await screen.findByText('first run')).toBeTruthy();
    expect((screen.getByRole('button', { name: 'Pause' }) as HTMLButtonElement).disabled).toBe(false);
    await waitFor(() => expect(socket.subscribes().flatMap((m) => m.topics).sort()).toEqual(['job:j1', 'jobs']));
  });

  it('disables dataset generation with the reason when the server has no datasets API', async () => {
    await show('#/datasets');
    expect(await screen.findByText(/Not available on this server \(404: no route/)).toBeTruthy();
    expect((screen.getByRole('button', { name: 'Generate' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('says the model registry is not available rather than showing an empty one', async () => {
    await show('#/models');
    expect(await screen.findByText(/model registry not built yet/)).toBeTruthy();
    expect(screen.queryByRole('table')).toBeNull();
  });

  it('validates a pasted measurement set before sending it', async () => {
    await show('#/localize');
    const box = await screen.findByLabelText(/Measurement set/);
    fireEvent.change(box, { target: { value: '{"frequency_hz": 1}' } });
    fireEvent.click(screen.getByRole('button', { name: 'Locate' }));
    expect((await screen.findByText(/receivers: at least one receiver/)).id).toBe('field-measurement_set-error');
  });
});
