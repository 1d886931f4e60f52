/**
 * Shared plumbing of the map's layer components: a GeoJSON source with its style layers, kept in a
 * fixed stacking order whatever order components mount in, its data updated in place, registered
 * for export, and removed with the component. Plus hover popups for features that explain themselves.
 */
import { useEffect, useRef } from 'react';
import type { GeoJSONSource, LayerSpecification, MapLayerMouseEvent, Map as MapLibreMap, Popup } from 'maplibre-gl';
import { useMapHandle, type MapHandle } from '../context';

/** Stacking slots, bottom to top: heat maps under measurement geometry under fixes under tools. */
export const SLOT = { heat: 10, bands: 20, lines: 30, track: 40, fixes: 50, measure: 60 } as const;

export const EMPTY: GeoJSON.FeatureCollection = { type: 'FeatureCollection', features: [] };

function slotOf(map: MapLibreMap, id: string): number | undefined {
  const metadata = map.getLayer(id)?.metadata as { 'heimdall:slot'?: number } | undefined;
  return metadata?.['heimdall:slot'];
}

/** Add a layer under the first layer of a higher slot (base layers have none and stay below). */
export function addLayerInSlot(map: MapLibreMap, layer: LayerSpecification, slot: number): void {
  const above = (map.getStyle().layers ?? []).find((l) => {
    const other = slotOf(map, l.id);
    return other !== undefined && other > slot;
  });
  map.addLayer({ ...layer, metadata: { ...(layer.metadata as object | undefined), 'heimdall:slot': slot } }, above?.id);
}

export function removeLayers(map: MapLibreMap, ids: string[], source?: string): void {
  for (const id of ids) if (map.getLayer(id)) map.removeLayer(id);
  if (source && map.getSource(source)) map.removeSource(source);
}

/**
 * One GeoJSON source (`id`) drawn by `layers`, at `slot`. `data` null draws nothing. The layers are
 * re-created when their specification changes (a theme switch), the data set in place otherwise.
 */
export function useGeoJsonLayer(id: string, data: GeoJSON.FeatureCollection | null, layers: LayerSpecification[],
  slot: number, exportable = true): MapHandle | null {
  const handle = useMapHandle();
  const spec = JSON.stringify(layers);
  const latest = useRef(data);
  latest.current = data;
  useEffect(() => {
    if (!handle) return undefined;
    const { map } = handle;
    map.addSource(id, { type: 'geojson', data: latest.current ?? EMPTY });
    const parsed = JSON.parse(spec) as LayerSpecification[];
    parsed.forEach((layer) => addLayerInSlot(map, layer, slot));
    return () => {
      if (map.style) removeLayers(map, parsed.map((l) => l.id), id);
    };
  }, [handle, id, spec, slot]);
  useEffect(() => {
    if (!handle) return undefined;
    (handle.map.getSource(id) as GeoJSONSource | undefined)?.setData(data ?? EMPTY);
    if (exportable) handle.exports.set(id, data?.features ?? null);
    return () => {
      if (exportable) handle.exports.set(id, null);
    };
  }, [handle, id, data, exportable]);
  return handle;
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A popup following the pointer over `layerIds`, with the text `describe` gives the feature. */
export function useHoverPopup(handle: MapHandle | null, layerIds: string[],
  describe: (properties: Record<string, unknown>) => string | null): void {
  const key = layerIds.join('|');
  const describeRef = useRef(describe);
  describeRef.current = describe;
  useEffect(() => {
    if (!handle) return undefined;
    const { map, engine } = handle;
    const ids = key.split('|');
    let popup: Popup | null = null;
    const move = (event: MapLayerMouseEvent) => {
      const text = event.features?.[0] ? describeRef.current(event.features[0].properties ?? {}) : null;
      if (!text) return;
      map.getCanvas().style.cursor = 'pointer';
      popup ??= new engine.Popup({ closeButton: false, closeOnClick: false, className: 'map-popup', maxWidth: '320px' });
      popup.setLngLat(event.lngLat).setHTML(text.split('\n').map(escapeHtml).join('<br>')).addTo(map);
    };
    const leave = () => {
      map.getCanvas().style.cursor = '';
      popup?.remove();
      popup = null;
    };
    for (const id of ids) {
      map.on('mousemove', id, move);
      map.on('mouseleave', id, leave);
    }
    return () => {
      for (const id of ids) {
        map.off('mousemove', id, move);
        map.off('mouseleave', id, leave);
      }
      leave();
    };
  }, [handle, key]);
}
