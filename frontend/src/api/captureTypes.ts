/**
 * The captures API (issue 15; CONTRACT §2 rows `POST /captures`, `GET /captures`, `GET/DELETE
 * /captures/{id}`), WRITTEN BY HAND against the shape agreed with the backend while its branch
 * (`captures`) was not merged yet: these routes were not in `openapi.json` when this page was built.
 * After the merge, regenerate (`npm run gen:api`) and derive these names from `generated/openapi.ts`
 * in `types.ts` as the other shapes are; the compiler then shows any drift. Fields the UI copes
 * without are optional.
 */
import type { Job, LocalizationDetail } from './types';

/** A receiver's state in a capture (connecting, waiting for GNSS, recording, outcome). */
export const CAPTURE_RECEIVER_STATES = [
  'pending', 'connecting', 'waiting_gnss', 'recording', 'done', 'failed', 'excluded',
] as const;
export type CaptureReceiverState = (typeof CAPTURE_RECEIVER_STATES)[number];

export interface CaptureReceiver {
  receiver_id: string;
  name: string;
  state: CaptureReceiverState;
  /** Why it failed or was excluded, one line. */
  reason: string | null;
  gnss_ok: boolean;
  seconds_recorded: number;
  snr_db: number | null;
  sample_rate_hz?: number | null;
  has_recording?: boolean;
}

export interface Capture {
  id: string;
  created_at: string;
  network_id: string | null;
  receiver_ids: string[];
  frequency_hz: number;
  passband_hz?: number;
  duration_s: number;
  start_at: string | null;
  job_id: string | null;
  /** Mirrors the job's status. */
  status: Job['status'];
  receivers: CaptureReceiver[];
  used_receiver_ids?: string[];
  excluded?: { receiver_id: string; reason: string }[];
  localization_id?: string | null;
  localization?: LocalizationDetail | null;
  error?: string | null;
}

/** `POST /captures`: either `receiver_ids` or `network_id`. */
export interface CaptureInput {
  receiver_ids?: string[];
  network_id?: string;
  frequency_hz: number;
  duration_s: number;
  passband_hz?: number;
  /** ISO-8601 UTC, in the future and within 1 h. */
  start_at?: string;
  locate?: boolean;
}

export interface CreatedCapture {
  capture: Capture;
  job: Job;
}

/** `POST /captures/plan`: the candidates ranked before a capture. */
export type CapturePlanInput = Pick<CaptureInput, 'receiver_ids' | 'network_id' | 'frequency_hz'>;

export interface CapturePlanReceiver {
  receiver_id: string;
  name: string;
  score: number;
  gnss_ok: boolean;
  free_slots: number | null;
  reasons: string[];
}

export interface CapturePlan {
  receivers: CapturePlanReceiver[];
  expected_error_m: number | null;
  warnings: string[];
}

/** One receiver's live state in `job.progress` of a capture job (`progress.receivers[<receiver_id>]`). */
export interface CaptureProgressReceiver {
  state?: CaptureReceiverState;
  reason?: string | null;
  gnss_ok?: boolean;
  seconds_recorded?: number;
  snr_db?: number | null;
}

/** `POST /captures/{id}/locate`: the options `POST /localize` accepts (method, propagation, ...). */
export interface CaptureLocateInput {
  options: Record<string, unknown>;
}

/** `GET /captures/{id}/receivers/{receiver_id}/spectrogram`: the dataset sample spectrogram's shape. */
export interface CaptureSpectrogram {
  time_s: number[];
  frequency_hz: number[];
  power_db: number[][];
  sample_rate_hz?: number;
  nfft?: number;
  hop?: number;
  start_time_s?: number;
}
