"""The recordings-to-fix pipeline on synthetic KiwiSDR recordings with the impairments its error
model claims to explain (heimdall.capture.synthetic): fixes near the bound with calibrated ellipses.
A modest number of seeds here; ``python -m heimdall.capture.bench`` runs many (docs/benchmarks.md)."""

from __future__ import annotations

import numpy as np
import pytest

from heimdall.capture.scenarios import SCENARIOS, SIX_KIWIS, run_trial

SEEDS = range(8)


@pytest.mark.parametrize("name", ["hf29.6-5k-six-kiwis", "lf77.5k-500-dcf77-like"])
def test_fixes_reach_the_bound_with_honest_ellipses(name: str) -> None:
    """Median error within 1.5x the bound's median; over 8 seeds a calibrated estimator puts the
    truth inside its 68 % ellipse at least 3 times (P(fewer) = 1.3 %) and inside its 95 % ellipse at
    least 6 times (P(fewer) = 0.6 %)."""
    trials = [run_trial(SCENARIOS[name], seed, duration_s=2.0) for seed in SEEDS]
    errors = np.array([t.error_m for t in trials])
    bounds = np.array([t.bound_median_m for t in trials])
    print(f"\n{name}: median error {np.median(errors):.0f} m, bound {np.median(bounds):.0f} m, "
          f"68 % {sum(t.inside_68 for t in trials)}/8, 95 % {sum(t.inside_95 for t in trials)}/8")
    assert np.median(errors) <= 1.5 * np.median(bounds)
    assert sum(t.inside_68 for t in trials) >= 3
    assert sum(t.inside_95 for t in trials) >= 6


def test_the_issues_29_6_mhz_case_has_no_sky_wave_term(tmp_path) -> None:
    """Six Kiwis 60-180 km from a 5 kHz wide 29.6 MHz signal: no sky wave can come down that close
    at that frequency, so no receiver carries one; the ellipse is a few hundred metres, not 185 km."""
    from heimdall.capture.fix import locate_analysis
    from heimdall.capture.recordings import analyse_recordings
    from heimdall.capture.synthetic import synthesise

    capture = synthesise(SCENARIOS["hf29.6-5k-six-kiwis"], 3, tmp_path)
    analysis = analyse_recordings(capture.paths, capture.receivers)
    fix = locate_analysis(analysis)
    budgets = analysis.budgets(fix.transmitter)
    assert [b.id for b in budgets] == [station for station, _, _ in SIX_KIWIS]
    assert all(b.sky_wave_s == 0.0 and b.sky_layers == () for b in budgets)
    assert all(b.total_s < 1.2e-6 for b in budgets)  # receiver delay (1 us), GNSS, noise
    assert all(40e3 < b.distance_m < 200e3 for b in budgets)
    assert fix.result.ellipses[1].semi_major_m < 2_000
