/** The advanced way in: a measurement set as JSON (CONTRACT §4.1), checked before it is sent. */
import type { FormEvent } from 'react';
import { Field, FormError } from '../../components/Field';
import { EXAMPLE } from './measurementSet';

interface Props {
  text: string;
  onText: (text: string) => void;
  errors: Record<string, string>;
  formError?: string;
  submitting: boolean;
  unavailable?: string;
  onSubmit: (event: FormEvent) => void;
}

export function JsonEditor({ text, onText, errors, formError, submitting, unavailable, onSubmit }: Props) {
  const onFile = async (file: File | undefined) => file && onText(await file.text());
  return (
    <form className="form form-wide" onSubmit={onSubmit} noValidate aria-label="Measurement set">
      <Field name="measurement_set" label="Measurement set (JSON)" error={errors.measurement_set}
        hint="receivers with positions, and any of rss, tdoa, toa, aoa (SI units); see docs/CONTRACT.md section 4.1">
        <textarea rows={14} spellCheck={false} value={text} onChange={(e) => onText(e.target.value)} />
      </Field>
      <div className="row">
        <label className="button-like">
          Open a file…
          <input type="file" className="visually-hidden" accept="application/json,.json" onChange={(e) => void onFile(e.target.files?.[0])} />
        </label>
        <button type="button" onClick={() => onText(EXAMPLE)}>Insert an example</button>
        <button type="submit" disabled={submitting || Boolean(unavailable)} title={unavailable}>Locate</button>
      </div>
      <FormError message={unavailable ?? formError} />
    </form>
  );
}
