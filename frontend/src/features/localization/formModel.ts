/**
 * The Localize form as data: one row per receiver of the chosen network, each with what it measured
 * (a bearing, a received power, an arrival time or a time difference against another receiver) in
 * the units people use, turned into a measurement set (CONTRACT §4.1, SI units) and back: a server
 * error naming `aoa[1].sigma_deg` lands beside the sigma field of the receiver that produced it.
 */
import type { MeasurementSet, Receiver } from '../../api/types';

export type Kind = 'none' | 'aoa' | 'rss' | 'toa' | 'tdoa';
export type Method = 'auto' | 'classical' | 'neural';

export interface Row {
  kind: Kind;
  value: string;
  sigma: string;
  reference: string;
}

export interface FormState {
  frequencyMhz: string;
  method: Method;
  rows: Record<string, Row>;
}

interface KindSpec {
  label: string;
  value: string;
  valueUnit: string;
  sigmaUnit: string;
  /** Multiplier from the form's unit to SI (µs -> s). */
  valueScale: number;
  sigmaScale: number;
  defaultSigma: string;
}

export const KINDS: Record<Exclude<Kind, 'none'>, KindSpec> = {
  aoa: { label: 'bearing', value: 'bearing (clockwise from true north)', valueUnit: '°', sigmaUnit: '°', valueScale: 1, sigmaScale: 1, defaultSigma: '3' },
  rss: { label: 'power', value: 'received power', valueUnit: 'dBm', sigmaUnit: 'dB', valueScale: 1, sigmaScale: 1, defaultSigma: '8' },
  toa: { label: 'arrival time', value: 'arrival time on the common (GNSS) clock', valueUnit: 'µs', sigmaUnit: 'ns', valueScale: 1e-6, sigmaScale: 1e-9, defaultSigma: '145' },
  tdoa: { label: 'time difference', value: 'arrival here minus at the reference', valueUnit: 'µs', sigmaUnit: 'ns', valueScale: 1e-6, sigmaScale: 1e-9, defaultSigma: '205' },
};

export const emptyRow = (): Row => ({ kind: 'none', value: '', sigma: '', reference: '' });

/** The first thing a receiver can measure (a DF receiver measures bearings). */
export function defaultKind(receiver: Pick<Receiver, 'capabilities'>): Exclude<Kind, 'none'> {
  const capabilities = receiver.capabilities ?? [];
  if (capabilities.includes('aoa')) return 'aoa';
  if (capabilities.includes('rss')) return 'rss';
  return 'tdoa';
}

export function withKind(row: Row, kind: Kind): Row {
  if (kind === 'none') return { ...row, kind };
  const keepSigma = row.kind === kind && row.sigma;
  return { ...row, kind, sigma: keepSigma ? row.sigma : KINDS[kind].defaultSigma };
}

export const fieldName = (receiverId: string, part: 'kind' | 'value' | 'sigma' | 'reference') => `row-${receiverId}-${part}`;

const number = (text: string) => (text.trim() === '' ? Number.NaN : Number(text));

/** Client-side checks, by field name; empty when the form may be sent. */
export function validate(state: FormState, receivers: Receiver[]): Record<string, string> {
  const errors: Record<string, string> = {};
  const frequency = number(state.frequencyMhz);
  if (!(frequency > 0)) errors.frequency = 'A frequency above 0 MHz is required.';
  const active = receivers.filter((r) => (state.rows[r.id]?.kind ?? 'none') !== 'none');
  if (!active.length) errors.rows = 'Enter what at least one receiver measured (or pick receivers on the map).';
  for (const r of active) {
    const row = state.rows[r.id];
    const value = number(row.value);
    const sigma = number(row.sigma);
    if (!Number.isFinite(value)) errors[fieldName(r.id, 'value')] = 'A number is required.';
    else if (row.kind === 'aoa' && !(value >= 0 && value < 360)) errors[fieldName(r.id, 'value')] = 'A bearing from 0 to 360°.';
    if (!(sigma > 0)) errors[fieldName(r.id, 'sigma')] = 'A positive uncertainty is required.';
    if (row.kind === 'tdoa' && (!row.reference || row.reference === r.id)) {
      errors[fieldName(r.id, 'reference')] = 'Pick the other receiver of the pair.';
    }
  }
  return errors;
}

/** Where each entry of the built set came from: `aoa[1]` -> receiver id. */
export type Origins = Record<string, string>;

export function buildMeasurementSet(state: FormState, receivers: Receiver[]): { ms: MeasurementSet; origins: Origins } {
  const byId = new Map(receivers.map((r) => [r.id, r]));
  const used = new Set<string>();
  const ms: MeasurementSet = { frequency_hz: number(state.frequencyMhz) * 1e6, receivers: [], method: state.method };
  const origins: Origins = {};
  const push = (modality: 'aoa' | 'rss' | 'toa' | 'tdoa', entry: Record<string, unknown>, receiverId: string) => {
    const list = (ms[modality] ??= []) as Record<string, unknown>[];
    origins[`${modality}[${list.length}]`] = receiverId;
    list.push(entry);
  };
  for (const r of receivers) {
    const row = state.rows[r.id];
    if (!row || row.kind === 'none') continue;
    const spec = KINDS[row.kind];
    const value = number(row.value) * spec.valueScale;
    const sigma = number(row.sigma) * spec.sigmaScale;
    used.add(r.id);
    if (row.kind === 'aoa') push('aoa', { receiver: r.name, bearing_deg: value, sigma_deg: sigma }, r.id);
    if (row.kind === 'rss') push('rss', { receiver: r.name, power_dbm: value, sigma_db: sigma }, r.id);
    if (row.kind === 'toa') push('toa', { receiver: r.name, toa_s: value, sigma_s: sigma }, r.id);
    if (row.kind === 'tdoa') {
      used.add(row.reference);
      push('tdoa', { receiver: r.name, reference: byId.get(row.reference)?.name ?? row.reference, tdoa_s: value, sigma_s: sigma }, r.id);
    }
  }
  ms.receivers = receivers.filter((r) => used.has(r.id)).map((r) => ({ id: r.name, lat: r.lat, lon: r.lon, alt_m: r.alt_m }));
  return { ms, origins };
}

const SUBFIELDS: Record<string, 'value' | 'sigma' | 'reference' | 'kind'> = {
  bearing_deg: 'value', power_dbm: 'value', toa_s: 'value', tdoa_s: 'value',
  sigma_deg: 'sigma', sigma_db: 'sigma', sigma_s: 'sigma', reference: 'reference', receiver: 'kind',
};

/**
 * The form field a server error names: `aoa[1].sigma_deg` (or `aoa.1.sigma_deg`) -> that row's sigma;
 * `frequency_hz` -> frequency; `receivers[...]` -> the row list; anything else: null (shown under the form).
 */
export function formFieldOf(serverField: string, origins: Origins): string | null {
  const path = serverField.replace(/^body\./, '').replace(/\.(\d+)/g, '[$1]');
  if (path === 'frequency_hz') return 'frequency';
  if (path === 'method') return 'method';
  if (path.startsWith('receivers') || path === 'network_id') return 'rows';
  const match = /^(aoa|rss|toa|tdoa)\[(\d+)\](?:\.(\w+))?/.exec(path);
  if (!match) return /^(aoa|rss|toa|tdoa)$/.test(path) ? 'rows' : null;
  const receiverId = origins[`${match[1]}[${match[2]}]`];
  if (!receiverId) return 'rows';
  return fieldName(receiverId, SUBFIELDS[match[3] ?? ''] ?? 'value');
}
