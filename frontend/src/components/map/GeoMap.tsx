/**
 * The offline map: bundled Natural Earth outlines in Web Mercator, with pan (drag) and zoom (wheel,
 * buttons). Overlays are projected to screen coordinates in JavaScript (double precision) rather
 * than through the SVG transform, so ellipses of a few metres stay exact at any zoom.
 */
import { useEffect, useMemo, useRef, useState, type PointerEvent as ReactPointerEvent } from 'react';
import { loadBasemap, project, WORLD, type BasemapPaths, type Resolution } from './basemap';
import { HeatLayer, type HeatGrid } from './HeatLayer';
import { boundsOf, ellipseRing, type Bounds } from './geo';
import type { Ellipse } from '../../api/types';

export interface MapReceiver {
  id: string;
  name?: string;
  lat: number;
  lon: number;
  outlier?: boolean;
}

export interface MapFix {
  key: string;
  lat: number;
  lon: number;
  ellipses: Ellipse[];
  label?: string;
  latest?: boolean;
}

export interface View {
  k: number;
  x: number;
  y: number;
}

interface GeoMapProps {
  receivers?: MapReceiver[];
  fixes?: MapFix[];
  heat?: HeatGrid | null;
  height?: number;
}

const MIN_K = 0.5;
const MAX_K = 5e6;
const clampK = (k: number) => Math.min(MAX_K, Math.max(MIN_K, k));

export function fitView(bounds: Bounds | null, width: number, height: number): View {
  if (!bounds) {
    const k = Math.min(width, height) / WORLD;
    return { k, x: (width - WORLD * k) / 2, y: (height - WORLD * k) / 2 };
  }
  const [x0, y1] = project(bounds.lonMin, bounds.latMin);
  const [x1, y0] = project(bounds.lonMax, bounds.latMax);
  const spanX = Math.max(x1 - x0, 1e-4);
  const spanY = Math.max(y1 - y0, 1e-4);
  const k = clampK(0.8 * Math.min(width / spanX, height / spanY));
  return { k, x: width / 2 - ((x0 + x1) / 2) * k, y: height / 2 - ((y0 + y1) / 2) * k };
}

function useSize(ref: React.RefObject<HTMLDivElement | null>, height: number): number {
  const [width, setWidth] = useState(800);
  useEffect(() => {
    const element = ref.current;
    if (!element || typeof ResizeObserver === 'undefined') return undefined;
    const observer = new ResizeObserver(([entry]) => setWidth(Math.max(200, entry.contentRect.width)));
    observer.observe(element);
    return () => observer.disconnect();
  }, [ref, height]);
  return width;
}

function useBasemap(resolution: Resolution): BasemapPaths | null {
  const [paths, setPaths] = useState<BasemapPaths | null>(null);
  useEffect(() => {
    let alive = true;
    loadBasemap(resolution).then((p) => alive && setPaths(p), () => undefined);
    return () => {
      alive = false;
    };
  }, [resolution]);
  return paths;
}

export function GeoMap({ receivers = [], fixes = [], heat = null, height = 480 }: GeoMapProps) {
  const box = useRef<HTMLDivElement>(null);
  const svg = useRef<SVGSVGElement>(null);
  const width = useSize(box, height);
  const bounds = useMemo(() => {
    const points: [number, number][] = receivers.map((r) => [r.lon, r.lat]);
    for (const fix of fixes) {
      points.push([fix.lon, fix.lat]);
      const widest = fix.ellipses.reduce<Ellipse | null>((a, e) => (!a || e.confidence > a.confidence ? e : a), null);
      if (widest) points.push(...ellipseRing(fix.lat, fix.lon, widest, 16));
    }
    return boundsOf(points);
  }, [receivers, fixes]);
  const boundsKey = bounds ? [bounds.latMin, bounds.latMax, bounds.lonMin, bounds.lonMax].map((v) => v.toFixed(3)).join() : '';
  const [view, setView] = useState<View>(() => fitView(bounds, width, height));
  // Refit when what there is to show changes place (not on every live update of the same scene).
  useEffect(() => setView(fitView(bounds, width, height)), [boundsKey, width, height]);
  const basemap = useBasemap(view.k * WORLD > 6000 ? '50m' : '110m');
  usePanZoom(svg, setView);
  const drag = useDrag(setView);
  const toScreen = (lon: number, lat: number): [number, number] => {
    const [wx, wy] = project(lon, lat);
    return [wx * view.k + view.x, wy * view.k + view.y];
  };
  const zoomBy = (f: number) =>
    setView((v) => zoomAt(v, f, width / 2, height / 2));

  return (
    <div className="geomap" ref={box}>
      <svg ref={svg} width={width} height={height} role="img" aria-label="map" {...drag}>
        <rect width={width} height={height} className="sea" />
        {basemap && (
          <g transform={`translate(${view.x},${view.y}) scale(${view.k})`}>
            <path d={basemap.land} className="land" vectorEffect="non-scaling-stroke" />
            <path d={basemap.borders} className="borders" vectorEffect="non-scaling-stroke" />
          </g>
        )}
        {heat && <HeatLayer grid={heat} toScreen={toScreen} />}
        {fixes.map((fix) => (
          <g key={fix.key} className={fix.latest ? 'fix fix-latest' : 'fix'}>
            {[...fix.ellipses].sort((a, b) => b.confidence - a.confidence).map((e) => (
              <polygon key={e.confidence} className={`ellipse ellipse-${Math.round(e.confidence * 100)}`}
                points={ellipseRing(fix.lat, fix.lon, e).map(([lon, lat]) => toScreen(lon, lat).join(',')).join(' ')}>
                <title>{`${Math.round(e.confidence * 100)} %: ${Math.round(e.semi_major_m)} × ${Math.round(e.semi_minor_m)} m`}</title>
              </polygon>
            ))}
            <circle cx={toScreen(fix.lon, fix.lat)[0]} cy={toScreen(fix.lon, fix.lat)[1]} r={4} className="fix-dot">
              <title>{fix.label ?? `${fix.lat.toFixed(5)}, ${fix.lon.toFixed(5)}`}</title>
            </circle>
          </g>
        ))}
        {receivers.map((r) => {
          const [x, y] = toScreen(r.lon, r.lat);
          return (
            <g key={r.id} className={r.outlier ? 'receiver receiver-outlier' : 'receiver'} transform={`translate(${x},${y})`}>
              <path d="M0,-7 L6,5 L-6,5 Z" />
              <text x={8} y={4}>{r.name ?? r.id}</text>
            </g>
          );
        })}
      </svg>
      <div className="map-controls">
        <button type="button" onClick={() => zoomBy(2)} aria-label="zoom in">+</button>
        <button type="button" onClick={() => zoomBy(0.5)} aria-label="zoom out">−</button>
        <button type="button" onClick={() => setView(fitView(bounds, width, height))}>Fit</button>
      </div>
      <small className="attribution">Natural Earth (public domain)</small>
    </div>
  );
}

export function zoomAt(v: View, factor: number, px: number, py: number): View {
  const k = clampK(v.k * factor);
  const f = k / v.k;
  return { k, x: px - (px - v.x) * f, y: py - (py - v.y) * f };
}

/** Wheel zoom around the cursor; a native listener because React's wheel handler is passive. */
function usePanZoom(svg: React.RefObject<SVGSVGElement | null>, setView: (f: (v: View) => View) => void): void {
  useEffect(() => {
    const element = svg.current;
    if (!element) return undefined;
    const onWheel = (event: WheelEvent) => {
      event.preventDefault();
      const rect = element.getBoundingClientRect();
      const factor = Math.exp(-event.deltaY * 0.0015);
      setView((v) => zoomAt(v, factor, event.clientX - rect.left, event.clientY - rect.top));
    };
    element.addEventListener('wheel', onWheel, { passive: false });
    return () => element.removeEventListener('wheel', onWheel);
  }, [svg, setView]);
}

function useDrag(setView: (f: (v: View) => View) => void) {
  const last = useRef<[number, number] | null>(null);
  return {
    onPointerDown: (e: ReactPointerEvent<SVGSVGElement>) => {
      last.current = [e.clientX, e.clientY];
      e.currentTarget.setPointerCapture?.(e.pointerId);
    },
    onPointerMove: (e: ReactPointerEvent<SVGSVGElement>) => {
      if (!last.current) return;
      const [dx, dy] = [e.clientX - last.current[0], e.clientY - last.current[1]];
      last.current = [e.clientX, e.clientY];
      setView((v) => ({ ...v, x: v.x + dx, y: v.y + dy }));
    },
    onPointerUp: () => {
      last.current = null;
    },
  };
}
