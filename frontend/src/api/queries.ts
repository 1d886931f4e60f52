/** Query hooks that several features read (features never import each other). */
import { useQuery } from '@tanstack/react-query';
import { api } from './endpoints';
import { queryKeys } from './queryKeys';

export function useReceivers() {
  return useQuery({ queryKey: queryKeys.receivers.list(), queryFn: () => api.listReceivers() });
}

export function useNetworks() {
  return useQuery({ queryKey: queryKeys.networks.list(), queryFn: () => api.listNetworks() });
}

export function useDatasets() {
  return useQuery({ queryKey: queryKeys.datasets.list(), queryFn: () => api.listDatasets() });
}

export function useJob(id: string | null | undefined) {
  return useQuery({ queryKey: queryKeys.jobs.detail(id ?? ''), queryFn: () => api.getJob(id!), enabled: Boolean(id) });
}
