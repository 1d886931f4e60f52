/**
 * A stand-in for a MapLibre map in jsdom (no WebGL): it keeps sources, layers (in order) and event
 * handlers the way the real one does, so layer components can be checked for what they ask the map
 * to draw. What the map then renders is checked in a real browser (tests/e2e).
 */
import type { MapHandle } from '../components/map/context';
import { ExportRegistry } from '../components/map/context';

type Layer = { id: string; type: string; source?: string; metadata?: Record<string, unknown>; [key: string]: unknown };

export class FakeMap {
  sources = new Map<string, { spec: Record<string, unknown>; data?: unknown }>();
  layers: Layer[] = [];
  handlers: { event: string; layer?: string; fn: unknown }[] = [];
  container = document.createElement('div');
  canvas = document.createElement('canvas');
  style = {};

  addSource(id: string, spec: Record<string, unknown>) {
    if (this.sources.has(id)) throw new Error(`source ${id} exists`);
    const source = { spec, data: spec.data, setData: (data: unknown) => { source.data = data; },
      updateImage: (spec2: Record<string, unknown>) => { source.spec = { ...source.spec, ...spec2 }; } };
    this.sources.set(id, source);
  }
  getSource(id: string) { return this.sources.get(id); }
  removeSource(id: string) { this.sources.delete(id); }
  addLayer(layer: Layer, before?: string) {
    if (this.layers.some((l) => l.id === layer.id)) throw new Error(`layer ${layer.id} exists`);
    const index = before ? this.layers.findIndex((l) => l.id === before) : -1;
    if (index < 0) this.layers.push(layer); else this.layers.splice(index, 0, layer);
  }
  getLayer(id: string) { return this.layers.find((l) => l.id === id); }
  removeLayer(id: string) { this.layers = this.layers.filter((l) => l.id !== id); }
  getStyle() { return { layers: this.layers, sources: Object.fromEntries(this.sources) }; }
  on(event: string, layerOrFn: unknown, fn?: unknown) {
    this.handlers.push(typeof layerOrFn === 'string' ? { event, layer: layerOrFn, fn } : { event, fn: layerOrFn });
  }
  off(event: string, layerOrFn: unknown, fn?: unknown) {
    const target = fn ?? layerOrFn;
    this.handlers = this.handlers.filter((h) => !(h.event === event && h.fn === target));
  }
  getContainer() { return this.container; }
  getCanvas() { return this.canvas; }
}

export class FakeMarker {
  static all: FakeMarker[] = [];
  element: HTMLElement;
  lngLat: [number, number] = [0, 0];
  constructor(options: { element: HTMLElement }) {
    this.element = options.element;
    FakeMarker.all.push(this);
  }
  setLngLat(lngLat: [number, number]) { this.lngLat = lngLat; return this; }
  addTo(map: FakeMap) { map.container.appendChild(this.element); return this; }
  remove() { this.element.remove(); FakeMarker.all = FakeMarker.all.filter((m) => m !== this); return this; }
}

export function fakeHandle(): { handle: MapHandle; map: FakeMap } {
  const map = new FakeMap();
  const engine = { Marker: FakeMarker, Popup: class {}, LngLatBounds: class {} };
  return { map, handle: { map: map as never, engine: engine as never, styleVersion: 0, exports: new ExportRegistry() } };
}
