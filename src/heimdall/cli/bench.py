"""``heimdall bench``: benchmarks people and CI can run (CONTRACT section 5)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

COLUMNS = (
    ("name", "scenario", "{:<15}"), ("estimator", "estimator", "{:<24}"), ("trials", "trials", "{:>6}"),
    ("median_error_m", "median m", "{:>10.1f}"), ("p95_error_m", "p95 m", "{:>10.1f}"),
    ("crlb_median_m", "bound m", "{:>10.1f}"), ("ratio_to_crlb", "ratio", "{:>6.2f}"),
    ("coverage_68", "cov68", "{:>6.3f}"), ("coverage_95", "cov95", "{:>6.3f}"),
    ("latency_ms_p50", "p50 ms", "{:>7.1f}"), ("latency_ms_p95", "p95 ms", "{:>7.1f}"),
    ("cpu_ms_p95", "cpu95 ms", "{:>8.1f}"),
)


@click.group(help="Accuracy, calibration and latency benchmarks.")
def bench() -> None:
    pass


@bench.command(help="Localization accuracy vs the Cramer-Rao bound, ellipse coverage and latency per scenario; "
                    "the classical estimator and, side by side, neural models (deployed ones by default).")
@click.option("--quick", is_flag=True, help="Fewer trials per scenario (a smoke run).")
@click.option("--json", "as_json", is_flag=True, help="Print the CONTRACT section 5 JSON report.")
@click.option("--trials", type=click.IntRange(min=1), default=None, help="Trials per scenario (overrides defaults).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--scenario", "scenarios", multiple=True, help="Only this scenario (repeatable).")
@click.option("--no-search-area", is_flag=True,
              help="Withhold the network's area from the estimator (it then uses its own padded box).")
@click.option("--model", "model_ids", multiple=True, metavar="ID",
              help="Also judge this registered model (repeatable); replaces the deployed models.")
@click.option("--onnx", "onnx_files", multiple=True, type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Also judge this ONNX network file (repeatable); replaces the deployed models.")
@click.option("--classical-only", is_flag=True, help="Judge only the classical estimator (no registry lookup).")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Data directory whose deployed models are judged (default: HEIMDALL_DATA_DIR or ./heimdall-data).")
def localization(quick: bool, as_json: bool, trials: int | None, seed: int, scenarios: tuple[str, ...],
                 no_search_area: bool, model_ids: tuple[str, ...], onnx_files: tuple[Path, ...],
                 classical_only: bool, data_dir: Path | None) -> None:
    from tqdm import tqdm

    from heimdall.bench.localization import classical_estimator, planned_trials, run_localization_benchmark

    estimators = [classical_estimator()]
    if not classical_only:
        estimators += neural_estimators(model_ids, onnx_files, data_dir)
    total = planned_trials(trials, quick, scenarios or None, len(estimators))
    with tqdm(total=total, desc="trials", disable=as_json, leave=False) as bar:
        report = run_localization_benchmark(trials=trials, seed=seed, quick=quick,
                                            scenarios=scenarios or None, estimators=estimators,
                                            progress=bar.update, search_area=not no_search_area)
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    click.echo(format_table(report["scenarios"]))
    for skip in report["skipped"]:
        click.echo(f"skipped {skip['name']} for {skip['estimator']}: {skip['reason']}")


def neural_estimators(model_ids: tuple[str, ...], onnx_files: tuple[Path, ...], data_dir: Path | None) -> list[Any]:
    """The given ONNX files and registered models; with neither, every deployed model of the local registry.

    Without a local database (a fresh checkout) there is no registry: only the classical estimator runs,
    and nothing is created on disk. Neural code is imported only when a model is judged.
    """
    if not model_ids and not onnx_files and not _local_database_exists(data_dir):
        return []
    chosen = [(path.name, path.read_bytes()) for path in onnx_files]
    if model_ids or not onnx_files:
        chosen += _registry_models(model_ids, data_dir)
    if not chosen:
        return []
    from heimdall.bench.neural import neural_estimator

    return [neural_estimator(onnx_bytes, label) for label, onnx_bytes in chosen]


def _registry_models(model_ids: tuple[str, ...], data_dir: Path | None) -> list[tuple[str, bytes]]:
    from heimdall.cli.local import local_platform

    with local_platform(data_dir, None) as local:
        registry = local.registry
        models = [registry.get(model_id) for model_id in model_ids] if model_ids else registry.deployed()
        return [(model["name"], registry.onnx_bytes(model["id"])) for model in models]


def _local_database_exists(data_dir: Path | None) -> bool:
    from heimdall.settings import load_settings

    url = load_settings(None, data_dir=data_dir).resolved_database_url
    if not url.startswith("sqlite:///"):
        return True  # a configured server database: ask it
    return Path(url.removeprefix("sqlite:///")).exists()


def format_table(rows: list[dict[str, Any]]) -> str:
    header = " ".join(f"{title:>{_width(fmt)}}" if ">" in fmt else f"{title:<{_width(fmt)}}"
                      for _, title, fmt in COLUMNS)
    lines = [header, "-" * len(header)]
    for row in rows:
        line = " ".join(fmt.format(row[key]) for key, _, fmt in COLUMNS)
        line += f"  flagged {row['outlier_rate']:.3f}"
        if "outlier_flag_rate" in row:
            line += f" (rx3 {row['outlier_flag_rate']:.3f})"
        lines.append(line)
    return "\n".join(lines)


def _width(fmt: str) -> int:
    spec = fmt[fmt.index(":") + 2:].rstrip("}")
    return int(spec.split(".")[0])


@bench.command("localization-scaling",
               help="How localization latency grows with the number of receivers: p95 per scenario "
                    "(TDoA, TOA, RSS, AoA, fused, random TDoAs) at 7, 30, 100 and 300 receivers, and the "
                    "growth exponent k of p95 ~ N^k.")
@click.option("--trials", type=click.IntRange(min=2), default=None, help="Sets per scenario and size (default 40).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--receivers", "receivers", default="7,30,100,300", show_default=True,
              help="Comma-separated receiver counts.")
@click.option("--scenario", "scenarios", multiple=True, help="Only this scenario (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def localization_scaling(trials: int | None, seed: int, receivers: str, scenarios: tuple[str, ...],
                         as_json: bool) -> None:
    from tqdm import tqdm

    from heimdall.bench.scaling import DEFAULT_TRIALS, SCALING_SCENARIOS, run_scaling_benchmark
    from heimdall.errors import InvalidInput

    try:
        counts = [int(part) for part in receivers.split(",") if part.strip()]
    except ValueError as exc:
        raise InvalidInput(f"--receivers must be comma-separated integers, not {receivers!r}") from exc
    per_set = trials or DEFAULT_TRIALS
    total = per_set * len(counts) * len(scenarios or SCALING_SCENARIOS)
    with tqdm(total=total, desc="sets", disable=as_json, leave=False) as bar:
        report = run_scaling_benchmark(per_set, seed, counts, scenarios or None, progress=bar.update)
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    click.echo(f"{'scenario':<12} {'receivers':>9} {'p50 ms':>9} {'p95 ms':>9} {'cpu95 ms':>9}")
    for row in report["rows"]:
        click.echo(f"{row['name']:<12} {row['receivers']:>9} {row['latency_ms_p50']:>9.1f} "
                   f"{row['latency_ms_p95']:>9.1f} {row['cpu_ms_p95']:>9.1f}")
    for growth in report["growth"]:
        steps = ", ".join(f"{k:.2f}" for k in growth["cpu_p95_step_exponents"])
        click.echo(f"{growth['name']:<12} p95 ~ N^{growth['latency_p95_exponent']:.2f} "
                   f"(CPU p95 ~ N^{growth['cpu_p95_exponent']:.2f}; between sizes {steps})")
