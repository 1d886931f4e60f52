/** Query hooks that several features read (features never import each other). */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo } from 'react';
import { api } from './endpoints';
import { queryKeys } from './queryKeys';
import type { Job, LocalizationResult } from './types';

export function useReceivers() {
  return useQuery({ queryKey: queryKeys.receivers.list(), queryFn: () => api.listReceivers() });
}

export function useCalibrations() {
  return useQuery({ queryKey: queryKeys.calibrations.lists(), queryFn: () => api.listCalibrations() });
}

export function useNetworks() {
  return useQuery({ queryKey: queryKeys.networks.list(), queryFn: () => api.listNetworks() });
}

export function useDatasets() {
  return useQuery({ queryKey: queryKeys.datasets.list(), queryFn: () => api.listDatasets() });
}

/**
 * The later of two snapshots of a job. A REST read that left before a `job.state` event and returns
 * after it would otherwise put the job back in time (e.g. `queued` while its epochs stream in): the
 * event's snapshot wins when it is newer by the server's `updated_at`.
 */
export function laterJob(held: Job | undefined, fetched: Job): Job {
  if (held?.id === fetched.id && held.updated_at && fetched.updated_at && held.updated_at > fetched.updated_at) return held;
  return fetched;
}

export function useJob(id: string | null | undefined) {
  const cache = useQueryClient();
  const key = queryKeys.jobs.detail(id ?? '');
  return useQuery({
    queryKey: key,
    queryFn: async () => {
      const fetched = await api.getJob(id!);
      return laterJob(cache.getQueryData<Job>(key), fetched); // what the cache holds now, not at the start
    },
    enabled: Boolean(id),
  });
}

/** Stored localizations, newest first: REST history merged with live `localization.result` events, once each. */
export function useRecentLocalizations(limit: number) {
  const cache = useQueryClient();
  const history = useQuery({ queryKey: [...queryKeys.localizations.list(), limit], queryFn: () => api.listLocalizations(limit) });
  const live = useQuery({
    queryKey: queryKeys.localizations.recent(),
    queryFn: () => cache.getQueryData<LocalizationResult[]>(queryKeys.localizations.recent()) ?? [],
    staleTime: Infinity,
  });
  const items = useMemo(() => {
    const seen = new Set<string>();
    const merged: LocalizationResult[] = [];
    for (const fix of [...(live.data ?? []), ...(history.data?.items ?? [])]) {
      const key = fix.id ?? `${fix.lat},${fix.lon},${fix.elapsed_ms}`;
      if (seen.has(key)) continue;
      seen.add(key);
      merged.push(fix);
    }
    return merged.slice(0, limit);
  }, [live.data, history.data, limit]);
  return { items, error: history.error, loading: history.isLoading };
}
