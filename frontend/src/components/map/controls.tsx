/** The map's own tools: base-layer switch, coordinates under the cursor, distance measuring, exports. */
import { useEffect, useMemo, useState } from 'react';
import type { MapMouseEvent } from 'maplibre-gl';
import type { BaseLayer } from '../../api/types';
import { formatDistance, formatPosition } from '../format';
import { useTheme } from '../theme';
import type { MapHandle } from './context';
import { downloadBlob, geojsonBlob, mapPng, toKml } from './exporting';
import { pathLengthM } from './geo';
import { palette } from './theme';
import { SLOT, addLayerInSlot, removeLayers } from './layers/useLayer';
import type { GeoJSONSource } from 'maplibre-gl';

const ORIGINS: Record<string, string> = { bundled: 'bundled', archive: 'tile archive', custom: 'server', online: 'online' };

export function BaseLayerPicker({ layers, chosen, onChoose }: { layers: BaseLayer[]; chosen: BaseLayer | null; onChoose: (id: string) => void }) {
  return (
    <label className="map-base-picker">
      Base layer{' '}
      <select value={chosen?.id ?? ''} onChange={(e) => onChoose(e.target.value)} disabled={!layers.length}>
        {layers.map((l) => <option key={l.id} value={l.id}>{l.name} · {ORIGINS[l.origin] ?? l.origin}</option>)}
      </select>
    </label>
  );
}

/** Coordinates under the pointer; the view's centre when the pointer is elsewhere (keyboard users). */
export function CursorPosition({ handle }: { handle: MapHandle | null }) {
  const [text, setText] = useState('');
  useEffect(() => {
    if (!handle) return undefined;
    const { map } = handle;
    const centre = () => {
      const c = map.getCenter();
      setText(`centre ${formatPosition(c.lat, c.lng)}, zoom ${map.getZoom().toFixed(1)}`);
    };
    const move = (e: MapMouseEvent) => setText(`cursor ${formatPosition(e.lngLat.lat, e.lngLat.lng)}`);
    centre();
    map.on('mousemove', move);
    map.on('mouseout', centre);
    map.on('moveend', centre);
    return () => {
      map.off('mousemove', move);
      map.off('mouseout', centre);
      map.off('moveend', centre);
    };
  }, [handle]);
  return <output className="map-cursor" aria-label="coordinates">{text}</output>;
}

const MEASURE = 'measure';

/** Click points on the map to measure a path along the ellipsoid; Escape or Clear ends it. */
export function MeasureTool({ handle }: { handle: MapHandle | null }) {
  const [active, setActive] = useState(false);
  const [points, setPoints] = useState<[number, number][]>([]);
  const colours = palette(useTheme());
  const data = useMemo<GeoJSON.FeatureCollection>(() => ({
    type: 'FeatureCollection',
    features: [
      ...(points.length >= 2 ? [{ type: 'Feature' as const, geometry: { type: 'LineString' as const, coordinates: points },
        properties: { kind: 'measure', label: `measured path: ${formatDistance(pathLengthM(points))}` } }] : []),
      ...points.map((p) => ({ type: 'Feature' as const, geometry: { type: 'Point' as const, coordinates: p }, properties: { kind: 'measure-point' } })),
    ],
  }), [points]);
  useEffect(() => {
    if (!handle || !active) return undefined;
    const { map } = handle;
    map.addSource(MEASURE, { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
    addLayerInSlot(map, { id: `${MEASURE}-line`, type: 'line', source: MEASURE, paint: { 'line-color': colours.measure, 'line-width': 2, 'line-dasharray': [4, 2] } }, SLOT.measure);
    addLayerInSlot(map, { id: `${MEASURE}-points`, type: 'circle', source: MEASURE, filter: ['==', ['geometry-type'], 'Point'],
      paint: { 'circle-radius': 4, 'circle-color': colours.measure, 'circle-stroke-color': colours.halo, 'circle-stroke-width': 1.5 } }, SLOT.measure);
    const click = (e: MapMouseEvent) => setPoints((p) => [...p, [e.lngLat.lng, e.lngLat.lat]]);
    const key = (e: KeyboardEvent) => e.key === 'Escape' && setActive(false);
    map.on('click', click);
    map.getCanvas().style.cursor = 'crosshair';
    window.addEventListener('keydown', key);
    return () => {
      map.off('click', click);
      window.removeEventListener('keydown', key);
      if (map.style) {
        map.getCanvas().style.cursor = '';
        removeLayers(map, [`${MEASURE}-line`, `${MEASURE}-points`], MEASURE);
      }
      handle.exports.set(MEASURE, null);
    };
  }, [handle, active, colours.measure, colours.halo]);
  useEffect(() => {
    if (!handle || !active) return;
    (handle.map.getSource(MEASURE) as GeoJSONSource | undefined)?.setData(data);
    handle.exports.set(MEASURE, data.features.filter((f) => f.properties?.kind === 'measure'));
  }, [handle, active, data]);
  const toggle = () => {
    setPoints([]);
    setActive((a) => !a);
  };
  return (
    <span className="map-measure">
      <button type="button" aria-pressed={active} onClick={toggle} disabled={!handle}
        title="Click points on the map to measure the distance between them (Escape to stop)">Measure</button>
      {active && (
        <output aria-live="polite">
          {points.length < 2 ? 'click points on the map' : formatDistance(pathLengthM(points))}
        </output>
      )}
    </span>
  );
}

export function ExportButtons({ handle, name }: { handle: MapHandle | null; name: string }) {
  const [count, setCount] = useState(0);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!handle) return undefined;
    const update = () => setCount(handle.exports.collection().features.length);
    update();
    return handle.exports.subscribe(update);
  }, [handle]);
  const empty = !handle || count === 0;
  const png = async () => {
    if (!handle) return;
    setError(null);
    try {
      downloadBlob(await mapPng(handle.map), `${name}.png`);
    } catch (exc) {
      setError(`PNG export failed: ${exc instanceof Error ? exc.message : String(exc)}`);
    }
  };
  return (
    <span className="map-export" role="group" aria-label="Export the map">
      <button type="button" disabled={empty} title={empty ? 'Nothing drawn yet' : `${count} features as GeoJSON`}
        onClick={() => handle && downloadBlob(geojsonBlob(handle.exports.collection()), `${name}.geojson`)}>GeoJSON</button>
      <button type="button" disabled={empty} title={empty ? 'Nothing drawn yet' : `${count} features as KML`}
        onClick={() => handle && downloadBlob(new Blob([toKml(handle.exports.collection(), name)], { type: 'application/vnd.google-earth.kml+xml' }), `${name}.kml`)}>KML</button>
      <button type="button" disabled={!handle} onClick={() => void png()}>PNG</button>
      {error && <small className="field-error" role="alert">{error}</small>}
    </span>
  );
}
