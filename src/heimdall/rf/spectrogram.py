"""Spectrogram of a complex baseband capture: power (dB) over time frames x frequency offsets.

What the web app's IQ waterfall draws. Frames are Hann-windowed, half-overlapping FFTs of ``nfft``
samples; frequencies are offsets from the capture's centre (``fftshift`` order, negative first).
Power is ``|X|^2 / sum(w^2)`` (noise of power ``P`` per sample reads ``P`` in every bin), so a complex
tone of amplitude ``A`` on a bin centre peaks at ``A^2 (sum w)^2 / sum(w^2)`` = ``A^2 * 2 nfft / 3``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from heimdall.errors import InvalidInput

MIN_NFFT = 8
MAX_NFFT = 4096
# Floor of the dB scale: an all-zero frame (a receiver that heard nothing) stays finite for JSON.
FLOOR_DB = -300.0


@dataclass(frozen=True)
class Spectrogram:
    power_db: np.ndarray  # (frames, nfft), float64
    time_s: np.ndarray  # (frames,): the centre of each frame, from the capture's start (+ start_time_s)
    frequency_hz: np.ndarray  # (nfft,): offsets from the centre frequency, ascending
    sample_rate_hz: float
    nfft: int
    hop: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "nfft": self.nfft,
            "hop": self.hop,
            "sample_rate_hz": self.sample_rate_hz,
            "time_s": self.time_s.tolist(),
            "frequency_hz": self.frequency_hz.tolist(),
            "power_db": np.round(self.power_db, 2).tolist(),
        }


def spectrogram(iq: np.ndarray, sample_rate_hz: float, nfft: int = 256, *, hop: int | None = None,
                start_time_s: float = 0.0) -> Spectrogram:
    """Short-time power spectrum of the 1-D complex capture ``iq``.

    ``hop`` defaults to ``nfft // 2``. A capture shorter than ``nfft`` gives one zero-padded frame.
    """
    samples = np.asarray(iq)
    _check(samples, sample_rate_hz, nfft, hop)
    hop = nfft // 2 if hop is None else hop
    frames = _frames(samples.astype(np.complex128), nfft, hop)
    window = np.hanning(nfft + 1)[:-1]  # periodic Hann: exact overlap-add at hop = nfft / 2
    spectrum = np.fft.fftshift(np.fft.fft(frames * window, axis=-1), axes=-1)
    power = np.abs(spectrum) ** 2 / np.sum(window**2)
    with np.errstate(divide="ignore"):
        power_db = np.maximum(10.0 * np.log10(power), FLOOR_DB)
    time_s = start_time_s + (np.arange(frames.shape[0]) * hop + nfft / 2) / sample_rate_hz
    frequency_hz = np.fft.fftshift(np.fft.fftfreq(nfft, d=1.0 / sample_rate_hz))
    return Spectrogram(power_db, time_s, frequency_hz, float(sample_rate_hz), nfft, hop)


def _check(samples: np.ndarray, sample_rate_hz: float, nfft: int, hop: int | None) -> None:
    if samples.ndim != 1 or samples.size == 0:
        raise InvalidInput("iq must be a non-empty 1-D array of complex samples", field="iq")
    if not (isinstance(nfft, int | np.integer) and MIN_NFFT <= nfft <= MAX_NFFT and nfft & (nfft - 1) == 0):
        raise InvalidInput(f"nfft must be a power of two in [{MIN_NFFT}, {MAX_NFFT}], got {nfft!r}", field="nfft")
    if hop is not None and not 1 <= hop <= nfft:
        raise InvalidInput(f"hop must be in [1, nfft], got {hop!r}", field="hop")
    if not (np.isfinite(sample_rate_hz) and sample_rate_hz > 0):
        raise InvalidInput("sample_rate_hz must be a positive number", field="sample_rate_hz")
    if not np.all(np.isfinite(samples)):
        raise InvalidInput("iq contains NaN or infinite samples", field="iq")


def _frames(samples: np.ndarray, nfft: int, hop: int) -> np.ndarray:
    if samples.size < nfft:
        samples = np.concatenate([samples, np.zeros(nfft - samples.size, dtype=samples.dtype)])
    count = 1 + (samples.size - nfft) // hop
    return np.lib.stride_tricks.sliding_window_view(samples, nfft)[::hop][:count]
