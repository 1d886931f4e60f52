"""Small-scale fading as power gains (linear, mean 1).

Rician with K factor (power of the steady component over the scattered power); Rayleigh is K = 0.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike, NDArray

from heimdall.errors import InvalidInput


def db_to_linear(value_db: ArrayLike) -> NDArray[np.float64]:
    return 10.0 ** (np.asarray(value_db, dtype=float) / 10.0)


def rician_amplitude(
    rng: np.random.Generator, k_factor: ArrayLike, size: int | tuple[int, ...]
) -> NDArray[np.complex128]:
    """Complex channel gains h with E|h|^2 = 1 and |E h|^2 / var(h) = K."""
    k = np.asarray(k_factor, dtype=float)
    if np.any(k < 0):
        raise InvalidInput("k_factor must be >= 0 (linear)", field="k_factor")
    steady = np.sqrt(k / (k + 1.0))
    scattered = np.sqrt(1.0 / (2.0 * (k + 1.0)))
    shape = (size,) if isinstance(size, (int, np.integer)) else tuple(size)
    normal = rng.standard_normal(size=(2, *shape))
    return steady + scattered * (normal[0] + 1j * normal[1])


def rician_power_gain(
    rng: np.random.Generator, k_factor: ArrayLike, size: int | tuple[int, ...]
) -> NDArray[np.float64]:
    """Power gains |h|^2 (mean 1) of a Rician channel with linear K factor."""
    return np.abs(rician_amplitude(rng, k_factor, size)) ** 2


def rayleigh_power_gain(rng: np.random.Generator, size: int | tuple[int, ...]) -> NDArray[np.float64]:
    """Rayleigh fading: Rician with K = 0, i.e. exponentially distributed power (mean 1)."""
    return rician_power_gain(rng, 0.0, size)


@lru_cache(maxsize=64)
def rician_gain_sigma_db(k_factor: float, n_draws: int = 200_000) -> float:
    """Standard deviation of the fading gain in dB, used to state an honest RSS sigma.

    Estimated with a fixed seed so that the same K always gives the same number.
    """
    gains = rician_power_gain(np.random.default_rng(12345), k_factor, n_draws)
    return float(np.std(10.0 * np.log10(gains)))
