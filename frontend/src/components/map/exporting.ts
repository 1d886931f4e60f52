/**
 * Exports of what the map shows: GeoJSON (RFC 7946) and KML 2.2 of every drawn feature (receivers,
 * fixes and ellipses, measurement overlays, tracks, the measured path), and a PNG of the view: the
 * map's canvas with the receiver markers (HTML, so drawn again here) and the attribution.
 */
import type { Map as MapLibreMap } from 'maplibre-gl';

export function downloadBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function geojsonBlob(collection: GeoJSON.FeatureCollection): Blob {
  return new Blob([JSON.stringify(collection, null, 1)], { type: 'application/geo+json' });
}

const xml = (text: string) => text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
const coords = (points: GeoJSON.Position[]) => points.map((p) => `${p[0]},${p[1]},${p[2] ?? 0}`).join(' ');

function kmlGeometry(geometry: GeoJSON.Geometry): string {
  switch (geometry.type) {
    case 'Point':
      return `<Point><coordinates>${coords([geometry.coordinates])}</coordinates></Point>`;
    case 'LineString':
      return `<LineString><tessellate>1</tessellate><coordinates>${coords(geometry.coordinates)}</coordinates></LineString>`;
    case 'Polygon': {
      const [outer, ...holes] = geometry.coordinates;
      const inner = holes.map((ring) => `<innerBoundaryIs><LinearRing><coordinates>${coords(ring)}</coordinates></LinearRing></innerBoundaryIs>`);
      return `<Polygon><outerBoundaryIs><LinearRing><coordinates>${coords(outer)}</coordinates></LinearRing></outerBoundaryIs>${inner.join('')}</Polygon>`;
    }
    case 'MultiPoint':
    case 'MultiLineString':
    case 'MultiPolygon': {
      const single = geometry.type.slice(5) as 'Point' | 'LineString' | 'Polygon';
      const parts = (geometry.coordinates as unknown[]).map((c) => kmlGeometry({ type: single, coordinates: c } as GeoJSON.Geometry));
      return `<MultiGeometry>${parts.join('')}</MultiGeometry>`;
    }
    case 'GeometryCollection':
      return `<MultiGeometry>${geometry.geometries.map(kmlGeometry).join('')}</MultiGeometry>`;
    default:
      return '';
  }
}

/** KML 2.2: one placemark per feature, named by its label, its properties as extended data. */
export function toKml(collection: GeoJSON.FeatureCollection, name: string): string {
  const placemarks = collection.features.filter((f) => f.geometry).map((f) => {
    const p = (f.properties ?? {}) as Record<string, unknown>;
    const data = Object.entries(p).filter(([, v]) => v !== null && v !== undefined && typeof v !== 'object')
      .map(([k, v]) => `<Data name="${xml(k)}"><value>${xml(String(v))}</value></Data>`).join('');
    const description = p.reason ? `<description>${xml(String(p.reason))}</description>` : '';
    return `<Placemark><name>${xml(String(p.label ?? p.kind ?? 'feature'))}</name>${description}<ExtendedData>${data}</ExtendedData>${kmlGeometry(f.geometry)}</Placemark>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>${xml(name)}</name>${placemarks.join('\n')}</Document></kml>\n`;
}

/** The current view as PNG: the WebGL canvas read right after a frame, then markers and attribution on top. */
export function mapPng(map: MapLibreMap): Promise<Blob> {
  return new Promise((resolve, reject) => {
    map.once('render', () => {
      try {
        const source = map.getCanvas();
        const canvas = document.createElement('canvas');
        canvas.width = source.width;
        canvas.height = source.height;
        const context = canvas.getContext('2d');
        if (!context) throw new Error('no 2D canvas');
        context.drawImage(source, 0, 0);
        const ratio = source.width / source.clientWidth || 1;
        context.scale(ratio, ratio);
        drawMarkers(context, map);
        drawAttribution(context, map, source.clientWidth, source.clientHeight);
        canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('PNG encoding failed'))), 'image/png');
      } catch (exc) {
        reject(exc instanceof Error ? exc : new Error(String(exc)));
      }
    });
    map.triggerRepaint();
  });
}

function drawMarkers(context: CanvasRenderingContext2D, map: MapLibreMap): void {
  const container = map.getContainer().getBoundingClientRect();
  context.font = '12px system-ui, sans-serif';
  context.lineWidth = 3;
  for (const element of map.getContainer().querySelectorAll<HTMLElement>('.map-receiver')) {
    const icon = element.querySelector<HTMLElement>('.map-receiver-icon');
    const box = (icon ?? element).getBoundingClientRect();
    const x = box.left - container.left + box.width / 2;
    const y = box.top - container.top + box.height / 2;
    context.fillStyle = icon ? getComputedStyle(icon).backgroundColor : '#2b6cb0';
    context.beginPath();
    context.moveTo(x, y - 7);
    context.lineTo(x + 6, y + 5);
    context.lineTo(x - 6, y + 5);
    context.closePath();
    context.fill();
    const label = element.querySelector('.map-receiver-label')?.textContent ?? '';
    context.strokeStyle = 'rgba(255,255,255,0.9)';
    context.fillStyle = '#1a202c';
    context.strokeText(label, x + 9, y + 4);
    context.fillText(label, x + 9, y + 4);
  }
}

function drawAttribution(context: CanvasRenderingContext2D, map: MapLibreMap, width: number, height: number): void {
  const text = map.getContainer().querySelector('.maplibregl-ctrl-attrib-inner')?.textContent?.trim();
  if (!text) return;
  context.font = '11px system-ui, sans-serif';
  const measured = context.measureText(text).width;
  context.fillStyle = 'rgba(255,255,255,0.8)';
  context.fillRect(width - measured - 10, height - 18, measured + 10, 18);
  context.fillStyle = '#1a202c';
  context.fillText(text, width - measured - 5, height - 5);
}
