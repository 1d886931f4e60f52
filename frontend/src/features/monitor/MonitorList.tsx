/** Every monitor with its status and counts; stop, pause and resume are its job's routes (CONTRACT §2). */
import { useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/endpoints';
import type { Monitor } from '../../api/monitorTypes';
import { monitorApi } from '../../api/monitors';
import { queryKeys } from '../../api/queryKeys';
import { Link } from '../../components/router';
import { ActionButton } from '../../components/ActionButton';
import { formatFrequency } from '../../components/format';

type MonitorAction = 'pause' | 'resume' | 'cancel' | 'delete';

const LABELS: Record<MonitorAction, string> = { pause: 'Pause', resume: 'Resume', cancel: 'Stop', delete: 'Delete' };
const HINTS: Record<MonitorAction, string> = {
  pause: 'Only a running watch can be paused.',
  resume: 'Only a paused watch can be resumed.',
  cancel: 'Only a queued, running, pausing or paused watch can be stopped.',
  delete: 'Stop the watch first: only a finished one (cancelled, completed or failed) can be deleted.',
};

/** The job lifecycle's rules (docs/frontend.md): the server answers 409 to anything else. Without a job only delete remains. */
export function allowedMonitorActions(status: string, hasJob = true): Record<MonitorAction, boolean> {
  return {
    pause: hasJob && status === 'running',
    resume: hasJob && status === 'paused',
    cancel: hasJob && ['queued', 'running', 'pausing', 'paused'].includes(status),
    delete: !hasJob || ['cancelled', 'completed', 'failed'].includes(status),
  };
}

function MonitorControls({ monitor, onDeleted }: { monitor: Monitor; onDeleted: (id: string) => void }) {
  const cache = useQueryClient();
  const jobId = monitor.job_id;
  const allowed = allowedMonitorActions(monitor.status, jobId !== null);
  const run = async (action: MonitorAction) => {
    if (action === 'delete') {
      await monitorApi.remove(monitor.id);
      onDeleted(monitor.id);
    } else if (jobId) {
      await api.controlJob(jobId, action);
    }
    await cache.invalidateQueries({ queryKey: queryKeys.monitors.all });
  };
  return (
    <span className="job-controls">
      {(Object.keys(LABELS) as MonitorAction[]).map((action) => (
        <ActionButton key={action} onAction={() => run(action)} disabled={!allowed[action]} disabledReason={HINTS[action]}>
          {LABELS[action]}{' '}<span className="visually-hidden">{monitor.name}</span>
        </ActionButton>
      ))}
    </span>
  );
}

function receiversSummary(monitor: Monitor): string {
  const receivers = monitor.receivers ?? [];
  const listening = receivers.filter((r) => r.state === 'listening').length;
  return receivers.length ? `${listening} of ${receivers.length} listening` : '—';
}

export function MonitorList({ monitors, selectedId, onDeleted }: { monitors: Monitor[]; selectedId?: string; onDeleted: (id: string) => void }) {
  if (!monitors.length) return <p className="muted">No watches yet: start one below.</p>;
  return (
    <div className="table-scroll">
      <table className="table">
        <thead>
          <tr><th scope="col">Watch</th><th scope="col">Status</th><th scope="col">Channels</th><th scope="col">Receivers</th>
            <th scope="col">Transmissions</th><th scope="col">Fixes</th><th scope="col">Actions</th></tr>
        </thead>
        <tbody>
          {monitors.map((m) => (
            <tr key={m.id} className={m.id === selectedId ? 'selected' : undefined}>
              <td><Link to={['monitor', m.id]} aria-current={m.id === selectedId ? 'true' : undefined}>{m.name || m.id.slice(0, 8)}</Link></td>
              <td><span className={`status status-${m.status}`}>{m.status}</span></td>
              <td>{m.channels.map((c) => formatFrequency(c.frequency_hz)).join(', ')}</td>
              <td>{receiversSummary(m)}</td>
              <td>{m.counts?.transmissions ?? '—'}</td>
              <td>{m.counts?.fixes ?? '—'}</td>
              <td><MonitorControls monitor={m} onDeleted={onDeleted} /></td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
