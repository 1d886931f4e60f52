import axe from 'axe-core';
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Capture } from '../../api/captureTypes';
import type { Network, Receiver } from '../../api/types';
import { connectCache } from '../../events/cacheSync';
import { envelope, FakeWebSocket, flushMicrotasks, makeClient } from '../../test/fakeSocket';
import { renderWithProviders, stubFetch, testQueryClient } from '../../test/render';
import CapturePage from './CapturePage';

// The map needs WebGL, which jsdom lacks: its engine never arrives here (the e2e tests draw it for real).
vi.mock('../../components/map/engine', () => ({ loadEngine: () => new Promise(() => undefined) }));
beforeEach(() => FakeWebSocket.reset());
afterEach(() => vi.unstubAllGlobals());

const kiwi = (id: string, name: string, health: Record<string, unknown> | null): Receiver => ({
  id, name, kind: 'kiwisdr', lat: 50 + Number(id.slice(1)) * 0.5, lon: 8 + Number(id.slice(1)), alt_m: 100,
  capabilities: ['tdoa'], timing: 'gnss', enabled: true, health,
});
const receivers: Receiver[] = [
  kiwi('k1', 'kiwi-north', { reachable: true, offline: false, gnss_ok_for_tdoa: true, gps_good: 6, fixes: 900, users: 1, users_max: 4, free_slots: 3 }),
  kiwi('k2', 'kiwi-east', { reachable: true, offline: false, gnss_ok_for_tdoa: false, gps_good: 2, users: 4, users_max: 4, free_slots: 0 }),
  kiwi('k3', 'kiwi-west', null),
  { ...kiwi('k4', 'sim-1', null), kind: 'simulated' },
];
const network: Network = { id: 'n1', name: 'dcf77 trio', receiver_ids: ['k1', 'k2', 'k3'] };
const rx = (id: string, name: string, state: Capture['receivers'][number]['state'], extra: Partial<Capture['receivers'][number]> = {}) => ({
  receiver_id: id, name, state, reason: null, gnss_ok: false, seconds_recorded: 0, snr_db: null, has_recording: false, ...extra,
});
const running: Capture = {
  id: 'c1', created_at: '2026-12-03T18:00:00Z', network_id: null, receiver_ids: ['k1', 'k2', 'k3'], frequency_hz: 77_500,
  passband_hz: 10_000, duration_s: 10, start_at: null, job_id: 'j1', status: 'queued',
  receivers: [rx('k1', 'kiwi-north', 'pending'), rx('k2', 'kiwi-east', 'pending'), rx('k3', 'kiwi-west', 'pending')],
  used_receiver_ids: [], excluded: [], localization_id: null, localization: null, error: null,
};
const job = { id: 'j1', kind: 'capture', status: 'running', progress: { phase: 'connecting', receivers: {} } };
const notMerged = { status: 404, body: { error: { code: 'not_found', message: 'no route /api/v1/captures' } } };
const base = {
  'GET /receivers': { body: { items: receivers, total: 4 } },
  'GET /networks': { body: { items: [network], total: 1 } },
  'GET /captures': { body: { items: [], total: 0 } },
};

/** axe-core's serious or critical violations (contrast needs a real renderer: the e2e tests check it). */
async function accessibilityProblems(): Promise<string[]> {
  const result = await axe.run(document.body, { rules: { 'color-contrast': { enabled: false } } });
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.html).join(' | ')}`);
}

const done: Capture = { ...running, status: 'completed',
  receivers: [rx('k1', 'kiwi-north', 'done', { gnss_ok: true, seconds_recorded: 10, snr_db: 20, has_recording: true }),
    rx('k2', 'kiwi-east', 'failed', { reason: 'too_busy: all 4 slots taken' }),
    rx('k3', 'kiwi-west', 'excluded', { gnss_ok: true, seconds_recorded: 10, has_recording: true })],
  used_receiver_ids: ['k1'], excluded: [{ receiver_id: 'k3', reason: 'stale GNSS timestamps (last fix 42 s old)' }],
  localization_id: 'L1',
  localization: { id: 'L1', lat: 50.0153, lon: 9.0108, alt_m: null, method: 'classical', covariance_enu_m2: [[1, 0], [0, 1]],
    ellipses: [{ confidence: 0.68, semi_major_m: 3000, semi_minor_m: 1500, orientation_deg: 30 }], used: { rss: 0, tdoa: 2, toa: 0, aoa: 0 },
    outliers: [], gdop: 2.1, elapsed_ms: 40, request: { frequency_hz: 77_500, receivers: [] } },
};

function tick(name: string) {
  fireEvent.click(screen.getByRole('checkbox', { name: `Use ${name}` }));
}
function setFrequency(text: string) {
  fireEvent.change(screen.getByLabelText('Frequency (Hz, or with k / M)'), { target: { value: text } });
}

describe('CapturePage', () => {
  it('lists the KiwiSDRs with their health and validates the form before sending', async () => {
    const { fetchMock, calls } = stubFetch(base);
    vi.stubGlobal('fetch', fetchMock);
    renderWithProviders(<CapturePage />);
    const north = (await screen.findByRole('rowheader', { name: 'kiwi-north' })).closest('tr')!;
    expect(within(north).getByText('good for TDoA, 6 satellites, 900 fixes')).toBeTruthy();
    expect(within(north).getByText('1 / 4')).toBeTruthy();
    const west = screen.getByRole('rowheader', { name: 'kiwi-west' }).closest('tr')!;
    expect(within(west).getAllByText('unknown')).toHaveLength(2);
    expect(screen.queryByRole('rowheader', { name: 'sim-1' })).toBeNull(); // not a KiwiSDR

    setFrequency('7.1M');
    expect(screen.getByText('= 7.1 MHz')).toBeTruthy();
    setFrequency('77.5 q');
    fireEvent.change(screen.getByLabelText('Duration (s)'), { target: { value: '0' } });
    fireEvent.click(screen.getByRole('button', { name: 'Start capture' }));
    expect((await screen.findByText(/Not a frequency/)).id).toBe('field-frequency_hz-error');
    expect(screen.getByLabelText('Frequency (Hz, or with k / M)').getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByText('A duration above 0 s.').id).toBe('field-duration_s-error');
    expect(screen.getByText(/Choose receivers/).id).toBe('field-receivers-error');
    expect(await accessibilityProblems()).toEqual([]);
    expect(calls.some((c) => c.method === 'POST')).toBe(false);
  });

  it('plans a capture: sends the receivers in hertz and shows the ranking, expected error and warnings', async () => {
    const { fetchMock, calls } = stubFetch({ ...base,
      'POST /captures/plan': { body: {
        receivers: [
          { receiver_id: 'k2', name: 'kiwi-east', score: 0.2, gnss_ok: false, free_slots: 0, reasons: ['no GNSS fix', 'no free slot'] },
          { receiver_id: 'k1', name: 'kiwi-north', score: 0.9, gnss_ok: true, free_slots: 2, reasons: [] },
        ],
        expected_error_m: 4200, warnings: ['fewer than 3 usable receivers'],
      } },
    });
    vi.stubGlobal('fetch', fetchMock);
    renderWithProviders(<CapturePage />);
    await screen.findByRole('checkbox', { name: 'Use kiwi-north' });
    tick('kiwi-north');
    tick('kiwi-east');
    setFrequency('77.5k');
    fireEvent.click(screen.getByRole('button', { name: 'Plan' }));
    const plan = await screen.findByRole('region', { name: 'Plan' });
    expect(within(plan).getByRole('heading', { name: 'Plan for 77.5 kHz' })).toBeTruthy();
    expect(calls.find((c) => c.path === '/captures/plan')?.body).toEqual({ receiver_ids: ['k1', 'k2'], frequency_hz: 77_500 });
    const rows = within(plan).getAllByRole('row').slice(1);
    expect(rows.map((r) => within(r).getByRole('rowheader').textContent)).toEqual(['kiwi-north', 'kiwi-east']);
    expect(within(rows[1]).getByText('no GNSS fix; no free slot')).toBeTruthy();
    expect(within(plan).getByText('4.20 km')).toBeTruthy();
    expect(within(within(plan).getByRole('note', { name: 'Warnings' })).getByText('fewer than 3 usable receivers')).toBeTruthy();
    expect(await accessibilityProblems()).toEqual([]);
  });

  it('starts a capture and shows each receiver live from job.progress over the one socket', async () => {
    const { fetchMock, calls } = stubFetch({ ...base,
      'POST /captures': { status: 202, body: { capture: running, job } },
      'GET /captures/c1': { body: running },
      'GET /jobs/j1': { body: job },
    });
    vi.stubGlobal('fetch', fetchMock);
    const cache = testQueryClient();
    const events = makeClient();
    connectCache(events, cache);
    events.start();
    const socket = FakeWebSocket.last;
    socket.open();
    renderWithProviders(<CapturePage />, { cache, events });
    await screen.findByRole('option', { name: 'network dcf77 trio' });
    fireEvent.change(screen.getByLabelText('Receivers from'), { target: { value: 'n1' } });
    expect(screen.getByRole('checkbox', { name: 'Use kiwi-east' })).toHaveProperty('checked', true); // the network's members
    setFrequency('77.5k');
    fireEvent.click(screen.getByRole('button', { name: 'Start capture' }));
    await waitFor(() => expect(calls.some((c) => c.method === 'POST')).toBe(true));
    const view = await screen.findByRole('region', { name: 'Capture in view' });
    expect(calls.find((c) => c.method === 'POST')?.body).toEqual({ network_id: 'n1', frequency_hz: 77_500, duration_s: 10, locate: true });
    await waitFor(() => expect(socket.subscribes().flatMap((m) => m.topics)).toContain('job:j1'));
    expect(FakeWebSocket.instances).toHaveLength(1);

    await act(async () => {
      socket.receive(envelope(31, 'job.progress', 'job:j1', { phase: 'recording', receivers: {
        k1: { state: 'recording', gnss_ok: true, seconds_recorded: 4, snr_db: 23.46 },
        k2: { state: 'failed', reason: 'too_busy: all 4 slots taken', gnss_ok: false, seconds_recorded: 0 },
        k3: { state: 'waiting_gnss', gnss_ok: false, seconds_recorded: 0 },
      } }));
      await flushMicrotasks();
    });
    const row = (name: string) => within(view).getByRole('rowheader', { name }).closest('tr')!;
    await waitFor(() => expect(within(row('kiwi-north')).getByText('recording')).toBeTruthy());
    expect(within(row('kiwi-north')).getByText('4 / 10 s')).toBeTruthy();
    expect(within(row('kiwi-north')).getByText('23.5 dB')).toBeTruthy();
    expect(within(row('kiwi-north')).getByText('ok')).toBeTruthy();
    expect(within(row('kiwi-east')).getByText('too_busy: all 4 slots taken')).toBeTruthy();
    expect(within(row('kiwi-west')).getByText('waiting for GNSS')).toBeTruthy();
    expect(within(view).getByText(/phase: recording/)).toBeTruthy();
  });

  it('shows the fix and which receivers were used, excluded and why', async () => {
    const { fetchMock, calls } = stubFetch({ ...base,
      'GET /captures': { body: { items: [done], total: 1 } },
      'GET /captures/c1': { body: done },
      'GET /jobs/j1': { body: { ...job, status: 'completed' } },
      'GET /localizations/L1/overlays': { body: { type: 'FeatureCollection', features: [] } },
    });
    vi.stubGlobal('fetch', fetchMock);
    renderWithProviders(<CapturePage />);
    const item = await screen.findByRole('listitem', { name: /^Capture / });
    fireEvent.click(within(item).getByRole('button', { name: 'Show' }));
    const view = await screen.findByRole('region', { name: 'Capture in view' });
    const fixTable = await within(view).findByRole('table', { name: 'Receivers in the fix' });
    const verdict = (name: string) => within(fixTable).getByRole('rowheader', { name }).closest('tr')!.textContent;
    expect(verdict('kiwi-north')).toBe('kiwi-northused');
    expect(verdict('kiwi-east')).toBe('kiwi-eastfailedtoo_busy: all 4 slots taken');
    expect(verdict('kiwi-west')).toBe('kiwi-westexcludedstale GNSS timestamps (last fix 42 s old)');
    expect(within(view).getByText(/50\.01530/)).toBeTruthy();
    expect(within(view).getByText(/3\.00 km × 1\.50 km/)).toBeTruthy();
    await waitFor(() => expect(calls.some((c) => c.path === '/localizations/L1/overlays')).toBe(true));
    expect(await accessibilityProblems()).toEqual([]);
  });

  it('says the captures API is missing instead of pretending, and shows a field error from the server', async () => {
    const { fetchMock } = stubFetch({ ...base,
      'GET /captures': notMerged,
      'POST /captures/plan': notMerged,
      'POST /captures': { status: 422, body: { error: { code: 'invalid_input', message: 'duration_s must be at most 60 s', details: { field: 'duration_s' } } } },
    });
    vi.stubGlobal('fetch', fetchMock);
    renderWithProviders(<CapturePage />);
    expect(await screen.findByText(/Not available on this server \(404: no route \/api\/v1\/captures\)/)).toBeTruthy();
    tick('kiwi-north');
    setFrequency('77.5k');
    fireEvent.change(screen.getByLabelText('Duration (s)'), { target: { value: '600' } });
    fireEvent.click(screen.getByRole('button', { name: 'Start capture' }));
    expect((await screen.findByText('duration_s must be at most 60 s')).id).toBe('field-duration_s-error');
    fireEvent.click(screen.getByRole('button', { name: 'Plan' }));
    await waitFor(() => expect(screen.getByRole('button', { name: 'Plan' }).getAttribute('title'))
      .toBe('Not available on this server (404: no route /api/v1/captures)'));
    expect(screen.getByRole('button', { name: 'Plan' })).toHaveProperty('disabled', true);
  });

  it('keeps past captures live, draws a receiver\'s waterfall, downloads the recordings and deletes', async () => {
    const drawn: unknown[] = [];
    vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockImplementation(() => ({
      createImageData: (w: number, h: number) => ({ width: w, height: h, data: new Uint8ClampedArray(w * h * 4) }),
      putImageData: (image: unknown) => drawn.push(image),
    }) as never);
    const saved: string[] = [];
    vi.stubGlobal('URL', class extends URL {
      static override createObjectURL = () => 'blob:zip';
      static override revokeObjectURL = () => undefined;
    });
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) { saved.push(this.download); });
    const old: Capture = { ...running, id: 'c0', status: 'completed', created_at: '2026-12-03T17:00:00Z',
      receivers: [rx('k1', 'kiwi-north', 'done', { has_recording: true }), rx('k2', 'kiwi-east', 'failed', { reason: 'down' }),
        rx('k3', 'kiwi-west', 'done', { has_recording: true })] };
    const { fetchMock, calls } = stubFetch({ ...base,
      'GET /captures': { body: { items: [old], total: 1 } },
      'GET /captures/c0/receivers/k3/spectrogram': { body: { time_s: [0, 0.1], frequency_hz: [-100, 0, 100], power_db: [[-50, -10, -60], [-55, -12, -58]] } },
      'GET /captures/c0/receivers/k1/spectrogram': { body: { time_s: [0], frequency_hz: [-100, 100], power_db: [[-50, -10]] } },
      'GET /captures/c0/recordings.zip': { body: 'zip' },
      'DELETE /captures/c0': { status: 204 },
    });
    vi.stubGlobal('fetch', fetchMock);
    const cache = testQueryClient();
    const events = makeClient();
    connectCache(events, cache);
    events.start();
    const socket = FakeWebSocket.last;
    socket.open();
    renderWithProviders(<CapturePage />, { cache, events });
    const list = await screen.findByRole('list', { name: 'Captures, newest first' });
    await waitFor(() => expect(socket.subscribes().flatMap((m) => m.topics)).toContain('captures'));
    await act(async () => {
      socket.receive(envelope(40, 'capture.updated', 'captures', running as unknown as Record<string, unknown>));
      await flushMicrotasks();
    });
    await waitFor(() => expect(within(list).getAllByRole('listitem')).toHaveLength(2));
    const [fresh, past] = within(list).getAllByRole('listitem');
    expect(fresh.dataset.capture).toBe('c1');
    expect(within(fresh).getByRole('button', { name: 'Delete' })).toHaveProperty('disabled', true);

    fireEvent.click(within(past).getByRole('button', { name: 'Waterfalls' }));
    await within(past).findByRole('img', { name: /IQ waterfall, receiver kiwi-north/ });
    expect(within(past).queryByRole('option', { name: 'kiwi-east' })).toBeNull(); // it failed: nothing recorded
    fireEvent.change(within(past).getByLabelText(/Receiver/), { target: { value: 'k3' } });
    await within(past).findByRole('img', { name: /IQ waterfall, receiver kiwi-west/ });
    expect(drawn.length).toBeGreaterThanOrEqual(2);

    fireEvent.click(within(past).getByRole('button', { name: 'Download SigMF' }));
    await waitFor(() => expect(saved).toEqual(['capture-c0.zip']));
    fireEvent.click(within(past).getByRole('button', { name: 'Delete' }));
    await waitFor(() => expect(calls.some((c) => c.method === 'DELETE' && c.path === '/captures/c0')).toBe(true));
  });

  it('fetches the stored localization when the capture only names it', async () => {
    const { localization, ...rest } = done;
    const { fetchMock, calls } = stubFetch({ ...base,
      'GET /captures': { body: { items: [{ ...rest, localization: null }], total: 1 } },
      'GET /captures/c1': { body: { ...rest, localization: null } },
      'GET /jobs/j1': { body: { ...job, status: 'completed' } },
      'GET /localizations/L1': { body: localization },
      'GET /localizations/L1/overlays': { status: 404, body: { error: { code: 'not_found', message: 'no overlays' } } },
    });
    vi.stubGlobal('fetch', fetchMock);
    renderWithProviders(<CapturePage />);
    fireEvent.click(within(await screen.findByRole('listitem', { name: /^Capture / })).getByRole('button', { name: 'Show' }));
    const view = await screen.findByRole('region', { name: 'Capture in view' });
    expect(await within(view).findByText(/50\.01530/)).toBeTruthy();
    expect(within(view).getByRole('table', { name: 'Receivers in the fix' })).toBeTruthy();
    expect(calls.some((c) => c.path === '/localizations/L1')).toBe(true);
  });
});
