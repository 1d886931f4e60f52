/**
 * Events -> TanStack Query cache. One handler per event of CONTRACT §3, checked exhaustive by the
 * compiler, so no event ever falls through to an "unknown event" path.
 *
 * Rule: a handler only edits caches that already hold data. Creating a cache entry from one event
 * would make a query look fresh and skip its REST fetch (a metrics series with only the latest epoch).
 */
import type { QueryClient, QueryKey } from '@tanstack/react-query';
import { flattenMetricRow } from '../api/endpoints';
import { queryKeys } from '../api/queryKeys';
import type { Capture } from '../api/captureTypes';
import type { Dataset, Job, LocalizationResult, MetricRow, ModelEntry, Network, Page, Receiver } from '../api/types';
import type { EventClient } from './client';
import { monitorHandlers, monitorKeysForTopic, onMonitorJobState } from './monitorSync';
import type { Envelope, EventName } from './types';

type Handler = (envelope: Envelope, cache: QueryClient) => void;
type Identified = { id: string };

const RECENT_FIXES = 50;

function jobIdOf(envelope: Envelope): string | null {
  const fromData = (envelope.data as { id?: unknown }).id;
  if (typeof fromData === 'string') return fromData;
  return envelope.topic.startsWith('job:') ? envelope.topic.slice(4) : null;
}

function updateLists<T extends Identified>(
  cache: QueryClient, listKey: QueryKey, update: (page: Page<T>, params: Record<string, unknown>) => Page<T>,
): void {
  for (const [key, page] of cache.getQueriesData<Page<T>>({ queryKey: listKey })) {
    if (!page) continue;
    const params = (key[2] ?? {}) as Record<string, unknown>;
    cache.setQueryData<Page<T>>(key, update(page, params));
  }
}

/** Does an item pass a list's filters (`kind`, `status`, ...)? Paging params are not filters. */
export function matchesFilters(item: Record<string, unknown>, params: Record<string, unknown>): boolean {
  return Object.entries(params).every(([name, wanted]) => {
    if (name === 'offset' || name === 'limit' || wanted === undefined || wanted === null || wanted === '') return true;
    return item[name] === undefined || String(item[name]) === String(wanted);
  });
}

function upsert<T extends Identified>(cache: QueryClient, keys: { lists: () => QueryKey; detail: (id: string) => QueryKey }, item: T): void {
  updateLists<T>(cache, keys.lists(), (page, params) => {
    const index = page.items.findIndex((x) => x.id === item.id);
    const merged = (index === -1 ? item : { ...page.items[index], ...item }) as T;
    const fits = matchesFilters(merged as unknown as Record<string, unknown>, params);
    if (index === -1) {
      const firstPage = !params.offset;
      return fits && firstPage ? { items: [item, ...page.items], total: page.total + 1 } : page;
    }
    if (!fits) return { items: page.items.filter((x) => x.id !== item.id), total: Math.max(0, page.total - 1) };
    const items = page.items.slice();
    items[index] = merged;
    return { ...page, items };
  });
  cache.setQueryData<T>(keys.detail(item.id), (old) => (old ? { ...old, ...item } : old));
}

function remove(cache: QueryClient, keys: { lists: () => QueryKey; detail: (id: string) => QueryKey }, id: string): void {
  updateLists<Identified>(cache, keys.lists(), (page) => {
    const items = page.items.filter((x) => x.id !== id);
    return items.length === page.items.length ? page : { items, total: Math.max(0, page.total - 1) };
  });
  cache.removeQueries({ queryKey: keys.detail(id) });
}

/** Patch a job wherever it is cached (detail and every list), without creating entries. */
function patchJob(cache: QueryClient, id: string, patch: Partial<Job>): void {
  updateLists<Job>(cache, queryKeys.jobs.lists(), (page) => {
    const index = page.items.findIndex((x) => x.id === id);
    if (index === -1) return page;
    const items = page.items.slice();
    items[index] = { ...items[index], ...patch };
    return { ...page, items };
  });
  cache.setQueryData<Job>(queryKeys.jobs.detail(id), (old) => (old ? { ...old, ...patch } : old));
}

/** Append one epoch to a cached metrics series, once: an epoch already present is ignored. */
export function appendMetricRow(rows: MetricRow[] | undefined, row: MetricRow): MetricRow[] | undefined {
  if (!rows) return rows;
  if (rows.some((r) => r.epoch === row.epoch)) return rows;
  const next = [...rows, row];
  if (rows.length && rows[rows.length - 1].epoch > row.epoch) next.sort((a, b) => a.epoch - b.epoch);
  return next;
}

/** A dataset after `dataset.shard_added`: the new counts, and the shard appended to its list when the
 * list is held (once: a replayed event does not append it twice). The event carries only what changed. */
export function withShard(dataset: Dataset, data: Record<string, unknown>): Dataset {
  const { shard, num_shards: _numShards, ...counts } = data;
  const shards = (dataset as { shards?: unknown }).shards;
  const start = (shard as { start_index?: unknown } | undefined)?.start_index;
  const held = Array.isArray(shards) && shard !== undefined
    && !shards.some((s) => (s as { start_index?: unknown }).start_index === start);
  return { ...dataset, ...counts, ...(held ? { shards: [...(shards as unknown[]), shard] } : {}) } as Dataset;
}

function patchDatasetShard(cache: QueryClient, data: Record<string, unknown>): void {
  const id = data.id;
  if (typeof id !== 'string') return;
  updateLists<Dataset>(cache, queryKeys.datasets.lists(), (page) => {
    const index = page.items.findIndex((x) => x.id === id);
    if (index === -1) return page;
    const items = page.items.slice();
    items[index] = withShard(items[index], data);
    return { ...page, items };
  });
  cache.setQueryData<Dataset>(queryKeys.datasets.detail(id), (old) => (old ? withShard(old, data) : old));
}

const onJobChanged: Handler = ({ data }, cache) => {
  const job = data as unknown as Job;
  if (typeof job.id !== 'string') return;
  upsert<Job>(cache, queryKeys.jobs, job);
  // job.created/job.state carry the whole job. A page whose first REST read of it is still in flight
  // (a detail query exists, without data) keeps the event's snapshot, so that read, which may have
  // left before the job started, cannot win over it (laterJob). Without such a query nothing is cached.
  const detail = queryKeys.jobs.detail(job.id);
  if (typeof job.status === 'string' && cache.getQueryState(detail) && !cache.getQueryData(detail)) {
    cache.setQueryData<Job>(detail, job);
  }
};

function receiverPatch(data: Record<string, unknown>): (Partial<Receiver> & Identified) | null {
  const id = typeof data.receiver_id === 'string' ? data.receiver_id : data.id;
  if (typeof id !== 'string') return null;
  return { id, health: (data.health as Record<string, unknown>) ?? data };
}

/** Which cached queries a `resync` or `subscribed` on `topic` makes stale. */
export function keysForTopic(topic: string): QueryKey[] {
  if (topic.startsWith('job:')) {
    const id = topic.slice(4);
    return [queryKeys.jobs.detail(id), queryKeys.jobs.metrics(id), queryKeys.jobs.lists()];
  }
  const monitorKeys = monitorKeysForTopic(topic);
  if (monitorKeys) return monitorKeys;
  const byTopic: Record<string, QueryKey[]> = {
    jobs: [queryKeys.jobs.all],
    datasets: [queryKeys.datasets.all],
    models: [queryKeys.models.all],
    receivers: [queryKeys.receivers.all, queryKeys.networks.all],
    networks: [queryKeys.networks.all],
    localizations: [queryKeys.localizations.all],
    captures: [queryKeys.captures.all],
    monitors: [['monitors']],
  };
  return byTopic[topic] ?? [];
}

const ignore: Handler = () => undefined;

export const handlers: Record<EventName, Handler> = {
  // Connection bookkeeping (client id, acks, liveness, server errors) happens in EventClient itself.
  connected: ignore,
  // A subscription is live from here on (replay included): refetch its queries, so a REST answer read
  // before the subscription cannot miss an event that was logged before its cursor.
  subscribed: ({ data }, cache) => {
    const topics = Array.isArray(data.topics) ? data.topics.filter((t): t is string => typeof t === 'string') : [];
    for (const topic of topics) {
      for (const queryKey of keysForTopic(topic)) void cache.invalidateQueries({ queryKey });
    }
  },
  heartbeat: ignore,
  pong: ignore,
  error: ignore,
  resync: ({ topic }, cache) => {
    for (const queryKey of keysForTopic(topic)) void cache.invalidateQueries({ queryKey });
  },
  'job.created': onJobChanged,
  'job.state': (envelope, cache) => {
    onJobChanged(envelope, cache);
    onMonitorJobState(envelope, cache);
  },
  'job.deleted': (envelope, cache) => {
    const id = jobIdOf(envelope);
    if (!id) return;
    remove(cache, queryKeys.jobs, id);
    cache.removeQueries({ queryKey: queryKeys.jobs.metrics(id) });
  },
  'job.progress': (envelope, cache) => {
    const id = envelope.topic.startsWith('job:') ? envelope.topic.slice(4) : jobIdOf(envelope);
    if (id) patchJob(cache, id, { progress: envelope.data });
  },
  'job.metrics': (envelope, cache) => {
    const id = envelope.topic.startsWith('job:') ? envelope.topic.slice(4) : null;
    const row = flattenMetricRow(envelope.data);
    if (id && row) cache.setQueryData<MetricRow[]>(queryKeys.jobs.metrics(id), (rows) => appendMetricRow(rows, row));
  },
  'dataset.created': ({ data }, cache) => upsert<Dataset>(cache, queryKeys.datasets, data as unknown as Dataset),
  'dataset.updated': ({ data }, cache) => upsert<Dataset>(cache, queryKeys.datasets, data as unknown as Dataset),
  'dataset.deleted': ({ data }, cache) => remove(cache, queryKeys.datasets, String(data.id)),
  'dataset.shard_added': ({ data }, cache) => patchDatasetShard(cache, data),
  'model.registered': ({ data }, cache) => upsert<ModelEntry>(cache, queryKeys.models, data as unknown as ModelEntry),
  'model.deployed': ({ data }, cache) => {
    const deployed = data as unknown as ModelEntry & { replaced_model_ids?: string[] };
    // The backend's rule: one deployed model per network. Only the models it names as replaced lose
    // their flag; a model deployed for another network stays deployed.
    const replaced = new Set(deployed.replaced_model_ids ?? []);
    updateLists<ModelEntry>(cache, queryKeys.models.lists(), (page) => ({
      ...page,
      items: page.items.map((m) => {
        if (m.id === deployed.id) return { ...m, ...deployed, deployed: true };
        return replaced.has(m.id) ? { ...m, deployed: false } : m;
      }),
    }));
  },
  'model.updated': ({ data }, cache) => upsert<ModelEntry>(cache, queryKeys.models, data as unknown as ModelEntry),
  'model.undeployed': ({ data }, cache) =>
    upsert<ModelEntry>(cache, queryKeys.models, { ...(data as unknown as ModelEntry), deployed: false }),
  'model.deleted': ({ data }, cache) => remove(cache, queryKeys.models, String(data.id)),
  'receiver.created': ({ data }, cache) => upsert<Receiver>(cache, queryKeys.receivers, data as unknown as Receiver),
  'receiver.updated': ({ data }, cache) => upsert<Receiver>(cache, queryKeys.receivers, data as unknown as Receiver),
  'receiver.deleted': ({ data }, cache) => {
    remove(cache, queryKeys.receivers, String(data.id));
    void cache.invalidateQueries({ queryKey: queryKeys.networks.all }); // networks drop deleted members
  },
  'network.created': ({ data }, cache) => upsert<Network>(cache, queryKeys.networks, data as unknown as Network),
  'network.updated': ({ data }, cache) => upsert<Network>(cache, queryKeys.networks, data as unknown as Network),
  'network.deleted': ({ data }, cache) => remove(cache, queryKeys.networks, String(data.id)),
  // Reference transmitters change rarely and are read in filtered lists: refetch what is shown.
  'reference.created': (_envelope, cache) => void cache.invalidateQueries({ queryKey: queryKeys.references.all }),
  'reference.updated': (_envelope, cache) => void cache.invalidateQueries({ queryKey: queryKeys.references.all }),
  'reference.deleted': (_envelope, cache) => void cache.invalidateQueries({ queryKey: queryKeys.references.all }),
  'calibration.created': (_envelope, cache) => void cache.invalidateQueries({ queryKey: queryKeys.calibrations.all }),
  'calibration.updated': (_envelope, cache) => void cache.invalidateQueries({ queryKey: queryKeys.calibrations.all }),
  'calibration.deleted': (_envelope, cache) => void cache.invalidateQueries({ queryKey: queryKeys.calibrations.all }),
  // Monitors (docs/monitoring.md): the Monitor page's handlers; a deleted monitor leaves the lists.
  'monitor.deleted': (_envelope, cache) => void cache.invalidateQueries({ queryKey: queryKeys.monitors.all }),
  ...monitorHandlers,
  'receiver.health': ({ data }, cache) => {
    const patch = receiverPatch(data);
    if (!patch) return;
    updateLists<Receiver>(cache, queryKeys.receivers.lists(), (page) => ({
      ...page,
      items: page.items.map((r) => (r.id === patch.id ? { ...r, health: patch.health } : r)),
    }));
  },
  'capture.updated': ({ data }, cache) => {
    if (typeof data.id === 'string') upsert<Capture>(cache, queryKeys.captures, data as unknown as Capture);
  },
  'localization.result': ({ data }, cache) => {
    const result = data as unknown as LocalizationResult;
    // A capture's fix: its stored capture now names this localization (refetched, not guessed).
    if (typeof data.capture_id === 'string') void cache.invalidateQueries({ queryKey: queryKeys.captures.detail(data.capture_id) });
    cache.setQueryData<LocalizationResult[]>(queryKeys.localizations.recent(), (old) => {
      const list = old ?? [];
      if (result.id && list.some((r) => r.id === result.id)) return list;
      return [result, ...list].slice(0, RECENT_FIXES);
    });
  },
  'capture.deleted': ({ data }, cache) => remove(cache, queryKeys.captures, String(data.id)),
  // Admins only (docs/security.md); the web app shows no audit view yet.
  'audit.recorded': ignore,
};

function isKnown(event: string): event is EventName {
  return Object.prototype.hasOwnProperty.call(handlers, event);
}

/** Apply one envelope to the cache. Events newer than this client are ignored quietly. */
export function applyEnvelope(envelope: Envelope, cache: QueryClient): boolean {
  if (!isKnown(envelope.event)) return false;
  handlers[envelope.event](envelope, cache);
  return true;
}

/** Wire an event client into a query cache; returns the unwiring function. */
export function connectCache(client: EventClient, cache: QueryClient): () => void {
  return client.addListener((envelope) => applyEnvelope(envelope, cache));
}
