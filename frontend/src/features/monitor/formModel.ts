/**
 * The start-a-watch form: what people type (frequencies as "145.5M" or "7.1M", a squelch in dB above
 * the noise floor, a CoT endpoint as udp://host:port) checked, then turned into `POST /monitors`.
 * Error keys are the body's field paths, so the server's `details.field` lands beside the same input.
 */
import type { MonitorInput } from '../../api/monitorTypes';

export interface ChannelRow {
  frequency: string;
  passband: string;
  threshold: string;
}

export interface MonitorFormState {
  name: string;
  networkId: string;
  channels: ChannelRow[];
  minReceivers: string;
  cotUrl: string;
}

export type Errors = Record<string, string>;

export const EMPTY_CHANNEL: ChannelRow = { frequency: '', passband: '', threshold: '10' };
export const INITIAL_FORM: MonitorFormState = { name: '', networkId: '', channels: [EMPTY_CHANNEL], minReceivers: '3', cotUrl: '' };

const MAX_FREQUENCY_HZ = 30e9;
const SCALE: Record<string, number> = { '': 1, k: 1e3, m: 1e6, g: 1e9 };

/** "145.5M", "145.5 MHz", "7100k", "1.2G", "7100000" -> Hz; NaN when it is not a frequency. */
export function parseHertz(text: string): number {
  const match = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*([kmg]?)(?:hz)?\s*$/i.exec(text);
  if (!match) return Number.NaN;
  return Number(match[1]) * SCALE[match[2].toLowerCase()];
}

const COT_URL = /^(udp|tcp):\/\/([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):(\d{1,5})$/;

/** A CoT destination: `udp://host:port` or `tcp://host:port`, port 1–65535. */
export function cotUrlError(url: string): string | null {
  const match = COT_URL.exec(url.trim());
  if (!match) return 'A CoT endpoint such as udp://239.2.3.1:6969 or tcp://tak.example.org:8087.';
  const port = Number(match[3]);
  return port >= 1 && port <= 65535 ? null : 'The port must be 1–65535.';
}

export const channelField = (index: number, name: 'frequency_hz' | 'passband_hz' | 'threshold_db') => `channels[${index}].${name}`;

function channelErrors(rows: ChannelRow[]): Errors {
  const errors: Errors = {};
  const seen = new Set<number>();
  rows.forEach((row, i) => {
    const frequencyHz = parseHertz(row.frequency);
    if (!(frequencyHz > 0 && frequencyHz <= MAX_FREQUENCY_HZ)) {
      errors[channelField(i, 'frequency_hz')] = 'A frequency such as 145.5M or 7.1M (above 0, up to 30 GHz).';
    } else if (seen.has(frequencyHz)) {
      errors[channelField(i, 'frequency_hz')] = 'This frequency is watched already.';
    }
    seen.add(frequencyHz);
    if (row.passband.trim() && !(parseHertz(row.passband) > 0)) errors[channelField(i, 'passband_hz')] = 'A bandwidth such as 12k, or empty for the default.';
    const threshold = Number(row.threshold);
    if (row.threshold.trim() && !(threshold > 0)) {
      errors[channelField(i, 'threshold_db')] = 'A squelch above 0 dB over the noise floor (0 or less would fire all the time).';
    }
  });
  return errors;
}

/** Client-side checks; `networkSize` (receivers in the chosen network) bounds the minimum receivers. */
export function validateMonitor(state: MonitorFormState, networkSize?: number): Errors {
  const errors: Errors = channelErrors(state.channels);
  if (!state.networkId) errors.network_id = 'Choose the network to watch with.';
  if (!state.channels.length) errors.channels = 'Watch at least one channel.';
  const minReceivers = Number(state.minReceivers);
  if (state.minReceivers.trim() && !(Number.isInteger(minReceivers) && minReceivers >= 1)) {
    errors.min_receivers = 'A whole number of receivers, at least 1.';
  } else if (networkSize !== undefined && minReceivers > networkSize) {
    errors.min_receivers = `The network has only ${networkSize} receiver${networkSize === 1 ? '' : 's'}.`;
  }
  if (state.cotUrl.trim()) {
    const problem = cotUrlError(state.cotUrl);
    if (problem) errors.cot = problem;
  }
  return errors;
}

/** The request body; optional fields the user left empty are left to the server's defaults. */
export function toMonitorInput(state: MonitorFormState): MonitorInput {
  const input: MonitorInput = {
    network_id: state.networkId,
    channels: state.channels.map((row) => ({
      frequency_hz: parseHertz(row.frequency),
      ...(row.passband.trim() ? { passband_hz: parseHertz(row.passband) } : {}),
      ...(row.threshold.trim() ? { threshold_db: Number(row.threshold) } : {}),
    })),
  };
  if (state.name.trim()) input.name = state.name.trim();
  if (state.minReceivers.trim()) input.min_receivers = Number(state.minReceivers);
  if (state.cotUrl.trim()) input.cot = [{ url: state.cotUrl.trim() }];
  return input;
}

/** Every field a server error may name (for `formErrorsFrom`). */
export function formFields(state: MonitorFormState): string[] {
  const channels = state.channels.flatMap((_, i) => (['frequency_hz', 'passband_hz', 'threshold_db'] as const).map((n) => channelField(i, n)));
  return ['name', 'network_id', ...channels, 'channels', 'min_receivers', 'cot'];
}
