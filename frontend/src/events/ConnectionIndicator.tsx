import { useEffect, useState } from 'react';
import { useConnectionState } from './react';

/** Header badge: connected / reconnecting in N s / offline. */
export function ConnectionIndicator() {
  const state = useConnectionState();
  const [now, setNow] = useState(() => Date.now());
  const counting = state.status === 'reconnecting';
  useEffect(() => {
    if (!counting) return undefined;
    const timer = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(timer);
  }, [counting]);

  let label: string;
  let tone: 'ok' | 'warn' | 'off';
  switch (state.status) {
    case 'connected':
      label = 'Live';
      tone = 'ok';
      break;
    case 'connecting':
      label = state.attempt ? 'Reconnecting…' : 'Connecting…';
      tone = 'warn';
      break;
    case 'reconnecting': {
      const seconds = Math.max(0, Math.ceil((state.retryAt - now) / 1000));
      label = `Reconnecting in ${seconds} s`;
      tone = 'warn';
      break;
    }
    default:
      label = 'Offline';
      tone = 'off';
  }
  return (
    <span className={`conn conn-${tone}`} role="status" aria-live="polite" data-status={state.status}>
      <span className="conn-dot" aria-hidden="true" />
      {label}
    </span>
  );
}
