"""Measurements from complex baseband IQ, for real recordings and for the simulator's IQ-level samples.

Stable signatures (full scale = 1.0; every function is pure numpy/scipy):

- ``power_snr(iq, sample_rate_hz, signal_bandwidth_hz=None) -> PowerEstimate``
- ``gcc_delay(iq_a, iq_b, sample_rate_hz, *, max_delay_s=None, phat=False, weighting=None) -> DelayEstimate``
  (``delay_s`` = arrival at b minus arrival at a; ``sigma_s``; ``peak_ratio``)
- ``frequency_offset_hz(iq, sample_rate_hz) -> float``
"""

from heimdall.rf.measure.delay import DelayEstimate, gcc_delay
from heimdall.rf.measure.frequency import frequency_offset_hz
from heimdall.rf.measure.power import PowerEstimate, power_snr

__all__ = ["DelayEstimate", "PowerEstimate", "frequency_offset_hz", "gcc_delay", "power_snr"]
