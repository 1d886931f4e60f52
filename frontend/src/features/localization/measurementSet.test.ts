import { describe, expect, it } from 'vitest';
import { EXAMPLE, parseMeasurementSet, posteriorGrid } from './measurementSet';
import type { LocalizationResult } from '../../api/types';

describe('parseMeasurementSet', () => {
  it('accepts the example', () => {
    expect(parseMeasurementSet(EXAMPLE).ok).toBe(true);
  });

  it.each([
    ['{', /Not valid JSON/],
    ['[]', /JSON object/],
    ['{"receivers": []}', /frequency_hz/],
    ['{"frequency_hz": 1e8, "receivers": []}', /receivers: at least one/],
    ['{"frequency_hz": 1e8, "receivers": [{"id": "a", "lat": 95, "lon": 0}]}', /receivers.0.lat/],
    ['{"frequency_hz": 1e8, "receivers": [{"id": "a", "lat": 45, "lon": 7}]}', /At least one of rss/],
    ['{"frequency_hz": 1e8, "receivers": [{"id": "a", "lat": 45, "lon": 7}], "rss": [{"receiver": "b", "power_dbm": -90, "sigma_db": 6}]}', /rss.0.receiver/],
    ['{"frequency_hz": 1e8, "receivers": [{"id": "a", "lat": 45, "lon": 7}], "tdoa": [{"receiver": "a", "reference": "z", "tdoa_s": 0, "sigma_s": 1e-7}]}', /tdoa.0.reference/],
  ])('rejects %s', (text, message) => {
    const parsed = parseMeasurementSet(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(message);
  });
});

describe('posteriorGrid', () => {
  const base = { lat: 45, lon: 7 } as LocalizationResult;
  it('reads a log-density grid and refuses a malformed one', () => {
    expect(posteriorGrid({ ...base, posterior: { lat: [1, 2], lon: [3], log_density: [[0], [-1]] } })?.mode).toBe('density');
    expect(posteriorGrid({ ...base, posterior: { lat: [1, 2], lon: [3], log_density: [[0]] } })).toBeNull();
    expect(posteriorGrid(base)).toBeNull();
  });
});
