"""Uncertainty ellipses and frame rotation for 2-D east/north Gaussians (numpy only)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

CONFIDENCES = (0.68, 0.95)


def ellipses_from_covariance(
    covariance_en_m2: NDArray[np.float64], confidences: Sequence[float] = CONFIDENCES
) -> list[list[dict[str, float]]]:
    """CONTRACT 4.2 ellipses for each (2, 2) covariance of a (N, 2, 2) stack.

    The region holding probability p of a 2-D Gaussian is the Mahalanobis disc of squared radius
    -2 ln(1 - p); ``orientation_deg`` is the major axis, clockwise from north, in [0, 180).
    """
    cov = np.asarray(covariance_en_m2, dtype=float).reshape(-1, 2, 2)
    eigenvalues, eigenvectors = np.linalg.eigh(0.5 * (cov + np.swapaxes(cov, -1, -2)))
    major = eigenvectors[:, :, 1]  # eigh sorts ascending: the last is the major axis, (east, north)
    orientation_deg = np.mod(np.degrees(np.arctan2(major[:, 0], major[:, 1])), 180.0)
    lam = np.clip(eigenvalues, 0.0, None)
    out = []
    for n in range(cov.shape[0]):
        out.append([
            {
                "confidence": float(p),
                "semi_major_m": float(math.sqrt(lam[n, 1] * -2.0 * math.log(1.0 - p))),
                "semi_minor_m": float(math.sqrt(lam[n, 0] * -2.0 * math.log(1.0 - p))),
                "orientation_deg": float(orientation_deg[n]),
            }
            for p in confidences
        ])
    return out


def rotate_en_covariance(
    covariance_en_m2: NDArray[np.float64], from_lat_deg: float, from_lon_deg: float, to_lat_deg: NDArray[np.float64], to_lon_deg: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Covariances (N, 2, 2) in the east/north frame at one origin, expressed in the frames at other points."""
    m = _en_rows(np.asarray(to_lat_deg), np.asarray(to_lon_deg)) @ np.swapaxes(
        _en_rows(np.asarray(from_lat_deg), np.asarray(from_lon_deg)), -1, -2
    )
    return m @ np.asarray(covariance_en_m2, dtype=float) @ np.swapaxes(m, -1, -2)


def _en_rows(lat_deg: NDArray[np.float64], lon_deg: NDArray[np.float64]) -> NDArray[np.float64]:
    """(..., 2, 3): the east and north unit vectors in ECEF at each point."""
    lat, lon = np.radians(lat_deg), np.radians(lon_deg)
    east = np.stack([-np.sin(lon), np.cos(lon), np.zeros_like(lon)], axis=-1)
    north = np.stack([-np.sin(lat) * np.cos(lon), -np.sin(lat) * np.sin(lon), np.cos(lat)], axis=-1)
    return np.stack([east, north], axis=-2)
