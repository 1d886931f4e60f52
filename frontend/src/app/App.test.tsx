import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeWebSocket, flushMicrotasks, makeClient } from '../test/fakeSocket';
import { renderWithProviders, stubFetch } from '../test/render';
import { App } from './App';

vi.mock('uplot', () => ({ default: class { setData() {} setSize() {} destroy() {} } }));
// jsdom has no WebGL: the map's engine never arrives, the pages still work around it (e2e tests draw it).
vi.mock('../components/map/engine', () => ({ loadEngine: () => new Promise(() => undefined) }));

const receiver = { id: 'r1', name: 'rx-north', kind: 'simulated', lat: 45.45, lon: 7.5, alt_m: 300, capabilities: ['rss', 'tdoa'], timing: 'gnss', enabled: true };
const routes = {
  'GET /receivers': { body: { items: [receiver], total: 1 } },
  'GET /networks': { body: { items: [{ id: 'n1', name: 'G7 demo', receiver_ids: ['r1'] }], total: 1 } },
  'GET /jobs': { body: { items: [{ id: 'j1', kind: 'train', name: 'first run', status: 'running', progress: { percent: 40, phase: 'train' } }], total: 1 } },
  'GET /datasets': { status: 404, body: { error: { code: 'not_found', message: 'no route /api/v1/datasets' } } },
  'GET /models': { status: 501, body: { error: { code: 'not_implemented', message: 'model registry not built yet' } } },
  'GET /localizations': { body: { items: [], total: 0 } },
  'GET /monitors': { status: 404, body: { error: { code: 'not_found', message: 'no route /api/v1/monitors' } } },
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
  it('draws the map page with its network and the map loading', async () => {
    await show('#/map');
    // the page is a lazy chunk: the first import in a test run takes a while
    expect(await screen.findByText('1 receivers · 0 recent fixes', {}, { timeout: 10_000 })).toBeTruthy();
    expect(screen.getByRole('group', { name: 'Map of receivers and recent fixes and its tools' })).toBeTruthy();
    expect(screen.getByText('Loading the map…')).toBeTruthy();
    expect(screen.getByRole('heading', { level: 1, name: 'Map' })).toBeTruthy();
  });

  it('switches to the dark theme and remembers it', async () => {
    await show('#/map');
    const toggle = screen.getByRole('button', { name: 'Dark theme' });
    fireEvent.click(toggle);
    expect(document.documentElement.dataset.theme).toBe('dark');
    expect(toggle.getAttribute('aria-pressed')).toBe('true');
    expect(window.localStorage.getItem('heimdall.theme')).toBe('dark');
    fireEvent.click(toggle);
    expect(document.documentElement.dataset.theme).toBe('light');
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
    fireEvent.click(await screen.findByRole('tab', { name: 'Advanced (JSON)' }, { timeout: 10_000 }));
    const box = await screen.findByLabelText('Measurement set (JSON)');
    fireEvent.change(box, { target: { value: '{"frequency_hz": 1}' } });
    fireEvent.click(within(screen.getByRole('form', { name: 'Measurement set' })).getByRole('button', { name: 'Locate' }));
    expect((await screen.findByText(/receivers: at least one receiver/)).id).toBe('field-measurement_set-error');
  });

  it('has a Capture page that says so when the server has no captures API yet', async () => {
    const { socket } = await show('#/capture');
    expect(await screen.findByRole('heading', { level: 1, name: 'Capture' }, { timeout: 10_000 })).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Capture' }).getAttribute('aria-current')).toBe('page');
    expect(await screen.findByText(/Not available on this server \(404: no route \/captures\)/, {}, { timeout: 10_000 })).toBeTruthy();
    await waitFor(() => expect(socket.subscribes().flatMap((m) => m.topics)).toContain('captures'));
    expect(FakeWebSocket.instances).toHaveLength(1);
  });

  it('opens the Monitor page from the navigation and says when the server has no monitors', async () => {
    await show('#/monitor');
    expect(await screen.findByRole('heading', { level: 1, name: 'Monitor' }, { timeout: 10_000 })).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Monitor' }).getAttribute('aria-current')).toBe('page');
    expect((await screen.findByRole('note')).textContent).toBe('Monitors — Not available on this server (404: no route /api/v1/monitors)');
  });
});
