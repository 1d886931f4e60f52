"""The recordings-to-fix pipeline on synthetic KiwiSDR recordings with the impairments its error
model claims to explain (heimdall.capture.synthetic): fixes near the bound with calibrated ellipses.
A modest number of seeds here; ``python -m heimdall.capture.bench`` runs many (docs/benchmarks.md)."""

from __future__ import annotations

import numpy as np
import pytest

from heimdall.capture.scenarios import SCENARIOS, SIX_KIWIS, run_trial


@pytest.mark.parametrize(("name", "seeds", "duration_s", "least_68", "least_95"), [
    ("hf29.6-5k-six-kiwis", 8, 2.0, 3, 6),
    ("lf77.5k-500-dcf77-like", 12, 3.0, 5, 9),
])
def test_fixes_reach_the_bound_with_honest_ellipses(name: str, seeds: int, duration_s: float, least_68: int,
                                                    least_95: int) -> None:
    """Median error within 1.5x the bound's median; a calibrated estimator puts the truth inside its
    68 % ellipse fewer than ``least_68`` times with probability ~1.5 % (8 or 12 binomial trials), and
    inside its 95 % ellipse fewer than ``least_95`` times with under 1 % (the LF sky wave's heavy tail:
    0.87 at 95 % over 30 seeds in the benchmark, so its bar is lower). LF: 12 seeds of 3 s, because the
    unresolved sky wave makes single fixes scatter widely (8 seeds of 2 s: ratio 1.4, 12 of 3 s: 0.7)."""
    trials = [run_trial(SCENARIOS[name], seed, duration_s=duration_s) for seed in range(seeds)]
    errors = np.array([t.error_m for t in trials])
    bounds = np.array([t.bound_median_m for t in trials])
    inside_68, inside_95 = sum(t.inside_68 for t in trials), sum(t.inside_95 for t in trials)
    print(f"\n{name}: median error {np.median(errors):.0f} m, bound {np.median(bounds):.0f} m, "
          f"68 % {inside_68}/{seeds}, 95 % {inside_95}/{seeds}")
    assert np.median(errors) <= 1.5 * np.median(bounds)
    assert inside_68 >= least_68
    assert inside_95 >= least_95


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
