/**
 * The watch's tracks: export links (GeoJSON, KML, CSV from the server), the fixes of each, and the
 * analyst's exclusion of a fix (or of one receiver's part of it) with a note; the server recomputes the track.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { Monitor, Track, TrackFormat, TrackPoint, Transmission } from '../../api/monitorTypes';
import { monitorApi, trackExportUrl } from '../../api/monitors';
import { queryKeys } from '../../api/queryKeys';
import type { Page } from '../../api/types';
import { Field, FormError } from '../../components/Field';
import { formatDistance, formatFrequency, formatPosition, formatTime } from '../../components/format';
import { useSubmit } from '../../components/useSubmit';

const FORMATS: [TrackFormat, string][] = [['geojson', 'GeoJSON'], ['kml', 'KML'], ['csv', 'CSV']];
const EXCLUSION_FIELDS = ['note', 'receiver_id', 'localization_id'] as const;

function ExclusionForm({ monitor, track, point, receivers, onDone }: {
  monitor: Monitor; track: Track; point: TrackPoint; receivers: { id: string; name: string }[]; onDone: () => void;
}) {
  const cache = useQueryClient();
  const [note, setNote] = useState('');
  const [receiverId, setReceiverId] = useState('');
  const { errors, formError, submitting, unavailable, onSubmit } = useSubmit({
    fields: EXCLUSION_FIELDS,
    validate: (): Record<string, string> => (note.trim() ? {} : { note: 'Say why: the note is kept with the exclusion.' }),
    send: () => monitorApi.exclude(monitor.id, { localization_id: point.localization_id, note: note.trim(), ...(receiverId ? { receiver_id: receiverId } : {}) }),
    onSuccess: (recomputed) => {
      cache.setQueryData<Page<Track>>(queryKeys.monitors.tracks(monitor.id), (page) => (page && recomputed?.id
        ? { ...page, items: page.items.map((t) => (t.id === recomputed.id ? recomputed : t)) } : page));
      if (!recomputed?.id || recomputed.id !== track.id) void cache.invalidateQueries({ queryKey: queryKeys.monitors.tracks(monitor.id) });
      onDone();
    },
  });
  return (
    <form className="form form-wide" onSubmit={onSubmit} noValidate aria-label={`Exclude the fix of ${formatTime(point.time)}`}>
      <Field name="receiver_id" label="Exclude" error={errors.receiver_id}>
        <select value={receiverId} onChange={(e) => setReceiverId(e.target.value)}>
          <option value="">the whole fix</option>
          {receivers.map((r) => <option key={r.id} value={r.id}>only {r.name}'s measurement</option>)}
        </select>
      </Field>
      <Field name="note" label="Note (why)" error={errors.note ?? errors.localization_id}>
        <input value={note} onChange={(e) => setNote(e.target.value)} />
      </Field>
      <FormError message={unavailable ?? formError} />
      <div className="row">
        <button type="submit" disabled={submitting || Boolean(unavailable)} title={unavailable}>Exclude and recompute</button>
        <button type="button" onClick={onDone}>Cancel</button>
      </div>
    </form>
  );
}

function PointRow({ point, onExclude }: { point: TrackPoint; onExclude: () => void }) {
  return (
    <tr className={point.excluded ? 'row-off' : undefined}>
      <td>{formatTime(point.time)}</td>
      <td>{formatPosition(point.lat, point.lon)}</td>
      <td>{formatDistance(point.ellipse_95.semi_major_m)} × {formatDistance(point.ellipse_95.semi_minor_m)}</td>
      <td>{point.filtered ? `${point.filtered.speed_m_s.toFixed(1)} m/s` : '—'}</td>
      <td>{point.excluded ? <>excluded{point.note ? `: ${point.note}` : ''}</> : (
        <button type="button" onClick={onExclude}>Exclude…{' '}<span className="visually-hidden">the fix of {formatTime(point.time)}</span></button>
      )}</td>
    </tr>
  );
}

function TrackCard({ monitor, track, transmissions }: { monitor: Monitor; track: Track; transmissions: Transmission[] }) {
  const [excluding, setExcluding] = useState<string | null>(null);
  const names = new Map((monitor.receivers ?? []).map((r) => [r.receiver_id, r.name]));
  const excluded = track.points.filter((p) => p.excluded).length;
  const receiversOf = (localizationId: string) => (transmissions.find((t) => t.localization_id === localizationId)?.receiver_ids ?? [])
    .map((id) => ({ id, name: names.get(id) ?? id.slice(0, 8) }));
  return (
    <li className="card">
      <h3>Track {track.id.slice(0, 8)} · {formatFrequency(track.frequency_hz)}</h3>
      <p className="muted">{track.points.length} fixes{excluded ? ` (${excluded} excluded)` : ''} · {formatTime(track.started_at)} – {formatTime(track.updated_at)}</p>
      <p className="export-links">Export:{' '}{FORMATS.map(([format, label]) => (
        <a key={format} href={trackExportUrl(monitor.id, track.id, format)} download>{label}{' '}<span className="visually-hidden">of track {track.id.slice(0, 8)}</span></a>
      ))}</p>
      <details>
        <summary>Fixes</summary>
        <table className="table compact">
          <thead><tr><th scope="col">Time</th><th scope="col">Position</th><th scope="col">95 % region</th><th scope="col">Speed</th><th scope="col">Exclusion</th></tr></thead>
          <tbody>
            {track.points.map((p) => <PointRow key={p.localization_id} point={p} onExclude={() => setExcluding(p.localization_id)} />)}
          </tbody>
        </table>
        {track.points.filter((p) => p.localization_id === excluding).map((p) => (
          <ExclusionForm key={p.localization_id} monitor={monitor} track={track} point={p} receivers={receiversOf(p.localization_id)} onDone={() => setExcluding(null)} />
        ))}
      </details>
    </li>
  );
}

export function Tracks({ monitor, tracks, transmissions }: { monitor: Monitor; tracks: Track[]; transmissions: Transmission[] }) {
  if (!tracks.length) return <p className="muted">No track yet: every fix starts or extends one.</p>;
  return (
    <ul className="cards">
      {tracks.map((t) => <TrackCard key={t.id} monitor={monitor} track={t} transmissions={transmissions} />)}
    </ul>
  );
}
