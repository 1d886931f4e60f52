import { fireEvent, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { api } from '../../api/endpoints';
import { renderWithProviders, stubFetch } from '../../test/render';
import { NetworkForm } from './NetworkForm';
import { ReceiverForm } from './ReceiverForm';

afterEach(() => vi.unstubAllGlobals());

const type = (label: string | RegExp, value: string) => fireEvent.change(screen.getByLabelText(label), { target: { value } });

function fillValidReceiver() {
  type('Name', 'Turin Kiwi');
  type('Latitude (°)', '45.07');
  type('Longitude (°)', '7.68');
  type('Altitude (m)', '240');
}

describe('ReceiverForm', () => {
  it('validates before sending and names each bad field', async () => {
    const send = vi.fn(async () => undefined);
    renderWithProviders(<ReceiverForm onSubmit={send} />);
    type('Latitude (°)', '91');
    type('Longitude (°)', 'east');
    fireEvent.click(screen.getByRole('checkbox', { name: 'rss' })); // no capability left
    fireEvent.click(screen.getByRole('button', { name: 'Add receiver' }));
    expect(await screen.findByText('A name is required.')).toBeTruthy();
    expect(screen.getByText('Latitude must be a number from -90 to 90.').id).toBe('field-lat-error');
    expect(screen.getByText('Longitude must be a number from -180 to 180.').id).toBe('field-lon-error');
    expect(screen.getByText('Pick at least one capability.')).toBeTruthy();
    expect(screen.getByLabelText('Latitude (°)').getAttribute('aria-invalid')).toBe('true');
    expect(send).not.toHaveBeenCalled();
  });

  it('shows the server error next to the field it names', async () => {
    const { fetchMock, calls } = stubFetch({
      'POST /receivers': { status: 409, body: { error: { code: 'conflict', message: 'a receiver named "Turin Kiwi" exists', details: { field: 'name' } } } },
    });
    vi.stubGlobal('fetch', fetchMock);
    renderWithProviders(<ReceiverForm onSubmit={api.createReceiver} />);
    fillValidReceiver();
    fireEvent.click(screen.getByRole('button', { name: 'Add receiver' }));
    const message = await screen.findByText('a receiver named "Turin Kiwi" exists');
    expect(message.id).toBe('field-name-error');
    expect(calls[0].body).toMatchObject({ name: 'Turin Kiwi', lat: 45.07, lon: 7.68, alt_m: 240, capabilities: ['rss'], kind: 'kiwisdr' });
  });

  it('maps validation lists with FastAPI locations, and shows unnamed errors on the form', async () => {
    const { fetchMock } = stubFetch({
      'POST /receivers': {
        status: 422,
        body: { error: { code: 'invalid_input', message: 'invalid', details: { errors: [{ loc: ['body', 'alt_m'], msg: 'must be finite' }] } } },
      },
    });
    vi.stubGlobal('fetch', fetchMock);
    renderWithProviders(<ReceiverForm onSubmit={api.createReceiver} />);
    fillValidReceiver();
    fireEvent.click(screen.getByRole('button', { name: 'Add receiver' }));
    expect((await screen.findByText('must be finite')).id).toBe('field-alt_m-error');

    vi.stubGlobal('fetch', stubFetch({ 'POST /receivers': { status: 503, body: { error: { code: 'storage_error', message: 'database is busy' } } } }).fetchMock);
    fireEvent.click(screen.getByRole('button', { name: 'Add receiver' }));
    expect((await screen.findByText('database is busy')).className).toBe('form-error');
  });

  it('disables the form with the reason when the server has no such endpoint', async () => {
    vi.stubGlobal('fetch', stubFetch({}).fetchMock);
    renderWithProviders(<ReceiverForm onSubmit={api.createReceiver} />);
    fillValidReceiver();
    const button = screen.getByRole('button', { name: 'Add receiver' }) as HTMLButtonElement;
    fireEvent.click(button);
    // the button is also disabled while the request is in flight: wait for the reason, then check it
    expect(await screen.findByText(/Not available on this server \(404/)).toBeTruthy();
    expect(button.disabled).toBe(true);
  });
});

describe('NetworkForm', () => {
  it('requires a name and a receiver, then shows the server field error', async () => {
    const receivers = [{ id: 'r1', name: 'rx one', kind: 'sdr' as const, lat: 45, lon: 7, alt_m: 0, capabilities: ['rss' as const], timing: 'none' as const, enabled: true }];
    vi.stubGlobal('fetch', stubFetch({
      'POST /networks': { status: 422, body: { error: { code: 'invalid_input', message: 'unknown receiver id', details: { field: 'receiver_ids' } } } },
    }).fetchMock);
    renderWithProviders(<NetworkForm receivers={receivers} onSubmit={api.createNetwork} />);
    fireEvent.click(screen.getByRole('button', { name: 'Add network' }));
    expect(await screen.findByText('Pick at least one receiver.')).toBeTruthy();
    expect(screen.getByText('A name is required.')).toBeTruthy();
    type('Network name', 'North');
    fireEvent.click(screen.getByRole('checkbox', { name: 'rx one' }));
    fireEvent.click(screen.getByRole('button', { name: 'Add network' }));
    expect(await screen.findByText('unknown receiver id')).toBeTruthy();
  });
});
