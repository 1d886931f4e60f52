import { describe, expect, it } from 'vitest';
import { cellEdges, ellipseRing, metresPerDegree } from './geo';
import { heatCells } from './HeatLayer';
import { fitView, zoomAt } from './GeoMap';
import { project } from './basemap';

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
    const tip = ring[0];
    expect(tip[0]).toBeGreaterThan(0);
    expect(tip[1]).toBeGreaterThan(0);
  });

  it('builds grid edges and colour positions', () => {
    expect(cellEdges([0, 1, 2])).toEqual([-0.5, 0.5, 1.5, 2.5]);
    const { cells } = heatCells({ lat: [0], lon: [0, 1, 2], values: [[10, 100, Number.NaN]], mode: 'error' });
    expect(cells.map((c) => c.t)).toEqual([0, 1]);
  });

  it('fits the view to the bounds and zooms about a point', () => {
    const view = fitView({ latMin: 44.5, latMax: 45.5, lonMin: 7, lonMax: 8 }, 800, 600);
    const screen = (lon: number, lat: number) => {
      const [x, y] = project(lon, lat);
      return [x * view.k + view.x, y * view.k + view.y];
    };
    const [left, bottom] = screen(7, 44.5);
    const [right, top] = screen(8, 45.5);
    expect((left + right) / 2).toBeCloseTo(400, 6);
    expect((top + bottom) / 2).toBeCloseTo(300, 6);
    expect(Math.max(right - left, (bottom - top) * (800 / 600))).toBeCloseTo(0.8 * 800, 6);
    const zoomed = zoomAt(view, 2, 100, 100);
    expect(zoomed.k).toBeCloseTo(view.k * 2);
    expect((100 - zoomed.x) / zoomed.k).toBeCloseTo((100 - view.x) / view.k);
  });
});
