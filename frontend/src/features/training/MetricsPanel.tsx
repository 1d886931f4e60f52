import { useQuery } from '@tanstack/react-query';
import { api } from '../../api/endpoints';
import { queryKeys } from '../../api/queryKeys';
import { ErrorNotice, isUnavailable, UnavailableNotice } from '../../components/Unavailable';
import { CHARTS } from './chartData';
import { StreamChart } from './StreamChart';

/** A job's metrics: history over REST, then one point per `job.metrics` event (see events/cacheSync). */
export function MetricsPanel({ jobId }: { jobId: string }) {
  const metrics = useQuery({ queryKey: queryKeys.jobs.metrics(jobId), queryFn: () => api.jobMetrics(jobId), staleTime: Infinity });
  if (isUnavailable(metrics.error)) return <UnavailableNotice feature="Training metrics" error={metrics.error} />;
  const rows = metrics.data ?? [];
  const last = rows[rows.length - 1];
  return (
    <section>
      <h3>Metrics {last && <small className="muted">epoch {last.epoch}</small>}</h3>
      <ErrorNotice error={metrics.error} />
      {!rows.length && !metrics.isLoading && <p className="muted">No epoch finished yet.</p>}
      <div className="charts">
        {CHARTS.map((chart) => (
          <StreamChart key={chart.title} title={chart.title} series={chart.series} rows={rows} log={chart.log} />
        ))}
      </div>
    </section>
  );
}
