/**
 * The app's names for the REST shapes (CONTRACT.md §2–4), derived from the backend's OpenAPI document.
 *
 * `generated/openapi.ts` is generated (`npm run gen:api`) from `openapi.json`, which the backend writes
 * (`python -m heimdall.api.openapi_export`); a pytest fails when either is stale. Every shape the
 * backend describes with a schema is taken from there, so a renamed or retyped field breaks
 * `npm run typecheck` instead of the running app. Two kinds of adjustment are made, each marked:
 *  - loosened: fields the UI copes without are optional (it also renders events and older servers);
 *  - narrowed: a few numbers the backend types as nullable (non-finite values become null) are
 *    treated as numbers where the UI draws them.
 * Hand-written types remain only where the backend has no schema: routes that answer a free-form
 * object (health, jobs, metrics, dataset samples), the measurement set `POST /localize` takes as a
 * plain JSON object, and the event envelopes (src/events/types.ts).
 */
import type { components } from './generated/openapi';

/**
 * The schemas, each without the `[key: string]: unknown` that `extra="allow"` models add: Pick/Omit
 * over an index signature would lose every named field.
 */
type Schemas = { [S in keyof components['schemas']]: Known<components['schemas'][S]> };
type Known<T> = { [K in keyof T as string extends K ? never : number extends K ? never : K]: T[K] };
/** T with the keys K required and every other key optional. */
type Loose<T, K extends keyof T> = Required<Pick<T, K>> & Partial<Omit<T, K>>;
/** T with the keys K required (the app always sends them). */
type With<T, K extends keyof T> = Omit<T, K> & Required<Pick<T, K>>;

export interface Page<T> {
  items: T[];
  total: number;
}

/** The one error shape of every 4xx/5xx answer (the backend documents none: FastAPI's default is overridden). */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** `GET /health` answers a free-form object (no schema). */
export interface Health {
  status: string;
  version: string;
  components: Record<string, unknown>;
}

// ---- receivers and networks -------------------------------------------------------------------

export type ReceiverKind = Schemas['Receiver']['kind'];
export type Capability = Schemas['Receiver']['capabilities'][number];
export type Timing = Schemas['Receiver']['timing'];
// The forms need the values at run time; `satisfies` plus the exhaustiveness checks below keep these
// lists equal to the backend's enums.
export const RECEIVER_KINDS = ['kiwisdr', 'openwebrx', 'websdr', 'sdr', 'kraken', 'simulated'] as const satisfies readonly ReceiverKind[];
export const CAPABILITIES = ['rss', 'tdoa', 'aoa'] as const satisfies readonly Capability[];
export const TIMINGS = ['gnss', 'none'] as const satisfies readonly Timing[];

/** `POST /receivers`; the form always sends every field it shows. */
export type ReceiverInput = With<Schemas['ReceiverCreate'], 'alt_m' | 'capabilities' | 'timing' | 'enabled'>;
export type Receiver = Loose<Schemas['Receiver'], 'id' | 'name' | 'kind' | 'lat' | 'lon' | 'alt_m' | 'capabilities' | 'timing' | 'enabled'>;

export type NetworkInput = With<Schemas['NetworkCreate'], 'receiver_ids'>;
export type Network = Loose<Schemas['Network'], 'id' | 'name' | 'receiver_ids'>;

/** `GET /networks/{id}/expected-accuracy`: `rms_error_m[i][j]` at lat[i], lon[j]; null where not locatable. */
export type AccuracyMap = Schemas['AccuracyMap'];
export type Calibration = Schemas['Calibration'];

// ---- jobs (free-form objects on the backend: no schema) ----------------------------------------

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

export type RealismLevel = NonNullable<Schemas['DatasetCreate']['realism']>;
export const REALISM_LEVELS = ['ideal', 'hardware', 'channel'] as const satisfies readonly RealismLevel[];
/** The simulator's signal types (docs/simulator.md); `transmitters` is a free-form object in the schema. */
export const SIGNAL_TYPES = ['nbfm_voice', 'nbfm_ctcss', 'carrier', 'cw', 'fsk4'] as const;
export type SignalType = (typeof SIGNAL_TYPES)[number];

/**
 * `POST /datasets`. `signal_types` is the form's shorthand for `transmitters.signal_types`
 * (probabilities summing to 1): the backend refuses it at the top level, so the request must carry
 * it inside `transmitters` (see docs/e2e.md, known gaps).
 */
export type DatasetInput = Schemas['DatasetCreate'] & {
  signal_types?: Partial<Record<SignalType, number>>;
};

export type Dataset = Loose<Schemas['Dataset'], 'id' | 'name'>;

/** One sample of `GET /datasets/{id}/samples` (a free-form object on the backend). */
export interface DatasetSample {
  sample_id: string | number;
  truth?: { lat: number; lon: number; alt_m?: number; eirp_dbm?: number; signal_type?: string };
  measurement_set?: MeasurementSet;
  snr_db?: Record<string, number>;
  gdop?: number;
  /** Present only in IQ-level datasets: what the stored captures hold (one per receiver). */
  iq?: SampleIq;
}

export interface SampleIq {
  sample_rate_hz: number;
  samples_per_capture: number;
  captures: { receiver: string; start_time_s: number; power_dbfs: number; power_dbm?: number }[];
}

/** `GET /datasets/{id}/samples/{sample_id}/spectrogram`: power (dB) over `time_s` x `frequency_hz`. */
export type Spectrogram = Schemas['Spectrogram'];

export type CreatedDataset = Omit<Schemas['DatasetWithJob'], 'dataset' | 'job'> & { dataset: Dataset; job: Job };

// ---- training and models ----------------------------------------------------------------------

export type TrainingInput = Schemas['TrainingJobCreate'];

/** A registered model; narrowed: `metrics` holds numbers (the comparison table formats them). */
export type ModelEntry = Loose<Omit<Schemas['RegisteredModel'], 'metrics'>, 'id' | 'name'> & {
  metrics?: Record<string, number>;
};

// ---- measurement sets and results (CONTRACT §4) -----------------------------------------------

/** `POST /localize` takes a plain JSON object validated by the backend's parser: no schema. */
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

/** Narrowed: the map draws these numbers. */
export type Ellipse = Pick<Schemas['Ellipse'], 'confidence'> & {
  [K in 'semi_major_m' | 'semi_minor_m' | 'orientation_deg']: NonNullable<Schemas['Ellipse'][K]>;
};

/** Coarse posterior grid (an extra of a result, not in the schema); `log_density[i][j]` at lat[i], lon[j]. */
export interface PosteriorGrid {
  lat: number[];
  lon: number[];
  log_density: number[][];
}

type ResultSchema = Schemas['LocalizationResult'];
/**
 * CONTRACT §4.2 result. Loosened: `id`/`created_at` are absent from results not (yet) stored; narrowed:
 * position, ellipses and counts as the map and result view draw them; `modes` and `posterior` are
 * extras the backend's model allows but does not describe.
 */
export type LocalizationResult = Partial<Pick<ResultSchema, 'id' | 'created_at' | 'network_id'>> &
  Pick<ResultSchema, 'method'> & {
    lat: number;
    lon: number;
    alt_m: NonNullable<ResultSchema['alt_m']> | null;
    covariance_enu_m2: [[number, number], [number, number]];
    ellipses: Ellipse[];
    used: { rss: number; tdoa: number; toa: number; aoa: number };
    outliers: NonNullable<ResultSchema['outliers']>;
    gdop: NonNullable<ResultSchema['gdop']> | null;
    elapsed_ms: number;
    modes?: { lat: number; lon: number; weight: number }[];
    posterior?: PosteriorGrid | null;
  };

/** `GET /localizations/{id}`: the stored result with the measurement set it answered. */
export type LocalizationDetail = LocalizationResult & { request: MeasurementSet };

/** `POST /localize/recordings`: the stored result plus what the recordings pipeline measured. */
export type RecordingsLocalization = LocalizationResult & {
  recordings: { reference?: string; receivers?: Record<string, unknown>[]; pairs?: Record<string, unknown>[] };
};

// ---- the map ----------------------------------------------------------------------------------

/** One base layer the server offers (`GET /map/layers`): bundled, a tile archive, custom or online. */
export type BaseLayer = Schemas['BaseLayer'];
export type BaseLayerList = Schemas['BaseLayerList'];

/** Properties of a `GET /localizations/{id}/overlays` feature (heimdall.locate.overlays). */
export interface OverlayProperties {
  kind: 'bearing' | 'bearing_wedge' | 'tdoa' | 'tdoa_band' | 'rss_circle' | 'rss_band' | 'toa_circle' | 'toa_band' | 'receiver';
  receiver: string;
  reference?: string;
  outlier: boolean;
  reason: string | null;
  label: string;
  residual_sigma?: number;
  [extra: string]: unknown;
}
export type OverlayCollection = GeoJSON.FeatureCollection<GeoJSON.Geometry, OverlayProperties>;

// ---- compile-time checks that the hand-kept lists match the backend's enums ---------------------

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Check<T extends true> = T;
/** Exported only so the compiler evaluates (and the linter keeps) them; fails to compile on drift. */
export type GeneratedEnumChecks = [
  Check<Same<(typeof RECEIVER_KINDS)[number], ReceiverKind>>,
  Check<Same<(typeof CAPABILITIES)[number], Capability>>,
  Check<Same<(typeof TIMINGS)[number], Timing>>,
  Check<Same<(typeof REALISM_LEVELS)[number], RealismLevel>>,
  Check<Same<Schemas['ReceiverPage'], Page<Schemas['Receiver']>>>,
  Check<Same<Schemas['NetworkPage'], Page<Schemas['Network']>>>,
];
