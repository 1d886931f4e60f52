/** A track: a polyline of fixes in time order, each with its ellipses (the Monitor page feeds it). */
import { useMemo } from 'react';
import { useTheme } from '../../theme';
import { trackFeatures, type MapFix } from '../features';
import { palette } from '../theme';
import { fixLayers } from './FixesLayer';
import { SLOT, useGeoJsonLayer, useHoverPopup } from './useLayer';

export function TrackLayer({ fixes, id = 'track' }: { fixes: MapFix[]; id?: string }) {
  const colours = palette(useTheme());
  const data = useMemo(() => trackFeatures(fixes), [fixes]);
  const handle = useGeoJsonLayer(id, data, [
    { id: `${id}-line`, type: 'line', source: id, filter: ['==', ['get', 'kind'], 'track'],
      paint: { 'line-color': colours.track, 'line-width': 2 } },
    ...fixLayers(id, colours.track, colours.halo),
  ], SLOT.track);
  useHoverPopup(handle, [`${id}-dot`], (p) => (p.label ? String(p.label) : null));
  return null;
}
