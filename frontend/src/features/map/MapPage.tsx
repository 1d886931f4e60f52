import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { api } from '../../api/endpoints';
import { useNetworks, useReceivers, useRecentLocalizations } from '../../api/queries';
import { queryKeys } from '../../api/queryKeys';
import { formatEllipse, formatPosition, formatSignificant } from '../../components/format';
import {
  FixesLayer, HealthLegend, HeatLayer, HeatLegend, MapView, ReceiversLayer, boundsOfFeatures, toMapReceiver,
  type HeatGrid, type MapFix,
} from '../../components/map';
import { ErrorNotice, isUnavailable, unavailableReason } from '../../components/Unavailable';
import { useTopics } from '../../events/react';

const SHOWN_FIXES = 10;

export default function MapPage() {
  useTopics(['receivers', 'networks', 'localizations']);
  const receivers = useReceivers();
  const networks = useNetworks();
  const [picked, setNetworkId] = useState<string | null>(null);
  // Until the user picks, show the first network (its expected-accuracy map is the point of the page).
  const networkId = picked ?? networks.data?.items[0]?.id ?? '';
  const [showAccuracy, setShowAccuracy] = useState(true);
  const [resolution, setResolution] = useState(64);
  const accuracy = useQuery({
    queryKey: queryKeys.networks.accuracy(networkId, resolution),
    queryFn: () => api.networkAccuracy(networkId, resolution),
    enabled: Boolean(networkId),
    staleTime: Infinity,
  });
  const { items: fixes, error: historyError } = useRecentLocalizations(SHOWN_FIXES);
  const network = networks.data?.items.find((n) => n.id === networkId);
  const shown = useMemo(() => {
    const members = new Set(network?.receiver_ids ?? network?.receivers?.map((r) => r.id) ?? []);
    return (receivers.data?.items ?? []).filter((r) => !network || members.has(r.id)).map(toMapReceiver);
  }, [receivers.data, network]);
  const mapFixes = useMemo<MapFix[]>(() => fixes.map((f, index) => ({
    key: f.id ?? String(index), lat: f.lat, lon: f.lon, ellipses: f.ellipses ?? [], latest: index === 0,
    label: `${f.method} · ${formatPosition(f.lat, f.lon)}`,
  })), [fixes]);
  const heat = useMemo<HeatGrid | null>(() => (showAccuracy && accuracy.data
    ? { lat: accuracy.data.lat, lon: accuracy.data.lon, values: accuracy.data.rms_error_m, mode: 'error' } : null),
  [showAccuracy, accuracy.data]);
  const accuracyOff = isUnavailable(accuracy.error) ? unavailableReason(accuracy.error) : null;
  const fitTo = useMemo(() => boundsOfFeatures([{ type: 'FeatureCollection', features: shown.map((r) => ({
    type: 'Feature', geometry: { type: 'Point', coordinates: [r.lon, r.lat] }, properties: {} })) }]), [shown]);
  const latest = fixes[0];

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
        <label>
          Accuracy grid{' '}
          <select value={resolution} onChange={(e) => setResolution(Number(e.target.value))} disabled={!showAccuracy || Boolean(accuracyOff)}>
            {[64, 128, 200].map((n) => <option key={n} value={n}>{n} × {n}</option>)}
          </select>
        </label>
        {accuracy.isFetching && showAccuracy && <small className="muted" role="status">computing the accuracy map…</small>}
        {accuracyOff && <small className="muted">Expected-accuracy map: {accuracyOff}</small>}
        <span className="muted">{shown.length} receivers · {fixes.length} recent fixes</span>
      </div>
      <ErrorNotice error={receivers.error} />
      {historyError && !isUnavailable(historyError) ? <ErrorNotice error={historyError} /> : null}
      <MapView label="Map of receivers and recent fixes" height={560} fitTo={fitTo} exportName="heimdall-map">
        <HeatLayer grid={heat} id="accuracy" opacity={0.85} />
        <FixesLayer fixes={mapFixes} />
        <ReceiversLayer receivers={shown} />
      </MapView>
      <div className="legends">
        <HealthLegend />
        {heat && <HeatLegend grid={heat} label="Expected RMS error" />}
      </div>
      {latest && (
        <p className="muted">
          Latest fix: {formatPosition(latest.lat, latest.lon)} ({latest.method}); GDOP {formatSignificant(latest.gdop)};{' '}
          {latest.ellipses.map((e) => `${Math.round(e.confidence * 100)} %: ${formatEllipse(e)}`).join('; ')}
        </p>
      )}
    </div>
  );
}
