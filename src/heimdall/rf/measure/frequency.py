"""Frequency offset of a signal from the tuned frequency (0 Hz in complex baseband)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import fft as sfft
from scipy.ndimage import uniform_filter1d

from heimdall.errors import InvalidInput
from heimdall.rf.measure.power import check_iq

_CARRIER_SHARE = 0.1  # a line holding this share of the signal power is taken as the carrier


def frequency_offset_hz(iq: NDArray[np.complexfloating], sample_rate_hz: float) -> float:
    """Frequency of the signal in ``iq`` relative to 0 Hz, in Hz, from one Hann-windowed spectrum of
    the whole record.

    With a carrier (a spectral line holding at least 10 % of the power above the noise floor, e.g.
    AM, CW, PM with a residual carrier) it is that line's frequency, interpolated between bins to a
    small fraction of 1/T. Otherwise (FM voice, FSK) it is the centroid of the power above the noise
    floor. Noise only gives 0. Offsets are taken in (-fs/2, fs/2]; a signal straddling +-fs/2 is not
    supported.
    """
    samples = check_iq(iq)
    if sample_rate_hz <= 0:
        raise InvalidInput("sample_rate_hz must be positive", field="sample_rate_hz")
    size = sfft.next_fast_len(2 * samples.size)
    # single precision: the line's position comes from log powers whose 1e-7 rounding is far under
    # the noise, at half the FFT's time and memory (the whole record, twice zero-padded)
    windowed = samples.astype(np.complex64) * np.hanning(samples.size).astype(np.float32)
    transformed = sfft.fft(windowed, size)
    spectrum = (transformed.real.astype(np.float64) ** 2 + transformed.imag.astype(np.float64) ** 2)
    freqs = sfft.fftfreq(size, d=1.0 / sample_rate_hz)
    smoothed = uniform_filter1d(spectrum, size=max(3, size // 2048), mode="wrap")
    live = smoothed > 1e-3 * np.median(smoothed)  # ignore a receiver's dead stop band
    floor = np.median(smoothed[live]) if live.any() else 0.0
    excess = np.where(smoothed > 4.0 * floor, np.clip(spectrum - floor, 0.0, None), 0.0)
    if excess.sum() <= 0:
        return 0.0
    peak = int(np.argmax(spectrum))
    line = np.take(excess, np.arange(peak - 2, peak + 3), mode="wrap").sum()
    if line >= _CARRIER_SHARE * excess.sum():
        return float((peak + _log_parabola(spectrum, peak)) * sample_rate_hz / size
                     - (sample_rate_hz if peak > size // 2 else 0.0))
    return float(np.sum(freqs * excess) / np.sum(excess))


def _log_parabola(spectrum: NDArray[np.float64], peak: int) -> float:
    """Bin fraction of a spectral line's maximum (a parabola through the log powers: nearly exact
    for a Hann window)."""
    left, centre, right = np.log(np.take(spectrum, [peak - 1, peak, peak + 1], mode="wrap") + 1e-300)
    denominator = left - 2.0 * centre + right
    return float(0.5 * (left - right) / denominator) if denominator < 0 else 0.0
