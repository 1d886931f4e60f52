import type { LocalizationResult, MeasurementSet } from '../../api/types';
import { GeoMap } from '../../components/map/GeoMap';
import { HeatLegend } from '../../components/map/HeatLayer';
import { posteriorGrid } from './measurementSet';

const km = (m: number) => (m >= 1000 ? `${(m / 1000).toFixed(2)} km` : `${m.toFixed(0)} m`);

export function ResultView({ result, measurementSet }: { result: LocalizationResult; measurementSet: MeasurementSet }) {
  const heat = posteriorGrid(result);
  const outliers = new Set(result.outliers);
  const receivers = measurementSet.receivers.map((r) => ({ id: r.id, name: r.id, lat: r.lat, lon: r.lon, outlier: outliers.has(r.id) }));
  return (
    <section className="result" aria-label="result">
      <dl className="facts">
        <dt>Position</dt><dd>{result.lat.toFixed(5)}, {result.lon.toFixed(5)}{result.alt_m !== null ? `, ${result.alt_m} m` : ''}</dd>
        <dt>Method</dt><dd>{result.method}</dd>
        <dt>Used</dt><dd>{Object.entries(result.used).filter(([, n]) => n).map(([k, n]) => `${k} ${n}`).join(' · ') || '—'}</dd>
        <dt>Outliers</dt><dd>{result.outliers.length ? result.outliers.join(', ') : 'none'}</dd>
        <dt>GDOP</dt><dd>{result.gdop ?? '—'}</dd>
        <dt>Time</dt><dd>{result.elapsed_ms.toFixed(1)} ms</dd>
        {result.ellipses.map((e) => (
          <span key={e.confidence} className="contents">
            <dt>{Math.round(e.confidence * 100)} % region</dt>
            <dd>{km(e.semi_major_m)} × {km(e.semi_minor_m)}, major axis {e.orientation_deg.toFixed(0)}° from north</dd>
          </span>
        ))}
      </dl>
      <GeoMap receivers={receivers} fixes={[{ key: 'result', lat: result.lat, lon: result.lon, ellipses: result.ellipses, latest: true }]} heat={heat} height={460} />
      {heat ? <HeatLegend grid={heat} label="Posterior" /> : <p className="muted">The server sent no posterior grid for this result.</p>}
    </section>
  );
}
