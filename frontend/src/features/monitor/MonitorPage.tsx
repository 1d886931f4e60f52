/**
 * The Monitor page (`#/monitor[/<monitorId>]`): start a watch, list and control watches, and for the
 * chosen one its receivers' levels and detection lamps, the live map (tracks, latest fix, fading
 * bearing lines), the timeline of transmissions (replayable on the map), tracks with exports and exclusions.
 */
import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import type { Monitor } from '../../api/monitorTypes';
import { monitorApi } from '../../api/monitors';
import { useNetworks } from '../../api/queries';
import { queryKeys } from '../../api/queryKeys';
import { navigate } from '../../components/router';
import { formatFrequency } from '../../components/format';
import { ErrorNotice, isUnavailable, UnavailableNotice } from '../../components/Unavailable';
import { useTopics } from '../../events/react';
import { LevelMeters } from './LevelMeters';
import { MonitorForm } from './MonitorForm';
import { MonitorList } from './MonitorList';
import { MonitorMap } from './MonitorMap';
import { Timeline } from './Timeline';
import { Tracks } from './Tracks';
import { useMonitorLive, useNow } from './useMonitorLive';

const TIMELINE_LIMIT = 200;
const CLOCK_TICK_MS = 2000;

function QueryError({ feature, error }: { feature: string; error: unknown }) {
  if (!error) return null;
  return isUnavailable(error) ? <UnavailableNotice feature={feature} error={error} /> : <ErrorNotice error={error} />;
}

function MonitorSummary({ monitor }: { monitor: Monitor }) {
  return (
    <p>
      <span className={`status status-${monitor.status}`}>{monitor.status}</span>{' '}
      {monitor.channels.map((c) => formatFrequency(c.frequency_hz)).join(', ')} · at least {monitor.min_receivers} receivers per fix
      {' '}· {monitor.counts?.transmissions ?? 0} transmissions, {monitor.counts?.fixes ?? 0} fixes
      {monitor.cot?.length ? ` · CoT to ${monitor.cot.map((c) => c.url).join(', ')}` : ''}
    </p>
  );
}

function MonitorDetail({ monitorId }: { monitorId: string }) {
  const monitor = useQuery({ queryKey: queryKeys.monitors.detail(monitorId), queryFn: () => monitorApi.get(monitorId) });
  const tracks = useQuery({ queryKey: queryKeys.monitors.tracks(monitorId), queryFn: () => monitorApi.tracks(monitorId) });
  const transmissions = useQuery({
    queryKey: queryKeys.monitors.transmissions(monitorId), queryFn: () => monitorApi.transmissions(monitorId, TIMELINE_LIMIT),
  });
  const names = useMemo(() => Object.fromEntries((monitor.data?.receivers ?? []).map((r) => [r.receiver_id, r.name])), [monitor.data]);
  const live = useMonitorLive(monitorId, names);
  const nowMs = useNow(CLOCK_TICK_MS);
  const [replayId, setReplayId] = useState<string | null>(null);
  if (monitor.error) return <QueryError feature="This watch" error={monitor.error} />;
  if (!monitor.data) return <p className="muted">Loading the watch…</p>;
  const m = monitor.data;
  const trackList = tracks.data?.items ?? [];
  const txList = transmissions.data?.items ?? [];
  const replay = txList.find((t) => t.id === replayId) ?? null;
  return (
    <section className="card" aria-label={`Watch ${m.name}`}>
      <h2>{m.name || m.id}</h2>
      <MonitorSummary monitor={m} />
      <LevelMeters monitor={m} levels={live.levels} nowMs={nowMs} />
      <div className="monitor-layout">
        <div>
          {replay && <p className="notice" role="status">Replaying the transmission of {new Date(replay.start).toLocaleTimeString()}: the map shows its fix and the tracks as they were then.</p>}
          <MonitorMap monitor={m} tracks={trackList} bearings={live.bearings} nowMs={nowMs} replay={replay} />
        </div>
        <div className="monitor-side">
          <QueryError feature="Transmissions" error={transmissions.error} />
          <Timeline monitor={m} transmissions={txList} selectedId={replayId} onSelect={setReplayId} />
        </div>
      </div>
      <h2>Tracks</h2>
      <QueryError feature="Tracks" error={tracks.error} />
      <Tracks monitor={m} tracks={trackList} transmissions={txList} />
    </section>
  );
}

export default function MonitorPage({ params }: { params: string[] }) {
  useTopics(['monitors', 'jobs', 'receivers', 'networks']);
  const monitors = useQuery({ queryKey: queryKeys.monitors.list(), queryFn: () => monitorApi.list() });
  const networks = useNetworks();
  const selected = params[0];
  return (
    <div className="page">
      <section aria-label="Watches">
        <h2>Watches {monitors.data && <small className="muted">({monitors.data.total})</small>}</h2>
        <QueryError feature="Monitors" error={monitors.error} />
        {monitors.data && (
          <MonitorList monitors={monitors.data.items} selectedId={selected} onDeleted={(id) => id === selected && navigate('monitor')} />
        )}
      </section>
      {selected && <MonitorDetail key={selected} monitorId={selected} />}
      <details open={!selected}>
        <summary>Start a watch</summary>
        <ErrorNotice error={networks.error} />
        <MonitorForm networks={networks.data?.items ?? []} onStarted={(m) => navigate('monitor', m.id)} />
      </details>
    </div>
  );
}
