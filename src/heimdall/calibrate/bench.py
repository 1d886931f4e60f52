"""Calibration benchmark: ``python -m heimdall.calibrate.bench [--trials N] [--seed S] [--quick] [--json]``.

Per scenario of ``heimdall.calibrate.scenarios`` (G7 with per-receiver offsets: timing 2 us, gain
6 dB, bearing 5 deg, normal sigmas) and per trial: fresh offsets, 5 reference captures, one
calibration, one unknown transmitter located before (the raw set) and after (``apply_calibration``).
Reports median error / bound and ellipse coverage both ways, how often the true offsets lie in
their 68 / 95 % intervals, the CPU time of one calibration, and the time to extract the
measurements of one 10 s, 7-receiver capture (what remains to compute after the last capture).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

import click
import numpy as np

from heimdall.calibrate.apply import apply_calibration
from heimdall.calibrate.fit import calibrate
from heimdall.calibrate.scenarios import CALIBRATION_SCENARIOS, CalibrationTrial, draw_calibration_trial
from heimdall.locate import locate, parse_measurement_set
from heimdall.locate.bounds import bound_median_m, crlb_enu_m2
from heimdall.locate.frame import LocalFrame
from heimdall.locate.measurement_set import MeasurementSet

QUICK_TRIALS = 60
DEFAULT_TRIALS = 500
Z_68, Z_95 = 0.994458, 1.959964  # two-sided normal quantiles


def _locate_scored(ms: MeasurementSet, trial: CalibrationTrial) -> tuple[float, bool, bool, float]:
    """Error, truth inside the 68 / 95 % ellipses, and the bound median of this set's own sigmas."""
    estimate = locate(ms, with_posterior=False)
    offset = LocalFrame(estimate.lat, estimate.lon).from_geodetic(trial.truth_lat, trial.truth_lon)
    inside = {e.confidence: e.contains(*offset) for e in estimate.ellipses}
    bound = float(bound_median_m(crlb_enu_m2(ms, trial.truth_lat, trial.truth_lon)))
    return float(np.hypot(*offset)), inside[0.68], inside[0.95], bound


def run_trial(name: str, rng: np.random.Generator, before: bool = True) -> dict[str, Any]:
    """One calibration and one unknown transmitter; ``before=False`` skips locating the raw set."""
    trial = draw_calibration_trial(name, rng)
    start = time.process_time()
    calibration = calibrate(trial.references)
    cpu_ms = 1000.0 * (time.process_time() - start)
    raw = parse_measurement_set(trial.doc)
    clean_bound = float(bound_median_m(crlb_enu_m2(raw, trial.truth_lat, trial.truth_lon)))
    z = {q: (c.offset - c.in_gauge(trial.offsets.by_quantity()[q])) / c.sigma
         for q, c in calibration.offsets.items()}
    return {"before": _locate_scored(raw, trial) if before else None,
            "after": _locate_scored(apply_calibration(raw, calibration), trial),
            "clean_bound": clean_bound, "z": z, "cpu_ms": cpu_ms}


def _side(rows: list[tuple[float, bool, bool, float]], clean_bound_m: float) -> dict[str, float]:
    errors = np.array([r[0] for r in rows])
    bound = float(np.median([r[3] for r in rows]))
    median = float(np.median(errors))
    return {"median_error_m": median, "p95_error_m": float(np.percentile(errors, 95)), "bound_m": bound,
            "ratio_to_bound": median / bound, "ratio_to_clean_bound": median / clean_bound_m,
            "coverage_68": float(np.mean([r[1] for r in rows])), "coverage_95": float(np.mean([r[2] for r in rows]))}


def evaluate_scenario(name: str, trials: int, seed: int, before: bool = True) -> dict[str, Any]:
    rng = np.random.default_rng([seed, CALIBRATION_SCENARIOS.index(name)])
    results = [run_trial(name, rng, before) for _ in range(trials)]
    clean = float(np.median([r["clean_bound"] for r in results]))
    recovery = {}
    for quantity in results[0]["z"]:
        z = np.abs(np.concatenate([r["z"][quantity] for r in results]))
        recovery[quantity] = {"offsets": int(z.size), "within_68": float(np.mean(z <= Z_68)),
                              "within_95": float(np.mean(z <= Z_95))}
    cpu = [r["cpu_ms"] for r in results]
    return {"name": name, "trials": trials, "clean_bound_m": clean,
            "before": _side([r["before"] for r in results], clean) if before else None,
            "after": _side([r["after"] for r in results], clean), "recovery": recovery,
            "calibration_cpu_ms_p50": float(np.percentile(cpu, 50)),
            "calibration_cpu_ms_p95": float(np.percentile(cpu, 95))}


def capture_extraction_s(duration_s: float = 10.0, receivers: int = 7, sample_rate_hz: float = 12_000.0,
                         seed: int = 0) -> float:
    """Wall time to measure power and TDoA of one capture (receivers x duration) with ``heimdall.rf.measure``."""
    from heimdall.rf.measure import gcc_delays_against_reference, power_snr_rows
    from heimdall.rf.signals import generate_signal

    rng = np.random.default_rng(seed)
    n = int(duration_s * sample_rate_hz)
    base = generate_signal("nbfm_voice", rng, duration_s + 0.1, sample_rate_hz)[: n + 600]
    shifts = rng.integers(0, 500, receivers)
    iq = np.stack([base[s: s + n] for s in shifts]).astype(np.complex64)
    iq += (0.05 * (rng.standard_normal(iq.shape) + 1j * rng.standard_normal(iq.shape))).astype(np.complex64)
    start = time.perf_counter()
    power_snr_rows(iq, sample_rate_hz, 12_500.0 if sample_rate_hz > 12_500.0 else None)
    gcc_delays_against_reference(iq - iq.mean(axis=1, keepdims=True), sample_rate_hz, reference=0,
                                 max_delay_s=1e-3, weighting="ml")
    return time.perf_counter() - start


def run_calibration_benchmark(trials: int | None = None, seed: int = 0, quick: bool = False,
                              scenarios: Sequence[str] | None = None) -> dict[str, Any]:
    names = list(scenarios or CALIBRATION_SCENARIOS)
    unknown = [n for n in names if n not in CALIBRATION_SCENARIOS]
    if unknown:
        from heimdall.errors import InvalidInput

        raise InvalidInput(f"unknown scenario(s) {unknown}; known: {list(CALIBRATION_SCENARIOS)}", field="scenarios")
    count = trials or (QUICK_TRIALS if quick else DEFAULT_TRIALS)
    rows = [evaluate_scenario(name, count, seed) for name in names]
    return {"scenarios": rows, "seed": seed, "trials": count, "capture_extraction_s": capture_extraction_s()}


def _table(report: dict[str, Any]) -> str:
    lines = ["scenario | side | median m | bound m | ratio | vs clean | cov68 | cov95",
             "---|---|---|---|---|---|---|---"]
    for row in report["scenarios"]:
        for side in ("before", "after"):
            s = row[side]
            lines.append(f"{row['name']} | {side} | {s['median_error_m']:.1f} | {s['bound_m']:.1f} | "
                         f"{s['ratio_to_bound']:.2f} | {s['ratio_to_clean_bound']:.2f} | "
                         f"{s['coverage_68']:.3f} | {s['coverage_95']:.3f}")
    lines.append("")
    for row in report["scenarios"]:
        rec = ", ".join(f"{q} {v['within_68']:.3f}/{v['within_95']:.3f} (n={v['offsets']})"
                        for q, v in row["recovery"].items())
        lines.append(f"{row['name']}: offsets within 68/95 %: {rec}; calibration cpu p50 "
                     f"{row['calibration_cpu_ms_p50']:.1f} ms, p95 {row['calibration_cpu_ms_p95']:.1f} ms")
    lines.append(f"extraction of one 10 s x 7-receiver capture: {report['capture_extraction_s']:.2f} s")
    return "\n".join(lines)


@click.command()
@click.option("--trials", type=int, default=None, help=f"trials per scenario (default {DEFAULT_TRIALS})")
@click.option("--seed", type=int, default=0)
@click.option("--quick", is_flag=True, help=f"{QUICK_TRIALS} trials per scenario")
@click.option("--scenario", "scenarios", multiple=True, type=click.Choice(CALIBRATION_SCENARIOS))
@click.option("--json", "as_json", is_flag=True)
def main(trials: int | None, seed: int, quick: bool, scenarios: tuple[str, ...], as_json: bool) -> None:
    report = run_calibration_benchmark(trials, seed, quick, scenarios or None)
    click.echo(json.dumps(report, indent=2) if as_json else _table(report))


if __name__ == "__main__":
    main()
