import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../../api/endpoints';
import { useDatasets, useJob } from '../../api/queries';
import { queryKeys } from '../../api/queryKeys';
import { navigate } from '../../components/router';
import { ProgressBar } from '../../components/ProgressBar';
import { ErrorNotice, isUnavailable, UnavailableNotice } from '../../components/Unavailable';
import { useTopics } from '../../events/react';
import { JobControls } from './JobControls';
import { JobList } from './JobList';
import { MetricsPanel } from './MetricsPanel';
import { TrainingForm } from './TrainingForm';

function JobDetail({ jobId }: { jobId: string }) {
  useTopics([`job:${jobId}`]);
  const job = useJob(jobId);
  if (job.error) return isUnavailable(job.error) ? <p className="muted">Job {jobId.slice(0, 8)} not found.</p> : <ErrorNotice error={job.error} />;
  if (!job.data) return <p className="muted">Loading job…</p>;
  const j = job.data;
  return (
    <section className="card">
      <h2>{j.name || j.id} <small className={`status status-${j.status}`}>{j.status}</small></h2>
      <ProgressBar progress={j.progress} />
      {j.progress?.message && <p className="muted">{j.progress.message}</p>}
      {(j.reason || j.error) && <p className="form-error">{j.error ?? j.reason}</p>}
      <JobControls job={j} onDeleted={() => navigate('training')} />
      {j.params && (
        <details>
          <summary>Parameters</summary>
          <pre>{JSON.stringify(j.params, null, 2)}</pre>
        </details>
      )}
      <MetricsPanel jobId={j.id} />
    </section>
  );
}

export default function TrainingPage({ params }: { params: string[] }) {
  useTopics(['jobs']);
  const [kind, setKind] = useState('');
  const jobs = useQuery({ queryKey: queryKeys.jobs.list({ kind }), queryFn: () => api.listJobs({ kind }) });
  const datasets = useDatasets();
  const selected = params[0];
  if (isUnavailable(jobs.error)) return <UnavailableNotice feature="Jobs" error={jobs.error} />;
  const kinds = [...new Set((jobs.data?.items ?? []).map((j) => j.kind))];
  return (
    <div className="page">
      <section>
        <div className="toolbar">
          <h2>Jobs {jobs.data && <small className="muted">({jobs.data.total})</small>}</h2>
          <label>
            Kind{' '}
            <select value={kind} onChange={(e) => setKind(e.target.value)}>
              <option value="">all</option>
              {[...new Set([...kinds, kind].filter(Boolean))].map((k) => <option key={k} value={k}>{k}</option>)}
            </select>
          </label>
        </div>
        <ErrorNotice error={jobs.error} />
        <JobList jobs={jobs.data?.items ?? []} selectedId={selected} />
      </section>
      {selected && <JobDetail key={selected} jobId={selected} />}
      <details>
        <summary>Start training</summary>
        {isUnavailable(datasets.error) && <UnavailableNotice feature="Datasets" error={datasets.error} />}
        <TrainingForm datasets={datasets.data?.items ?? []} onStarted={(id) => navigate('training', id)} />
      </details>
    </div>
  );
}
