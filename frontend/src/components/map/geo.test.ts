import { describe, expect, it } from 'vitest';
import { cellEdges, ellipseRing, geodesicDistanceM, metresPerDegree, pathLengthM } from './geo';
import { heatColour, heatImage, type HeatGrid } from './heat';

describe('map geometry', () => {
  it('uses WGS84 radii: ~111.2 km per degree of latitude at 45°', () => {
    const m = metresPerDegree(45);
    expect(m.north).toBeCloseTo(111_132, -1);
    expect(m.east).toBeCloseTo(78_847, -1);
  });

  it('puts the major axis of a 0° ellipse along north and of a 90° ellipse along east', () => {
    const north = ellipseRing(45, 7, { confidence: 0.95, semi_major_m: 10_000, semi_minor_m: 2_000, orientation_deg: 0 });
    const lats = north.map((p) => p[1]);
    expect(Math.max(...lats) - 45).toBeCloseTo(10_000 / metresPerDegree(45).north, 6);
    const east = ellipseRing(45, 7, { confidence: 0.95, semi_major_m: 10_000, semi_minor_m: 2_000, orientation_deg: 90 });
    expect(Math.max(...east.map((p) => p[0])) - 7).toBeCloseTo(10_000 / metresPerDegree(45).east, 6);
    expect(Math.max(...east.map((p) => p[1])) - 45).toBeCloseTo(2_000 / metresPerDegree(45).north, 6);
    expect(north[0]).toEqual(north[north.length - 1]);
  });

  it('orients clockwise from north: 45° leans north-east', () => {
    const ring = ellipseRing(0, 0, { confidence: 0.68, semi_major_m: 1000, semi_minor_m: 1, orientation_deg: 45 });
    expect(ring[0][0]).toBeGreaterThan(0);
    expect(ring[0][1]).toBeGreaterThan(0);
  });

  it('measures distances on the ellipsoid (Vincenty), to the millimetre of published values', () => {
    // Flinders Peak -> Buninyong, the classic test line of Vincenty's paper: 54,972.271 m
    expect(geodesicDistanceM(-37.95103342, 144.42486789, -37.65282114, 143.92649554)).toBeCloseTo(54_972.271, 2);
    expect(geodesicDistanceM(45, 7, 45, 7)).toBe(0);
    expect(geodesicDistanceM(0, 0, 1, 0)).toBeCloseTo(110_574.4, 0);
    expect(pathLengthM([[7, 45], [7, 46], [7, 45]])).toBeCloseTo(2 * geodesicDistanceM(45, 7, 46, 7), 6);
  });

  it('builds grid edges', () => {
    expect(cellEdges([0, 1, 2])).toEqual([-0.5, 0.5, 1.5, 2.5]);
  });
});

describe('heat maps as one smooth image', () => {
  const grid: HeatGrid = { lat: [45.0, 45.1, 45.2], lon: [7.5, 7.6], values: [[-9, -3], [-1, 0], [-2, -20]], mode: 'density' };

  it('makes one pixel per cell, the peak most opaque, improbable cells transparent', () => {
    const image = heatImage(grid)!;
    expect([image.width, image.height]).toEqual([2, 3]);
    const alpha = (row: number, col: number) => image.rgba[(row * image.width + col) * 4 + 3];
    // rows run north to south: row 0 is lat 45.2, row 2 is lat 45.0
    expect(alpha(1, 1)).toBeGreaterThan(alpha(1, 0));
    expect(alpha(0, 1)).toBe(0); // exp(-20): nothing to show
    expect(image.coordinates[0]).toEqual([7.45, expect.closeTo(45.25, 9)]);
    expect(image.coordinates[2]).toEqual([expect.closeTo(7.65, 9), expect.closeTo(44.95, 9)]);
  });

  it('colours errors on a log scale and leaves unknown cells transparent', () => {
    const errors: HeatGrid = { lat: [0], lon: [0, 1, 2], values: [[10, 100, null]], mode: 'error' };
    const range = { min: 10, max: 100 };
    expect(heatColour(null, errors, range)[3]).toBe(0);
    expect(heatColour(10, errors, range)).not.toEqual(heatColour(100, errors, range));
    expect(heatImage(errors)!.rgba[2 * 4 + 3]).toBe(0);
  });

  it('draws a 200 x 200 grid as a 200 x 200 image', () => {
    const big: HeatGrid = { lat: Array.from({ length: 200 }, (_, i) => 44 + i * 0.01), lon: Array.from({ length: 200 }, (_, j) => 7 + j * 0.01),
      values: Array.from({ length: 200 }, (_, i) => Array.from({ length: 200 }, (_, j) => -((i - 100) ** 2 + (j - 100) ** 2) / 500)), mode: 'density' };
    const image = heatImage(big)!;
    expect(image.rgba.length).toBe(200 * 200 * 4);
  });
});
