/** Start a watch: a network, one or more channels (each with its squelch), the minimum receivers, a CoT endpoint. */
import { useState } from 'react';
import type { Monitor } from '../../api/monitorTypes';
import { monitorApi } from '../../api/monitors';
import type { Network } from '../../api/types';
import { Field, FormError } from '../../components/Field';
import { useSubmit } from '../../components/useSubmit';
import {
  channelField, EMPTY_CHANNEL, formFields, INITIAL_FORM, toMonitorInput, validateMonitor, type ChannelRow, type MonitorFormState,
} from './formModel';

interface Props {
  networks: Network[];
  onStarted?: (monitor: Monitor) => void;
}

function ChannelInputs({ row, index, errors, onChange, onRemove }: {
  row: ChannelRow; index: number; errors: Record<string, string>;
  onChange: (row: ChannelRow) => void; onRemove?: () => void;
}) {
  const n = index + 1;
  return (
    <div className="channel-row">
      <Field name={channelField(index, 'frequency_hz')} label={`Channel ${n} frequency (e.g. 145.5M, 7.1M)`} error={errors[channelField(index, 'frequency_hz')]}>
        <input className="narrow" value={row.frequency} onChange={(e) => onChange({ ...row, frequency: e.target.value })} />
      </Field>
      <Field name={channelField(index, 'passband_hz')} label={`Channel ${n} passband (e.g. 12k; empty: default)`} error={errors[channelField(index, 'passband_hz')]}>
        <input className="narrow" value={row.passband} onChange={(e) => onChange({ ...row, passband: e.target.value })} />
      </Field>
      <Field name={channelField(index, 'threshold_db')} label={`Channel ${n} squelch (dB over the noise floor)`} error={errors[channelField(index, 'threshold_db')]}>
        <input className="narrow" inputMode="decimal" value={row.threshold} onChange={(e) => onChange({ ...row, threshold: e.target.value })} />
      </Field>
      {onRemove && <button type="button" onClick={onRemove}>Remove channel {n}</button>}
    </div>
  );
}

export function MonitorForm({ networks, onStarted }: Props) {
  const [state, setState] = useState<MonitorFormState>(INITIAL_FORM);
  const set = (patch: Partial<MonitorFormState>) => setState((s) => ({ ...s, ...patch }));
  const network = networks.find((n) => n.id === state.networkId);
  const { errors, formError, submitting, unavailable, onSubmit } = useSubmit({
    fields: formFields(state),
    validate: () => validateMonitor(state, network?.receiver_ids.length),
    send: () => monitorApi.create(toMonitorInput(state)),
    onSuccess: (created) => {
      setState(INITIAL_FORM);
      if (created?.monitor?.id) onStarted?.(created.monitor);
    },
  });
  const setChannel = (index: number, row: ChannelRow) => set({ channels: state.channels.map((r, i) => (i === index ? row : r)) });
  return (
    <form className="form" onSubmit={onSubmit} noValidate aria-label="Start a watch">
      <div className="row">
        <Field name="name" label="Name (optional)" error={errors.name}>
          <input value={state.name} onChange={(e) => set({ name: e.target.value })} />
        </Field>
        <Field name="network_id" label="Network" error={errors.network_id}>
          <select value={state.networkId} onChange={(e) => set({ networkId: e.target.value })}>
            <option value="">choose…</option>
            {networks.map((n) => <option key={n.id} value={n.id}>{n.name} ({n.receiver_ids.length} receivers)</option>)}
          </select>
        </Field>
        <Field name="min_receivers" label="Minimum receivers per fix" error={errors.min_receivers}>
          <input className="narrow" inputMode="numeric" value={state.minReceivers} onChange={(e) => set({ minReceivers: e.target.value })} />
        </Field>
      </div>
      <fieldset className="plain">
        <legend>Channels</legend>
        {state.channels.map((row, i) => (
          <ChannelInputs key={i} row={row} index={i} errors={errors} onChange={(r) => setChannel(i, r)}
            onRemove={state.channels.length > 1 ? () => set({ channels: state.channels.filter((_, j) => j !== i) }) : undefined} />
        ))}
        {errors.channels && <small className="field-error" role="alert">{errors.channels}</small>}
        <button type="button" onClick={() => set({ channels: [...state.channels, EMPTY_CHANNEL] })}>Add a channel</button>
      </fieldset>
      <Field name="cot" label="Cursor-on-Target endpoint (optional, udp://host:port or tcp://host:port)" error={errors.cot}>
        <input value={state.cotUrl} onChange={(e) => set({ cotUrl: e.target.value })} />
      </Field>
      <FormError message={unavailable ?? formError} />
      <button type="submit" disabled={submitting || Boolean(unavailable)} title={unavailable}>Start watching</button>
    </form>
  );
}
