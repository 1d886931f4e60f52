import { ApiError } from '../api/client';

/** True when an error means the server does not offer the feature (404/501). */
export function isUnavailable(error: unknown): error is ApiError {
  return error instanceof ApiError && error.unavailable;
}

export function unavailableReason(error: ApiError): string {
  return `Not available on this server (${error.status}${error.message ? `: ${error.message}` : ''})`;
}

/** Shown in place of a feature the server does not offer: says why, never pretends. */
export function UnavailableNotice({ feature, error }: { feature: string; error: ApiError }) {
  return (
    <div className="notice notice-disabled" role="note">
      <strong>{feature}</strong> — {unavailableReason(error)}
    </div>
  );
}

export function ErrorNotice({ error }: { error: unknown }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  return (
    <p className="form-error" role="alert">
      {message}
    </p>
  );
}
