import { createContext, useContext } from 'react';
import type { Map as MapLibreMap } from 'maplibre-gl';
import type { Engine } from './engine';

/** What a layer component needs: the map and the engine's classes (Popup, Marker). */
export interface MapHandle {
  map: MapLibreMap;
  engine: Pick<Engine, 'Popup' | 'Marker' | 'LngLatBounds'>;
  /** Bumps whenever the base layer (and so the layer order) changes: overlays re-stack above it. */
  styleVersion: number;
  exports: ExportRegistry;
}

export const MapContext = createContext<MapHandle | null>(null);

export function useMapHandle(): MapHandle | null {
  return useContext(MapContext);
}

/** What each layer currently draws, for "export as GeoJSON/KML": layer id -> its features. */
export class ExportRegistry {
  private readonly layers = new Map<string, GeoJSON.Feature[]>();
  private readonly listeners = new Set<() => void>();

  set(id: string, features: GeoJSON.Feature[] | null): void {
    if (features && features.length) this.layers.set(id, features);
    else this.layers.delete(id);
    this.listeners.forEach((listener) => listener());
  }

  collection(): GeoJSON.FeatureCollection {
    return { type: 'FeatureCollection', features: [...this.layers.values()].flat() };
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
