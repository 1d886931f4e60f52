import {
  CAPABILITIES, RECEIVER_KINDS, TIMINGS, type Capability, type NetworkInput, type Receiver, type ReceiverInput,
  type ReceiverKind, type Timing,
} from '../../api/types';
import { toNumber } from '../../components/useSubmit';

export const RECEIVER_FIELDS = ['name', 'kind', 'url', 'lat', 'lon', 'alt_m', 'capabilities', 'timing', 'enabled'] as const;
export const NETWORK_FIELDS = ['name', 'description', 'receiver_ids'] as const;

/** What the receiver form holds: text as typed, so half-typed numbers can be reported, not coerced. */
export interface ReceiverDraft {
  name: string;
  kind: ReceiverKind;
  url: string;
  lat: string;
  lon: string;
  alt_m: string;
  capabilities: Capability[];
  timing: Timing;
  enabled: boolean;
}

export function draftFrom(receiver?: Receiver): ReceiverDraft {
  return {
    name: receiver?.name ?? '',
    kind: receiver?.kind ?? 'kiwisdr',
    url: receiver?.url ?? '',
    lat: receiver ? String(receiver.lat) : '',
    lon: receiver ? String(receiver.lon) : '',
    alt_m: receiver ? String(receiver.alt_m) : '0',
    capabilities: receiver?.capabilities ?? ['rss'],
    timing: receiver?.timing ?? 'none',
    enabled: receiver?.enabled ?? true,
  };
}

export function validateReceiver(draft: ReceiverDraft): Record<string, string> {
  const errors: Record<string, string> = {};
  if (!draft.name.trim()) errors.name = 'A name is required.';
  if (!RECEIVER_KINDS.includes(draft.kind)) errors.kind = 'Unknown receiver kind.';
  if (draft.url.trim() && !/^(https?|wss?):\/\/\S+$/.test(draft.url.trim())) errors.url = 'Use an http(s):// or ws(s):// URL.';
  const lat = toNumber(draft.lat);
  if (!Number.isFinite(lat) || lat < -90 || lat > 90) errors.lat = 'Latitude must be a number from -90 to 90.';
  const lon = toNumber(draft.lon);
  if (!Number.isFinite(lon) || lon < -180 || lon > 180) errors.lon = 'Longitude must be a number from -180 to 180.';
  if (!Number.isFinite(toNumber(draft.alt_m))) errors.alt_m = 'Altitude must be a number (metres).';
  if (!draft.capabilities.length) errors.capabilities = 'Pick at least one capability.';
  if (draft.capabilities.some((c) => !CAPABILITIES.includes(c))) errors.capabilities = 'Unknown capability.';
  if (!TIMINGS.includes(draft.timing)) errors.timing = 'Unknown timing.';
  if (draft.capabilities.includes('tdoa') && draft.timing !== 'gnss') errors.timing = 'TDoA needs GNSS timing.';
  return errors;
}

export function receiverInput(draft: ReceiverDraft): ReceiverInput {
  return {
    name: draft.name.trim(),
    kind: draft.kind,
    url: draft.url.trim() || null,
    lat: Number(draft.lat),
    lon: Number(draft.lon),
    alt_m: Number(draft.alt_m),
    capabilities: draft.capabilities,
    timing: draft.timing,
    enabled: draft.enabled,
  };
}

export function validateNetwork(input: NetworkInput): Record<string, string> {
  const errors: Record<string, string> = {};
  if (!input.name.trim()) errors.name = 'A name is required.';
  if (!input.receiver_ids.length) errors.receiver_ids = 'Pick at least one receiver.';
  return errors;
}
