"""Measurements from complex baseband IQ, for real recordings and for the simulator's IQ-level samples.

Stable signatures (full scale = 1.0; every function is pure numpy/scipy):

- ``power_snr(iq, sample_rate_hz, signal_bandwidth_hz=None) -> PowerEstimate``
- ``power_snr_rows(iq_matrix, sample_rate_hz, signal_bandwidth_hz=None) -> PowerEstimates`` (every row, batched)
- ``gcc_delay(iq_a, iq_b, sample_rate_hz, *, max_delay_s=None, phat=False, weighting=None,
  error_model="coherence") -> DelayEstimate`` (``delay_s`` = arrival at b minus arrival at a; ``sigma_s``;
  ``peak_ratio``)
- ``gcc_delays_against_reference(iq_matrix, sample_rate_hz, *, reference=0, max_delay_s=None,
  weighting="ml", max_frequency_offset_hz=0.0, error_model="floor") -> BatchDelayEstimate`` (every row
  against one, batched)
- ``segmented_delays(aligned, sample_rate_hz, *, max_delay_s, reference=0, weighting="plain")
  -> list[SegmentedDelay | None]`` (every row against one, segment by segment, checked against each other)
- ``frequency_offset_hz(iq, sample_rate_hz) -> float``
"""

from heimdall.rf.measure.delay import DelayEstimate, gcc_delay
from heimdall.rf.measure.delay_batch import BatchDelayEstimate, gcc_delays_against_reference
from heimdall.rf.measure.frequency import frequency_offset_hz
from heimdall.rf.measure.power import PowerEstimate, PowerEstimates, power_snr, power_snr_rows
from heimdall.rf.measure.segmented import SegmentedDelay, segmented_delays

__all__ = ["BatchDelayEstimate", "DelayEstimate", "PowerEstimate", "PowerEstimates", "SegmentedDelay",
           "frequency_offset_hz", "gcc_delay", "gcc_delays_against_reference", "power_snr", "power_snr_rows",
           "segmented_delays"]
