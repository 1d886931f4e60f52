/**
 * Numbers as people read them: a unit, and as many digits as the quantity deserves (a position to
 * about a metre, a GDOP to three significant digits, a time difference in µs or ns), never a float's
 * sixteen digits. Every page formats through these.
 */

const DASH = '—';

function finite(value: number | null | undefined): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** `digits` significant digits, without trailing zeros after the point and without exponent notation. */
export function formatSignificant(value: number | null | undefined, digits = 3): string {
  if (!finite(value)) return DASH;
  if (value === 0) return '0';
  const magnitude = Math.floor(Math.log10(Math.abs(value)));
  const decimals = Math.max(0, digits - 1 - magnitude);
  return value.toFixed(Math.min(decimals, 12));
}

/** Metres: "0.42 m", "850 m", "1.25 km", "12.5 km", "125 km". */
export function formatDistance(metres: number | null | undefined): string {
  if (!finite(metres)) return DASH;
  const abs = Math.abs(metres);
  if (abs < 1) return `${metres.toFixed(2)} m`;
  if (abs < 1000) return `${metres.toFixed(0)} m`;
  if (abs < 10_000) return `${(metres / 1000).toFixed(2)} km`;
  if (abs < 100_000) return `${(metres / 1000).toFixed(1)} km`;
  return `${(metres / 1000).toFixed(0)} km`;
}

/** Degrees with hemisphere, 5 decimals (about 1 m): "45.12000° N, 7.41000° E". */
export function formatPosition(lat: number | null | undefined, lon: number | null | undefined, decimals = 5): string {
  if (!finite(lat) || !finite(lon)) return DASH;
  const ns = lat >= 0 ? 'N' : 'S';
  const ew = lon >= 0 ? 'E' : 'W';
  return `${Math.abs(lat).toFixed(decimals)}° ${ns}, ${Math.abs(lon).toFixed(decimals)}° ${ew}`;
}

export function formatAngle(degrees: number | null | undefined, decimals = 1): string {
  return finite(degrees) ? `${degrees.toFixed(decimals)}°` : DASH;
}

/** Seconds in the unit that keeps 3–4 significant digits: "21.03 µs", "145 ns", "1.20 s". */
export function formatDuration(seconds: number | null | undefined): string {
  if (!finite(seconds)) return DASH;
  const abs = Math.abs(seconds);
  const units: [number, string][] = [[1, 's'], [1e-3, 'ms'], [1e-6, 'µs'], [1e-9, 'ns']];
  const [scale, unit] = units.find(([s]) => abs >= s) ?? units[units.length - 1];
  return `${formatSignificant(seconds / scale, 4)} ${unit}`;
}

export function formatMilliseconds(ms: number | null | undefined): string {
  if (!finite(ms)) return DASH;
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${formatSignificant(ms, 3)} ms`;
}

export function formatPower(dbm: number | null | undefined): string {
  return finite(dbm) ? `${dbm.toFixed(1)} dBm` : DASH;
}

export function formatFrequency(hz: number | null | undefined): string {
  if (!finite(hz)) return DASH;
  if (hz >= 1e9) return `${formatSignificant(hz / 1e9, 7)} GHz`;
  if (hz >= 1e6) return `${formatSignificant(hz / 1e6, 7)} MHz`;
  if (hz >= 1e3) return `${formatSignificant(hz / 1e3, 6)} kHz`;
  return `${formatSignificant(hz, 4)} Hz`;
}

export function formatBytes(bytes: number | null | undefined): string {
  if (!finite(bytes)) return DASH;
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

/** "68 % region: 1.25 km × 850 m, major axis 35° from north". */
export function formatEllipse(e: { confidence: number; semi_major_m: number; semi_minor_m: number; orientation_deg: number }): string {
  return `${formatDistance(e.semi_major_m)} × ${formatDistance(e.semi_minor_m)}, major axis ${e.orientation_deg.toFixed(0)}° from north`;
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return DASH;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });
}
