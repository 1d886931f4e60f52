/**
 * The watch's transmissions, newest first (REST history + live `monitor.transmission`). Choosing one
 * replays it on the map (its fix, the tracks as they were then); Replay steps through them all, oldest first.
 */
import { useEffect, useRef, useState } from 'react';
import type { Monitor, Transmission } from '../../api/monitorTypes';
import { formatDuration, formatFrequency, formatTime } from '../../components/format';
import { timeMs } from './live';

/** How long Replay shows each transmission's fix. */
export const REPLAY_STEP_MS = 1500;

function outcome(t: Transmission): string {
  if (t.localization_id) return t.track_id ? `fix, track ${t.track_id.slice(0, 8)}` : 'fix';
  if (t.end === null) return 'on air…';
  return `no fix${t.reason ? `: ${t.reason}` : ''}`;
}

function duration(t: Transmission): string {
  return t.end ? formatDuration((timeMs(t.end) - timeMs(t.start)) / 1000) : '—';
}

/** Steps `onSelect` through `ids` (as they were when it started) every REPLAY_STEP_MS; stops after the last. */
function useReplay(ids: string[], onSelect: (id: string | null) => void) {
  const [run, setRun] = useState<{ ids: string[]; step: number } | null>(null);
  const select = useRef(onSelect);
  select.current = onSelect;
  useEffect(() => {
    if (!run) return undefined;
    if (run.step >= run.ids.length) {
      setRun(null);
      return undefined;
    }
    select.current(run.ids[run.step]);
    const timer = setTimeout(() => setRun({ ids: run.ids, step: run.step + 1 }), REPLAY_STEP_MS);
    return () => clearTimeout(timer);
  }, [run]);
  return { playing: run !== null, start: () => setRun({ ids, step: 0 }), stop: () => setRun(null) };
}

interface Props {
  monitor: Monitor;
  transmissions: Transmission[];
  selectedId: string | null;
  onSelect: (id: string | null) => void;
}

export function Timeline({ monitor, transmissions, selectedId, onSelect }: Props) {
  const names = new Map((monitor.receivers ?? []).map((r) => [r.receiver_id, r.name]));
  const located = transmissions.filter((t) => t.localization_id).map((t) => t.id).reverse();
  const replay = useReplay(located, onSelect);
  return (
    <section aria-label="Transmissions">
      <div className="toolbar">
        <h2>Transmissions</h2>
        <button type="button" onClick={replay.playing ? replay.stop : replay.start} disabled={!located.length && !replay.playing}
          title={located.length ? undefined : 'No transmission has a fix yet.'}>
          {replay.playing ? 'Stop replay' : 'Replay all fixes'}
        </button>
        <button type="button" onClick={() => { replay.stop(); onSelect(null); }} disabled={!selectedId}>Back to live</button>
      </div>
      {!transmissions.length && <p className="muted">No transmission heard yet.</p>}
      <ul className="history timeline">
        {transmissions.map((t) => (
          <li key={t.id}>
            <button type="button" aria-pressed={t.id === selectedId} disabled={!t.localization_id}
              title={t.localization_id ? 'Show this fix on the map' : outcome(t)} onClick={() => onSelect(t.id === selectedId ? null : t.id)}>
              <span>{formatTime(t.start)} · {duration(t)} · {formatFrequency(t.frequency_hz)}</span>
              <small className="muted">{outcome(t)} · heard by {t.receiver_ids.map((id) => names.get(id) ?? id.slice(0, 8)).join(', ') || 'none'}</small>
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
