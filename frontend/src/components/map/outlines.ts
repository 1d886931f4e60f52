/**
 * Natural Earth country outlines bundled from `world-atlas` (public domain): emitted as build assets
 * and fetched from the app's own origin, converted from TopoJSON to GeoJSON once per resolution.
 */
import { feature, mesh } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import url110m from 'world-atlas/countries-110m.json?url';
import url50m from 'world-atlas/countries-50m.json?url';

export type Resolution = '110m' | '50m';

export interface Outlines {
  land: GeoJSON.FeatureCollection | GeoJSON.Feature;
  borders: GeoJSON.Feature | GeoJSON.MultiLineString;
}

const urls: Record<Resolution, string> = { '110m': url110m, '50m': url50m };
const cache = new Map<Resolution, Promise<Outlines>>();

async function build(resolution: Resolution): Promise<Outlines> {
  const response = await fetch(urls[resolution]);
  if (!response.ok) throw new Error(`basemap ${resolution}: HTTP ${response.status}`);
  const topology = (await response.json()) as Topology<{ countries: GeometryCollection }>;
  const countries = topology.objects.countries;
  return {
    land: feature(topology, countries) as GeoJSON.FeatureCollection,
    borders: mesh(topology, countries, (a, b) => a !== b),
  };
}

export function loadOutlines(resolution: Resolution): Promise<Outlines> {
  let pending = cache.get(resolution);
  if (!pending) {
    pending = build(resolution);
    pending.catch(() => cache.delete(resolution));
    cache.set(resolution, pending);
  }
  return pending;
}
