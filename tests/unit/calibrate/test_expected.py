"""Expected accuracy with systematic offsets: the bound, the classical estimator on offset data
(sandwich), and the bound with offsets modelled as correlated noise."""

from __future__ import annotations

import numpy as np
import pytest

from heimdall.bench.scenarios import SCENARIOS, g7_receivers, network_search_area, tdoa_pairs
from heimdall.calibrate.expected import (
    SystematicCovariance,
    expected_error_enu_m2,
    systematic_error_map,
    systematic_from_sigmas,
)
from heimdall.calibrate.scenarios import draw_offsets, inject
from heimdall.errors import InvalidInput
from heimdall.locate import locate, parse_measurement_set
from heimdall.locate.bounds import bound_median_m, crlb_enu_m2, expected_error_map
from heimdall.locate.frame import LocalFrame

RX = g7_receivers()
IDS = [r["id"] for r in RX]
LAT, LON = np.array([45.15, 44.8, 45.02]), np.array([7.35, 7.6, 7.45])


def _ms(name: str, seed: int = 0):
    return parse_measurement_set(SCENARIOS[name].generate(RX, 45.1, 7.4, np.random.default_rng(seed)))


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_without_offsets_all_three_are_the_cramer_rao_bound(name):
    ms = _ms(name)
    result = expected_error_enu_m2(ms, LAT, LON, systematic_from_sigmas(ms))
    crlb = crlb_enu_m2(ms, LAT, LON)
    for cov in (result.bound_m2, result.naive_m2, result.aware_m2):
        np.testing.assert_allclose(cov, crlb, rtol=1e-9, atol=1e-9 * np.abs(crlb).max())


@pytest.mark.parametrize("name", ["toa-voice-20db", "tdoa-pairs", "rss-8db"])
def test_an_offset_common_to_all_receivers_costs_nothing_where_a_nuisance_absorbs_it(name):
    ms = _ms(name)
    common = np.full((7, 7), 1.0)
    systematic = SystematicCovariance(common * (3e-6) ** 2, common * 10.0**2, np.zeros((7, 7)))
    result = expected_error_enu_m2(ms, LAT, LON, systematic)
    np.testing.assert_allclose(result.naive_m2, result.bound_m2, rtol=1e-6, atol=1e-9 * np.abs(result.bound_m2).max())


def test_a_common_gain_offset_does_cost_when_the_eirp_is_known():
    doc = SCENARIOS["rss-8db"].generate(RX, 45.1, 7.4, np.random.default_rng(0))
    ms = parse_measurement_set({**doc, "eirp_dbm": 40.0})
    systematic = SystematicCovariance(np.zeros((7, 7)), np.full((7, 7), 36.0), np.zeros((7, 7)))
    result = expected_error_enu_m2(ms, LAT, LON, systematic)
    naive, bound = (np.trace(c, axis1=-2, axis2=-1) for c in (result.naive_m2, result.bound_m2))
    assert np.all(naive > 1.01 * bound) and naive[0] > 1.1 * bound[0]  # least at the network centre


def test_independent_timing_offsets_scale_toa_like_extra_noise():
    ms = _ms("toa-voice-20db")
    result = expected_error_enu_m2(ms, LAT, LON, systematic_from_sigmas(ms, timing_sigma_s=290e-9))
    atol = 1e-9 * np.abs(result.naive_m2).max()
    np.testing.assert_allclose(result.naive_m2, result.bound_m2 * (145**2 + 290**2) / 145**2, rtol=1e-9, atol=atol)
    np.testing.assert_allclose(result.aware_m2, result.naive_m2, rtol=1e-9, atol=atol)  # equal weights stay optimal


def test_the_aware_bound_lies_between_the_bound_and_the_estimator_that_ignores_offsets():
    ms = _ms("fused")
    result = expected_error_enu_m2(ms, LAT, LON, systematic_from_sigmas(ms, 2e-6, 6.0, {"rx1": 5.0, "rx5": 1.0}))
    rms = {k: np.sqrt(np.trace(getattr(result, k), axis1=-2, axis2=-1)) for k in ("bound_m2", "naive_m2", "aware_m2")}
    assert np.all(rms["bound_m2"] < rms["aware_m2"]) and np.all(rms["aware_m2"] <= rms["naive_m2"] * (1 + 1e-9))


def test_the_classical_estimator_on_offset_data_errs_as_predicted():
    """TDoA against rx0 with 150 ns timing offsets (noise 205 ns): rx0's offset moves every pair."""
    lat, lon = 45.15, 7.35
    rng = np.random.default_rng(11)
    ms = parse_measurement_set(tdoa_pairs(RX, lat, lon, rng))
    predicted = expected_error_enu_m2(ms, lat, lon, systematic_from_sigmas(ms, timing_sigma_s=150e-9))
    errors = []
    for _ in range(300):
        offsets = draw_offsets(rng, IDS, timing_sigma_s=150e-9)
        estimate = locate(parse_measurement_set(inject(tdoa_pairs(RX, lat, lon, rng), offsets)), with_posterior=False)
        errors.append(np.hypot(*LocalFrame(estimate.lat, estimate.lon).from_geodetic(lat, lon)))
    ratio = np.median(errors) / bound_median_m(predicted.naive_m2)
    assert 0.9 < ratio < 1.1
    assert np.median(errors) > 1.3 * bound_median_m(predicted.bound_m2)


def test_the_map_shows_what_an_uncalibrated_network_costs():
    modalities = {"tdoa": {"sigma_s": 2e-7, "reference": "rx0"}, "rss": {"sigma_db": 8.0}}
    area = network_search_area(RX)
    result = systematic_error_map(RX, modalities, area, {"timing_offset_s": 2e-6, "gain_offset_db": 6.0},
                                  resolution=12)
    plain = expected_error_map(RX, modalities, area, resolution=12)
    np.testing.assert_allclose(result.rms_error_m, plain.rms_error_m, rtol=1e-9)
    assert np.all(result.uncalibrated_rms_error_m > 5 * result.rms_error_m)
    assert np.all(result.offset_aware_rms_error_m <= result.uncalibrated_rms_error_m * (1 + 1e-9))
    doc = result.to_dict()
    assert set(doc) == {"lat", "lon", "rms_error_m", "uncalibrated_rms_error_m", "offset_aware_rms_error_m"}
    assert len(doc["uncalibrated_rms_error_m"]) == 12 and len(doc["uncalibrated_rms_error_m"][0]) == 12


def test_the_map_refuses_unknown_quantities_and_negative_sigmas():
    modalities = {"aoa": {"sigma_deg": 3.0}}
    area = network_search_area(RX)
    with pytest.raises(InvalidInput) as info:
        systematic_error_map(RX, modalities, area, {"phase_offset_rad": 1.0})
    assert info.value.field == "offsets.phase_offset_rad"
    with pytest.raises(InvalidInput) as info:
        systematic_error_map(RX, modalities, area, {"bearing_offset_deg": -1.0})
    assert info.value.field == "offsets"
