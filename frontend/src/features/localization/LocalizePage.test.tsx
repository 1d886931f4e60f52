import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Network, Receiver } from '../../api/types';
import { renderWithProviders, stubFetch } from '../../test/render';
import LocalizePage from './LocalizePage';

// The map needs WebGL, which jsdom lacks: its engine never arrives here (the e2e tests draw it for real).
vi.mock('../../components/map/engine', () => ({ loadEngine: () => new Promise(() => undefined) }));
afterEach(() => vi.unstubAllGlobals());

const receivers: Receiver[] = ['rx0', 'rx1', 'rx2'].map((name, i) => ({
  id: `u${i}`, name, kind: 'simulated', lat: 45 + i * 0.2, lon: 7.5 + i * 0.1, alt_m: 300, capabilities: ['aoa', 'rss'],
  timing: 'gnss', enabled: true,
}));
const network: Network = { id: 'n1', name: 'demo', receiver_ids: ['u0', 'u1', 'u2'] };
const base = {
  'GET /networks': { body: { items: [network], total: 1 } },
  'GET /receivers': { body: { items: receivers, total: 3 } },
  'GET /localizations': { body: { items: [], total: 0 } },
};

const setBearing = (name: string, value: string) => {
  fireEvent.change(screen.getByLabelText(`${name}: what it measured`), { target: { value: 'aoa' } });
  fireEvent.change(screen.getByLabelText(`${name}: bearing (clockwise from true north) (°)`), { target: { value } });
};

describe('LocalizePage', () => {
  it('sends the form in SI units for the chosen network and shows the server\'s error beside its field', async () => {
    const { fetchMock, calls } = stubFetch({ ...base,
      'POST /localize': { status: 422, body: { error: { code: 'invalid_input', message: 'sigma must be positive', details: { field: 'aoa[1].sigma_deg' } } } },
    });
    vi.stubGlobal('fetch', fetchMock);
    renderWithProviders(<LocalizePage />);
    await screen.findByLabelText('rx0: what it measured');
    setBearing('rx0', '30');
    setBearing('rx2', '150.5');
    fireEvent.click(within(screen.getByRole('form', { name: 'Measurements' })).getByRole('button', { name: 'Locate' }));
    const message = await screen.findByText('sigma must be positive');
    expect(message.id).toBe('row-u2-sigma-error');
    expect(screen.getByLabelText('rx2: uncertainty, 1 sigma (°)').getAttribute('aria-invalid')).toBe('true');
    const sent = calls.find((c) => c.method === 'POST');
    expect(sent?.body).toEqual({ frequency_hz: 145.5e6, method: 'auto',
      receivers: [{ id: 'rx0', lat: 45, lon: 7.5, alt_m: 300 }, { id: 'rx2', lat: 45.4, lon: 7.7, alt_m: 300 }],
      aoa: [{ receiver: 'rx0', bearing_deg: 30, sigma_deg: 3 }, { receiver: 'rx2', bearing_deg: 150.5, sigma_deg: 3 }] });
  });

  it('refuses to send a bearing of 400°', async () => {
    const { fetchMock, calls } = stubFetch(base);
    vi.stubGlobal('fetch', fetchMock);
    renderWithProviders(<LocalizePage />);
    await screen.findByLabelText('rx0: what it measured');
    setBearing('rx1', '400');
    fireEvent.click(within(screen.getByRole('form', { name: 'Measurements' })).getByRole('button', { name: 'Locate' }));
    expect((await screen.findByText('A bearing from 0 to 360°.')).id).toBe('row-u1-value-error');
    expect(calls.some((c) => c.method === 'POST')).toBe(false);
  });

  it('uploads dropped recordings with a dropped receivers file, and shows an upload error beside the drop zone', async () => {
    const sent: FormData[] = [];
    const json = stubFetch(base).fetchMock;
    vi.stubGlobal('fetch', async (input: RequestInfo | URL, init?: RequestInit) => {
      if (init?.body instanceof FormData) {
        sent.push(init.body);
        return new Response(JSON.stringify({ error: { code: 'invalid_input', message: 'receiver DF0KL has no position', details: { field: 'recordings' } } }), { status: 422 });
      }
      return json(input, init);
    });
    renderWithProviders(<LocalizePage />);
    fireEvent.click(screen.getByRole('tab', { name: 'Recordings' }));
    const files = [new File(['a'], 'a_iq.wav'), new File(['b'], 'b_iq.wav'), new File(['{"receivers": []}'], 'receivers.json')];
    fireEvent.drop(screen.getByTestId('dropzone'), { dataTransfer: { files } });
    await screen.findByText('b_iq.wav');
    expect(screen.getByText(/Receiver positions: receivers.json/)).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Locate from recordings' }));
    expect((await screen.findByText('receiver DF0KL has no position')).id).toBe('field-recordings-error');
    await waitFor(() => expect(sent).toHaveLength(1));
    expect(sent[0].getAll('recordings').map((f) => (f as File).name)).toEqual(['a_iq.wav', 'b_iq.wav']);
    expect(sent[0].get('receivers')).toBe('{"receivers": []}');
  });

  it('keeps the JSON editor as an advanced tab, reachable with the arrow keys', async () => {
    vi.stubGlobal('fetch', stubFetch(base).fetchMock);
    renderWithProviders(<LocalizePage />);
    const first = screen.getByRole('tab', { name: 'Measurements' });
    first.focus();
    fireEvent.keyDown(first, { key: 'ArrowLeft' });
    expect(screen.getByRole('tab', { name: 'Advanced (JSON)' }).getAttribute('aria-selected')).toBe('true');
    expect(document.activeElement).toBe(screen.getByRole('tab', { name: 'Advanced (JSON)' }));
    expect(screen.getByLabelText('Measurement set (JSON)')).toBeTruthy();
  });
});
