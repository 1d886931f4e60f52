/** Results so far, newest first (REST history plus live events); choosing one draws it again. */
import type { LocalizationResult } from '../../api/types';
import { formatDistance, formatPosition, formatTime } from '../../components/format';

export function History({ items, selected, onSelect }: { items: LocalizationResult[]; selected: string | null; onSelect: (id: string) => void }) {
  if (!items.length) return <p className="muted">No localizations yet.</p>;
  return (
    <ol className="history" aria-label="Localization history">
      {items.map((item) => {
        const widest = item.ellipses?.reduce<number | null>((m, e) => Math.max(m ?? 0, e.semi_major_m), null);
        return (
          <li key={item.id ?? `${item.lat},${item.lon}`}>
            <button type="button" aria-current={item.id === selected ? 'true' : undefined} disabled={!item.id}
              onClick={() => item.id && onSelect(item.id)}>
              <span>{formatPosition(item.lat, item.lon, 4)}</span>
              <small className="muted">{item.method}{widest ? ` · 95 % ≤ ${formatDistance(widest)}` : ''} · {formatTime(item.created_at)}</small>
            </button>
          </li>
        );
      })}
    </ol>
  );
}
