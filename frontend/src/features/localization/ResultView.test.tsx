import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { LocalizationResult, OverlayCollection } from '../../api/types';
import { renderWithProviders } from '../../test/render';
import { formatTick } from '../training/chartData';
import { ResultView } from './ResultView';

const result: LocalizationResult = {
  id: 'r1', lat: 45.1, lon: 7.6, alt_m: null, covariance_enu_m2: [[1e6, 0], [0, 1e6]],
  ellipses: [
    { confidence: 0.68, semi_major_m: 1500, semi_minor_m: 1500, orientation_deg: 0 },
    { confidence: 0.95, semi_major_m: 2500.123, semi_minor_m: 812.9, orientation_deg: 33.3 },
  ],
  method: 'classical:rss', used: { rss: 6, tdoa: 0, toa: 0, aoa: 0 }, outliers: ['rx3'], gdop: 1.4142135623730951, elapsed_ms: 12.3456,
};
const overlays: OverlayCollection = { type: 'FeatureCollection', features: [
  { type: 'Feature', geometry: { type: 'Point', coordinates: [7.9, 44.6] },
    properties: { kind: 'receiver', receiver: 'rx3', outlier: true, reason: 'rejected: 9.1 σ off', label: 'rx3' } },
] };

describe('ResultView', () => {
  it('formats every number with its unit and sensible precision', () => {
    renderWithProviders(<ResultView result={result} overlays={overlays} />);
    expect(screen.getByText('45.10000° N, 7.60000° E')).toBeTruthy();
    expect(screen.getByText('1.41')).toBeTruthy(); // GDOP: three significant digits, not sixteen
    expect(screen.getByText('12.3 ms')).toBeTruthy();
    expect(screen.getByText('2.50 km × 813 m, major axis 33° from north')).toBeTruthy();
    expect(screen.getByText('6 rss')).toBeTruthy();
  });

  it('gives each outlier its reason', () => {
    renderWithProviders(<ResultView result={result} overlays={overlays} />);
    expect(screen.getByText('rx3').parentElement?.textContent).toBe('rx3: rejected: 9.1 σ off');
  });

  it('lists the time differences measured in recordings', () => {
    renderWithProviders(<ResultView result={result} recordings={{ reference: 'DF0KL', pairs: [{ receiver: 'F1JEK', delay_s: 1.2353e-3, noise_sigma_s: 4.5e-6 }] }} />);
    expect(screen.getByText('1.235 ms')).toBeTruthy();
    expect(screen.getByText('4.500 µs')).toBeTruthy();
  });
});

describe('chart ticks', () => {
  it('formats compactly and tolerates the nulls uPlot passes on log scales', () => {
    expect([12_000, 0.68, 3.2e-4, 0, null].map(formatTick)).toEqual(['12k', '0.68', '3.2e-4', '0', '']);
  });
});
