"""Synthetic simultaneous KiwiSDR recordings with a known transmitter, drawn with the impairments
the error model claims to explain, each from the same physics the model uses:

- geometry: straight-line distance at the surface layer's refractive index (N drawn 315 +- 30);
- ground wave below 3 MHz: the Norton secondary delay over a ground class drawn per receiver;
- one-hop sky waves wherever ``capture.propagation`` says one can arrive: an echo Delta later with
  amplitude ratio rho ~ U[0, RHO_MAX] and a uniform carrier phase, per hop and receiver;
- receiver delay ~ N(0, RECEIVER_DELAY_SIGMA_S);
- sample clock: true rate = 12001 Hz x (1 +- 20 ppm), stamped at that rate (the pipeline must find it);
- GNSS: each receiver's stamps are off by a common N(0, GNSS_FIX_SIGMA_S) plus, per fix (one every
  5 s), N(0, FIX_JITTER_S); the stamps carry the seconds since the last fix like a Kiwi's;
- white noise at ``snr_db`` in the signal's band, and a Kiwi-like +-3 kHz passband.

Used by the tests (tests/integration/recordings) and the benchmark (``heimdall.capture.bench``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from heimdall.capture.alignment import CommonGrid, TimedIQ, resample_onto
from heimdall.capture.propagation import (
    GROUND_CLASSES,
    GROUND_WAVE_MAX_FREQUENCY_HZ,
    REFRACTIVITY_SPREAD,
    RHO_MAX,
    SURFACE_REFRACTIVITY,
    secondary_delay_s,
    sky_wave_hops,
    solar_elevation_deg,
)
from heimdall.capture.timing_errors import GNSS_FIX_SIGMA_S, RECEIVER_DELAY_SIGMA_S
from heimdall.formats.gnss_time import GPS_EPOCH_UTC, SECONDS_PER_WEEK, gps_minus_utc_s
from heimdall.formats.kiwi import SAMPLES_PER_BLOCK, kiwi_file_name, write_kiwi_wav
from heimdall.geo import SPEED_OF_LIGHT_M_S, enu_to_geodetic, geodetic_to_ecef

NOMINAL_RATE_HZ = 12001
RATE_ERROR_PPM = 20.0
FIX_INTERVAL_S = 5.0
FIX_JITTER_S = 50e-9
START_SPREAD_S = 0.3  # receivers start within this of each other
_MARGIN_S = 0.05  # source signal beyond the longest delay plus echo
_AMPLITUDE = 0.1  # signal RMS in full scale: room for the noise and the echoes under 1.0


@dataclass(frozen=True)
class Scenario:
    name: str
    frequency_hz: float
    bandwidth_hz: float  # the signal: band-limited noise this wide, centred on the tuned frequency
    receivers: tuple[tuple[str, float, float], ...]  # (id, lat, lon)
    centre: tuple[float, float]  # the transmitter is drawn uniformly within radius_m of it
    radius_m: float
    when_utc: datetime
    duration_s: float = 10.0
    snr_db: float = 10.0  # in the signal's band, at every receiver


@dataclass(frozen=True)
class Truth:
    transmitter: tuple[float, float]
    path_delay_s: dict[str, float]  # arrival minus straight-line distance / c, sky waves aside
    stamp_error_s: dict[str, float]  # mean error of each receiver's GNSS stamps (they say later by this)
    sky_echoes: dict[str, list[tuple[str, float, float]]] = field(default_factory=dict)  # (layer, delay, rho)


@dataclass(frozen=True)
class SyntheticCapture:
    paths: list[Path]
    receivers: dict[str, dict[str, Any]]  # receivers.json's entries by id
    truth: Truth


def synthesise(scenario: Scenario, seed: int, folder: Path) -> SyntheticCapture:
    """Write one Kiwi IQ WAV per receiver (and receivers.json) into ``folder``."""
    rng = np.random.default_rng(seed)
    transmitter = _draw_transmitter(scenario, rng)
    source = _source(scenario, rng)
    refractive = 1.0 + SURFACE_REFRACTIVITY + REFRACTIVITY_SPREAD * rng.standard_normal()
    tx_ecef = geodetic_to_ecef(*transmitter, 0.0)
    paths, delays, echoes, stamp_errors = [], {}, {}, {}
    for station, lat, lon in scenario.receivers:
        distance = float(np.linalg.norm(geodetic_to_ecef(lat, lon, 0.0) - tx_ecef))
        extra = (refractive - 1.0) * distance / SPEED_OF_LIGHT_M_S + _ground_wave_s(scenario, distance, rng)
        extra += RECEIVER_DELAY_SIGMA_S * rng.standard_normal()
        delays[station] = extra
        midpoint = (0.5 * (lat + transmitter[0]), 0.5 * (lon + transmitter[1]))
        daytime = solar_elevation_deg(scenario.when_utc, *midpoint) > 0.0
        hops = [(h.layer, h.excess_delay_s, RHO_MAX * rng.uniform()) for h in
                sky_wave_hops(scenario.frequency_hz, distance, daytime)]
        echoes[station] = hops
        arrival_s = distance / SPEED_OF_LIGHT_M_S + extra
        path, stamp_errors[station] = _write_receiver(scenario, station, source, arrival_s, hops, rng, folder)
        paths.append(path)
    receivers: dict[str, dict[str, Any]] = {sid: {"id": sid, "lat": lat, "lon": lon, "alt_m": 0.0}
                                            for sid, lat, lon in scenario.receivers}
    (folder / "receivers.json").write_text(json.dumps({"receivers": list(receivers.values())}))
    return SyntheticCapture(paths, receivers, Truth(transmitter, delays, stamp_errors, echoes))


def _draw_transmitter(scenario: Scenario, rng: np.random.Generator) -> tuple[float, float]:
    radius = scenario.radius_m * np.sqrt(rng.uniform())
    angle = rng.uniform(0.0, 2.0 * np.pi)
    lat, lon, _ = enu_to_geodetic([radius * np.sin(angle), radius * np.cos(angle), 0.0], *scenario.centre)
    return float(lat), float(lon)


def _ground_wave_s(scenario: Scenario, distance_m: float, rng: np.random.Generator) -> float:
    if scenario.frequency_hz >= GROUND_WAVE_MAX_FREQUENCY_HZ:
        return 0.0
    conductivity, permittivity = GROUND_CLASSES[rng.integers(len(GROUND_CLASSES))]
    return float(secondary_delay_s(scenario.frequency_hz, distance_m, conductivity, permittivity))


def _source(scenario: Scenario, rng: np.random.Generator) -> TimedIQ:
    """Unit-power complex noise, flat within +-bandwidth/2, from _MARGIN_S + the longest delay
    before the start to after the end (nominal rate; resampled per receiver)."""
    span_s = scenario.duration_s + START_SPREAD_S + 2.0 * _MARGIN_S + 0.05
    n = int(span_s * NOMINAL_RATE_HZ)
    spectrum = np.fft.fft(rng.standard_normal(n) + 1j * rng.standard_normal(n))
    spectrum *= np.abs(np.fft.fftfreq(n, 1.0 / NOMINAL_RATE_HZ)) <= scenario.bandwidth_hz / 2.0
    signal = np.fft.ifft(spectrum)
    signal /= np.sqrt(np.mean(np.abs(signal) ** 2))
    start_ns = _utc_ns(scenario.when_utc) - round((_MARGIN_S + 0.05) * 1e9)
    return TimedIQ("source", signal.astype(np.complex64), start_ns, float(NOMINAL_RATE_HZ), scenario.frequency_hz)


def _write_receiver(scenario: Scenario, station: str, source: TimedIQ, arrival_s: float,
                    hops: list[tuple[str, float, float]], rng: np.random.Generator,
                    folder: Path) -> tuple[Path, float]:
    rate_hz = NOMINAL_RATE_HZ * (1.0 + RATE_ERROR_PPM * 1e-6 * rng.uniform(-1.0, 1.0))
    start_offset_s = rng.uniform(0.0, START_SPREAD_S)
    samples = int(scenario.duration_s * rate_hz) // SAMPLES_PER_BLOCK * SAMPLES_PER_BLOCK
    first_ns = _utc_ns(scenario.when_utc) + round(start_offset_s * 1e9)

    def heard(delay_s: float) -> NDArray[np.complex64]:
        return resample_onto(source, CommonGrid(first_ns - round(delay_s * 1e9), rate_hz, samples))

    iq = heard(arrival_s).astype(np.complex128)
    for _, excess_s, rho in hops:
        iq += rho * np.exp(1j * rng.uniform(0.0, 2.0 * np.pi)) * heard(arrival_s + excess_s)
    noise_power = rate_hz / scenario.bandwidth_hz * 10 ** (-scenario.snr_db / 10.0)  # per sample, whole band
    iq += np.sqrt(noise_power / 2.0) * (rng.standard_normal(samples) + 1j * rng.standard_normal(samples))
    iq = _kiwi_passband(_AMPLITUDE * iq, rate_hz)
    errors, ages = _gnss_stamps(samples, rate_hz, rng)
    path = write_kiwi_wav(folder / kiwi_file_name(scenario.when_utc, scenario.frequency_hz, station), iq,
                          nominal_sample_rate_hz=NOMINAL_RATE_HZ, true_sample_rate_hz=rate_hz,
                          t0_gps_s=_gps_seconds_of_week(scenario.when_utc) + start_offset_s,
                          gps_solution=ages, stamp_errors_s=errors)
    return path, float(np.mean(errors[1:]))


def _gnss_stamps(samples: int, rate_hz: float, rng: np.random.Generator) -> tuple[NDArray[np.float64], NDArray[np.uint8]]:
    """Per block: the stamp's error (a common offset plus a fresh one per fix) and its solution age."""
    block_time = np.arange(0, samples, SAMPLES_PER_BLOCK) / rate_hz + rng.uniform(0.0, FIX_INTERVAL_S)
    fix = np.floor(block_time / FIX_INTERVAL_S).astype(int)
    jitter = FIX_JITTER_S * rng.standard_normal(fix.max() + 1)
    errors = GNSS_FIX_SIGMA_S * rng.standard_normal() + jitter[fix]
    ages = np.floor(block_time - fix * FIX_INTERVAL_S).astype(np.uint8)
    return errors, ages


def _kiwi_passband(iq: NDArray[np.complex128], rate_hz: float) -> NDArray[np.complex128]:
    """Flat to 2.8 kHz, a 60 dB skirt to 3.4 kHz: the shape of a Kiwi's 12 kHz IQ output."""
    frequency = np.abs(np.fft.fftfreq(iq.size, 1.0 / rate_hz))
    gain = np.where(frequency < 2800.0, 1.0, 10.0 ** (-3.0 * np.clip((frequency - 2800.0) / 600.0, 0.0, 1.0)))
    return np.fft.ifft(np.fft.fft(iq) * gain)


def _utc_ns(when: datetime) -> int:
    return round(when.astimezone(UTC).timestamp()) * 1_000_000_000


def _gps_seconds_of_week(when: datetime) -> float:
    elapsed = (when - GPS_EPOCH_UTC).total_seconds() + gps_minus_utc_s(when)
    return float(elapsed % SECONDS_PER_WEEK)
