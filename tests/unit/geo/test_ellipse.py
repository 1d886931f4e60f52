"""Ellipse rings for maps."""

from __future__ import annotations

import numpy as np
import pytest

from heimdall.geo import ellipse_ring, geodetic_to_enu


def test_ring_is_closed_counter_clockwise_with_the_right_axes() -> None:
    ring = np.array(ellipse_ring(45.0, 7.5, 3000.0, 1000.0, 30.0, vertices=8))
    assert ring.shape == (9, 2) and list(ring[0]) == list(ring[-1])
    enu = geodetic_to_enu(ring[:-1, 1], ring[:-1, 0], 0.0, 45.0, 7.5, 0.0)[:, :2]
    # vertex 0 at the end of the major axis, 30 degrees clockwise from north; vertex 2 on the minor axis
    np.testing.assert_allclose(enu[0], [3000.0 * np.sin(np.radians(30)), 3000.0 * np.cos(np.radians(30))], atol=0.5)
    assert np.hypot(*enu[2]) == pytest.approx(1000.0, abs=0.5)
    signed_area = 0.5 * np.sum(enu[:, 0] * np.roll(enu[:, 1], -1) - np.roll(enu[:, 0], -1) * enu[:, 1])
    assert signed_area > 0  # counter-clockwise, as RFC 7946 wants exterior rings
