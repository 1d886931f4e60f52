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

const WGS84_F = 1 / 298.257223563;
const WGS84_B_M = WGS84_A_M * (1 - WGS84_F);

/**
 * Distance along the WGS84 ellipsoid between two points (Vincenty's inverse formula, millimetre
 * accuracy; nearly antipodal points that do not converge fall back to the mean-sphere distance).
 */
export function geodesicDistanceM(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const u1 = Math.atan((1 - WGS84_F) * Math.tan(lat1 * DEG));
  const u2 = Math.atan((1 - WGS84_F) * Math.tan(lat2 * DEG));
  const l = (lon2 - lon1) * DEG;
  const [sinU1, cosU1, sinU2, cosU2] = [Math.sin(u1), Math.cos(u1), Math.sin(u2), Math.cos(u2)];
  let lambda = l;
  for (let i = 0; i < 200; i += 1) {
    const sinLambda = Math.sin(lambda);
    const cosLambda = Math.cos(lambda);
    const sinSigma = Math.hypot(cosU2 * sinLambda, cosU1 * sinU2 - sinU1 * cosU2 * cosLambda);
    if (sinSigma === 0) return 0;
    const cosSigma = sinU1 * sinU2 + cosU1 * cosU2 * cosLambda;
    const sigma = Math.atan2(sinSigma, cosSigma);
    const sinAlpha = (cosU1 * cosU2 * sinLambda) / sinSigma;
    const cos2Alpha = 1 - sinAlpha * sinAlpha;
    const cos2SigmaM = cos2Alpha === 0 ? 0 : cosSigma - (2 * sinU1 * sinU2) / cos2Alpha;
    const c = (WGS84_F / 16) * cos2Alpha * (4 + WGS84_F * (4 - 3 * cos2Alpha));
    const previous = lambda;
    lambda = l + (1 - c) * WGS84_F * sinAlpha * (sigma + c * sinSigma * (cos2SigmaM + c * cosSigma * (-1 + 2 * cos2SigmaM ** 2)));
    if (Math.abs(lambda - previous) < 1e-12) {
      const uSq = (cos2Alpha * (WGS84_A_M ** 2 - WGS84_B_M ** 2)) / WGS84_B_M ** 2;
      const a = 1 + (uSq / 16384) * (4096 + uSq * (-768 + uSq * (320 - 175 * uSq)));
      const b = (uSq / 1024) * (256 + uSq * (-128 + uSq * (74 - 47 * uSq)));
      const deltaSigma = b * sinSigma * (cos2SigmaM + (b / 4) * (cosSigma * (-1 + 2 * cos2SigmaM ** 2)
        - (b / 6) * cos2SigmaM * (-3 + 4 * sinSigma ** 2) * (-3 + 4 * cos2SigmaM ** 2)));
      return WGS84_B_M * a * (sigma - deltaSigma);
    }
  }
  const h = Math.sin(((lat2 - lat1) * DEG) / 2) ** 2 + Math.cos(lat1 * DEG) * Math.cos(lat2 * DEG) * Math.sin(l / 2) ** 2;
  return 2 * 6_371_008.8 * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Length of a path of [lon, lat] points along the ellipsoid. */
export function pathLengthM(points: [number, number][]): number {
  let total = 0;
  for (let i = 1; i < points.length; i += 1) {
    total += geodesicDistanceM(points[i - 1][1], points[i - 1][0], points[i][1], points[i][0]);
  }
  return total;
}

const MEAN_EARTH_RADIUS_M = 6_371_008.8;

/**
 * The point `distanceM` from (lat, lon) along the great circle leaving at `bearingDeg` (clockwise from
 * north), on the mean sphere: drawing a bearing line, where 0.3 % of radius error is far below a pixel.
 */
export function destinationPoint(latDeg: number, lonDeg: number, bearingDeg: number, distanceM: number): [number, number] {
  const delta = distanceM / MEAN_EARTH_RADIUS_M;
  const theta = bearingDeg * DEG;
  const phi1 = latDeg * DEG;
  const sinPhi2 = Math.sin(phi1) * Math.cos(delta) + Math.cos(phi1) * Math.sin(delta) * Math.cos(theta);
  const phi2 = Math.asin(Math.max(-1, Math.min(1, sinPhi2)));
  const lambda2 = lonDeg * DEG + Math.atan2(Math.sin(theta) * Math.sin(delta) * Math.cos(phi1), Math.cos(delta) - Math.sin(phi1) * sinPhi2);
  const lon = ((((lambda2 / DEG) + 540) % 360) - 180);
  return [phi2 / DEG, lon];
}
