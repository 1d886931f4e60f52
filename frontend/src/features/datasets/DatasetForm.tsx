import { useState } from 'react';
import { api } from '../../api/endpoints';
import { REALISM_LEVELS, SIGNAL_TYPES, type DatasetInput, type Network, type RealismLevel, type SignalType } from '../../api/types';
import { Field, FormError } from '../../components/Field';
import { toNumber, useSubmit } from '../../components/useSubmit';

export const DATASET_FIELDS = ['name', 'network_id', 'num_samples', 'seed', 'frequency_hz', 'realism', 'signal_types'] as const;
const MAX_SAMPLES = 10_000_000;

export interface DatasetDraft {
  name: string;
  network_id: string;
  num_samples: string;
  seed: string;
  frequency_mhz: string;
  realism: RealismLevel;
  signal_types: SignalType[];
}

export const EMPTY_DATASET: DatasetDraft = {
  name: '', network_id: '', num_samples: '10000', seed: '0', frequency_mhz: '145.5', realism: 'channel', signal_types: ['nbfm_voice'],
};

export function validateDataset(d: DatasetDraft): Record<string, string> {
  const errors: Record<string, string> = {};
  const n = toNumber(d.num_samples);
  if (!d.name.trim()) errors.name = 'A name is required.';
  if (!d.network_id) errors.network_id = 'Pick a network.';
  if (!Number.isInteger(n) || n < 1 || n > MAX_SAMPLES) errors.num_samples = `A whole number from 1 to ${MAX_SAMPLES.toLocaleString('en')}.`;
  if (d.seed.trim() && !(Number.isInteger(toNumber(d.seed)) && toNumber(d.seed) >= 0)) errors.seed = 'Seed must be a whole number ≥ 0.';
  const f = toNumber(d.frequency_mhz);
  if (!(f > 0 && f < 300_000)) errors.frequency_hz = 'Frequency must be above 0 MHz (and below 300 GHz).';
  if (!d.signal_types.length) errors.signal_types = 'Pick at least one signal type.';
  return errors;
}

/** Signal types are drawn with equal probability; the simulator wants probabilities summing to 1. */
export function datasetInput(d: DatasetDraft): DatasetInput {
  const share = 1 / d.signal_types.length;
  const input: DatasetInput = {
    name: d.name.trim(),
    network_id: d.network_id,
    num_samples: Number(d.num_samples),
    frequency_hz: Math.round(Number(d.frequency_mhz) * 1e6),
    realism: d.realism,
    signal_types: Object.fromEntries(d.signal_types.map((t) => [t, share])),
  };
  if (d.seed.trim()) input.seed = Number(d.seed);
  return input;
}

interface DatasetFormProps {
  networks: Network[];
  onCreated?: () => void;
  /** Set when the server is known not to offer datasets: the form is shown, disabled, with this reason. */
  disabledReason?: string;
}

export function DatasetForm({ networks, onCreated, disabledReason }: DatasetFormProps) {
  const [draft, setDraft] = useState<DatasetDraft>(EMPTY_DATASET);
  const set = <K extends keyof DatasetDraft>(key: K, value: DatasetDraft[K]) => setDraft((d) => ({ ...d, [key]: value }));
  const { errors, formError, submitting, unavailable: refused, onSubmit } = useSubmit({
    fields: DATASET_FIELDS,
    validate: () => validateDataset(draft),
    send: () => api.createDataset(datasetInput(draft)),
    onSuccess: () => {
      setDraft(EMPTY_DATASET);
      onCreated?.();
    },
  });
  const unavailable = disabledReason ?? refused;
  const toggle = (t: SignalType) =>
    set('signal_types', draft.signal_types.includes(t) ? draft.signal_types.filter((x) => x !== t) : [...draft.signal_types, t]);
  return (
    <form className="form" onSubmit={onSubmit} noValidate aria-label="Generate dataset">
      <fieldset className="plain" disabled={Boolean(disabledReason)}>
      <Field name="name" label="Name" error={errors.name}><input value={draft.name} onChange={(e) => set('name', e.target.value)} /></Field>
      <Field name="network_id" label="Network" error={errors.network_id}>
        <select value={draft.network_id} onChange={(e) => set('network_id', e.target.value)}>
          <option value="">— choose —</option>
          {networks.map((n) => <option key={n.id} value={n.id}>{n.name}</option>)}
        </select>
      </Field>
      <div className="row">
        <Field name="num_samples" label="Samples" error={errors.num_samples}>
          <input inputMode="numeric" value={draft.num_samples} onChange={(e) => set('num_samples', e.target.value)} />
        </Field>
        <Field name="seed" label="Seed" error={errors.seed}><input inputMode="numeric" value={draft.seed} onChange={(e) => set('seed', e.target.value)} /></Field>
        <Field name="frequency_hz" label="Frequency (MHz)" error={errors.frequency_hz}>
          <input inputMode="decimal" value={draft.frequency_mhz} onChange={(e) => set('frequency_mhz', e.target.value)} />
        </Field>
        <Field name="realism" label="Realism" error={errors.realism}>
          <select value={draft.realism} onChange={(e) => set('realism', e.target.value as RealismLevel)}>
            {REALISM_LEVELS.map((r) => <option key={r} value={r}>{r}</option>)}
          </select>
        </Field>
      </div>
      <fieldset className={errors.signal_types ? 'field-invalid' : undefined}>
        <legend>Signal types</legend>
        {SIGNAL_TYPES.map((t) => (
          <label key={t} className="inline"><input type="checkbox" checked={draft.signal_types.includes(t)} onChange={() => toggle(t)} /> {t}</label>
        ))}
        {errors.signal_types && <small className="field-error" role="alert">{errors.signal_types}</small>}
      </fieldset>
      </fieldset>
      <FormError message={unavailable ?? formError} />
      <button type="submit" disabled={submitting || Boolean(unavailable)} title={unavailable}>Generate</button>
    </form>
  );
}
