import { describe, expect, it } from 'vitest';
import type { Receiver } from '../../api/types';
import { buildMeasurementSet, defaultKind, fieldName, formFieldOf, validate, withKind, type FormState } from './formModel';

const rx = (id: string, name: string, lat: number, lon: number, capabilities: Receiver['capabilities'] = ['rss']): Receiver => ({
  id, name, kind: 'simulated', lat, lon, alt_m: 300, capabilities, timing: 'gnss', enabled: true,
});
const receivers = [rx('u0', 'G7 rx0', 45, 7.5, ['aoa', 'rss']), rx('u1', 'G7 rx1', 45.45, 7.5), rx('u2', 'G7 rx2', 45.22, 8.05, ['tdoa'])];

const state = (rows: FormState['rows']): FormState => ({ frequencyMhz: '145.5', method: 'auto', rows });

describe('the Localize form as a measurement set', () => {
  it('turns rows in people\'s units into SI measurements, receivers named as they are on the server', () => {
    const { ms, origins } = buildMeasurementSet(state({
      u0: { kind: 'aoa', value: '30.5', sigma: '3', reference: '' },
      u1: { kind: 'rss', value: '-97.2', sigma: '8', reference: '' },
      u2: { kind: 'tdoa', value: '21.0', sigma: '205', reference: 'u0' },
    }), receivers);
    expect(ms.frequency_hz).toBe(145.5e6);
    expect(ms.receivers.map((r) => r.id)).toEqual(['G7 rx0', 'G7 rx1', 'G7 rx2']);
    expect(ms.aoa).toEqual([{ receiver: 'G7 rx0', bearing_deg: 30.5, sigma_deg: 3 }]);
    expect(ms.rss).toEqual([{ receiver: 'G7 rx1', power_dbm: -97.2, sigma_db: 8 }]);
    expect(ms.tdoa?.[0].tdoa_s).toBeCloseTo(2.1e-5, 15);
    expect(ms.tdoa?.[0].sigma_s).toBeCloseTo(2.05e-7, 18);
    expect(ms.tdoa?.[0].reference).toBe('G7 rx0');
    expect(origins).toEqual({ 'aoa[0]': 'u0', 'rss[0]': 'u1', 'tdoa[0]': 'u2' });
  });

  it('leaves out receivers that measured nothing, but keeps a reference', () => {
    const { ms } = buildMeasurementSet(state({ u2: { kind: 'tdoa', value: '1', sigma: '100', reference: 'u1' } }), receivers);
    expect(ms.receivers.map((r) => r.id)).toEqual(['G7 rx1', 'G7 rx2']);
  });

  it('names each bad field before anything is sent', () => {
    const errors = validate({ frequencyMhz: '0', method: 'auto', rows: {
      u0: { kind: 'aoa', value: '400', sigma: '0', reference: '' },
      u2: { kind: 'tdoa', value: 'x', sigma: '5', reference: '' },
    } }, receivers);
    expect(errors).toEqual({
      frequency: 'A frequency above 0 MHz is required.',
      [fieldName('u0', 'value')]: 'A bearing from 0 to 360°.',
      [fieldName('u0', 'sigma')]: 'A positive uncertainty is required.',
      [fieldName('u2', 'value')]: 'A number is required.',
      [fieldName('u2', 'reference')]: 'Pick the other receiver of the pair.',
    });
    expect(validate(state({}), receivers).rows).toMatch(/at least one receiver/);
  });

  it('points the server\'s field paths at the row that produced them', () => {
    const origins = { 'aoa[0]': 'u0', 'tdoa[1]': 'u2' };
    expect(formFieldOf('aoa[0].sigma_deg', origins)).toBe(fieldName('u0', 'sigma'));
    expect(formFieldOf('tdoa.1.tdoa_s', origins)).toBe(fieldName('u2', 'value'));
    expect(formFieldOf('tdoa[1].reference', origins)).toBe(fieldName('u2', 'reference'));
    expect(formFieldOf('frequency_hz', origins)).toBe('frequency');
    expect(formFieldOf('receivers[2].lat', origins)).toBe('rows');
    expect(formFieldOf('search_area', origins)).toBeNull();
  });

  it('picks what a receiver can measure, with a sensible default uncertainty', () => {
    expect(defaultKind(receivers[0])).toBe('aoa');
    expect(defaultKind(receivers[2])).toBe('tdoa');
    expect(withKind({ kind: 'none', value: '', sigma: '', reference: '' }, 'rss').sigma).toBe('8');
  });
});
