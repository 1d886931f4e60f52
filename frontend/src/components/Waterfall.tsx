/**
 * An IQ waterfall: a spectrogram drawn on a canvas, time running down, frequency offset across, power
 * through a perceptual colour map over the top `rangeDb` decibels (weaker bins are all the floor colour).
 */
import { useEffect, useRef } from 'react';

export interface SpectrogramData {
  time_s: number[];
  frequency_hz: number[];
  power_db: number[][];
  sample_rate_hz?: number;
}

/** Viridis-like stops (dark blue -> green -> yellow): monotonic lightness, readable in greyscale. */
const STOPS: [number, number, number][] = [
  [68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37],
];

/** The colour of `t` in [0, 1] (clamped), linearly between the stops. */
export function colourAt(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(x));
  const f = x - i;
  const [a, b] = [STOPS[i], STOPS[i + 1]];
  return [0, 1, 2].map((k) => Math.round(a[k] + (b[k] - a[k]) * f)) as [number, number, number];
}

/** The dB range drawn: from the strongest bin down by `rangeDb`. */
export function powerRange(power_db: number[][], rangeDb: number): { floorDb: number; ceilDb: number } {
  let ceilDb = -Infinity;
  for (const row of power_db) for (const v of row) if (v > ceilDb) ceilDb = v;
  if (!Number.isFinite(ceilDb)) ceilDb = 0;
  return { floorDb: ceilDb - rangeDb, ceilDb };
}

/** RGBA pixels, one per bin: row = time frame (first frame on top), column = frequency bin. */
export function waterfallPixels(power_db: number[][], floorDb: number, ceilDb: number): Uint8ClampedArray {
  const rows = power_db.length;
  const cols = rows ? power_db[0].length : 0;
  const pixels = new Uint8ClampedArray(rows * cols * 4);
  const span = ceilDb - floorDb || 1;
  power_db.forEach((row, r) => row.forEach((v, c) => {
    const [red, green, blue] = colourAt((v - floorDb) / span);
    pixels.set([red, green, blue, 255], (r * cols + c) * 4);
  }));
  return pixels;
}

function formatHz(hz: number): string {
  return Math.abs(hz) >= 1000 ? `${(hz / 1000).toFixed(1)} kHz` : `${hz.toFixed(0)} Hz`;
}

function formatS(s: number): string {
  return s < 1 ? `${(s * 1000).toFixed(1)} ms` : `${s.toFixed(2)} s`;
}

export function Waterfall({ data, rangeDb = 60, label = 'IQ waterfall' }: { data: SpectrogramData; rangeDb?: number; label?: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const { floorDb, ceilDb } = powerRange(data.power_db, rangeDb);
  const rows = data.power_db.length;
  const cols = rows ? data.power_db[0].length : 0;

  useEffect(() => {
    const element = canvas.current;
    const context = element?.getContext('2d');
    if (!element || !context || !rows || !cols) return;
    const image = context.createImageData(cols, rows);
    image.data.set(waterfallPixels(data.power_db, floorDb, ceilDb));
    context.putImageData(image, 0, 0);
  }, [data, floorDb, ceilDb, rows, cols]);

  const f = data.frequency_hz;
  const t = data.time_s;
  return (
    <figure className="waterfall" aria-label={label}>
      <div className="waterfall-axis-y" aria-label="time axis">
        <span>{t.length ? formatS(t[0]) : ''}</span>
        <span>time ↓</span>
        <span>{t.length ? formatS(t[t.length - 1]) : ''}</span>
      </div>
      <canvas ref={canvas} width={cols} height={rows} role="img"
        aria-label={`${label}: ${rows} frames × ${cols} bins, ${floorDb.toFixed(0)} to ${ceilDb.toFixed(0)} dB`}
        style={{ width: '100%', height: 240, imageRendering: 'pixelated' }} />
      <div className="waterfall-axis-x" aria-label="frequency axis">
        <span>{f.length ? formatHz(f[0]) : ''}</span>
        <span>0 Hz (frequency offset)</span>
        <span>{f.length ? formatHz(f[f.length - 1]) : ''}</span>
      </div>
      <figcaption className="waterfall-scale">
        <span>{floorDb.toFixed(0)} dB</span>
        <span className="waterfall-gradient" style={{ background: `linear-gradient(to right, ${STOPS.map((s) => `rgb(${s.join(',')})`).join(', ')})` }} />
        <span>{ceilDb.toFixed(0)} dB (re full scale)</span>
      </figcaption>
    </figure>
  );
}
