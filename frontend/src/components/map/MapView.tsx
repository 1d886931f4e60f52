/**
 * The map: MapLibre GL JS with the base layer the user picks (offline by default), zoom and rotation
 * buttons, a scale bar, the attribution of whatever is shown, coordinates under the cursor, a
 * distance-measure tool and exports. Layer components (receivers, fixes, overlays, heat maps,
 * tracks) are its children and draw through the context it provides once the map has loaded.
 *
 * The engine is loaded on first use (its own chunk), so the pages that hold a map render their
 * forms at once and the map joins them when it is ready.
 */
import { useQuery } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { Map as MapLibreMap } from 'maplibre-gl';
import { api } from '../../api/endpoints';
import { queryKeys } from '../../api/queryKeys';
import type { BaseLayer } from '../../api/types';
import { useTheme } from '../theme';
import { addOffline, addStyle, addTiles, OFFLINE_LAYER, removeBase } from './baseLayers';
import { ExportRegistry, MapContext, type MapHandle } from './context';
import { BaseLayerPicker, CursorPosition, ExportButtons, MeasureTool } from './controls';
import { loadEngine } from './engine';
import type { Theme } from './theme';

const BASE_KEY = 'heimdall.baseLayer';

interface MapViewProps {
  /** The map's accessible name. */
  label: string;
  height?: number;
  /** West, south, east, north of what matters: the view fits it whenever it changes. */
  fitTo?: [number, number, number, number] | null;
  /** File name stem of exports. */
  exportName?: string;
  children?: ReactNode;
}

function rememberedBase(): string | null {
  try {
    return window.localStorage.getItem(BASE_KEY);
  } catch {
    return null;
  }
}

function useBaseLayers(): { layers: BaseLayer[]; chosen: BaseLayer | null; choose: (id: string) => void } {
  const query = useQuery({ queryKey: queryKeys.map.layers(), queryFn: api.mapLayers, staleTime: 60_000, retry: false });
  const [picked, setPicked] = useState<string | null>(rememberedBase);
  // A server without the route still has the bundled basemap: the app ships it.
  const layers = query.data?.items ?? (query.isError ? [OFFLINE_LAYER] : []);
  const chosen = layers.find((l) => l.id === picked) ?? layers.find((l) => l.id === query.data?.default) ?? layers[0] ?? null;
  const choose = (id: string) => {
    setPicked(id);
    try {
      window.localStorage.setItem(BASE_KEY, id);
    } catch {
      // not remembered; still switched
    }
  };
  return { layers, chosen, choose };
}

async function applyBase(map: MapLibreMap, layer: BaseLayer, theme: Theme): Promise<() => void> {
  removeBase(map);
  const element = map.getContainer();
  delete element.dataset.detailReady;
  if (layer.kind === 'offline') return addOffline(map, theme, layer.attribution, () => { element.dataset.detailReady = 'true'; });
  if (layer.kind === 'style') await addStyle(map, layer);
  else addTiles(map, layer, theme);
  return () => undefined;
}

function useMapInstance(container: React.RefObject<HTMLDivElement | null>, label: string) {
  const [handle, setHandle] = useState<MapHandle | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  useEffect(() => {
    let map: MapLibreMap | null = null;
    let cancelled = false;
    loadEngine().then((engine) => {
      const element = container.current;
      if (cancelled || !element) return;
      map = new engine.Map({
        container: element, style: { version: 8, sources: {}, layers: [] }, center: [8, 30], zoom: 1,
        attributionControl: { compact: false }, pitchWithRotate: false, maxPitch: 0, fadeDuration: 0,
        locale: { 'Map.Title': label },
      });
      map.addControl(new engine.NavigationControl({ visualizePitch: false }), 'top-right');
      map.addControl(new engine.ScaleControl({ unit: 'metric', maxWidth: 140 }), 'bottom-left');
      // Tile or style failures are shown beside the map (an unreachable online source is expected offline).
      map.on('error', (event) => setFailure(event.error?.message ?? 'the map failed to draw something'));
      const loaded = map;
      loaded.on('load', () => {
        if (!cancelled) setHandle({ map: loaded, engine, styleVersion: 0, exports: new ExportRegistry() });
      });
      // The map instance, for end-to-end tests and debugging from the console.
      (element as HTMLDivElement & { heimdallMap?: MapLibreMap }).heimdallMap = loaded;
    }).catch((exc: unknown) => {
      // No WebGL, or the engine's chunk could not load: the page works without its map, and says why.
      if (!cancelled) setFailure(`The map cannot be shown: ${exc instanceof Error ? exc.message : String(exc)}`);
    });
    return () => {
      cancelled = true;
      map?.remove();
    };
  }, [container, label]);
  return { handle, failure, setFailure };
}

export function MapView({ label, height = 520, fitTo = null, exportName = 'heimdall-map', children }: MapViewProps) {
  const container = useRef<HTMLDivElement>(null);
  const theme = useTheme();
  const { handle, failure, setFailure } = useMapInstance(container, label);
  const { layers, chosen, choose } = useBaseLayers();
  useEffect(() => {
    if (!handle || !chosen) return undefined;
    const element = handle.map.getContainer();
    delete element.dataset.baseReady;
    element.dataset.baseLayer = chosen.id;
    let undo: (() => void) | null = null;
    let live = true;
    setFailure(null);
    applyBase(handle.map, chosen, theme).then((cleanup) => {
      undo = cleanup;
      if (!live) cleanup();
      handle.map.once('idle', () => {
        if (live) element.dataset.baseReady = chosen.id;
      });
    }, (exc: unknown) => setFailure(`Base layer ${chosen.name}: ${exc instanceof Error ? exc.message : String(exc)}`));
    return () => {
      live = false;
      undo?.();
    };
  }, [handle, chosen, theme, setFailure]);
  const fitKey = fitTo ? fitTo.map((v) => v.toFixed(4)).join(',') : '';
  useEffect(() => {
    if (!handle || !fitTo) return;
    handle.map.fitBounds(fitTo, { padding: 48, maxZoom: 13, duration: 0 });
    // eslint-disable-next-line react-hooks/exhaustive-deps -- refit when the content moves, not on every new array
  }, [handle, fitKey]);
  const context = useMemo(() => handle, [handle]);
  return (
    <div className="map-view" role="group" aria-label={`${label} and its tools`}>
      <div className="map-toolbar" role="toolbar" aria-label={`${label}: tools`}>
        <BaseLayerPicker layers={layers} chosen={chosen} onChoose={choose} />
        <MeasureTool handle={handle} />
        <button type="button" onClick={() => fitTo && handle?.map.fitBounds(fitTo, { padding: 48, maxZoom: 13 })}
          disabled={!handle || !fitTo}>Fit</button>
        <ExportButtons handle={handle} name={exportName} />
      </div>
      <div className="map-canvas" ref={container} style={{ height }} data-loaded={handle ? 'true' : 'false'}>
        {!handle && !failure && <p className="map-loading muted">Loading the map…</p>}
      </div>
      <div className="map-status">
        <CursorPosition handle={handle} />
        {failure && <small className="field-error" role="status">{failure}</small>}
      </div>
      {context && <MapContext.Provider value={context}>{children}</MapContext.Provider>}
    </div>
  );
}
