"""How far a measured arrival time can be from distance / c because of the path, from the capture's
own frequency, distance, time of day and timing spectrum. docs/recordings.md gives the formulas and
their sources; every number below is a named model assumption.

- Refraction: the surface layer slows every ground-level path by n = 1 + N 1e-6, N = 315 +- 30
  N-units (ITU-R P.453 world mean and its climatic spread). The mean is removed from the TDoAs
  (``REFRACTIVE_INDEX``); the spread stays as an error, independent per receiver (approximation).
- Ground wave (below 3 MHz, where it is the propagation mode): slower than the straight line by
  the phase of the Sommerfeld-Norton flat-earth attenuation function. The ground along each path is
  unknown: the error is the RMS of that delay over ITU-R P.527 ground classes from very dry land to
  sea (at 77.5 kHz and 500 km: 0.07 us over sea, 0.9-4.3 us over land). Flat earth underestimates
  the delay beyond ~80 f_MHz^(-1/3) km (curved-earth residue series not implemented).
- One-hop sky wave: a layer at height h returns frequency f over a distance d only if f is under
  its critical frequency times sec(i) (secant law, curved earth), i the incidence angle; LF is
  reflected from the D layer (70 km by day, 90 km at night) at any distance of one hop; medium
  waves are absorbed by day. Its excess delay over the straight line is (2 L - chord) / c. Whether
  it moves the correlation peak depends on this signal's timing spectrum: with each hop's unknown
  sky/ground amplitude ratio rho uniform in [0, RHO_MAX] and its carrier phase psi uniform, the
  peak of the correlation of the timing spectrum through 1 + sum rho e^(j(psi - 2 pi f Delta))
  moves; the error is the 68 % half-width of that shift over fixed draws. One unresolved hop (Delta
  much shorter than the timing spectrum's inverse width): 0.38 Delta for RHO_MAX = 1; resolved: ~0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import wofz

from heimdall.geo import SPEED_OF_LIGHT_M_S

EARTH_RADIUS_M = 6_371_000.0
SURFACE_REFRACTIVITY = 315e-6  # ITU-R P.453: world mean surface refractivity N = 315
REFRACTIVITY_SPREAD = 30e-6  # its climatic and seasonal spread (~10 %)
REFRACTIVE_INDEX = 1.0 + SURFACE_REFRACTIVITY
GROUND_WAVE_MAX_FREQUENCY_HZ = 3e6
# (conductivity S/m, relative permittivity): ITU-R P.527 land from medium dry to wet ground, and sea water
GROUND_CLASSES = ((1e-3, 15.0), (3e-3, 15.0), (1e-2, 30.0), (3e-2, 30.0), (5.0, 70.0))
RHO_MAX = 1.0  # the sky wave is at most as strong as the ground/direct wave (otherwise the peak follows it)
_DRAWS = 600  # draws of the unknown echo amplitudes and phases: the 68 % point to ~3 %


@dataclass(frozen=True)
class Layer:
    name: str
    height_day_m: float
    height_night_m: float
    critical_day_hz: float  # upper envelope of the layer's critical frequency (inf: reflects LF at any angle)
    critical_night_hz: float
    min_frequency_hz: float = 0.0
    max_frequency_hz: float = float("inf")


# Upper-envelope critical frequencies (solar maximum, ITU-R P.1239 / Davies, "Ionospheric Radio"), so
# that the model admits a sky wave wherever one can plausibly arrive. MF is absorbed by day (D layer).
LAYERS = (
    Layer("D", 70e3, 90e3, float("inf"), float("inf"), max_frequency_hz=500e3),
    Layer("E", 110e3, 110e3, 0.0, 0.6e6, min_frequency_hz=500e3, max_frequency_hz=3e6),
    Layer("E", 110e3, 110e3, 4e6, 0.6e6, min_frequency_hz=3e6),
    Layer("Es", 105e3, 105e3, 15e6, 15e6, min_frequency_hz=3e6),
    Layer("F2", 300e3, 350e3, 15e6, 10e6, min_frequency_hz=3e6),
)


@dataclass(frozen=True)
class Hop:
    layer: str
    height_m: float
    excess_delay_s: float


def one_hop(chord_m: float, height_m: float) -> tuple[float, float] | None:
    """(excess delay over the straight chord in s, sec of the incidence angle at the layer), or None
    beyond one hop's reach (the ray would leave the ground below the horizon)."""
    theta = np.arcsin(min(chord_m / (2.0 * EARTH_RADIUS_M), 1.0))  # half the central angle
    if np.cos(theta) < EARTH_RADIUS_M / (EARTH_RADIUS_M + height_m):
        return None
    radius, top = EARTH_RADIUS_M, EARTH_RADIUS_M + height_m
    leg = np.sqrt(radius**2 + top**2 - 2.0 * radius * top * np.cos(theta))
    sin_incidence = radius * np.sin(theta) / leg
    return (2.0 * leg - chord_m) / SPEED_OF_LIGHT_M_S, 1.0 / np.sqrt(max(1.0 - sin_incidence**2, 1e-12))


def sky_wave_hops(frequency_hz: float, chord_m: float, daytime: bool) -> list[Hop]:
    """The one-hop sky waves that can arrive at this frequency and distance."""
    hops = []
    for layer in LAYERS:
        if not layer.min_frequency_hz <= frequency_hz < layer.max_frequency_hz:
            continue
        height = layer.height_day_m if daytime else layer.height_night_m
        critical = layer.critical_day_hz if daytime else layer.critical_night_hz
        geometry = one_hop(chord_m, height)
        if geometry is not None and frequency_hz <= critical * geometry[1]:
            hops.append(Hop(layer.name, height, geometry[0]))
    return hops


def sky_wave_sigma_s(excess_delays_s: Sequence[float], timing_frequency_hz: ArrayLike,
                     timing_weight: ArrayLike) -> float:
    """``_sky_wave_sigma_s``, remembered: a fix evaluates every receiver's budget several times."""
    frequency = np.ascontiguousarray(timing_frequency_hz, dtype=float)
    weight = np.ascontiguousarray(timing_weight, dtype=float)
    return _sky_wave_sigma_cached(tuple(round(float(d), 12) for d in excess_delays_s), frequency.tobytes(),
                                  weight.tobytes())


@lru_cache(maxsize=256)
def _sky_wave_sigma_cached(delays: tuple[float, ...], frequency: bytes, weight: bytes) -> float:
    return _sky_wave_sigma_s(delays, np.frombuffer(frequency), np.frombuffer(weight))


def _sky_wave_sigma_s(excess_delays_s: Sequence[float], timing_frequency_hz: ArrayLike,
                      timing_weight: ArrayLike) -> float:
    """68 % half-width of the correlation peak's shift by one-hop sky waves ``excess_delays_s`` behind
    the ground wave (one per layer that can return the signal, each with its own rho and psi), for
    a signal whose delay is set by the timing spectrum (weights per frequency, e.g.
    ``SegmentedDelay.timing_weight``): over _DRAWS fixed draws, the peak of
    |sum_f w(f) (1 + sum_h rho_h e^(j(psi_h - 2 pi f Delta_h))) e^(j 2 pi f tau)|, found on a grid of
    a sixth of the main lobe and refined by a parabola. Unresolved echoes move it by the channel's
    group delay, resolved ones leave it alone unless they outgrow the ground wave's peak."""
    delays = np.asarray(excess_delays_s, dtype=float)
    if delays.size == 0:
        return 0.0
    frequency = np.asarray(timing_frequency_hz, dtype=float)
    weight = np.asarray(timing_weight, dtype=float)
    keep = weight > 0
    frequency, weight = frequency[keep], weight[keep] / max(float(np.sum(weight[keep])), 1e-300)
    spread_hz = float(np.sqrt(np.sum(weight * (frequency - np.sum(weight * frequency)) ** 2)))
    if frequency.size < 2 or spread_hz <= 0:
        return float(_UNRESOLVED_Q68 * np.sqrt(np.sum(delays**2)))
    step = 1.0 / (2.0 * np.pi * spread_hz) / 6.0
    lags = np.arange(-6.0 * step - 2.0 * step, delays.max() + 8.0 * step, step)
    rho, psi = _echo_draws(delays.size)  # (_DRAWS, hops)
    echoes = rho[:, :, None] * np.exp(1j * (psi[:, :, None] - 2.0 * np.pi * delays[None, :, None] * frequency))
    spectra = weight * (1.0 + echoes.sum(axis=1))  # (_DRAWS, bins)
    magnitude = np.abs(spectra @ np.exp(2j * np.pi * np.outer(frequency, lags)))
    peak = np.clip(np.argmax(magnitude, axis=1), 1, lags.size - 2)
    rows = np.arange(peak.size)
    left, centre, right = magnitude[rows, peak - 1], magnitude[rows, peak], magnitude[rows, peak + 1]
    bend = left - 2.0 * centre + right
    fraction = np.where(bend < 0, 0.5 * (left - right) / np.where(bend < 0, bend, -1.0), 0.0)
    shift = lags[peak] + np.clip(fraction, -0.5, 0.5) * step
    return float(np.quantile(np.abs(shift), 0.6827))


def _echo_draws(hops: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Fixed draws of each hop's rho ~ U[0, RHO_MAX] and psi ~ U[0, 2 pi): the same every call."""
    rng = np.random.default_rng(hops)
    return RHO_MAX * rng.uniform(size=(_DRAWS, hops)), 2.0 * np.pi * rng.uniform(size=(_DRAWS, hops))


def _unresolved_q68() -> float:
    """68 % half-width of the group delay Re(z / (1 + z)), z = rho e^(j psi), of one unresolved hop
    in units of its delay (0.37 for RHO_MAX = 1)."""
    rho, psi = _echo_draws(1)
    z = rho[:, 0] * np.exp(1j * psi[:, 0])
    return float(np.quantile(np.abs(np.real(z / (1.0 + z))), 0.6827))


_UNRESOLVED_Q68 = _unresolved_q68()


def ground_wave_sigma_s(frequency_hz: float, distance_m: ArrayLike) -> NDArray[np.float64]:
    """RMS over the ground classes of the ground wave's secondary delay (0 at 3 MHz and above)."""
    d = np.atleast_1d(np.asarray(distance_m, dtype=float))
    if frequency_hz >= GROUND_WAVE_MAX_FREQUENCY_HZ:
        return np.zeros(d.shape)
    delays = np.stack([secondary_delay_s(frequency_hz, d, sigma, eps) for sigma, eps in GROUND_CLASSES])
    rms: NDArray[np.float64] = np.sqrt(np.mean(delays**2, axis=0))
    return rms


def secondary_delay_s(frequency_hz: float, distance_m: ArrayLike, conductivity_s_m: float,
                      permittivity: float) -> NDArray[np.float64]:
    """Delay of a vertically polarised ground wave beyond distance / c over smooth homogeneous flat
    ground: -arg(W) / (2 pi f), W = 1 - j sqrt(pi w) e^(-w) erfc(j sqrt(w)) (Sommerfeld-Norton),
    numerical distance w = -j (k d / 2) (eta - 1) / eta^2, eta = eps_r - j 60 sigma lambda."""
    d = np.asarray(distance_m, dtype=float)
    wavelength = SPEED_OF_LIGHT_M_S / frequency_hz
    eta = permittivity - 1j * 60.0 * conductivity_s_m * wavelength
    w = -1j * (np.pi * d / wavelength) * (eta - 1.0) / eta**2
    attenuation = 1.0 - 1j * np.sqrt(np.pi * w) * wofz(-np.sqrt(w))
    delay: NDArray[np.float64] = -np.angle(attenuation) / (2.0 * np.pi * frequency_hz)
    return delay


def solar_elevation_deg(when_utc: datetime, lat_deg: float, lon_deg: float) -> float:
    """Sun's elevation (about 1 degree: declination and equation of time to first order)."""
    when = when_utc.astimezone(UTC)
    day = when.timetuple().tm_yday + (when.hour + when.minute / 60.0) / 24.0
    declination = -23.44 * np.cos(2.0 * np.pi * (day + 10.0) / 365.25)
    b = 2.0 * np.pi * (day - 81.0) / 364.0
    equation_of_time_min = 9.87 * np.sin(2 * b) - 7.53 * np.cos(b) - 1.5 * np.sin(b)
    solar_hours = when.hour + when.minute / 60.0 + when.second / 3600.0 + lon_deg / 15.0 + equation_of_time_min / 60.0
    hour_angle = np.radians(15.0 * (solar_hours - 12.0))
    lat, dec = np.radians(lat_deg), np.radians(declination)
    return float(np.degrees(np.arcsin(np.sin(lat) * np.sin(dec) + np.cos(lat) * np.cos(dec) * np.cos(hour_angle))))
