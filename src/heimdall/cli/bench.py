"""``heimdall bench``: benchmarks people and CI can run (CONTRACT section 5)."""

from __future__ import annotations

import json

import click

COLUMNS = (
    ("name", "scenario", "{:<15}"), ("estimator", "estimator", "{:<10}"), ("trials", "trials", "{:>6}"),
    ("median_error_m", "median m", "{:>10.1f}"), ("p95_error_m", "p95 m", "{:>10.1f}"),
    ("crlb_median_m", "bound m", "{:>10.1f}"), ("ratio_to_crlb", "ratio", "{:>6.2f}"),
    ("coverage_68", "cov68", "{:>6.3f}"), ("coverage_95", "cov95", "{:>6.3f}"),
    ("latency_ms_p50", "p50 ms", "{:>7.1f}"), ("latency_ms_p95", "p95 ms", "{:>7.1f}"),
    ("cpu_ms_p95", "cpu95 ms", "{:>8.1f}"),
)


@click.group(help="Accuracy, calibration and latency benchmarks.")
def bench() -> None:
    pass


@bench.command(help="Localization accuracy vs the Cramer-Rao bound, ellipse coverage and latency per scenario.")
@click.option("--quick", is_flag=True, help="Fewer trials per scenario (a smoke run).")
@click.option("--json", "as_json", is_flag=True, help="Print the CONTRACT section 5 JSON report.")
@click.option("--trials", type=click.IntRange(min=1), default=None, help="Trials per scenario (overrides defaults).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--scenario", "scenarios", multiple=True, help="Only this scenario (repeatable).")
@click.option("--no-search-area", is_flag=True,
              help="Withhold the network's area from the estimator (it then uses its own padded box).")
def localization(quick: bool, as_json: bool, trials: int | None, seed: int, scenarios: tuple[str, ...],
                 no_search_area: bool) -> None:
    from tqdm import tqdm

    from heimdall.bench.localization import planned_trials, run_localization_benchmark

    total = planned_trials(trials, quick, scenarios or None)
    with tqdm(total=total, desc="trials", disable=as_json, leave=False) as bar:
        report = run_localization_benchmark(trials=trials, seed=seed, quick=quick,
                                            scenarios=scenarios or None, progress=bar.update,
                                            search_area=not no_search_area)
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    click.echo(format_table(report["scenarios"]))


def format_table(rows: list[dict]) -> str:
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
