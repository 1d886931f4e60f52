import { useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/endpoints';
import { queryKeys } from '../../api/queryKeys';
import type { Job } from '../../api/types';
import { ActionButton } from '../../components/ActionButton';
import { ACTION_HINT, allowedActions, type JobAction } from './lifecycle';

const LABELS: Record<JobAction, string> = { pause: 'Pause', resume: 'Resume', cancel: 'Cancel', delete: 'Delete' };

/** Lifecycle buttons, each enabled only when the job's status allows that transition. */
export function JobControls({ job, onDeleted }: { job: Job; onDeleted?: () => void }) {
  const cache = useQueryClient();
  const allowed = allowedActions(job.status);
  const run = async (action: JobAction) => {
    if (action === 'delete') {
      await api.deleteJob(job.id);
      cache.removeQueries({ queryKey: queryKeys.jobs.detail(job.id) });
      await cache.invalidateQueries({ queryKey: queryKeys.jobs.lists() });
      onDeleted?.();
      return;
    }
    const updated = await api.controlJob(job.id, action);
    if (updated && typeof updated === 'object' && 'id' in updated) {
      cache.setQueryData(queryKeys.jobs.detail(job.id), updated);
    }
    await cache.invalidateQueries({ queryKey: queryKeys.jobs.lists() });
  };
  return (
    <span className="job-controls">
      {(Object.keys(LABELS) as JobAction[]).map((action) => (
        <ActionButton key={action} onAction={() => run(action)} disabled={!allowed[action]} disabledReason={ACTION_HINT[action]}>
          {LABELS[action]}
        </ActionButton>
      ))}
    </span>
  );
}
