/** Shared test data for the Monitor page's tests: one watch of three receivers, one track, transmissions. */
import type { Monitor, Track, TrackPoint, Transmission } from '../../api/monitorTypes';

export const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
export const iso = (s: number) => new Date(T0 + s * 1000).toISOString();

export const monitor: Monitor = {
  id: 'm1', name: '2 m watch', created_at: iso(0), network_id: 'n1', channels: [{ frequency_hz: 145.5e6, threshold_db: 10 }],
  min_receivers: 3, cot: [], job_id: 'j1', status: 'running', counts: { transmissions: 2, fixes: 2 },
  receivers: [
    { receiver_id: 'r1', name: 'Kiwi Torino', kind: 'kiwisdr', state: 'listening', reason: null },
    { receiver_id: 'r2', name: 'OWRX Asti', kind: 'openwebrx', state: 'stale', reason: 'no S-meter for 30 s' },
    { receiver_id: 'k1', name: 'Kraken Nord', kind: 'kraken', state: 'listening', reason: null },
  ],
};

export const point = (s: number, lat: number, patch: Partial<TrackPoint> = {}): TrackPoint => ({
  localization_id: `L${s}`, time: iso(s), lat, lon: 7.6, ellipse_95: { semi_major_m: 900, semi_minor_m: 400, orientation_deg: 30 },
  filtered: { lat: lat + 0.001, lon: 7.601, speed_m_s: 12, heading_deg: 0 }, excluded: false, note: null, ...patch,
});

export const track: Track = {
  id: 't1', monitor_id: 'm1', frequency_hz: 145.5e6, started_at: iso(10), updated_at: iso(70),
  points: [point(10, 45.0), point(40, 45.1, { excluded: true, note: 'multipath' }), point(70, 45.2)],
};

export const transmissions: Transmission[] = [
  { id: 'x3', monitor_id: 'm1', frequency_hz: 145.5e6, start: iso(68), end: iso(70), receiver_ids: ['r1', 'k1'], localization_id: 'L70', track_id: 't1', reason: null },
  { id: 'x2', monitor_id: 'm1', frequency_hz: 145.5e6, start: iso(50), end: iso(51), receiver_ids: ['r1'], localization_id: null, track_id: null, reason: 'only 1 receiver heard it' },
  { id: 'x1', monitor_id: 'm1', frequency_hz: 145.5e6, start: iso(8), end: iso(10), receiver_ids: ['r1', 'r2', 'k1'], localization_id: 'L10', track_id: 't1', reason: null },
];
