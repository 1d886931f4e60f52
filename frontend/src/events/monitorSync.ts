/**
 * The monitors' events -> query cache (issue 14). Same rule as cacheSync: only entries that already
 * hold data are edited; anything a single event cannot complete (a track not yet listed) is refetched.
 */
import type { QueryClient, QueryKey } from '@tanstack/react-query';
import type { Monitor, Track, TrackPoint, Transmission } from '../api/monitorTypes';
import { queryKeys } from '../api/queryKeys';
import type { Page } from '../api/types';
import type { Envelope } from './types';

type Handler = (envelope: Envelope, cache: QueryClient) => void;

/** The monitor an event of topic `monitor:<id>` belongs to (or the id its data names). */
function monitorIdOf({ topic, data }: Envelope): string | null {
  if (topic.startsWith('monitor:')) return topic.slice('monitor:'.length);
  return typeof data.monitor_id === 'string' ? data.monitor_id : null;
}

export function monitorKeysForTopic(topic: string): QueryKey[] | null {
  if (topic === 'monitors') return [queryKeys.monitors.all];
  if (!topic.startsWith('monitor:')) return null;
  const id = topic.slice('monitor:'.length);
  return [queryKeys.monitors.detail(id), queryKeys.monitors.tracks(id), queryKeys.monitors.transmissions(id)];
}

const onMonitorUpdated: Handler = ({ data }, cache) => {
  const monitor = data as unknown as Monitor;
  if (typeof monitor.id !== 'string') return;
  cache.setQueryData<Page<Monitor>>(queryKeys.monitors.list(), (page) => {
    if (!page) return page;
    const index = page.items.findIndex((m) => m.id === monitor.id);
    if (index === -1) return { items: [monitor, ...page.items], total: page.total + 1 };
    const items = page.items.slice();
    items[index] = { ...items[index], ...monitor };
    return { ...page, items };
  });
  cache.setQueryData<Monitor>(queryKeys.monitors.detail(monitor.id), (old) => (old ? { ...old, ...monitor } : old));
};

const onTransmission: Handler = (envelope, cache) => {
  const transmission = envelope.data as unknown as Transmission;
  const id = monitorIdOf(envelope);
  if (!id || typeof transmission.id !== 'string') return;
  cache.setQueryData<Page<Transmission>>(queryKeys.monitors.transmissions(id), (page) => {
    if (!page) return page;
    const index = page.items.findIndex((t) => t.id === transmission.id);
    if (index === -1) return { items: [transmission, ...page.items], total: page.total + 1 };
    const items = page.items.slice();
    items[index] = { ...items[index], ...transmission }; // its fix arrived after it was first announced
    return { ...page, items };
  });
};

/** Merge points by fix: a point already held is replaced (a recomputed track), new ones are added in time order. */
export function mergeTrackPoints(held: TrackPoint[], incoming: TrackPoint[]): TrackPoint[] {
  const byFix = new Map(held.map((p) => [p.localization_id, p]));
  for (const point of incoming) byFix.set(point.localization_id, point);
  return [...byFix.values()].sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
}

const onTrackUpdated: Handler = (envelope, cache) => {
  const track = envelope.data as unknown as Track;
  const id = monitorIdOf(envelope);
  if (!id || typeof track.id !== 'string') return;
  const key = queryKeys.monitors.tracks(id);
  const page = cache.getQueryData<Page<Track>>(key);
  if (!page) return;
  const index = page.items.findIndex((t) => t.id === track.id);
  if (index === -1) {
    void cache.invalidateQueries({ queryKey: key }); // a new track: the event may carry only its last point
    return;
  }
  const items = page.items.slice();
  const points = mergeTrackPoints(items[index].points, Array.isArray(track.points) ? track.points : []);
  items[index] = { ...items[index], ...track, points };
  cache.setQueryData<Page<Track>>(key, { ...page, items });
};

/**
 * A monitor's status mirrors its job: when a monitor's job changes state (`job.state` on `jobs`), the
 * monitors are refetched (the event carries the job, not the monitor). Whether the job is a monitor's
 * is read from its `kind`, else from the monitors the cache holds.
 */
export function onMonitorJobState({ data }: Envelope, cache: QueryClient): void {
  const jobId = typeof data.id === 'string' ? data.id : null;
  const held = cache.getQueryData<Page<Monitor>>(queryKeys.monitors.list())?.items ?? [];
  if (data.kind === 'monitor' || (jobId !== null && held.some((m) => m.job_id === jobId))) {
    void cache.invalidateQueries({ queryKey: queryKeys.monitors.all });
  }
}

/** Consumed live by the Monitor page (features/monitor/useMonitorLive), not cached. */
const live: Handler = () => undefined;

export const monitorHandlers = {
  'monitor.updated': onMonitorUpdated,
  'monitor.level': live,
  'monitor.transmission': onTransmission,
  'monitor.bearing': live,
  'track.updated': onTrackUpdated,
} satisfies Record<string, Handler>;
