/**
 * Natural Earth country outlines bundled from the `world-atlas` package (no tile server: nothing
 * outside this app's own origin is fetched). 1:110m when zoomed out, 1:50m when zoomed in.
 */
import { geoMercator, geoPath } from 'd3-geo';
import { feature, mesh } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import url110m from 'world-atlas/countries-110m.json?url';
import url50m from 'world-atlas/countries-50m.json?url';

export type Resolution = '110m' | '50m';

/** Side of the Mercator world square, in world units; the view transform scales it to pixels. */
export const WORLD = 1024;

export const projection = geoMercator()
  .scale(WORLD / (2 * Math.PI))
  .translate([WORLD / 2, WORLD / 2]);

export function project(lon: number, lat: number): [number, number] {
  return projection([lon, lat]) ?? [Number.NaN, Number.NaN];
}

export interface BasemapPaths {
  land: string;
  borders: string;
}

const urls: Record<Resolution, string> = { '110m': url110m, '50m': url50m };
const cache = new Map<Resolution, Promise<BasemapPaths>>();

async function build(resolution: Resolution): Promise<BasemapPaths> {
  const response = await fetch(urls[resolution]);
  if (!response.ok) throw new Error(`basemap ${resolution}: HTTP ${response.status}`);
  const topology = (await response.json()) as Topology<{ countries: GeometryCollection }>;
  const path = geoPath(projection).digits(4);
  const countries = topology.objects.countries;
  return {
    land: path(feature(topology, countries)) ?? '',
    borders: path(mesh(topology, countries, (a, b) => a !== b)) ?? '',
  };
}

/** World outlines projected into world units, built once per resolution. */
export function loadBasemap(resolution: Resolution): Promise<BasemapPaths> {
  let pending = cache.get(resolution);
  if (!pending) {
    pending = build(resolution);
    pending.catch(() => cache.delete(resolution));
    cache.set(resolution, pending);
  }
  return pending;
}
