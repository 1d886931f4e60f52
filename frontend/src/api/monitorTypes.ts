/**
 * The Monitors API (issue 14; shapes as agreed with the backend's `monitors` branch), written by hand.
 *
 * Every other REST shape is derived from the generated `generated/openapi.ts` (see types.ts). The
 * monitor routes are built in parallel and are not in `openapi.json` yet: once they are, regenerate
 * (`npm run gen:api`) and derive these names from `components['schemas']` as types.ts does, so a
 * renamed field breaks the type check instead of the page. Until the backend is merged every monitor
 * call answers 404 and the page says so (it never pretends).
 */

export type MonitorReceiverState = 'connecting' | 'listening' | 'failed' | 'stale';

export interface MonitorChannel {
  frequency_hz: number;
  passband_hz?: number;
  /** Squelch: dB above the receiver's tracked noise floor. */
  threshold_db?: number;
}

export interface CotTarget {
  /** `udp://host:port` or `tcp://host:port`. */
  url: string;
}

export interface MonitorInput {
  name?: string;
  network_id: string;
  channels: MonitorChannel[];
  min_receivers?: number;
  cot?: CotTarget[];
}

export interface MonitorReceiver {
  receiver_id: string;
  name: string;
  kind: string;
  state: MonitorReceiverState;
  reason: string | null;
}

export interface Monitor {
  id: string;
  name: string;
  created_at?: string;
  network_id: string | null;
  channels: MonitorChannel[];
  min_receivers: number;
  cot?: CotTarget[];
  /** Null when its job is gone (the watch can then only be deleted). */
  job_id: string | null;
  /** Mirrors the monitor's job (CONTRACT §2 job statuses). */
  status: string;
  receivers?: MonitorReceiver[];
  counts?: { transmissions: number; fixes: number };
}

export interface Ellipse95 {
  semi_major_m: number;
  semi_minor_m: number;
  orientation_deg: number;
}

export interface TrackPoint {
  localization_id: string;
  time: string;
  lat: number;
  lon: number;
  ellipse_95: Ellipse95;
  /** The motion model's estimate after this fix (the track's line goes through these); null when it has none. */
  filtered: { lat: number; lon: number; speed_m_s: number; heading_deg: number; ellipse_95?: Ellipse95 } | null;
  excluded: boolean;
  note: string | null;
}

export interface Track {
  id: string;
  monitor_id: string;
  frequency_hz: number;
  started_at: string;
  updated_at: string;
  points: TrackPoint[];
}

export interface Transmission {
  id: string;
  monitor_id: string;
  frequency_hz: number;
  start: string;
  end: string | null;
  receiver_ids: string[];
  localization_id: string | null;
  track_id: string | null;
  /** Why this transmission has no fix (too few receivers, ...). */
  reason: string | null;
}

export interface ExclusionInput {
  localization_id: string;
  /** One bearing/receiver of that fix; omitted excludes the whole fix. */
  receiver_id?: string;
  note: string;
}

export type TrackFormat = 'geojson' | 'kml' | 'csv';

// ---- events on topic `monitor:<id>` (not REST: the app's own reading of the agreed payloads) ---------

export interface LevelReading {
  receiver_id: string;
  level_db: number;
  floor_db: number | null;
  detecting: boolean;
}

/** `monitor.level`: batched readings of one channel, at most ~2 per second per monitor. */
export interface LevelEvent {
  monitor_id: string;
  frequency_hz: number;
  readings: LevelReading[];
}

/**
 * `monitor.bearing`: one KrakenSDR bearing from its station's position at that moment (stations may
 * move). The station's name is read from `station`, else `name`; `time` may be ISO 8601 or epoch seconds.
 */
export interface BearingEvent {
  monitor_id: string;
  receiver_id: string;
  station?: string;
  name?: string;
  lat: number;
  lon: number;
  bearing_deg: number;
  sigma_deg: number;
  time: string | number;
}
