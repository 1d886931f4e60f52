import { describe, expect, it } from 'vitest';
import type { Capture } from '../../api/captureTypes';
import type { Job } from '../../api/types';
import { captureBody, EMPTY_FORM, kiwiHealth, liveReceivers, parseFrequency, progressReceivers, validateForm, verdicts } from './model';

const rx = (id: string, state: Capture['receivers'][number]['state'], extra: Partial<Capture['receivers'][number]> = {}) => ({
  receiver_id: id, name: `kiwi-${id}`, state, reason: null, gnss_ok: false, seconds_recorded: 0, snr_db: null, ...extra,
});

function capture(extra: Partial<Capture> = {}): Capture {
  return {
    id: 'c1', created_at: '2026-12-03T18:00:00Z', network_id: null, receiver_ids: ['a', 'b', 'c'], frequency_hz: 77500,
    duration_s: 10, start_at: null, job_id: 'j1', status: 'running',
    receivers: [rx('a', 'recording'), rx('b', 'connecting'), rx('c', 'failed', { reason: 'too_busy: all 4 slots taken' })], ...extra,
  };
}

describe('parseFrequency', () => {
  it.each([
    ['77.5k', 77_500], ['7.1M', 7_100_000], ['7.1m', 7_100_000], ['14.074 MHz', 14_074_000], ['198 kHz', 198_000],
    ['7100000', 7_100_000], ['  10000Hz ', 10_000], ['1e6', 1_000_000], ['.5M', 500_000], ['1.2G', 1.2e9],
  ])('reads %s as %d Hz', (text, hz) => {
    expect(parseFrequency(text)).toBeCloseTo(hz, 3);
  });

  it.each(['', 'abc', '77.5 kHz x', '-5k', '0', '0k', '1.2.3M', 'k', '7,1M', '5 THz'])('refuses %j', (text) => {
    expect(parseFrequency(text)).toBeNull();
  });
});

describe('validateForm', () => {
  const now = Date.parse('2026-12-03T18:00:00Z');
  const local = (ms: number) => {
    const d = new Date(ms);
    const pad = (n: number) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
  };

  it('names every missing or malformed field', () => {
    const errors = validateForm({ ...EMPTY_FORM, frequency: '77.5q', durationS: '0', passbandHz: '-3' }, { now });
    expect(Object.keys(errors).sort()).toEqual(['duration_s', 'frequency_hz', 'passband_hz', 'receivers']);
  });

  it('asks only receivers and frequency for a plan', () => {
    expect(validateForm({ ...EMPTY_FORM, networkId: 'n1', frequency: '7.1M', durationS: '' }, { forPlan: true, now })).toEqual({});
  });

  it('wants a start in the future and within the hour', () => {
    const base = { ...EMPTY_FORM, receiverIds: ['a'], frequency: '77.5k' };
    expect(validateForm({ ...base, startAt: local(now - 60_000) }, { now }).start_at).toMatch(/future/);
    expect(validateForm({ ...base, startAt: local(now + 2 * 3600_000) }, { now }).start_at).toMatch(/1 hour/);
    expect(validateForm({ ...base, startAt: local(now + 10 * 60_000) }, { now })).toEqual({});
  });

  it('builds the body in SI units with a UTC start', () => {
    const start = '2026-12-03T19:30';
    const body = captureBody({ ...EMPTY_FORM, receiverIds: ['a', 'b'], frequency: '77.5k', durationS: '12.5', passbandHz: '5000', startAt: start });
    expect(body).toEqual({ receiver_ids: ['a', 'b'], frequency_hz: 77_500, duration_s: 12.5, passband_hz: 5000,
      start_at: new Date(start).toISOString(), locate: true });
    expect(captureBody({ ...EMPTY_FORM, networkId: 'n1', frequency: '7.1M', locate: false })).toEqual({
      network_id: 'n1', frequency_hz: 7_100_000, duration_s: 10, locate: false });
  });
});

describe('kiwiHealth', () => {
  it('reads GNSS and users when present, and says unknown otherwise', () => {
    expect(kiwiHealth({ health: { gnss_ok_for_tdoa: true, gps_good: 7, fixes: 1234, fixes_min: null, users: 2, users_max: 4, free_slots: 2 } }))
      .toEqual({ gnss: 'good for TDoA, 7 satellites, 1234 fixes', users: '2 / 4', roomy: true });
    expect(kiwiHealth({ health: { gnss_ok_for_tdoa: false, gps_good: 2, fixes_min: 3 } }))
      .toEqual({ gnss: 'not good for TDoA, 2 satellites, 3 fixes/min', users: 'unknown', roomy: null });
    expect(kiwiHealth({ health: { gnss_fix: false, free_slots: 1 } })).toEqual({ gnss: 'no fix', users: 'unknown', roomy: false });
    expect(kiwiHealth({ health: { users: '3', users_max: '4' } })).toEqual({ gnss: 'unknown', users: '3 / 4', roomy: false });
    expect(kiwiHealth({ health: null })).toEqual({ gnss: 'unknown', users: 'unknown', roomy: null });
  });
});

describe('live receivers', () => {
  const job = (progress: unknown) => ({ id: 'j1', kind: 'capture', status: 'running', progress } as Job);

  it('finds the receivers in the flat and the nested progress shapes', () => {
    const receivers = { a: { state: 'recording' } };
    expect(progressReceivers({ phase: 'recording', receivers })).toEqual(receivers);
    expect(progressReceivers({ job_id: 'j1', progress: { phase: 'recording', receivers } })).toEqual(receivers);
    expect(progressReceivers({ phase: 'train', percent: 3 })).toEqual({});
  });

  it('takes the job progress over the stored state, but never over a settled outcome', () => {
    const rows = liveReceivers(capture(), job({ receivers: {
      a: { state: 'recording', gnss_ok: true, seconds_recorded: 4.5, snr_db: 21.3 },
      b: { state: 'waiting_gnss', gnss_ok: false },
      c: { state: 'recording', seconds_recorded: 1 },
    } }));
    expect(rows.map((r) => [r.receiver_id, r.state, r.seconds_recorded, r.snr_db])).toEqual([
      ['a', 'recording', 4.5, 21.3], ['b', 'waiting_gnss', 0, null], ['c', 'failed', 0, null],
    ]);
  });
});

describe('verdicts', () => {
  it('says which receivers were used, excluded, failed or rejected, and why', () => {
    const done = capture({
      status: 'completed',
      receivers: [rx('a', 'done'), rx('b', 'done'), rx('c', 'failed', { reason: 'too_busy' }), rx('d', 'excluded'), rx('e', 'done')],
      used_receiver_ids: ['a', 'b', 'e'],
      excluded: [{ receiver_id: 'd', reason: 'stale GNSS: last fix 40 s old' }],
      localization: { outliers: ['kiwi-e'] } as unknown as Capture['localization'],
    });
    expect(verdicts(done, { 'kiwi-e': 'rejected by the consistency test (5.1 σ off)' }).map((v) => [v.receiverId, v.verdict, v.reason])).toEqual([
      ['a', 'used', null], ['b', 'used', null], ['c', 'failed', 'too_busy'], ['d', 'excluded', 'stale GNSS: last fix 40 s old'],
      ['e', 'outlier', 'rejected by the consistency test (5.1 σ off)'],
    ]);
  });
});
