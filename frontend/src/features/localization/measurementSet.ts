/** Client-side checks of a pasted measurement set (CONTRACT §4.1) before it is sent. */
import type { LocalizationResult, MeasurementSet } from '../../api/types';
import type { HeatGrid } from '../../components/map';

export const MODALITIES = ['rss', 'tdoa', 'toa', 'aoa'] as const;

export type Parsed = { ok: true; value: MeasurementSet } | { ok: false; error: string };

export function parseMeasurementSet(text: string): Parsed {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (exc) {
    return { ok: false, error: `Not valid JSON: ${(exc as Error).message}` };
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return { ok: false, error: 'Expected a JSON object.' };
  const ms = doc as MeasurementSet;
  if (!(typeof ms.frequency_hz === 'number' && ms.frequency_hz > 0)) return { ok: false, error: 'frequency_hz: a positive number is required.' };
  if (!Array.isArray(ms.receivers) || !ms.receivers.length) return { ok: false, error: 'receivers: at least one receiver is required.' };
  const ids = new Set<string>();
  for (const [i, r] of ms.receivers.entries()) {
    if (typeof r?.id !== 'string' || !r.id) return { ok: false, error: `receivers.${i}.id: a string id is required.` };
    if (!(typeof r.lat === 'number' && Math.abs(r.lat) <= 90)) return { ok: false, error: `receivers.${i}.lat: a latitude from -90 to 90 is required.` };
    if (!(typeof r.lon === 'number' && Math.abs(r.lon) <= 180)) return { ok: false, error: `receivers.${i}.lon: a longitude from -180 to 180 is required.` };
    ids.add(r.id);
  }
  const present = MODALITIES.filter((m) => Array.isArray(ms[m]) && (ms[m] as unknown[]).length);
  if (!present.length) return { ok: false, error: 'At least one of rss, tdoa, toa, aoa is required.' };
  for (const modality of present) {
    for (const [i, entry] of (ms[modality] as { receiver?: string; reference?: string }[]).entries()) {
      if (!entry.receiver || !ids.has(entry.receiver)) return { ok: false, error: `${modality}.${i}.receiver: not one of the receivers.` };
      if (modality === 'tdoa' && (!entry.reference || !ids.has(entry.reference))) {
        return { ok: false, error: `tdoa.${i}.reference: not one of the receivers.` };
      }
    }
  }
  return { ok: true, value: ms };
}

/** The result's posterior as a heat grid, when the server sent one. */
export function posteriorGrid(result: LocalizationResult): HeatGrid | null {
  const p = result.posterior as (Record<string, unknown> | null | undefined);
  if (!p) return null;
  const lat = p.lat as number[] | undefined;
  const lon = p.lon as number[] | undefined;
  const logDensity = (p.log_density as number[][] | undefined)
    ?? (p.density as number[][] | undefined)?.map((row) => row.map((v) => Math.log(v)));
  if (!Array.isArray(lat) || !Array.isArray(lon) || !Array.isArray(logDensity)) return null;
  if (logDensity.length !== lat.length || logDensity.some((row) => row.length !== lon.length)) return null;
  return { lat, lon, values: logDensity, mode: 'density' };
}

export const EXAMPLE = JSON.stringify(
  {
    frequency_hz: 145500000,
    receivers: [
      { id: 'rx0', lat: 45.0, lon: 7.5, alt_m: 300 },
      { id: 'rx1', lat: 45.4497, lon: 7.5, alt_m: 300 },
      { id: 'rx2', lat: 45.2245, lon: 8.0505, alt_m: 300 },
    ],
    aoa: [
      { receiver: 'rx0', bearing_deg: 30.0, sigma_deg: 3.0 },
      { receiver: 'rx1', bearing_deg: 150.0, sigma_deg: 3.0 },
      { receiver: 'rx2', bearing_deg: 250.0, sigma_deg: 3.0 },
    ],
    method: 'auto',
  },
  null,
  2,
);
