/**
 * Base layers as MapLibre sources and layers, every id prefixed `base-` so a switch removes exactly
 * them and re-inserts the new ones under the app's own layers (which stay, with their data).
 *
 * - offline: the bundled Natural Earth outlines (world-atlas TopoJSON, converted once), 1:110m, and
 *   1:50m added the first time the map is zoomed in past `DETAIL_ZOOM`;
 * - raster: any z/x/y raster source (tile archives served by Heimdall, the operator's servers, OSM);
 * - vector: z/x/y vector tiles, drawn with a plain style generated from the layers they declare;
 * - style: a MapLibre style document from the operator's URL, its sources and layers taken in.
 */
import type { LayerSpecification, Map as MapLibreMap, SourceSpecification, StyleSpecification } from 'maplibre-gl';
import type { BaseLayer } from '../../api/types';
import { loadOutlines, type Outlines } from './outlines';
import { palette, type Theme } from './theme';

export const BASE_PREFIX = 'base-';
export const DETAIL_ZOOM = 3.5;

export const OFFLINE_LAYER: BaseLayer = {
  id: 'offline', name: 'Offline (Natural Earth)', kind: 'offline', origin: 'bundled',
  attribution: 'Natural Earth (public domain)', min_zoom: 0, max_zoom: 22,
};

/**
 * Attributions are HTML (links to licences) and may come from an archive's own metadata: keep text
 * and http(s) links, drop everything else, before MapLibre shows them.
 */
export function sanitizeAttribution(html: string): string {
  if (typeof DOMParser === 'undefined') return html.replace(/<[^>]*>/g, '');
  const doc = new DOMParser().parseFromString(`<body>${html}</body>`, 'text/html');
  const escape = (text: string) => text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const walk = (node: Node): string => {
    if (node.nodeType === Node.TEXT_NODE) return escape(node.textContent ?? '');
    const inner = [...node.childNodes].map(walk).join('');
    const href = node instanceof HTMLAnchorElement ? node.getAttribute('href') ?? '' : '';
    return /^https?:\/\//.test(href) ? `<a href="${escape(href)}" target="_blank" rel="noopener">${inner}</a>` : inner;
  };
  return walk(doc.body);
}

/** Tile URLs from the server may be relative to this origin; MapLibre's worker needs them absolute. */
export function absoluteTiles(tiles: readonly string[], origin = window.location.origin): string[] {
  return tiles.map((t) => (t.startsWith('/') ? `${origin}${t}` : t));
}

export function backgroundLayer(theme: Theme): LayerSpecification {
  return { id: `${BASE_PREFIX}background`, type: 'background', paint: { 'background-color': palette(theme).sea } };
}

/** The first layer that is not a base layer: base layers are inserted under it. */
export function firstOverlayId(map: MapLibreMap): string | undefined {
  return map.getStyle().layers?.find((layer) => !layer.id.startsWith(BASE_PREFIX))?.id;
}

export function removeBase(map: MapLibreMap): void {
  for (const layer of [...(map.getStyle().layers ?? [])].reverse()) {
    if (layer.id.startsWith(BASE_PREFIX)) map.removeLayer(layer.id);
  }
  for (const id of Object.keys(map.getStyle().sources ?? {})) {
    if (id.startsWith(BASE_PREFIX)) map.removeSource(id);
  }
}

function addAll(map: MapLibreMap, sources: Record<string, SourceSpecification>, layers: LayerSpecification[]): void {
  const before = firstOverlayId(map);
  for (const [id, source] of Object.entries(sources)) map.addSource(id, source);
  for (const layer of layers) map.addLayer(layer, before);
}

function outlineSources(outlines: Outlines, suffix: string, attribution: string): Record<string, SourceSpecification> {
  return {
    [`${BASE_PREFIX}land-${suffix}`]: { type: 'geojson', data: outlines.land, attribution },
    [`${BASE_PREFIX}borders-${suffix}`]: { type: 'geojson', data: outlines.borders },
  };
}

function outlineLayers(theme: Theme, suffix: string, zoom: { minzoom?: number; maxzoom?: number }): LayerSpecification[] {
  const colours = palette(theme);
  return [
    { id: `${BASE_PREFIX}land-${suffix}`, type: 'fill', source: `${BASE_PREFIX}land-${suffix}`, ...zoom,
      paint: { 'fill-color': colours.land, 'fill-outline-color': colours.coast } },
    { id: `${BASE_PREFIX}borders-${suffix}`, type: 'line', source: `${BASE_PREFIX}borders-${suffix}`, ...zoom,
      paint: { 'line-color': colours.border, 'line-width': 0.8 } },
  ];
}

/**
 * Natural Earth 1:110m now, drawn at every zoom until 1:50m is in; 1:50m is loaded once the first
 * frame is drawn and the view is zoomed in past `DETAIL_ZOOM` (a 756 kB outline set to convert and
 * tile: the map is usable with the coarse outlines meanwhile, as with low-zoom tiles on a tile map).
 */
export async function addOffline(map: MapLibreMap, theme: Theme, attribution: string, onDetail?: () => void): Promise<() => void> {
  const coarse = await loadOutlines('110m');
  const credit = sanitizeAttribution(attribution);
  addAll(map, outlineSources(coarse, '110m', credit), [backgroundLayer(theme), ...outlineLayers(theme, '110m', {})]);
  let detailed = false;
  const addDetail = async () => {
    if (detailed || map.getZoom() < DETAIL_ZOOM - 0.5) return;
    detailed = true;
    const fine = await loadOutlines('50m');
    if (!map.getSource(`${BASE_PREFIX}land-110m`)) return; // switched away meanwhile
    addAll(map, outlineSources(fine, '50m', credit), outlineLayers(theme, '50m', { minzoom: DETAIL_ZOOM }));
    for (const id of [`${BASE_PREFIX}land-110m`, `${BASE_PREFIX}borders-110m`]) map.setLayerZoomRange(id, 0, DETAIL_ZOOM);
    map.once('idle', () => onDetail?.());
  };
  const afterFirstFrame = () => void addDetail();
  map.on('zoomend', afterFirstFrame);
  map.once('idle', afterFirstFrame);
  return () => {
    map.off('zoomend', afterFirstFrame);
    map.off('idle', afterFirstFrame);
  };
}

export function tileSource(layer: BaseLayer): SourceSpecification {
  const common = {
    tiles: absoluteTiles(layer.tiles ?? []), minzoom: layer.min_zoom, maxzoom: layer.max_zoom,
    attribution: sanitizeAttribution(layer.attribution), ...(layer.bounds ? { bounds: layer.bounds as [number, number, number, number] } : {}),
  };
  return layer.kind === 'vector' ? { type: 'vector', ...common } : { type: 'raster', tileSize: layer.tile_size ?? 256, ...common };
}

export function addTiles(map: MapLibreMap, layer: BaseLayer, theme: Theme): void {
  const id = `${BASE_PREFIX}tiles`;
  const layers: LayerSpecification[] = [backgroundLayer(theme)];
  if (layer.kind === 'vector') layers.push(...vectorLayers(id, layer, theme));
  else layers.push({ id, type: 'raster', source: id, paint: { 'raster-fade-duration': 0 } });
  addAll(map, { [id]: tileSource(layer) }, layers);
}

/** A plain, readable style for vector tiles that come without one: areas, lines and points per layer. */
export function vectorLayers(source: string, layer: BaseLayer, theme: Theme): LayerSpecification[] {
  const colours = palette(theme);
  return (layer.vector_layers ?? []).flatMap(({ id }) => {
    const name = String(id);
    return [
      { id: `${source}-${name}-fill`, type: 'fill', source, 'source-layer': name, filter: ['==', ['geometry-type'], 'Polygon'],
        paint: { 'fill-color': colours.land, 'fill-outline-color': colours.coast } },
      { id: `${source}-${name}-line`, type: 'line', source, 'source-layer': name, filter: ['==', ['geometry-type'], 'LineString'],
        paint: { 'line-color': colours.border, 'line-width': 1 } },
      { id: `${source}-${name}-point`, type: 'circle', source, 'source-layer': name, filter: ['==', ['geometry-type'], 'Point'],
        paint: { 'circle-color': colours.border, 'circle-radius': 2 } },
    ] satisfies LayerSpecification[];
  });
}

/** An operator's style document: its sources and layers, renamed under the base prefix. */
export async function addStyle(map: MapLibreMap, layer: BaseLayer): Promise<void> {
  const response = await fetch(layer.style_url ?? '');
  if (!response.ok) throw new Error(`style ${layer.style_url}: HTTP ${response.status}`);
  const style = (await response.json()) as StyleSpecification;
  const rename = (id: string) => `${BASE_PREFIX}style-${id}`;
  if (style.glyphs) map.setGlyphs(style.glyphs);
  if (typeof style.sprite === 'string') map.setSprite(style.sprite);
  const sources = Object.fromEntries(Object.entries(style.sources).map(([id, source]) => [rename(id),
    'attribution' in source && source.attribution ? { ...source, attribution: sanitizeAttribution(source.attribution) } : source]));
  const layers = style.layers.map((l) => ({ ...l, id: rename(l.id), ...('source' in l && l.source ? { source: rename(l.source) } : {}) }) as LayerSpecification);
  addAll(map, sources, layers);
}

export function recolourBase(map: MapLibreMap, theme: Theme): void {
  const colours = palette(theme);
  const set = (id: string, property: 'background-color' | 'fill-color' | 'fill-outline-color' | 'line-color', value: string) => {
    if (map.getLayer(id)) map.setPaintProperty(id, property, value);
  };
  set(`${BASE_PREFIX}background`, 'background-color', colours.sea);
  for (const suffix of ['110m', '50m']) {
    set(`${BASE_PREFIX}land-${suffix}`, 'fill-color', colours.land);
    set(`${BASE_PREFIX}land-${suffix}`, 'fill-outline-color', colours.coast);
    set(`${BASE_PREFIX}borders-${suffix}`, 'line-color', colours.border);
  }
}
