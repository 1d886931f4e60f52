import { useState } from 'react';
import { Field, FormError } from '../../components/Field';
import { useSubmit } from '../../components/useSubmit';
import { PROBED_KINDS, type ProbedKind } from './health';

const FIELDS = ['url', 'kind'] as const;
// http(s)/ws(s) URL, or a bare host[:port] (a KiwiSDR's port 8073 is then assumed by the server)
const ADDRESS = /^(https?|wss?):\/\/\S+$|^[\w.-]+(:\d+)?$/;

/** A receiver from its URL alone: the server reads its status page for name, position and capabilities. */
export function AddFromUrlForm({ onSubmit, onDone }: {
  onSubmit: (input: { kind: ProbedKind; url: string }) => Promise<unknown>;
  onDone?: () => void;
}) {
  const [url, setUrl] = useState('');
  const [kind, setKind] = useState<ProbedKind>('kiwisdr');
  const { errors, formError, submitting, unavailable, onSubmit: submit } = useSubmit({
    fields: FIELDS,
    validate: (): Record<string, string> =>
      (ADDRESS.test(url.trim()) ? {} : { url: 'Give the receiver\'s address, e.g. http://host:8073.' }),
    send: () => onSubmit({ kind, url: url.trim() }),
    onSuccess: () => { setUrl(''); onDone?.(); },
  });
  return (
    <form className="form" onSubmit={submit} noValidate aria-label="Add a receiver from its URL">
      <div className="row">
        <Field name="source-url" label="Receiver URL" error={errors.url}>
          <input value={url} onChange={(e) => setUrl(e.target.value)} placeholder="http://host:8073" />
        </Field>
        <Field name="source-kind" label="Receiver kind" error={errors.kind}>
          <select value={kind} onChange={(e) => setKind(e.target.value as ProbedKind)}>
            {PROBED_KINDS.map((k) => <option key={k} value={k}>{k}</option>)}
          </select>
        </Field>
      </div>
      <p className="muted small">Name, position and capabilities come from the receiver's own status page.</p>
      <FormError message={unavailable ?? formError} />
      <button type="submit" disabled={submitting || Boolean(unavailable)} title={unavailable}>
        {submitting ? 'Asking the receiver…' : 'Add from URL'}
      </button>
    </form>
  );
}
