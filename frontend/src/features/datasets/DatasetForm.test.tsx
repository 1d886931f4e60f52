import { fireEvent, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { renderWithProviders, stubFetch } from '../../test/render';
import { datasetInput, DatasetForm, EMPTY_DATASET, validateDataset } from './DatasetForm';

afterEach(() => vi.unstubAllGlobals());

const networks = [{ id: 'n1', name: 'G7 demo', receiver_ids: ['a'] }];
const type = (label: string, value: string) => fireEvent.change(screen.getByLabelText(label), { target: { value } });

describe('DatasetForm', () => {
  it('checks every simulator option before sending', () => {
    const errors = validateDataset({ ...EMPTY_DATASET, num_samples: '2.5', seed: '-1', frequency_mhz: '0', signal_types: [] });
    expect(Object.keys(errors).sort()).toEqual(['frequency_hz', 'name', 'network_id', 'num_samples', 'seed', 'signal_types']);
  });

  it('sends the simulator options in SI units with probabilities summing to 1', () => {
    const body = datasetInput({ ...EMPTY_DATASET, name: ' x ', network_id: 'n1', frequency_mhz: '433.92', signal_types: ['cw', 'fsk4'] });
    expect(body).toEqual({
      name: 'x', network_id: 'n1', num_samples: 10000, seed: 0, frequency_hz: 433_920_000, realism: 'channel',
      signal_types: { cw: 0.5, fsk4: 0.5 },
    });
  });

  it('shows the server error beside the named field and does not send invalid input', async () => {
    const { fetchMock, calls } = stubFetch({
      'POST /datasets': { status: 422, body: { error: { code: 'invalid_input', message: 'frequency_hz is above the simulator range', details: { field: 'frequency_hz' } } } },
    });
    vi.stubGlobal('fetch', fetchMock);
    renderWithProviders(<DatasetForm networks={networks} />);
    fireEvent.click(screen.getByRole('button', { name: 'Generate' }));
    expect(await screen.findByText('A name is required.')).toBeTruthy();
    expect(calls).toHaveLength(0);
    type('Name', 'set A');
    type('Network', 'n1');
    fireEvent.click(screen.getByRole('button', { name: 'Generate' }));
    const message = await screen.findByText('frequency_hz is above the simulator range');
    expect(message.id).toBe('field-frequency_hz-error');
    expect(calls[0].body).toMatchObject({ name: 'set A', network_id: 'n1', num_samples: 10000 });
  });
});
