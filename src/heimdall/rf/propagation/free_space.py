"""Free-space (Friis) path loss."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from heimdall.errors import InvalidInput
from heimdall.geo import SPEED_OF_LIGHT_M_S


def free_space_path_loss_db(distance_m: ArrayLike, frequency_hz: ArrayLike) -> NDArray[np.float64]:
    """FSPL(d, f) = 20 log10(4 pi d f / c), in dB, broadcasting over both arguments."""
    distance = np.asarray(distance_m, dtype=float)
    frequency = np.asarray(frequency_hz, dtype=float)
    if np.any(distance <= 0) or np.any(frequency <= 0):
        raise InvalidInput("distance_m and frequency_hz must be positive")
    return 20.0 * np.log10(4.0 * np.pi * distance * frequency / SPEED_OF_LIGHT_M_S)
