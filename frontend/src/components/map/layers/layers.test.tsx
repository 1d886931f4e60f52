import { render } from '@testing-library/react';
import type { ReactNode } from 'react';
import { describe, expect, it, vi } from 'vitest';
import type { OverlayCollection } from '../../../api/types';
import { fakeHandle, type FakeMap } from '../../../test/fakeMap';
import { MapContext, type MapHandle } from '../context';
import type { MapReceiver } from '../features';
import { FixesLayer } from './FixesLayer';
import { HeatLayer } from './HeatLayer';
import { OverlaysLayer, describeOverlay } from './OverlaysLayer';
import { ReceiversLayer } from './ReceiversLayer';
import { TrackLayer } from './TrackLayer';

function renderOn(handle: MapHandle, ui: ReactNode) {
  return render(<MapContext.Provider value={handle}>{ui}</MapContext.Provider>);
}

const receivers: MapReceiver[] = [
  { id: 'a', name: 'Turin', lat: 45, lon: 7.6, health: 'ok', status: 'streaming' },
  { id: 'b', name: 'Asti', lat: 44.9, lon: 8.2, health: 'down', status: 'failed (unreachable)', outlier: true, reason: 'bearing 40 σ off' },
];
const fix = { key: 'f', lat: 45.1, lon: 7.7, latest: true,
  ellipses: [{ confidence: 0.68, semi_major_m: 900, semi_minor_m: 400, orientation_deg: 30 }, { confidence: 0.95, semi_major_m: 1500, semi_minor_m: 700, orientation_deg: 30 }] };

describe('map layers', () => {
  it('draws receivers as named, focusable markers coloured by health, and toggles them', () => {
    const { handle, map } = fakeHandle();
    const onSelect = vi.fn();
    renderOn(handle, <ReceiversLayer receivers={receivers} onSelect={onSelect} />);
    const markers = [...map.container.querySelectorAll<HTMLButtonElement>('.map-receiver')];
    expect(markers.map((m) => m.className)).toEqual(['map-receiver health-ok', 'map-receiver health-down receiver-outlier']);
    expect(markers[1].getAttribute('aria-label')).toBe('Receiver Asti (outlier: bearing 40 σ off)');
    expect(markers[0].tabIndex).toBe(0);
    markers[0].click();
    expect(onSelect).toHaveBeenCalledWith('a');
    expect(map.container.dataset.receivers).toBe('2');
    expect(handle.exports.collection().features).toHaveLength(2);
  });

  it('keeps the engine\'s own classes on a marker when it redraws', () => {
    const { handle, map } = fakeHandle();
    const { rerender } = renderOn(handle, <ReceiversLayer receivers={receivers} />);
    const marker = map.container.querySelector('.map-receiver')!;
    marker.classList.add('maplibregl-marker');
    rerender(<MapContext.Provider value={handle}><ReceiversLayer receivers={[{ ...receivers[0], health: 'degraded' }]} /></MapContext.Provider>);
    expect(marker.className).toBe('maplibregl-marker map-receiver health-degraded');
    expect(map.container.querySelectorAll('.map-receiver')).toHaveLength(1);
  });

  it('stacks layers by slot whatever order they mount in, and removes them with the component', () => {
    const { handle, map } = fakeHandle();
    const overlays: OverlayCollection = { type: 'FeatureCollection', features: [] };
    const { unmount } = renderOn(handle, (
      <>
        <FixesLayer fixes={[fix]} />
        <TrackLayer fixes={[fix, { ...fix, key: 'g', lat: 45.2, latest: false }]} />
        <OverlaysLayer overlays={overlays} />
      </>
    ));
    expect(map.layers.map((l) => l.id)).toEqual([
      'overlays-bands', 'overlays-lines', 'overlays-outliers', 'track-line', 'track-fill', 'track-outline', 'track-dot',
      'fixes-fill', 'fixes-outline', 'fixes-dot']);
    const fixes = map.getSource('fixes') as unknown as { data: GeoJSON.FeatureCollection };
    expect(fixes.data.features.map((f) => f.properties?.kind)).toEqual(['ellipse', 'ellipse', 'fix']);
    unmount();
    expect(map.layers).toEqual([]);
    expect(map.sources.size).toBe(0);
  });

  it('leaves receiver points out of the overlay source and explains outliers on hover', () => {
    const { handle, map } = fakeHandle();
    const overlays: OverlayCollection = { type: 'FeatureCollection', features: [
      { type: 'Feature', geometry: { type: 'LineString', coordinates: [[7, 45], [8, 46]] },
        properties: { kind: 'bearing', receiver: 'a', outlier: false, reason: null, label: 'a: bearing 30.0° ± 2.0°', residual_sigma: 0.4 } },
      { type: 'Feature', geometry: { type: 'Point', coordinates: [7, 45] }, properties: { kind: 'receiver', receiver: 'a', outlier: false, reason: null, label: 'a' } },
    ] };
    renderOn(handle, <OverlaysLayer overlays={overlays} />);
    const source = map.getSource('overlays') as unknown as { data: GeoJSON.FeatureCollection };
    expect(source.data.features).toHaveLength(1);
    expect(describeOverlay(overlays.features[0].properties)).toBe('a: bearing 30.0° ± 2.0°\n0.4 σ from the fix');
    expect(describeOverlay({ label: 'b: 12 µs', reason: 'rejected: 9 σ off' })).toBe('b: 12 µs — outlier\nrejected: 9 σ off');
    expect(map.handlers.filter((h) => h.event === 'mousemove').map((h) => h.layer)).toEqual(['overlays-lines', 'overlays-outliers', 'overlays-bands']);
  });

  it('puts a heat map under everything as one image', () => {
    const { handle, map } = fakeHandle();
    HTMLCanvasElement.prototype.getContext = (() => ({ putImageData: () => undefined })) as never;
    HTMLCanvasElement.prototype.toDataURL = () => 'data:image/png;base64,AAAA';
    globalThis.ImageData ??= class { constructor(public data: Uint8ClampedArray, public width: number, public height: number) {} } as never;
    renderOn(handle, (
      <>
        <FixesLayer fixes={[fix]} />
        <HeatLayer grid={{ lat: [45, 45.1], lon: [7, 7.1, 7.2], values: [[0, -1, -2], [-1, -2, -30]], mode: 'density' }} />
      </>
    ));
    expect(map.layers[0]).toMatchObject({ id: 'heat', type: 'raster', paint: { 'raster-resampling': 'linear' } });
    expect((map as FakeMap).container.dataset.heat).toBe('3x2');
  });
});
