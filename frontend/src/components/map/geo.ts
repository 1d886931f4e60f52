/**
 * Small-area geodesy for drawing: local east/north offsets in metres <-> lat/lon on WGS84, and
 * uncertainty ellipses as lat/lon rings. Good to well under a pixel for regions of a few hundred km.
 */
import type { Ellipse } from '../../api/types';

const WGS84_A_M = 6_378_137;
const WGS84_E2 = 6.69437999014e-3;
const DEG = Math.PI / 180;

/** Metres per degree of latitude (north) and of longitude (east) at a latitude. */
export function metresPerDegree(latDeg: number): { north: number; east: number } {
  const s = Math.sin(latDeg * DEG);
  const w = Math.sqrt(1 - WGS84_E2 * s * s);
  const meridianRadiusM = (WGS84_A_M * (1 - WGS84_E2)) / (w * w * w);
  const normalRadiusM = WGS84_A_M / w;
  return { north: meridianRadiusM * DEG, east: normalRadiusM * Math.cos(latDeg * DEG) * DEG };
}

export function offsetToLatLon(latDeg: number, lonDeg: number, eastM: number, northM: number): [number, number] {
  const m = metresPerDegree(latDeg);
  return [latDeg + northM / m.north, lonDeg + eastM / m.east];
}

/**
 * The ellipse as a closed ring of [lon, lat] points. `orientation_deg` is the major axis, clockwise
 * from north, so the major-axis unit vector in (east, north) is (sin θ, cos θ).
 */
export function ellipseRing(latDeg: number, lonDeg: number, ellipse: Ellipse, points = 72): [number, number][] {
  const theta = ellipse.orientation_deg * DEG;
  const major = [Math.sin(theta), Math.cos(theta)];
  const minor = [Math.cos(theta), -Math.sin(theta)];
  const ring: [number, number][] = [];
  for (let i = 0; i <= points; i += 1) {
    const t = (2 * Math.PI * i) / points;
    const a = ellipse.semi_major_m * Math.cos(t);
    const b = ellipse.semi_minor_m * Math.sin(t);
    const [lat, lon] = offsetToLatLon(latDeg, lonDeg, a * major[0] + b * minor[0], a * major[1] + b * minor[1]);
    ring.push([lon, lat]);
  }
  return ring;
}

export interface Bounds {
  latMin: number;
  latMax: number;
  lonMin: number;
  lonMax: number;
}

export function boundsOf(points: [number, number][]): Bounds | null {
  if (!points.length) return null;
  const lons = points.map((p) => p[0]);
  const lats = points.map((p) => p[1]);
  return { lonMin: Math.min(...lons), lonMax: Math.max(...lons), latMin: Math.min(...lats), latMax: Math.max(...lats) };
}

/** Cell edges of a regular grid given its centres (heat maps). */
export function cellEdges(centres: number[]): number[] {
  if (centres.length === 1) return [centres[0] - 0.5, centres[0] + 0.5];
  const edges = [centres[0] - (centres[1] - centres[0]) / 2];
  for (let i = 1; i < centres.length; i += 1) edges.push((centres[i - 1] + centres[i]) / 2);
  edges.push(centres[centres.length - 1] + (centres[centres.length - 1] - centres[centres.length - 2]) / 2);
  return edges;
}
