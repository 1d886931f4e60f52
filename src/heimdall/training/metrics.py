"""Localization metrics of one evaluation pass (numpy only): errors, calibration, bands."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

# Squared Mahalanobis radius of the 2-D Gaussian region holding a given probability: -2 ln(1 - p).
CHI2_2D = {0.68: -2.0 * math.log(1.0 - 0.68), 0.95: -2.0 * math.log(1.0 - 0.95)}
GDOP_BANDS = ((0.0, 2.0, "lt2"), (2.0, 5.0, "2to5"), (5.0, 10.0, "5to10"), (10.0, math.inf, "ge10"))
SNR_BANDS_DB = ((-math.inf, 10.0, "lt10db"), (10.0, 20.0, "10to20db"), (20.0, math.inf, "ge20db"))


def localization_metrics(
    predicted_en_m: NDArray[np.float64], covariance_en_m2: NDArray[np.float64], truth_en_m: NDArray[np.float64], nll_m: NDArray[np.float64],
    *, gdop: Sequence[float | None] | NDArray[np.float64] | None = None, snr_db: Sequence[float | None] | NDArray[np.float64] | None = None,
) -> dict[str, Any]:
    """Errors in metres, coverage of the 68/95 % ellipses, mean NLL (nats, metres) and band medians."""
    error = np.asarray(predicted_en_m, dtype=float) - np.asarray(truth_en_m, dtype=float)
    error_m = np.linalg.norm(error, axis=-1)
    mahalanobis2 = np.einsum("ni,nij,nj->n", error, np.linalg.inv(np.asarray(covariance_en_m2, dtype=float)), error)
    metrics: dict[str, Any] = {
        "median_error_m": _quantile(error_m, 0.5),
        "p68_error_m": _quantile(error_m, 0.68),
        "p95_error_m": _quantile(error_m, 0.95),
        "rmse_m": float(np.sqrt(np.mean(error_m**2))) if error_m.size else math.nan,
        "coverage_68": float(np.mean(mahalanobis2 <= CHI2_2D[0.68])) if error_m.size else math.nan,
        "coverage_95": float(np.mean(mahalanobis2 <= CHI2_2D[0.95])) if error_m.size else math.nan,
        "nll": float(np.mean(nll_m)) if error_m.size else math.nan,
    }
    if gdop is not None:
        metrics["median_error_m_by_gdop"] = banded_medians(error_m, gdop, GDOP_BANDS)
    if snr_db is not None:
        metrics["median_error_m_by_snr"] = banded_medians(error_m, snr_db, SNR_BANDS_DB)
    return metrics


def banded_medians(
    error_m: NDArray[np.float64], values: Sequence[float | None] | NDArray[np.float64], bands: Sequence[tuple[float, float, str]]
) -> dict[str, dict[str, float | int]]:
    """Median error per band of ``values`` (None or NaN entries are left out): {band: {n, median_error_m}}."""
    v = np.asarray(values, dtype=float)  # None becomes NaN
    out: dict[str, dict[str, float | int]] = {}
    for low, high, label in bands:
        chosen = (v >= low) & (v < high)
        if chosen.any():
            out[label] = {"n": int(chosen.sum()), "median_error_m": float(np.median(error_m[chosen]))}
    return out


def _quantile(values: NDArray[np.float64], q: float) -> float:
    return float(np.quantile(values, q)) if values.size else math.nan
