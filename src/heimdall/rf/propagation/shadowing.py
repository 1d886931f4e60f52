"""Spatially correlated log-normal shadowing (Gudmundson's exponential correlation model).

Each receiver sees its own zero-mean Gaussian field over transmitter positions (local east/north
metres) with variance ``sigma_db**2`` and correlation ``exp(-distance / decorrelation_distance_m)``
(the 1/e convention of 3GPP TR 38.901; Gudmundson's own X_c at 0.5 correlation is ``ln 2`` of it).

The field is a sum of sinusoids (Shinozuka's spectral method): wavenumbers are drawn from the
field's isotropic power spectrum, so the ensemble correlation is exactly exponential and one
realisation is cheap to evaluate anywhere, with no grid and no memory per position. For an
exponential correlation in 2-D the spectrum is ``(1 + (k L)^2)^(-3/2)``, whose radial CDF
``1 - (1 + (k L)^2)^(-1/2)`` inverts in closed form.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from heimdall.errors import InvalidInput

DEFAULT_SINUSOIDS = 64


def gudmundson_correlation(distance_m: ArrayLike, decorrelation_distance_m: float) -> NDArray[np.float64]:
    """Correlation coefficient of the shadowing at two points ``distance_m`` apart."""
    return np.exp(-np.abs(np.asarray(distance_m, dtype=float)) / decorrelation_distance_m)


@dataclass(frozen=True)
class ShadowingField:
    """``n_fields`` independent shadowing realisations (one per receiver), fixed once drawn."""

    sigma_db: float
    decorrelation_distance_m: float
    wavenumbers_rad_m: NDArray[np.float64]  # (n_fields, n_sinusoids, 2): east, north components
    phases_rad: NDArray[np.float64]  # (n_fields, n_sinusoids)

    @classmethod
    def draw(
        cls,
        rng: np.random.Generator,
        n_fields: int,
        sigma_db: float,
        decorrelation_distance_m: float,
        n_sinusoids: int = DEFAULT_SINUSOIDS,
    ) -> ShadowingField:
        if sigma_db < 0:
            raise InvalidInput("sigma_db must be >= 0", field="sigma_db")
        if decorrelation_distance_m <= 0:
            raise InvalidInput("decorrelation_distance_m must be positive", field="decorrelation_distance_m")
        if n_fields < 1 or n_sinusoids < 1:
            raise InvalidInput("n_fields and n_sinusoids must be at least 1")
        u = rng.uniform(0.0, 1.0, size=(n_fields, n_sinusoids))
        radial = np.sqrt((1.0 - u) ** -2 - 1.0) / decorrelation_distance_m
        angle = rng.uniform(0.0, 2.0 * np.pi, size=(n_fields, n_sinusoids))
        wavenumbers = np.stack([radial * np.cos(angle), radial * np.sin(angle)], axis=-1)
        phases = rng.uniform(0.0, 2.0 * np.pi, size=(n_fields, n_sinusoids))
        return cls(float(sigma_db), float(decorrelation_distance_m), wavenumbers, phases)

    @property
    def n_fields(self) -> int:
        return int(self.phases_rad.shape[0])

    def values_db(self, east_m: ArrayLike, north_m: ArrayLike) -> NDArray[np.float64]:
        """Shadowing in dB at the given positions for every field: shape (*positions, n_fields)."""
        east = np.asarray(east_m, dtype=float)[..., None, None]
        north = np.asarray(north_m, dtype=float)[..., None, None]
        phase = east * self.wavenumbers_rad_m[..., 0] + north * self.wavenumbers_rad_m[..., 1] + self.phases_rad
        n_sinusoids = self.phases_rad.shape[1]
        return self.sigma_db * np.sqrt(2.0 / n_sinusoids) * np.cos(phase).sum(axis=-1)
