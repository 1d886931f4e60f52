/**
 * Live bearing lines from direction-finding stations (the Monitor page's KrakenSDRs): one line per
 * bearing from where the station was, fading with age (`bearings.ts`), each station's newest line
 * labelled with its name at the far end. Labels are HTML markers, as receiver names are: no glyphs.
 */
import { useEffect, useMemo, useRef } from 'react';
import type { Marker } from 'maplibre-gl';
import { useTheme } from '../../theme';
import type { MapHandle } from '../context';
import { bearingFeatures, DEFAULT_BEARING_STYLE, type BearingStyle, type MapBearing } from '../bearings';
import { palette } from '../theme';
import { SLOT, useGeoJsonLayer, useHoverPopup } from './useLayer';

interface Props {
  bearings: MapBearing[];
  /** The moment ages are measured from (ms): the clock when live, a transmission's end when replaying. */
  nowMs: number;
  id?: string;
  style?: BearingStyle;
}

function useStationLabels(handle: MapHandle | null, data: GeoJSON.FeatureCollection): void {
  const labels = useRef(new Map<string, { marker: Marker; element: HTMLElement }>());
  useEffect(() => {
    if (!handle) return;
    const seen = new Set<string>();
    for (const feature of data.features) {
      const p = feature.properties ?? {};
      if (!p.newest || feature.geometry.type !== 'LineString') continue;
      const station = String(p.receiver);
      seen.add(station);
      let entry = labels.current.get(station);
      if (!entry) {
        const element = document.createElement('span');
        element.className = 'map-bearing-label';
        entry = { marker: new handle.engine.Marker({ element, anchor: 'left', offset: [4, 0] }), element };
        labels.current.set(station, entry);
        entry.marker.setLngLat([0, 0]).addTo(handle.map);
      }
      const end = feature.geometry.coordinates[feature.geometry.coordinates.length - 1] as [number, number];
      entry.marker.setLngLat(end);
      entry.element.textContent = String(p.station);
      entry.element.title = String(p.label);
      entry.element.style.opacity = String(p.opacity);
    }
    for (const [station, entry] of labels.current) {
      if (seen.has(station)) continue;
      entry.marker.remove();
      labels.current.delete(station);
    }
  }, [handle, data]);
  useEffect(() => () => {
    for (const entry of labels.current.values()) entry.marker.remove();
    labels.current.clear();
  }, [handle]);
}

export function BearingsLayer({ bearings, nowMs, id = 'bearings', style = DEFAULT_BEARING_STYLE }: Props) {
  const colours = palette(useTheme());
  const data = useMemo(() => bearingFeatures(bearings, nowMs, style), [bearings, nowMs, style]);
  const handle = useGeoJsonLayer(id, data, [
    { id: `${id}-lines`, type: 'line', source: id,
      paint: { 'line-color': colours.bearing, 'line-opacity': ['get', 'opacity'],
        'line-width': ['case', ['boolean', ['get', 'newest'], false], 2.5, 1.5] } },
  ], SLOT.lines);
  useHoverPopup(handle, [`${id}-lines`], (p) => (p.label ? String(p.label) : null));
  useStationLabels(handle, data);
  return null;
}
