from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from heimdall.bench.localization import Estimator, classical_estimator, run_localization_benchmark
from heimdall.cli.bench import bench
from heimdall.errors import InvalidInput

KEYS = {"name", "trials", "median_error_m", "p95_error_m", "crlb_median_m", "ratio_to_crlb", "coverage_68",
        "coverage_95", "latency_ms_p50", "latency_ms_p95", "estimator"}


def test_report_shape_and_outlier_rate() -> None:
    report = run_localization_benchmark(trials=8, seed=1, scenarios=["tdoa-pairs", "outlier"])
    rows = report["scenarios"]
    assert [r["name"] for r in rows] == ["tdoa-pairs", "outlier"]
    for row in rows:
        assert set(row) >= KEYS
        assert row["trials"] == 8 and row["estimator"] == "classical"
        assert 0.0 <= row["coverage_68"] <= row["coverage_95"] <= 1.0
        assert row["ratio_to_crlb"] == pytest.approx(row["median_error_m"] / row["crlb_median_m"])
    assert rows[1]["outlier_flag_rate"] >= 0.75
    assert rows[0]["median_error_m"] < 200.0


def test_estimators_run_side_by_side_on_the_same_trials() -> None:
    classical = classical_estimator()
    twin = Estimator("twin", classical.locate)
    rows = run_localization_benchmark(trials=3, seed=2, scenarios=["toa-voice-20db"],
                                      estimators=[classical, twin])["scenarios"]
    assert [r["estimator"] for r in rows] == ["classical", "twin"]
    assert rows[0]["median_error_m"] == rows[1]["median_error_m"]


def test_unknown_scenario_rejected() -> None:
    with pytest.raises(InvalidInput):
        run_localization_benchmark(trials=1, scenarios=["nope"])


def test_cli_json_and_table() -> None:
    runner = CliRunner()
    result = runner.invoke(bench, ["localization", "--json", "--trials", "3", "--scenario", "aoa-3deg"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["scenarios"][0]["name"] == "aoa-3deg"
    table = runner.invoke(bench, ["localization", "--trials", "2", "--scenario", "rss-8db"])
    assert table.exit_code == 0 and "rss-8db" in table.output and "ratio" in table.output


def test_without_search_area_the_default_box_is_used() -> None:
    report = run_localization_benchmark(trials=2, seed=3, scenarios=["rss-8db"], search_area=False)
    assert report["search_area"] is False
    assert report["scenarios"][0]["median_error_m"] > 0.0
