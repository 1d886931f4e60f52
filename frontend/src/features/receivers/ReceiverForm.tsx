import { useState } from 'react';
import { CAPABILITIES, RECEIVER_KINDS, TIMINGS, type Capability, type Receiver, type ReceiverInput } from '../../api/types';
import { Field, FormError } from '../../components/Field';
import { useSubmit } from '../../components/useSubmit';
import { draftFrom, RECEIVER_FIELDS, receiverInput, validateReceiver, type ReceiverDraft } from './validation';

interface ReceiverFormProps {
  receiver?: Receiver;
  onSubmit: (input: ReceiverInput) => Promise<unknown>;
  onDone?: () => void;
  onCancel?: () => void;
}

export function ReceiverForm({ receiver, onSubmit, onDone, onCancel }: ReceiverFormProps) {
  const [draft, setDraft] = useState<ReceiverDraft>(() => draftFrom(receiver));
  const set = <K extends keyof ReceiverDraft>(key: K, value: ReceiverDraft[K]) => setDraft((d) => ({ ...d, [key]: value }));
  const { errors, formError, submitting, unavailable, onSubmit: submit } = useSubmit({
    fields: RECEIVER_FIELDS,
    validate: () => validateReceiver(draft),
    send: () => onSubmit(receiverInput(draft)),
    onSuccess: () => {
      if (!receiver) setDraft(draftFrom());
      onDone?.();
    },
  });
  const toggleCapability = (cap: Capability) =>
    set('capabilities', draft.capabilities.includes(cap) ? draft.capabilities.filter((c) => c !== cap) : [...draft.capabilities, cap]);

  return (
    <form className="form" onSubmit={submit} noValidate aria-label={receiver ? 'Edit receiver' : 'New receiver'}>
      <Field name="name" label="Name" error={errors.name}>
        <input value={draft.name} onChange={(e) => set('name', e.target.value)} />
      </Field>
      <Field name="kind" label="Kind" error={errors.kind}>
        <select value={draft.kind} onChange={(e) => set('kind', e.target.value as ReceiverDraft['kind'])}>
          {RECEIVER_KINDS.map((k) => <option key={k} value={k}>{k}</option>)}
        </select>
      </Field>
      <Field name="url" label="URL" error={errors.url}>
        <input value={draft.url} onChange={(e) => set('url', e.target.value)} placeholder="http://host:8073" />
      </Field>
      <div className="row">
        <Field name="lat" label="Latitude (°)" error={errors.lat}>
          <input inputMode="decimal" value={draft.lat} onChange={(e) => set('lat', e.target.value)} />
        </Field>
        <Field name="lon" label="Longitude (°)" error={errors.lon}>
          <input inputMode="decimal" value={draft.lon} onChange={(e) => set('lon', e.target.value)} />
        </Field>
        <Field name="alt_m" label="Altitude (m)" error={errors.alt_m}>
          <input inputMode="decimal" value={draft.alt_m} onChange={(e) => set('alt_m', e.target.value)} />
        </Field>
      </div>
      <fieldset className={errors.capabilities ? 'field-invalid' : undefined}>
        <legend>Capabilities</legend>
        {CAPABILITIES.map((cap) => (
          <label key={cap} className="inline">
            <input type="checkbox" checked={draft.capabilities.includes(cap)} onChange={() => toggleCapability(cap)} /> {cap}
          </label>
        ))}
        {errors.capabilities && <small className="field-error" role="alert">{errors.capabilities}</small>}
      </fieldset>
      <Field name="timing" label="Timing" error={errors.timing}>
        <select value={draft.timing} onChange={(e) => set('timing', e.target.value as ReceiverDraft['timing'])}>
          {TIMINGS.map((t) => <option key={t} value={t}>{t}</option>)}
        </select>
      </Field>
      <label className="inline">
        <input type="checkbox" checked={draft.enabled} onChange={(e) => set('enabled', e.target.checked)} /> enabled
      </label>
      <FormError message={unavailable ?? formError} />
      <div className="row">
        <button type="submit" disabled={submitting || Boolean(unavailable)} title={unavailable}>{receiver ? 'Save' : 'Add receiver'}</button>
        {onCancel && <button type="button" onClick={onCancel}>Cancel</button>}
      </div>
    </form>
  );
}
