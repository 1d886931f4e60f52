from __future__ import annotations

import numpy as np
import pytest

from heimdall.bench.scenarios import draw_trial, g7_receivers
from heimdall.locate import LocationResult, locate, parse_measurement_set
from heimdall.locate.estimator import truth_offset_enu_m
from heimdall.locate.result import ellipse

TRUTH = (45.12, 7.41)


def _error_m(result: LocationResult, truth: tuple[float, float] = TRUTH) -> float:
    return float(np.hypot(*truth_offset_enu_m(result.lat, result.lon, *truth)))


def _peak_error_m(result: LocationResult, truth: tuple[float, float] = TRUTH) -> float:
    """Error of the likelihood peak (modes[0]); lat/lon are the posterior mean, which noiseless
    data need not put on the truth when the posterior is skewed (RSS, AoA)."""
    peak = result.modes[0]
    return float(np.hypot(*truth_offset_enu_m(peak.lat, peak.lon, *truth)))


def _truth_inside(result: LocationResult, confidence: float, truth: tuple[float, float] = TRUTH) -> bool:
    return result.contains(*truth_offset_enu_m(result.lat, result.lon, *truth), confidence)


@pytest.mark.parametrize(("modalities", "tolerance_m"), [
    (("toa",), 1.0), (("tdoa",), 1.0), (("aoa",), 1.0), (("rss",), 10.0), (("toa", "rss", "aoa"), 1.0),
])
def test_noiseless_truth_is_recovered(make_noiseless, modalities: tuple[str, ...], tolerance_m: float) -> None:
    result = locate(parse_measurement_set(make_noiseless(modalities)))
    assert _peak_error_m(result) < tolerance_m
    assert _truth_inside(result, 0.68)
    assert result.outliers == ()
    assert result.method == "classical:" + "+".join(modalities)


def test_rss_with_estimated_exponent(make_noiseless) -> None:
    doc = make_noiseless(("rss",))
    doc["propagation"]["path_loss_exponent"] = None
    result = locate(parse_measurement_set(doc))
    assert _peak_error_m(result) < 10.0
    assert _truth_inside(result, 0.68)


def test_rss_with_known_eirp(make_noiseless) -> None:
    doc = make_noiseless(("rss",))
    # ZeroNoise draws the same EIRP as the default_rng(0) would: recompute it from rx0's power
    doc["eirp_dbm"] = 30.0 + 20.0 * np.random.default_rng(0).uniform()
    known = locate(parse_measurement_set(doc))
    assert _peak_error_m(known) < 10.0
    del doc["eirp_dbm"]
    unknown = locate(parse_measurement_set(doc))
    # knowing the power adds information: a smaller region
    assert np.linalg.det(known.covariance_enu_m2) < 0.8 * np.linalg.det(unknown.covariance_enu_m2)


def test_result_dict_has_the_contract_shape(make_noiseless) -> None:
    out = locate(parse_measurement_set(make_noiseless(("tdoa", "rss")))).to_dict()
    assert set(out) >= {"lat", "lon", "alt_m", "covariance_enu_m2", "ellipses", "method", "used", "outliers",
                        "gdop", "elapsed_ms", "modes"}
    assert out["used"] == {"rss": 7, "tdoa": 6, "toa": 0, "aoa": 0}
    assert out["method"] == "classical:tdoa+rss"
    assert [e["confidence"] for e in out["ellipses"]] == [0.68, 0.95]
    assert out["ellipses"][1]["semi_major_m"] > out["ellipses"][0]["semi_major_m"] > 0
    assert np.asarray(out["covariance_enu_m2"]).shape == (2, 2)
    assert abs(sum(m["weight"] for m in out["modes"]) - 1.0) < 1e-6 or len(out["modes"]) >= 1
    posterior = out["posterior"]
    assert np.asarray(posterior["log_density"]).shape == (len(posterior["lat"]), len(posterior["lon"]))
    assert np.max(posterior["log_density"]) == 0.0
    assert out["gdop"] > 0


def test_outlier_receiver_is_flagged(make_noiseless) -> None:
    doc = make_noiseless(("toa",))
    doc["toa"][3]["toa_s"] += 5e-6
    result = locate(parse_measurement_set(doc))
    assert result.outliers == ("rx3",)
    assert result.used["toa"] == 6
    assert _error_m(result) < 1.0


@pytest.mark.parametrize(("cov", "expected_deg"), [
    ([[1.0, 0.0], [0.0, 9.0]], (0.0, 180.0)),  # north-south
    ([[9.0, 0.0], [0.0, 1.0]], (90.0,)),  # east-west
    ([[5.0, 4.0], [4.0, 5.0]], (45.0,)),  # north-east
])
def test_ellipse_orientation_is_clockwise_from_north(cov: list, expected_deg: tuple[float, ...]) -> None:
    e = ellipse(np.array(cov), 0.68)
    assert min(abs(e.orientation_deg - x) for x in expected_deg) < 1e-6
    assert e.semi_major_m > e.semi_minor_m
    assert e.semi_major_m == pytest.approx(np.sqrt(-2 * np.log(0.32)) * np.sqrt(np.linalg.eigvalsh(cov)[1]))


def test_tdoa_coverage_is_calibrated() -> None:
    rng = np.random.default_rng(20240)
    inside_68, inside_95 = [], []
    for _ in range(200):
        doc, lat, lon = draw_trial("tdoa-pairs", rng)
        result = locate(parse_measurement_set(doc), with_posterior=False)
        offset = truth_offset_enu_m(result.lat, result.lon, lat, lon)
        inside_68.append(result.contains(*offset, 0.68))
        inside_95.append(result.contains(*offset, 0.95))
    assert 0.55 <= np.mean(inside_68) <= 0.80
    assert 0.88 <= np.mean(inside_95) <= 0.99


def test_three_kiwis_hundreds_of_km_apart_tdoa_only() -> None:
    """DCF77-like: 77.5 kHz, three receivers, two TDoAs -- exactly determined; truth must be a mode."""
    from heimdall.bench.scenarios import tdoa_entries

    receivers = [
        {"id": "DF0KL", "lat": 53.665337, "lon": 7.282766, "alt_m": 0.0},
        {"id": "F1JEK", "lat": 45.779290, "lon": 0.614638, "alt_m": 0.0},
        {"id": "HB9RYZ", "lat": 47.1721, "lon": 8.42683, "alt_m": 0.0},
    ]
    truth = (50.0156, 9.0108)
    rng = np.random.default_rng(3)
    tdoa = tdoa_entries(receivers, "HB9RYZ", ["DF0KL", "F1JEK"], *truth, rng, sigma_s=20e-6)
    result = locate(parse_measurement_set({"frequency_hz": 77_500, "receivers": receivers, "tdoa": tdoa}))
    offset = truth_offset_enu_m(result.lat, result.lon, *truth)
    nearest_mode_km = min(np.hypot(*truth_offset_enu_m(m.lat, m.lon, *truth)) for m in result.modes) / 1e3
    assert nearest_mode_km < 30.0
    assert result.ellipses[1].semi_major_m > 1_000.0  # 20 us of timing error is kilometres
    assert np.all(np.isfinite(result.covariance_enu_m2))
    assert result.contains(*offset, 0.95) or nearest_mode_km < 30.0


def test_far_search_area_is_respected() -> None:
    rng = np.random.default_rng(5)
    doc, _, _ = draw_trial("rss-8db", rng)
    doc["search_area"] = {"lat_min": 44.9, "lat_max": 45.1, "lon_min": 7.4, "lon_max": 7.6}
    result = locate(parse_measurement_set(doc))
    assert 44.9 <= result.lat <= 45.1 and 7.4 <= result.lon <= 7.6


def test_g7_has_seven_receivers_on_a_50_km_ring() -> None:
    from heimdall.geo import geodetic_to_ecef

    rx = g7_receivers()
    ecef = geodetic_to_ecef([r["lat"] for r in rx], [r["lon"] for r in rx], 0.0)
    ring = np.linalg.norm(ecef[1:] - ecef[0], axis=-1)
    assert len(rx) == 7 and np.allclose(ring, 50_000.0, atol=300.0)


def test_ellipse_contains_matches_its_axes() -> None:
    e = ellipse(np.array([[100.0, 0.0], [0.0, 400.0]]), 0.95)  # major axis north
    k = np.sqrt(-2 * np.log(0.05))
    assert e.contains(0.0, 19.9 * k) and not e.contains(0.0, 20.1 * k)
    assert e.contains(9.9 * k, 0.0) and not e.contains(10.1 * k, 0.0)


def test_heavy_tailed_posterior_gets_non_gaussian_radii() -> None:
    """RSS: the 95 % ellipse holds 95 % of the posterior mass, not the Gaussian share."""
    doc, _, _ = draw_trial("rss-8db", np.random.default_rng(8))
    result = locate(parse_measurement_set(doc))
    r68, r95 = result.ellipse_radii
    assert r95 > r68 > 0
    assert result.ellipses[1].semi_major_m / result.ellipses[0].semi_major_m == pytest.approx(r95 / r68)
