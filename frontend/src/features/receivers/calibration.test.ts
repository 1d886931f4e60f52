import { describe, expect, it } from 'vitest';
import type { Calibration } from '../../api/types';
import { calibrationView } from './calibration';

function calibration(id: string, created: string, state: Calibration['state'], receivers: string[],
  reason: string | null = null): Calibration {
  return {
    id, status: state === 'rejected' ? 'rejected' : 'active', state, receiver_ids: receivers,
    quantities: ['timing_offset_s', 'gain_offset_db'], calibration: {}, evidence: [], note: '',
    rejected_reason: reason, rejected_at: null, created_at: created, updated_at: created,
  };
}

describe('calibrationView', () => {
  it('is uncalibrated without a calibration holding the receiver', () => {
    expect(calibrationView('rx0', [calibration('a', '2026-12-01T00:00:00Z', 'active', ['rx1'])]))
      .toEqual({ state: 'uncalibrated', detail: 'no calibration' });
  });

  it('takes the newest calibration that is not rejected', () => {
    const list = [
      calibration('old', '2026-10-01T00:00:00Z', 'stale', ['rx0']),
      calibration('new', '2026-12-01T00:00:00Z', 'active', ['rx0', 'rx1']),
      calibration('bad', '2026-12-02T00:00:00Z', 'rejected', ['rx0'], 'antenna moved'),
    ];
    expect(calibrationView('rx0', list)).toEqual({ state: 'calibrated', detail: 'timing, gain since 2026-12-01' });
    expect(calibrationView('rx0', list.slice(0, 1)).state).toBe('stale');
  });

  it('says when the only calibration was rejected', () => {
    const view = calibrationView('rx0', [calibration('bad', '2026-12-02T00:00:00Z', 'rejected', ['rx0'], 'antenna moved')]);
    expect(view).toEqual({ state: 'uncalibrated', detail: 'last one rejected: antenna moved' });
  });
});
