from __future__ import annotations

import math

import numpy as np
import pytest
from geographiclib.geodesic import Geodesic

from heimdall.bench.scenarios import draw_trial
from heimdall.geo import SPEED_OF_LIGHT_M_S
from heimdall.locate import parse_measurement_set
from heimdall.locate.bounds import bound_median_m, crlb_enu_m2, expected_error_map, gdop_at
from heimdall.locate.estimator import fit_at

CENTRE = (45.0, 7.5)


def _ring(count: int, radius_m: float) -> list[dict]:
    out = []
    for k in range(count):
        p = Geodesic.WGS84.Direct(*CENTRE, 360.0 * k / count, radius_m)
        out.append({"id": f"r{k}", "lat": p["lat2"], "lon": p["lon2"], "alt_m": 0.0})
    return out


def test_toa_ring_matches_closed_form() -> None:
    """Transmitter at the centre of N receivers on a ring: CRLB = 2 (c sigma)^2 / N per axis."""
    sigma_s, count = 100e-9, 8
    rx = _ring(count, 5_000.0)  # short baselines: negligible curvature
    ms = parse_measurement_set({"receivers": rx, "toa": [{"receiver": r["id"], "toa_s": 0.0, "sigma_s": sigma_s}
                                                         for r in rx]})
    cov = crlb_enu_m2(ms, *CENTRE)
    expected = 2.0 * (SPEED_OF_LIGHT_M_S * sigma_s) ** 2 / count
    assert cov == pytest.approx(np.diag([expected, expected]), rel=1e-4, abs=1e-6 * expected)
    assert gdop_at(ms, *CENTRE) == pytest.approx(math.sqrt(4.0 / count), rel=1e-4)


def test_aoa_ring_matches_closed_form() -> None:
    """Bearings from N receivers at distance R: CRLB = 2 R^2 sigma^2 / N per axis."""
    sigma_deg, count, radius_m = 3.0, 6, 20_000.0
    rx = _ring(count, radius_m)
    ms = parse_measurement_set({"receivers": rx, "aoa": [{"receiver": r["id"], "bearing_deg": 0.0,
                                                          "sigma_deg": sigma_deg} for r in rx]})
    expected = 2.0 * (radius_m * math.radians(sigma_deg)) ** 2 / count
    assert np.diag(crlb_enu_m2(ms, *CENTRE)) == pytest.approx([expected, expected], rel=2e-3)


def test_toa_emission_time_is_projected_out() -> None:
    """With receivers on one side the unknown clock costs information: TOA bound > known-clock bound."""
    rx = _ring(6, 10_000.0)
    ms = parse_measurement_set({"receivers": rx, "toa": [{"receiver": r["id"], "toa_s": 0.0, "sigma_s": 1e-7}
                                                         for r in rx]})
    east = crlb_enu_m2(ms, 45.0, 7.9)  # ~31 km east of the ring
    sigma_m = SPEED_OF_LIGHT_M_S * 1e-7
    known_clock_east_var = sigma_m**2 / rx.__len__() * 1.0  # all unit vectors ~east
    assert east[0, 0] > 10.0 * known_clock_east_var


@pytest.mark.parametrize("scenario", ["toa-voice-20db", "tdoa-pairs", "rss-8db", "aoa-3deg", "fused"])
def test_analytic_fisher_matches_the_likelihood(scenario: str) -> None:
    """The analytic bound equals the inverse Fisher information of the estimator's own residuals."""
    doc, lat, lon = draw_trial(scenario, np.random.default_rng(11))
    ms = parse_measurement_set(doc)
    numeric = fit_at(ms, lat, lon).cov_m2
    assert crlb_enu_m2(ms, lat, lon) == pytest.approx(numeric, rel=2e-2, abs=1e-3 * np.trace(numeric))


def test_rf_notes_bound_medians() -> None:
    """RF_NOTES section 2: TOA ~30 m, TDoA ~37 m, RSS ~16 km, AoA ~1.3 km over the scenarios."""
    expected = {"toa-voice-20db": 30.0, "tdoa-pairs": 37.0, "rss-8db": 16_000.0, "aoa-3deg": 1_300.0}
    for name, value in expected.items():
        rng = np.random.default_rng(3)
        medians = []
        for _ in range(150):
            doc, lat, lon = draw_trial(name, rng)
            medians.append(float(bound_median_m(crlb_enu_m2(parse_measurement_set(doc), lat, lon))))
        assert np.median(medians) == pytest.approx(value, rel=0.15), name


def test_bound_median_of_known_gaussians() -> None:
    assert float(bound_median_m(np.eye(2))) == pytest.approx(math.sqrt(2.0 * math.log(2.0)), rel=1e-4)
    assert float(bound_median_m(np.diag([4.0, 0.0]))) == pytest.approx(2.0 * 0.6744898, rel=1e-4)
    rng = np.random.default_rng(0)
    cov = np.array([[9.0, 2.0], [2.0, 1.0]])
    samples = rng.multivariate_normal([0, 0], cov, 200_000)
    assert float(bound_median_m(cov)) == pytest.approx(np.median(np.hypot(*samples.T)), rel=1e-2)


def test_expected_error_map() -> None:
    rx = _ring(6, 50_000.0)
    area = {"lat_min": 44.5, "lat_max": 45.5, "lon_min": 6.8, "lon_max": 8.2}
    emap = expected_error_map(rx, {"tdoa": {"sigma_s": 2e-7, "reference": "r0"}, "aoa": {"sigma_deg": 3.0}},
                              area, resolution=21)
    assert emap.rms_error_m.shape == (21, 21)
    assert np.all(np.isfinite(emap.rms_error_m))
    centre = emap.rms_error_m[10, 10]
    assert centre < emap.rms_error_m[0, 0] and centre < emap.rms_error_m[-1, -1]
    out = emap.to_dict()
    assert len(out["rms_error_m"]) == 21 and len(out["lat"]) == 21
