"""Propagation models against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from heimdall.errors import InvalidInput
from heimdall.rf.propagation import (
    ShadowingField,
    free_space_path_loss_db,
    gudmundson_correlation,
    log_distance_path_loss_db,
    received_power_dbm,
)
from heimdall.rf.propagation.itm import ItmLossGrid, build_itm_grid, itm_path_loss_db
from heimdall.terrain import FlatTerrain

C = 299_792_458.0


def test_free_space_matches_friis_by_hand():
    # 20 log10(4 pi 1000 145.5e6 / c) = 75.705 dB
    assert free_space_path_loss_db(1000.0, 145.5e6) == pytest.approx(75.7050, abs=1e-3)
    expected = 20 * math.log10(4 * math.pi * 50_000 * 10e6 / C)
    assert free_space_path_loss_db(50_000.0, 10e6) == pytest.approx(expected, abs=1e-9)
    # doubling distance adds 6.02 dB
    assert np.diff(free_space_path_loss_db([1e3, 2e3], 1e8))[0] == pytest.approx(20 * math.log10(2))


def test_log_distance_is_contract_formula():
    # d = 10 km, n = 3, d0 = 1 km: FSPL(1 km) + 30 dB
    loss = log_distance_path_loss_db(10_000.0, 145.5e6, 3.0, 1000.0)
    assert loss == pytest.approx(75.7050 + 30.0, abs=1e-3)
    assert received_power_dbm(40.0, 10_000.0, 145.5e6) == pytest.approx(40.0 - 105.7050, abs=1e-3)
    # n = 2 is free space at every distance
    np.testing.assert_allclose(log_distance_path_loss_db([500.0, 7e4], 4e8, 2.0),
                               free_space_path_loss_db([500.0, 7e4], 4e8))


@pytest.mark.parametrize("bad", [0.0, -5.0])
def test_non_positive_distance_is_invalid(bad):
    with pytest.raises(InvalidInput):
        log_distance_path_loss_db(bad, 1e8)
    with pytest.raises(InvalidInput):
        free_space_path_loss_db(bad, 1e8)


def test_shadowing_field_has_sigma_and_exponential_correlation():
    field = ShadowingField.draw(np.random.default_rng(1), n_fields=4000, sigma_db=8.0, decorrelation_distance_m=500.0)
    at_origin = field.values_db(0.0, 0.0)
    assert at_origin.shape == (4000,)
    assert np.std(at_origin) == pytest.approx(8.0, rel=0.05)
    for separation in (250.0, 500.0, 1500.0):
        other = field.values_db(separation * 0.6, separation * 0.8)
        rho = np.corrcoef(at_origin, other)[0, 1]
        assert rho == pytest.approx(float(gudmundson_correlation(separation, 500.0)), abs=0.05)


def test_shadowing_is_deterministic_from_rng_and_vectorised():
    a = ShadowingField.draw(np.random.default_rng(9), 3, 6.0, 200.0)
    b = ShadowingField.draw(np.random.default_rng(9), 3, 6.0, 200.0)
    east = np.linspace(0, 5000, 11)
    np.testing.assert_array_equal(a.values_db(east, east), b.values_db(east, east))
    assert a.values_db(east, east).shape == (11, 3)
    with pytest.raises(InvalidInput):
        ShadowingField.draw(np.random.default_rng(0), 1, 6.0, 0.0)


def _mountain(n=101, height_m=1500.0):
    x = np.linspace(0.0, 1.0, n)
    return height_m * np.exp(-(((x - 0.5) / 0.05) ** 2))


def test_itm_mountain_loses_more_than_flat_ground():
    flat = itm_path_loss_db(np.zeros(101), 500.0, 145.5e6, 2.0, 300.0)
    mountain = itm_path_loss_db(_mountain(), 500.0, 145.5e6, 2.0, 300.0)
    free_space = float(free_space_path_loss_db(50_000.0, 145.5e6))
    assert flat > free_space  # ground reflection and curvature at 50 km
    assert mountain > flat + 15.0


def test_itm_rejects_bad_inputs():
    with pytest.raises(InvalidInput):
        itm_path_loss_db([0.0, 0.0], 100.0, 145e6, 2.0, 2.0)
    with pytest.raises(InvalidInput):
        itm_path_loss_db(np.zeros(10), 100.0, 7e6, 2.0, 2.0)  # HF is outside the ITM


def test_itm_grid_interpolates_and_grows_with_distance():
    grid = build_itm_grid(FlatTerrain(0.0), [(45.0, 7.5, 30.0)], (45.0, 7.5, 0.0), 20_000.0, 5, 145.5e6, 2.0,
                          profile_step_m=1000.0)
    assert isinstance(grid, ItmLossGrid) and grid.loss_db.shape == (1, 5, 5)
    near = grid.interpolate_db(0.0, 10_000.0)[0]
    far = grid.interpolate_db(0.0, 20_000.0)[0]
    assert far > near
    node = grid.loss_db[0, 4, 2]  # north = +20 km, east = 0
    assert grid.interpolate_db(0.0, 20_000.0)[0] == pytest.approx(node)
