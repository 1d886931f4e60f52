/** A heat map (posterior or expected accuracy) as one smoothly interpolated image under everything else. */
import { useEffect, useMemo } from 'react';
import type { ImageSource } from 'maplibre-gl';
import { useMapHandle } from '../context';
import { heatImage, type HeatGrid, type HeatImage } from '../heat';
import { addLayerInSlot, removeLayers, SLOT } from './useLayer';

function toDataUrl(image: HeatImage): string {
  const canvas = document.createElement('canvas');
  canvas.width = image.width;
  canvas.height = image.height;
  const context = canvas.getContext('2d');
  if (!context) return '';
  context.putImageData(new ImageData(new Uint8ClampedArray(image.rgba), image.width, image.height), 0, 0);
  return canvas.toDataURL('image/png');
}

export function HeatLayer({ grid, id = 'heat', opacity = 1 }: { grid: HeatGrid | null; id?: string; opacity?: number }) {
  const handle = useMapHandle();
  const image = useMemo(() => (grid ? heatImage(grid) : null), [grid]);
  useEffect(() => {
    if (!handle || !image) return undefined;
    const { map } = handle;
    const url = toDataUrl(image);
    const existing = map.getSource(id) as ImageSource | undefined;
    if (existing) {
      existing.updateImage({ url, coordinates: image.coordinates });
      return undefined;
    }
    map.addSource(id, { type: 'image', url, coordinates: image.coordinates });
    addLayerInSlot(map, { id, type: 'raster', source: id,
      paint: { 'raster-resampling': 'linear', 'raster-opacity': opacity, 'raster-fade-duration': 0 } }, SLOT.heat);
    map.getContainer().dataset.heat = `${image.width}x${image.height}`;
    return undefined;
  }, [handle, id, image, opacity]);
  useEffect(() => () => {
    if (handle?.map.style) removeLayers(handle.map, [id], id);
    if (handle) delete handle.map.getContainer().dataset.heat;
  }, [handle, id]);
  useEffect(() => {
    if (handle && !image && handle.map.getSource(id)) {
      removeLayers(handle.map, [id], id);
      delete handle.map.getContainer().dataset.heat;
    }
  }, [handle, id, image]);
  return null;
}
