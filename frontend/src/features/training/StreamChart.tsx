import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { MetricRow } from '../../api/types';
import { appendRows, emptyColumns, formatTick, needsRebuild, type Columns, type SeriesSpec } from './chartData';

const COLOURS = ['#2b6cb0', '#dd6b20', '#2f855a', '#9b2c2c'];

interface StreamChartProps {
  title: string;
  series: SeriesSpec[];
  rows: MetricRow[];
  log?: boolean;
  height?: number;
}

/** One uPlot chart fed by a growing list of epochs; new epochs are appended, never redrawn from scratch. */
export function StreamChart({ title, series, rows, log = false, height = 180 }: StreamChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const columns = useRef<Columns>(emptyColumns(series));

  useEffect(() => {
    const element = box.current;
    if (!element) return undefined;
    const options: uPlot.Options = {
      title,
      width: element.clientWidth || 420,
      height,
      scales: { x: { time: false }, y: log ? { distr: 3 } : {} },
      axes: [{ label: 'epoch' }, { size: 56, values: (_u, splits) => splits.map(formatTick) }],
      series: [{ label: 'epoch' }, ...series.map((s, i) => ({ label: s.label, stroke: COLOURS[i % COLOURS.length], spanGaps: true }))],
    };
    const chart = new uPlot(options, [columns.current.epochs, ...columns.current.series] as uPlot.AlignedData, element);
    plot.current = chart;
    const observer = typeof ResizeObserver === 'undefined' ? null
      : new ResizeObserver(([entry]) => chart.setSize({ width: Math.max(200, entry.contentRect.width), height }));
    observer?.observe(element);
    return () => {
      observer?.disconnect();
      chart.destroy();
      plot.current = null;
    };
  }, [title, series, log, height]);

  useEffect(() => {
    if (needsRebuild(columns.current, rows)) columns.current = emptyColumns(series);
    const appended = appendRows(columns.current, rows, series);
    if (appended && plot.current) plot.current.setData([columns.current.epochs, ...columns.current.series] as uPlot.AlignedData);
    if (box.current) box.current.dataset.points = String(columns.current.epochs.length);
  }, [rows, series]);

  return <div className="chart" ref={box} data-testid={`chart-${title}`} />;
}
