"""The localization benchmark of CONTRACT section 5: accuracy, calibration and latency per scenario.

Every estimator sees the very same trials (documents drawn once per scenario from a seeded
generator). Estimators are a list, so a neural one is added side by side with
``run_localization_benchmark(estimators=[classical_estimator(), neural_estimator(onnx, "name")])``
(``heimdall.bench.neural``). An estimator that raises ``NoModelAvailable`` for a scenario (a network
that does not know its receivers or modalities) is skipped for that scenario: the report lists the
pair under ``"skipped"`` with the reason, and ``"scenarios"`` only holds complete rows.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from heimdall.bench.scenarios import OUTLIER_RECEIVER, SCENARIOS, draw_trial
from heimdall.errors import NoModelAvailable
from heimdall.locate import locate, parse_measurement_set
from heimdall.locate.bounds import bound_median_m, crlb_enu_m2
from heimdall.locate.frame import LocalFrame

QUICK_TRIALS = 60


class PositionEstimate(Protocol):
    """What an estimator must return: a position, its CONTRACT 4.2 ellipses and rejected receivers."""

    @property
    def lat(self) -> float: ...
    @property
    def lon(self) -> float: ...
    @property
    def ellipses(self) -> Sequence[Any]: ...  # each with .confidence and .contains(east_m, north_m)
    @property
    def outliers(self) -> Sequence[str]: ...


@dataclass(frozen=True)
class Estimator:
    name: str
    locate: Callable[[dict[str, Any]], PositionEstimate]  # measurement-set document -> estimate


def classical_estimator() -> Estimator:
    return Estimator("classical", lambda doc: locate(parse_measurement_set(doc), with_posterior=False))


@dataclass(frozen=True)
class Trial:
    doc: dict[str, Any]
    truth_lat: float
    truth_lon: float
    bound_median_m: float


def draw_trials(name: str, count: int, seed: int, search_area: bool = True) -> list[Trial]:
    """``search_area=False`` drops the network's area from the documents (the estimator's default box)."""
    index = list(SCENARIOS).index(name)
    rng = np.random.default_rng([seed, index])
    trials = []
    for _ in range(count):
        doc, lat, lon = draw_trial(name, rng)
        if not search_area:
            doc.pop("search_area", None)
        bound = float(bound_median_m(crlb_enu_m2(parse_measurement_set(doc), lat, lon)))
        trials.append(Trial(doc, lat, lon, bound))
    return trials


def _score(estimate: PositionEstimate, trial: Trial) -> tuple[float, dict[float, bool]]:
    """Error norm of the estimate, and whether the truth lies inside each reported ellipse."""
    offset = LocalFrame(estimate.lat, estimate.lon).from_geodetic(trial.truth_lat, trial.truth_lon)
    inside = {e.confidence: e.contains(*offset) for e in estimate.ellipses}
    return float(np.hypot(*offset)), inside


def evaluate(name: str, estimator: Estimator, trials: list[Trial],
             progress: Callable[[int], object] | None = None) -> dict[str, Any]:
    errors, inside, latencies, cpu_times, flagged, any_flag = [], [], [], [], [], []
    for trial in trials:
        start, cpu_start = time.perf_counter(), time.process_time()
        estimate = estimator.locate(trial.doc)
        latencies.append(1000.0 * (time.perf_counter() - start))
        # on a shared machine wall time includes waiting for a core; CPU time does not
        cpu_times.append(1000.0 * (time.process_time() - cpu_start))
        error, within = _score(estimate, trial)
        errors.append(error)
        inside.append(within)
        flagged.append(OUTLIER_RECEIVER in estimate.outliers)
        any_flag.append(bool(estimate.outliers))
        if progress is not None:
            progress(1)
    bound = float(np.median([t.bound_median_m for t in trials]))
    median = float(np.median(errors))
    row: dict[str, Any] = {
        "name": name, "estimator": estimator.name, "trials": len(trials),
        "median_error_m": median, "p95_error_m": float(np.percentile(errors, 95)),
        "crlb_median_m": bound, "ratio_to_crlb": median / bound,
        "coverage_68": float(np.mean([w[0.68] for w in inside])),
        "coverage_95": float(np.mean([w[0.95] for w in inside])),
        "latency_ms_p50": float(np.percentile(latencies, 50)),
        "latency_ms_p95": float(np.percentile(latencies, 95)),
        "cpu_ms_p50": float(np.percentile(cpu_times, 50)),
        "cpu_ms_p95": float(np.percentile(cpu_times, 95)),
        "outlier_rate": float(np.mean(any_flag)),
    }
    if name == "outlier":
        row["outlier_flag_rate"] = float(np.mean(flagged))
    return row


def run_localization_benchmark(trials: int | None = None, seed: int = 0, quick: bool = False,
                               scenarios: Sequence[str] | None = None,
                               estimators: Sequence[Estimator] | None = None,
                               progress: Callable[[int], object] | None = None,
                               search_area: bool = True) -> dict[str, Any]:
    """Run every (scenario, estimator) pair; ``trials`` overrides each scenario's minimum count."""
    names = list(scenarios or SCENARIOS)
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        from heimdall.errors import InvalidInput

        raise InvalidInput(f"unknown scenario(s) {unknown}; known: {list(SCENARIOS)}", field="scenarios")
    chosen = list(estimators or [classical_estimator()])
    rows, skipped = [], []
    for name in names:
        count = trials or (QUICK_TRIALS if quick else SCENARIOS[name].min_trials)
        drawn = draw_trials(name, count, seed, search_area)
        for estimator in chosen:
            done = _Counter(progress)
            try:
                rows.append(evaluate(name, estimator, drawn, done))
            except NoModelAvailable as exc:
                skipped.append({"name": name, "estimator": estimator.name, "reason": exc.message})
                if progress is not None:
                    progress(len(drawn) - done.count)
    return {"scenarios": rows, "skipped": skipped, "seed": seed, "quick": quick, "search_area": search_area,
            "estimators": [e.name for e in chosen]}


class _Counter:
    """Counts progress steps (to finish a skipped pair's share of the bar) and forwards them."""

    def __init__(self, progress: Callable[[int], object] | None) -> None:
        self.count = 0
        self._progress = progress

    def __call__(self, steps: int) -> None:
        self.count += steps
        if self._progress is not None:
            self._progress(steps)


def planned_trials(trials: int | None, quick: bool, scenarios: Sequence[str] | None, estimators: int = 1) -> int:
    names = list(scenarios or SCENARIOS)
    return estimators * sum(trials or (QUICK_TRIALS if quick else SCENARIOS[n].min_trials) for n in names)
