import type { Receiver } from '../../api/types';
import { ActionButton } from '../../components/ActionButton';
import { checkedAgo, healthView, PROBED_KINDS } from './health';

const probed = (r: Receiver) => (PROBED_KINDS as readonly string[]).includes(r.kind) && Boolean(r.url);

/** A receiver's health on the receivers page: status, GNSS class, users, room for us, TDoA-readiness. */
export function HealthCell({ receiver, onCheck }: { receiver: Receiver; onCheck: (id: string) => Promise<unknown> }) {
  if (!probed(receiver)) return <span className="muted" title="only KiwiSDR and OpenWebRX receivers with a URL publish a status page">—</span>;
  const view = healthView(receiver.health);
  return (
    <div className="health" aria-label={`health of ${receiver.name}`}>
      {view.checked ? (
        <>
          <span className={`badge health-${view.status}`} title={view.reason ?? 'answering'}>{view.status}</span>{' '}
          <span className={`badge gnss-${view.gnss}`} title={view.gnssTitle}>GNSS {view.gnss}</span>{' '}
          <span title="users / users_max">users {view.users}</span>{' '}
          <span title={view.canTakeUserTitle}>one more user: {view.canTakeUser}</span>{' '}
          <span title={view.tdoaReason}>TDoA: {view.tdoaReady ? 'ready' : 'not ready'}</span>
          {view.passwordRequired && <span className="badge health-degraded" title="no channel opens without the operator's password">password</span>}
          {!view.tdoaReady && <div className="muted small">{view.tdoaReason}</div>}
          {view.status !== 'ok' && view.reason && view.reason !== view.tdoaReason && <div className="muted small">{view.reason}</div>}
          <div className="muted small" title={view.checkedAt ?? undefined}>checked {checkedAgo(view.checkedAt)}</div>
        </>
      ) : (
        <span className="muted">not checked yet</span>
      )}
      <ActionButton onAction={() => onCheck(receiver.id)}>Check now</ActionButton>
    </div>
  );
}
