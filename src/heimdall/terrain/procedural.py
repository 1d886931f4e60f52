"""Seeded fractal terrain (a sum of sines with a power-law spectrum): deterministic, no files."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from heimdall.errors import InvalidInput

_EARTH_RADIUS_M = 6_371_000.0


class ProceduralTerrain:
    """Hills from ``n_components`` random plane waves with wavelengths between ``min_wavelength_m``
    and ``max_wavelength_m`` and amplitude proportional to wavelength**``hurst`` (fractal roughness).

    Heights are ``base_m`` plus a zero-mean relief of standard deviation ``relief_sigma_m``, floored
    at 0 (sea). The same seed gives the same terrain on every machine.
    """

    def __init__(
        self,
        seed: int,
        relief_sigma_m: float = 300.0,
        base_m: float = 400.0,
        min_wavelength_m: float = 2_000.0,
        max_wavelength_m: float = 80_000.0,
        hurst: float = 0.8,
        n_components: int = 48,
    ) -> None:
        if not 0 < min_wavelength_m <= max_wavelength_m:
            raise InvalidInput("need 0 < min_wavelength_m <= max_wavelength_m", field="min_wavelength_m")
        if relief_sigma_m < 0:
            raise InvalidInput("relief_sigma_m must be >= 0", field="relief_sigma_m")
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0x7E2,)))
        wavelength = np.exp(rng.uniform(np.log(min_wavelength_m), np.log(max_wavelength_m), n_components))
        angle = rng.uniform(0, 2 * np.pi, n_components)
        self._k_east = 2 * np.pi / wavelength * np.cos(angle)
        self._k_north = 2 * np.pi / wavelength * np.sin(angle)
        self._phase = rng.uniform(0, 2 * np.pi, n_components)
        amplitude = wavelength**hurst
        self._amplitude = amplitude * relief_sigma_m * np.sqrt(2.0 / np.sum(amplitude**2))
        self._base_m = float(base_m)

    def elevation_m(self, lat_deg: ArrayLike, lon_deg: ArrayLike) -> NDArray[np.float64]:
        lat = np.asarray(lat_deg, dtype=float)
        lon = np.asarray(lon_deg, dtype=float)
        # A plate carree at a fixed reference parallel keeps the field a pure function of (lat, lon).
        north = _EARTH_RADIUS_M * np.radians(lat)[..., None]
        east = _EARTH_RADIUS_M * np.radians(lon)[..., None] * np.cos(np.radians(45.0))
        relief = np.sum(self._amplitude * np.sin(self._k_east * east + self._k_north * north + self._phase), axis=-1)
        return np.maximum(self._base_m + relief, 0.0)
