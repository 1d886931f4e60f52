import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../../api/endpoints';
import { queryKeys } from '../../api/queryKeys';
import { ErrorNotice, isUnavailable, UnavailableNotice } from '../../components/Unavailable';
import { NO_IQ_REASON, SampleWaterfall } from './SampleWaterfall';

const PAGE = 20;

export function DatasetSamples({ datasetId }: { datasetId: string }) {
  const [offset, setOffset] = useState(0);
  const [selected, setSelected] = useState<string | null>(null);
  const samples = useQuery({
    queryKey: queryKeys.datasets.samples(datasetId, offset, PAGE),
    queryFn: () => api.datasetSamples(datasetId, offset, PAGE),
    placeholderData: (previous) => previous,
  });
  if (isUnavailable(samples.error)) return <UnavailableNotice feature="Sample browser" error={samples.error} />;
  const total = samples.data?.total ?? 0;
  const items = samples.data?.items ?? [];
  const shown = items.find((s) => String(s.sample_id) === selected);
  return (
    <div>
      <ErrorNotice error={samples.error} />
      <table className="table compact">
        <thead><tr><th>Sample</th><th>Truth</th><th>Signal</th><th>EIRP</th><th>GDOP</th><th>Measurements</th><th>IQ</th></tr></thead>
        <tbody>
          {items.map((s) => {
            const ms = s.measurement_set;
            const counts = ms ? (['rss', 'tdoa', 'toa', 'aoa'] as const).map((k) => `${k} ${ms[k]?.length ?? 0}`).join(' · ') : '';
            return (
              <tr key={String(s.sample_id)}>
                <td>{String(s.sample_id)}</td>
                <td>{s.truth ? `${s.truth.lat.toFixed(4)}, ${s.truth.lon.toFixed(4)}` : '—'}</td>
                <td>{s.truth?.signal_type ?? '—'}</td>
                <td>{s.truth?.eirp_dbm !== undefined ? `${s.truth.eirp_dbm.toFixed(1)} dBm` : '—'}</td>
                <td>{s.gdop !== undefined ? s.gdop.toFixed(2) : '—'}</td>
                <td>{counts}</td>
                <td>
                  <button type="button" disabled={!s.iq} title={s.iq ? 'Show the IQ waterfall' : NO_IQ_REASON}
                    aria-pressed={String(s.sample_id) === selected}
                    onClick={() => setSelected(String(s.sample_id) === selected ? null : String(s.sample_id))}>
                    Waterfall
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {items.length > 0 && !items.some((s) => s.iq) ? <p className="muted" role="note">Waterfall: {NO_IQ_REASON}</p> : null}
      {shown ? <SampleWaterfall key={selected} datasetId={datasetId} sample={shown} /> : null}
      <div className="row">
        <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>Previous</button>
        <span className="muted">{total ? `${offset + 1}–${Math.min(offset + PAGE, total)} of ${total}` : 'no samples'}</span>
        <button type="button" disabled={offset + PAGE >= total} onClick={() => setOffset(offset + PAGE)}>Next</button>
      </div>
    </div>
  );
}
