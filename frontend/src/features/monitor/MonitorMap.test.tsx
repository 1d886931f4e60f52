import { render } from '@testing-library/react';
import type { ReactNode } from 'react';
import { describe, expect, it } from 'vitest';
import { MapContext, type MapHandle } from '../../components/map/context';
import { bearingOpacity, DEFAULT_BEARING_STYLE, type MapBearing } from '../../components/map/bearings';
import { geodesicDistanceM } from '../../components/map/geo';
import { fakeHandle, FakeMarker, type FakeMap } from '../../test/fakeMap';
import { point, T0, track, transmissions } from './fixtures';
import { trackPath } from './mapModel';
import { MonitorLayers } from './MonitorMap';

function renderOn(handle: MapHandle, ui: ReactNode) {
  return render(<MapContext.Provider value={handle}>{ui}</MapContext.Provider>);
}
const features = (map: FakeMap, id: string) => (map.getSource(id) as unknown as { data: GeoJSON.FeatureCollection }).data.features;

const bearing = (receiverId: string, station: string, ageS: number, bearingDeg = 90): MapBearing => ({
  key: `${receiverId}-${ageS}`, receiverId, station, lat: 45, lon: 7.5, bearingDeg, sigmaDeg: 3, timeMs: T0 + 100_000 - ageS * 1000,
});
const NOW = T0 + 100_000;

describe('the Monitor map', () => {
  it('fades bearing lines with age, drops old ones, and labels each station\'s newest line with its name', () => {
    const { handle, map } = fakeHandle();
    const bearings = [bearing('k1', 'Kraken Nord', 0), bearing('k1', 'Kraken Nord', 60, 80), bearing('k1', 'Kraken Nord', 500), bearing('k2', 'Kraken Sud', 30, 300)];
    renderOn(handle, <MonitorLayers tracks={[]} bearings={bearings} nowMs={NOW} replay={null} receivers={[]} />);
    const lines = features(map, 'bearings');
    expect(lines.map((f) => [f.properties?.station, f.properties?.opacity, f.properties?.newest])).toEqual([
      ['Kraken Nord', 1 - 0.85 * 0.5, false], ['Kraken Sud', 1 - 0.85 * 0.25, true], ['Kraken Nord', 1, true]]);
    expect(map.getLayer('bearings-lines')?.paint).toMatchObject({ 'line-opacity': ['get', 'opacity'] });
    // The line leaves the station along its bearing: due east, 50 km long.
    const coords = (lines[2].geometry as GeoJSON.LineString).coordinates;
    expect(coords[0]).toEqual([7.5, 45]);
    const end = coords[coords.length - 1];
    expect(end[1]).toBeCloseTo(45, 1);
    expect(geodesicDistanceM(45, 7.5, end[1], end[0])).toBeCloseTo(50_000, -3);
    const labels = FakeMarker.all.filter((m) => m.element.className === 'map-bearing-label');
    expect(labels.map((m) => [m.element.textContent, m.element.style.opacity])).toEqual([['Kraken Sud', String(1 - 0.85 * 0.25)], ['Kraken Nord', '1']]);
    expect(labels[1].lngLat).toEqual(end);
  });

  it('fades to the minimum at the end of the window and not beyond', () => {
    expect(bearingOpacity(0)).toBe(1);
    expect(bearingOpacity(DEFAULT_BEARING_STYLE.fadeS)).toBeCloseTo(DEFAULT_BEARING_STYLE.minOpacity);
    expect(bearingOpacity(DEFAULT_BEARING_STYLE.fadeS + 1)).toBeNull();
    expect(bearingOpacity(-5)).toBe(1);
  });

  it('draws the track through its filtered positions without excluded fixes, and the latest fix with its 95 % ellipse', () => {
    const { handle, map } = fakeHandle();
    renderOn(handle, <MonitorLayers tracks={[track]} bearings={[]} nowMs={NOW} replay={null} receivers={[]} />);
    const line = features(map, 'track-t1').find((f) => f.properties?.kind === 'track')!;
    expect((line.geometry as GeoJSON.LineString).coordinates).toEqual([[7.601, 45.001], [7.601, 45.201]]);
    const fix = features(map, 'fixes');
    expect(fix.map((f) => f.properties?.kind)).toEqual(['ellipse', 'fix']);
    expect(fix[0].properties?.confidence).toBe(95);
    expect((fix[1].geometry as GeoJSON.Point).coordinates).toEqual([7.6, 45.2]);
  });

  it('replays a transmission: its fix, the track as it was then, and the bearings heard during it', () => {
    const { handle, map } = fakeHandle();
    const heard = bearing('k1', 'Kraken Nord', 0);
    const during = { ...heard, key: 'during', timeMs: T0 + 9_000 };
    renderOn(handle, <MonitorLayers tracks={[track]} bearings={[heard, during]} nowMs={NOW} replay={transmissions[2]} receivers={[]} />);
    expect(features(map, 'track-t1').filter((f) => f.properties?.kind === 'track')).toEqual([]); // one point: no line yet
    expect(features(map, 'track-t1').filter((f) => f.properties?.kind === 'fix')).toHaveLength(1);
    expect((features(map, 'fixes')[1].geometry as GeoJSON.Point).coordinates).toEqual([7.6, 45.0]);
    expect(features(map, 'bearings').map((f) => [f.properties?.key, f.properties?.age_s])).toEqual([['during', 1]]);
  });

  it('draws a fix the motion model has no estimate for where it was measured', () => {
    const path = trackPath({ ...track, points: [point(10, 45.0), point(20, 45.05, { filtered: null })] });
    expect(path.map((f) => [f.lat, f.lon])).toEqual([[45.001, 7.601], [45.05, 7.6]]);
    expect(path[1].label).toMatch(/measured/);
  });
});
