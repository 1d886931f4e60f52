import { useState, type ReactNode } from 'react';
import { ApiError } from '../api/client';
import { unavailableReason } from './Unavailable';

interface ActionButtonProps {
  onAction: () => Promise<unknown>;
  children: ReactNode;
  disabled?: boolean;
  /** Why the button is disabled (shown as its tooltip). */
  disabledReason?: string;
  className?: string;
}

/**
 * A button for one server action. When the server answers 404/501 the button stays disabled and
 * says why; any other failure is shown next to it.
 */
export function ActionButton({ onAction, children, disabled, disabledReason, className }: ActionButtonProps) {
  const [busy, setBusy] = useState(false);
  const [unavailable, setUnavailable] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      await onAction();
    } catch (exc) {
      if (exc instanceof ApiError && exc.unavailable) setUnavailable(unavailableReason(exc));
      else setError(exc instanceof Error ? exc.message : String(exc));
    } finally {
      setBusy(false);
    }
  };
  const reason = unavailable ?? (disabled ? disabledReason : undefined);
  return (
    <span className="action">
      <button type="button" className={className} onClick={run} disabled={busy || disabled || Boolean(unavailable)} title={reason}>
        {children}
      </button>
      {unavailable && <small className="muted action-reason">{unavailable}</small>}
      {error && (
        <small className="field-error" role="alert">
          {error}
        </small>
      )}
    </span>
  );
}
