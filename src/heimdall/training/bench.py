"""Neural localizer benchmark: ``python -m heimdall.training.bench [--quick] [--json]``.

Trains on G7 ``rss-8db`` (and ``toa-voice-20db``) samples on this CPU, then judges the best network
on fresh trials of the same scenario against the classical estimator and the Cramer-Rao bound, and
times ONNX Runtime inference. Numbers go to docs/benchmarks.md ("Neural localizer").
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from heimdall.geo import geodetic_to_ecef
from heimdall.inference import OnnxPredictor
from heimdall.locate import locate, parse_measurement_set
from heimdall.locate.bounds import bound_median_m, crlb_enu_m2
from heimdall.nn.config import NetworkConfig
from heimdall.nn.features import build_features
from heimdall.training.config import TrainingConfig
from heimdall.training.export import export_onnx
from heimdall.training.loop import TrainingHooks, train
from heimdall.training.metrics import CHI2_2D
from heimdall.training.scenario_samples import scenario_samples


@dataclass(frozen=True)
class BenchPlan:
    train_samples: int
    test_trials: int
    epochs: int
    time_budget_s: float  # training time of the first scenario; later ones get half of it
    classical_trials: int


FULL = BenchPlan(train_samples=40_000, test_trials=600, epochs=40, time_budget_s=10 * 60.0, classical_trials=600)
QUICK = BenchPlan(train_samples=3_000, test_trials=100, epochs=4, time_budget_s=60.0, classical_trials=30)


def bench_config(plan: BenchPlan, seed: int) -> TrainingConfig:
    return TrainingConfig(
        seed=seed, epochs=plan.epochs, batch_size=256, learning_rate=2e-3, weight_decay=1e-4,
        warmup_fraction=0.03, min_lr_fraction=0.02, grad_clip_norm=1.0, val_fraction=0.1,
        early_stopping_patience=8, pause_check_every=8,
        network=NetworkConfig(hidden_size=64, encoder_layers=2, attention_blocks=1, attention_heads=4,
                              head_layers=2, mixture_components=3),
    )


def train_scenario(
    name: str, plan: BenchPlan, seed: int, budget_s: float, log: Callable[[str], None]
) -> tuple[bytes, dict[str, Any]]:
    """Train within the time budget (a pause hook stops it; the best epoch's weights are kept)."""
    samples = scenario_samples(name, plan.train_samples, np.random.default_rng(seed), id_prefix=f"{name}-")
    started = time.perf_counter()
    epochs: list[dict[str, Any]] = []

    def on_epoch(epoch: int, metrics: dict[str, Any]) -> None:
        epochs.append(metrics)
        log(f"  {name} epoch {epoch}: val_loss {metrics['val_loss']:.3f} median {metrics['median_error_m']:.0f} m")

    hooks = TrainingHooks(
        on_epoch=on_epoch,
        should_pause=lambda: time.perf_counter() - started > budget_s,
    )
    result = train(bench_config(plan, seed), samples, hooks)
    info = {
        "train_samples": plan.train_samples, "epochs_run": len(epochs), "status": result.status,
        "best_epoch": result.best_epoch, "train_wall_s": round(time.perf_counter() - started, 1),
        "samples_per_s": round(float(np.median([m["samples_per_s"] for m in epochs])), 0),
    }
    return export_onnx(result.checkpoint), info


def judge(predictor: OnnxPredictor, name: str, trials: int, classical_trials: int, seed: int) -> dict[str, Any]:
    tests = scenario_samples(name, trials, np.random.default_rng(seed), id_prefix="test-")
    sets = [parse_measurement_set(t["measurement_set"]) for t in tests]
    truth = np.array([[t["truth"]["lat"], t["truth"]["lon"]] for t in tests])
    results = predictor.predict_batch(sets)
    error_m = _error_m(np.array([[r["lat"], r["lon"]] for r in results]), truth)
    cov = np.array([r["covariance_enu_m2"] for r in results])
    d = _offset_en_m(truth, np.array([[r["lat"], r["lon"]] for r in results]))
    mahalanobis2 = np.einsum("ni,nij,nj->n", d, np.linalg.inv(cov), d)
    bound = np.array([bound_median_m(crlb_enu_m2(s, la, lo)) for s, (la, lo) in zip(sets, truth, strict=False)])
    report: dict[str, Any] = {
        "name": name, "trials": trials,
        "median_error_m": float(np.median(error_m)), "p95_error_m": float(np.quantile(error_m, 0.95)),
        "crlb_median_m": float(np.median(bound)), "coverage_68": float(np.mean(mahalanobis2 <= CHI2_2D[0.68])),
        "coverage_95": float(np.mean(mahalanobis2 <= CHI2_2D[0.95])),
    }
    report["ratio_to_crlb"] = report["median_error_m"] / report["crlb_median_m"]
    if classical_trials:
        classical = [locate(s, with_posterior=False) for s in sets[:classical_trials]]
        c_err = _error_m(np.array([[c.lat, c.lon] for c in classical]), truth[:classical_trials])
        report["classical_trials"] = classical_trials
        report["classical_median_error_m"] = float(np.median(c_err))
        report["neural_median_error_m_same_trials"] = float(np.median(error_m[:classical_trials]))
    return report


def latency(predictor: OnnxPredictor, name: str, seed: int) -> dict[str, float]:
    docs = [s["measurement_set"] for s in scenario_samples(name, 512, np.random.default_rng(seed))]
    sets = [parse_measurement_set(doc) for doc in docs]
    features = build_features(sets, predictor.layout)
    one = features[:1]
    for _ in range(50):
        predictor.predict_features(one)
    onnx_ms = _timed_ms(lambda: predictor.predict_features(one), 2000)
    full_ms = _timed_ms(lambda: predictor.predict(parse_measurement_set(docs[0])), 500)
    big = np.repeat(features, 16, axis=0)  # 8192 rows
    batched_s = min(_timed_ms(lambda: predictor.predict_features(big), 3, reduce=np.min) for _ in range(3)) / 1e3
    end_to_end_s = _timed_ms(lambda: predictor.predict_batch([parse_measurement_set(d) for d in docs]), 3,
                             reduce=np.min) / 1e3
    return {
        "onnx_batch1_ms_p50": float(np.median(onnx_ms)), "onnx_batch1_ms_p95": float(np.quantile(onnx_ms, 0.95)),
        "predict_batch1_ms_p50": float(np.median(full_ms)),
        "onnx_batched_per_s": len(big) / batched_s, "predict_batch_end_to_end_per_s": len(sets) / end_to_end_s,
    }


def _timed_ms(fn: Any, repeats: int, reduce: Any = None) -> Any:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    return reduce(times) if reduce is not None else np.array(times)


def _offset_en_m(truth: np.ndarray, estimate: np.ndarray) -> np.ndarray:
    """East/north offset of ``estimate`` from ``truth`` in the truth's local frame (small-offset chord)."""
    lat, lon = np.radians(truth[:, 0]), np.radians(truth[:, 1])
    delta = geodetic_to_ecef(estimate[:, 0], estimate[:, 1], 0.0) - geodetic_to_ecef(truth[:, 0], truth[:, 1], 0.0)
    east = -np.sin(lon) * delta[:, 0] + np.cos(lon) * delta[:, 1]
    north = (-np.sin(lat) * np.cos(lon) * delta[:, 0] - np.sin(lat) * np.sin(lon) * delta[:, 1]
             + np.cos(lat) * delta[:, 2])
    return np.stack([east, north], axis=-1)


def _error_m(estimate: np.ndarray, truth: np.ndarray) -> np.ndarray:
    return np.linalg.norm(geodetic_to_ecef(estimate[:, 0], estimate[:, 1], 0.0)
                          - geodetic_to_ecef(truth[:, 0], truth[:, 1], 0.0), axis=-1)


def run(plan: BenchPlan, scenarios: tuple[str, ...], seed: int = 2026,
        log: Callable[[str], None] = lambda line: print(line, flush=True)) -> dict[str, Any]:
    out: dict[str, Any] = {"scenarios": []}
    for i, name in enumerate(scenarios):
        log(f"training on {name} ...")
        budget_s = plan.time_budget_s if i == 0 else plan.time_budget_s / 2
        onnx_bytes, info = train_scenario(name, plan, seed + 10 * i, budget_s, log)
        predictor = OnnxPredictor(onnx_bytes)
        report = {**judge(predictor, name, plan.test_trials, plan.classical_trials if i == 0 else 0,
                          seed + 10 * i + 1), "training": info}
        if i == 0:
            out["latency"] = latency(predictor, name, seed + 99)
        out["scenarios"].append(report)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run in about a minute")
    parser.add_argument("--json", action="store_true", help="print only the JSON report (no progress lines)")
    parser.add_argument("--scenarios", default="rss-8db,toa-voice-20db")
    parser.add_argument("--train-samples", type=int)
    parser.add_argument("--time-budget-s", type=float)
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    if args.train_samples or args.time_budget_s:
        plan = BenchPlan(args.train_samples or plan.train_samples, plan.test_trials, plan.epochs,
                         args.time_budget_s or plan.time_budget_s, plan.classical_trials)

    def quiet(line: str) -> None:
        return None

    report = run(plan, tuple(args.scenarios.split(",")), log=quiet if args.json else print)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
