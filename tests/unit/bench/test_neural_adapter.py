from __future__ import annotations

import math
import os
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest

from heimdall.bench.localization import Estimator, classical_estimator, run_localization_benchmark
from heimdall.bench.neural import estimate_from_result, receiver_id_map, rename_receivers
from heimdall.bench.scenarios import g7_receivers
from heimdall.errors import NoModelAvailable


def _layout(receivers: list[dict]) -> SimpleNamespace:
    return SimpleNamespace(receiver_ids=tuple(r["id"] for r in receivers), lat_deg=tuple(r["lat"] for r in receivers),
                           lon_deg=tuple(r["lon"] for r in receivers), alt_m=tuple(r["alt_m"] for r in receivers),
                           position_tolerance_m=100.0)


def test_coverage_ellipses_follow_the_covariance_chi_square_radii() -> None:
    estimate = estimate_from_result({"lat": 45.0, "lon": 7.0, "covariance_enu_m2": [[100.0**2, 0.0], [0.0, 50.0**2]],
                                     "outliers": []})
    by_conf = {e.confidence: e for e in estimate.ellipses}
    assert set(by_conf) == {0.68, 0.95}
    assert by_conf[0.95].semi_major_m == pytest.approx(100.0 * math.sqrt(-2 * math.log(0.05)))
    # Mahalanobis^2 of (0, 80 m) is 2.56: outside the 68 % region (2.28), inside the 95 % one (5.99)
    assert not by_conf[0.68].contains(0.0, 80.0)
    assert by_conf[0.95].contains(0.0, 80.0)
    assert by_conf[0.68].contains(140.0, 0.0)  # 1.96 < 2.28 along the major (east) axis


def test_receiver_ids_map_by_position() -> None:
    stored = [{**r, "id": f"uuid-{k}"} for k, r in enumerate(reversed(g7_receivers()))]
    mapping = receiver_id_map(g7_receivers(), _layout(stored))
    assert mapping == {f"rx{k}": f"uuid-{6 - k}" for k in range(7)}
    same = receiver_id_map(g7_receivers(), _layout(g7_receivers()))
    assert all(k == v for k, v in same.items())


def test_a_receiver_with_no_counterpart_or_a_shared_one_is_refused() -> None:
    moved = g7_receivers()
    moved[2] = {**moved[2], "id": "far", "lat": moved[2]["lat"] + 0.01}  # ~1.1 km away
    with pytest.raises(NoModelAvailable, match="far"):
        receiver_id_map(moved, _layout([{**r, "id": f"u{k}"} for k, r in enumerate(g7_receivers())]))
    doubled = [*g7_receivers(), {**g7_receivers()[1], "id": "twin"}]
    with pytest.raises(NoModelAvailable):
        receiver_id_map(doubled, _layout([{**r, "id": f"u{k}"} for k, r in enumerate(g7_receivers())]))


def test_rename_receivers_renames_entries_and_references() -> None:
    doc = {"receivers": [{"id": "a", "lat": 0, "lon": 0}, {"id": "b", "lat": 0, "lon": 1}],
           "tdoa": [{"receiver": "b", "reference": "a", "tdoa_s": 1e-6, "sigma_s": 1e-7}],
           "rss": [{"receiver": "a", "power_dbm": -90.0, "sigma_db": 6.0}]}
    out = rename_receivers(doc, {"a": "A", "b": "B"})
    assert [r["id"] for r in out["receivers"]] == ["A", "B"]
    assert out["tdoa"][0]["receiver"] == "B" and out["tdoa"][0]["reference"] == "A"
    assert out["rss"][0]["receiver"] == "A"
    assert doc["receivers"][0]["id"] == "a"  # the benchmark's trial is not changed


def test_an_estimator_refusing_a_scenario_is_skipped_with_its_reason() -> None:
    def picky(doc: dict):
        if doc.get("aoa"):
            raise NoModelAvailable("the network was not trained on aoa")
        return classical_estimator().locate(doc)

    steps: list[int] = []
    report = run_localization_benchmark(trials=3, seed=4, scenarios=["toa-voice-20db", "aoa-3deg"],
                                        estimators=[classical_estimator(), Estimator("neural:picky", picky)],
                                        progress=steps.append)
    pairs = [(r["name"], r["estimator"]) for r in report["scenarios"]]
    assert pairs == [("toa-voice-20db", "classical"), ("toa-voice-20db", "neural:picky"), ("aoa-3deg", "classical")]
    assert report["skipped"] == [{"name": "aoa-3deg", "estimator": "neural:picky",
                                  "reason": "the network was not trained on aoa"}]
    assert sum(steps) == 12  # the skipped pair still completes its share of the progress bar
    assert all(np.isfinite(r["median_error_m"]) for r in report["scenarios"])


def test_classical_only_cli_loads_neither_torch_nor_onnxruntime(tmp_path) -> None:
    code = ("import sys; from click.testing import CliRunner; from heimdall.cli.bench import bench; "
            "r = CliRunner().invoke(bench, ['localization', '--json', '--trials', '2', '--scenario', 'rss-8db']); "
            "assert r.exit_code == 0, r.output; "
            "print(sorted(m for m in ('torch', 'onnxruntime') if m in sys.modules))")
    env = {**os.environ, "HEIMDALL_DATA_DIR": str(tmp_path / "data")}
    out = subprocess.run([sys.executable, "-c", code], check=False, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
    assert not (tmp_path / "data").exists()  # no registry is created by merely benchmarking
