import { useState, type FormEvent } from 'react';
import { ApiError, formErrorsFrom } from '../api/client';

type Errors = Record<string, string>;

/**
 * Form submission with the two layers of checking every form has: client-side validation first
 * (nothing is sent while it fails), then the server's error, placed next to the field it names.
 */
export function useSubmit<T>(options: {
  fields: readonly string[];
  validate: () => Errors;
  send: () => Promise<T>;
  onSuccess?: (result: T) => void;
}) {
  const [errors, setErrors] = useState<Errors>({});
  const [formError, setFormError] = useState<string | undefined>();
  const [submitting, setSubmitting] = useState(false);
  /** Set when the server does not offer this action (404/501): the form's submit stays disabled. */
  const [unavailable, setUnavailable] = useState<string | undefined>();

  const onSubmit = async (event?: FormEvent) => {
    event?.preventDefault();
    const clientErrors = options.validate();
    setErrors(clientErrors);
    setFormError(undefined);
    if (Object.keys(clientErrors).length) return;
    setSubmitting(true);
    try {
      const result = await options.send();
      options.onSuccess?.(result);
    } catch (exc) {
      if (exc instanceof ApiError && exc.unavailable && !Object.keys(formErrorsFrom(exc, options.fields).fields).length) {
        setUnavailable(`Not available on this server (${exc.status}${exc.message ? `: ${exc.message}` : ''})`);
        return;
      }
      const mapped = formErrorsFrom(exc, options.fields);
      setErrors(mapped.fields);
      setFormError(mapped.form);
    } finally {
      setSubmitting(false);
    }
  };
  return { errors, formError, submitting, unavailable, onSubmit };
}

/** Parse a numeric input; empty or malformed text is NaN so validation can name it. */
export function toNumber(text: string): number {
  return text.trim() === '' ? Number.NaN : Number(text);
}
