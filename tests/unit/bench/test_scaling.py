from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from heimdall.bench.scaling import (
    SCALING_SCENARIOS,
    growth_exponent,
    run_scaling_benchmark,
    scaling_trial,
    step_exponents,
)
from heimdall.cli.bench import bench
from heimdall.errors import InvalidInput
from heimdall.locate import parse_measurement_set


def test_growth_exponent_recovers_a_power_law() -> None:
    counts = [7, 30, 100, 300]
    assert growth_exponent(counts, [3.0 * n**1.5 for n in counts]) == pytest.approx(1.5)
    assert growth_exponent(counts, [5.0, 5.0, 5.0, 5.0]) == pytest.approx(0.0, abs=1e-12)
    assert step_exponents([10, 20, 40], [1.0, 2.0, 8.0]) == pytest.approx([1.0, 2.0])


@pytest.mark.parametrize("name", sorted(SCALING_SCENARIOS))
def test_every_scenario_is_a_valid_set_on_n_receivers(name: str) -> None:
    ms = parse_measurement_set(scaling_trial(name, 30, np.random.default_rng(1)))
    assert len(ms.receivers) == 30
    counts = ms.counts()
    expected = {"tdoa": {"tdoa": 29}, "tdoa-random": {"tdoa": 29}, "toa": {"toa": 30}, "rss": {"rss": 30},
                "aoa": {"aoa": 30}, "fused": {"toa": 10, "rss": 30, "aoa": 10}}[name]
    assert {k: v for k, v in counts.items() if v} == expected


def test_report_has_a_row_per_size_and_an_exponent_per_scenario() -> None:
    report = run_scaling_benchmark(trials=2, receiver_counts=(7, 12), scenarios=["tdoa", "tdoa-random"])
    assert [(r["name"], r["receivers"]) for r in report["rows"]] == [
        ("tdoa", 7), ("tdoa", 12), ("tdoa-random", 7), ("tdoa-random", 12)]
    assert all(r["latency_ms_p95"] >= r["latency_ms_p50"] > 0 for r in report["rows"])
    assert [g["name"] for g in report["growth"]] == ["tdoa", "tdoa-random"]
    assert all(np.isfinite(g["latency_p95_exponent"]) for g in report["growth"])


def test_bad_arguments_are_invalid_input() -> None:
    with pytest.raises(InvalidInput):
        run_scaling_benchmark(trials=2, scenarios=["nope"])
    with pytest.raises(InvalidInput):
        run_scaling_benchmark(trials=2, receiver_counts=(7,))


def test_cli_json() -> None:
    result = CliRunner().invoke(bench, ["localization-scaling", "--trials", "2", "--receivers", "7,10",
                                        "--scenario", "toa", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert [r["receivers"] for r in report["rows"]] == [7, 10] and report["growth"][0]["name"] == "toa"
