"""apply_calibration: offsets removed, their uncertainty (with its correlations) added to the sigmas."""

from __future__ import annotations

import numpy as np
import pytest

from heimdall.bench.scenarios import g7_receivers
from heimdall.calibrate import (
    BEARING,
    GAIN,
    TIMING,
    Calibration,
    OffsetCalibration,
    apply_calibration,
    calibrate,
    calibration_from_dict,
    independent_variances,
)
from heimdall.calibrate.expected import expected_error_enu_m2, systematic_from_calibration
from heimdall.calibrate.references import ReceiverSite
from heimdall.errors import InvalidInput
from heimdall.locate import measurement_set_to_dict, parse_measurement_set
from heimdall.locate.bounds import crlb_enu_m2

from .conftest import G7_IDS, Draws, offsets_for, references

RX = g7_receivers()
SITES = {r["id"]: ReceiverSite(r["id"], r["lat"], r["lon"], r["alt_m"]) for r in RX}


def _offsets(quantity: str, ids: list[str], offset, cov, gauge: str | None = "zero_mean") -> OffsetCalibration:
    n = len(ids)
    return OffsetCalibration(quantity=quantity, receivers=tuple(ids), offset=np.asarray(offset, float),
                             covariance=np.asarray(cov, float), gauge=gauge, chi2=float(n), dof=n, scale=1.0,
                             residual_rms=np.ones(n), measurements=np.full(n, 5), references=np.full(n, 5))


def _calibration(*parts: OffsetCalibration) -> Calibration:
    return Calibration({p.quantity: p for p in parts}, SITES, reference_count=5)


def _random_cov(n: int, seed: int, scale: float) -> np.ndarray:
    a = np.random.default_rng(seed).normal(size=(n, n))
    return scale**2 * (a @ a.T / n + 0.1 * np.eye(n))


def _ms(**parts) -> object:
    return parse_measurement_set({"receivers": RX, "frequency_hz": 145.5e6, **parts})


def test_tdoa_pairs_get_both_offsets_removed_and_the_variance_of_their_difference():
    cov = _random_cov(7, 1, 100e-9)
    offset = np.linspace(-3e-6, 3e-6, 7)
    cal = _calibration(_offsets(TIMING, G7_IDS, offset, cov))
    ms = _ms(tdoa=[{"receiver": "rx2", "reference": "rx0", "tdoa_s": 1e-5, "sigma_s": 2e-7},
                   {"receiver": "rx5", "reference": "rx3", "tdoa_s": -4e-6, "sigma_s": 3e-7}])
    out = apply_calibration(ms, cal).tdoa
    np.testing.assert_allclose(out.tdoa_s, [1e-5 - (offset[2] - offset[0]), -4e-6 - (offset[5] - offset[3])])
    expected = [2e-7**2 + cov[2, 2] + cov[0, 0] - 2 * cov[2, 0], 3e-7**2 + cov[5, 5] + cov[3, 3] - 2 * cov[5, 3]]
    np.testing.assert_allclose(out.sigma_s**2, expected, rtol=1e-12)


def test_toa_gets_the_independent_part_of_the_offset_errors():
    """A common error is absorbed by the emission time: C = diag(d) + 1a' + a1' + b11' adds exactly d."""
    d = np.array([1.0, 2.0, 0.5, 3.0, 1.5, 0.7, 2.2]) * 1e-14
    a = np.random.default_rng(2).normal(size=7) * 1e-15
    cov = np.diag(d) + np.add.outer(a, a) + 2e-15
    cal = _calibration(_offsets(TIMING, G7_IDS, np.zeros(7), cov))
    ms = _ms(toa=[{"receiver": rid, "toa_s": 1e-4, "sigma_s": 1.5e-7} for rid in G7_IDS])
    np.testing.assert_allclose(apply_calibration(ms, cal).toa.sigma_s**2, 1.5e-7**2 + d, rtol=1e-9)


def test_independent_variances_do_not_depend_on_the_gauge():
    cov = _random_cov(6, 3, 1.0)
    for weights in (np.full(6, 1 / 6), np.eye(6)[2]):
        projector = np.eye(6) - np.outer(np.ones(6), weights)
        np.testing.assert_allclose(independent_variances(projector @ cov @ projector.T),
                                   independent_variances(cov), rtol=1e-9)
    two = np.array([[2.0, 1.5], [1.5, 4.0]])
    np.testing.assert_allclose(independent_variances(two), [1.5, 1.5])  # the difference's variance, split


def test_powers_with_unknown_eirp_take_relative_gains_and_known_eirp_needs_absolute_ones():
    cov = _random_cov(7, 4, 2.0)
    gains = np.arange(7.0) - 3.0
    rss = [{"receiver": rid, "power_dbm": -90.0, "sigma_db": 8.0} for rid in G7_IDS]
    relative = _calibration(_offsets(GAIN, G7_IDS, gains, cov))
    out = apply_calibration(_ms(rss=rss), relative).rss
    np.testing.assert_allclose(out.power_dbm, -90.0 - gains)
    np.testing.assert_allclose(out.sigma_db**2, 64.0 + independent_variances(cov))
    with pytest.raises(InvalidInput) as info:
        apply_calibration(_ms(rss=rss, eirp_dbm=40.0), relative)
    assert info.value.field == "eirp_dbm" and info.value.details["reason"] == "relative_gain"
    absolute = _calibration(_offsets(GAIN, G7_IDS, gains, cov, gauge=None))
    np.testing.assert_allclose(apply_calibration(_ms(rss=rss, eirp_dbm=40.0), absolute).rss.sigma_db**2,
                               64.0 + np.diag(cov))


def test_bearings_wrap_and_add_their_variance():
    cal = _calibration(_offsets(BEARING, ["rx1", "rx5"], [5.0, -4.0], np.diag([1.0, 2.0]), gauge=None))
    ms = _ms(aoa=[{"receiver": "rx1", "bearing_deg": 2.0, "sigma_deg": 3.0},
                  {"receiver": "rx5", "bearing_deg": 358.0, "sigma_deg": 3.0}])
    out = apply_calibration(ms, cal).aoa
    np.testing.assert_allclose(out.bearing_deg, [357.0, 2.0])
    np.testing.assert_allclose(out.sigma_deg**2, [10.0, 11.0])


def test_modalities_the_calibration_does_not_hold_pass_unchanged():
    cal = _calibration(_offsets(BEARING, ["rx1", "rx5"], [5.0, -4.0], np.eye(2), gauge=None))
    ms = _ms(rss=[{"receiver": rid, "power_dbm": -90.0, "sigma_db": 8.0} for rid in G7_IDS],
             aoa=[{"receiver": "rx1", "bearing_deg": 10.0, "sigma_deg": 3.0}])
    out = apply_calibration(ms, cal)
    assert out.rss is ms.rss and out.toa is ms.toa and out.tdoa is ms.tdoa and out.aoa is not ms.aoa


def test_a_measurement_of_a_receiver_the_calibration_does_not_know_is_refused():
    cal = _calibration(_offsets(BEARING, ["rx1", "rx5"], [5.0, -4.0], np.eye(2), gauge=None))
    ms = _ms(aoa=[{"receiver": "rx1", "bearing_deg": 10.0, "sigma_deg": 3.0},
                  {"receiver": "rx2", "bearing_deg": 10.0, "sigma_deg": 3.0}])
    with pytest.raises(InvalidInput) as info:
        apply_calibration(ms, cal)
    assert info.value.field == "aoa[1].receiver" and "'rx2' has no bearing_offset_deg" in info.value.message


def test_a_tdoa_reference_the_calibration_does_not_know_is_named():
    cal = _calibration(_offsets(TIMING, ["rx1", "rx2", "rx3"], np.zeros(3), np.eye(3) * 1e-14))
    ms = _ms(tdoa=[{"receiver": "rx1", "reference": "rx2", "tdoa_s": 1e-6, "sigma_s": 2e-7},
                   {"receiver": "rx3", "reference": "rx0", "tdoa_s": 1e-6, "sigma_s": 2e-7}])
    with pytest.raises(InvalidInput) as info:
        apply_calibration(ms, cal)
    assert info.value.field == "tdoa[1].reference"


def test_a_receiver_that_moved_since_its_calibration_is_refused():
    cal = _calibration(_offsets(BEARING, ["rx1", "rx5"], [5.0, -4.0], np.eye(2), gauge=None))
    doc = {"receivers": [dict(r) for r in RX], "aoa": [{"receiver": "rx5", "bearing_deg": 1.0, "sigma_deg": 3.0}]}
    doc["receivers"][5]["lon"] += 0.01  # ~790 m
    with pytest.raises(InvalidInput) as info:
        apply_calibration(parse_measurement_set(doc, check_unknowns=False), cal)
    assert info.value.details["reason"] == "moved_receiver" and info.value.field == "receivers[5]"


def test_a_stored_calibration_applies_exactly_as_the_fitted_one():
    cal = calibrate(references("fused", offsets_for(G7_IDS), draws=Draws(noiseless=False)))
    ms = parse_measurement_set(measurement_set_to_dict(references("fused", offsets_for(G7_IDS))[0].ms))
    direct, stored = apply_calibration(ms, cal), apply_calibration(ms, calibration_from_dict(cal.to_dict()))
    assert measurement_set_to_dict(direct) == measurement_set_to_dict(stored)


@pytest.mark.parametrize("scenario", ["toa-voice-20db", "tdoa-pairs", "rss-8db", "aoa-3deg"])
def test_the_inflated_sigmas_give_the_exact_bound_of_correlated_calibration_errors(scenario):
    """Where the representation is exact, the calibrated set's CRLB equals the bound with the
    calibration's full covariance as correlated noise (``calibrate.expected``)."""
    refs = references(scenario, offsets_for(G7_IDS), draws=Draws(seed=7, noiseless=False))
    cal = calibrate(refs)
    ms = refs[0].ms
    lat, lon = np.array([45.1, 44.9, 45.2]), np.array([7.4, 7.7, 7.5])
    aware = expected_error_enu_m2(ms, lat, lon, systematic_from_calibration(ms, cal)).aware_m2
    np.testing.assert_allclose(crlb_enu_m2(apply_calibration(ms, cal), lat, lon), aware, rtol=1e-6,
                               atol=1e-9 * np.abs(aware).max())
