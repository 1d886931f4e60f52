/**
 * Live bearing lines (KrakenSDR stations on the Monitor page) as GeoJSON: each line leaves its
 * station's position at that moment along the bearing, labelled with the station, and fades with
 * age until it is dropped. Pure, so the fading is tested without a map.
 */
import { formatAngle } from '../format';
import { destinationPoint } from './geo';

export interface MapBearing {
  key: string;
  receiverId: string;
  station: string;
  lat: number;
  lon: number;
  bearingDeg: number;
  sigmaDeg: number;
  /** When it was measured (ms since the epoch). */
  timeMs: number;
}

export interface BearingStyle {
  /** Bearings older than this are not drawn; younger ones fade linearly from opaque to `minOpacity`. */
  fadeS: number;
  minOpacity: number;
  lengthM: number;
  /** Points along the great circle (a long line on Web Mercator is curved). */
  segments: number;
}

export const DEFAULT_BEARING_STYLE: BearingStyle = { fadeS: 120, minOpacity: 0.15, lengthM: 50_000, segments: 16 };

/** Opacity of a bearing `ageS` old: 1 when new, `minOpacity` at `fadeS`, null (not drawn) beyond. */
export function bearingOpacity(ageS: number, style: BearingStyle = DEFAULT_BEARING_STYLE): number | null {
  if (ageS > style.fadeS) return null;
  const t = Math.max(0, ageS) / style.fadeS;
  return 1 - (1 - style.minOpacity) * t;
}

export function bearingLine(b: MapBearing, style: BearingStyle): [number, number][] {
  const line: [number, number][] = [[b.lon, b.lat]];
  for (let i = 1; i <= style.segments; i += 1) {
    const [lat, lon] = destinationPoint(b.lat, b.lon, b.bearingDeg, (style.lengthM * i) / style.segments);
    line.push([lon, lat]);
  }
  return line;
}

function ageText(ageS: number): string {
  return ageS < 1 ? 'just now' : `${Math.round(ageS)} s ago`;
}

/** The lines at `nowMs`, oldest first so the newest draw on top; `newest` marks each station's latest. */
export function bearingFeatures(bearings: MapBearing[], nowMs: number, style: BearingStyle = DEFAULT_BEARING_STYLE): GeoJSON.FeatureCollection {
  const newest = new Map<string, MapBearing>();
  for (const b of bearings) if ((newest.get(b.receiverId)?.timeMs ?? -Infinity) <= b.timeMs) newest.set(b.receiverId, b);
  const features: GeoJSON.Feature[] = [];
  for (const b of [...bearings].sort((x, y) => x.timeMs - y.timeMs)) {
    const ageS = (nowMs - b.timeMs) / 1000;
    const opacity = bearingOpacity(ageS, style);
    if (opacity === null) continue;
    features.push({
      type: 'Feature', geometry: { type: 'LineString', coordinates: bearingLine(b, style) },
      properties: { kind: 'bearing', key: b.key, receiver: b.receiverId, station: b.station, opacity,
        newest: newest.get(b.receiverId) === b, age_s: ageS,
        label: `${b.station}: bearing ${formatAngle(b.bearingDeg)} ± ${formatAngle(b.sigmaDeg)} (${ageText(ageS)})` },
    });
  }
  return { type: 'FeatureCollection', features };
}
