"""Recordings-to-fix benchmark: ``python -m heimdall.capture.bench [--seeds N] [--duration S]
[--scenario NAME ...] [--json]``.

For each synthetic scenario (``heimdall.capture.scenarios``): median error, the bound's median (the
CRLB of the pipeline's own measurement set at the truth, RF_NOTES section 2), their ratio, and the
coverage of the reported 68 % / 95 % ellipses over N seeds. Then the real DCF77 fixture, and the
compute time from files to fix for three receivers x 10 s (load, align, correlate, two locates).
Numbers go to docs/benchmarks.md; nothing here is asserted.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import click
import numpy as np

from heimdall.capture.fix import locate_analysis
from heimdall.capture.recordings import analyse_recordings
from heimdall.capture.scenarios import DCF77, SCENARIOS, Trial, run_trial
from heimdall.geo import geodetic_to_enu

FIXTURE = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "kiwi-dcf77"


def scenario_summary(trials: list[Trial]) -> dict[str, Any]:
    errors = np.array([t.error_m for t in trials])
    bounds = np.array([t.bound_median_m for t in trials])
    compute = np.array([t.analysis_s + t.locate_s for t in trials])
    return {
        "scenario": trials[0].scenario, "trials": len(trials), "median_error_m": float(np.median(errors)),
        "p95_error_m": float(np.quantile(errors, 0.95)), "bound_median_m": float(np.median(bounds)),
        "ratio": float(np.median(errors) / np.median(bounds)),
        "coverage_68": float(np.mean([t.inside_68 for t in trials])),
        "coverage_95": float(np.mean([t.inside_95 for t in trials])),
        "median_compute_s": float(np.median(compute)),
    }


def dcf77_fixture() -> dict[str, Any]:
    """The real recordings: distance to DCF77, where the truth lies in the ellipse, compute time."""
    receivers = {r["id"]: r for r in json.loads((FIXTURE / "receivers.json").read_text())["receivers"]}
    start = time.perf_counter()
    analysis = analyse_recordings(sorted(FIXTURE.glob("*.wav")), receivers)
    fix = locate_analysis(analysis)
    elapsed = time.perf_counter() - start
    result = fix.result
    east, north, _ = geodetic_to_enu(DCF77[0], DCF77[1], 0.0, result.lat, result.lon, 0.0)
    offset = np.array([east, north])
    mahalanobis = float(np.sqrt(offset @ np.linalg.solve(np.asarray(result.covariance_enu_m2), offset)))
    return {"lat": result.lat, "lon": result.lon, "miss_m": float(np.hypot(east, north)),
            "mahalanobis": mahalanobis, "ellipses": [e.to_dict() for e in result.ellipses],
            "tdoa": fix.measurement_set["tdoa"], "budgets": [b.to_dict() for b in analysis.budgets(fix.transmitter)],
            "compute_s": elapsed}


def speed(repeats: int) -> dict[str, Any]:
    """Files to fix for three receivers x 10 s (the DCF77-like scenario), best and median of runs."""
    scenario = replace(SCENARIOS["lf77.5k-500-dcf77-like"], duration_s=10.0)
    trials = [run_trial(scenario, 1000 + seed) for seed in range(repeats)]
    totals = sorted(t.analysis_s + t.locate_s for t in trials)
    return {"receivers": 3, "duration_s": 10.0, "best_s": totals[0], "median_s": float(np.median(totals)),
            "median_analysis_s": float(np.median([t.analysis_s for t in trials])),
            "median_locate_s": float(np.median([t.locate_s for t in trials]))}


@click.command()
@click.option("--seeds", default=40, show_default=True, help="trials per scenario")
@click.option("--duration", "duration_s", default=10.0, show_default=True, help="seconds per recording")
@click.option("--scenario", "names", multiple=True, type=click.Choice(sorted(SCENARIOS)), help="default: all")
@click.option("--speed-runs", default=5, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def main(seeds: int, duration_s: float, names: tuple[str, ...], speed_runs: int, as_json: bool) -> None:
    summaries, trials = [], []
    for name in names or sorted(SCENARIOS):
        runs = [run_trial(SCENARIOS[name], seed, duration_s) for seed in range(seeds)]
        trials += [asdict(t) for t in runs]
        summaries.append(scenario_summary(runs))
        s = summaries[-1]
        # progress on stderr under --json, so that a long run shows (and keeps) what it has
        click.echo(f"{name:26s} median {s['median_error_m']:10.1f} m  bound {s['bound_median_m']:10.1f} m  "
                   f"ratio {s['ratio']:5.2f}  cov68 {s['coverage_68']:.2f}  cov95 {s['coverage_95']:.2f}  "
                   f"p95 {s['p95_error_m']:10.1f} m  compute {s['median_compute_s']:.2f} s", err=as_json)
    report: dict[str, Any] = {"scenarios": summaries, "dcf77": dcf77_fixture(), "speed": speed(speed_runs), "trials": trials}
    if as_json:
        click.echo(json.dumps(report))
        return
    d = report["dcf77"]
    click.echo(f"DCF77 fixture: {d['lat']:.4f} N {d['lon']:.4f} E, {d['miss_m'] / 1e3:.2f} km from the transmitter, "
               f"Mahalanobis {d['mahalanobis']:.2f}, 68 % ellipse {d['ellipses'][0]['semi_major_m'] / 1e3:.1f} x "
               f"{d['ellipses'][0]['semi_minor_m'] / 1e3:.1f} km, {d['compute_s']:.2f} s")
    s = report["speed"]
    click.echo(f"3 receivers x 10 s, files to fix: best {s['best_s']:.2f} s, median {s['median_s']:.2f} s "
               f"(analysis {s['median_analysis_s']:.2f} s, locate {s['median_locate_s']:.2f} s)")


if __name__ == "__main__":
    main()
