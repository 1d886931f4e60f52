"""The filter's equations by hand, and the local plane's geometry."""

from __future__ import annotations

import numpy as np
import pytest

from heimdall.geo import geodetic_to_enu
from heimdall.locate.result import ellipse
from heimdall.tracking import kalman
from heimdall.tracking.fixes import LocalPlane


def test_predict_adds_discrete_white_noise_acceleration() -> None:
    state = np.array([0.0, 0.0, 10.0, -5.0])
    predicted, covariance = kalman.predict(state, np.zeros((4, 4)), 4.0, 0.5)
    np.testing.assert_allclose(predicted, [40.0, -20.0, 10.0, -5.0])
    # sigma^2 [dt^4/4, dt^3/2; dt^3/2, dt^2] per axis, nothing across axes
    expected_axis = 0.25 * np.array([[64.0, 32.0], [32.0, 16.0]])
    np.testing.assert_allclose(covariance[np.ix_([0, 2], [0, 2])], expected_axis)
    np.testing.assert_allclose(covariance[np.ix_([1, 3], [1, 3])], expected_axis)
    assert covariance[0, 1] == covariance[0, 3] == covariance[2, 3] == 0.0
    _, backwards = kalman.predict(state, np.zeros((4, 4)), -4.0, 0.5)
    np.testing.assert_allclose(backwards[:2, :2], covariance[:2, :2])  # retrodiction is no more certain


def test_update_is_the_weighted_mean_for_a_still_target() -> None:
    state, covariance = kalman.initial_state(np.array([0.0, 0.0]), np.diag([100.0, 100.0]), 1e-6)
    updated, updated_covariance, innovation = kalman.update(state, covariance, np.array([30.0, 0.0]),
                                                            np.diag([300.0, 300.0]))
    # weights 1/100 and 1/300: the mean moves a quarter of the way, the variance is 75
    np.testing.assert_allclose(updated[:2], [7.5, 0.0], atol=1e-9)
    np.testing.assert_allclose(updated_covariance[:2, :2], np.diag([75.0, 75.0]), atol=1e-9)
    assert innovation.nis == pytest.approx(30.0**2 / 400.0)
    assert np.allclose(updated_covariance, updated_covariance.T)


def test_gate_is_the_chi_square_quantile() -> None:
    assert kalman.gate_nis(0.95) == pytest.approx(5.991, abs=1e-3)
    assert kalman.gate_nis(0.999) == pytest.approx(13.816, abs=1e-3)


@pytest.mark.parametrize(("east_m", "north_m"), [(0.0, 0.0), (100_000.0, 0.0), (-70_000.0, 70_000.0), (0.0, -100_000.0)])
def test_plane_round_trips_within_a_metre_at_100_km(east_m: float, north_m: float) -> None:
    plane = LocalPlane(45.0, 7.5)
    lat, lon = plane.to_geodetic(np.array([east_m, north_m]))
    back, _ = plane.to_plane(lat, lon, np.eye(2))
    np.testing.assert_allclose(back, [east_m, north_m], atol=1.0)


def test_covariances_rotate_by_the_meridian_convergence() -> None:
    plane = LocalPlane(45.0, 7.5)
    lat, lon = plane.to_geodetic(np.array([100_000.0, 0.0]))
    north_south = np.diag([1.0, 1e6])  # a long north-south ellipse at a point 100 km east
    _, on_plane = plane.to_plane(lat, lon, north_south)
    np.testing.assert_allclose(np.linalg.eigvalsh(on_plane), [1.0, 1e6], rtol=1e-3)
    # that point's north leans west on the origin's plane, towards the pole, by ~0.9 degrees
    convergence_deg = (lon - 7.5) * np.sin(np.radians(45.0))
    assert ellipse(on_plane, 0.95).orientation_deg == pytest.approx(180.0 - convergence_deg, abs=0.01)
    # and the plane's east/north really is the local one at the origin
    assert geodetic_to_enu(lat, lon, 0.0, 45.0, 7.5, 0.0)[0] == pytest.approx(100_000.0, abs=1.0)
