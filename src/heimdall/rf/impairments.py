"""Receiver impairments: noise floor, gain errors, AGC, oscillator and clock errors, GNSS timing
jitter, position errors and S-meter quantisation. Pure functions with an explicit ``rng``."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from heimdall.errors import InvalidInput
from heimdall.geo import WGS84_A_M, WGS84_E2
from heimdall.rf.phasor import unit_phasor

BOLTZMANN_J_K = 1.380649e-23
REFERENCE_TEMPERATURE_K = 290.0
HF_UPPER_HZ = 30e6
S9_HF_DBM = -73.0
S9_VHF_DBM = -93.0
DB_PER_S_UNIT = 6.0
DB_PER_STEP_ABOVE_S9 = 10.0


def thermal_noise_dbm(
    bandwidth_hz: ArrayLike, noise_figure_db: ArrayLike = 0.0, temperature_k: float = REFERENCE_TEMPERATURE_K
) -> NDArray[np.float64]:
    """Receiver noise floor kTB + NF in dBm (-174 dBm/Hz + 10 log10 B + NF at 290 K)."""
    bandwidth = np.asarray(bandwidth_hz, dtype=float)
    if np.any(bandwidth <= 0):
        raise InvalidInput("bandwidth_hz must be positive", field="bandwidth_hz")
    ktb_dbm = 10.0 * np.log10(BOLTZMANN_J_K * temperature_k * bandwidth * 1e3)
    return ktb_dbm + np.asarray(noise_figure_db, dtype=float)


def draw_gain_offsets_db(rng: np.random.Generator, sigma_db: float, size: int | tuple[int, ...]) -> NDArray[np.float64]:
    """Per-receiver calibration errors of the reported power (Gaussian, dB)."""
    return rng.normal(0.0, sigma_db, size=size)


def draw_receiver_offsets(rng: np.random.Generator, size: int, distribution: str = "normal", *,
                          mean: float = 0.0, sigma: float = 0.0, low: float = 0.0, high: float = 0.0
                          ) -> NDArray[np.float64]:
    """Systematic offsets, one per receiver and fixed for its lifetime (a timing offset in s, a gain
    offset in dB, a bearing offset in degrees): ``normal`` (mean, sigma) or ``uniform`` (low, high)."""
    if distribution == "normal":
        return np.asarray(mean + sigma * rng.standard_normal(size), dtype=float)
    if distribution == "uniform":
        return np.asarray(rng.uniform(low, high, size), dtype=float)
    raise InvalidInput(f"unknown offset distribution {distribution!r} (normal, uniform)", field="distribution")


def gnss_timing_jitter_s(rng: np.random.Generator, sigma_s: float, size: int | tuple[int, ...]) -> NDArray[np.float64]:
    """Timestamp errors of a GNSS-disciplined clock (Gaussian, seconds)."""
    return rng.normal(0.0, sigma_s, size=size)


def perturb_positions(
    rng: np.random.Generator, lat_deg: ArrayLike, lon_deg: ArrayLike, alt_m: ArrayLike, sigma_m: float
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """True antenna positions scattered around the reported ones by ``sigma_m`` per axis (E, N, U)."""
    lat = np.asarray(lat_deg, dtype=float)
    lon = np.asarray(lon_deg, dtype=float)
    alt = np.asarray(alt_m, dtype=float)
    east, north, up = rng.normal(0.0, sigma_m, size=(3, *lat.shape))
    sin_lat = np.sin(np.radians(lat))
    prime_vertical_m = WGS84_A_M / np.sqrt(1.0 - WGS84_E2 * sin_lat**2)
    meridian_m = prime_vertical_m * (1.0 - WGS84_E2) / (1.0 - WGS84_E2 * sin_lat**2)
    cos_lat = np.maximum(np.cos(np.radians(lat)), 1e-9)
    return (
        lat + np.degrees(north / (meridian_m + alt)),
        lon + np.degrees(east / ((prime_vertical_m + alt) * cos_lat)),
        alt + up,
    )


def apply_frequency_offset(
    iq: NDArray[np.complex128], offset_hz: ArrayLike, sample_rate_hz: float, start_time_s: float = 0.0
) -> NDArray[np.complex128]:
    """Mix by a local-oscillator error; ``offset_hz`` broadcasts over leading axes of ``iq``. Single
    precision IQ stays single precision (the phase is formed in double first)."""
    t = start_time_s + np.arange(iq.shape[-1]) / sample_rate_hz
    offset = np.asarray(offset_hz, dtype=float)[..., None]
    phase = 2 * np.pi * offset * t
    if np.asarray(iq).dtype == np.complex64:
        phase = phase.astype(np.float32)
    return iq * unit_phasor(phase)


def apply_sample_clock_error(iq: NDArray[np.complex128], clock_error_ppm: float) -> NDArray[np.complex128]:
    """Resample as a receiver whose sample clock runs ``clock_error_ppm`` fast would see the signal.

    Sample n of the output is taken at nominal time n * (1 + ppm 1e-6); linear interpolation is
    enough because the drift over a capture is a small fraction of a sample.
    """
    n = iq.shape[-1]
    positions = np.arange(n) * (1.0 + clock_error_ppm * 1e-6)
    index = np.arange(n)
    real = np.interp(positions, index, iq.real, right=0.0)
    imag = np.interp(positions, index, iq.imag, right=0.0)
    return real + 1j * imag


def automatic_gain_control(
    iq: NDArray[np.complex128], block_samples: int, target_rms: float = 0.25, step_db: float = 1.0
) -> tuple[NDArray[np.complex128], NDArray[np.float64]]:
    """Block-wise AGC with gain steps of ``step_db``; returns the scaled IQ and the gain per block (dB).

    Real AGCs settle in steps, so the absolute power is only known to about ``step_db / sqrt(12)``
    unless the receiver reports its gain.
    """
    if block_samples < 1:
        raise InvalidInput("block_samples must be at least 1", field="block_samples")
    n_blocks = -(-iq.shape[-1] // block_samples)
    padded = np.zeros(n_blocks * block_samples, dtype=complex)
    padded[: iq.shape[-1]] = iq
    blocks = padded.reshape(n_blocks, block_samples)
    rms = np.sqrt(np.mean(np.abs(blocks) ** 2, axis=1)) + 1e-30
    gain_db = np.round(20.0 * np.log10(target_rms / rms) / step_db) * step_db
    scaled = blocks * 10.0 ** (gain_db[:, None] / 20.0)
    return scaled.reshape(-1)[: iq.shape[-1]], gain_db


def s_meter_s9_dbm(frequency_hz: ArrayLike) -> NDArray[np.float64]:
    """S9 reference: -73 dBm below 30 MHz (HF), -93 dBm above (VHF/UHF)."""
    return np.where(np.asarray(frequency_hz, dtype=float) < HF_UPPER_HZ, S9_HF_DBM, S9_VHF_DBM)


def s_units(power_dbm: ArrayLike, frequency_hz: ArrayLike) -> NDArray[np.float64]:
    """Continuous S-meter reading: 9 at S9, 6 dB per S-unit (values above 9 continue at 6 dB/unit)."""
    return 9.0 + (np.asarray(power_dbm, dtype=float) - s_meter_s9_dbm(frequency_hz)) / DB_PER_S_UNIT


def s_meter_quantise_dbm(power_dbm: ArrayLike, frequency_hz: ArrayLike) -> NDArray[np.float64]:
    """What an S-meter reports, back in dBm: whole S-units up to S9, then S9+10, +20, ... dB; S0 floor."""
    power = np.asarray(power_dbm, dtype=float)
    s9 = s_meter_s9_dbm(frequency_hz)
    below = s9 + DB_PER_S_UNIT * np.maximum(np.round((power - s9) / DB_PER_S_UNIT), -9.0)
    above = s9 + DB_PER_STEP_ABOVE_S9 * np.round((power - s9) / DB_PER_STEP_ABOVE_S9)
    return np.where(power <= s9 + DB_PER_STEP_ABOVE_S9 / 2, np.minimum(below, s9), np.maximum(above, s9))


def quantisation_sigma_db(step_db: float) -> float:
    """Standard deviation of a uniform rounding error of one step."""
    return step_db / np.sqrt(12.0)
