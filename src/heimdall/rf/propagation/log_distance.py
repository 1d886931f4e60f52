"""The log-distance model, exactly as CONTRACT section 4.1 defines it.

``power_dbm = eirp_dbm - FSPL(d0, f) - 10 n log10(d / d0)``. Free space is the special case n = 2.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from heimdall.errors import InvalidInput
from heimdall.rf.propagation.free_space import free_space_path_loss_db

DEFAULT_REFERENCE_DISTANCE_M = 1000.0
DEFAULT_PATH_LOSS_EXPONENT = 3.0


def log_distance_path_loss_db(
    distance_m: ArrayLike,
    frequency_hz: ArrayLike,
    path_loss_exponent: ArrayLike = DEFAULT_PATH_LOSS_EXPONENT,
    reference_distance_m: float = DEFAULT_REFERENCE_DISTANCE_M,
) -> NDArray[np.float64]:
    if reference_distance_m <= 0:
        raise InvalidInput("reference_distance_m must be positive", field="reference_distance_m")
    distance = np.asarray(distance_m, dtype=float)
    if np.any(distance <= 0):
        raise InvalidInput("distance_m must be positive", field="distance_m")
    exponent = np.asarray(path_loss_exponent, dtype=float)
    reference_loss_db = free_space_path_loss_db(reference_distance_m, frequency_hz)
    return reference_loss_db + 10.0 * exponent * np.log10(distance / reference_distance_m)


def received_power_dbm(
    eirp_dbm: ArrayLike,
    distance_m: ArrayLike,
    frequency_hz: ArrayLike,
    path_loss_exponent: ArrayLike = DEFAULT_PATH_LOSS_EXPONENT,
    reference_distance_m: float = DEFAULT_REFERENCE_DISTANCE_M,
) -> NDArray[np.float64]:
    """Power at an isotropic receiving antenna under the log-distance model."""
    loss_db = log_distance_path_loss_db(distance_m, frequency_hz, path_loss_exponent, reference_distance_m)
    return np.asarray(eirp_dbm, dtype=float) - loss_db
