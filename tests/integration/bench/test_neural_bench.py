from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from heimdall.bench.localization import classical_estimator, draw_trials, run_localization_benchmark
from heimdall.bench.neural import NeuralLocator, neural_estimator
from heimdall.cli.bench import bench
from heimdall.errors import NoModelAvailable

FIELDS = ("median_error_m", "p95_error_m", "crlb_median_m", "ratio_to_crlb", "coverage_68", "coverage_95",
          "latency_ms_p50", "latency_ms_p95")


def test_neural_rows_for_the_scenarios_it_fits_and_skips_for_the_others(tiny_rss_onnx: Path) -> None:
    neural = neural_estimator(tiny_rss_onnx.read_bytes(), tiny_rss_onnx.name)
    report = run_localization_benchmark(trials=20, quick=True, scenarios=["rss-8db", "aoa-3deg", "fused"],
                                        estimators=[classical_estimator(), neural])
    pairs = [(r["name"], r["estimator"]) for r in report["scenarios"]]
    assert pairs == [("rss-8db", "classical"), ("rss-8db", "neural:tiny-rss.onnx"),
                     ("aoa-3deg", "classical"), ("fused", "classical")]
    row = report["scenarios"][1]
    assert row["trials"] == 20
    assert all(math.isfinite(row[key]) for key in FIELDS)
    assert 0.0 <= row["coverage_68"] <= row["coverage_95"] <= 1.0
    assert row["crlb_median_m"] == report["scenarios"][0]["crlb_median_m"]  # the very same trials
    assert row["median_error_m"] < 60_000.0  # truths lie in a 40 km disc; anything larger is a frame bug
    skipped = {s["name"]: s["reason"] for s in report["skipped"]}
    assert set(skipped) == {"aoa-3deg", "fused"}
    assert "aoa" in skipped["aoa-3deg"] and "toa" in skipped["fused"]


def test_stored_receiver_ids_are_matched_by_position(tiny_rss_onnx: Path) -> None:
    locator = NeuralLocator(tiny_rss_onnx.read_bytes())
    doc = draw_trials("rss-8db", 1, seed=5)[0].doc
    renamed = {**doc, "receivers": [{**r, "id": f"station-{r['id']}"} for r in doc["receivers"]],
               "rss": [{**e, "receiver": f"station-{e['receiver']}"} for e in doc["rss"]]}
    a, b = locator(doc), locator(renamed)
    assert (a.lat, a.lon) == (b.lat, b.lon)
    moved = {**renamed, "receivers": [{**r, "lat": r["lat"] + 0.02} for r in renamed["receivers"]]}
    with pytest.raises(NoModelAvailable):
        locator(moved)


def test_cli_with_an_onnx_file(tiny_rss_onnx: Path) -> None:
    runner = CliRunner()
    args = ["localization", "--trials", "4", "--scenario", "rss-8db", "--scenario", "tdoa-pairs",
            "--onnx", str(tiny_rss_onnx)]
    result = runner.invoke(bench, [*args, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["estimators"] == ["classical", "neural:tiny-rss.onnx"]
    assert [(r["name"], r["estimator"]) for r in report["scenarios"]][1] == ("rss-8db", "neural:tiny-rss.onnx")
    assert [s["name"] for s in report["skipped"]] == ["tdoa-pairs"]
    table = runner.invoke(bench, args)
    assert table.exit_code == 0, table.output
    assert "neural:tiny-rss.onnx" in table.output and "skipped tdoa-pairs for neural:tiny-rss.onnx" in table.output


def test_cli_judges_the_deployed_models_of_the_data_dir(tiny_rss_onnx: Path, tmp_path: Path) -> None:
    from heimdall.cli.local import local_platform

    with local_platform(tmp_path, None) as local:  # the platform the CLI builds for this data dir
        registry = local.registry
        deployed = registry.register("g7 rss tiny", tiny_rss_onnx.read_bytes())
        registry.deploy(deployed["id"])
        other = registry.register("not deployed", tiny_rss_onnx.read_bytes())
    runner = CliRunner()
    base = ["localization", "--json", "--trials", "3", "--scenario", "rss-8db", "--data-dir", str(tmp_path)]
    report = json.loads(runner.invoke(bench, base).output)
    assert report["estimators"] == ["classical", "neural:g7 rss tiny"]
    assert np.isfinite(report["scenarios"][1]["median_error_m"])
    chosen = json.loads(runner.invoke(bench, [*base, "--model", other["id"]]).output)
    assert chosen["estimators"] == ["classical", "neural:not deployed"]
    classical = json.loads(runner.invoke(bench, [*base, "--classical-only"]).output)
    assert classical["estimators"] == ["classical"]
