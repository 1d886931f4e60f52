import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { laterJob } from '../api/queries';
import { queryKeys } from '../api/queryKeys';
import type { Job, MetricRow, ModelEntry, Page, Receiver } from '../api/types';
import { envelope, FakeWebSocket, flushMicrotasks, makeClient } from '../test/fakeSocket';
import { testQueryClient } from '../test/render';
import { appendMetricRow, applyEnvelope, connectCache, handlers, keysForTopic, matchesFilters } from './cacheSync';
import { LOGGED_EVENTS, SYSTEM_EVENTS } from './types';

const job = (id: string, status: Job['status'], extra: Partial<Job> = {}): Job => ({ id, kind: 'train', status, ...extra });
const page = <T,>(items: T[]): Page<T> => ({ items, total: items.length });

let warn: ReturnType<typeof vi.spyOn>;
beforeEach(() => {
  FakeWebSocket.reset();
  warn = vi.spyOn(console, 'warn');
});
afterEach(() => expect(warn).not.toHaveBeenCalled());

describe('every event of CONTRACT §3 has a handler', () => {
  it('covers exactly the system and logged events', () => {
    expect(Object.keys(handlers).sort()).toEqual([...SYSTEM_EVENTS, ...LOGGED_EVENTS].sort());
  });

  it.each([...SYSTEM_EVENTS, ...LOGGED_EVENTS])('handles %s without complaint', (name) => {
    const cache = testQueryClient();
    cache.setQueryData(queryKeys.jobs.list(), page([job('a', 'running')]));
    cache.setQueryData(queryKeys.receivers.list(), page<Receiver>([]));
    const data = { id: 'a', epoch: 1, status: 'running', receiver_id: 'a', lat: 45, lon: 7, ellipses: [] };
    expect(applyEnvelope(envelope(name.includes('.') ? 1 : null, name, name.startsWith('job') ? 'job:a' : 'system', data), cache)).toBe(true);
  });

  it('ignores events it does not know, quietly', () => {
    expect(applyEnvelope(envelope(1, 'capture.started', 'captures'), testQueryClient())).toBe(false);
  });
});

describe('jobs', () => {
  it('adds created jobs to matching lists and updates state everywhere', () => {
    const cache = testQueryClient();
    cache.setQueryData(queryKeys.jobs.list(), page([job('a', 'running')]));
    cache.setQueryData(queryKeys.jobs.list({ status: 'running' }), page([job('a', 'running')]));
    cache.setQueryData(queryKeys.jobs.detail('a'), job('a', 'running'));
    applyEnvelope(envelope(1, 'job.created', 'job:b', { ...job('b', 'queued') }), cache);
    expect(cache.getQueryData<Page<Job>>(queryKeys.jobs.list())?.items.map((j) => j.id)).toEqual(['b', 'a']);
    expect(cache.getQueryData<Page<Job>>(queryKeys.jobs.list({ status: 'running' }))?.items.map((j) => j.id)).toEqual(['a']);

    applyEnvelope(envelope(2, 'job.state', 'job:a', { ...job('a', 'paused'), previous_status: 'pausing', reason: 'user' }), cache);
    expect(cache.getQueryData<Job>(queryKeys.jobs.detail('a'))?.status).toBe('paused');
    expect(cache.getQueryData<Page<Job>>(queryKeys.jobs.list())?.items[1].status).toBe('paused');
    expect(cache.getQueryData<Page<Job>>(queryKeys.jobs.list({ status: 'running' }))).toEqual({ items: [], total: 0 });
  });

  it('patches progress and removes deleted jobs', () => {
    const cache = testQueryClient();
    cache.setQueryData(queryKeys.jobs.list(), page([job('a', 'running'), job('b', 'completed')]));
    cache.setQueryData(queryKeys.jobs.detail('a'), job('a', 'running'));
    applyEnvelope(envelope(3, 'job.progress', 'job:a', { phase: 'train', step: 5, total: 10, percent: 50 }), cache);
    expect(cache.getQueryData<Job>(queryKeys.jobs.detail('a'))?.progress?.percent).toBe(50);
    applyEnvelope(envelope(4, 'job.deleted', 'job:b', { id: 'b' }), cache);
    expect(cache.getQueryData<Page<Job>>(queryKeys.jobs.list())).toEqual({ items: [job('a', 'running', { progress: { phase: 'train', step: 5, total: 10, percent: 50 } })], total: 1 });
  });

  it('does not create a detail entry from an event (the REST fetch must still happen)', () => {
    const cache = testQueryClient();
    applyEnvelope(envelope(1, 'job.state', 'job:z', { ...job('z', 'running') }), cache);
    applyEnvelope(envelope(2, 'job.metrics', 'job:z', { epoch: 1, train_loss: 1 }), cache);
    expect(cache.getQueryData(queryKeys.jobs.detail('z'))).toBeUndefined();
    expect(cache.getQueryData(queryKeys.jobs.metrics('z'))).toBeUndefined();
  });

  it('keeps a job.state that lands while the first read of the page is in flight (it cannot go back in time)', async () => {
    const cache = testQueryClient();
    let answer: (job: Job) => void = () => undefined;
    const stale = job('y', 'queued', { updated_at: '2026-12-03T19:00:00.000Z' });
    const read = cache.fetchQuery({
      queryKey: queryKeys.jobs.detail('y'),
      queryFn: async () => {
        const fetched = await new Promise<Job>((r) => { answer = r; });
        return laterJob(cache.getQueryData<Job>(queryKeys.jobs.detail('y')), fetched);
      },
    });
    applyEnvelope(envelope(1, 'job.state', 'job:y', { ...job('y', 'running', { updated_at: '2026-12-03T19:00:01.000Z' }), previous_status: 'queued' }), cache);
    answer(stale);
    await read;
    expect(cache.getQueryData<Job>(queryKeys.jobs.detail('y'))?.status).toBe('running');
  });
});

describe('metrics series', () => {
  it('appends each epoch once, through the event client, even when events are replayed', async () => {
    const cache = testQueryClient();
    const client = makeClient();
    connectCache(client, cache);
    client.start();
    FakeWebSocket.last.open();
    await flushMicrotasks();
    cache.setQueryData<MetricRow[]>(queryKeys.jobs.metrics('a'), [{ epoch: 1, train_loss: 2 }]);
    const socket = FakeWebSocket.last;
    socket.receive(envelope(10, 'job.metrics', 'job:a', { epoch: 1, train_loss: 2 })); // already fetched over REST
    socket.receive(envelope(11, 'job.metrics', 'job:a', { epoch: 2, train_loss: 1.5, lr: 1e-3 }));
    socket.receive(envelope(11, 'job.metrics', 'job:a', { epoch: 2, train_loss: 1.5, lr: 1e-3 })); // same id again
    socket.receive(envelope(12, 'job.metrics', 'job:a', { epoch: 2, train_loss: 1.5 })); // replayed epoch, new id
    socket.receive(envelope(13, 'job.metrics', 'job:a', { epoch: 3, metrics: { train_loss: 1.2 } }));
    expect(cache.getQueryData<MetricRow[]>(queryKeys.jobs.metrics('a'))).toEqual([
      { epoch: 1, train_loss: 2 }, { epoch: 2, train_loss: 1.5, lr: 1e-3 }, { epoch: 3, train_loss: 1.2 },
    ]);
    client.close();
  });

  it('keeps epochs ordered when one arrives late', () => {
    const rows = appendMetricRow([{ epoch: 1 }, { epoch: 3 }], { epoch: 2 });
    expect(rows?.map((r) => r.epoch)).toEqual([1, 2, 3]);
  });
});

describe('other resources', () => {
  it('moves the deployed flag to the newly deployed model', () => {
    const cache = testQueryClient();
    const models: ModelEntry[] = [{ id: 'm1', name: 'one', deployed: true }, { id: 'm2', name: 'two', deployed: false }];
    cache.setQueryData(queryKeys.models.list(), page(models));
    applyEnvelope(envelope(1, 'model.deployed', 'models', { id: 'm2', name: 'two', replaced_model_ids: ['m1'] }), cache);
    expect(cache.getQueryData<Page<ModelEntry>>(queryKeys.models.list())?.items.map((m) => m.deployed)).toEqual([false, true]);
  });

  it('applies the one-deployed-model-per-network rule: only the replaced models lose the flag', () => {
    const cache = testQueryClient();
    const models: ModelEntry[] = [
      { id: 'north', name: 'north', deployed: true }, { id: 'south', name: 'south', deployed: true },
      { id: 'north2', name: 'north2', deployed: false },
    ];
    cache.setQueryData(queryKeys.models.list(), page(models));
    applyEnvelope(envelope(1, 'model.deployed', 'models', { id: 'north2', name: 'north2', replaced_model_ids: ['north'] }), cache);
    const flags = () => cache.getQueryData<Page<ModelEntry>>(queryKeys.models.list())?.items.map((m) => [m.id, m.deployed]);
    expect(flags()).toEqual([['north', false], ['south', true], ['north2', true]]);
    applyEnvelope(envelope(2, 'model.undeployed', 'models', { id: 'south', name: 'south' }), cache);
    applyEnvelope(envelope(3, 'model.updated', 'models', { id: 'north2', name: 'renamed', deployed: true }), cache);
    expect(flags()).toEqual([['north', false], ['south', false], ['north2', true]]);
    expect(cache.getQueryData<Page<ModelEntry>>(queryKeys.models.list())?.items[2].name).toBe('renamed');
  });

  it('keeps receivers, their health and datasets current', () => {
    const cache = testQueryClient();
    const rx: Receiver = { id: 'r1', name: 'rx', kind: 'kiwisdr', lat: 45, lon: 7, alt_m: 0, capabilities: ['rss'], timing: 'none', enabled: true };
    cache.setQueryData(queryKeys.receivers.list(), page([rx]));
    cache.setQueryData(queryKeys.datasets.list(), page([{ id: 'd1', name: 'ds' }]));
    applyEnvelope(envelope(1, 'receiver.health', 'receivers', { receiver_id: 'r1', online: false }), cache);
    expect(cache.getQueryData<Page<Receiver>>(queryKeys.receivers.list())?.items[0].health).toEqual({ receiver_id: 'r1', online: false });
    applyEnvelope(envelope(2, 'receiver.deleted', 'receivers', { id: 'r1' }), cache);
    expect(cache.getQueryData<Page<Receiver>>(queryKeys.receivers.list())?.total).toBe(0);
    applyEnvelope(envelope(3, 'dataset.updated', 'datasets', { id: 'd1', name: 'ds', num_samples: 500 }), cache);
    expect(cache.getQueryData<Page<{ num_samples?: number }>>(queryKeys.datasets.list())?.items[0].num_samples).toBe(500);
    applyEnvelope(envelope(4, 'localization.result', 'localizations', { id: 'L1', lat: 45, lon: 7 }), cache);
    applyEnvelope(envelope(5, 'localization.result', 'localizations', { id: 'L1', lat: 45, lon: 7 }), cache);
    expect(cache.getQueryData<unknown[]>(queryKeys.localizations.recent())).toHaveLength(1);
  });

  it('applies a committed shard to cached datasets without creating any, once', () => {
    const cache = testQueryClient();
    const shard0 = { key: 'k0', start_index: 0, count: 64 };
    const shard1 = { key: 'k1', start_index: 64, count: 64 };
    cache.setQueryData(queryKeys.datasets.list(), page([{ id: 'd1', name: 'ds', num_samples: 64, shards: [shard0] }]));
    cache.setQueryData(queryKeys.datasets.detail('d1'), { id: 'd1', name: 'ds', num_samples: 64, shards: [shard0] });
    const added = envelope(7, 'dataset.shard_added', 'datasets', { id: 'd1', num_samples: 128, num_shards: 2, bytes: 9, shard: shard1 });
    applyEnvelope(added, cache);
    applyEnvelope(added, cache); // a replay of the same event
    const detail = cache.getQueryData<{ num_samples: number; shards: unknown[]; bytes: number }>(queryKeys.datasets.detail('d1'));
    expect(detail?.num_samples).toBe(128);
    expect(detail?.bytes).toBe(9);
    expect(detail?.shards).toEqual([shard0, shard1]);
    expect(cache.getQueryData<Page<{ num_samples?: number }>>(queryKeys.datasets.list())?.items[0].num_samples).toBe(128);
    applyEnvelope(envelope(8, 'dataset.shard_added', 'datasets', { id: 'd2', num_samples: 64, shard: shard0 }), cache);
    expect(cache.getQueryData(queryKeys.datasets.detail('d2'))).toBeUndefined();
    expect(cache.getQueryData<Page<unknown>>(queryKeys.datasets.list())?.total).toBe(1);
  });

  it('invalidates what a resync names', () => {
    const cache = testQueryClient();
    cache.setQueryData(queryKeys.jobs.metrics('a'), []);
    cache.setQueryData(queryKeys.datasets.list(), page([]));
    applyEnvelope(envelope(null, 'resync', 'job:a'), cache);
    expect(cache.getQueryState(queryKeys.jobs.metrics('a'))?.isInvalidated).toBe(true);
    expect(cache.getQueryState(queryKeys.datasets.list())?.isInvalidated).toBe(false);
    expect(keysForTopic('datasets')).toEqual([queryKeys.datasets.all]);
  });

  it('matches list filters but not paging', () => {
    expect(matchesFilters({ kind: 'train', status: 'running' }, { kind: 'train', limit: 10, offset: 0 })).toBe(true);
    expect(matchesFilters({ kind: 'dataset' }, { kind: 'train' })).toBe(false);
  });
});

describe('captures (topic `captures`)', () => {
  it('upserts a capture.updated into cached lists and details, and refetches a capture whose fix arrives', () => {
    const cache = testQueryClient();
    const capture = (id: string, status: Job['status']) => ({ id, status, job_id: `j-${id}`, receivers: [] });
    cache.setQueryData(queryKeys.captures.list(), page([capture('c0', 'completed')]));
    cache.setQueryData(queryKeys.captures.detail('c1'), capture('c1', 'queued'));
    applyEnvelope(envelope(1, 'capture.updated', 'captures', capture('c1', 'running')), cache);
    expect(cache.getQueryData<Page<{ id: string }>>(queryKeys.captures.list())?.items.map((c) => c.id)).toEqual(['c1', 'c0']);
    expect(cache.getQueryData<{ status: string }>(queryKeys.captures.detail('c1'))?.status).toBe('running');
    expect(cache.getQueryData(queryKeys.captures.detail('c2'))).toBeUndefined();

    applyEnvelope(envelope(2, 'localization.result', 'localizations', { id: 'L1', capture_id: 'c1', lat: 50, lon: 9, ellipses: [] }), cache);
    expect(cache.getQueryState(queryKeys.captures.detail('c1'))?.isInvalidated).toBe(true);
    expect(keysForTopic('captures')).toEqual([queryKeys.captures.all]);
  });
});
