/** Per-receiver measurements with units; errors (the client's or the server's) beside their fields. */
import type { FormEvent } from 'react';
import type { Network, Receiver } from '../../api/types';
import { Field, FormError } from '../../components/Field';
import { KINDS, fieldName, withKind, type FormState, type Kind, type Method, type Row } from './formModel';

interface Props {
  networks: Network[];
  networkId: string;
  onNetwork: (id: string) => void;
  receivers: Receiver[];
  state: FormState;
  onChange: (state: FormState) => void;
  errors: Record<string, string>;
  formError?: string;
  submitting: boolean;
  unavailable?: string;
  onSubmit: (event: FormEvent) => void;
}

function CellError({ id, message }: { id: string; message?: string }) {
  return message ? <small className="field-error" id={id} role="alert">{message}</small> : null;
}

function RowFields({ receiver, row, receivers, errors, onRow }: {
  receiver: Receiver; row: Row; receivers: Receiver[]; errors: Record<string, string>; onRow: (row: Row) => void;
}) {
  const names = { kind: fieldName(receiver.id, 'kind'), value: fieldName(receiver.id, 'value'),
    sigma: fieldName(receiver.id, 'sigma'), reference: fieldName(receiver.id, 'reference') };
  const spec = row.kind === 'none' ? null : KINDS[row.kind];
  const invalid = (name: string) => ({ 'aria-invalid': Boolean(errors[name]), 'aria-describedby': errors[name] ? `${name}-error` : undefined });
  return (
    <tr className={row.kind === 'none' ? 'row-off' : undefined}>
      <th scope="row">{receiver.name}</th>
      <td>
        <select id={names.kind} aria-label={`${receiver.name}: what it measured`} value={row.kind}
          onChange={(e) => onRow(withKind(row, e.target.value as Kind))}>
          <option value="none">not used</option>
          {Object.entries(KINDS).map(([kind, k]) => <option key={kind} value={kind}>{k.label}</option>)}
        </select>
      </td>
      <td>
        {spec && (
          <span className="with-unit">
            <input id={names.value} inputMode="decimal" className="narrow" aria-label={`${receiver.name}: ${spec.value} (${spec.valueUnit})`}
              value={row.value} onChange={(e) => onRow({ ...row, value: e.target.value })} {...invalid(names.value)} />
            <span className="unit" aria-hidden="true">{spec.valueUnit}</span>
            <CellError id={`${names.value}-error`} message={errors[names.value]} />
          </span>
        )}
      </td>
      <td>
        {spec && (
          <span className="with-unit">
            <span aria-hidden="true">±</span>
            <input id={names.sigma} inputMode="decimal" className="narrow" aria-label={`${receiver.name}: uncertainty, 1 sigma (${spec.sigmaUnit})`}
              value={row.sigma} onChange={(e) => onRow({ ...row, sigma: e.target.value })} {...invalid(names.sigma)} />
            <span className="unit" aria-hidden="true">{spec.sigmaUnit}</span>
            <CellError id={`${names.sigma}-error`} message={errors[names.sigma]} />
          </span>
        )}
      </td>
      <td>
        {row.kind === 'tdoa' && (
          <>
            <select id={names.reference} aria-label={`${receiver.name}: reference receiver`} value={row.reference}
              onChange={(e) => onRow({ ...row, reference: e.target.value })} {...invalid(names.reference)}>
              <option value="">reference…</option>
              {receivers.filter((r) => r.id !== receiver.id).map((r) => <option key={r.id} value={r.id}>{r.name}</option>)}
            </select>
            <CellError id={`${names.reference}-error`} message={errors[names.reference]} />
          </>
        )}
      </td>
    </tr>
  );
}

export function MeasurementForm(props: Props) {
  const { receivers, state, onChange, errors } = props;
  const setRow = (id: string, row: Row) => onChange({ ...state, rows: { ...state.rows, [id]: row } });
  return (
    <form className="form form-wide" onSubmit={props.onSubmit} noValidate aria-label="Measurements">
      <div className="row">
        <label className="field">
          Network
          <select value={props.networkId} onChange={(e) => props.onNetwork(e.target.value)}>
            {!props.networks.length && <option value="">no networks yet</option>}
            {props.networks.map((n) => <option key={n.id} value={n.id}>{n.name}</option>)}
          </select>
        </label>
        <Field name="frequency" label="Frequency (MHz)" error={errors.frequency}>
          <input inputMode="decimal" className="narrow" value={state.frequencyMhz}
            onChange={(e) => onChange({ ...state, frequencyMhz: e.target.value })} />
        </Field>
        <Field name="method" label="Method" error={errors.method}>
          <select value={state.method} onChange={(e) => onChange({ ...state, method: e.target.value as Method })}>
            <option value="auto">auto</option>
            <option value="classical">classical</option>
            <option value="neural">neural (deployed model)</option>
          </select>
        </Field>
      </div>
      <table className="table compact measurements" aria-describedby={errors.rows ? 'field-rows-error' : undefined}>
        <caption className="muted">What each receiver measured; click a receiver on the map to use it or not.</caption>
        <thead><tr><th scope="col">Receiver</th><th scope="col">Measured</th><th scope="col">Value</th><th scope="col">Uncertainty (1σ)</th><th scope="col">Reference</th></tr></thead>
        <tbody>
          {receivers.map((r) => (
            <RowFields key={r.id} receiver={r} row={state.rows[r.id] ?? { kind: 'none', value: '', sigma: '', reference: '' }}
              receivers={receivers} errors={errors} onRow={(row) => setRow(r.id, row)} />
          ))}
        </tbody>
      </table>
      {errors.rows && <small className="field-error" id="field-rows-error" role="alert">{errors.rows}</small>}
      <div className="row">
        <button type="submit" disabled={props.submitting || Boolean(props.unavailable)} title={props.unavailable}>Locate</button>
      </div>
      <FormError message={props.unavailable ?? props.formError} />
    </form>
  );
}
