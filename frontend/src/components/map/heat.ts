/**
 * Heat maps as one smooth image: each grid cell is one pixel, and the map samples the image with
 * linear interpolation, so a 48 x 48 posterior reads as a smooth surface, not as squares, and
 * panning costs one textured quad whatever the grid size. Rows are laid out evenly in Web Mercator
 * (the map's projection), interpolated from the grid's latitudes.
 */
import { cellEdges } from './geo';
import { ramp } from './colors';

/** A regular lat/lon grid: `values[i][j]` at lat[i], lon[j]. */
export interface HeatGrid {
  lat: number[];
  lon: number[];
  values: (number | null)[][];
  /** `error`: RMS error in metres (log colour scale); `density`: a log-density (posterior). */
  mode: 'error' | 'density';
}

export interface HeatImage {
  width: number;
  height: number;
  rgba: Uint8ClampedArray;
  /** Corners for MapLibre's image source: top-left, top-right, bottom-right, bottom-left ([lon, lat]). */
  coordinates: [[number, number], [number, number], [number, number], [number, number]];
  min: number;
  max: number;
}

const DENSITY_FLOOR = 1e-3;

const mercatorY = (lat: number) => Math.log(Math.tan(Math.PI / 4 + (lat * Math.PI) / 360));
const inverseMercatorY = (y: number) => (360 / Math.PI) * Math.atan(Math.exp(y)) - 90;

export function finiteRange(grid: HeatGrid): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const row of grid.values) for (const v of row) {
    if (typeof v === 'number' && Number.isFinite(v)) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
  }
  return { min, max };
}

/** Colour and opacity of one value; transparent where nothing is known or nothing is likely. */
export function heatColour(value: number | null, grid: HeatGrid, range: { min: number; max: number }): [number, number, number, number] {
  if (typeof value !== 'number' || !Number.isFinite(value)) return [0, 0, 0, 0];
  if (grid.mode === 'density') {
    const t = Math.exp(value - range.max);
    if (t < DENSITY_FLOOR) return [0, 0, 0, 0];
    return [...rgb(ramp(t)), Math.round(255 * (0.2 + 0.6 * Math.sqrt(t)))];
  }
  const lo = Math.log(Math.max(range.min, 1e-9));
  const span = Math.log(Math.max(range.max, 1e-9)) - lo;
  const t = span > 0 ? (Math.log(Math.max(value, 1e-9)) - lo) / span : 0;
  return [...rgb(ramp(1 - t)), 150];
}

function rgb(css: string): [number, number, number] {
  const [r, g, b] = css.slice(4, -1).split(',').map(Number);
  return [r, g, b];
}

/** Linear interpolation of a column of values at a latitude (null where either neighbour is null). */
function sampleRow(grid: HeatGrid, lat: number): { i: number; f: number } {
  const lats = grid.lat;
  const ascending = lats[lats.length - 1] >= lats[0];
  let i = 0;
  while (i < lats.length - 2 && (ascending ? lats[i + 1] < lat : lats[i + 1] > lat)) i += 1;
  const span = lats[i + 1] - lats[i];
  const f = lats.length < 2 || span === 0 ? 0 : Math.min(1, Math.max(0, (lat - lats[i]) / span));
  return { i, f };
}

export function heatImage(grid: HeatGrid): HeatImage | null {
  const range = finiteRange(grid);
  if (!Number.isFinite(range.min) || !grid.lat.length || !grid.lon.length) return null;
  const latEdges = cellEdges(grid.lat);
  const lonEdges = cellEdges(grid.lon);
  const north = Math.max(latEdges[0], latEdges[latEdges.length - 1]);
  const south = Math.min(latEdges[0], latEdges[latEdges.length - 1]);
  const width = grid.lon.length;
  const height = grid.lat.length;
  const rgba = new Uint8ClampedArray(width * height * 4);
  const [y0, y1] = [mercatorY(north), mercatorY(south)];
  for (let row = 0; row < height; row += 1) {
    const lat = inverseMercatorY(y0 + ((row + 0.5) / height) * (y1 - y0));
    const { i, f } = sampleRow(grid, Math.min(Math.max(lat, Math.min(...grid.lat)), Math.max(...grid.lat)));
    for (let j = 0; j < width; j += 1) {
      const a = grid.values[i]?.[j];
      const b = grid.values[Math.min(i + 1, height - 1)]?.[j];
      const value = typeof a === 'number' && typeof b === 'number' ? a + f * (b - a) : (f < 0.5 ? a : b) ?? null;
      rgba.set(heatColour(value, grid, range), (row * width + j) * 4);
    }
  }
  const west = Math.min(lonEdges[0], lonEdges[lonEdges.length - 1]);
  const east = Math.max(lonEdges[0], lonEdges[lonEdges.length - 1]);
  const flip = lonEdges[0] > lonEdges[lonEdges.length - 1];
  const coordinates: HeatImage['coordinates'] = flip
    ? [[east, north], [west, north], [west, south], [east, south]]
    : [[west, north], [east, north], [east, south], [west, south]];
  return { width, height, rgba, coordinates, ...range };
}
