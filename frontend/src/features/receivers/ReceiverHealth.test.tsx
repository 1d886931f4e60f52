import { act, fireEvent, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { api } from '../../api/endpoints';
import type { Receiver } from '../../api/types';
import { applyEnvelope } from '../../events/cacheSync';
import { renderWithProviders, stubFetch } from '../../test/render';
import { AddFromUrlForm } from './AddFromUrlForm';
import { checkedAgo, healthView } from './health';
import ReceiversPage from './ReceiversPage';

afterEach(() => vi.unstubAllGlobals());

const HEALTHY = {
  ok: true, status: 'ok', reason: null, gnss: 'ok', gps_satellites: 8, gps_fixes_per_min: 6, users: 1, users_max: 4,
  free_slots: 3, can_take_user: true, tdoa_ready: true, tdoa_reason: 'GNSS fix from at least 4 satellites in the last minute, sample timestamps on',
  checked_at: '2026-01-01T00:00:00.000Z',
};

const kiwi = (health: Record<string, unknown> | null): Receiver => ({
  id: 'k1', name: 'DF0KL', kind: 'kiwisdr', url: 'http://kiwi.example:8073', lat: 53.66, lon: 7.28, alt_m: 12,
  capabilities: ['rss', 'tdoa'], timing: 'gnss', enabled: true, health,
} as Receiver);

describe('healthView', () => {
  it('reads a health record, and a missing one as unknown', () => {
    const view = healthView(HEALTHY);
    expect(view).toMatchObject({ status: 'ok', gnss: 'ok', users: '1/4', canTakeUser: 'yes', tdoaReady: true, checked: true });
    expect(view.gnssTitle).toBe('8 satellites, 6 fixes/min');
    expect(view.passwordRequired).toBe(false);
    expect(healthView({ ...HEALTHY, password_required: true }).passwordRequired).toBe(true);
    const none = healthView(null);
    expect(none).toMatchObject({ checked: false, gnss: 'unknown', users: '?', canTakeUser: 'unknown', tdoaReady: null });
    expect(healthView({ gnss: 'great', users_max: 'x', can_take_user: 'yes' })).toMatchObject({ gnss: 'unknown', users: '?', canTakeUser: 'unknown' });
  });

  it('says the last free slot is not ours', () => {
    const view = healthView({ ...HEALTHY, users: 3, free_slots: 1, can_take_user: false });
    expect(view.canTakeUser).toBe('no');
    expect(view.canTakeUserTitle).toMatch(/last free slot/);
  });

  it('ages the last check', () => {
    const now = Date.parse('2026-01-01T00:05:00Z');
    expect(checkedAgo('2026-01-01T00:00:00.000Z', now)).toBe('5 min ago');
    expect(checkedAgo(null, now)).toBe('never');
  });
});

describe('receivers page health', () => {
  it('shows health, follows receiver.updated live, and checks on demand', async () => {
    const page = { items: [kiwi(HEALTHY)], total: 1 };
    const { fetchMock, calls } = stubFetch({
      'GET /receivers': { body: page },
      'GET /networks': { body: { items: [], total: 0 } },
      'POST /receivers/k1/health/check': { body: kiwi({ ...HEALTHY, checked_at: '2026-01-01T00:10:00.000Z' }) },
    });
    vi.stubGlobal('fetch', fetchMock);
    const { cache } = renderWithProviders(<ReceiversPage />);
    const cell = await screen.findByLabelText('health of DF0KL');
    expect(within(cell).getByText('GNSS ok')).toBeTruthy();
    expect(within(cell).getByText('users 1/4')).toBeTruthy();
    expect(within(cell).getByText('one more user: yes')).toBeTruthy();
    expect(within(cell).getByText('TDoA: ready')).toBeTruthy();

    const weak = { ...HEALTHY, status: 'degraded', gnss: 'weak', gps_satellites: 2, tdoa_ready: false,
      tdoa_reason: 'only 2 satellites in the GNSS solution (TDoA needs 4)', reason: 'only 2 satellites in the GNSS solution (TDoA needs 4)' };
    act(() => {
      applyEnvelope({ id: 7, event: 'receiver.updated', topic: 'receivers', timestamp: '2026-01-01T00:05:00Z', data: kiwi(weak) as unknown as Record<string, unknown> }, cache);
    });
    const updated = await screen.findByLabelText('health of DF0KL');
    expect(within(updated).getByText('GNSS weak').className).toContain('gnss-weak');
    expect(within(updated).getByText('TDoA: not ready')).toBeTruthy();
    expect(within(updated).getByText(/only 2 satellites/)).toBeTruthy();

    fireEvent.click(within(updated).getByRole('button', { name: 'Check now' }));
    await vi.waitFor(() => expect(calls.some((c) => c.method === 'POST' && c.path === '/receivers/k1/health/check')).toBe(true));
  });

  it('says when a receiver kind has no status page', async () => {
    const sim = { ...kiwi(null), id: 's1', name: 'sim', kind: 'simulated', url: null } as Receiver;
    vi.stubGlobal('fetch', stubFetch({ 'GET /receivers': { body: { items: [sim], total: 1 } }, 'GET /networks': { body: { items: [], total: 0 } } }).fetchMock);
    renderWithProviders(<ReceiversPage />);
    expect((await screen.findByTitle(/only KiwiSDR and OpenWebRX/)).textContent).toBe('—');
  });
});

describe('AddFromUrlForm', () => {
  it('sends the URL and kind alone and shows the 422 reason under the URL', async () => {
    const reason = 'http://10.0.0.9:8073 does not answer as a kiwisdr receiver: http://10.0.0.9:8073/status is not a KiwiSDR status page';
    const { fetchMock, calls } = stubFetch({
      'POST /receivers': { status: 422, body: { error: { code: 'invalid_input', message: reason, details: { field: 'url', reason: 'not_this_kind' } } } },
    });
    vi.stubGlobal('fetch', fetchMock);
    const done = vi.fn();
    renderWithProviders(<AddFromUrlForm onSubmit={api.createReceiverFromUrl} onDone={done} />);
    fireEvent.change(screen.getByLabelText('Receiver URL'), { target: { value: ' http://10.0.0.9:8073 ' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add from URL' }));
    expect((await screen.findByText(reason)).id).toBe('field-source-url-error');
    expect(calls[0].body).toEqual({ kind: 'kiwisdr', url: 'http://10.0.0.9:8073' });
    expect(done).not.toHaveBeenCalled();
  });

  it('checks the address first, then adds and clears', async () => {
    const { fetchMock, calls } = stubFetch({ 'POST /receivers': { status: 201, body: kiwi(HEALTHY) } });
    vi.stubGlobal('fetch', fetchMock);
    const done = vi.fn();
    renderWithProviders(<AddFromUrlForm onSubmit={api.createReceiverFromUrl} onDone={done} />);
    fireEvent.click(screen.getByRole('button', { name: 'Add from URL' }));
    expect(await screen.findByText(/Give the receiver's address/)).toBeTruthy();
    expect(calls).toHaveLength(0);
    fireEvent.change(screen.getByLabelText('Receiver URL'), { target: { value: 'http://owrx.example:8073/' } });
    fireEvent.change(screen.getByLabelText('Receiver kind'), { target: { value: 'openwebrx' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add from URL' }));
    await vi.waitFor(() => expect(done).toHaveBeenCalled());
    expect(calls[0].body).toEqual({ kind: 'openwebrx', url: 'http://owrx.example:8073/' });
    expect((screen.getByLabelText('Receiver URL') as HTMLInputElement).value).toBe('');
  });
});
