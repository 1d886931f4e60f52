from __future__ import annotations

import numpy as np

from heimdall.geo import enu_rotation, enu_rotations


def test_vectorised_rotations_equal_the_scalar_ones() -> None:
    lat = np.array([-89.0, -45.0, 0.0, 12.5, 60.0])
    lon = np.array([-179.0, -30.0, 0.0, 7.5, 170.0])
    stacked = enu_rotations(lat, lon)
    assert stacked.shape == (5, 3, 3)
    for k in range(5):
        np.testing.assert_allclose(stacked[k], enu_rotation(lat[k], lon[k]), atol=1e-15)
    np.testing.assert_allclose(stacked @ stacked.transpose(0, 2, 1), np.broadcast_to(np.eye(3), (5, 3, 3)),
                               atol=1e-12)
