/**
 * What to capture: receivers (ticked here or clicked on the map, with their health) or a network, the
 * frequency as people write it (77.5k, 7.1M), the duration, an optional start time; Plan and Start.
 */
import type { FormEvent } from 'react';
import type { Network, Receiver } from '../../api/types';
import { Field, FormError } from '../../components/Field';
import { formatPosition } from '../../components/format';
import { frequencyText, kiwiHealth, parseFrequency, type CaptureForm as FormState } from './model';

interface Props {
  receivers: Receiver[];
  networks: Network[];
  state: FormState;
  onChange: (next: FormState) => void;
  errors: Record<string, string>;
  formError?: string;
  busy: boolean;
  /** Why Plan / Start are off (the server lacks the route), if they are. */
  planUnavailable?: string;
  startUnavailable?: string;
  onPlan: () => void;
  onStart: (event?: FormEvent) => void;
}

function ReceiverRow({ receiver, checked, disabled, onToggle }: {
  receiver: Receiver; checked: boolean; disabled: boolean; onToggle: () => void;
}) {
  const health = kiwiHealth(receiver);
  return (
    <tr className={checked ? 'selected' : undefined}>
      <td>
        <input type="checkbox" checked={checked} disabled={disabled} onChange={onToggle} aria-label={`Use ${receiver.name}`} />
      </td>
      <th scope="row">{receiver.name}</th>
      <td>{health.gnss}</td>
      <td title={health.roomy === false ? 'one free slot or none: a capture would take its last slot' : undefined}>{health.users}</td>
      <td>{formatPosition(receiver.lat, receiver.lon, 3)}</td>
    </tr>
  );
}

function ReceiverChoice({ receivers, networks, state, onChange, error }: Pick<Props, 'receivers' | 'networks' | 'state' | 'onChange'> & { error?: string }) {
  const network = networks.find((n) => n.id === state.networkId);
  const chosen = new Set(network ? network.receiver_ids : state.receiverIds);
  const toggle = (id: string) => onChange({ ...state, receiverIds: chosen.has(id) ? state.receiverIds.filter((x) => x !== id) : [...state.receiverIds, id] });
  return (
    <fieldset className="receiver-choice" aria-describedby={error ? 'field-receivers-error' : undefined}>
      <legend>Receivers</legend>
      <Field name="network_id" label="Receivers from">
        <select value={state.networkId} onChange={(e) => onChange({ ...state, networkId: e.target.value })}>
          <option value="">the receivers ticked below</option>
          {networks.map((n) => <option key={n.id} value={n.id}>network {n.name}</option>)}
        </select>
      </Field>
      {receivers.length === 0 ? (
        <p className="muted">No KiwiSDR receivers yet: add one on the Receivers page (its URL is enough).</p>
      ) : (
        <div className="table-scroll">
          <table className="table compact">
            <caption className="visually-hidden">KiwiSDR receivers with their health</caption>
            <thead><tr><th scope="col">Use</th><th scope="col">Receiver</th><th scope="col">GNSS</th><th scope="col">Users / max</th><th scope="col">Position</th></tr></thead>
            <tbody>
              {receivers.map((r) => (
                <ReceiverRow key={r.id} receiver={r} checked={chosen.has(r.id)} disabled={Boolean(network)} onToggle={() => toggle(r.id)} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <small className="muted">{chosen.size} chosen{network ? ` (network ${network.name})` : ''}; at least 3 with GNSS are needed for a fix.</small>
      {error && <small className="field-error" id="field-receivers-error" role="alert">{error}</small>}
    </fieldset>
  );
}

export function CaptureForm(props: Props) {
  const { state, onChange, errors } = props;
  const frequencyHz = parseFrequency(state.frequency);
  const unavailable = props.startUnavailable ?? props.planUnavailable;
  return (
    <form className="form form-wide" aria-label="Capture" onSubmit={props.onStart} noValidate>
      <ReceiverChoice receivers={props.receivers} networks={props.networks} state={state} onChange={onChange}
        error={errors.receivers ?? errors.receiver_ids ?? errors.network_id} />
      <div className="row">
        <Field name="frequency_hz" label="Frequency (Hz, or with k / M)" error={errors.frequency_hz}
          hint={frequencyHz !== null ? `= ${frequencyText(frequencyHz)}` : 'e.g. 77.5k or 7.1M (a KiwiSDR: up to 30 MHz)'}>
          <input type="text" inputMode="decimal" value={state.frequency} onChange={(e) => onChange({ ...state, frequency: e.target.value })} />
        </Field>
        <Field name="duration_s" label="Duration (s)" error={errors.duration_s}>
          <input type="number" min={0} step="any" value={state.durationS} onChange={(e) => onChange({ ...state, durationS: e.target.value })} />
        </Field>
        <Field name="passband_hz" label="Passband (Hz, optional)" error={errors.passband_hz} hint="server default: 10 kHz">
          <input type="number" min={0} step="any" value={state.passbandHz} onChange={(e) => onChange({ ...state, passbandHz: e.target.value })} />
        </Field>
        <Field name="start_at" label="Start at (local time, optional)" error={errors.start_at} hint="empty: at once; at most 1 h ahead">
          <input type="datetime-local" value={state.startAt} onChange={(e) => onChange({ ...state, startAt: e.target.value })} />
        </Field>
      </div>
      <label>
        <input type="checkbox" checked={state.locate} onChange={(e) => onChange({ ...state, locate: e.target.checked })} />{' '}
        Locate the transmitter when the recording is done
      </label>
      <div className="row">
        <button type="button" onClick={props.onPlan} disabled={props.busy || Boolean(props.planUnavailable)} title={props.planUnavailable}>Plan</button>
        <button type="submit" disabled={props.busy || Boolean(props.startUnavailable)} title={props.startUnavailable}>Start capture</button>
      </div>
      {unavailable && <p className="notice notice-disabled" role="note">{unavailable}</p>}
      <FormError message={props.formError} />
    </form>
  );
}
