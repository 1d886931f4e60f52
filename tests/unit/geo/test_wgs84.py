"""heimdall.geo against geographiclib (the WGS84 reference) to the millimetre."""

from __future__ import annotations

import numpy as np
import pytest
from geographiclib.geodesic import Geodesic

from heimdall.geo import (
    bearing_deg,
    ecef_to_enu,
    ecef_to_geodetic,
    enu_to_ecef,
    enu_to_geodetic,
    geodetic_to_ecef,
    geodetic_to_enu,
    slant_distance_m,
)

GEOD = Geodesic.WGS84
A_M = GEOD.a
B_M = GEOD.a * (1.0 - GEOD.f)
MM = 1e-3


@pytest.mark.parametrize(
    ("lat", "lon", "expected"),
    [
        (0.0, 0.0, (A_M, 0.0, 0.0)),
        (0.0, 90.0, (0.0, A_M, 0.0)),
        (0.0, 180.0, (-A_M, 0.0, 0.0)),
        (0.0, -180.0, (-A_M, 0.0, 0.0)),
        (90.0, 0.0, (0.0, 0.0, B_M)),
        (-90.0, 123.0, (0.0, 0.0, -B_M)),
    ],
)
def test_known_points_use_geographiclib_ellipsoid(lat, lon, expected):
    np.testing.assert_allclose(geodetic_to_ecef(lat, lon, 0.0), expected, atol=MM)


def test_altitude_moves_along_the_normal():
    up = geodetic_to_ecef(45.0, 7.5, 1000.0) - geodetic_to_ecef(45.0, 7.5, 0.0)
    lat, lon = np.radians(45.0), np.radians(7.5)
    normal = np.array([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])
    np.testing.assert_allclose(up, 1000.0 * normal, atol=MM)


def test_round_trip_everywhere_including_poles_and_antimeridian():
    rng = np.random.default_rng(7)
    lat = np.r_[rng.uniform(-90, 90, 20000), 90.0, -90.0, 89.9999999, -89.9999999, 0.0, 0.0]
    lon = np.r_[rng.uniform(-180, 180, 20000), 0.0, 180.0, -179.9999999, 179.9999999, 180.0, -180.0]
    alt = np.r_[rng.uniform(-1000.0, 2.0e7, 20000), 0.0, 10.0, 100.0, -100.0, 0.0, 5.0]
    ecef = geodetic_to_ecef(lat, lon, alt)
    lat2, lon2, alt2 = ecef_to_geodetic(ecef)
    np.testing.assert_allclose(geodetic_to_ecef(lat2, lon2, alt2), ecef, atol=MM)
    np.testing.assert_allclose(alt2, alt, atol=MM)
    assert np.all((lon2 >= -180.0) & (lon2 <= 180.0))


@pytest.mark.parametrize(
    ("lat", "lon", "azimuth", "distance_m"),
    [
        (45.0, 7.5, 30.0, 1000.0),
        (0.0, 0.0, 45.0, 1000.0),
        (-33.0, 179.9995, 90.0, 1000.0),  # crosses the antimeridian
        (89.9995, 0.0, 10.0, 1000.0),  # near the north pole
        (-89.9995, 45.0, 200.0, 1000.0),
    ],
)
def test_bearing_and_distance_match_geodesic_over_short_paths(lat, lon, azimuth, distance_m):
    # Over 1 km chord and geodesic differ by s^3 / (24 R^2) ~ 1e-6 m, so they must agree to a millimetre.
    end = GEOD.Direct(lat, lon, azimuth, distance_m)
    chord = slant_distance_m(geodetic_to_ecef(lat, lon, 0.0), geodetic_to_ecef(end["lat2"], end["lon2"], 0.0))
    assert chord == pytest.approx(distance_m, abs=MM)
    bearing = bearing_deg(lat, lon, 0.0, end["lat2"], end["lon2"], 0.0)
    azimuth_error_deg = (float(bearing) - end["azi1"] + 180.0) % 360.0 - 180.0
    # Lateral miss of the bearing over the path, in metres.
    assert abs(np.radians(azimuth_error_deg) * distance_m) < MM


def test_long_chord_is_shorter_than_geodesic_by_the_expected_amount():
    end = GEOD.Direct(45.0, 7.5, 0.0, 50_000.0)
    chord = slant_distance_m(geodetic_to_ecef(45.0, 7.5, 0.0), geodetic_to_ecef(end["lat2"], end["lon2"], 0.0))
    radius_m = 6.37e6
    assert 50_000.0 - chord == pytest.approx(50_000.0**3 / (24 * radius_m**2), rel=0.02)


def test_enu_axes_point_east_north_up():
    end_north = GEOD.Direct(45.0, 7.5, 0.0, 1000.0)
    enu = geodetic_to_enu(end_north["lat2"], end_north["lon2"], 0.0, 45.0, 7.5, 0.0)
    # The ellipsoid curves away below the tangent plane by about s^2 / (2 R).
    assert enu[0] == pytest.approx(0.0, abs=MM)
    assert enu[1] == pytest.approx(1000.0, abs=MM)
    assert enu[2] == pytest.approx(-1000.0**2 / (2 * 6.38e6), abs=2e-3)
    end_east = GEOD.Direct(45.0, 7.5, 90.0, 1000.0)
    enu = geodetic_to_enu(end_east["lat2"], end_east["lon2"], 0.0, 45.0, 7.5, 0.0)
    assert enu[0] == pytest.approx(1000.0, abs=MM)
    assert abs(enu[1]) < 0.01  # the geodesic heading east bends slightly poleward of the tangent line


def test_enu_round_trip_across_antimeridian():
    rng = np.random.default_rng(3)
    enu = rng.normal(0.0, 30_000.0, size=(500, 3))
    lat, lon, alt = enu_to_geodetic(enu, -16.0, 179.9, 12.0)
    assert np.any(lon < 0) and np.any(lon > 0)
    np.testing.assert_allclose(geodetic_to_enu(lat, lon, alt, -16.0, 179.9, 12.0), enu, atol=MM)
    ecef = enu_to_ecef(enu, -16.0, 179.9, 12.0)
    np.testing.assert_allclose(ecef_to_enu(ecef, -16.0, 179.9, 12.0), enu, atol=MM)


def test_enu_preserves_distances():
    rng = np.random.default_rng(5)
    lat = rng.uniform(44.0, 46.0, 50)
    lon = rng.uniform(6.5, 8.5, 50)
    alt = rng.uniform(0.0, 3000.0, 50)
    ecef = geodetic_to_ecef(lat, lon, alt)
    enu = geodetic_to_enu(lat, lon, alt, 45.0, 7.5, 300.0)
    np.testing.assert_allclose(
        slant_distance_m(enu[:, None, :], enu[None, :, :]), slant_distance_m(ecef[:, None, :], ecef[None, :, :]),
        atol=MM,
    )


def test_bearings_vectorise_and_stay_in_range():
    lat0 = np.full(4, 45.0)
    lon0 = np.full(4, 7.5)
    ends = [GEOD.Direct(45.0, 7.5, az, 2000.0) for az in (0.0, 90.0, 180.0, 270.0)]
    bearings = bearing_deg(lat0, lon0, 0.0, [e["lat2"] for e in ends], [e["lon2"] for e in ends], 0.0)
    np.testing.assert_allclose(bearings, [0.0, 90.0, 180.0, 270.0], atol=1e-6)
    assert bearings[0] < 360.0 and np.all(bearings >= 0.0)
