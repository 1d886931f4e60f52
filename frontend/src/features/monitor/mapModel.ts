/**
 * What the Monitor page's map draws, from tracks and transmissions (pure): each track as the line of
 * its filtered (motion-model) positions, the shown fix with its 95 % ellipse, and, when a transmission
 * is replayed, everything as it was at that transmission.
 */
import type { Track, TrackPoint, Transmission } from '../../api/monitorTypes';
import type { MapBearing, MapFix } from '../../components/map';
import { formatEllipse, formatFrequency, formatPosition, formatTime } from '../../components/format';
import { timeMs } from './live';

/** Bearings within this margin of a replayed transmission's start and end are drawn with it. */
const REPLAY_BEARING_MARGIN_MS = 2000;

export function findPoint(tracks: Track[], localizationId: string | null | undefined): { track: Track; point: TrackPoint } | null {
  if (!localizationId) return null;
  for (const track of tracks) {
    const point = track.points.find((p) => p.localization_id === localizationId);
    if (point) return { track, point };
  }
  return null;
}

/** A track's line: its included fixes' filtered positions (else as measured) in time order, up to `untilMs`. */
export function trackPath(track: Track, untilMs = Infinity): MapFix[] {
  return track.points
    .filter((p) => !p.excluded && timeMs(p.time) <= untilMs)
    .sort((a, b) => timeMs(a.time) - timeMs(b.time))
    .map((p) => {
      const at = p.filtered ?? p;
      const motion = p.filtered ? ` · ${p.filtered.speed_m_s.toFixed(1)} m/s, heading ${p.filtered.heading_deg.toFixed(0)}°` : '';
      return { key: p.localization_id, lat: at.lat, lon: at.lon, ellipses: [],
        label: `${formatTime(p.time)} · ${p.filtered ? 'filtered' : 'measured'} ${formatPosition(at.lat, at.lon)}${motion}` };
    });
}

/** One fix as measured (not filtered), with its 95 % ellipse. */
export function pointFix(point: TrackPoint, track: Track): MapFix {
  const ellipse = { confidence: 0.95, ...point.ellipse_95 };
  return {
    key: point.localization_id, lat: point.lat, lon: point.lon, ellipses: [ellipse], latest: true,
    label: `${formatFrequency(track.frequency_hz)} · ${formatTime(point.time)}\n${formatPosition(point.lat, point.lon)}\n95 % region: ${formatEllipse(ellipse)}`
      + (point.excluded ? `\nexcluded: ${point.note ?? ''}` : ''),
  };
}

/** The newest included fix of all tracks (what the live map shows with its ellipse). */
export function latestPoint(tracks: Track[]): { track: Track; point: TrackPoint } | null {
  let best: { track: Track; point: TrackPoint } | null = null;
  for (const track of tracks) {
    for (const point of track.points) {
      if (!point.excluded && (!best || timeMs(point.time) > timeMs(best.point.time))) best = { track, point };
    }
  }
  return best;
}

/** The moment a replayed transmission stands for: its fix's time, else its end, else its start. */
export function replayMoment(transmission: Transmission, tracks: Track[]): number {
  const found = findPoint(tracks, transmission.localization_id);
  return timeMs(found?.point.time ?? transmission.end ?? transmission.start);
}

export function replayBearings(bearings: MapBearing[], transmission: Transmission): MapBearing[] {
  const start = timeMs(transmission.start) - REPLAY_BEARING_MARGIN_MS;
  const end = timeMs(transmission.end ?? transmission.start) + REPLAY_BEARING_MARGIN_MS;
  return bearings.filter((b) => b.timeMs >= start && b.timeMs <= end);
}
