import type { Job } from '../../api/types';
import { ProgressBar } from '../../components/ProgressBar';
import { href } from '../../components/router';
import { useTopics } from '../../events/react';
import { JobControls } from './JobControls';
import { isLive } from './lifecycle';

function JobRow({ job, selected }: { job: Job; selected: boolean }) {
  // Progress events are only on `job:<id>`: hold that topic while a live job is on screen.
  useTopics([isLive(job.status) && `job:${job.id}`]);
  return (
    <tr className={selected ? 'selected' : undefined} data-job={job.id}>
      <td><a href={href('training', job.id)}>{job.name || job.id.slice(0, 8)}</a></td>
      <td>{job.kind}</td>
      <td><span className={`status status-${job.status}`}>{job.status}</span></td>
      <td><ProgressBar progress={job.progress} /></td>
      <td className="actions"><JobControls job={job} /></td>
    </tr>
  );
}

export function JobList({ jobs, selectedId }: { jobs: Job[]; selectedId?: string }) {
  if (!jobs.length) return <p className="muted">No jobs yet.</p>;
  return (
    <table className="table">
      <thead>
        <tr><th>Job</th><th>Kind</th><th>Status</th><th>Progress</th><th>Controls</th></tr>
      </thead>
      <tbody>
        {jobs.map((job) => <JobRow key={job.id} job={job} selected={job.id === selectedId} />)}
      </tbody>
    </table>
  );
}
