"""Physics checks on generated samples and streaming dataset statistics (histograms)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from heimdall.geo import SPEED_OF_LIGHT_M_S, geodetic_to_ecef, slant_distance_m
from heimdall.synth.batch import MATRIX_COLUMNS, SampleBatch

TIMING_TOLERANCE_SIGMAS = 6.0
HISTOGRAM_EDGES: dict[str, NDArray[np.float64]] = {
    "snr_db": np.r_[-np.inf, np.linspace(-40.0, 160.0, 201), np.inf],
    "gdop": np.r_[np.linspace(0.0, 10.0, 101), np.inf],
    "crlb_rms_m": np.r_[0.0, np.logspace(0, 6, 121), np.inf],
    "receivers_used": np.arange(0.0, 514.0) - 0.5,
}


def _baselines_s(batch: SampleBatch) -> NDArray[np.float64]:
    rx = batch.meta["receivers"]
    ecef = geodetic_to_ecef([r["lat"] for r in rx], [r["lon"] for r in rx], [r["alt_m"] for r in rx])
    return slant_distance_m(ecef[:, None, :], ecef[None, :, :]) / SPEED_OF_LIGHT_M_S


def _check(failures: NDArray[np.bool_], checked: NDArray[np.bool_]) -> dict[str, int]:
    return {"checked": int(np.count_nonzero(checked)), "failures": int(np.count_nonzero(failures & checked))}


def validate_samples(batch: SampleBatch) -> dict[str, Any]:
    """Counts of samples breaking physics: power above EIRP, |TDoA| (or a TOA difference) beyond the
    baseline's light time (plus TIMING_TOLERANCE_SIGMAS of the stated noise and the dataset's own
    systematic timing offsets), non-finite or non-positive sigmas, bearings outside [0, 360),
    samples without any measurement."""
    n = len(batch)
    present = ~np.isnan(batch.rss_power_dbm)
    checks = {"rss_below_eirp": _check(batch.rss_power_dbm >= batch.truth_eirp_dbm[:, None], present)}
    checks.update(_timing_checks(batch))
    present = ~np.isnan(batch.aoa_bearing_deg)
    checks["bearing_in_range"] = _check((batch.aoa_bearing_deg < 0) | (batch.aoa_bearing_deg >= 360), present)
    checks["finite_values"] = _finite_check(batch)
    used = _receivers_used(batch)
    report = {"n_samples": n, "checks": checks, "samples_without_measurements": int(np.sum(used == 0))}
    report["ok"] = all(c["failures"] == 0 for c in checks.values())
    return report


def _timing_checks(batch: SampleBatch) -> dict[str, dict[str, int]]:
    baseline = _baselines_s(batch)
    offset = _timing_offsets_s(batch)
    rows = np.arange(len(batch))
    ref = np.maximum(batch.tdoa_reference, 0).astype(int)
    present = ~np.isnan(batch.tdoa_s)
    limit = baseline[ref] + np.abs(offset - offset[ref][:, None])
    limit = limit + TIMING_TOLERANCE_SIGMAS * np.nan_to_num(batch.tdoa_sigma_s)
    checks = {"tdoa_within_baseline": _check(np.abs(np.nan_to_num(batch.tdoa_s)) > limit, present)}
    first = np.argmax(~np.isnan(batch.toa_s), axis=1)
    present = ~np.isnan(batch.toa_s) & ~np.isnan(batch.toa_s[rows, first])[:, None]
    spread = np.nan_to_num(batch.toa_s - batch.toa_s[rows, first][:, None])
    sigma = np.nan_to_num(np.hypot(batch.toa_sigma_s, batch.toa_sigma_s[rows, first][:, None]))
    limit = baseline[first] + np.abs(offset - offset[first][:, None]) + TIMING_TOLERANCE_SIGMAS * sigma
    checks["toa_within_baseline"] = _check(np.abs(spread) > limit, present)
    return checks


def _timing_offsets_s(batch: SampleBatch) -> NDArray[np.float64]:
    """The dataset's systematic timing offsets by receiver (metadata truth; zeros when none)."""
    truth = batch.meta.get("systematic_offsets", {}).get("timing_offset_s", {})
    return np.array([truth.get(r["id"], 0.0) for r in batch.meta["receivers"]])


def _finite_check(batch: SampleBatch) -> dict[str, int]:
    bad = ~np.isfinite(batch.truth_lat) | ~np.isfinite(batch.truth_lon) | ~np.isfinite(batch.truth_eirp_dbm)
    for name in MATRIX_COLUMNS:
        values = getattr(batch, name)
        present = ~np.isnan(values)
        bad |= np.any(present & ~np.isfinite(values), axis=1)
        if name.endswith(("sigma_db", "sigma_s", "sigma_deg")):
            bad |= np.any(present & (values <= 0), axis=1)
    bad |= np.isnan(batch.snr_db).any(axis=1)
    return _check(bad, np.ones(len(batch), dtype=bool))


def _receivers_used(batch: SampleBatch) -> NDArray[np.float64]:
    measured = np.zeros(batch.snr_db.shape, dtype=bool)
    for name in ("rss_power_dbm", "toa_s", "tdoa_s", "aoa_bearing_deg"):
        measured |= ~np.isnan(getattr(batch, name))
    return measured.sum(axis=1)


def _quantile(edges: NDArray[np.float64], counts: NDArray[np.int64], q: float) -> float | None:
    total = counts.sum()
    if total == 0:
        return None
    index = int(np.searchsorted(np.cumsum(counts), q * total))
    upper = edges[min(index + 1, len(edges) - 1)]
    return float(upper) if np.isfinite(upper) else float(edges[index])


def dataset_statistics(batches: Iterable[SampleBatch]) -> dict[str, Any]:
    """Histograms over any number of batches in bounded memory (fixed bin edges): SNR per receiver,
    GDOP, the CRLB's expected 2-D RMS error, and receivers used per sample; quantiles are read off
    the histograms (bin upper edges). Signal-type counts are exact."""
    counts = {name: np.zeros(len(edges) - 1, dtype=np.int64) for name, edges in HISTOGRAM_EDGES.items()}
    signal_counts: dict[str, int] = {}
    n = 0
    for batch in batches:
        n += len(batch)
        values = {"snr_db": batch.snr_db.reshape(-1), "gdop": batch.gdop, "crlb_rms_m": batch.crlb_rms_m,
                  "receivers_used": _receivers_used(batch).astype(float)}
        for name, v in values.items():
            counts[name] += np.histogram(np.nan_to_num(v, nan=np.inf), HISTOGRAM_EDGES[name])[0]
        kinds, k = np.unique(batch.signal_type, return_counts=True)
        for kind, c in zip(kinds, k, strict=False):
            label = batch.meta["signal_types"][int(kind)]
            signal_counts[label] = signal_counts.get(label, 0) + int(c)
    histograms = {}
    for name, edges in HISTOGRAM_EDGES.items():
        histograms[name] = {
            "edges": [float(e) if np.isfinite(e) else None for e in edges], "counts": counts[name].tolist(),
            "median": _quantile(edges, counts[name], 0.5), "p95": _quantile(edges, counts[name], 0.95),
        }
    return {"n_samples": n, "histograms": histograms, "signal_types": signal_counts}
