import { fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { JOB_STATUSES, type Job, type JobStatus } from '../../api/types';
import { renderWithProviders, stubFetch } from '../../test/render';
import { JobControls } from './JobControls';

afterEach(() => vi.unstubAllGlobals());

const job = (status: JobStatus): Job => ({ id: 'j1', kind: 'train', status });

const EXPECTED: Record<JobStatus, string[]> = {
  queued: ['Cancel'],
  running: ['Pause', 'Cancel'],
  pausing: ['Cancel'],
  paused: ['Resume', 'Cancel'],
  cancelling: [],
  cancelled: ['Delete'],
  completed: ['Delete'],
  failed: ['Delete'],
};

describe('JobControls', () => {
  it.each(JOB_STATUSES)('enables only the allowed transitions for a %s job', (status) => {
    renderWithProviders(<JobControls job={job(status)} />);
    const enabled = screen.getAllByRole('button').filter((b) => !(b as HTMLButtonElement).disabled).map((b) => b.textContent);
    expect(enabled).toEqual(EXPECTED[status]);
  });

  it('explains why a control is disabled', () => {
    renderWithProviders(<JobControls job={job('completed')} />);
    expect(screen.getByRole('button', { name: 'Pause' }).title).toBe('Only a running job can be paused.');
  });

  it('sends the transition and shows a 409 reason from the server', async () => {
    const { fetchMock, calls } = stubFetch({
      'POST /jobs/j1/pause': { status: 409, body: { error: { code: 'conflict', message: 'cannot pause: job is completed' } } },
    });
    vi.stubGlobal('fetch', fetchMock);
    renderWithProviders(<JobControls job={job('running')} />);
    fireEvent.click(screen.getByRole('button', { name: 'Pause' }));
    expect(await screen.findByText('cannot pause: job is completed')).toBeTruthy();
    expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual(['POST /jobs/j1/pause']);
  });

  it('updates the cached job with the server answer', async () => {
    vi.stubGlobal('fetch', stubFetch({ 'POST /jobs/j1/resume': { body: { ...job('queued') } } }).fetchMock);
    const { cache } = renderWithProviders(<JobControls job={job('paused')} />);
    cache.setQueryData(['jobs', 'detail', 'j1'], job('paused'));
    fireEvent.click(screen.getByRole('button', { name: 'Resume' }));
    await waitFor(() => expect(cache.getQueryData<Job>(['jobs', 'detail', 'j1'])?.status).toBe('queued'));
  });
});
