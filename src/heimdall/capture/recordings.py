"""Simultaneous recordings -> a TDoA measurement set (CONTRACT section 4.1).

    analysis = analyse_recordings(paths, receivers)       # load, align on GNSS time, correlate
    doc = analysis.measurement_set(transmitter=(lat, lon))  # TDoAs with honest sigmas
    analysis.diagnostics()                                 # rates, overlap, delays, sigmas, peak ratios

Every recording is resampled onto one GNSS time grid using its own true sample rate, each is
cross-correlated (plain GCC) with the reference (the first file), and the delays become TDoAs of all
pairs whose sigmas combine the correlation noise with per-receiver timing, receiver-delay and
propagation errors (``heimdall.capture.timing_errors``). The propagation term depends on distance, so
``measurement_set`` takes a transmitter estimate; without one it uses each receiver's distance to the
network's centroid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from heimdall.capture.alignment import CommonGrid, common_grid, resample_onto
from heimdall.capture.loading import LoadedRecording, load_recording
from heimdall.capture.timing_errors import pairwise_sigmas_s, propagation_sigma_s, receiver_sigma_s
from heimdall.errors import InvalidInput
from heimdall.geo import SPEED_OF_LIGHT_M_S, geodetic_to_ecef
from heimdall.rf.measure import DelayEstimate, frequency_offset_hz, gcc_delay

_DELAY_MARGIN_S = 1e-3


@dataclass(frozen=True)
class RecordingAnalysis:
    recordings: tuple[LoadedRecording, ...]
    receivers: tuple[dict, ...]  # {"id", "lat", "lon", "alt_m"} in recording order
    grid: CommonGrid
    frequency_hz: float
    frequency_offsets_hz: tuple[float, ...]
    delays: tuple[DelayEstimate | None, ...]  # vs recordings[0]; None for the reference itself

    @property
    def reference_id(self) -> str:
        return self.receivers[0]["id"]

    def per_receiver_sigma_s(self, transmitter: tuple[float, float] | None = None) -> np.ndarray:
        """Independent arrival-time error of each receiver: correlation noise (half of each pair's
        variance; the reference gets the mean), timing and receiver delay, propagation."""
        noise_var = np.array([0.0] + [d.sigma_s**2 / 2.0 for d in self.delays[1:]])
        noise_var[0] = noise_var[1:].mean()
        timing = np.array([receiver_sigma_s(r.timing_residual_rms_s) for r in self.recordings])
        propagation = propagation_sigma_s(self.frequency_hz, self._distances_m(transmitter))
        return np.sqrt(noise_var + timing**2 + propagation**2)

    def _distances_m(self, transmitter: tuple[float, float] | None) -> np.ndarray:
        positions = geodetic_to_ecef([r["lat"] for r in self.receivers], [r["lon"] for r in self.receivers],
                                     [r["alt_m"] for r in self.receivers])
        if transmitter is None:
            centre = positions.mean(axis=0)
        else:
            centre = geodetic_to_ecef(transmitter[0], transmitter[1], 0.0)
        return np.linalg.norm(positions - centre, axis=1)

    def measurement_set(self, transmitter: tuple[float, float] | None = None) -> dict:
        """CONTRACT 4.1 document: receivers, frequency_hz and a TDoA for every pair of receivers."""
        arrival_s = np.array([0.0] + [d.delay_s for d in self.delays[1:]])
        pair_sigma = pairwise_sigmas_s(self.per_receiver_sigma_s(transmitter))
        tdoa = []
        for i in range(len(self.receivers)):
            for j in range(i + 1, len(self.receivers)):
                tdoa.append({"receiver": self.receivers[j]["id"], "reference": self.receivers[i]["id"],
                             "tdoa_s": float(arrival_s[j] - arrival_s[i]), "sigma_s": float(pair_sigma[i, j])})
        return {"frequency_hz": self.frequency_hz, "receivers": [dict(r) for r in self.receivers], "tdoa": tdoa}

    def diagnostics(self, transmitter: tuple[float, float] | None = None) -> dict:
        sigmas = self.per_receiver_sigma_s(transmitter)
        return {
            "reference": self.reference_id,
            "overlap_s": self.grid.duration_s,
            "grid_sample_rate_hz": self.grid.sample_rate_hz,
            "receivers": [_receiver_diagnostics(rec, offset, sigma) for rec, offset, sigma
                          in zip(self.recordings, self.frequency_offsets_hz, sigmas, strict=True)],
            "pairs": [_pair_diagnostics(self.reference_id, rec.timed.receiver_id, delay)
                      for rec, delay in zip(self.recordings[1:], self.delays[1:], strict=True)],
        }


def _receiver_diagnostics(rec: LoadedRecording, offset_hz: float, sigma_s: float) -> dict:
    return {"id": rec.timed.receiver_id, "path": str(rec.path), "format": rec.format,
            "nominal_sample_rate_hz": rec.nominal_sample_rate_hz, "true_sample_rate_hz": rec.timed.sample_rate_hz,
            "timing_residual_rms_s": rec.timing_residual_rms_s, "duration_s": rec.timed.duration_s,
            "frequency_offset_hz": offset_hz, "arrival_sigma_s": float(sigma_s)}


def _pair_diagnostics(reference: str, receiver: str, delay: DelayEstimate) -> dict:
    ratio = delay.peak_ratio if np.isfinite(delay.peak_ratio) else None
    return {"receiver": receiver, "reference": reference, "delay_s": delay.delay_s,
            "noise_sigma_s": delay.sigma_s, "peak_ratio": ratio}


def analyse_recordings(paths: Sequence[str | Path], receivers: dict[str, dict] | None = None) -> RecordingAnalysis:
    """Load, position, align and cross-correlate simultaneous recordings (InvalidInput on bad input)."""
    if len(paths) < 2:
        raise InvalidInput("at least two simultaneous recordings are needed for a time difference")
    recordings = tuple(load_recording(p) for p in paths)
    positions = tuple(_position(rec, receivers or {}) for rec in recordings)
    frequency_hz = _common_frequency(recordings)
    grid = common_grid([r.timed for r in recordings])
    aligned = [resample_onto(r.timed, grid) for r in recordings]
    # reported only: GNSS-disciplined receivers agree in frequency far better than 1 / overlap, and
    # a correction from noisy spectral centroids biases the delay more than it helps
    offsets = tuple(frequency_offset_hz(x, grid.sample_rate_hz) for x in aligned)
    max_delay_s = _max_delay_s(positions)
    delays = (None,) + tuple(gcc_delay(aligned[0], x, grid.sample_rate_hz, max_delay_s=max_delay_s)
                             for x in aligned[1:])
    return RecordingAnalysis(recordings, positions, grid, frequency_hz, offsets, delays)


def measurement_set_from_recordings(paths: Sequence[str | Path], receivers: dict[str, dict] | None = None,
                                    *, transmitter: tuple[float, float] | None = None) -> dict:
    """CONTRACT 4.1 measurement set (``tdoa`` + ``frequency_hz`` + ``receivers``) from recordings."""
    return analyse_recordings(paths, receivers).measurement_set(transmitter)


def _position(rec: LoadedRecording, receivers: dict[str, dict]) -> dict:
    rid = rec.timed.receiver_id
    known = receivers.get(rid) or rec.position
    if known is None:
        raise InvalidInput(f"receiver {rid!r} ({rec.path.name}) has no position: not in --receivers and none in the file")
    try:
        lat, lon, alt_m = float(known["lat"]), float(known["lon"]), float(known.get("alt_m") or 0.0)
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInput(f"receiver {rid!r}: position needs numeric lat, lon (and alt_m)") from exc
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise InvalidInput(f"receiver {rid!r}: lat/lon out of range")
    return {"id": rid, "lat": lat, "lon": lon, "alt_m": alt_m}


def _common_frequency(recordings: tuple[LoadedRecording, ...]) -> float:
    ids = [r.timed.receiver_id for r in recordings]
    if len(set(ids)) != len(ids):
        raise InvalidInput(f"two recordings from the same receiver: {sorted({i for i in ids if ids.count(i) > 1})}")
    reference = recordings[0].timed
    for rec in recordings[1:]:
        if abs(rec.timed.frequency_hz - reference.frequency_hz) > reference.sample_rate_hz / 4:
            raise InvalidInput(f"{rec.path.name} is tuned to {rec.timed.frequency_hz:.0f} Hz, "
                               f"{reference.receiver_id} to {reference.frequency_hz:.0f} Hz")
    return float(reference.frequency_hz)


def _max_delay_s(positions: tuple[dict, ...]) -> float:
    ecef = geodetic_to_ecef([p["lat"] for p in positions], [p["lon"] for p in positions],
                            [p["alt_m"] for p in positions])
    baseline = np.max(np.linalg.norm(ecef[:, None, :] - ecef[None, :, :], axis=-1))
    return float(baseline / SPEED_OF_LIGHT_M_S + _DELAY_MARGIN_S)
