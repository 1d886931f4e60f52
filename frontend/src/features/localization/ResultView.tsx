/** A localization's numbers, formatted with units; the map beside it draws the geometry. */
import type { LocalizationResult, OverlayCollection, RecordingsLocalization } from '../../api/types';
import { formatDistance, formatDuration, formatEllipse, formatMilliseconds, formatPosition, formatSignificant, formatTime } from '../../components/format';

function outlierReasons(overlays: OverlayCollection | null | undefined): Record<string, string> {
  const reasons: Record<string, string> = {};
  for (const f of overlays?.features ?? []) {
    if (f.properties.kind === 'receiver' && f.properties.reason) reasons[f.properties.receiver] = f.properties.reason;
  }
  return reasons;
}

export function ResultView({ result, overlays, recordings }: {
  result: LocalizationResult; overlays?: OverlayCollection | null; recordings?: RecordingsLocalization['recordings'];
}) {
  const reasons = outlierReasons(overlays);
  const used = Object.entries(result.used ?? {}).filter(([, n]) => n).map(([k, n]) => `${n} ${k}`).join(' · ') || '—';
  return (
    <section className="result card" aria-label="result">
      <h2>Result</h2>
      <dl className="facts">
        <dt>Position</dt><dd data-lat={result.lat} data-lon={result.lon}>{formatPosition(result.lat, result.lon)}{result.alt_m !== null && result.alt_m !== undefined ? `, ${formatDistance(result.alt_m)}` : ''}</dd>
        <dt>Method</dt><dd>{result.method}</dd>
        <dt>Used</dt><dd>{used}</dd>
        <dt>Outliers</dt>
        <dd>{result.outliers.length ? (
          <ul className="plain">{result.outliers.map((id) => <li key={id}><strong>{id}</strong>{reasons[id] ? `: ${reasons[id]}` : ''}</li>)}</ul>
        ) : 'none'}</dd>
        <dt>GDOP</dt><dd>{formatSignificant(result.gdop, 3)}</dd>
        <dt>Computed in</dt><dd>{formatMilliseconds(result.elapsed_ms)}</dd>
        {result.created_at && <><dt>Stored</dt><dd>{formatTime(result.created_at)}</dd></>}
        {result.ellipses.map((e) => (
          // a <div> is the one element HTML allows to group a <dt>/<dd> pair inside a <dl>
          <div key={e.confidence} className="contents">
            <dt>{Math.round(e.confidence * 100)} % region</dt>
            <dd>{formatEllipse(e)}</dd>
          </div>
        ))}
      </dl>
      {recordings?.pairs && recordings.pairs.length > 0 && (
        <table className="table compact">
          <caption>Time differences measured in the recordings (against {String(recordings.reference ?? 'the first')})</caption>
          <thead><tr><th scope="col">Receiver</th><th scope="col">Delay</th><th scope="col">Noise (1σ)</th></tr></thead>
          <tbody>
            {recordings.pairs.map((p) => (
              <tr key={String(p.receiver)}><td>{String(p.receiver)}</td><td>{formatDuration(Number(p.delay_s))}</td><td>{formatDuration(Number(p.noise_sigma_s))}</td></tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
