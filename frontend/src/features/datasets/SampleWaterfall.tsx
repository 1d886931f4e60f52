/** The waterfall of one sample's stored IQ, per receiver; a disabled control when there is no IQ. */
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../../api/endpoints';
import { queryKeys } from '../../api/queryKeys';
import type { DatasetSample } from '../../api/types';
import { ErrorNotice, isUnavailable, UnavailableNotice } from '../../components/Unavailable';
import { Waterfall } from '../../components/Waterfall';

export const NO_IQ_REASON = 'this dataset has no IQ samples (generate with iq.enabled)';
const NFFT = 256;

export function SampleWaterfall({ datasetId, sample }: { datasetId: string; sample: DatasetSample }) {
  const receivers = sample.iq?.captures.map((c) => c.receiver) ?? [];
  const [receiver, setReceiver] = useState<string>(receivers[0] ?? '');
  const chosen = receivers.includes(receiver) ? receiver : receivers[0] ?? '';
  const spectrogram = useQuery({
    queryKey: queryKeys.datasets.spectrogram(datasetId, sample.sample_id, chosen, NFFT),
    queryFn: () => api.sampleSpectrogram(datasetId, sample.sample_id, chosen, NFFT),
    enabled: Boolean(sample.iq && chosen),
    staleTime: Infinity, // a stored capture never changes
  });
  if (!sample.iq) {
    return <p className="notice notice-disabled" role="note">Waterfall — {NO_IQ_REASON}</p>;
  }
  if (isUnavailable(spectrogram.error)) return <UnavailableNotice feature="IQ waterfall" error={spectrogram.error} />;
  const capture = sample.iq.captures.find((c) => c.receiver === chosen);
  return (
    <section className="sample-waterfall" aria-label={`Sample ${String(sample.sample_id)} IQ`}>
      <div className="row">
        <label>
          Receiver{' '}
          <select value={chosen} onChange={(e) => setReceiver(e.target.value)}>
            {receivers.map((id) => <option key={id} value={id}>{id}</option>)}
          </select>
        </label>
        {capture && (
          <span className="muted">
            {`${sample.iq.samples_per_capture} samples at ${(sample.iq.sample_rate_hz / 1000).toFixed(1)} kHz, `}
            {`${capture.power_dbfs.toFixed(1)} dBFS${capture.power_dbm !== undefined ? ` (${capture.power_dbm.toFixed(1)} dBm)` : ''}`}
          </span>
        )}
      </div>
      <ErrorNotice error={spectrogram.error} />
      {spectrogram.isPending ? <p className="muted">Loading waterfall…</p> : null}
      {spectrogram.data ? <Waterfall data={spectrogram.data} label={`IQ waterfall, receiver ${chosen}`} /> : null}
    </section>
  );
}
