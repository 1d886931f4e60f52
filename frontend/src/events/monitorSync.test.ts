import { describe, expect, it } from 'vitest';
import type { Monitor, Track, TrackPoint, Transmission } from '../api/monitorTypes';
import { queryKeys } from '../api/queryKeys';
import type { Page } from '../api/types';
import { envelope } from '../test/fakeSocket';
import { testQueryClient } from '../test/render';
import { applyEnvelope, keysForTopic } from './cacheSync';
import { mergeTrackPoints } from './monitorSync';

const point = (s: number, patch: Partial<TrackPoint> = {}): TrackPoint => ({
  localization_id: `L${s}`, time: new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString(), lat: 45, lon: 7,
  ellipse_95: { semi_major_m: 100, semi_minor_m: 50, orientation_deg: 0 }, filtered: { lat: 45, lon: 7, speed_m_s: 0, heading_deg: 0 },
  excluded: false, note: null, ...patch,
});
const track = (id: string, points: TrackPoint[]): Track => ({ id, monitor_id: 'm1', frequency_hz: 145.5e6, started_at: points[0].time, updated_at: points[points.length - 1].time, points });
const monitor = (patch: Partial<Monitor> = {}): Monitor => ({ id: 'm1', name: 'w', network_id: 'n1', channels: [], min_receivers: 3, job_id: 'j1', status: 'running', ...patch });
const transmission = (id: string, patch: Partial<Transmission> = {}): Transmission => ({
  id, monitor_id: 'm1', frequency_hz: 145.5e6, start: 't', end: null, receiver_ids: [], localization_id: null, track_id: null, reason: null, ...patch,
});

describe('monitor events -> cache', () => {
  it('monitor.updated updates the list and the detail it finds, and adds a new monitor to the list', () => {
    const cache = testQueryClient();
    cache.setQueryData(queryKeys.monitors.list(), { items: [monitor()], total: 1 });
    cache.setQueryData(queryKeys.monitors.detail('m1'), monitor());
    applyEnvelope(envelope(1, 'monitor.updated', 'monitors', { ...monitor({ status: 'paused' }) }), cache);
    applyEnvelope(envelope(2, 'monitor.updated', 'monitors', { ...monitor({ id: 'm2' }) }), cache);
    expect(cache.getQueryData<Page<Monitor>>(queryKeys.monitors.list())?.items.map((m) => [m.id, m.status])).toEqual([['m2', 'running'], ['m1', 'paused']]);
    expect(cache.getQueryData<Monitor>(queryKeys.monitors.detail('m1'))?.status).toBe('paused');
    expect(cache.getQueryData(queryKeys.monitors.detail('m2'))).toBeUndefined();
  });

  it('monitor.transmission goes on top of its monitor\'s timeline once, and a later one with its fix replaces it', () => {
    const cache = testQueryClient();
    cache.setQueryData(queryKeys.monitors.transmissions('m1'), { items: [transmission('x1')], total: 1 });
    applyEnvelope(envelope(1, 'monitor.transmission', 'monitor:m1', { ...transmission('x2') }), cache);
    applyEnvelope(envelope(2, 'monitor.transmission', 'monitor:m1', { ...transmission('x2', { end: 'u', localization_id: 'L1' }) }), cache);
    applyEnvelope(envelope(3, 'monitor.transmission', 'monitor:m9', { ...transmission('y1', { monitor_id: 'm9' }) }), cache);
    const page = cache.getQueryData<Page<Transmission>>(queryKeys.monitors.transmissions('m1'));
    expect(page?.items.map((t) => [t.id, t.localization_id])).toEqual([['x2', 'L1'], ['x1', null]]);
    expect(page?.total).toBe(2);
    expect(cache.getQueryData(queryKeys.monitors.transmissions('m9'))).toBeUndefined();
  });

  it('track.updated merges its points into the held track, and refetches a track it does not hold', async () => {
    const cache = testQueryClient();
    cache.setQueryData(queryKeys.monitors.tracks('m1'), { items: [track('t1', [point(1), point(2)])], total: 1 });
    applyEnvelope(envelope(1, 'track.updated', 'monitor:m1', { ...track('t1', [point(3)]) }), cache);
    applyEnvelope(envelope(2, 'track.updated', 'monitor:m1', { ...track('t1', [point(2, { excluded: true, note: 'n' })]) }), cache);
    const held = cache.getQueryData<Page<Track>>(queryKeys.monitors.tracks('m1'))!.items[0];
    expect(held.points.map((p) => [p.localization_id, p.excluded])).toEqual([['L1', false], ['L2', true], ['L3', false]]);
    applyEnvelope(envelope(3, 'track.updated', 'monitor:m1', { ...track('t2', [point(9)]) }), cache);
    expect(cache.getQueryState(queryKeys.monitors.tracks('m1'))?.isInvalidated).toBe(true);
    expect(cache.getQueryData<Page<Track>>(queryKeys.monitors.tracks('m1'))!.items).toHaveLength(1);
  });

  it('keeps points in time order whatever order they arrive in', () => {
    expect(mergeTrackPoints([point(5)], [point(2), point(9)]).map((p) => p.localization_id)).toEqual(['L2', 'L5', 'L9']);
  });

  it('refetches a monitor\'s data after its topic is (re)subscribed', () => {
    expect(keysForTopic('monitors')).toEqual([queryKeys.monitors.all]);
    expect(keysForTopic('monitor:m1')).toEqual([
      queryKeys.monitors.detail('m1'), queryKeys.monitors.tracks('m1'), queryKeys.monitors.transmissions('m1')]);
  });

  it('refetches the monitors when a monitor\'s job changes state', () => {
    const cache = testQueryClient();
    cache.setQueryData(queryKeys.monitors.list(), { items: [monitor()], total: 1 });
    applyEnvelope(envelope(1, 'job.state', 'jobs', { id: 'j7', kind: 'train', status: 'paused' }), cache);
    expect(cache.getQueryState(queryKeys.monitors.list())?.isInvalidated).toBe(false);
    applyEnvelope(envelope(2, 'job.state', 'jobs', { id: 'j1', status: 'paused' }), cache);
    expect(cache.getQueryState(queryKeys.monitors.list())?.isInvalidated).toBe(true);
  });
});
