import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { LocalizationResult, MeasurementSet } from '../../api/types';
import { renderWithProviders } from '../../test/render';
import { formatTick } from '../training/chartData';
import { ResultView } from './ResultView';

const ms: MeasurementSet = {
  frequency_hz: 145.5e6,
  receivers: [{ id: 'rx0', lat: 45, lon: 7.5 }, { id: 'rx3', lat: 44.6, lon: 7.9 }],
  rss: [{ receiver: 'rx0', power_dbm: -90, sigma_db: 8 }, { receiver: 'rx3', power_dbm: -60, sigma_db: 8 }],
};
const result: LocalizationResult = {
  lat: 45.1, lon: 7.6, alt_m: null, covariance_enu_m2: [[1e6, 0], [0, 1e6]],
  ellipses: [
    { confidence: 0.68, semi_major_m: 1500, semi_minor_m: 1500, orientation_deg: 0 },
    { confidence: 0.95, semi_major_m: 2500, semi_minor_m: 2500, orientation_deg: 0 },
  ],
  method: 'classical:rss', used: { rss: 1, tdoa: 0, toa: 0, aoa: 0 }, outliers: ['rx3'], gdop: 1.4, elapsed_ms: 12.34,
  posterior: { lat: [45.0, 45.1, 45.2], lon: [7.5, 7.6], log_density: [[-9, -3], [-1, 0], [-2, -20]] },
};

describe('ResultView', () => {
  it('shows the fix, both ellipses, the outlier and the posterior', () => {
    const { container } = renderWithProviders(<ResultView result={result} measurementSet={ms} />);
    expect(screen.getByText('45.10000, 7.60000', { selector: 'dd' })).toBeTruthy();
    expect(screen.getByText('rx3', { selector: 'dd' })).toBeTruthy();
    expect(screen.getByText('1.50 km × 1.50 km, major axis 0° from north')).toBeTruthy();
    expect(container.querySelectorAll('polygon.ellipse')).toHaveLength(2);
    expect(container.querySelectorAll('.receiver-outlier')).toHaveLength(1);
    // six cells; those at exp(-9) and exp(-20) of the peak are below the drawing threshold
    expect(container.querySelectorAll('.heat-density rect').length).toBe(4);
  });

  it('says so when there is no posterior instead of drawing one', () => {
    const { container } = renderWithProviders(<ResultView result={{ ...result, posterior: undefined }} measurementSet={ms} />);
    expect(screen.getByText(/no posterior grid/)).toBeTruthy();
    expect(container.querySelector('.heat')).toBeNull();
  });
});

describe('chart ticks', () => {
  it('formats compactly and tolerates the nulls uPlot passes on log scales', () => {
    expect([12_000, 0.68, 3.2e-4, 0, null].map(formatTick)).toEqual(['12k', '0.68', '3.2e-4', '0', '']);
  });
});
