"""Simultaneous recordings -> a TDoA measurement set (CONTRACT section 4.1).

    analysis = analyse_recordings(paths, receivers)       # load, align on GNSS time, correlate
    doc = analysis.measurement_set(transmitter=(lat, lon))  # TDoAs with honest sigmas
    analysis.diagnostics()                                 # rates, overlap, delays, segments, error budget

Every recording is resampled onto one GNSS time grid using its own true sample rate, each is
cross-correlated (plain GCC) with the reference (the first file) segment by segment
(``heimdall.rf.measure.segmented``: inconsistent segments rejected, the rest summed), and the delays
become TDoAs of all pairs whose sigmas combine the correlation noise with each receiver's GNSS
timing, sample-rate, receiver-delay and propagation errors (``heimdall.capture.timing_errors``). The
propagation terms depend on distance, so ``measurement_set`` takes a transmitter estimate; without
one it uses each receiver's distance to the network's centroid (``heimdall.capture.fix`` does both).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from heimdall.capture.alignment import CommonGrid, common_grid, resample_onto
from heimdall.capture.loading import LoadedRecording, load_recording
from heimdall.capture.propagation import REFRACTIVE_INDEX
from heimdall.capture.timing_errors import (
    RECEIVER_DELAY_SIGMA_S,
    PathContext,
    StampQuality,
    gnss_sigma_s,
    pairwise_sigmas_s,
    propagation_terms,
    sample_rate_sigma_s,
)
from heimdall.errors import InvalidInput
from heimdall.formats.kiwi import read_kiwi_stamps
from heimdall.geo import SPEED_OF_LIGHT_M_S, geodetic_to_ecef
from heimdall.rf.measure import frequency_offset_hz
from heimdall.rf.measure.segmented import SegmentedDelay, segmented_delays

_DELAY_MARGIN_S = 1e-3


@dataclass(frozen=True)
class ReceiverBudget:
    """One receiver's arrival-time error, term by term (seconds, 1 sigma, independent)."""

    id: str
    distance_m: float
    noise_s: float
    gnss_s: float
    sample_rate_s: float
    receiver_s: float
    troposphere_s: float
    ground_wave_s: float
    sky_wave_s: float
    sky_layers: tuple[str, ...]

    @property
    def total_s(self) -> float:
        terms = (self.noise_s, self.gnss_s, self.sample_rate_s, self.receiver_s, self.troposphere_s,
                 self.ground_wave_s, self.sky_wave_s)
        return float(np.sqrt(np.sum(np.square(terms))))

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "sky_layers": list(self.sky_layers), "total_s": self.total_s}


@dataclass(frozen=True)
class RecordingAnalysis:
    recordings: tuple[LoadedRecording, ...]
    receivers: tuple[dict[str, Any], ...]  # {"id", "lat", "lon", "alt_m"} in recording order
    grid: CommonGrid
    frequency_hz: float
    frequency_offsets_hz: tuple[float, ...]
    delays: tuple[SegmentedDelay | None, ...]  # vs recordings[0]; None for the reference itself
    stamps: tuple[StampQuality, ...]

    @property
    def reference_id(self) -> str:
        return str(self.receivers[0]["id"])

    def budgets(self, transmitter: tuple[float, float] | None = None) -> list[ReceiverBudget]:
        """Each receiver's error terms, the propagation ones at its distance to ``transmitter`` (the
        network's centroid when None)."""
        noise = self._noise_s()
        distances, midpoints = self._paths(transmitter)
        when = datetime.fromtimestamp(self.grid.start_utc_ns * 1e-9, tz=UTC)
        out = []
        for index, (rec, stamps) in enumerate(zip(self.recordings, self.stamps, strict=True)):
            frequency_hz, weight = self._timing_spectrum(index)
            context = PathContext(self.frequency_hz, when, frequency_hz, weight)
            path = propagation_terms(context, float(distances[index]), midpoints[index])
            centre_s = (self.grid.start_utc_ns - rec.timed.start_utc_ns) * 1e-9 + self.grid.duration_s / 2.0
            out.append(ReceiverBudget(
                id=rec.timed.receiver_id, distance_m=float(distances[index]), noise_s=float(noise[index]),
                gnss_s=gnss_sigma_s(stamps), sample_rate_s=sample_rate_sigma_s(stamps, centre_s),
                receiver_s=RECEIVER_DELAY_SIGMA_S, troposphere_s=path.troposphere_s,
                ground_wave_s=path.ground_wave_s, sky_wave_s=path.sky_wave_s, sky_layers=path.sky_layers,
            ))
        return out

    def per_receiver_sigma_s(self, transmitter: tuple[float, float] | None = None) -> NDArray[np.float64]:
        return np.array([b.total_s for b in self.budgets(transmitter)])

    def _noise_s(self) -> NDArray[np.float64]:
        """Correlation noise per receiver: half of each pair's variance; the reference gets the mean
        (its noise is in every pair, but how much of each pair's it is, one pair cannot tell)."""
        variance = np.array([0.0] + [d.sigma_s**2 / 2.0 for d in self.delays[1:] if d is not None])
        variance[0] = variance[1:].mean()
        noise: NDArray[np.float64] = np.sqrt(variance)
        return noise

    def _timing_spectrum(self, index: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """What sets this receiver's delays: its pair's timing spectrum (the reference: all pairs')."""
        pairs = [d for d in self.delays[1:] if d is not None]
        if index > 0 and self.delays[index] is not None:
            chosen = self.delays[index]
            assert chosen is not None
            return chosen.timing_frequency_hz, chosen.timing_weight
        return pairs[0].timing_frequency_hz, np.mean([d.timing_weight for d in pairs], axis=0)

    def _paths(self, transmitter: tuple[float, float] | None) -> tuple[NDArray[np.float64], list[tuple[float, float]]]:
        lats = np.array([r["lat"] for r in self.receivers])
        lons = np.array([r["lon"] for r in self.receivers])
        positions = geodetic_to_ecef(lats, lons, [r["alt_m"] for r in self.receivers])
        if transmitter is None:
            centre = positions.mean(axis=0)
            tx_lat, tx_lon = float(lats.mean()), float(lons.mean())
        else:
            tx_lat, tx_lon = transmitter
            centre = geodetic_to_ecef(tx_lat, tx_lon, 0.0)
        midpoints = [(0.5 * (lat + tx_lat), 0.5 * (lon + tx_lon)) for lat, lon in zip(lats, lons, strict=True)]
        return np.linalg.norm(positions - centre, axis=1), midpoints

    def measurement_set(self, transmitter: tuple[float, float] | None = None) -> dict[str, Any]:
        """CONTRACT 4.1 document: receivers, frequency_hz and a TDoA for every pair of receivers, in
        vacuum-equivalent time (the surface layer's mean refractive index taken off)."""
        arrival_s = np.array([0.0] + [d.delay_s if d is not None else 0.0 for d in self.delays[1:]]) / REFRACTIVE_INDEX
        pair_sigma = pairwise_sigmas_s(self.per_receiver_sigma_s(transmitter))
        tdoa = []
        for i in range(len(self.receivers)):
            for j in range(i + 1, len(self.receivers)):
                tdoa.append({"receiver": self.receivers[j]["id"], "reference": self.receivers[i]["id"],
                             "tdoa_s": float(arrival_s[j] - arrival_s[i]), "sigma_s": float(pair_sigma[i, j])})
        return {"frequency_hz": self.frequency_hz, "receivers": [dict(r) for r in self.receivers], "tdoa": tdoa}

    def diagnostics(self, transmitter: tuple[float, float] | None = None) -> dict[str, Any]:
        budgets = self.budgets(transmitter)
        return {
            "reference": self.reference_id,
            "overlap_s": self.grid.duration_s,
            "grid_sample_rate_hz": self.grid.sample_rate_hz,
            "receivers": [_receiver_diagnostics(rec, offset, budget) for rec, offset, budget
                          in zip(self.recordings, self.frequency_offsets_hz, budgets, strict=True)],
            "pairs": [_pair_diagnostics(self.reference_id, rec.timed.receiver_id, delay)
                      for rec, delay in zip(self.recordings[1:], self.delays[1:], strict=True) if delay is not None],
        }


def _receiver_diagnostics(rec: LoadedRecording, offset_hz: float, budget: ReceiverBudget) -> dict[str, Any]:
    return {"id": rec.timed.receiver_id, "path": str(rec.path), "format": rec.format,
            "nominal_sample_rate_hz": rec.nominal_sample_rate_hz, "true_sample_rate_hz": rec.timed.sample_rate_hz,
            "timing_residual_rms_s": rec.timing_residual_rms_s, "duration_s": rec.timed.duration_s,
            "frequency_offset_hz": offset_hz, "arrival_sigma_s": budget.total_s, "error_budget": budget.to_dict()}


def _pair_diagnostics(reference: str, receiver: str, delay: SegmentedDelay) -> dict[str, Any]:
    ratio = delay.peak_ratio if np.isfinite(delay.peak_ratio) else None
    scatter = delay.scatter_ratio if np.isfinite(delay.scatter_ratio) else None
    return {"receiver": receiver, "reference": reference, "delay_s": delay.delay_s,
            "noise_sigma_s": delay.sigma_s, "model_sigma_s": delay.model_sigma_s, "peak_ratio": ratio,
            "weighting": delay.weighting,
            "segments": int(delay.accepted.size), "segments_accepted": int(delay.accepted.sum()),
            "segment_scatter_ratio": scatter}


def analyse_recordings(paths: Sequence[str | Path], receivers: dict[str, dict[str, Any]] | None = None) -> RecordingAnalysis:
    """Load, position, align and cross-correlate simultaneous recordings (InvalidInput on bad input)."""
    if len(paths) < 2:
        raise InvalidInput("at least two simultaneous recordings are needed for a time difference")
    return analyse_loaded(tuple(load_recording(p) for p in paths), receivers)


def analyse_loaded(recordings: tuple[LoadedRecording, ...],
                   receivers: dict[str, dict[str, Any]] | None = None) -> RecordingAnalysis:
    """``analyse_recordings`` for recordings already loaded (e.g. synthesised in memory)."""
    positions = tuple(_position(rec, receivers or {}) for rec in recordings)
    frequency_hz = _common_frequency(recordings)
    grid = common_grid([r.timed for r in recordings])
    aligned = np.stack([resample_onto(r.timed, grid) for r in recordings])
    # reported only: GNSS-disciplined receivers agree in frequency far better than 1 / overlap, and
    # a correction from noisy spectral centroids biases the delay more than it helps
    offsets = tuple(frequency_offset_hz(x, grid.sample_rate_hz) for x in aligned)
    delays = tuple(segmented_delays(aligned, grid.sample_rate_hz, max_delay_s=_max_delay_s(positions)))
    return RecordingAnalysis(recordings, positions, grid, frequency_hz, offsets, delays,
                             tuple(_stamp_quality(rec) for rec in recordings))


def measurement_set_from_recordings(paths: Sequence[str | Path], receivers: dict[str, dict[str, Any]] | None = None,
                                    *, transmitter: tuple[float, float] | None = None) -> dict[str, Any]:
    """CONTRACT 4.1 measurement set (``tdoa`` + ``frequency_hz`` + ``receivers``) from recordings."""
    return analyse_recordings(paths, receivers).measurement_set(transmitter)


def _stamp_quality(rec: LoadedRecording) -> StampQuality:
    """Kiwi files: their block stamps (read again without the samples: capture.loading keeps only the
    fit's residual); other formats carry one start time: the fix accuracy alone."""
    if rec.format != "kiwi" or not rec.path.is_file():
        return StampQuality(rec.timing_residual_rms_s or 0.0)
    return StampQuality.of_kiwi(read_kiwi_stamps(rec.path), rec.timed.sample_rate_hz, rec.timing_residual_rms_s)


def _position(rec: LoadedRecording, receivers: dict[str, dict[str, Any]]) -> dict[str, Any]:
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
        apart_hz, tolerance_hz = abs(rec.timed.frequency_hz - reference.frequency_hz), reference.sample_rate_hz / 4
        if not apart_hz <= tolerance_hz:  # also refuses a NaN frequency or rate
            raise InvalidInput(f"{rec.path.name} is tuned to {rec.timed.frequency_hz!r} Hz and {reference.receiver_id} "
                               f"to {reference.frequency_hz!r} Hz: {apart_hz:.6g} Hz apart, more than a quarter of "
                               f"the sample rate ({tolerance_hz:.6g} Hz)")
    return float(reference.frequency_hz)


def _max_delay_s(positions: tuple[dict[str, Any], ...]) -> float:
    ecef = geodetic_to_ecef([p["lat"] for p in positions], [p["lon"] for p in positions],
                            [p["alt_m"] for p in positions])
    baseline = np.max(np.linalg.norm(ecef[:, None, :] - ecef[None, :, :], axis=-1))
    return float(baseline / SPEED_OF_LIGHT_M_S + _DELAY_MARGIN_S)
