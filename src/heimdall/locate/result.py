"""Localization results (CONTRACT section 4.2) and confidence ellipses."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

CONFIDENCES = (0.68, 0.95)
# Heat-map values below this (natural log relative to the peak) carry no visible information.
POSTERIOR_FLOOR = -30.0


def chi2_2dof_scale(confidence: float) -> float:
    """Mahalanobis radius of the ``confidence`` region of a 2-D Gaussian: sqrt(-2 ln(1 - p))."""
    return math.sqrt(-2.0 * math.log(1.0 - confidence))


@dataclass(frozen=True)
class Ellipse:
    confidence: float
    semi_major_m: float
    semi_minor_m: float
    orientation_deg: float  # major axis, clockwise from north, in [0, 180)

    def contains(self, east_m: float, north_m: float) -> bool:
        """Is an offset (east/north of the ellipse's centre, metres) inside?"""
        theta = math.radians(self.orientation_deg)
        along = east_m * math.sin(theta) + north_m * math.cos(theta)
        across = east_m * math.cos(theta) - north_m * math.sin(theta)
        minor = max(self.semi_minor_m, 1e-12)
        return (along / self.semi_major_m) ** 2 + (across / minor) ** 2 <= 1.0

    def to_dict(self) -> dict[str, float]:
        return {"confidence": self.confidence, "semi_major_m": self.semi_major_m,
                "semi_minor_m": self.semi_minor_m, "orientation_deg": self.orientation_deg}


def ellipse(cov_enu_m2: NDArray[np.float64], confidence: float, radius: float | None = None) -> Ellipse:
    """The ``confidence`` ellipse of a covariance; ``radius`` (Mahalanobis) defaults to the Gaussian one."""
    eigval, eigvec = np.linalg.eigh(np.asarray(cov_enu_m2, dtype=float))
    east, north = eigvec[:, 1]  # eigenvector of the larger eigenvalue
    orientation = math.degrees(math.atan2(east, north)) % 180.0
    k = chi2_2dof_scale(confidence) if radius is None else radius
    return Ellipse(confidence, k * math.sqrt(max(eigval[1], 0.0)), k * math.sqrt(max(eigval[0], 0.0)),
                   round(orientation, 6) % 180.0)


@dataclass(frozen=True)
class Mode:
    lat: float
    lon: float
    weight: float

    def to_dict(self) -> dict[str, float]:
        return {"lat": self.lat, "lon": self.lon, "weight": self.weight}


@dataclass(frozen=True, eq=False)
class Posterior:
    """Coarse posterior for a heat map: ``log_density[i, j]`` at ``lat[i]``, ``lon[j]``, peak = 0."""

    lat: NDArray[np.float64]
    lon: NDArray[np.float64]
    log_density: NDArray[np.float64]

    def to_dict(self) -> dict[str, Any]:
        clipped = np.maximum(self.log_density, POSTERIOR_FLOOR)
        return {"lat": [round(float(v), 6) for v in self.lat], "lon": [round(float(v), 6) for v in self.lon],
                "log_density": np.round(clipped, 3).tolist(), "floor": POSTERIOR_FLOOR}


@dataclass(frozen=True, eq=False)
class LocationResult:
    lat: float
    lon: float
    alt_m: float | None
    covariance_enu_m2: NDArray[np.float64]
    method: str
    used: dict[str, int]
    outliers: tuple[str, ...] = ()
    gdop: float | None = None
    elapsed_ms: float = 0.0
    modes: tuple[Mode, ...] = ()
    posterior: Posterior | None = None
    # Mahalanobis radius of each CONFIDENCES ellipse; None: Gaussian (chi-square, 2 dof)
    ellipse_radii: tuple[float, ...] | None = None
    ellipses: tuple[Ellipse, ...] = field(init=False)

    def __post_init__(self) -> None:
        radii = self.ellipse_radii or tuple(chi2_2dof_scale(p) for p in CONFIDENCES)
        object.__setattr__(self, "ellipse_radii", tuple(radii))
        object.__setattr__(self, "ellipses", tuple(ellipse(self.covariance_enu_m2, p, r)
                                                   for p, r in zip(CONFIDENCES, radii, strict=False)))

    def contains(self, east_m: float, north_m: float, confidence: float) -> bool:
        """Is an offset (local east/north of the estimate, metres) inside the ``confidence`` ellipse?"""
        radius = dict(zip(CONFIDENCES, self.ellipse_radii or (), strict=False)).get(confidence, chi2_2dof_scale(confidence))
        offset = np.array([east_m, north_m])
        distance2 = offset @ np.linalg.solve(self.covariance_enu_m2, offset)
        return bool(distance2 <= radius**2)

    def to_dict(self, include_posterior: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "lat": self.lat, "lon": self.lon, "alt_m": self.alt_m,
            "covariance_enu_m2": [[float(v) for v in row] for row in self.covariance_enu_m2],
            "ellipses": [e.to_dict() for e in self.ellipses],
            "method": self.method, "used": dict(self.used), "outliers": list(self.outliers),
            "gdop": self.gdop, "elapsed_ms": self.elapsed_ms,
            "modes": [m.to_dict() for m in self.modes],
        }
        if include_posterior and self.posterior is not None:
            out["posterior"] = self.posterior.to_dict()
        return out
