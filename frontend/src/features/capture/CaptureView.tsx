/**
 * One capture: each receiver's live state (from `job.progress` on `job:<job_id>` over the tab's one
 * socket, and `capture.updated`), then the fix and which receivers it used, excluded and why.
 */
import type { Capture, CaptureReceiver } from '../../api/captureTypes';
import { api } from '../../api/endpoints';
import type { Job, LocalizationDetail } from '../../api/types';
import { ActionButton } from '../../components/ActionButton';
import { formatEllipse, formatPosition, formatSignificant, formatTime } from '../../components/format';
import { frequencyText, isActive, liveReceivers, progressPhase, secondsText, verdicts } from './model';

const STATE_WORDS: Record<CaptureReceiver['state'], string> = {
  pending: 'pending', connecting: 'connecting', waiting_gnss: 'waiting for GNSS', recording: 'recording',
  done: 'done', failed: 'failed', excluded: 'excluded',
};

function ProgressTable({ rows, durationS }: { rows: CaptureReceiver[]; durationS: number }) {
  return (
    <table className="table compact">
      <caption>Receivers, live</caption>
      <thead>
        <tr><th scope="col">Receiver</th><th scope="col">State</th><th scope="col">GNSS</th><th scope="col">Recorded</th><th scope="col">SNR</th><th scope="col">Reason</th></tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.receiver_id} data-receiver={r.receiver_id}>
            <th scope="row">{r.name}</th>
            <td><span className={`status rx-${r.state}`}>{STATE_WORDS[r.state] ?? r.state}</span></td>
            <td>{r.gnss_ok ? 'ok' : 'no'}</td>
            <td>
              <progress max={durationS} value={Math.min(r.seconds_recorded, durationS)} aria-label={`${r.name}: seconds recorded`} />{' '}
              {`${Number(r.seconds_recorded.toFixed(1))} / ${secondsText(durationS)}`}
            </td>
            <td>{r.snr_db === null || r.snr_db === undefined ? '—' : `${r.snr_db.toFixed(1)} dB`}</td>
            <td>{r.reason ?? ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function FixFacts({ fix }: { fix: LocalizationDetail }) {
  return (
    // Each term and its value in one <div> (allowed in a <dl>; a <span> is not).
    <dl className="facts">
      <div className="contents"><dt>Position</dt><dd data-lat={fix.lat} data-lon={fix.lon}>{formatPosition(fix.lat, fix.lon)}</dd></div>
      <div className="contents"><dt>Method</dt><dd>{fix.method}</dd></div>
      <div className="contents"><dt>GDOP</dt><dd>{formatSignificant(fix.gdop, 3)}</dd></div>
      {fix.ellipses.map((e) => (
        <div key={e.confidence} className="contents">
          <dt>{Math.round(e.confidence * 100)} % region</dt><dd>{formatEllipse(e)}</dd>
        </div>
      ))}
    </dl>
  );
}

function Verdicts({ capture, outlierReasons }: { capture: Capture; outlierReasons: Record<string, string> }) {
  return (
    <table className="table compact">
      <caption>Receivers in the fix</caption>
      <thead><tr><th scope="col">Receiver</th><th scope="col">In the fix</th><th scope="col">Why not</th></tr></thead>
      <tbody>
        {verdicts(capture, outlierReasons).map((v) => (
          <tr key={v.receiverId} data-verdict={v.verdict}>
            <th scope="row">{v.name}</th><td>{v.verdict}</td><td>{v.reason ?? ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function CaptureView({ capture, job, outlierReasons }: { capture: Capture; job: Job | undefined; outlierReasons: Record<string, string> }) {
  const status = job?.status ?? capture.status;
  const phase = isActive(status) ? progressPhase(job?.progress) : null;
  const fix = capture.localization;
  return (
    <section className="card" aria-label="Capture in view">
      <div className="row spread">
        <h2>{`Capture at ${frequencyText(capture.frequency_hz)}, ${secondsText(capture.duration_s)}`}</h2>
        {isActive(status) && capture.job_id && <ActionButton onAction={() => api.controlJob(capture.job_id!, 'cancel')}>Cancel capture</ActionButton>}
      </div>
      <p>
        <span className={`status status-${status}`}>{status}</span>
        {phase && <span> · phase: {phase}</span>}
        <span className="muted"> · created {formatTime(capture.created_at)}{capture.start_at ? ` · starts ${formatTime(capture.start_at)}` : ''}</span>
      </p>
      <ProgressTable rows={liveReceivers(capture, job)} durationS={capture.duration_s} />
      {capture.error && <p className="form-error" role="alert">{capture.error}</p>}
      {fix ? (
        <>
          <h3>Fix</h3>
          <FixFacts fix={fix} />
          <Verdicts capture={capture} outlierReasons={outlierReasons} />
        </>
      ) : !isActive(status) && <p className="muted">No fix{capture.error ? '' : ' for this capture (locating was off, or too few receivers were usable)'}.</p>}
    </section>
  );
}
