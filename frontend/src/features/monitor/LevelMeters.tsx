/**
 * Per channel, per receiver: the latest level as a meter (its squelch line at floor + threshold), the
 * noise floor, and a detection lamp, from `monitor.level`; beside it the receiver's state and reason.
 */
import type { Monitor, MonitorChannel, MonitorReceiver } from '../../api/monitorTypes';
import { formatFrequency } from '../../components/format';
import type { LevelState } from './live';

const METER_MIN_DB = -150;
const METER_MAX_DB = 0;
/** A reading older than this is marked as such (the server batches about twice a second). */
const STALE_READING_S = 5;

const db = (value: number | null | undefined) => (typeof value === 'number' && Number.isFinite(value) ? `${value.toFixed(1)} dB` : '—');

function Row({ receiver, channel, reading, nowMs }: {
  receiver: MonitorReceiver; channel: MonitorChannel; reading?: LevelState[number][string]; nowMs: number;
}) {
  const where = `${receiver.name} on ${formatFrequency(channel.frequency_hz)}`;
  const ageS = reading ? (nowMs - reading.atMs) / 1000 : null;
  const squelch = reading?.floor_db != null && channel.threshold_db != null ? reading.floor_db + channel.threshold_db : undefined;
  const detecting = Boolean(reading?.detecting);
  return (
    <tr data-receiver={receiver.receiver_id}>
      <th scope="row">{receiver.name} <small className="muted">{receiver.kind}</small></th>
      <td className={`rx-state-${receiver.state}`}>{receiver.state}{receiver.reason ? `: ${receiver.reason}` : ''}</td>
      <td className="level-meter">
        {reading ? (
          <>
            <meter min={METER_MIN_DB} max={METER_MAX_DB} high={squelch} value={reading.level_db} aria-label={`Level of ${where}`} />{' '}
            {db(reading.level_db)} <small className="muted">floor {db(reading.floor_db)}{ageS !== null && ageS > STALE_READING_S ? `, ${Math.round(ageS)} s ago` : ''}</small>
          </>
        ) : <small className="muted">no reading yet</small>}
      </td>
      <td>
        <span className={`lamp${detecting ? ' lamp-on' : ''}`} role="img" aria-label={`${where}: ${detecting ? 'detecting' : 'quiet'}`}
          title={detecting ? 'detecting a transmission' : 'quiet'} />
      </td>
    </tr>
  );
}

export function LevelMeters({ monitor, levels, nowMs }: { monitor: Monitor; levels: LevelState; nowMs: number }) {
  const receivers = monitor.receivers ?? [];
  if (!receivers.length) return <p className="muted">The monitor reports no receivers yet.</p>;
  return (
    <>
      {monitor.channels.map((channel) => (
        <table key={channel.frequency_hz} className="table compact" aria-label={`Levels on ${formatFrequency(channel.frequency_hz)}`}>
          <caption>{formatFrequency(channel.frequency_hz)}{channel.threshold_db != null ? `, squelch ${channel.threshold_db} dB over the floor` : ''}</caption>
          <thead><tr><th scope="col">Receiver</th><th scope="col">State</th><th scope="col">Level</th><th scope="col">Detect</th></tr></thead>
          <tbody>
            {receivers.map((r) => (
              <Row key={r.receiver_id} receiver={r} channel={channel} reading={levels[channel.frequency_hz]?.[r.receiver_id]} nowMs={nowMs} />
            ))}
          </tbody>
        </table>
      ))}
    </>
  );
}
