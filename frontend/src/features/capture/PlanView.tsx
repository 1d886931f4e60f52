/** The ranking `POST /captures/plan` answers before a capture: GNSS, free slots, expected error, warnings. */
import type { CapturePlan } from '../../api/captureTypes';
import { formatDistance, formatSignificant } from '../../components/format';
import { frequencyText } from './model';

export function PlanView({ plan, frequencyHz }: { plan: CapturePlan; frequencyHz: number }) {
  const ranked = [...plan.receivers].sort((a, b) => b.score - a.score);
  return (
    <section className="card" aria-label="Plan">
      <h2>{`Plan for ${frequencyText(frequencyHz)}`}</h2>
      {plan.warnings.length > 0 && (
        <div className="notice" role="note" aria-label="Warnings">
          <strong>Warnings</strong>
          <ul>{plan.warnings.map((w) => <li key={w}>{w}</li>)}</ul>
        </div>
      )}
      <p>Expected error of this geometry: <strong>{plan.expected_error_m === null ? 'unknown' : formatDistance(plan.expected_error_m)}</strong></p>
      <table className="table compact">
        <caption className="visually-hidden">Receivers ranked for this capture, best first</caption>
        <thead>
          <tr><th scope="col">Rank</th><th scope="col">Receiver</th><th scope="col">Score</th><th scope="col">GNSS</th><th scope="col">Free slots</th><th scope="col">Notes</th></tr>
        </thead>
        <tbody>
          {ranked.map((r, i) => (
            <tr key={r.receiver_id} data-receiver={r.receiver_id}>
              <td>{i + 1}</td>
              <th scope="row">{r.name}</th>
              <td>{formatSignificant(r.score, 3)}</td>
              <td>{r.gnss_ok ? 'ok' : 'not ok'}</td>
              <td>{r.free_slots ?? 'unknown'}</td>
              <td>{r.reasons.length ? r.reasons.join('; ') : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
