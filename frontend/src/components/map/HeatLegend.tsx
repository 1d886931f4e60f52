import { formatDistance } from '../format';
import { ramp } from './colors';
import { finiteRange, type HeatGrid } from './heat';

/** What a heat map's colours mean: the error range (accuracy maps) or relative probability (posteriors). */
export function HeatLegend({ grid, label }: { grid: HeatGrid; label: string }) {
  const { min, max } = finiteRange(grid);
  if (!Number.isFinite(min)) return null;
  const stops = [0, 0.25, 0.5, 0.75, 1].map((t) => ramp(grid.mode === 'error' ? 1 - t : t)).join(', ');
  return (
    <div className="legend" role="note" aria-label={`${label} legend`}>
      <span>{label}</span>
      <span className="legend-bar" style={{ background: `linear-gradient(to right, ${stops})` }} aria-hidden="true" />
      {grid.mode === 'error'
        ? <span>{formatDistance(min)} … {formatDistance(max)}</span>
        : <span>less … more probable</span>}
    </div>
  );
}

const HEALTH_LABELS: [string, string][] = [['ok', 'healthy'], ['degraded', 'degraded'], ['down', 'down'], ['unknown', 'no report'], ['disabled', 'disabled']];

/** The receiver colours. */
export function HealthLegend({ outliers = false }: { outliers?: boolean }) {
  return (
    <div className="legend" role="note" aria-label="Receiver colours">
      <span>Receivers:</span>
      {HEALTH_LABELS.map(([key, text]) => (
        <span key={key} className={`legend-item health-${key}`}><span className="map-receiver-icon" aria-hidden="true" /> {text}</span>
      ))}
      {outliers && <span className="legend-item receiver-outlier"><span className="map-receiver-icon" aria-hidden="true" /> outlier</span>}
    </div>
  );
}
