import type { Calibration } from '../../api/types';

/** What the receivers page says about one receiver's calibration (docs/calibration.md). */
export interface CalibrationView {
  state: 'calibrated' | 'stale' | 'uncalibrated';
  detail: string;
}

const QUANTITY_LABELS: Record<string, string> = {
  timing_offset_s: 'timing', gain_offset_db: 'gain', bearing_offset_deg: 'bearing',
};

/**
 * Measurement sets name receivers by name (the Localize form and KiwiSDR files do), and calibrations
 * keep those names: the newest calibration holding the name decides, and a rejected one counts only
 * as a note on an uncalibrated receiver.
 */
export function calibrationView(name: string, calibrations: readonly Calibration[]): CalibrationView {
  const holding = calibrations
    .filter((c) => c.receiver_ids.includes(name))
    .sort((a, b) => b.created_at.localeCompare(a.created_at));
  const usable = holding.find((c) => c.state !== 'rejected');
  if (!usable) {
    return { state: 'uncalibrated', detail: holding.length ? `last one rejected: ${holding[0].rejected_reason ?? ''}` : 'no calibration' };
  }
  const quantities = usable.quantities.map((q) => QUANTITY_LABELS[q] ?? q).join(', ');
  const when = usable.created_at.slice(0, 10);
  return usable.state === 'stale'
    ? { state: 'stale', detail: `${quantities} from ${when}: too old to apply` }
    : { state: 'calibrated', detail: `${quantities} since ${when}` };
}
