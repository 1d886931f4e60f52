"""IQ-level samples: per receiver a GNSS-stamped capture synthesised from the same truth as the
measurement-level sample with the same index, then measured back with ``heimdall.rf.measure``.

Each receiver's capture starts at GNSS time 0 by its own (jittered) clock. The signal reaches it
after d/c, passes the true channel (power from the measurement-level draw, so shadowing, fading and
ITM apply), its oscillator offset and sample-clock error (realism >= hardware), and white thermal
noise at kTB + NF. Full scale (1.0) is ``FULL_SCALE_DBM`` at the antenna port.

Extracted: RSS from ``power_snr`` (calibrated back to dBm at an isotropic antenna), and TDoA of
each receiver against the strongest one from ``gcc_delay`` (IQ-level samples always report TDoA
pairs: cross-correlation gives differences, not absolute arrival times). Bearings keep the
measurement-level model (a single-channel capture has no array).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import fft as sfft

from heimdall.geo import SPEED_OF_LIGHT_M_S, geodetic_to_ecef
from heimdall.rf.impairments import apply_frequency_offset, apply_sample_clock_error
from heimdall.rf.measure import gcc_delays_against_reference, power_snr_rows
from heimdall.rf.phasor import unit_phasor
from heimdall.rf.signals import FSK4_BURST_S, SIGNAL_TYPES, generate_signal
from heimdall.synth.batch import SampleBatch, concatenate
from heimdall.synth.engine import BLOCK_SIZE, simulate_block
from heimdall.synth.scenario import STREAM_IQ, Scenario, stream

FULL_SCALE_DBM = -30.0
IQ_MAX_BATCH = 32  # 200 ms x 50 kHz x 7 receivers is ~0.6 MB per sample
_SEARCH_MARGIN_SAMPLES = 10  # beyond the light time, so that a true peak near it still shows its main lobe


def _fractional_delay(signal: NDArray[np.complex64], delays_samples: NDArray[np.float64], keep: slice) -> NDArray[np.complex64]:
    """Delay one buffer by several fractional sample counts at once (exact for band-limited signals;
    circular over the buffer zero-padded to a fast FFT length) and return the ``keep`` columns. Single
    precision: its 1e-7 relative error is far below any simulated noise floor."""
    size = sfft.next_fast_len(signal.size)
    spectrum = sfft.fft(signal.astype(np.complex64), size)
    # the phase in float64 first: delay x frequency reaches tens of radians
    angle = np.outer(delays_samples, -2.0 * np.pi * sfft.fftfreq(size)).astype(np.float32)
    # scipy keeps single precision (its stubs say complex128): astype without a copy only restates it
    delayed = sfft.ifft(spectrum[None, :] * unit_phasor(angle), axis=1)[:, keep].astype(np.complex64, copy=False)
    return delayed


def apply_sample_clock_errors(rows: NDArray[Any], clock_error_ppm: NDArray[np.float64]) -> NDArray[np.complex64]:
    """``rf.impairments.apply_sample_clock_error`` for every row at once, in single precision (linear
    interpolation, zero past the end). While the drift stays under one sample, sample k is read
    between k and its neighbour in the drift's direction: slices, no gather and no ``np.interp``."""
    rows = np.asarray(rows, dtype=np.complex64)
    ppm = np.asarray(clock_error_ppm, dtype=float)
    n = rows.shape[-1]
    if n < 2 or np.max(np.abs(ppm)) * 1e-6 * n >= 1.0:
        return np.stack([apply_sample_clock_error(row, p) for row, p in zip(rows, ppm, strict=True)]).astype(np.complex64)
    drift = np.arange(n, dtype=np.float32)[None, :] * (ppm * 1e-6).astype(np.float32)[:, None]
    step = np.zeros_like(rows)  # the neighbour minus sample k, signed so that drift * step interpolates
    ahead = ppm >= 0
    step[ahead, :-1] = rows[ahead, 1:] - rows[ahead, :-1]
    step[~ahead, 1:] = rows[~ahead, 1:] - rows[~ahead, :-1]
    out: NDArray[np.complex64] = rows + drift * step
    out[ahead & (ppm > 0), -1] = 0  # read past the last sample
    return out


def synthesise_captures(scn: Scenario, batch: SampleBatch, i: int, rng: np.random.Generator
                        ) -> tuple[NDArray[np.complex64], NDArray[np.float64]]:
    """(iq (R, N) complex64, capture start by each receiver's clock error (R,)) for sample i of batch."""
    spec, obs = scn.config.iq, scn.config.observation
    fs = spec.sample_rate_hz
    n = round(spec.duration_s * fs)
    tx_ecef = geodetic_to_ecef(batch.truth_lat[i], batch.truth_lon[i], batch.truth_alt_m[i])
    distance = np.linalg.norm(tx_ecef - scn.rx_true_ecef_m, axis=-1)
    clock_error_s = rng.normal(0.0, obs.gnss_timing_sigma_s, size=distance.size)
    # a systematic timing offset makes the receiver stamp the signal late by it, like a clock error
    delay_samples = (distance / SPEED_OF_LIGHT_M_S + scn.systematic.timing_s - clock_error_s) * fs
    pad = int(np.ceil(np.max(np.abs(delay_samples)))) + 64
    signal_type = SIGNAL_TYPES[int(batch.signal_type[i])]
    keyed_s = min(spec.duration_s, FSK4_BURST_S) if signal_type == "fsk4" else spec.duration_s
    buffer = np.zeros(n + 2 * pad, dtype=np.complex64)
    burst = generate_signal(signal_type, rng, keyed_s + 2 * pad / fs, fs)[: buffer.size]
    offset = int(rng.integers(0, buffer.size - burst.size + 1))
    buffer[offset: offset + burst.size] = burst
    received: NDArray[Any] = _fractional_delay(buffer, delay_samples, slice(pad, pad + n))
    port_dbm = batch.snr_db[i] + scn.noise_floor_dbm
    amplitude = 10 ** ((port_dbm - FULL_SCALE_DBM) / 20) * 10 ** (scn.gain_offset_db / 20)
    received *= amplitude[:, None].astype(np.float32)
    if scn.impaired:
        imp = scn.config.impairments
        received = apply_frequency_offset(received, rng.normal(0, imp.frequency_offset_sigma_hz, distance.size), fs)
        received = apply_sample_clock_errors(received, rng.normal(0, imp.sample_clock_error_sigma_ppm, distance.size))
    density = 10 ** ((scn.noise_floor_dbm - FULL_SCALE_DBM) / 10) / obs.receiver_bandwidth_hz
    # float32 draws: half the cost of float64 ones, and far finer than the noise they model
    noise = rng.standard_normal((2, *received.shape), dtype=np.float32)
    noise *= np.sqrt(density * fs / 2).astype(np.float32)[:, None]
    captures = received.astype(np.complex64)
    captures.real += noise[0]
    captures.imag += noise[1]
    return captures, clock_error_s


def extract(scn: Scenario, iq: NDArray[np.complex64], fs: float) -> dict[str, Any]:
    """RSS and TDoA measured from one sample's captures, in the batch's column layout."""
    obs = scn.config.observation
    n_rx = iq.shape[0]
    estimates = power_snr_rows(iq, fs, obs.receiver_bandwidth_hz)
    snr = estimates.snr_db
    usable = snr >= obs.detection_snr_db
    # a systematic gain offset mis-calibrates the dBFS -> dBm conversion: the level, not the SNR
    rss = estimates.signal_dbfs + FULL_SCALE_DBM - scn.antenna_gain_dbi + scn.systematic.gain_db
    out: dict[str, Any] = {"rss_power_dbm": np.where(usable & scn.has_rss, rss, np.nan),
           "tdoa_s": np.full(n_rx, np.nan), "tdoa_sigma_s": np.full(n_rx, np.nan), "reference": -1}
    timing = usable & scn.has_timing
    if np.count_nonzero(timing) < 2:
        return out
    reference = int(np.argmax(np.where(timing, snr, -np.inf)))
    rows = np.flatnonzero(timing)
    # A carrier line carries no timing but dominates an unweighted correlation at every lag: block DC.
    centred = iq[rows] - iq[rows].mean(axis=1, keepdims=True)
    light_s = np.linalg.norm(scn.rx_enu_m[rows] - scn.rx_enu_m[reference], axis=-1) / SPEED_OF_LIGHT_M_S
    # the window also allows for the systematic offsets the config says receivers may have
    clocks_s = 6.0 * np.sqrt(2.0) * obs.gnss_timing_sigma_s + scn.systematic.timing_spread_s
    estimate = gcc_delays_against_reference(
        centred, fs, reference=int(np.flatnonzero(rows == reference)[0]), weighting="ml",
        max_delay_s=light_s + clocks_s + _SEARCH_MARGIN_SAMPLES / fs, max_frequency_offset_hz=_offset_search_hz(scn))
    sigma = np.sqrt(estimate.sigma_s**2 + 2 * obs.gnss_timing_sigma_s**2 + _sample_clock_variance_s2(scn))
    # No isolated peak (carrier, slow keying, tone only) or a peak beyond the baseline's light time by
    # more than its error allows: the correlation locked onto noise or a sidelobe, not the signal.
    keep = (estimate.resolved & np.isfinite(sigma) & (sigma <= obs.max_timing_sigma_s)
            & (np.abs(estimate.delay_s) <= light_s + scn.systematic.timing_spread_s + 4.0 * sigma)
            & (rows != reference))
    out["tdoa_s"][rows[keep]], out["tdoa_sigma_s"][rows[keep]] = estimate.delay_s[keep], sigma[keep]
    out["reference"] = reference
    return out


def _sample_clock_variance_s2(scn: Scenario) -> float:
    """Two sample clocks off by ppm stretch the capture: the delay read mid-capture moves by
    ppm * duration / 2 for each receiver (0.1 us at 1 ppm over 200 ms, as large as a voice TDoA's noise)."""
    if not scn.impaired:
        return 0.0
    drift_s = scn.config.impairments.sample_clock_error_sigma_ppm * 1e-6 * scn.config.iq.duration_s / 2
    return 2.0 * drift_s**2


def _offset_search_hz(scn: Scenario) -> float:
    """Relative oscillator offsets to search: two receivers' independent errors, 6 sigma."""
    return 6.0 * np.sqrt(2.0) * scn.config.impairments.frequency_offset_sigma_hz if scn.impaired else 0.0


def _to_iq_level(scn: Scenario, batch: SampleBatch) -> SampleBatch:
    fs = scn.config.iq.sample_rate_hz
    captures, starts = [], []
    for i in range(len(batch)):
        rng = stream(scn.config.seed, STREAM_IQ, int(batch.sample_id[i]))
        iq, clock_error = synthesise_captures(scn, batch, i, rng)
        measured = extract(scn, iq, fs)
        batch.rss_power_dbm[i] = measured["rss_power_dbm"]
        batch.rss_sigma_db[i] = np.where(np.isnan(measured["rss_power_dbm"]), np.nan, scn.rss_sigma_db)
        batch.toa_s[i] = batch.toa_sigma_s[i] = np.nan
        batch.tdoa_s[i], batch.tdoa_sigma_s[i] = measured["tdoa_s"], measured["tdoa_sigma_s"]
        batch.tdoa_reference[i] = measured["reference"]
        captures.append(iq)
        starts.append(clock_error)  # what each capture's "time 0" stamp really was, for analysis
    batch.iq = {"iq": np.stack(captures), "start_time_s": np.stack(starts), "sample_rate_hz": np.array(fs)}
    return batch


def generate_iq(scn: Scenario, start: int, count: int, batch_size: int) -> Iterator[SampleBatch]:
    for first, last in iq_batch_ranges(start, count, batch_size):
        yield iq_batch(scn, first, last)


def iq_batch_ranges(start: int, count: int, batch_size: int) -> list[tuple[int, int]]:
    """The (first, last) sample ranges of the IQ batches, whoever computes them."""
    size = min(batch_size, IQ_MAX_BATCH)
    stop = start + count
    return [(first, min(first + size, stop)) for first in range(start, stop, size)]


def iq_batch(scn: Scenario, first: int, last: int) -> SampleBatch:
    """IQ-level samples ``first .. last - 1``: a pure function of the scenario and the range."""
    pieces = []
    for block in range(first // BLOCK_SIZE, (last - 1) // BLOCK_SIZE + 1):
        base = simulate_block(scn, block)
        pieces.append(base.slice(max(first - block * BLOCK_SIZE, 0), min(last - block * BLOCK_SIZE, BLOCK_SIZE)))
    batch = concatenate(pieces) if len(pieces) > 1 else pieces[0]
    return _to_iq_level(scn, _copy(batch))


def _copy(batch: SampleBatch) -> SampleBatch:
    """A batch whose arrays may be overwritten without touching a block another caller holds."""
    fields: dict[str, Any] = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in batch.__dict__.items()}
    return SampleBatch(**fields)
