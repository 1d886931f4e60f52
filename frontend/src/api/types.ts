/**
 * Hand-written API types (CONTRACT.md §2–4).
 *
 * Temporary: these will be replaced by types generated from the backend's OpenAPI document
 * (ARCHITECTURE principle 6). Keep every REST shape here and nowhere else so the switch is one file.
 * Fields marked optional are ones the contract does not pin down; the UI copes when they are absent.
 */

export interface Page<T> {
  items: T[];
  total: number;
}

/** The one error shape of every 4xx/5xx answer. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export interface Health {
  status: string;
  version: string;
  components: Record<string, unknown>;
}

// ---- receivers and networks -------------------------------------------------------------------

export const RECEIVER_KINDS = ['kiwisdr', 'openwebrx', 'websdr', 'sdr', 'kraken', 'simulated'] as const;
export type ReceiverKind = (typeof RECEIVER_KINDS)[number];
export const CAPABILITIES = ['rss', 'tdoa', 'aoa'] as const;
export type Capability = (typeof CAPABILITIES)[number];
export const TIMINGS = ['gnss', 'none'] as const;
export type Timing = (typeof TIMINGS)[number];

export interface ReceiverInput {
  name: string;
  kind: ReceiverKind;
  url?: string | null;
  lat: number;
  lon: number;
  alt_m: number;
  capabilities: Capability[];
  timing: Timing;
  enabled: boolean;
}

export interface Receiver extends ReceiverInput {
  id: string;
  health?: Record<string, unknown> | null;
  created_at?: string;
  updated_at?: string;
}

export interface NetworkInput {
  name: string;
  description?: string;
  receiver_ids: string[];
}

export interface Network extends NetworkInput {
  id: string;
  receivers?: Receiver[];
  created_at?: string;
  updated_at?: string;
}

/** Expected-accuracy grid (extension endpoint, see docs/frontend.md). `rms_error_m[i][j]` is at lat[i], lon[j]. */
export interface AccuracyMap {
  lat: number[];
  lon: number[];
  /** null where the position is not identifiable from the network. */
  rms_error_m: (number | null)[][];
}

// ---- jobs ---------------------------------------------------------------------------------------

export const JOB_STATUSES = [
  'queued', 'running', 'pausing', 'paused', 'cancelling', 'cancelled', 'completed', 'failed',
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export interface JobProgress {
  phase?: string;
  step?: number;
  total?: number;
  percent?: number;
  eta_s?: number | null;
  message?: string;
}

export interface Job {
  id: string;
  kind: string;
  name?: string | null;
  status: JobStatus;
  params?: Record<string, unknown>;
  progress?: JobProgress | null;
  result?: Record<string, unknown> | null;
  error?: string | null;
  reason?: string | null;
  created_at?: string;
  started_at?: string | null;
  updated_at?: string;
  finished_at?: string | null;
}

/** One epoch of training metrics, flattened: `{epoch, train_loss, val_loss, ...}`. */
export interface MetricRow {
  epoch: number;
  [metric: string]: number;
}

// ---- datasets -----------------------------------------------------------------------------------

export const REALISM_LEVELS = ['ideal', 'hardware', 'channel'] as const;
export type RealismLevel = (typeof REALISM_LEVELS)[number];
export const SIGNAL_TYPES = ['nbfm_voice', 'nbfm_ctcss', 'carrier', 'cw', 'fsk4'] as const;
export type SignalType = (typeof SIGNAL_TYPES)[number];

export interface DatasetInput {
  name: string;
  network_id: string;
  num_samples: number;
  seed?: number;
  frequency_hz?: number;
  realism?: RealismLevel;
  /** Probability of each signal type; they sum to 1. */
  signal_types?: Partial<Record<SignalType, number>>;
}

export interface Dataset {
  id: string;
  name: string;
  network_id?: string;
  num_samples?: number;
  status?: string;
  job_id?: string | null;
  config?: Record<string, unknown>;
  statistics?: Record<string, unknown> | null;
  created_at?: string;
  updated_at?: string;
}

export interface DatasetSample {
  sample_id: string | number;
  truth?: { lat: number; lon: number; alt_m?: number; eirp_dbm?: number; signal_type?: string };
  measurement_set?: MeasurementSet;
  snr_db?: Record<string, number>;
  gdop?: number;
}

export interface CreatedDataset {
  dataset: Dataset;
  job: Job;
}

// ---- training and models ----------------------------------------------------------------------

export interface TrainingInput {
  name: string;
  dataset_ids: string[];
  epochs?: number;
  batch_size?: number;
  learning_rate?: number;
  seed?: number;
}

export interface ModelEntry {
  id: string;
  name: string;
  deployed?: boolean;
  job_id?: string | null;
  dataset_ids?: string[];
  metrics?: Record<string, number>;
  created_at?: string;
}

// ---- measurement sets and results (CONTRACT §4) -----------------------------------------------

export interface MeasurementSet {
  frequency_hz: number;
  receivers: { id: string; lat: number; lon: number; alt_m?: number }[];
  rss?: { receiver: string; power_dbm: number; sigma_db: number }[];
  tdoa?: { receiver: string; reference: string; tdoa_s: number; sigma_s: number }[];
  toa?: { receiver: string; toa_s: number; sigma_s: number }[];
  aoa?: { receiver: string; bearing_deg: number; sigma_deg: number }[];
  propagation?: Record<string, unknown>;
  search_area?: { lat_min: number; lat_max: number; lon_min: number; lon_max: number };
  method?: 'auto' | 'classical' | 'neural';
  [extra: string]: unknown;
}

export interface Ellipse {
  confidence: number;
  semi_major_m: number;
  semi_minor_m: number;
  orientation_deg: number;
}

/** Coarse posterior grid (optional extra of a result); `log_density[i][j]` at lat[i], lon[j]. */
export interface PosteriorGrid {
  lat: number[];
  lon: number[];
  log_density: number[][];
}

export interface LocalizationResult {
  id?: string;
  lat: number;
  lon: number;
  alt_m: number | null;
  covariance_enu_m2: [[number, number], [number, number]];
  ellipses: Ellipse[];
  method: string;
  used: { rss: number; tdoa: number; toa: number; aoa: number };
  outliers: string[];
  gdop: number | null;
  elapsed_ms: number;
  modes?: { lat: number; lon: number; weight: number }[];
  posterior?: PosteriorGrid | null;
  created_at?: string;
}
