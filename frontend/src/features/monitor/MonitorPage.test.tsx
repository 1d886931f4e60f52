import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Network, Receiver } from '../../api/types';
import { formatFrequency } from '../../components/format';
import { connectCache } from '../../events/cacheSync';
import { FakeWebSocket, flushMicrotasks, makeClient } from '../../test/fakeSocket';
import { renderWithProviders, stubFetch, testQueryClient } from '../../test/render';
import { iso, monitor, point, track, transmissions } from './fixtures';
import MonitorPage from './MonitorPage';
import { REPLAY_STEP_MS } from './Timeline';

// jsdom has no WebGL: the map's engine never arrives (the layers are tested on a stand-in map).
vi.mock('../../components/map/engine', () => ({ loadEngine: () => new Promise(() => undefined) }));

const receivers: Receiver[] = [['r1', 'Kiwi Torino'], ['r2', 'OWRX Asti'], ['k1', 'Kraken Nord']].map(([id, name], i) => ({
  id, name, kind: 'simulated', lat: 45 + i * 0.1, lon: 7.5, alt_m: 300, capabilities: ['rss'], timing: 'none', enabled: true,
}));
const network: Network = { id: 'n1', name: 'Piemonte', receiver_ids: ['r1', 'r2', 'k1'] };
const base = {
  'GET /networks': { body: { items: [network], total: 1 } },
  'GET /receivers': { body: { items: receivers, total: 3 } },
  'GET /monitors': { body: { items: [monitor], total: 1 } },
  'GET /monitors/m1': { body: monitor },
  'GET /monitors/m1/tracks': { body: { items: [track], total: 1 } },
  'GET /monitors/m1/transmissions': { body: { items: transmissions, total: 3 } },
};
const MHZ = formatFrequency(145.5e6);

beforeEach(() => FakeWebSocket.reset());
afterEach(() => vi.unstubAllGlobals());

function show(routes: Parameters<typeof stubFetch>[0], params: string[] = []) {
  const { fetchMock, calls } = stubFetch(routes);
  vi.stubGlobal('fetch', fetchMock);
  const cache = testQueryClient();
  const events = makeClient();
  connectCache(events, cache);
  events.start();
  FakeWebSocket.last.open();
  return { ...renderWithProviders(<MonitorPage params={params} />, { cache, events }), calls, socket: FakeWebSocket.last };
}

const startForm = () => screen.getByRole('form', { name: 'Start a watch' });

describe('MonitorPage: starting a watch', () => {
  it('checks the form before sending, then sends SI units and shows the server\'s error beside its field', async () => {
    const { calls } = show({ ...base, 'POST /monitors': { status: 422, body: { error: {
      code: 'invalid_input', message: 'threshold 3 dB would fire all the time on OWRX Asti', details: { field: 'channels[0].threshold_db' } } } } });
    await screen.findByRole('option', { name: 'Piemonte (3 receivers)' });
    fireEvent.click(within(startForm()).getByRole('button', { name: 'Start watching' }));
    expect(await screen.findByText('Choose the network to watch with.')).toBeTruthy();
    expect(screen.getByText('A frequency such as 145.5M or 7.1M (above 0, up to 30 GHz).').id).toBe('field-channels[0].frequency_hz-error');
    expect(calls.some((c) => c.method === 'POST')).toBe(false);

    fireEvent.change(screen.getByLabelText('Network'), { target: { value: 'n1' } });
    fireEvent.change(screen.getByLabelText('Channel 1 frequency (e.g. 145.5M, 7.1M)'), { target: { value: '145.5M' } });
    fireEvent.change(screen.getByLabelText('Channel 1 squelch (dB over the noise floor)'), { target: { value: '3' } });
    fireEvent.change(screen.getByLabelText('Minimum receivers per fix'), { target: { value: '4' } });
    fireEvent.click(within(startForm()).getByRole('button', { name: 'Start watching' }));
    expect(await screen.findByText('The network has only 3 receivers.')).toBeTruthy();

    fireEvent.change(screen.getByLabelText('Minimum receivers per fix'), { target: { value: '2' } });
    fireEvent.change(screen.getByLabelText(/Cursor-on-Target endpoint/), { target: { value: 'tcp://tak.local:8087' } });
    fireEvent.click(within(startForm()).getByRole('button', { name: 'Start watching' }));
    const message = await screen.findByText('threshold 3 dB would fire all the time on OWRX Asti');
    expect(message.id).toBe('field-channels[0].threshold_db-error');
    expect(calls.find((c) => c.method === 'POST')).toMatchObject({ path: '/monitors', body: {
      network_id: 'n1', channels: [{ frequency_hz: 145.5e6, threshold_db: 3 }], min_receivers: 2, cot: [{ url: 'tcp://tak.local:8087' }] } });
  });

  it('says so when the server has no monitors yet, and never pretends a watch started', async () => {
    const missing = { status: 404, body: { error: { code: 'not_found', message: 'no route /monitors' } } };
    show({ ...base, 'GET /monitors': missing, 'POST /monitors': missing });
    expect((await screen.findByRole('note')).textContent).toBe('Monitors — Not available on this server (404: no route /monitors)');
    await screen.findByRole('option', { name: 'Piemonte (3 receivers)' });
    fireEvent.change(screen.getByLabelText('Network'), { target: { value: 'n1' } });
    fireEvent.change(screen.getByLabelText('Channel 1 frequency (e.g. 145.5M, 7.1M)'), { target: { value: '7.1M' } });
    fireEvent.click(within(startForm()).getByRole('button', { name: 'Start watching' }));
    expect(await within(startForm()).findByText('Not available on this server (404: no route /monitors)')).toBeTruthy();
    expect((within(startForm()).getByRole('button', { name: 'Start watching' }) as HTMLButtonElement).disabled).toBe(true);
  });
});

describe('MonitorPage: a watch', () => {
  it('lists watches with their status; stop goes to the job, delete waits until it is stopped', async () => {
    const { calls } = show({ ...base, 'POST /jobs/j1/cancel': { body: { id: 'j1', kind: 'monitor', status: 'cancelling' } } });
    const row = (await screen.findByRole('link', { name: '2 m watch' })).closest('tr')!;
    expect(within(row).getByText('running')).toBeTruthy();
    expect(within(row).getByText('2 of 3 listening')).toBeTruthy();
    const remove = within(row).getByRole('button', { name: 'Delete 2 m watch' }) as HTMLButtonElement;
    expect(remove.disabled).toBe(true);
    expect(remove.title).toMatch(/Stop the watch first/);
    expect((within(row).getByRole('button', { name: 'Resume 2 m watch' }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(within(row).getByRole('button', { name: 'Stop 2 m watch' }));
    await waitFor(() => expect(calls.some((c) => c.method === 'POST' && c.path === '/jobs/j1/cancel')).toBe(true));
  });

  it('moves each receiver\'s level meter and detection lamp with the live monitor.level events', async () => {
    const { socket } = show(base, ['m1']);
    const levels = await screen.findByRole('table', { name: `Levels on ${MHZ}` });
    await flushMicrotasks();
    expect(socket.subscribes().flatMap((s) => s.topics)).toContain('monitor:m1');
    expect(within(levels).getAllByText('no reading yet')).toHaveLength(3);
    expect(within(levels).getByText('stale: no S-meter for 30 s')).toBeTruthy();
    const lamp = () => within(levels).getByRole('img', { name: new RegExp(`^Kiwi Torino on ${MHZ}: `) });
    expect(lamp().getAttribute('aria-label')).toMatch(/quiet$/);
    const level = (id: number, topic: string, level_db: number, detecting: boolean) => socket.receive({ id, event: 'monitor.level', topic,
      data: { monitor_id: 'm1', frequency_hz: 145.5e6, readings: [{ receiver_id: 'r1', level_db, floor_db: -112, detecting }] } });
    level(1, 'monitor:m1', -71.5, true);
    await waitFor(() => expect(lamp().getAttribute('aria-label')).toMatch(/detecting$/));
    const meter = within(levels).getByLabelText(`Level of Kiwi Torino on ${MHZ}`) as HTMLMeterElement;
    expect(meter.value).toBe(-71.5);
    expect(meter.high).toBe(-102);
    expect(lamp().className).toBe('lamp lamp-on');
    level(2, 'monitor:other', -50, false);
    level(3, 'monitor:m1', -110, false);
    await waitFor(() => expect(lamp().getAttribute('aria-label')).toMatch(/quiet$/));
    expect(meter.value).toBe(-110);
  });

  it('shows new transmissions live and replays a chosen one on the map', async () => {
    const { socket } = show(base, ['m1']);
    const timeline = await screen.findByRole('region', { name: 'Transmissions' });
    await within(timeline).findAllByRole('button', { pressed: false });
    socket.receive({ id: 5, event: 'monitor.transmission', topic: 'monitor:m1', data: {
      id: 'x4', monitor_id: 'm1', frequency_hz: 145.5e6, start: iso(90), end: null, receiver_ids: ['r1'], localization_id: null, track_id: null, reason: null } });
    const items = await waitFor(() => {
      const list = within(timeline).getAllByRole('listitem');
      expect(list).toHaveLength(4);
      return list;
    });
    expect(items[0].textContent).toMatch(/on air…/);
    expect((within(items[2]).getByRole('button') as HTMLButtonElement).disabled).toBe(true); // no fix: nothing to show
    expect(items[2].textContent).toMatch(/no fix: only 1 receiver heard it/);
    fireEvent.click(within(items[3]).getByRole('button'));
    expect(within(items[3]).getByRole('button').getAttribute('aria-pressed')).toBe('true');
    expect(screen.getByText(/^Replaying the transmission of/).getAttribute('role')).toBe('status');
    fireEvent.click(within(timeline).getByRole('button', { name: 'Back to live' }));
    expect(screen.queryByText(/^Replaying/)).toBeNull();
  });

  it('replays every fix, oldest first, one step at a time, then stops', async () => {
    show(base, ['m1']);
    const timeline = await screen.findByRole('region', { name: 'Transmissions' });
    await within(timeline).findAllByRole('listitem');
    const pressed = () => within(timeline).queryAllByRole('button', { pressed: true }).map((b) => b.closest('li')!.textContent);
    vi.useFakeTimers();
    try {
      fireEvent.click(within(timeline).getByRole('button', { name: 'Replay all fixes' }));
      expect(pressed()).toEqual([expect.stringMatching(/heard by Kiwi Torino, OWRX Asti, Kraken Nord/)]);
      act(() => { vi.advanceTimersByTime(REPLAY_STEP_MS); });
      expect(pressed()).toEqual([expect.stringMatching(/heard by Kiwi Torino, Kraken Nord/)]);
      act(() => { vi.advanceTimersByTime(REPLAY_STEP_MS); });
      expect(within(timeline).getByRole('button', { name: 'Replay all fixes' })).toBeTruthy();
    } finally {
      vi.useRealTimers();
    }
  });

  it('excludes a fix with a note and shows the recomputed track; the exports link to the server', async () => {
    const recomputed = { ...track, points: [track.points[0], track.points[1], point(70, 45.2, { excluded: true, note: 'reflection off the hill' })] };
    const { calls } = show({ ...base, 'POST /monitors/m1/exclusions': { body: recomputed } }, ['m1']);
    fireEvent.click(await screen.findByText('Fixes'));
    const exclude = (await screen.findAllByRole('button', { name: /^Exclude… the fix of/ }))[1]; // the fix of L70
    expect(screen.getByRole('link', { name: 'KML of track t1' }).getAttribute('href')).toBe('/api/v1/monitors/m1/tracks/t1.kml');
    expect(screen.getByText('excluded: multipath')).toBeTruthy();
    fireEvent.click(exclude);
    const form = screen.getByRole('form', { name: /^Exclude the fix of/ });
    fireEvent.click(within(form).getByRole('button', { name: 'Exclude and recompute' }));
    expect(await within(form).findByText('Say why: the note is kept with the exclusion.')).toBeTruthy();
    fireEvent.change(within(form).getByLabelText('Exclude'), { target: { value: 'k1' } });
    fireEvent.change(within(form).getByLabelText('Note (why)'), { target: { value: 'reflection off the hill' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Exclude and recompute' }));
    expect(await screen.findByText('excluded: reflection off the hill')).toBeTruthy();
    expect(calls.find((c) => c.method === 'POST')).toMatchObject({ path: '/monitors/m1/exclusions',
      body: { localization_id: 'L70', receiver_id: 'k1', note: 'reflection off the hill' } });
    expect(screen.queryByRole('form', { name: /^Exclude the fix of/ })).toBeNull();
  });

  it('shows the server\'s message when an exclusion is refused', async () => {
    show({ ...base, 'POST /monitors/m1/exclusions': { status: 409, body: { error: { code: 'conflict', message: 'this fix is excluded already' } } } }, ['m1']);
    fireEvent.click(await screen.findByText('Fixes'));
    fireEvent.click((await screen.findAllByRole('button', { name: /^Exclude… the fix of/ }))[0]);
    const form = screen.getByRole('form', { name: /^Exclude the fix of/ });
    fireEvent.change(within(form).getByLabelText('Note (why)'), { target: { value: 'double' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Exclude and recompute' }));
    expect(await within(form).findByText('this fix is excluded already')).toBeTruthy();
  });
});
