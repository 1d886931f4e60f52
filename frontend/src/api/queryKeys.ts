/** Query keys shared by the pages (readers) and the event client's cache updates (writers). */
import type { Query } from './client';

export const queryKeys = {
  jobs: {
    all: ['jobs'] as const,
    lists: () => ['jobs', 'list'] as const,
    list: (params: Query = {}) => ['jobs', 'list', params] as const,
    detail: (id: string) => ['jobs', 'detail', id] as const,
    metrics: (id: string) => ['jobs', 'metrics', id] as const,
  },
  datasets: {
    all: ['datasets'] as const,
    lists: () => ['datasets', 'list'] as const,
    list: (params: Query = {}) => ['datasets', 'list', params] as const,
    detail: (id: string) => ['datasets', 'detail', id] as const,
    samples: (id: string, offset: number, limit: number) => ['datasets', 'samples', id, offset, limit] as const,
    spectrogram: (id: string, sampleId: string | number, receiver: string, nfft: number) =>
      ['datasets', 'spectrogram', id, String(sampleId), receiver, nfft] as const,
  },
  models: {
    all: ['models'] as const,
    lists: () => ['models', 'list'] as const,
    list: (params: Query = {}) => ['models', 'list', params] as const,
    detail: (id: string) => ['models', 'detail', id] as const,
  },
  receivers: {
    all: ['receivers'] as const,
    lists: () => ['receivers', 'list'] as const,
    list: (params: Query = {}) => ['receivers', 'list', params] as const,
    detail: (id: string) => ['receivers', 'detail', id] as const,
  },
  networks: {
    all: ['networks'] as const,
    lists: () => ['networks', 'list'] as const,
    list: () => ['networks', 'list'] as const,
    detail: (id: string) => ['networks', 'detail', id] as const,
    accuracy: (id: string, resolution = 64) => ['networks', 'accuracy', id, resolution] as const,
  },
  calibrations: {
    all: ['calibrations'] as const,
    lists: () => ['calibrations', 'list'] as const,
  },
  references: {
    all: ['references'] as const,
    lists: () => ['references', 'list'] as const,
    detail: (id: string) => ['references', 'detail', id] as const,
  },
  localizations: {
    all: ['localizations'] as const,
    recent: () => ['localizations', 'recent'] as const,
    list: () => ['localizations', 'list'] as const,
    detail: (id: string) => ['localizations', 'detail', id] as const,
    overlays: (id: string) => ['localizations', 'overlays', id] as const,
  },
  map: {
    layers: () => ['map', 'layers'] as const,
  },
};
