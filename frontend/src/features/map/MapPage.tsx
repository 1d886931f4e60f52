import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { api } from '../../api/endpoints';
import { useNetworks, useReceivers } from '../../api/queries';
import { queryKeys } from '../../api/queryKeys';
import type { LocalizationResult } from '../../api/types';
import { GeoMap, type MapFix } from '../../components/map/GeoMap';
import { HeatLegend, type HeatGrid } from '../../components/map/HeatLayer';
import { ErrorNotice, isUnavailable, unavailableReason } from '../../components/Unavailable';
import { useTopics } from '../../events/react';

const SHOWN_FIXES = 10;

/** Fixes from REST (history) and from `localization.result` events (live), newest first, once each. */
function useFixes(): { fixes: LocalizationResult[]; historyError: unknown } {
  const cache = useQueryClient();
  const history = useQuery({ queryKey: queryKeys.localizations.list(), queryFn: () => api.listLocalizations(SHOWN_FIXES) });
  const live = useQuery({
    queryKey: queryKeys.localizations.recent(),
    queryFn: () => cache.getQueryData<LocalizationResult[]>(queryKeys.localizations.recent()) ?? [],
    staleTime: Infinity,
  });
  const fixes = useMemo(() => {
    const seen = new Set<string>();
    const merged: LocalizationResult[] = [];
    for (const fix of [...(live.data ?? []), ...(history.data?.items ?? [])]) {
      const key = fix.id ?? `${fix.lat},${fix.lon},${fix.elapsed_ms}`;
      if (seen.has(key)) continue;
      seen.add(key);
      merged.push(fix);
    }
    return merged.slice(0, SHOWN_FIXES);
  }, [live.data, history.data]);
  return { fixes, historyError: history.error };
}

export default function MapPage() {
  useTopics(['receivers', 'networks', 'localizations']);
  const receivers = useReceivers();
  const networks = useNetworks();
  const [picked, setNetworkId] = useState<string | null>(null);
  // Until the user picks, show the first network (its expected-accuracy map is the point of the page).
  const networkId = picked ?? networks.data?.items[0]?.id ?? '';
  const [showAccuracy, setShowAccuracy] = useState(true);
  const accuracy = useQuery({
    queryKey: queryKeys.networks.accuracy(networkId),
    queryFn: () => api.networkAccuracy(networkId),
    enabled: Boolean(networkId),
    staleTime: Infinity,
  });
  const { fixes, historyError } = useFixes();
  const network = networks.data?.items.find((n) => n.id === networkId);
  const memberIds = new Set(network?.receiver_ids ?? network?.receivers?.map((r) => r.id) ?? []);
  const shownReceivers = (receivers.data?.items ?? []).filter((r) => !network || memberIds.has(r.id));
  const mapFixes: MapFix[] = fixes.map((f, index) => ({
    key: f.id ?? String(index), lat: f.lat, lon: f.lon, ellipses: f.ellipses ?? [], latest: index === 0,
    label: `${f.method} · ${f.lat.toFixed(5)}, ${f.lon.toFixed(5)}`,
  }));
  const heat: HeatGrid | null = showAccuracy && accuracy.data
    ? { lat: accuracy.data.lat, lon: accuracy.data.lon, values: accuracy.data.rms_error_m, mode: 'error' } : null;
  const accuracyOff = isUnavailable(accuracy.error) ? unavailableReason(accuracy.error) : null;

  return (
    <div className="page">
      <div className="toolbar">
        <label>
          Network{' '}
          <select value={networkId} onChange={(e) => setNetworkId(e.target.value)}>
            <option value="">all receivers</option>
            {(networks.data?.items ?? []).map((n) => <option key={n.id} value={n.id}>{n.name}</option>)}
          </select>
        </label>
        <label title={accuracyOff ?? (networkId ? undefined : 'Select a network first')}>
          <input type="checkbox" checked={showAccuracy && !accuracyOff} disabled={!networkId || Boolean(accuracyOff)}
            onChange={(e) => setShowAccuracy(e.target.checked)} /> expected accuracy
        </label>
        {accuracyOff && <small className="muted">Expected-accuracy map: {accuracyOff}</small>}
        <span className="muted">{shownReceivers.length} receivers · {fixes.length} recent fixes</span>
      </div>
      <ErrorNotice error={receivers.error} />
      {historyError && !isUnavailable(historyError) ? <ErrorNotice error={historyError} /> : null}
      <GeoMap receivers={shownReceivers} fixes={mapFixes} heat={heat} height={560} />
      {heat && <HeatLegend grid={heat} label="Expected RMS error" />}
      {fixes[0] && (
        <p className="muted">
          Latest fix: {fixes[0].lat.toFixed(5)}, {fixes[0].lon.toFixed(5)} ({fixes[0].method});{' '}
          {fixes[0].ellipses.map((e) => `${Math.round(e.confidence * 100)} %: ${Math.round(e.semi_major_m)} × ${Math.round(e.semi_minor_m)} m`).join(', ')}
        </p>
      )}
    </div>
  );
}
