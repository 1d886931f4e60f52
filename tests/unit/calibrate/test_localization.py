"""Localization of unknown transmitters by a network with injected offsets (G7 scenarios, timing
2 us, gain 6 dB, bearing 5 deg per receiver), calibrated from five known-source captures.

After calibration: median error <= 1.2x the bound, ellipses calibrated. Before: how far off.
Bands are those a few hundred trials can resolve; ``python -m heimdall.calibrate.bench`` measures
the 65-71 / 93-97 % targets on 1000 trials per scenario (docs/benchmarks.md).
"""

from __future__ import annotations

import numpy as np
import pytest

from heimdall.calibrate.bench import evaluate_scenario
from heimdall.calibrate.scenarios import CALIBRATION_SCENARIOS

pytestmark = pytest.mark.slow
AFTER_TRIALS = 120
BEFORE_TRIALS = 20


@pytest.fixture(scope="module")
def after() -> dict[str, dict]:
    return {name: evaluate_scenario(name, AFTER_TRIALS, seed=1, before=False) for name in CALIBRATION_SCENARIOS}


@pytest.mark.parametrize("name", CALIBRATION_SCENARIOS)
def test_after_calibration_the_error_returns_to_the_bound(after, name):
    row = after[name]["after"]
    assert row["ratio_to_bound"] <= 1.2, row
    assert 0.55 <= row["coverage_68"] <= 0.81 and 0.90 <= row["coverage_95"] <= 0.99, row


def test_after_calibration_the_ellipses_are_calibrated_over_all_scenarios(after):
    trials = AFTER_TRIALS * len(CALIBRATION_SCENARIOS)
    coverage_68 = np.mean([after[n]["after"]["coverage_68"] for n in CALIBRATION_SCENARIOS])
    coverage_95 = np.mean([after[n]["after"]["coverage_95"] for n in CALIBRATION_SCENARIOS])
    # two standard errors at 600 trials: about +-3.8 % and +-1.8 %
    assert abs(coverage_68 - 0.68) <= 2 * np.sqrt(0.68 * 0.32 / trials), coverage_68
    assert abs(coverage_95 - 0.95) <= 2 * np.sqrt(0.95 * 0.05 / trials), coverage_95


@pytest.mark.parametrize(("name", "min_ratio", "max_coverage_95"), [
    ("tdoa-pairs", 5.0, 0.2),
    ("aoa-3deg", 1.4, 0.8),
    ("fused", 3.0, 0.3),
])
def test_before_calibration_the_same_network_is_far_off(name, min_ratio, max_coverage_95):
    row = evaluate_scenario(name, BEFORE_TRIALS, seed=1)
    before, calibrated = row["before"], row["after"]
    assert before["ratio_to_bound"] >= min_ratio and before["coverage_95"] <= max_coverage_95, before
    assert before["median_error_m"] > 1.3 * calibrated["median_error_m"]
