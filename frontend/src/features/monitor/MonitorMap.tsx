/** The live map of one watch: receivers, tracks, the shown fix with its ellipse, fading bearing lines. */
import { useMemo } from 'react';
import type { Monitor, MonitorReceiverState, Track, Transmission } from '../../api/monitorTypes';
import { useNetworks, useReceivers } from '../../api/queries';
import {
  BearingsLayer, boundsOfFeatures, FixesLayer, HealthLegend, MapView, ReceiversLayer, TrackLayer, type MapBearing, type MapReceiver,
} from '../../components/map';
import type { Health } from '../../components/map/theme';
import { latestPoint, findPoint, pointFix, replayBearings, replayMoment, trackPath } from './mapModel';

const HEALTH: Record<MonitorReceiverState, Health> = { listening: 'ok', connecting: 'unknown', stale: 'degraded', failed: 'down' };

function useMonitorReceivers(monitor: Monitor): MapReceiver[] {
  const receivers = useReceivers();
  const networks = useNetworks();
  return useMemo(() => {
    const members = new Set(networks.data?.items.find((n) => n.id === monitor.network_id)?.receiver_ids ?? []);
    const states = new Map((monitor.receivers ?? []).map((r) => [r.receiver_id, r]));
    return (receivers.data?.items ?? []).filter((r) => members.has(r.id) || states.has(r.id)).map((r) => {
      const state = states.get(r.id);
      return { id: r.id, name: r.name, lat: r.lat, lon: r.lon, health: state ? HEALTH[state.state] ?? 'unknown' : 'unknown',
        status: state ? `${state.state}${state.reason ? ` (${state.reason})` : ''}` : 'not reported by the monitor' };
    });
  }, [receivers.data, networks.data, monitor]);
}

interface Props {
  monitor: Monitor;
  tracks: Track[];
  bearings: MapBearing[];
  nowMs: number;
  /** A transmission being replayed: the map shows its fix and the tracks as they were then. */
  replay: Transmission | null;
}

/** The layers alone (tested on a stand-in map); MonitorMap puts them in a MapView. */
export function MonitorLayers({ tracks, bearings, nowMs, replay, receivers }: Omit<Props, 'monitor'> & { receivers: MapReceiver[] }) {
  const until = replay ? replayMoment(replay, tracks) : Infinity;
  const shown = useMemo(() => (replay ? findPoint(tracks, replay.localization_id) : latestPoint(tracks)), [tracks, replay]);
  const paths = useMemo(() => tracks.map((t) => ({ id: t.id, fixes: trackPath(t, until) })), [tracks, until]);
  const fixes = useMemo(() => (shown ? [pointFix(shown.point, shown.track)] : []), [shown]);
  const lines = useMemo(() => (replay ? replayBearings(bearings, replay) : bearings), [bearings, replay]);
  return (
    <>
      {paths.map((p) => <TrackLayer key={p.id} id={`track-${p.id}`} fixes={p.fixes} />)}
      <BearingsLayer bearings={lines} nowMs={replay ? until : nowMs} />
      <FixesLayer fixes={fixes} />
      <ReceiversLayer receivers={receivers} />
    </>
  );
}

export function MonitorMap(props: Props) {
  const receivers = useMonitorReceivers(props.monitor);
  const fitTo = useMemo(() => boundsOfFeatures([{ type: 'FeatureCollection', features: receivers.map((r) => ({
    type: 'Feature', geometry: { type: 'Point', coordinates: [r.lon, r.lat] }, properties: {} })) }]), [receivers]);
  return (
    <>
      <MapView label={`Map of the watch ${props.monitor.name}`} height={520} fitTo={fitTo} exportName={`heimdall-monitor-${props.monitor.id}`}>
        <MonitorLayers {...props} receivers={receivers} />
      </MapView>
      <HealthLegend />
    </>
  );
}
