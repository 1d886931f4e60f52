"""Measurement-level simulation of one block of samples, vectorised over samples and receivers.

Sample ``i`` is drawn in block ``i // BLOCK_SIZE`` from the stream ``SeedSequence(seed, (0, block))``,
so it depends only on (config, seed, i): any start/count gives the same sample i, and expanding a
dataset draws new blocks. BLOCK_SIZE is part of the dataset format (schema_version 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from heimdall.geo import SPEED_OF_LIGHT_M_S, bearing_deg, ecef_to_enu, enu_to_geodetic, geodetic_to_ecef
from heimdall.rf.fading import rician_power_gain
from heimdall.rf.impairments import s_meter_quantise_dbm
from heimdall.rf.propagation.free_space import free_space_path_loss_db
from heimdall.rf.propagation.log_distance import log_distance_path_loss_db
from heimdall.rf.signals import FSK4_BURST_S, SIGNAL_TYPES
from heimdall.synth.batch import SampleBatch
from heimdall.synth.bounds import crlb_rms_m, horizontal_gdop
from heimdall.synth.scenario import STREAM_BLOCK, Scenario, stream

BLOCK_SIZE = 1024
EMISSION_TIME_SPAN_S = 1e-3
_FSK4 = SIGNAL_TYPES.index("fsk4")


@dataclass(frozen=True)
class Transmitters:
    lat: NDArray[np.float64]
    lon: NDArray[np.float64]
    alt_m: NDArray[np.float64]
    ecef_m: NDArray[np.float64]  # (n, 3)
    enu_m: NDArray[np.float64]  # (n, 3) in the scenario's frame
    eirp_dbm: NDArray[np.float64]
    signal_type: NDArray[np.int8]
    duration_s: NDArray[np.float64]
    keyed_s: NDArray[np.float64]  # how long the transmitter is on within the observation


def draw_transmitters(scn: Scenario, rng: np.random.Generator, n: int) -> Transmitters:
    pop = scn.config.transmitters
    radius = scn.area.radius_m * np.sqrt(rng.uniform(size=n))
    theta = rng.uniform(0.0, 2.0 * np.pi, size=n)
    offsets = np.column_stack([radius * np.sin(theta), radius * np.cos(theta), np.zeros(n)])
    lat, lon, _ = enu_to_geodetic(offsets, scn.area.center_lat, scn.area.center_lon, 0.0)
    ground = np.zeros(n) if scn.terrain is None else np.nan_to_num(scn.terrain.elevation_m(lat, lon))
    alt = ground + rng.uniform(*pop.antenna_height_m, size=n)
    ecef = geodetic_to_ecef(lat, lon, alt)
    signal = rng.choice(len(SIGNAL_TYPES), size=n, p=scn.signal_probabilities).astype(np.int8)
    duration = rng.uniform(*scn.config.observation.duration_s, size=n)
    return Transmitters(
        lat=lat, lon=lon, alt_m=alt, ecef_m=ecef, enu_m=ecef_to_enu(ecef, *scn.origin),
        eirp_dbm=rng.uniform(*pop.eirp_dbm, size=n), signal_type=signal, duration_s=duration,
        keyed_s=np.where(signal == _FSK4, np.minimum(duration, FSK4_BURST_S), duration),
    )


def path_loss_db(scn: Scenario, tx: Transmitters, distance_m: NDArray[np.float64]) -> NDArray[np.float64]:
    prop = scn.config.propagation
    if prop.model == "itm":
        assert scn.itm_grid is not None  # built by the scenario whenever the model is ITM
        return scn.itm_grid.interpolate_db(tx.enu_m[:, 0], tx.enu_m[:, 1])
    if prop.model == "free_space":
        return free_space_path_loss_db(distance_m, scn.config.frequency_hz)
    return log_distance_path_loss_db(distance_m, scn.config.frequency_hz, prop.path_loss_exponent,
                                     prop.reference_distance_m)


def channel_gain_db(scn: Scenario, rng: np.random.Generator, tx: Transmitters, shape: tuple[Any, ...]) -> NDArray[np.float64]:
    """Shadowing (iid below realism "channel", a spatial field at it) plus fast fading."""
    prop = scn.config.propagation
    if scn.shadowing is not None:
        gain = scn.shadowing.values_db(tx.enu_m[:, 0], tx.enu_m[:, 1])
    elif scn.channel:
        gain = np.zeros(shape)
    else:
        gain = rng.normal(0.0, prop.shadowing_sigma_db, size=shape)
    if scn.channel and prop.fading != "none":
        k = 0.0 if prop.fading == "rayleigh" else 10 ** (prop.rician_k_factor_db / 10)
        gain = gain + 10.0 * np.log10(np.maximum(rician_power_gain(rng, k, shape), 1e-12))
    return gain


def measure_rss(scn: Scenario, rng: np.random.Generator, port_dbm: NDArray[np.float64], usable: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Reported power referred to an isotropic antenna, with systematic gain, calibration, AGC and S-meter
    errors (the S-meter rounds the level the mis-calibrated receiver sees)."""
    reported = port_dbm - scn.antenna_gain_dbi + scn.systematic.gain_db
    if scn.impaired:
        step = scn.config.impairments.agc_step_db
        reported = reported + scn.gain_offset_db + rng.uniform(-step / 2, step / 2, size=port_dbm.shape)
        quantised = s_meter_quantise_dbm(reported, scn.config.frequency_hz)
        reported = np.where(scn.s_meter, quantised, reported)
    return np.where(usable & scn.has_rss, reported, np.nan)


def timing_sigma_s(scn: Scenario, tx: Transmitters, snr_db: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(delay-estimation sigma, total reported sigma): 1 / (2 pi beta sqrt(T B SNR)) (+) GNSS (+) position."""
    obs = scn.config.observation
    beta = scn.rms_bandwidth_hz[tx.signal_type][:, None]
    energy_ratio = tx.keyed_s[:, None] * obs.receiver_bandwidth_hz * 10 ** (snr_db / 10)
    with np.errstate(divide="ignore"):
        delay_sigma = 1.0 / (2 * np.pi * beta * np.sqrt(energy_ratio))
    position_s = scn.config.impairments.position_error_sigma_m / SPEED_OF_LIGHT_M_S if scn.impaired else 0.0
    total = np.sqrt(delay_sigma**2 + obs.gnss_timing_sigma_s**2 + position_s**2)
    return delay_sigma, total


def measure_timing(scn: Scenario, rng: np.random.Generator, tx: Transmitters, distance_m: NDArray[np.float64], snr_db: NDArray[np.float64],
                   usable: NDArray[np.bool_]) -> tuple[NDArray[np.float64], ...]:
    """TOA (common GNSS clock, unknown emission time) or independent TDoA pairs against the best receiver."""
    obs = scn.config.observation
    delay_sigma, sigma = timing_sigma_s(scn, tx, snr_db)
    valid = usable & scn.has_timing & (delay_sigma <= obs.max_timing_sigma_s)
    # The position term is physical here (the antennas really are elsewhere), not extra noise.
    noise_sigma = np.sqrt(delay_sigma**2 + obs.gnss_timing_sigma_s**2)
    noise = rng.standard_normal(size=distance_m.shape)
    emission_s: NDArray[np.float64] = rng.uniform(0.0, EMISSION_TIME_SPAN_S, size=(distance_m.shape[0],))
    nan = np.full(distance_m.shape, np.nan)
    reference = np.where(valid.any(axis=1), np.argmax(np.where(valid, snr_db, -np.inf), axis=1), -1)
    offset_s = scn.systematic.timing_s  # each receiver's clock reads late by its systematic offset
    if obs.time_measurement == "toa":
        arrival = emission_s[:, None] + distance_m / SPEED_OF_LIGHT_M_S + offset_s
        toa = arrival + np.where(valid, noise * noise_sigma, 0.0)
        return np.where(valid, toa, np.nan), np.where(valid, sigma, np.nan), nan, nan, np.full_like(reference, -1)
    rows = np.arange(distance_m.shape[0])
    ref = np.maximum(reference, 0)
    pair_noise = np.sqrt(noise_sigma**2 + noise_sigma[rows, ref][:, None] ** 2)
    pair_sigma = np.sqrt(sigma**2 + sigma[rows, ref][:, None] ** 2)
    tdoa = (distance_m - distance_m[rows, ref][:, None]) / SPEED_OF_LIGHT_M_S + noise * pair_noise
    tdoa = tdoa + offset_s - offset_s[ref][:, None]
    paired = valid & (np.arange(distance_m.shape[1]) != reference[:, None]) & valid[rows, ref][:, None]
    return nan, nan, np.where(paired, tdoa, np.nan), np.where(paired, pair_sigma, np.nan), reference


def measure_bearings(scn: Scenario, rng: np.random.Generator, tx: Transmitters, snr_db: NDArray[np.float64],
                     usable: NDArray[np.bool_]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Bearing with the uniform-circular-array CRLB 1 / (k r sqrt(N M SNR)) (+) a systematic floor."""
    obs = scn.config.observation
    lat, lon, alt = (v[None, :] for v in scn.rx_true_lla)
    truth = bearing_deg(lat, lon, alt, tx.lat[:, None], tx.lon[:, None], tx.alt_m[:, None])
    snapshots = tx.keyed_s[:, None] * obs.receiver_bandwidth_hz
    kr = 2 * np.pi * obs.aoa_radius_wavelengths
    crlb_deg = np.degrees(1.0 / (kr * np.sqrt(snapshots * obs.aoa_elements * 10 ** (snr_db / 10))))
    sigma = np.sqrt(crlb_deg**2 + obs.aoa_systematic_sigma_deg**2)
    noise = sigma * rng.standard_normal(size=truth.shape)
    measured = np.mod(truth + scn.systematic.bearing_deg + noise, 360.0)
    valid = usable & scn.has_aoa
    return np.where(valid, measured, np.nan), np.where(valid, sigma, np.nan)


def simulate_block(scn: Scenario, block: int) -> SampleBatch:
    rng = stream(scn.config.seed, STREAM_BLOCK, block)
    n = BLOCK_SIZE
    tx = draw_transmitters(scn, rng, n)
    distance_m = np.linalg.norm(tx.ecef_m[:, None, :] - scn.rx_true_ecef_m[None, :, :], axis=-1)
    port_dbm = (tx.eirp_dbm[:, None] - path_loss_db(scn, tx, distance_m)
                + channel_gain_db(scn, rng, tx, distance_m.shape) + scn.antenna_gain_dbi)
    snr_db = port_dbm - scn.noise_floor_dbm
    usable = snr_db >= scn.config.observation.detection_snr_db
    rss = measure_rss(scn, rng, port_dbm, usable)
    toa, toa_sigma, tdoa, tdoa_sigma, reference = measure_timing(scn, rng, tx, distance_m, snr_db, usable)
    aoa, aoa_sigma = measure_bearings(scn, rng, tx, snr_db, usable)
    rss_sigma = np.where(np.isnan(rss), np.nan, scn.rss_sigma_db)
    crlb = crlb_rms_m(tx.enu_m, scn.rx_enu_m, toa_sigma_s=toa_sigma, tdoa_sigma_s=tdoa_sigma,
                      tdoa_reference=reference, rss_sigma_db=rss_sigma, aoa_sigma_deg=aoa_sigma,
                      path_loss_exponent=scn.meta["propagation"]["path_loss_exponent"])
    return SampleBatch(
        meta=scn.meta, sample_id=block * BLOCK_SIZE + np.arange(n, dtype=np.int64),
        truth_lat=tx.lat, truth_lon=tx.lon, truth_alt_m=tx.alt_m, truth_eirp_dbm=tx.eirp_dbm,
        signal_type=tx.signal_type, duration_s=tx.duration_s, tdoa_reference=reference.astype(np.int16),
        gdop=horizontal_gdop(tx.enu_m, scn.rx_enu_m, usable), crlb_rms_m=crlb, snr_db=snr_db,
        rss_power_dbm=rss, rss_sigma_db=rss_sigma, toa_s=toa, toa_sigma_s=toa_sigma,
        tdoa_s=tdoa, tdoa_sigma_s=tdoa_sigma, aoa_bearing_deg=aoa, aoa_sigma_deg=aoa_sigma,
    )
