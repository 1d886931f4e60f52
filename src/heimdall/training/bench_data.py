"""Training data-path benchmark: ``python -m heimdall.training.bench_data [--samples N] [--json]``.

Generates a measurement-level G7 dataset (``configs/datasets/g7.yaml``) as Arrow shards in a
temporary directory (refused when the disk lacks room; deleted afterwards unless ``--keep``), then
runs each measurement in its own process so that each peak resident memory (``ru_maxrss``) is its own:

- ``datapath``: the streamed path, shard bytes (sha256 checked) -> columns -> features, over every
  shard once as a new run's statistics pass does (``DataPlan.fit``) and then over one epoch's shuffled
  training batches (``DataPlan.epoch_batches``): samples/s of each, peak memory.
- ``baseline`` (with ``--baseline-commit``, e.g. the commit before the columnar path): the same shard
  files through the code of that commit, extracted with ``git archive``: shards -> per-sample dicts ->
  split -> layout -> per-sample features of every sample, which is what its training set up before
  the first batch (all in memory); samples/s and peak memory over ``--baseline-samples``.
- ``train`` (unless ``--no-train``): one epoch of ``heimdall.training.train`` over the whole dataset
  (a small network without refinement: what is measured is the data path and memory, not accuracy).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[3]
G7_CONFIG = REPO_ROOT / "configs" / "datasets" / "g7.yaml"
SHARD_SAMPLES = 4096
BYTES_PER_SAMPLE = 600  # Arrow shard of G7 at measurement level: ~585 bytes per sample
DATASET = "bench"

# The old path, run with the baseline commit's sources on sys.path: what its training did with the
# samples before the first batch (services.model_datasets.load_samples, then training.loop._setup).
BASELINE_SCRIPT = textwrap.dedent("""
    import hashlib, json, resource, sys, time
    from pathlib import Path
    from heimdall.nn.features import build_features, targets_en_m
    from heimdall.nn.layout import layout_from_measurement_sets
    from heimdall.services.model_datasets import training_sample
    from heimdall.synth import read_shard
    from heimdall.training.data import measurement_sets_of, split_by_id
    refs = json.loads(Path(sys.argv[1]).read_text())[: int(sys.argv[2])]
    started, cpu_started = time.perf_counter(), time.process_time()
    samples = []
    for ref in refs:
        data = Path(sys.argv[3], ref["key"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == ref["sha256"]
        samples.extend(training_sample(ref["source"], s) for s in read_shard(data).to_dicts())
    train, val = split_by_id(samples, 0.1, 0)
    layout = layout_from_measurement_sets(measurement_sets_of(samples))
    for part in (train, val):
        build_features(measurement_sets_of(part), layout)
        targets_en_m([s["truth"] for s in part], layout)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    print(json.dumps({"samples": len(samples), "seconds": elapsed, "samples_per_s": len(samples) / elapsed,
                      "cpu_s": cpu, "samples_per_cpu_s": len(samples) / cpu,
                      "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0}))
""")


def generate_dataset(directory: Path, samples: int, seed: int) -> list[dict[str, Any]]:
    """Shards of ``samples`` G7 samples in ``directory``; their refs (also written to refs.json)."""
    from heimdall.synth import generate, load_config, write_shard

    base = load_config(G7_CONFIG).model_dump(mode="json")
    config = load_config({**base, "seed": seed, "num_samples": samples})
    refs = []
    for batch in generate(config, batch_size=SHARD_SAMPLES):
        data = write_shard(batch)
        start = int(batch.sample_id[0])
        key = f"shard-{start:010d}.arrow"
        (directory / key).write_bytes(data)
        refs.append({"source": DATASET, "key": key, "sha256": hashlib.sha256(data).hexdigest(),
                     "start_index": start, "count": len(batch)})
    (directory / "refs.json").write_text(json.dumps(refs))
    return refs


def _source(directory: Path) -> Any:
    from heimdall.synth import ShardRef
    from heimdall.training.data import ShardSource

    refs = [ShardRef(**r) for r in json.loads((directory / "refs.json").read_text())]
    return ShardSource(refs, lambda key: (directory / key).read_bytes())


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _timed(fn: Any) -> tuple[Any, float, float]:
    """fn()'s value, wall seconds and CPU seconds (on a shared machine the CPU time is the steadier)."""
    wall, cpu = time.perf_counter(), time.process_time()
    value = fn()
    return value, time.perf_counter() - wall, time.process_time() - cpu


def measure_datapath(directory: Path, batch_size: int, buffer: int) -> dict[str, Any]:
    from heimdall.training.batches import DataPlan

    plan = DataPlan(_source(directory), seed=0, val_fraction=0.1, shuffle_buffer_samples=buffer)
    (layout, _), fit_s, fit_cpu_s = _timed(plan.fit)
    seen, epoch_s, epoch_cpu_s = _timed(lambda: sum(len(b) for b in plan.epoch_batches(layout, 0, batch_size)))
    total = plan.n_train + plan.n_val
    return {"samples": total, "fit_pass_s": fit_s, "fit_pass_cpu_s": fit_cpu_s,
            "fit_pass_samples_per_s": total / fit_s, "fit_pass_samples_per_cpu_s": total / fit_cpu_s,
            "epoch_batches_s": epoch_s, "epoch_batches_cpu_s": epoch_cpu_s, "train_samples": seen,
            "epoch_samples_per_s": seen / epoch_s, "epoch_samples_per_cpu_s": seen / epoch_cpu_s,
            "peak_rss_mib": _peak_rss_mib()}


def measure_training(directory: Path, batch_size: int, buffer: int, threads: int) -> dict[str, Any]:
    import torch

    from heimdall.nn.config import NetworkConfig
    from heimdall.training import TrainingConfig, TrainingHooks, train

    torch.set_num_threads(threads)
    config = TrainingConfig(epochs=1, batch_size=batch_size, val_fraction=0.1, shuffle_buffer_samples=buffer,
                            eval_batch_size=8192, early_stopping_patience=None,
                            network=NetworkConfig(hidden_size=32, attention_heads=4, refine_steps=0))
    stamps: dict[str, float] = {}
    hooks = TrainingHooks(on_progress=lambda step, total: stamps.setdefault("first_step", time.perf_counter()))
    started = time.perf_counter()
    result, wall_s, cpu_s = _timed(lambda: train(config, _source(directory), hooks))
    metrics = result.history[-1]
    return {"wall_s": wall_s, "cpu_s": cpu_s, "setup_s": stamps["first_step"] - started,
            "train_samples_per_s": metrics["samples_per_s"], "val_median_error_m": metrics["median_error_m"],
            "val_loss": metrics["val_loss"], "peak_rss_mib": _peak_rss_mib(), "torch_threads": threads}


def _child(args: list[str], env_path: str | None = None, timeout_s: float = 6 * 3600) -> dict[str, Any]:
    import os

    env = dict(os.environ)
    if env_path is not None:
        env["PYTHONPATH"] = env_path
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, timeout=timeout_s,
                          check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{args[:3]} failed: {done.stderr[-2000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def measure_baseline(directory: Path, commit: str, samples: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="heimdall-baseline-") as old:
        archive = subprocess.run(["git", "-C", str(REPO_ROOT), "archive", commit, "src"], capture_output=True,
                                 check=True).stdout
        subprocess.run(["tar", "-x", "-C", old], input=archive, check=True)
        shards = max(1, -(-samples // SHARD_SAMPLES))
        result = _child(["-c", BASELINE_SCRIPT, str(directory / "refs.json"), str(shards), str(directory)],
                        env_path=str(Path(old) / "src"))
    return {**result, "commit": commit}


def _check_disk(directory: Path, samples: int) -> None:
    needed = int(samples * BYTES_PER_SAMPLE * 1.2)
    free = shutil.disk_usage(directory).free
    if free < needed:
        raise SystemExit(f"heimdall: {samples} samples need ~{needed / 2**30:.1f} GiB in {directory}, "
                         f"{free / 2**30:.1f} GiB free")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--samples", type=int, default=10_000_000)
    parser.add_argument("--dir", type=Path, help="where to put the dataset (default: a new temporary directory)")
    parser.add_argument("--keep", action="store_true", help="keep the dataset afterwards")
    parser.add_argument("--reuse", action="store_true", help="use the dataset already in --dir")
    parser.add_argument("--baseline-commit", help="also run the data path of this commit (git archive)")
    parser.add_argument("--baseline-samples", type=int, default=100_000)
    parser.add_argument("--no-train", action="store_true", help="skip the one-epoch training run")
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--shuffle-buffer", type=int, default=65_536)
    parser.add_argument("--threads", type=int, default=1, help="torch threads of the training run")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--json", action="store_true", help="print only the JSON report")
    parser.add_argument("--phase", choices=("datapath", "train"), help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if args.phase is not None:  # a child process: one measurement, one JSON line
        measure = measure_datapath(args.dir, args.batch_size, args.shuffle_buffer) if args.phase == "datapath" \
            else measure_training(args.dir, args.batch_size, args.shuffle_buffer, args.threads)
        print(json.dumps(measure))
        return
    directory = args.dir or Path(tempfile.mkdtemp(prefix="heimdall-bench-data-"))
    directory.mkdir(parents=True, exist_ok=True)
    log = (lambda line: None) if args.json else (lambda line: print(line, flush=True))
    try:
        report = _run(args, directory, log)
    finally:
        if not args.keep:
            shutil.rmtree(directory, ignore_errors=True)
    print(json.dumps(report, indent=2))


def _run(args: argparse.Namespace, directory: Path, log: Any) -> dict[str, Any]:
    report: dict[str, Any] = {"samples": args.samples, "batch_size": args.batch_size,
                              "shuffle_buffer_samples": args.shuffle_buffer}
    if not args.reuse:
        _check_disk(directory, args.samples)
        log(f"generating {args.samples} G7 samples into {directory} ...")
        started = time.perf_counter()
        refs = generate_dataset(directory, args.samples, args.seed)
        report["generate_s"] = time.perf_counter() - started
        report["dataset_bytes"] = sum((directory / r["key"]).stat().st_size for r in refs)
    common = ["--dir", str(directory), "--batch-size", str(args.batch_size),
              "--shuffle-buffer", str(args.shuffle_buffer), "--threads", str(args.threads)]
    log("streamed data path ...")
    report["datapath"] = _child(["-m", "heimdall.training.bench_data", "--phase", "datapath", *common])
    if args.baseline_commit:
        log(f"baseline data path of {args.baseline_commit} on {args.baseline_samples} samples ...")
        report["baseline"] = measure_baseline(directory, args.baseline_commit, args.baseline_samples)
        new, old = report["datapath"], report["baseline"]
        report["speedup_wall"] = new["fit_pass_samples_per_s"] / old["samples_per_s"]
        report["speedup_cpu"] = new["fit_pass_samples_per_cpu_s"] / old["samples_per_cpu_s"]
    if not args.no_train:
        log("one training epoch ...")
        report["train"] = _child(["-m", "heimdall.training.bench_data", "--phase", "train", *common])
    return report


if __name__ == "__main__":
    main()
