import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../../api/endpoints';
import { useDatasets, useJob, useNetworks } from '../../api/queries';
import { queryKeys } from '../../api/queryKeys';
import type { Dataset } from '../../api/types';
import { ActionButton } from '../../components/ActionButton';
import { ProgressBar } from '../../components/ProgressBar';
import { ErrorNotice, isUnavailable, unavailableReason } from '../../components/Unavailable';
import { useTopics } from '../../events/react';
import { DatasetForm } from './DatasetForm';
import { DatasetSamples } from './DatasetSamples';

const ACTIVE = new Set(['queued', 'running', 'pausing', 'cancelling']);

/** The generating job's live progress (events on `job:<id>`), while it runs. */
function DatasetProgress({ jobId }: { jobId: string }) {
  const job = useJob(jobId);
  const live = job.data ? ACTIVE.has(job.data.status) : false;
  useTopics([live && `job:${jobId}`]);
  if (!job.data) return null;
  return (
    <span>
      <span className={`status status-${job.data.status}`}>{job.data.status}</span> <ProgressBar progress={job.data.progress} />
    </span>
  );
}

function ExpandControl({ dataset }: { dataset: Dataset }) {
  const [extra, setExtra] = useState('1000');
  const n = Number(extra);
  const valid = Number.isInteger(n) && n > 0;
  return (
    <span className="row">
      <input aria-label="samples to add" className="narrow" value={extra} onChange={(e) => setExtra(e.target.value)} />
      <ActionButton onAction={() => api.expandDataset(dataset.id, n)} disabled={!valid} disabledReason="A whole number of samples above 0.">
        Expand
      </ActionButton>
    </span>
  );
}

function DatasetCard({ dataset }: { dataset: Dataset }) {
  const cache = useQueryClient();
  const [report, setReport] = useState<Record<string, unknown> | null>(null);
  const [browsing, setBrowsing] = useState(false);
  return (
    <li className="card">
      <div className="row spread">
        <strong>{dataset.name}</strong>
        <span className="muted">{dataset.num_samples?.toLocaleString('en') ?? '?'} samples · {dataset.status ?? ''}</span>
        {dataset.job_id && <DatasetProgress jobId={dataset.job_id} />}
      </div>
      <div className="row">
        <ExpandControl dataset={dataset} />
        <ActionButton onAction={async () => setReport(await api.validateDataset(dataset.id))}>Validate</ActionButton>
        <button type="button" onClick={() => setBrowsing((b) => !b)}>{browsing ? 'Hide samples' : 'Browse samples'}</button>
        <ActionButton onAction={() => api.deleteDataset(dataset.id).then(() => cache.invalidateQueries({ queryKey: queryKeys.datasets.all }))}>
          Delete
        </ActionButton>
      </div>
      {report && <pre className="report">{JSON.stringify(report, null, 2)}</pre>}
      {browsing && <DatasetSamples datasetId={dataset.id} />}
    </li>
  );
}

export default function DatasetsPage() {
  useTopics(['datasets']);
  const cache = useQueryClient();
  const datasets = useDatasets();
  const networks = useNetworks();
  const unavailable = isUnavailable(datasets.error) ? datasets.error : null;
  return (
    <div className="page">
      <section>
        <h2>Generate a dataset</h2>
        <DatasetForm networks={networks.data?.items ?? []} disabledReason={unavailable ? unavailableReason(unavailable) : undefined}
          onCreated={() => void cache.invalidateQueries({ queryKey: queryKeys.datasets.all })} />
      </section>
      <section>
        <h2>Datasets {datasets.data && <small className="muted">({datasets.data.total})</small>}</h2>
        {!unavailable && <ErrorNotice error={datasets.error} />}
        <ul className="cards">
          {(datasets.data?.items ?? []).map((d) => <DatasetCard key={d.id} dataset={d} />)}
        </ul>
      </section>
    </div>
  );
}
