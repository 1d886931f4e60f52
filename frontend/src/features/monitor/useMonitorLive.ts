/** The live pulse of one monitor, from the tab's one event client (never a socket of its own). */
import { useEffect, useState } from 'react';
import type { BearingEvent, LevelEvent } from '../../api/monitorTypes';
import type { MapBearing } from '../../components/map';
import { useEventClient, useTopics } from '../../events/react';
import { addBearing, applyLevels, toMapBearing, type LevelState } from './live';

export function useMonitorLive(monitorId: string, names: Record<string, string>): { levels: LevelState; bearings: MapBearing[] } {
  useTopics([`monitor:${monitorId}`]);
  const client = useEventClient();
  const [levels, setLevels] = useState<LevelState>({});
  const [bearings, setBearings] = useState<MapBearing[]>([]);
  const namesKey = JSON.stringify(names);
  useEffect(() => {
    const stationNames = JSON.parse(namesKey) as Record<string, string>;
    return client.addListener((envelope) => {
      if (envelope.topic !== `monitor:${monitorId}`) return;
      if (envelope.event === 'monitor.level') {
        setLevels((state) => applyLevels(state, envelope.data as unknown as LevelEvent, Date.now()));
      } else if (envelope.event === 'monitor.bearing') {
        const event = envelope.data as unknown as BearingEvent;
        const bearing = toMapBearing(event, stationNames[event.receiver_id]);
        if (bearing) setBearings((list) => addBearing(list, bearing));
      }
    });
  }, [client, monitorId, namesKey]);
  return { levels, bearings };
}

/** The clock, ticking every `intervalMs`: bearings fade by age even while no event arrives. */
export function useNow(intervalMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}
