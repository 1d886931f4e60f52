/**
 * The Capture page's pure logic (tested without a browser): frequency text, the form's validation and
 * request body, a KiwiSDR's health in words, and each receiver's live state merged from the capture
 * and its job's `job.progress`.
 */
import type { Capture, CaptureInput, CaptureProgressReceiver, CaptureReceiver, CaptureReceiverState } from '../../api/captureTypes';
import type { Job, Receiver } from '../../api/types';
import { toNumber } from '../../components/useSubmit';

const MULTIPLIERS: Record<string, number> = { '': 1, k: 1e3, m: 1e6, g: 1e9 };

/**
 * "77.5k", "7.1M", "14.074 MHz", "198 kHz", "7100000" -> hertz; `null` when it is no frequency.
 * The unit letter is case-insensitive (no radio is tuned in millihertz, so "m" means mega).
 */
export function parseFrequency(text: string): number | null {
  const match = /^\s*(\d+(?:\.\d*)?|\.\d+)(?:e([+-]?\d+))?\s*([kmg]?)(?:hz)?\s*$/i.exec(text);
  if (!match) return null;
  const value = Number(`${match[1]}${match[2] !== undefined ? `e${match[2]}` : ''}`) * MULTIPLIERS[match[3].toLowerCase()];
  return Number.isFinite(value) && value > 0 ? value : null;
}

export interface CaptureForm {
  /** `''`: the receivers ticked below; else a network's id. */
  networkId: string;
  receiverIds: string[];
  frequency: string;
  durationS: string;
  passbandHz: string;
  /** A `datetime-local` value (the browser's local time), or `''` for "as soon as possible". */
  startAt: string;
  locate: boolean;
}

export const EMPTY_FORM: CaptureForm = {
  networkId: '', receiverIds: [], frequency: '', durationS: '10', passbandHz: '', startAt: '', locate: true,
};

/** The fields a server error may name (`receiver_ids`, `network_id` and `receivers` show beside the receivers). */
export const FORM_FIELDS = ['receivers', 'receiver_ids', 'network_id', 'frequency_hz', 'duration_s', 'passband_hz', 'start_at'] as const;

const START_WINDOW_MS = 3600_000;

function validateStart(startAt: string, now: number): string | null {
  if (!startAt) return null;
  const at = new Date(startAt).getTime();
  if (!Number.isFinite(at)) return 'A date and time, or empty to start at once.';
  if (at <= now) return 'The start must be in the future (or empty to start at once).';
  if (at > now + START_WINDOW_MS) return 'The start may be at most 1 hour ahead.';
  return null;
}

/** Client-side checks for Plan (`forPlan`: receivers and frequency only) and Start. */
export function validateForm(form: CaptureForm, options: { forPlan?: boolean; now?: number } = {}): Record<string, string> {
  const errors: Record<string, string> = {};
  if (!form.networkId && form.receiverIds.length === 0) errors.receivers = 'Choose receivers (tick them or click them on the map), or a network.';
  if (!form.frequency.trim()) errors.frequency_hz = 'A frequency, e.g. 77.5k or 7.1M.';
  else if (parseFrequency(form.frequency) === null) errors.frequency_hz = 'Not a frequency: write e.g. 77.5k, 7.1M or 14074000 (Hz).';
  if (options.forPlan) return errors;
  const duration = toNumber(form.durationS);
  if (!(duration > 0)) errors.duration_s = 'A duration above 0 s.';
  if (form.passbandHz.trim() && !(toNumber(form.passbandHz) > 0)) errors.passband_hz = 'A passband above 0 Hz, or empty for the default.';
  const start = validateStart(form.startAt, options.now ?? Date.now());
  if (start) errors.start_at = start;
  return errors;
}

function target(form: CaptureForm): Pick<CaptureInput, 'receiver_ids' | 'network_id'> {
  return form.networkId ? { network_id: form.networkId } : { receiver_ids: form.receiverIds };
}

export function planBody(form: CaptureForm) {
  return { ...target(form), frequency_hz: parseFrequency(form.frequency) ?? Number.NaN };
}

/** The `POST /captures` body of a valid form: SI units, UTC start time, defaults left to the server. */
export function captureBody(form: CaptureForm): CaptureInput {
  const body: CaptureInput = { ...planBody(form), duration_s: toNumber(form.durationS), locate: form.locate };
  if (form.passbandHz.trim()) body.passband_hz = toNumber(form.passbandHz);
  if (form.startAt) body.start_at = new Date(form.startAt).toISOString();
  return body;
}

export interface KiwiHealth {
  gnss: string;
  users: string;
  /** Can it take one more user without taking its last free slot? `null`: unknown. */
  roomy: boolean | null;
}

function numberOf(report: Record<string, unknown>, ...keys: string[]): number | null {
  for (const key of keys) {
    const value = report[key];
    if (typeof value === 'number' && Number.isFinite(value)) return value;
    if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  }
  return null;
}

function gnssText(report: Record<string, unknown>): string {
  const fit = report.gnss_ok_for_tdoa ?? report.gnss_ok;
  const fix = report.gnss_fix ?? report.gps_fix;
  const satellites = numberOf(report, 'gps_good', 'gnss_good');
  const fixes = numberOf(report, 'fixes_min', 'fixes', 'gnss_fixes');
  const parts: string[] = [];
  if (typeof fit === 'boolean') parts.push(fit ? 'good for TDoA' : 'not good for TDoA');
  else if (typeof fix === 'boolean') parts.push(fix ? 'fix' : 'no fix');
  if (satellites !== null) parts.push(`${satellites} satellites`);
  if (fixes !== null) parts.push(`${fixes} fixes${report.fixes_min !== undefined && report.fixes_min !== null ? '/min' : ''}`);
  return parts.length ? parts.join(', ') : 'unknown';
}

/**
 * What a receiver's `health` report (the KiwiSDR `/status` poll: `users`, `users_max`, `free_slots`,
 * `gnss_ok_for_tdoa`, `gps_good`, `fixes`...) says about GNSS and users, "unknown" where it says nothing.
 */
export function kiwiHealth(receiver: Pick<Receiver, 'health'>): KiwiHealth {
  const report = (receiver.health ?? {}) as Record<string, unknown>;
  const users = numberOf(report, 'users');
  const max = numberOf(report, 'users_max');
  const usersText = users !== null && max !== null ? `${users} / ${max}` : users !== null ? `${users} / unknown` : 'unknown';
  const free = numberOf(report, 'free_slots') ?? (users !== null && max !== null ? max - users : null);
  return { gnss: gnssText(report), users: usersText, roomy: free === null ? null : free >= 2 };
}

export const ACTIVE_STATUSES: readonly Job['status'][] = ['queued', 'running', 'pausing', 'paused', 'cancelling'];

export function isActive(status: Job['status'] | undefined): boolean {
  return status !== undefined && ACTIVE_STATUSES.includes(status);
}

/** The per-receiver map of a capture job's progress (`progress.receivers`, or nested once more under `progress`). */
export function progressReceivers(progress: unknown): Record<string, CaptureProgressReceiver> {
  if (!progress || typeof progress !== 'object') return {};
  const direct = (progress as { receivers?: unknown }).receivers;
  if (direct && typeof direct === 'object') return direct as Record<string, CaptureProgressReceiver>;
  return progressReceivers((progress as { progress?: unknown }).progress);
}

export function progressPhase(progress: unknown): string | null {
  if (!progress || typeof progress !== 'object') return null;
  const nested = (progress as { progress?: { phase?: unknown } }).progress;
  const phase = nested?.phase ?? (progress as { phase?: unknown }).phase;
  return typeof phase === 'string' && phase ? phase : null;
}

const FINAL_STATES: readonly CaptureReceiverState[] = ['done', 'failed', 'excluded'];

/**
 * Each receiver of a capture as shown live: the capture's own record, overridden by the job's latest
 * progress while the capture has not settled that receiver (a stored final outcome wins).
 */
export function liveReceivers(capture: Capture, job: Job | undefined): CaptureReceiver[] {
  const live = progressReceivers(job?.progress);
  const rows = capture.receivers.map((r) => {
    const p = live[r.receiver_id];
    if (!p || FINAL_STATES.includes(r.state)) return r;
    return { ...r, ...Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)) } as CaptureReceiver;
  });
  const known = new Set(rows.map((r) => r.receiver_id));
  for (const [id, p] of Object.entries(live)) {
    if (known.has(id)) continue;
    rows.push({ receiver_id: id, name: id, state: p.state ?? 'pending', reason: p.reason ?? null, gnss_ok: Boolean(p.gnss_ok),
      seconds_recorded: p.seconds_recorded ?? 0, snr_db: p.snr_db ?? null });
  }
  return rows;
}

export interface Verdict {
  receiverId: string;
  name: string;
  verdict: 'used' | 'excluded' | 'failed' | 'outlier' | 'not used';
  reason: string | null;
}

/** Which receivers the fix used, and which it did not and why (capture exclusions, failures, estimator outliers). */
export function verdicts(capture: Capture, outlierReasons: Record<string, string>): Verdict[] {
  const used = new Set(capture.used_receiver_ids ?? []);
  const excluded = new Map((capture.excluded ?? []).map((e) => [e.receiver_id, e.reason]));
  const outliers = new Set(capture.localization?.outliers ?? []);
  return capture.receivers.map((r) => {
    const base = { receiverId: r.receiver_id, name: r.name };
    const outlierReason = outlierReasons[r.name] ?? outlierReasons[r.receiver_id];
    if (excluded.has(r.receiver_id)) return { ...base, verdict: 'excluded', reason: excluded.get(r.receiver_id) ?? r.reason };
    if (r.state === 'failed') return { ...base, verdict: 'failed', reason: r.reason };
    if (outliers.has(r.name) || outliers.has(r.receiver_id)) return { ...base, verdict: 'outlier', reason: outlierReason ?? 'rejected by the estimator' };
    if (used.has(r.receiver_id)) return { ...base, verdict: 'used', reason: null };
    return { ...base, verdict: r.state === 'excluded' ? 'excluded' : 'not used', reason: r.reason };
  });
}

/** "77.5 kHz", "7.1 MHz", "14.074 MHz": as the frequency was written, without padding zeros. */
export function frequencyText(hz: number): string {
  const [scale, unit] = hz >= 1e9 ? [1e9, 'GHz'] : hz >= 1e6 ? [1e6, 'MHz'] : hz >= 1e3 ? [1e3, 'kHz'] : [1, 'Hz'];
  return `${Number((hz / scale).toPrecision(10))} ${unit}`;
}

/** Seconds to a tenth, without padding zeros ("4 s", "12.5 s"). */
export function secondsText(seconds: number): string {
  return `${Number(seconds.toFixed(1))} s`;
}
