/**
 * The Monitors API calls (issue 14), beside endpoints.ts until the routes are in the generated
 * OpenAPI document (see monitorTypes.ts). Stop, pause and resume are the job routes (`api.controlJob`).
 */
import { buildUrl, request } from './client';
import type { ExclusionInput, Monitor, MonitorInput, Track, TrackFormat, Transmission } from './monitorTypes';
import type { Job, Page } from './types';

const LIST_LIMIT = 200;
const enc = encodeURIComponent;

export const monitorApi = {
  list: () => request<Page<Monitor>>('GET', '/monitors', { query: { limit: LIST_LIMIT } }),
  get: (id: string) => request<Monitor>('GET', `/monitors/${enc(id)}`),
  create: (body: MonitorInput) => request<{ monitor: Monitor; job: Job }>('POST', '/monitors', { body }),
  remove: (id: string) => request<void>('DELETE', `/monitors/${enc(id)}`),
  tracks: (id: string) => request<Page<Track>>('GET', `/monitors/${enc(id)}/tracks`),
  transmissions: (id: string, limit: number) =>
    request<Page<Transmission>>('GET', `/monitors/${enc(id)}/transmissions`, { query: { limit } }),
  /** Exclude a fix (or one receiver's part of it) with a note; the answer is the recomputed track. */
  exclude: (id: string, body: ExclusionInput) => request<Track>('POST', `/monitors/${enc(id)}/exclusions`, { body }),
};

/** Where a track's export downloads from (a plain link: the browser saves the server's file). */
export function trackExportUrl(monitorId: string, trackId: string, format: TrackFormat): string {
  return buildUrl(`/monitors/${enc(monitorId)}/tracks/${enc(trackId)}.${format}`);
}
