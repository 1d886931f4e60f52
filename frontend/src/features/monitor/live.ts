/**
 * What the Monitor page keeps from the live events of topic `monitor:<id>` (pure functions): the latest
 * level per channel and receiver (`monitor.level`) and recent bearings (`monitor.bearing`). Neither
 * has a REST history: they are the watch's pulse, shown while the page is open.
 */
import type { BearingEvent, LevelEvent, LevelReading } from '../../api/monitorTypes';
import type { MapBearing } from '../../components/map';

export interface LevelState {
  /** frequency_hz -> receiver_id -> its latest reading and when it arrived (ms). */
  [frequencyHz: number]: Record<string, LevelReading & { atMs: number }>;
}

/** How many bearings are kept (all stations together), and for how long. */
export const MAX_BEARINGS = 300;
export const KEEP_BEARINGS_S = 600;

function isReading(r: unknown): r is LevelReading {
  const x = r as LevelReading;
  return Boolean(x) && typeof x.receiver_id === 'string' && typeof x.level_db === 'number' && Number.isFinite(x.level_db);
}

/** Merge one batch of readings; malformed readings are skipped, never shown as numbers they are not. */
export function applyLevels(state: LevelState, event: LevelEvent, nowMs: number): LevelState {
  if (typeof event.frequency_hz !== 'number' || !Array.isArray(event.readings)) return state;
  const channel = { ...(state[event.frequency_hz] ?? {}) };
  for (const reading of event.readings.filter(isReading)) {
    channel[reading.receiver_id] = { ...reading, detecting: Boolean(reading.detecting), atMs: nowMs };
  }
  return { ...state, [event.frequency_hz]: channel };
}

/** ISO 8601 or epoch seconds (or ms) -> ms; NaN when neither. */
export function timeMs(time: string | number | null | undefined): number {
  if (typeof time === 'number') return time > 1e12 ? time : time * 1000;
  return typeof time === 'string' ? Date.parse(time) : Number.NaN;
}

export function toMapBearing(event: BearingEvent, fallbackName?: string): MapBearing | null {
  const at = timeMs(event.time);
  const numbers = [event.lat, event.lon, event.bearing_deg, event.sigma_deg];
  if (typeof event.receiver_id !== 'string' || !Number.isFinite(at) || !numbers.every((n) => typeof n === 'number' && Number.isFinite(n))) return null;
  return {
    key: `${event.receiver_id}@${at}`, receiverId: event.receiver_id,
    station: event.station ?? event.name ?? fallbackName ?? event.receiver_id,
    lat: event.lat, lon: event.lon, bearingDeg: event.bearing_deg, sigmaDeg: event.sigma_deg, timeMs: at,
  };
}

/** Add a bearing (once), dropping those older than KEEP_BEARINGS_S before the newest and beyond MAX_BEARINGS. */
export function addBearing(list: MapBearing[], bearing: MapBearing): MapBearing[] {
  if (list.some((b) => b.key === bearing.key)) return list;
  const newest = Math.max(bearing.timeMs, ...list.map((b) => b.timeMs));
  const kept = [...list, bearing].filter((b) => newest - b.timeMs <= KEEP_BEARINGS_S * 1000);
  return kept.length > MAX_BEARINGS ? kept.slice(kept.length - MAX_BEARINGS) : kept;
}
