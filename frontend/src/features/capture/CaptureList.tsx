/**
 * Past captures (GET /captures, kept live by `capture.updated` on topic `captures`), each with its
 * waterfalls (one spectrogram per receiver), its SigMF archive, re-locate and delete.
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { Capture } from '../../api/captureTypes';
import { api } from '../../api/endpoints';
import { queryKeys } from '../../api/queryKeys';
import { ActionButton } from '../../components/ActionButton';
import { formatTime } from '../../components/format';
import { ErrorNotice, isUnavailable, UnavailableNotice } from '../../components/Unavailable';
import { Waterfall } from '../../components/Waterfall';
import { frequencyText, isActive, secondsText } from './model';

const NFFT = 256;
const METHODS = ['classical', 'auto', 'neural'] as const;

function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function CaptureWaterfalls({ capture }: { capture: Capture }) {
  const recorded = capture.receivers.filter((r) => r.has_recording !== false && r.state !== 'failed');
  const [picked, setPicked] = useState('');
  const chosen = recorded.find((r) => r.receiver_id === picked) ?? recorded[0];
  const spectrogram = useQuery({
    queryKey: queryKeys.captures.spectrogram(capture.id, chosen?.receiver_id ?? '', NFFT),
    queryFn: () => api.captureSpectrogram(capture.id, chosen!.receiver_id, NFFT),
    enabled: Boolean(chosen), staleTime: Infinity, // a stored recording never changes
  });
  if (!chosen) return <p className="muted">No receiver of this capture has a recording.</p>;
  if (isUnavailable(spectrogram.error)) return <UnavailableNotice feature="Capture waterfall" error={spectrogram.error} />;
  return (
    <div className="sample-waterfall">
      <label>
        Receiver{' '}
        <select value={chosen.receiver_id} onChange={(e) => setPicked(e.target.value)}>
          {recorded.map((r) => <option key={r.receiver_id} value={r.receiver_id}>{r.name}</option>)}
        </select>
      </label>
      <ErrorNotice error={spectrogram.error} />
      {spectrogram.isPending ? <p className="muted">Loading waterfall…</p> : null}
      {spectrogram.data ? <Waterfall data={spectrogram.data} label={`IQ waterfall, receiver ${chosen.name}`} /> : null}
    </div>
  );
}

function Relocate({ capture, onDone }: { capture: Capture; onDone: () => void }) {
  const [method, setMethod] = useState<(typeof METHODS)[number]>('classical');
  const cache = useQueryClient();
  const recordedCount = capture.receivers.filter((r) => r.has_recording !== false && r.state === 'done').length;
  const relocate = async () => {
    await api.locateCapture(capture.id, { options: { method } });
    await cache.invalidateQueries({ queryKey: queryKeys.captures.detail(capture.id) });
    onDone();
  };
  return (
    <span className="row">
      <label>
        Method{' '}
        <select value={method} onChange={(e) => setMethod(e.target.value as (typeof METHODS)[number])} aria-label={`Re-locate method for the capture of ${formatTime(capture.created_at)}`}>
          {METHODS.map((m) => <option key={m} value={m}>{m}</option>)}
        </select>
      </label>
      <ActionButton onAction={relocate} disabled={isActive(capture.status) || recordedCount < 2}
        disabledReason={isActive(capture.status) ? 'the capture is still running' : 'fewer than 2 receivers recorded'}>
        Re-locate
      </ActionButton>
    </span>
  );
}

function CaptureItem({ capture, selected, onSelect }: { capture: Capture; selected: boolean; onSelect: (id: string | null) => void }) {
  const [open, setOpen] = useState(false);
  const cache = useQueryClient();
  const active = isActive(capture.status);
  const remove = async () => {
    await api.deleteCapture(capture.id);
    if (selected) onSelect(null);
    cache.removeQueries({ queryKey: queryKeys.captures.detail(capture.id) });
    await cache.invalidateQueries({ queryKey: queryKeys.captures.lists() });
  };
  const title = `${frequencyText(capture.frequency_hz)}, ${secondsText(capture.duration_s)}, ${capture.receivers.length} receivers`;
  return (
    <li className={`card${selected ? ' selected' : ''}`} aria-label={`Capture ${formatTime(capture.created_at)}`} data-capture={capture.id}>
      <div className="row spread">
        <span><strong>{title}</strong> <span className={`status status-${capture.status}`}>{capture.status}</span></span>
        <span className="muted">{formatTime(capture.created_at)}</span>
      </div>
      <div className="toolbar">
        <button type="button" onClick={() => onSelect(capture.id)} aria-pressed={selected}>Show</button>
        <button type="button" onClick={() => setOpen(!open)} aria-expanded={open}>Waterfalls</button>
        <ActionButton onAction={async () => saveBlob(await api.captureArchive(capture.id), `capture-${capture.id}.zip`)}
          disabled={active} disabledReason="the capture is still recording">Download SigMF</ActionButton>
        <Relocate capture={capture} onDone={() => onSelect(capture.id)} />
        <ActionButton onAction={remove} disabled={active} disabledReason="its job is still active: cancel it first">Delete</ActionButton>
      </div>
      {open && <CaptureWaterfalls capture={capture} />}
    </li>
  );
}

export function CaptureList({ selected, onSelect }: { selected: string | null; onSelect: (id: string | null) => void }) {
  const captures = useQuery({ queryKey: queryKeys.captures.list(), queryFn: () => api.listCaptures() });
  if (isUnavailable(captures.error)) return <UnavailableNotice feature="Past captures" error={captures.error} />;
  if (captures.error) return <ErrorNotice error={captures.error} />;
  if (captures.isPending) return <p className="muted">Loading captures…</p>;
  if (!captures.data.items.length) return <p className="muted">No captures yet.</p>;
  return (
    <ul className="cards" aria-label="Captures, newest first">
      {captures.data.items.map((c) => <CaptureItem key={c.id} capture={c} selected={c.id === selected} onSelect={onSelect} />)}
    </ul>
  );
}
