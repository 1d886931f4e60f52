import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { api } from '../../api/endpoints';
import { queryKeys } from '../../api/queryKeys';
import type { ModelEntry } from '../../api/types';
import { ActionButton } from '../../components/ActionButton';
import { ErrorNotice, isUnavailable, UnavailableNotice } from '../../components/Unavailable';
import { useTopics } from '../../events/react';

function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Metric names shared by the compared models, in a stable order. */
export function comparedMetrics(models: ModelEntry[]): string[] {
  return [...new Set(models.flatMap((m) => Object.keys(m.metrics ?? {})))].sort();
}

function Compare({ models }: { models: ModelEntry[] }) {
  if (models.length < 2) return <p className="muted">Tick two or more models to compare them.</p>;
  const fmt = (v: number | undefined) => (v === undefined ? '—' : Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3));
  return (
    <table className="table compact" aria-label="comparison">
      <thead><tr><th>Metric</th>{models.map((m) => <th key={m.id}>{m.name}</th>)}</tr></thead>
      <tbody>
        {comparedMetrics(models).map((name) => (
          <tr key={name}><td>{name}</td>{models.map((m) => <td key={m.id}>{fmt(m.metrics?.[name])}</td>)}</tr>
        ))}
      </tbody>
    </table>
  );
}

function ImportControl({ onImported }: { onImported: () => void }) {
  const input = useRef<HTMLInputElement>(null);
  const [file, setFile] = useState<File | null>(null);
  return (
    <span className="row">
      <input ref={input} type="file" aria-label="model file" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
      <ActionButton disabled={!file} disabledReason="Choose a model file first."
        onAction={async () => { await api.importModel(file!); onImported(); }}>
        Import
      </ActionButton>
    </span>
  );
}

export default function ModelsPage() {
  useTopics(['models']);
  const cache = useQueryClient();
  const models = useQuery({ queryKey: queryKeys.models.list(), queryFn: () => api.listModels() });
  const [picked, setPicked] = useState<string[]>([]);
  const refresh = () => cache.invalidateQueries({ queryKey: queryKeys.models.all });
  if (isUnavailable(models.error)) return <UnavailableNotice feature="Model registry" error={models.error} />;
  const items = models.data?.items ?? [];
  const toggle = (id: string) => setPicked((p) => (p.includes(id) ? p.filter((x) => x !== id) : [...p, id]));
  return (
    <div className="page">
      <section>
        <h2>Models {models.data && <small className="muted">({models.data.total})</small>}</h2>
        <ErrorNotice error={models.error} />
        <table className="table">
          <thead><tr><th /><th>Name</th><th>Created</th><th>Median error</th><th>Datasets</th><th>Deployed</th><th /></tr></thead>
          <tbody>
            {items.map((m) => (
              <tr key={m.id}>
                <td><input type="checkbox" aria-label={`compare ${m.name}`} checked={picked.includes(m.id)} onChange={() => toggle(m.id)} /></td>
                <td>{m.name}</td>
                <td>{m.created_at?.slice(0, 16).replace('T', ' ') ?? '—'}</td>
                <td>{m.metrics?.median_error_m !== undefined ? `${m.metrics.median_error_m.toFixed(0)} m` : '—'}</td>
                <td>{m.dataset_ids?.length ?? 0}</td>
                <td>{m.deployed ? <strong>deployed</strong> : ''}</td>
                <td className="actions">
                  <ActionButton disabled={m.deployed} disabledReason="Already deployed." onAction={() => api.deployModel(m.id).then(refresh)}>Deploy</ActionButton>
                  <ActionButton onAction={async () => saveBlob(await api.exportModel(m.id), `${m.name}.onnx`)}>Export</ActionButton>
                  <ActionButton onAction={() => api.deleteModel(m.id).then(refresh)}>Delete</ActionButton>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {!items.length && <p className="muted">No models yet: a completed training job registers one.</p>}
      </section>
      <section>
        <h2>Compare</h2>
        <Compare models={items.filter((m) => picked.includes(m.id))} />
      </section>
      <section>
        <h2>Import</h2>
        <ImportControl onImported={() => void refresh()} />
      </section>
    </div>
  );
}
