/**
 * What the map's layers draw, as plain GeoJSON built from the app's data (pure functions, tested
 * without a browser): fixes with their 68/95 % ellipses, tracks, receivers with their health.
 */
import type { Ellipse, Receiver } from '../../api/types';
import { formatEllipse, formatPosition } from '../format';
import { ellipseRing } from './geo';
import type { Health } from './theme';

export interface MapReceiver {
  id: string;
  name: string;
  lat: number;
  lon: number;
  health: Health;
  /** Why it has this health, in words (tooltip). */
  status: string;
  outlier?: boolean;
  reason?: string | null;
  selected?: boolean;
}

export interface MapFix {
  key: string;
  lat: number;
  lon: number;
  ellipses: Ellipse[];
  label?: string;
  latest?: boolean;
}

/**
 * A KiwiSDR `/status` poll (`reachable`, `offline`, `free_slots`, `gnss_ok_for_tdoa`, ...; no `status`
 * field) as a state: unreachable or offline is down; no free slot or GNSS unfit for TDoA is degraded.
 */
function kiwiState(report: Record<string, unknown>): { state: string; reason?: string } | null {
  if (!('reachable' in report) && !('gnss_ok_for_tdoa' in report) && !('users_max' in report)) return null;
  if (report.reachable === false) return { state: 'unreachable' };
  if (report.offline === true) return { state: 'down', reason: 'offline' };
  if (report.free_slots === 0) return { state: 'busy', reason: 'no free slot' };
  if (report.gnss_ok_for_tdoa === false) return { state: 'degraded', reason: 'GNSS not good for TDoA' };
  return { state: 'ok' };
}

/**
 * A receiver's health from what the server knows: disabled beats everything; then the last health
 * report (`receiver.health`): a failed or refused connection is down, a retryable refusal or a late
 * report is degraded, anything reporting fine is ok; no report yet is unknown.
 */
export function receiverHealth(receiver: Pick<Receiver, 'enabled' | 'health'>, now = Date.now()): { health: Health; status: string } {
  if (receiver.enabled === false) return { health: 'disabled', status: 'disabled' };
  const report = receiver.health as Record<string, unknown> | null | undefined;
  if (!report) return { health: 'unknown', status: 'no health report yet' };
  const kiwi = kiwiState(report);
  const state = String(report.status ?? report.state ?? kiwi?.state ?? '').toLowerCase();
  const reason = report.reason ? ` (${String(report.reason)})` : kiwi?.reason ? ` (${kiwi.reason})` : '';
  const checked = Date.parse(String(report.checked_at ?? report.updated_at ?? ''));
  if (['failed', 'down', 'unreachable', 'error'].includes(state)) return { health: 'down', status: `${state}${reason}` };
  if (['degraded', 'busy', 'too_busy', 'gnss_lost', 'warning'].includes(state) || (reason && state !== 'ok')) {
    return { health: 'degraded', status: `${state || 'degraded'}${reason}` };
  }
  if (Number.isFinite(checked) && now - checked > 15 * 60_000) return { health: 'degraded', status: `${state || 'ok'}, last report over 15 min ago` };
  if (['ok', 'healthy', 'connected', 'streaming', 'online', 'up'].includes(state)) return { health: 'ok', status: state };
  return { health: 'unknown', status: state || 'unrecognised health report' };
}

export function toMapReceiver(r: Receiver): MapReceiver {
  return { id: r.id, name: r.name, lat: r.lat, lon: r.lon, ...receiverHealth(r) };
}

export function fixFeatures(fixes: MapFix[]): GeoJSON.FeatureCollection {
  const features: GeoJSON.Feature[] = [];
  for (const fix of fixes) {
    for (const e of [...fix.ellipses].sort((a, b) => b.confidence - a.confidence)) {
      const confidence = Math.round(e.confidence * 100);
      features.push({
        type: 'Feature', geometry: { type: 'Polygon', coordinates: [ellipseRing(fix.lat, fix.lon, e)] },
        properties: { kind: 'ellipse', confidence, fix: fix.key, latest: Boolean(fix.latest),
          label: `${confidence} % region: ${formatEllipse(e)}` },
      });
    }
    features.push({
      type: 'Feature', geometry: { type: 'Point', coordinates: [fix.lon, fix.lat] },
      properties: { kind: 'fix', fix: fix.key, latest: Boolean(fix.latest), label: fix.label ?? formatPosition(fix.lat, fix.lon) },
    });
  }
  return { type: 'FeatureCollection', features };
}

/** A track: the fixes joined in time order, each with its ellipses. */
export function trackFeatures(fixes: MapFix[]): GeoJSON.FeatureCollection {
  const line: GeoJSON.Feature[] = fixes.length >= 2
    ? [{ type: 'Feature', geometry: { type: 'LineString', coordinates: fixes.map((f) => [f.lon, f.lat]) },
        properties: { kind: 'track', label: `track of ${fixes.length} fixes` } }]
    : [];
  return { type: 'FeatureCollection', features: [...line, ...fixFeatures(fixes).features] };
}

export function receiverFeatures(receivers: MapReceiver[]): GeoJSON.FeatureCollection {
  return {
    type: 'FeatureCollection',
    features: receivers.map((r) => ({
      type: 'Feature', geometry: { type: 'Point', coordinates: [r.lon, r.lat] },
      properties: { kind: 'receiver', receiver: r.id, name: r.name, health: r.health, status: r.status,
        outlier: Boolean(r.outlier), reason: r.reason ?? null, label: r.name },
    })),
  };
}

export function boundsOfFeatures(collections: (GeoJSON.FeatureCollection | null | undefined)[]): [number, number, number, number] | null {
  let w = Infinity; let s = Infinity; let e = -Infinity; let n = -Infinity;
  const visit = (c: unknown): void => {
    if (Array.isArray(c) && typeof c[0] === 'number') {
      w = Math.min(w, c[0] as number); e = Math.max(e, c[0] as number);
      s = Math.min(s, c[1] as number); n = Math.max(n, c[1] as number);
    } else if (Array.isArray(c)) c.forEach(visit);
  };
  for (const collection of collections) {
    for (const f of collection?.features ?? []) if (f.geometry && 'coordinates' in f.geometry) visit(f.geometry.coordinates);
  }
  return Number.isFinite(w) ? [w, s, e, n] : null;
}
