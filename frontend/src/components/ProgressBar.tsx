import type { JobProgress } from '../api/types';

export function progressPercent(progress: JobProgress | null | undefined): number | null {
  if (!progress) return null;
  if (typeof progress.percent === 'number') return Math.max(0, Math.min(100, progress.percent));
  if (typeof progress.step === 'number' && typeof progress.total === 'number' && progress.total > 0) {
    return Math.max(0, Math.min(100, (100 * progress.step) / progress.total));
  }
  return null;
}

function formatEta(etaS: number | null | undefined): string {
  if (typeof etaS !== 'number' || !Number.isFinite(etaS)) return '';
  if (etaS < 90) return ` · ${Math.round(etaS)} s left`;
  return ` · ${Math.round(etaS / 60)} min left`;
}

export function ProgressBar({ progress }: { progress: JobProgress | null | undefined }) {
  const percent = progressPercent(progress);
  if (percent === null) return <span className="muted">—</span>;
  const caption = `${percent.toFixed(0)} %${progress?.phase ? ` ${progress.phase}` : ''}${formatEta(progress?.eta_s)}`;
  return (
    <span className="progress" title={progress?.message ?? undefined}>
      <progress max={100} value={percent} aria-label="progress" />
      <small>{caption}</small>
    </span>
  );
}
