import { memo } from 'react';
import { cellEdges } from './geo';
import { ramp } from './colors';

/** A regular lat/lon grid: `values[i][j]` at lat[i], lon[j]. */
export interface HeatGrid {
  lat: number[];
  lon: number[];
  values: (number | null)[][];
  /** `error`: RMS error in metres (log colour scale); `density`: a log-density (posterior). */
  mode: 'error' | 'density';
}

export interface HeatCell {
  i: number;
  j: number;
  t: number;
}

/** Colour positions in [0, 1] for each finite cell; faint posterior cells are left out. */
export function heatCells(grid: HeatGrid): { cells: HeatCell[]; min: number; max: number } {
  const finite = grid.values.flat().filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (!finite.length) return { cells: [], min: Number.NaN, max: Number.NaN };
  const min = Math.min(...finite);
  const max = Math.max(...finite);
  const cells: HeatCell[] = [];
  grid.values.forEach((row, i) =>
    row.forEach((v, j) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) return;
      if (grid.mode === 'density') {
        const t = Math.exp(v - max);
        if (t >= 1e-3) cells.push({ i, j, t });
      } else {
        const span = Math.log(max) - Math.log(Math.max(min, 1e-9));
        cells.push({ i, j, t: span > 0 ? (Math.log(Math.max(v, 1e-9)) - Math.log(Math.max(min, 1e-9))) / span : 0 });
      }
    }),
  );
  return { cells, min, max };
}

interface HeatLayerProps {
  grid: HeatGrid;
  toScreen: (lon: number, lat: number) => [number, number];
}

export const HeatLayer = memo(function HeatLayer({ grid, toScreen }: HeatLayerProps) {
  const latEdges = cellEdges(grid.lat);
  const lonEdges = cellEdges(grid.lon);
  const { cells } = heatCells(grid);
  const error = grid.mode === 'error';
  // Error maps: opaque cells that overlap by half a pixel under one group opacity, so no seams show.
  // Posteriors: each cell's opacity is its probability, so cells must not overlap.
  return (
    <g className={`heat heat-${grid.mode}`} opacity={error ? 0.45 : 1} shapeRendering={error ? undefined : 'crispEdges'}>
      {cells.map(({ i, j, t }) => {
        const [x0, y0] = toScreen(lonEdges[j], latEdges[i + 1]);
        const [x1, y1] = toScreen(lonEdges[j + 1], latEdges[i]);
        const pad = error ? 0.5 : 0;
        return (
          <rect key={`${i}-${j}`} x={Math.min(x0, x1)} y={Math.min(y0, y1)} width={Math.abs(x1 - x0) + pad}
            height={Math.abs(y1 - y0) + pad} fill={error ? ramp(1 - t) : ramp(t)} fillOpacity={error ? 1 : 0.15 + 0.6 * t} />
        );
      })}
    </g>
  );
});

export function HeatLegend({ grid, label }: { grid: HeatGrid; label: string }) {
  const { min, max } = heatCells(grid);
  if (!Number.isFinite(min)) return null;
  const fmt = (m: number) => (m >= 1000 ? `${(m / 1000).toFixed(1)} km` : `${m.toFixed(0)} m`);
  return (
    <div className="legend">
      <span>{label}</span>
      {grid.mode === 'error' ? (
        <span>
          <span style={{ color: ramp(1) }}>■</span> {fmt(min)} … <span style={{ color: ramp(0) }}>■</span> {fmt(max)}
        </span>
      ) : (
        <span>brighter = more probable</span>
      )}
    </div>
  );
}
