/**
 * What the receivers page shows of a receiver's `health` (docs/receivers.md, "Health"): the record is
 * free-form JSON on the wire, so every field is read defensively and a missing one reads as unknown.
 */
export type GnssClass = 'ok' | 'weak' | 'none' | 'unknown';

export interface HealthView {
  checked: boolean;
  ok: boolean | null;
  status: string;
  reason: string | null;
  gnss: GnssClass;
  gnssTitle: string;
  users: string;
  canTakeUser: 'yes' | 'no' | 'unknown';
  canTakeUserTitle: string;
  tdoaReady: boolean | null;
  tdoaReason: string;
  checkedAt: string | null;
  passwordRequired: boolean;
}

const num = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);
const text = (value: unknown): string | null => (typeof value === 'string' && value ? value : null);
const bool = (value: unknown): boolean | null => (typeof value === 'boolean' ? value : null);

export function healthView(health: unknown): HealthView {
  const h = (health && typeof health === 'object' ? health : {}) as Record<string, unknown>;
  const gnss = (['ok', 'weak', 'none'].includes(String(h.gnss)) ? h.gnss : 'unknown') as GnssClass;
  const satellites = num(h.gps_satellites);
  const perMin = num(h.gps_fixes_per_min);
  const users = num(h.users);
  const usersMax = num(h.users_max);
  const free = num(h.free_slots);
  const room = bool(h.can_take_user);
  return {
    checked: Boolean(text(h.checked_at)),
    ok: bool(h.ok),
    status: text(h.status) ?? 'unknown',
    reason: text(h.reason),
    gnss,
    gnssTitle: [satellites !== null ? `${satellites} satellites` : null, perMin !== null ? `${perMin} fixes/min` : null]
      .filter(Boolean).join(', ') || 'no GNSS figures',
    users: users !== null && usersMax !== null ? `${users}/${usersMax}` : usersMax !== null ? `?/${usersMax}` : '?',
    canTakeUser: room === null ? 'unknown' : room ? 'yes' : 'no',
    canTakeUserTitle: free === null ? 'the receiver does not say how many users it has'
      : room ? `${free} free: one more user still leaves one for others`
        : `${free} free: we never take a receiver's last free slot`,
    tdoaReady: bool(h.tdoa_ready),
    tdoaReason: text(h.tdoa_reason) ?? 'not checked yet',
    checkedAt: text(h.checked_at),
    passwordRequired: h.password_required === true,
  };
}

/** "3 min ago" style age of an ISO time, or "never". */
export function checkedAgo(iso: string | null, now = Date.now()): string {
  const at = iso ? Date.parse(iso) : Number.NaN;
  if (!Number.isFinite(at)) return 'never';
  const s = Math.max(0, Math.round((now - at) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

/** Kinds whose status page the server can read (`POST /receivers/{id}/health/check`, "Add from URL"). */
export const PROBED_KINDS = ['kiwisdr', 'openwebrx'] as const;
export type ProbedKind = (typeof PROBED_KINDS)[number];
