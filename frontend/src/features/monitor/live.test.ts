import { describe, expect, it } from 'vitest';
import type { BearingEvent } from '../../api/monitorTypes';
import { addBearing, applyLevels, KEEP_BEARINGS_S, MAX_BEARINGS, timeMs, toMapBearing } from './live';

const bearing = (patch: Partial<BearingEvent> = {}): BearingEvent => ({
  monitor_id: 'm1', receiver_id: 'k1', station: 'Kraken Nord', lat: 45, lon: 7, bearing_deg: 30, sigma_deg: 4, time: '2026-01-01T00:00:10Z', ...patch,
});

describe('levels', () => {
  it('keeps the latest reading per channel and receiver, and skips readings that are not numbers', () => {
    let state = applyLevels({}, { monitor_id: 'm1', frequency_hz: 145.5e6, readings: [
      { receiver_id: 'a', level_db: -90, floor_db: -110, detecting: false },
      { receiver_id: 'b', level_db: 'loud' as unknown as number, floor_db: null, detecting: true },
    ] }, 1000);
    state = applyLevels(state, { monitor_id: 'm1', frequency_hz: 145.5e6, readings: [{ receiver_id: 'a', level_db: -70, floor_db: -110, detecting: true }] }, 1500);
    expect(state[145.5e6]).toEqual({ a: { receiver_id: 'a', level_db: -70, floor_db: -110, detecting: true, atMs: 1500 } });
    expect(applyLevels(state, { monitor_id: 'm1', frequency_hz: 7.1e6, readings: null as never }, 2000)).toBe(state);
  });
});

describe('bearings', () => {
  it('reads times as ISO 8601 or epoch seconds or ms', () => {
    expect(timeMs('2026-01-01T00:00:10Z')).toBe(Date.UTC(2026, 0, 1, 0, 0, 10));
    expect(timeMs(1_700_000_000)).toBe(1_700_000_000_000);
    expect(timeMs(1_700_000_000_123)).toBe(1_700_000_000_123);
    expect(timeMs(undefined)).toBeNaN();
  });

  it('names the station from the event, else from the monitor, and refuses a bearing without numbers', () => {
    expect(toMapBearing(bearing())?.station).toBe('Kraken Nord');
    expect(toMapBearing(bearing({ station: undefined, name: 'KR-2' }))?.station).toBe('KR-2');
    expect(toMapBearing(bearing({ station: undefined }), 'from monitor')?.station).toBe('from monitor');
    expect(toMapBearing(bearing({ bearing_deg: null as never }))).toBeNull();
    expect(toMapBearing(bearing({ time: 'yesterday' }))).toBeNull();
  });

  it('keeps each bearing once, forgets old ones and bounds the list', () => {
    const at = (s: number) => toMapBearing(bearing({ time: s }))!;
    let list = addBearing([], at(1000));
    list = addBearing(list, at(1000));
    expect(list).toHaveLength(1);
    list = addBearing(list, at(1000 + KEEP_BEARINGS_S + 1));
    expect(list.map((b) => b.timeMs)).toEqual([(1001 + KEEP_BEARINGS_S) * 1000]);
    for (let s = 0; s < MAX_BEARINGS + 5; s += 1) list = addBearing(list, at(2000 + s));
    expect(list).toHaveLength(MAX_BEARINGS);
    expect(list[list.length - 1].timeMs).toBe((2000 + MAX_BEARINGS + 4) * 1000);
  });
});
