import { describe, expect, it } from 'vitest';
import { absoluteTiles, sanitizeAttribution, tileSource, vectorLayers } from './baseLayers';
import { toKml } from './exporting';
import { boundsOfFeatures, fixFeatures, receiverHealth, trackFeatures } from './features';

describe('receiver health', () => {
  const now = Date.parse('2026-12-03T12:00:00Z');
  it.each([
    [{ enabled: false, health: { status: 'ok' } }, 'disabled'],
    [{ enabled: true, health: null }, 'unknown'],
    [{ enabled: true, health: { status: 'streaming', checked_at: '2026-12-03T11:59:00Z' } }, 'ok'],
    [{ enabled: true, health: { status: 'ok', checked_at: '2026-12-03T11:00:00Z' } }, 'degraded'],
    [{ enabled: true, health: { status: 'failed', reason: 'unreachable' } }, 'down'],
    [{ enabled: true, health: { state: 'too_busy' } }, 'degraded'],
    // KiwiSDR /status polls: no `status` field
    [{ enabled: true, health: { reachable: true, offline: false, free_slots: 2, gnss_ok_for_tdoa: true } }, 'ok'],
    [{ enabled: true, health: { reachable: true, offline: false, free_slots: 0, gnss_ok_for_tdoa: true } }, 'degraded'],
    [{ enabled: true, health: { reachable: true, offline: false, free_slots: 3, gnss_ok_for_tdoa: false } }, 'degraded'],
    [{ enabled: true, health: { reachable: true, offline: true, users_max: 4 } }, 'down'],
    [{ enabled: true, health: { reachable: false } }, 'down'],
  ])('%j is %s', (receiver, expected) => {
    expect(receiverHealth(receiver, now).health).toBe(expected);
  });
});

describe('what the layers draw', () => {
  const fix = { key: 'f', lat: 45, lon: 7, latest: true,
    ellipses: [{ confidence: 0.68, semi_major_m: 1200, semi_minor_m: 500, orientation_deg: 10 }, { confidence: 0.95, semi_major_m: 2100, semi_minor_m: 900, orientation_deg: 10 }] };

  it('draws the wider ellipse first and labels each with units', () => {
    const features = fixFeatures([fix]).features;
    expect(features.map((f) => f.properties?.confidence ?? f.properties?.kind)).toEqual([95, 68, 'fix']);
    expect(features[1].properties?.label).toBe('68 % region: 1.20 km × 500 m, major axis 10° from north');
  });

  it('joins a track in time order', () => {
    const track = trackFeatures([fix, { ...fix, key: 'g', lat: 45.1 }]);
    expect(track.features[0].geometry).toEqual({ type: 'LineString', coordinates: [[7, 45], [7, 45.1]] });
    expect(boundsOfFeatures([track])?.map((v) => +v.toFixed(2))).toEqual([6.99, 44.98, 7.01, 45.12]);
  });
});

describe('base layers', () => {
  it('makes server-relative tile URLs absolute without encoding the placeholders', () => {
    expect(absoluteTiles(['/api/v1/tiles/a.pmtiles/{z}/{x}/{y}?v=1', 'https://x.org/{z}/{x}/{y}.png'], 'http://h:1'))
      .toEqual(['http://h:1/api/v1/tiles/a.pmtiles/{z}/{x}/{y}?v=1', 'https://x.org/{z}/{x}/{y}.png']);
  });

  it('describes raster and vector sources from the server\'s layer list', () => {
    const raster = tileSource({ id: 'archive:a', name: 'A', kind: 'raster', origin: 'archive', attribution: '© a', min_zoom: 0,
      max_zoom: 12, tiles: ['/t/{z}/{x}/{y}'], tile_size: 256, bounds: [6, 44, 9, 46] });
    expect(raster).toMatchObject({ type: 'raster', tileSize: 256, maxzoom: 12, bounds: [6, 44, 9, 46] });
    const layers = vectorLayers('base-tiles', { id: 'v', name: 'V', kind: 'vector', origin: 'archive', attribution: 'x', min_zoom: 0, max_zoom: 14,
      vector_layers: [{ id: 'roads' }] }, 'light');
    expect(layers.map((l) => l.id)).toEqual(['base-tiles-roads-fill', 'base-tiles-roads-line', 'base-tiles-roads-point']);
  });

  it('keeps only text and http(s) links of an attribution', () => {
    expect(sanitizeAttribution('<a href="https://osm.org/copyright">© OSM</a> <img src=x onerror=alert(1)><script>x</script>'))
      .toBe('<a href="https://osm.org/copyright" target="_blank" rel="noopener">© OSM</a> x');
    expect(sanitizeAttribution('<a href="javascript:alert(1)">bad</a>')).toBe('bad');
  });
});

describe('KML export', () => {
  it('writes placemarks for points, lines, polygons with holes and multi-geometries, escaped', () => {
    const kml = toKml({ type: 'FeatureCollection', features: [
      { type: 'Feature', geometry: { type: 'Point', coordinates: [7, 45] }, properties: { label: 'rx <0>', outlier: true, reason: 'a & b' } },
      { type: 'Feature', geometry: { type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 0]], [[0.2, 0.2], [0.3, 0.2], [0.3, 0.3], [0.2, 0.2]]] }, properties: {} },
      { type: 'Feature', geometry: { type: 'MultiLineString', coordinates: [[[0, 0], [1, 1]], [[2, 2], [3, 3]]] }, properties: { kind: 'tdoa' } },
    ] }, 'test');
    expect(kml).toContain('<name>rx &#60;0&#62;</name><description>a &#38; b</description>');
    expect(kml).toContain('<Point><coordinates>7,45,0</coordinates></Point>');
    expect(kml).toContain('<innerBoundaryIs>');
    expect(kml.match(/<LineString>/g)).toHaveLength(2);
    expect(kml).toContain('<Data name="outlier"><value>true</value></Data>');
  });
});
