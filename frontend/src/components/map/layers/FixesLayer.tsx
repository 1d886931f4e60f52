/** Fixes with their 68 % and 95 % ellipses; the latest one stands out, older ones fade. Hover tells the numbers. */
import { useMemo } from 'react';
import type { ExpressionSpecification, LayerSpecification } from 'maplibre-gl';
import { useTheme } from '../../theme';
import { fixFeatures, type MapFix } from '../features';
import { palette } from '../theme';
import { SLOT, useGeoJsonLayer, useHoverPopup } from './useLayer';

export function fixLayers(id: string, colour: string, halo: string): LayerSpecification[] {
  const latest: ExpressionSpecification = ['boolean', ['get', 'latest'], false];
  return [
    { id: `${id}-fill`, type: 'fill', source: id, filter: ['==', ['get', 'kind'], 'ellipse'],
      paint: { 'fill-color': colour, 'fill-opacity': ['case', latest, ['match', ['get', 'confidence'], 68, 0.22, 0.1], 0.04] } },
    { id: `${id}-outline`, type: 'line', source: id, filter: ['==', ['get', 'kind'], 'ellipse'],
      paint: { 'line-color': colour, 'line-width': ['case', latest, 2, 1], 'line-opacity': ['case', latest, 1, 0.4],
        'line-dasharray': ['match', ['get', 'confidence'], 95, ['literal', [3, 2]], ['literal', [1, 0]]] } },
    { id: `${id}-dot`, type: 'circle', source: id, filter: ['==', ['get', 'kind'], 'fix'],
      paint: { 'circle-color': colour, 'circle-radius': ['case', latest, 6, 4], 'circle-stroke-color': halo,
        'circle-stroke-width': 2, 'circle-opacity': ['case', latest, 1, 0.6] } },
  ];
}

export function FixesLayer({ fixes, id = 'fixes' }: { fixes: MapFix[]; id?: string }) {
  const theme = useTheme();
  const colours = palette(theme);
  const data = useMemo(() => fixFeatures(fixes), [fixes]);
  const handle = useGeoJsonLayer(id, data, fixLayers(id, colours.fix, colours.halo), SLOT.fixes);
  useHoverPopup(handle, [`${id}-dot`, `${id}-outline`], (p) => (p.label ? String(p.label) : null));
  return null;
}
