from __future__ import annotations

import numpy as np
import pytest

from heimdall.bench.scenarios import SCENARIOS, draw_trial, g7_receivers
from heimdall.geo import SPEED_OF_LIGHT_M_S, geodetic_to_ecef
from heimdall.locate import parse_measurement_set


def _distances(doc: dict, lat: float, lon: float) -> dict[str, float]:
    tx = geodetic_to_ecef(lat, lon, 0.0)
    return {r["id"]: float(np.linalg.norm(geodetic_to_ecef(r["lat"], r["lon"], r["alt_m"]) - tx))
            for r in doc["receivers"]}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_every_scenario_parses_and_is_seeded(name: str) -> None:
    a = draw_trial(name, np.random.default_rng(1))
    b = draw_trial(name, np.random.default_rng(1))
    assert a == b
    ms = parse_measurement_set(a[0])
    assert sum(ms.counts().values()) >= 6
    centre = geodetic_to_ecef(45.0, 7.5, 0.0)
    assert np.linalg.norm(geodetic_to_ecef(a[1], a[2], 0.0) - centre) <= 40_000.0 + 1.0


def test_tdoa_noise_has_the_stated_sigma() -> None:
    rng = np.random.default_rng(2)
    errors = []
    for _ in range(300):
        doc, lat, lon = draw_trial("tdoa-pairs", rng)
        d = _distances(doc, lat, lon)
        errors += [e["tdoa_s"] - (d[e["receiver"]] - d[e["reference"]]) / SPEED_OF_LIGHT_M_S for e in doc["tdoa"]]
    assert np.std(errors) == pytest.approx(205e-9, rel=0.06)
    assert abs(np.mean(errors)) < 3 * 205e-9 / np.sqrt(len(errors))


def test_rss_power_and_shadowing() -> None:
    rng = np.random.default_rng(3)
    eirps, shadows = [], []
    for _ in range(300):
        doc, lat, lon = draw_trial("rss-8db", rng)
        d = _distances(doc, lat, lon)
        # eirp - fspl(1 km) = power + 30 log10(d / 1 km) + shadowing
        offsets = np.array([e["power_dbm"] + 30.0 * np.log10(d[e["receiver"]] / 1000.0) for e in doc["rss"]])
        fspl = 20.0 * np.log10(4.0 * np.pi * 1000.0 * 145.5e6 / SPEED_OF_LIGHT_M_S)
        eirps.append(offsets.mean() + fspl)
        shadows += list(offsets - offsets.mean())
    assert np.std(shadows) * np.sqrt(7 / 6) == pytest.approx(8.0, rel=0.06)
    # the mean of 7 shadowed powers blurs the uniform 30-50 dBm by 8 / sqrt(7) = 3 dB
    assert np.mean(eirps) == pytest.approx(40.0, abs=1.0)
    assert min(eirps) > 30.0 - 12.0 and max(eirps) < 50.0 + 12.0
    assert np.std(eirps) == pytest.approx(np.sqrt(20.0**2 / 12 + 8.0**2 / 7), rel=0.12)


def test_outlier_scenario_biases_rx3_only() -> None:
    doc_clean, *_ = draw_trial("toa-voice-20db", np.random.default_rng(4))
    doc_bad, *_ = draw_trial("outlier", np.random.default_rng(4))
    shift = {a["receiver"]: b["toa_s"] - a["toa_s"] for a, b in zip(doc_clean["toa"], doc_bad["toa"], strict=False)}
    assert shift["rx3"] == pytest.approx(5e-6, abs=1e-12)
    assert all(abs(v) < 1e-15 for k, v in shift.items() if k != "rx3")


def test_fused_uses_the_stated_receivers() -> None:
    doc, *_ = draw_trial("fused", np.random.default_rng(5))
    assert [e["receiver"] for e in doc["toa"]] == ["rx0", "rx2", "rx4"]
    assert [e["receiver"] for e in doc["aoa"]] == ["rx1", "rx5"]
    assert len(doc["rss"]) == 7
    assert len(g7_receivers()) == 7
