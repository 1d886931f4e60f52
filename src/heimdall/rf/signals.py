"""Complex-baseband signal generators and their RMS (Gabor) bandwidth.

Every generator takes an explicit ``rng``, a duration and a sample rate and returns unit-power
complex samples (while the transmitter is keyed). The RMS bandwidth matters because the
time-delay-estimation error scales as 1 / (2 pi beta_rms sqrt(E / N0)) (RF_NOTES section 2):
NBFM voice has a few hundred Hz to ~1.5 kHz, a bare carrier ~0 and cannot be timed.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import numpy as np
from numpy.typing import NDArray

from heimdall.errors import InvalidInput

SIGNAL_TYPES = ("nbfm_voice", "nbfm_ctcss", "carrier", "cw", "fsk4")
FSK4_BURST_S = 0.06
NOMINAL_SAMPLE_RATE_HZ = 50_000.0


def rms_bandwidth_hz(iq: NDArray[np.complex128], sample_rate_hz: float) -> float:
    """Gabor bandwidth sqrt(sum (f - f_c)^2 P(f) / sum P(f)) about the spectral centroid f_c."""
    spectrum = np.abs(np.fft.fft(iq)) ** 2
    freqs = np.fft.fftfreq(iq.shape[-1], d=1.0 / sample_rate_hz)
    total = spectrum.sum()
    if total <= 0:
        return 0.0
    centroid = (freqs * spectrum).sum() / total
    return float(np.sqrt(((freqs - centroid) ** 2 * spectrum).sum() / total))


def _n_samples(duration_s: float, sample_rate_hz: float) -> int:
    if duration_s <= 0 or sample_rate_hz <= 0:
        raise InvalidInput("duration_s and sample_rate_hz must be positive")
    return max(round(duration_s * sample_rate_hz), 1)


def _band_limited_noise(
    rng: np.random.Generator, n: int, sample_rate_hz: float, low_hz: float, high_hz: float
) -> NDArray[np.float64]:
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, d=1.0 / sample_rate_hz)
    spectrum[(freqs < low_hz) | (freqs > high_hz)] = 0.0
    audio = np.fft.irfft(spectrum, n)
    return audio / (np.std(audio) + 1e-30)


def _frequency_modulate(instantaneous_hz: NDArray[np.float64], sample_rate_hz: float, rng: np.random.Generator) -> NDArray[np.complex128]:
    phase = 2.0 * np.pi * np.cumsum(instantaneous_hz) / sample_rate_hz + rng.uniform(0, 2 * np.pi)
    return np.exp(1j * phase)


def nbfm_voice(
    rng: np.random.Generator, duration_s: float, sample_rate_hz: float, deviation_hz: float = 2500.0
) -> NDArray[np.complex128]:
    """NBFM with speech-like audio: 300-3000 Hz noise under a ~4 Hz syllabic envelope, peak +/- deviation."""
    n = _n_samples(duration_s, sample_rate_hz)
    audio = _band_limited_noise(rng, n, sample_rate_hz, 300.0, 3000.0)
    # Syllables: a |Gaussian| loudness every 1/8 s, interpolated (independent of the capture length,
    # so even a 50 ms capture is modulated).
    knots_s = np.arange(int(np.ceil(n / sample_rate_hz * 8)) + 2) / 8.0
    syllables = np.interp(np.arange(n) / sample_rate_hz, knots_s, np.abs(rng.standard_normal(knots_s.size)))
    message = np.clip(audio * syllables / 3.0, -1.0, 1.0)  # limiter: peak deviation never exceeded
    return _frequency_modulate(deviation_hz * message, sample_rate_hz, rng)


def nbfm_ctcss(
    rng: np.random.Generator,
    duration_s: float,
    sample_rate_hz: float,
    tone_hz: float = 88.5,
    deviation_hz: float = 500.0,
) -> NDArray[np.complex128]:
    """NBFM carrying only a sub-audible CTCSS tone (a keyed-up but silent repeater user)."""
    n = _n_samples(duration_s, sample_rate_hz)
    t = np.arange(n) / sample_rate_hz
    tone = np.sin(2 * np.pi * tone_hz * t + rng.uniform(0, 2 * np.pi))
    return _frequency_modulate(deviation_hz * tone, sample_rate_hz, rng)


def carrier(rng: np.random.Generator, duration_s: float, sample_rate_hz: float) -> NDArray[np.complex128]:
    """An unmodulated carrier with a random phase: no timing information at all."""
    n = _n_samples(duration_s, sample_rate_hz)
    return np.full(n, np.exp(1j * rng.uniform(0, 2 * np.pi)), dtype=complex)


def cw_keying(
    rng: np.random.Generator,
    duration_s: float,
    sample_rate_hz: float,
    words_per_minute: float = 20.0,
    rise_time_s: float = 0.005,
) -> NDArray[np.complex128]:
    """On-off keyed carrier (random dits/dahs/gaps at the PARIS dit rate) with raised-cosine edges."""
    n = _n_samples(duration_s, sample_rate_hz)
    dit_samples = max(round(1.2 / words_per_minute * sample_rate_hz), 1)
    n_dits = -(-n // dit_samples)
    pattern = np.repeat(rng.uniform(size=n_dits) < 0.55, dit_samples)[:n].astype(float)
    rise = max(round(rise_time_s * sample_rate_hz), 1)
    window = np.sin(np.linspace(0, np.pi, 2 * rise + 1)) ** 2
    envelope = np.convolve(pattern, window / window.sum(), mode="same")
    envelope /= np.sqrt(np.mean(envelope**2)) + 1e-30
    return envelope * np.exp(1j * rng.uniform(0, 2 * np.pi))


def fsk4_burst(
    rng: np.random.Generator,
    duration_s: float,
    sample_rate_hz: float,
    symbol_rate_hz: float = 4800.0,
    deviations_hz: tuple[float, ...] = (-1800.0, -600.0, 600.0, 1800.0),
) -> NDArray[np.complex128]:
    """A 4FSK data burst (DMR-like: 4800 symbols/s, +/-600 and +/-1800 Hz), Gaussian-smoothed frequency."""
    n = _n_samples(duration_s, sample_rate_hz)
    samples_per_symbol = sample_rate_hz / symbol_rate_hz
    n_symbols = int(np.ceil(n / samples_per_symbol)) + 1
    symbols = rng.choice(np.asarray(deviations_hz), size=n_symbols)
    frequency = symbols[(np.arange(n) / samples_per_symbol).astype(int)]
    sigma = max(samples_per_symbol / 3.0, 1e-3)
    taps = np.exp(-0.5 * (np.arange(-3 * int(np.ceil(sigma)), 3 * int(np.ceil(sigma)) + 1) / sigma) ** 2)
    smoothed = np.convolve(frequency, taps / taps.sum(), mode="same")
    return _frequency_modulate(smoothed, sample_rate_hz, rng)


GENERATORS: dict[str, Callable[..., NDArray[np.complex128]]] = {
    "nbfm_voice": nbfm_voice,
    "nbfm_ctcss": nbfm_ctcss,
    "carrier": carrier,
    "cw": cw_keying,
    "fsk4": fsk4_burst,
}


def generate_signal(
    signal_type: str, rng: np.random.Generator, duration_s: float, sample_rate_hz: float
) -> NDArray[np.complex128]:
    if signal_type not in GENERATORS:
        raise InvalidInput(f"unknown signal type {signal_type!r}; known: {', '.join(SIGNAL_TYPES)}",
                           field="signal_type")
    return GENERATORS[signal_type](rng, duration_s, sample_rate_hz)


def keyed_duration_s(signal_type: str, observation_s: float) -> float:
    """How long the transmitter is on within an observation window (a 4FSK burst is short)."""
    return min(observation_s, FSK4_BURST_S) if signal_type == "fsk4" else observation_s


@cache
def nominal_rms_bandwidth_hz(signal_type: str) -> float:
    """RMS bandwidth of a typical realisation (fixed seed), used by the measurement-level simulator."""
    duration_s = keyed_duration_s(signal_type, 2.0)
    iq = generate_signal(signal_type, np.random.default_rng(2024), duration_s, NOMINAL_SAMPLE_RATE_HZ)
    return rms_bandwidth_hz(iq, NOMINAL_SAMPLE_RATE_HZ)
