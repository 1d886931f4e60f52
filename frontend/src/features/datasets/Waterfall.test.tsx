import { fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DatasetSample } from '../../api/types';
import { renderWithProviders, stubFetch } from '../../test/render';
import { DatasetSamples } from './DatasetSamples';
import { NO_IQ_REASON, SampleWaterfall } from './SampleWaterfall';
import { colourAt, powerRange, Waterfall, waterfallPixels } from '../../components/Waterfall';

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

const SPECTROGRAM = {
  dataset_id: 'd1', sample_id: 3, receiver: 'rx-b', nfft: 4, hop: 2, sample_rate_hz: 50_000, start_time_s: 0.001,
  full_scale_dbm: -30, time_s: [0.00004, 0.00008],
  frequency_hz: [-25_000, -12_500, 0, 12_500],
  power_db: [[-80, -20, -80, -80], [-80, -20, -80, -140]],
};

/** jsdom has no canvas: a 2-D context that records what is drawn. */
function fakeCanvas() {
  const drawn: ImageData[] = [];
  const context = {
    createImageData: (w: number, h: number) => ({ width: w, height: h, data: new Uint8ClampedArray(w * h * 4) }),
    putImageData: (image: ImageData) => drawn.push(image),
  };
  vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockImplementation(() => context as never);
  return drawn;
}

function sample(id: number, withIq: boolean): DatasetSample {
  return {
    sample_id: id,
    truth: { lat: 45, lon: 7.5 },
    ...(withIq ? {
      iq: {
        sample_rate_hz: 50_000, samples_per_capture: 2048,
        captures: [{ receiver: 'rx-a', start_time_s: 0, power_dbfs: -20 }, { receiver: 'rx-b', start_time_s: 0.001, power_dbfs: -25 }],
      },
    } : {}),
  };
}

describe('colour map and pixels', () => {
  it('runs dark to bright and clamps outside [0, 1]', () => {
    const lightness = (t: number) => colourAt(t).reduce((a, b) => a + b, 0);
    expect(lightness(0)).toBeLessThan(lightness(0.5));
    expect(lightness(0.5)).toBeLessThan(lightness(1));
    expect(colourAt(-3)).toEqual(colourAt(0));
    expect(colourAt(7)).toEqual([253, 231, 37]);
    expect(colourAt(Number.NaN)).toEqual(colourAt(0));
  });

  it('maps each bin to one RGBA pixel, strongest brightest, below the range at the floor colour', () => {
    const { floorDb, ceilDb } = powerRange(SPECTROGRAM.power_db, 60);
    expect([floorDb, ceilDb]).toEqual([-80, -20]);
    const pixels = waterfallPixels(SPECTROGRAM.power_db, floorDb, ceilDb);
    expect(pixels).toHaveLength(2 * 4 * 4);
    expect([...pixels.slice(4, 8)]).toEqual([253, 231, 37, 255]); // frame 0, bin 1: the peak
    expect([...pixels.slice(0, 4)]).toEqual([68, 1, 84, 255]);
    expect([...pixels.slice(28, 32)]).toEqual([68, 1, 84, 255]); // -140 dB clamps to the floor
  });
});

describe('Waterfall', () => {
  it('draws the spectrogram on a canvas with its axes and scale', () => {
    const drawn = fakeCanvas();
    renderWithProviders(<Waterfall data={SPECTROGRAM} label="IQ waterfall, receiver rx-b" />);
    const canvas = screen.getByRole('img', { name: /IQ waterfall, receiver rx-b: 2 frames × 4 bins, -80 to -20 dB/ });
    expect(canvas).toHaveProperty('width', 4);
    expect(canvas).toHaveProperty('height', 2);
    expect(drawn).toHaveLength(1);
    expect([...drawn[0].data.slice(4, 8)]).toEqual([253, 231, 37, 255]);
    expect(screen.getByLabelText('frequency axis').textContent).toContain('-25.0 kHz');
    expect(screen.getByLabelText('frequency axis').textContent).toContain('12.5 kHz');
    expect(screen.getByLabelText('time axis').textContent).toContain('0.1 ms');
    expect(screen.getByText('-20 dB (re full scale)')).toBeTruthy();
  });
});

describe('SampleWaterfall', () => {
  it('fetches the chosen receiver capture and switches receivers', async () => {
    fakeCanvas();
    const { fetchMock, calls } = stubFetch({ 'GET /datasets/d1/samples/3/spectrogram': { body: SPECTROGRAM } });
    vi.stubGlobal('fetch', fetchMock);
    renderWithProviders(<SampleWaterfall datasetId="d1" sample={sample(3, true)} />);
    await screen.findByRole('img', { name: /receiver rx-a/ });
    fireEvent.change(screen.getByLabelText(/Receiver/), { target: { value: 'rx-b' } });
    await screen.findByRole('img', { name: /receiver rx-b/ });
    expect(calls.map((c) => c.path)).toEqual(['/datasets/d1/samples/3/spectrogram', '/datasets/d1/samples/3/spectrogram']);
  });

  it('says why there is no waterfall for a sample without IQ, and fetches nothing', () => {
    const { fetchMock, calls } = stubFetch({});
    vi.stubGlobal('fetch', fetchMock);
    renderWithProviders(<SampleWaterfall datasetId="d1" sample={sample(1, false)} />);
    expect(screen.getByRole('note').textContent).toContain(NO_IQ_REASON);
    expect(calls).toHaveLength(0);
  });
});

describe('the sample browser', () => {
  it('disables the waterfall control with the reason when the dataset has no IQ', async () => {
    vi.stubGlobal('fetch', stubFetch({ 'GET /datasets/d0/samples': { body: { items: [sample(0, false)], total: 1 } } }).fetchMock);
    renderWithProviders(<DatasetSamples datasetId="d0" />);
    const button = await screen.findByRole('button', { name: 'Waterfall' });
    expect(button).toHaveProperty('disabled', true);
    expect(button.getAttribute('title')).toBe(NO_IQ_REASON);
  });

  it('opens the waterfall of a sample of an IQ dataset', async () => {
    fakeCanvas();
    vi.stubGlobal('fetch', stubFetch({
      'GET /datasets/d1/samples': { body: { items: [sample(3, true)], total: 1 } },
      'GET /datasets/d1/samples/3/spectrogram': { body: SPECTROGRAM },
    }).fetchMock);
    renderWithProviders(<DatasetSamples datasetId="d1" />);
    const button = await screen.findByRole('button', { name: 'Waterfall' });
    expect(button).toHaveProperty('disabled', false);
    fireEvent.click(button);
    await waitFor(() => expect(screen.getByRole('img', { name: /IQ waterfall, receiver rx-a/ })).toBeTruthy());
  });
});
