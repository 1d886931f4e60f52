import { useState } from 'react';
import { ApiError } from '../../api/client';
import { api } from '../../api/endpoints';
import type { LocalizationResult, MeasurementSet } from '../../api/types';
import { Field, FormError } from '../../components/Field';
import { useSubmit } from '../../components/useSubmit';
import { EXAMPLE, parseMeasurementSet } from './measurementSet';
import { ResultView } from './ResultView';

/** Any field the server names lives inside the one JSON document: report it there, with its path. */
function serverError(exc: unknown): never {
  if (exc instanceof ApiError && !exc.unavailable) {
    const details = (exc.details ?? {}) as { field?: unknown; errors?: { field?: unknown; loc?: unknown }[] };
    const field = details.field ?? details.errors?.[0]?.field ?? details.errors?.[0]?.loc;
    const path = Array.isArray(field) ? field.filter((p) => p !== 'body').join('.') : field;
    if (path) throw new ApiError(exc.status, exc.code, `${String(path)}: ${exc.message}`, { field: 'measurement_set' });
  }
  throw exc;
}

export default function LocalizePage() {
  const [text, setText] = useState('');
  const [outcome, setOutcome] = useState<{ result: LocalizationResult; ms: MeasurementSet } | null>(null);
  const { errors, formError, submitting, unavailable, onSubmit } = useSubmit({
    fields: ['measurement_set'],
    validate: (): Record<string, string> => {
      const parsed = parseMeasurementSet(text);
      return parsed.ok ? {} : { measurement_set: parsed.error };
    },
    send: async () => {
      const parsed = parseMeasurementSet(text);
      if (!parsed.ok) throw new Error(parsed.error);
      const result = await api.localize(parsed.value).catch(serverError);
      return { result, ms: parsed.value };
    },
    onSuccess: setOutcome,
  });
  const onFile = async (file: File | undefined) => file && setText(await file.text());
  return (
    <div className="page">
      <form className="form" onSubmit={onSubmit} noValidate aria-label="Localize">
        <Field name="measurement_set" label="Measurement set (JSON, CONTRACT §4.1)" error={errors.measurement_set}>
          <textarea rows={14} spellCheck={false} value={text} onChange={(e) => setText(e.target.value)} />
        </Field>
        <div className="row">
          <input type="file" accept="application/json,.json" aria-label="measurement set file" onChange={(e) => void onFile(e.target.files?.[0])} />
          <button type="button" onClick={() => setText(EXAMPLE)}>Insert an example input</button>
          <button type="submit" disabled={submitting || Boolean(unavailable)} title={unavailable}>Locate</button>
        </div>
        <FormError message={unavailable ?? formError} />
      </form>
      {outcome && <ResultView result={outcome.result} measurementSet={outcome.ms} />}
    </div>
  );
}
