/** CONTRACT §2 job lifecycle, as the buttons need it. */
import type { JobStatus } from '../../api/types';

export type JobAction = 'pause' | 'resume' | 'cancel' | 'delete';

const FINISHED: readonly JobStatus[] = ['cancelled', 'completed', 'failed'];

/** Which controls a job in `status` accepts; the server answers 409 for the others. */
export function allowedActions(status: JobStatus): Record<JobAction, boolean> {
  return {
    pause: status === 'running',
    resume: status === 'paused',
    cancel: status === 'queued' || status === 'running' || status === 'pausing' || status === 'paused',
    // "Delete only when not active": a paused job still holds a checkpoint and a slot; cancel it first.
    delete: FINISHED.includes(status),
  };
}

export function isLive(status: JobStatus): boolean {
  return status === 'queued' || status === 'running' || status === 'pausing' || status === 'cancelling';
}

export const ACTION_HINT: Record<JobAction, string> = {
  pause: 'Only a running job can be paused.',
  resume: 'Only a paused job can be resumed.',
  cancel: 'Only a queued, running, pausing or paused job can be cancelled.',
  delete: 'Only a finished job (completed, failed or cancelled) can be deleted.',
};
