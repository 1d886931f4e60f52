/**
 * Columnar series for uPlot, grown in place: each update appends only epochs not seen before, so a
 * 1,000-epoch x 10-metric run costs O(new rows) per event, and a replayed epoch is never drawn twice.
 */
import type { MetricRow } from '../../api/types';

export interface SeriesSpec {
  label: string;
  /** Candidate metric names, first present wins (training code may spell a metric differently). */
  keys: string[];
}

export interface Columns {
  epochs: number[];
  series: (number | null)[][];
}

export function emptyColumns(specs: SeriesSpec[]): Columns {
  return { epochs: [], series: specs.map(() => []) };
}

function valueOf(row: MetricRow, spec: SeriesSpec): number | null {
  for (const key of spec.keys) if (typeof row[key] === 'number' && Number.isFinite(row[key])) return row[key];
  return null;
}

/** Append the rows whose epoch is beyond the last one held; returns how many were appended. */
export function appendRows(columns: Columns, rows: MetricRow[], specs: SeriesSpec[]): number {
  let tail = columns.epochs.length ? columns.epochs[columns.epochs.length - 1] : -Infinity;
  let appended = 0;
  for (const row of rows) {
    if (!(row.epoch > tail)) continue;
    tail = row.epoch;
    columns.epochs.push(row.epoch);
    specs.forEach((spec, i) => columns.series[i].push(valueOf(row, spec)));
    appended += 1;
  }
  return appended;
}

/** True when the rows no longer extend what the columns hold (history refetched, job restarted). */
export function needsRebuild(columns: Columns, rows: MetricRow[]): boolean {
  const n = columns.epochs.length;
  if (n === 0) return false;
  if (rows.length < n) return true;
  return rows[n - 1]?.epoch !== columns.epochs[n - 1] || rows[0]?.epoch !== columns.epochs[0];
}

/** Short tick labels: 12k, 0.68, 3.2e-4. */
export function formatTick(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return ''; // uPlot passes null for log-scale ticks it hides
  const a = Math.abs(v);
  if (v === 0) return '0';
  if (a >= 10_000) return `${+(v / 1000).toPrecision(3)}k`;
  if (a < 0.01) return v.toExponential(1);
  return String(+v.toPrecision(3));
}

export const CHARTS: { title: string; series: SeriesSpec[]; log?: boolean }[] = [
  { title: 'Loss', series: [{ label: 'train', keys: ['train_loss', 'loss'] }, { label: 'validation', keys: ['val_loss'] }] },
  {
    title: 'Error (m)',
    log: true,
    series: [
      { label: 'median', keys: ['median_error_m', 'val_median_error_m'] },
      { label: 'p95', keys: ['p95_error_m', 'val_p95_error_m'] },
    ],
  },
  {
    title: 'Coverage',
    series: [
      { label: '68 % region', keys: ['coverage_68', 'val_coverage_68'] },
      { label: '95 % region', keys: ['coverage_95', 'val_coverage_95'] },
    ],
  },
  { title: 'Learning rate', series: [{ label: 'lr', keys: ['lr', 'learning_rate'] }] },
  { title: 'Gradient norm', series: [{ label: 'grad norm', keys: ['grad_norm'] }] },
];
