import { useState } from 'react';
import { api } from '../../api/endpoints';
import type { Dataset, TrainingInput } from '../../api/types';
import { Field, FormError } from '../../components/Field';
import { toNumber, useSubmit } from '../../components/useSubmit';

export const TRAINING_FIELDS = ['name', 'dataset_ids', 'epochs', 'batch_size', 'learning_rate', 'seed'] as const;

interface Draft {
  name: string;
  dataset_ids: string[];
  epochs: string;
  batch_size: string;
  learning_rate: string;
  seed: string;
}

export function validateTraining(d: Draft): Record<string, string> {
  const errors: Record<string, string> = {};
  const positiveInt = (text: string) => Number.isInteger(toNumber(text)) && toNumber(text) > 0;
  if (!d.name.trim()) errors.name = 'A name is required.';
  if (!d.dataset_ids.length) errors.dataset_ids = 'Pick at least one dataset.';
  if (d.epochs && !positiveInt(d.epochs)) errors.epochs = 'Epochs must be a whole number above 0.';
  if (d.batch_size && !positiveInt(d.batch_size)) errors.batch_size = 'Batch size must be a whole number above 0.';
  const lr = toNumber(d.learning_rate);
  if (d.learning_rate && !(lr > 0 && lr < 1)) errors.learning_rate = 'Learning rate must be between 0 and 1.';
  if (d.seed && !(Number.isInteger(toNumber(d.seed)) && toNumber(d.seed) >= 0)) errors.seed = 'Seed must be a whole number ≥ 0.';
  return errors;
}

function toInput(d: Draft): TrainingInput {
  const input: TrainingInput = { name: d.name.trim(), dataset_ids: d.dataset_ids };
  if (d.epochs) input.epochs = Number(d.epochs);
  if (d.batch_size) input.batch_size = Number(d.batch_size);
  if (d.learning_rate) input.learning_rate = Number(d.learning_rate);
  if (d.seed) input.seed = Number(d.seed);
  return input;
}

const EMPTY: Draft = { name: '', dataset_ids: [], epochs: '', batch_size: '', learning_rate: '', seed: '' };

/** Start a training job; options left empty take the server's defaults. */
export function TrainingForm({ datasets, onStarted }: { datasets: Dataset[]; onStarted?: (jobId: string) => void }) {
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const set = (key: keyof Draft, value: string) => setDraft((d) => ({ ...d, [key]: value }));
  const { errors, formError, submitting, unavailable, onSubmit } = useSubmit({
    fields: TRAINING_FIELDS,
    validate: () => validateTraining(draft),
    send: () => api.createTrainingJob(toInput(draft)),
    onSuccess: (created) => {
      setDraft(EMPTY);
      if (created?.job?.id) onStarted?.(created.job.id);
    },
  });
  const toggle = (id: string) =>
    setDraft((d) => ({ ...d, dataset_ids: d.dataset_ids.includes(id) ? d.dataset_ids.filter((x) => x !== id) : [...d.dataset_ids, id] }));
  return (
    <form className="form" onSubmit={onSubmit} noValidate aria-label="Start training">
      <Field name="name" label="Model name" error={errors.name}>
        <input value={draft.name} onChange={(e) => set('name', e.target.value)} />
      </Field>
      <fieldset className={errors.dataset_ids ? 'field-invalid' : undefined}>
        <legend>Datasets</legend>
        {datasets.length === 0 && <small className="muted">No datasets yet.</small>}
        {datasets.map((ds) => (
          <label key={ds.id} className="inline">
            <input type="checkbox" checked={draft.dataset_ids.includes(ds.id)} onChange={() => toggle(ds.id)} /> {ds.name}
          </label>
        ))}
        {errors.dataset_ids && <small className="field-error" role="alert">{errors.dataset_ids}</small>}
      </fieldset>
      <div className="row">
        <Field name="epochs" label="Epochs" error={errors.epochs}><input inputMode="numeric" value={draft.epochs} onChange={(e) => set('epochs', e.target.value)} /></Field>
        <Field name="batch_size" label="Batch size" error={errors.batch_size}><input inputMode="numeric" value={draft.batch_size} onChange={(e) => set('batch_size', e.target.value)} /></Field>
        <Field name="learning_rate" label="Learning rate" error={errors.learning_rate}><input inputMode="decimal" value={draft.learning_rate} onChange={(e) => set('learning_rate', e.target.value)} /></Field>
        <Field name="seed" label="Seed" error={errors.seed}><input inputMode="numeric" value={draft.seed} onChange={(e) => set('seed', e.target.value)} /></Field>
      </div>
      <FormError message={unavailable ?? formError} />
      <button type="submit" disabled={submitting || Boolean(unavailable)} title={unavailable}>Start training</button>
    </form>
  );
}
