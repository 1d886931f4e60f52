import { useState } from 'react';
import type { Network, NetworkInput, Receiver } from '../../api/types';
import { Field, FormError } from '../../components/Field';
import { useSubmit } from '../../components/useSubmit';
import { NETWORK_FIELDS, validateNetwork } from './validation';

interface NetworkFormProps {
  network?: Network;
  receivers: Receiver[];
  onSubmit: (input: NetworkInput) => Promise<unknown>;
  onDone?: () => void;
  onCancel?: () => void;
}

function initial(network?: Network): NetworkInput {
  return {
    name: network?.name ?? '',
    description: network?.description ?? '',
    receiver_ids: network?.receiver_ids ?? network?.receivers?.map((r) => r.id) ?? [],
  };
}

export function NetworkForm({ network, receivers, onSubmit, onDone, onCancel }: NetworkFormProps) {
  const [input, setInput] = useState<NetworkInput>(() => initial(network));
  const { errors, formError, submitting, unavailable, onSubmit: submit } = useSubmit({
    fields: NETWORK_FIELDS,
    validate: () => validateNetwork(input),
    send: () => onSubmit({ ...input, name: input.name.trim() }),
    onSuccess: () => {
      if (!network) setInput(initial());
      onDone?.();
    },
  });
  const toggle = (id: string) =>
    setInput((v) => ({ ...v, receiver_ids: v.receiver_ids.includes(id) ? v.receiver_ids.filter((x) => x !== id) : [...v.receiver_ids, id] }));

  return (
    <form className="form" onSubmit={submit} noValidate aria-label={network ? 'Edit network' : 'New network'}>
      <Field name="name" label="Network name" error={errors.name}>
        <input value={input.name} onChange={(e) => setInput((v) => ({ ...v, name: e.target.value }))} />
      </Field>
      <Field name="description" label="Description" error={errors.description}>
        <input value={input.description ?? ''} onChange={(e) => setInput((v) => ({ ...v, description: e.target.value }))} />
      </Field>
      <fieldset className={errors.receiver_ids ? 'field-invalid' : undefined}>
        <legend>Receivers</legend>
        {receivers.length === 0 && <small className="muted">No receivers yet.</small>}
        {receivers.map((r) => (
          <label key={r.id} className="inline">
            <input type="checkbox" checked={input.receiver_ids.includes(r.id)} onChange={() => toggle(r.id)} /> {r.name}
          </label>
        ))}
        {errors.receiver_ids && <small className="field-error" role="alert">{errors.receiver_ids}</small>}
      </fieldset>
      <FormError message={unavailable ?? formError} />
      <div className="row">
        <button type="submit" disabled={submitting || Boolean(unavailable)} title={unavailable}>{network ? 'Save network' : 'Add network'}</button>
        {onCancel && <button type="button" onClick={onCancel}>Cancel</button>}
      </div>
    </form>
  );
}
