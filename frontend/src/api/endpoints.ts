/**
 * Every REST call the app makes (CONTRACT §2), in one place. When the OpenAPI-generated client lands,
 * only this file and types.ts change.
 */
import { request, type Query } from './client';
import type {
  AccuracyMap, BaseLayerList, Calibration, CreatedDataset, Dataset, DatasetInput, DatasetSample, Health, Job, LocalizationDetail,
  LocalizationResult, MeasurementSet, MetricRow, ModelEntry, Network, NetworkInput, OverlayCollection, Page, Receiver,
  ReceiverInput, RecordingsLocalization, Spectrogram, TrainingInput,
} from './types';

const LIST_LIMIT = 500;
const enc = encodeURIComponent;

export const api = {
  health: () => request<Health>('GET', '/health'),

  listReceivers: (query: Query = {}) => request<Page<Receiver>>('GET', '/receivers', { query: { limit: LIST_LIMIT, ...query } }),
  createReceiver: (body: ReceiverInput) => request<Receiver>('POST', '/receivers', { body }),
  updateReceiver: (id: string, body: Partial<ReceiverInput>) => request<Receiver>('PATCH', `/receivers/${enc(id)}`, { body }),
  deleteReceiver: (id: string) => request<void>('DELETE', `/receivers/${enc(id)}`),
  /** Read the receiver's status page now (kiwisdr/openwebrx with a URL); the receiver with its new health. */
  checkReceiverHealth: (id: string) => request<Receiver>('POST', `/receivers/${enc(id)}/health/check`),
  /** A receiver from its URL alone: the server fills name, position and capabilities from its status page. */
  listCalibrations: () => request<Page<Calibration>>('GET', '/calibrations', { query: { limit: LIST_LIMIT } }),
  createReceiverFromUrl: (body: { kind: 'kiwisdr' | 'openwebrx'; url: string }) => request<Receiver>('POST', '/receivers', { body }),

  listNetworks: () => request<Page<Network>>('GET', '/networks', { query: { limit: LIST_LIMIT } }),
  createNetwork: (body: NetworkInput) => request<Network>('POST', '/networks', { body }),
  updateNetwork: (id: string, body: Partial<NetworkInput>) => request<Network>('PATCH', `/networks/${enc(id)}`, { body }),
  deleteNetwork: (id: string) => request<void>('DELETE', `/networks/${enc(id)}`),
  /** Extension endpoint (not in CONTRACT): the expected-accuracy map of a network. */
  networkAccuracy: (id: string, resolution?: number) =>
    request<AccuracyMap>('GET', `/networks/${enc(id)}/expected-accuracy`, { query: { resolution } }),

  listDatasets: (query: Query = {}) => request<Page<Dataset>>('GET', '/datasets', { query: { limit: LIST_LIMIT, ...query } }),
  // The form's `signal_types` shorthand travels inside `transmitters`, where the simulator's config keeps it.
  createDataset: ({ signal_types, ...rest }: DatasetInput) =>
    request<CreatedDataset>('POST', '/datasets', {
      body: signal_types ? { ...rest, transmitters: { ...(rest.transmitters ?? {}), signal_types } } : rest,
    }),
  deleteDataset: (id: string) => request<void>('DELETE', `/datasets/${enc(id)}`),
  expandDataset: (id: string, numSamples: number) =>
    request<{ dataset?: Dataset; job?: Job }>('POST', `/datasets/${enc(id)}/expand`, { body: { num_samples: numSamples } }),
  /** Extension endpoint (not in CONTRACT): physics checks over the dataset's samples. */
  validateDataset: (id: string) => request<Record<string, unknown>>('POST', `/datasets/${enc(id)}/validate`),
  datasetSamples: (id: string, offset: number, limit: number) =>
    request<Page<DatasetSample>>('GET', `/datasets/${enc(id)}/samples`, { query: { offset, limit } }),
  /** Extension endpoint (not in CONTRACT): one receiver's stored IQ capture of a sample, as a spectrogram. */
  sampleSpectrogram: (id: string, sampleId: string | number, receiver: string, nfft = 256) =>
    request<Spectrogram>('GET', `/datasets/${enc(id)}/samples/${enc(String(sampleId))}/spectrogram`, { query: { receiver, nfft } }),

  listJobs: (query: Query = {}) => request<Page<Job>>('GET', '/jobs', { query: { limit: LIST_LIMIT, ...query } }),
  getJob: (id: string) => request<Job>('GET', `/jobs/${enc(id)}`),
  deleteJob: (id: string) => request<void>('DELETE', `/jobs/${enc(id)}`),
  controlJob: (id: string, action: 'pause' | 'resume' | 'cancel') => request<Job>('POST', `/jobs/${enc(id)}/${action}`),
  jobMetrics: async (id: string) => normaliseMetrics(await request<unknown>('GET', `/jobs/${enc(id)}/metrics`)),
  createTrainingJob: (body: TrainingInput) => request<{ job: Job }>('POST', '/training-jobs', { body }),

  listModels: () => request<Page<ModelEntry>>('GET', '/models', { query: { limit: LIST_LIMIT } }),
  deployModel: (id: string) => request<ModelEntry>('POST', `/models/${enc(id)}/deploy`),
  deleteModel: (id: string) => request<void>('DELETE', `/models/${enc(id)}`),
  /** Extension endpoints (not in CONTRACT): a model as one portable file, and back. */
  exportModel: (id: string) => request<Blob>('GET', `/models/${enc(id)}/export`, { asBlob: true }),
  importModel: (file: Blob) => request<ModelEntry>('POST', '/models/import', { rawBody: file }),

  localize: (body: MeasurementSet, networkId?: string) =>
    request<LocalizationResult>('POST', '/localize', { body, query: { network_id: networkId } }),
  listLocalizations: (limit = 20) => request<Page<LocalizationResult>>('GET', '/localizations', { query: { limit } }),
  getLocalization: (id: string) => request<LocalizationDetail>('GET', `/localizations/${enc(id)}`),
  /** Extension: what each measurement of a stored localization says, as GeoJSON. */
  localizationOverlays: (id: string) => request<OverlayCollection>('GET', `/localizations/${enc(id)}/overlays`),
  /** Extension: locate from recordings (KiwiSDR IQ WAV, SigMF pairs), as `heimdall locate FILE...` does. */
  localizeRecordings: (files: File[], receivers?: string, networkId?: string) => {
    const form = new FormData();
    files.forEach((file) => form.append('recordings', file, file.name));
    if (receivers) form.append('receivers', receivers);
    if (networkId) form.append('network_id', networkId);
    return request<RecordingsLocalization>('POST', '/localize/recordings', { formData: form });
  },

  /** Extension: the base layers this server offers (bundled, tile archives, custom, online). */
  mapLayers: () => request<BaseLayerList>('GET', '/map/layers'),
};

/**
 * The metrics endpoint may answer a list or a page, with rows flat (`{epoch, loss}`) or nested
 * (`{epoch, metrics: {loss}}`); the app works with flat rows sorted by epoch.
 */
export function normaliseMetrics(raw: unknown): MetricRow[] {
  const list = Array.isArray(raw) ? raw : ((raw as { items?: unknown[] })?.items ?? []);
  const rows = list.map((item) => flattenMetricRow(item as Record<string, unknown>)).filter((r): r is MetricRow => r !== null);
  return rows.sort((a, b) => a.epoch - b.epoch);
}

export function flattenMetricRow(item: Record<string, unknown>): MetricRow | null {
  const nested = item.metrics && typeof item.metrics === 'object' ? (item.metrics as Record<string, unknown>) : {};
  const merged: Record<string, unknown> = { ...nested, ...item };
  const epoch = Number(merged.epoch);
  if (!Number.isFinite(epoch)) return null;
  const row: MetricRow = { epoch };
  for (const [key, value] of Object.entries(merged)) {
    if (key !== 'epoch' && typeof value === 'number') row[key] = value;
  }
  return row;
}
