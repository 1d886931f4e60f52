/**
 * What each measurement says (GET /localizations/{id}/overlays): bearing lines with ±1σ wedges, TDoA
 * hyperbolas with ±1σ bands, power and arrival-time range rings with their bands. Outliers are
 * dashed and grey; hovering any of them tells the measurement and, for an outlier, why it was rejected.
 */
import type { ExpressionSpecification } from 'maplibre-gl';
import type { OverlayCollection } from '../../../api/types';
import { useTheme } from '../../theme';
import { palette } from '../theme';
import { SLOT, useGeoJsonLayer, useHoverPopup } from './useLayer';

const LINE_KINDS = ['bearing', 'tdoa', 'rss_circle', 'toa_circle'];
const BAND_KINDS = ['bearing_wedge', 'tdoa_band', 'rss_band', 'toa_band'];

function byKind(colours: ReturnType<typeof palette>): ExpressionSpecification {
  return ['case', ['boolean', ['get', 'outlier'], false], colours.outlier,
    ['match', ['get', 'kind'], ['bearing', 'bearing_wedge'], colours.bearing, ['tdoa', 'tdoa_band'], colours.tdoa,
      ['rss_circle', 'rss_band'], colours.rss, colours.toa]];
}

export function describeOverlay(p: Record<string, unknown>): string | null {
  if (!p.label) return null;
  const residual = typeof p.residual_sigma === 'number' ? `\n${Math.abs(p.residual_sigma).toFixed(1)} σ from the fix` : '';
  return p.reason ? `${String(p.label)} — outlier\n${String(p.reason)}` : `${String(p.label)}${residual}`;
}

export function OverlaysLayer({ overlays, id = 'overlays' }: { overlays: OverlayCollection | null; id?: string }) {
  const colours = palette(useTheme());
  const measurements = overlays ? { ...overlays, features: overlays.features.filter((f) => f.properties.kind !== 'receiver') } : null;
  const colour = byKind(colours);
  const outlier: ExpressionSpecification = ['boolean', ['get', 'outlier'], false];
  const bands = useGeoJsonLayer(`${id}-bands`, measurements, [
    { id: `${id}-bands`, type: 'fill', source: `${id}-bands`, filter: ['in', ['get', 'kind'], ['literal', BAND_KINDS]],
      paint: { 'fill-color': colour, 'fill-opacity': ['case', outlier, 0.06, 0.16] } },
  ], SLOT.bands, false);
  const lines = useGeoJsonLayer(id, measurements, [
    { id: `${id}-lines`, type: 'line', source: id, filter: ['all', ['in', ['get', 'kind'], ['literal', LINE_KINDS]], ['!', outlier]],
      paint: { 'line-color': colour, 'line-width': 2 } },
    { id: `${id}-outliers`, type: 'line', source: id, filter: ['all', ['in', ['get', 'kind'], ['literal', LINE_KINDS]], outlier],
      paint: { 'line-color': colour, 'line-width': 2, 'line-dasharray': [2, 2] } },
  ], SLOT.lines);
  useHoverPopup(lines, [`${id}-lines`, `${id}-outliers`], describeOverlay);
  useHoverPopup(bands, [`${id}-bands`], () => null);
  return null;
}
