"""``heimdall dataset``: generate a synthetic dataset locally (no server), list, show and verify them.

``generate`` runs the very ``dataset.generate`` job the server runs, on the local platform with jobs
run inline (``heimdall.cli.local``), into the data directory's database and blob store (or the
configured ones), so a later ``heimdall serve`` on the same data directory lists the dataset and can
train on it.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

import click

from heimdall.cli.local import data_dir_option, local_platform, settings_option
from heimdall.errors import Conflict, InvalidInput
from heimdall.events.publisher import Publisher
from heimdall.platform.root import Platform


@click.group()
def dataset() -> None:
    """Synthetic datasets: generate (locally), list, show, verify."""


@dataset.command()
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Dataset config (YAML), e.g. configs/datasets/toy.yaml.")
@click.option("--set", "overrides", multiple=True, metavar="KEY.PATH=VALUE",
              help="Override a config key (YAML value), e.g. --set num_samples=500 --set propagation.model=free_space.")
@click.option("--name", default=None, help="Dataset name (unique; default: <config name>-<UTC time>).")
@click.option("--shard-size", type=click.IntRange(1, 65536), default=None, help="Samples per shard (default 4096; at least 64, or 1 for IQ datasets).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Also copy the shards and a dataset.json manifest into this directory.")
@data_dir_option
@settings_option
def generate(config_path: Path, overrides: tuple[str, ...], name: str | None, shard_size: int | None,
             out: Path | None, data_dir: Path | None, settings_file: Path | None) -> None:
    """Generate a dataset here and now, with a progress bar, and register it in the local database."""
    import yaml

    from heimdall.services.datasets.config import apply_overrides
    from heimdall.synth import load_config

    try:
        raw = yaml.safe_load(config_path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidInput(f"cannot read dataset config {config_path}: {exc}", field="config") from exc
    if not isinstance(raw, dict):
        raise InvalidInput(f"dataset config {config_path} must hold a mapping", field="config")
    config = load_config(apply_overrides(raw, overrides))
    name = name or f"{config_path.stem}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}"
    with local_platform(data_dir, settings_file) as local, _ProgressBar(local.publish, config.num_samples):
        try:
            result = local.datasets.create_from_config(config, name=name, shard_size=shard_size)
        except Conflict as exc:
            raise click.UsageError(exc.message) from exc
        created, job = local.datasets.get(result["dataset"]["id"]), result["job"]
        if out is not None and created["status"] == "ready":
            _export(local, created, out)
    _print_summary(created, job)
    if job["status"] != "completed":
        raise click.ClickException(f"generation {job['status']}: {job.get('reason') or job.get('error')}")


@dataset.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON page instead of a table.")
@data_dir_option
@settings_option
def list_datasets(as_json: bool, data_dir: Path | None, settings_file: Path | None) -> None:
    """List the datasets of the local database (newest first)."""
    with local_platform(data_dir, settings_file) as local:
        page = local.datasets.list(limit=1000)
    if as_json:
        click.echo(json.dumps(page, indent=2))
        return
    click.echo(f"{'id':36}  {'status':10}  {'samples':>17}  name")
    for item in page["items"]:
        counts = f"{item['num_samples']}/{item['requested_samples']}"
        click.echo(f"{item['id']:36}  {item['status']:10}  {counts:>17}  {item['name']}")
    click.echo(f"{page['total']} dataset(s)")


@dataset.command()
@click.argument("dataset_id")
@data_dir_option
@settings_option
def show(dataset_id: str, data_dir: Path | None, settings_file: Path | None) -> None:
    """Print one dataset as JSON (config, shards, statistics summary, validation)."""
    with local_platform(data_dir, settings_file) as local:
        click.echo(json.dumps(local.datasets.get(dataset_id), indent=2))


@dataset.command()
@click.argument("dataset_id")
@data_dir_option
@settings_option
def verify(dataset_id: str, data_dir: Path | None, settings_file: Path | None) -> None:
    """Re-read every shard: sha256, counts, contiguous ids and physics. Exit 2 on any failure."""
    with local_platform(data_dir, settings_file) as local:
        report = local.datasets.validate(dataset_id)
    checks = report["physics"]["checks"]
    click.echo(f"dataset {dataset_id}: {report['samples_found']}/{report['num_samples']} samples in "
               f"{report['shards']['checked']}/{report['shards']['total']} shards")
    for check_name, check in sorted(checks.items()):
        click.echo(f"  {check_name}: {check['failures']} failures of {check['checked']} checked")
    if not report["ok"]:
        first = report["problems"][0] if report["problems"] else "a check failed"
        raise InvalidInput(f"dataset {dataset_id} failed verification ({report['problem_count']} problems): {first}")
    click.echo("ok")


class _ProgressBar:
    """A tqdm bar fed by the job's own ``job.progress`` events (the same ones the web app shows)."""

    def __init__(self, publish: Publisher, total: int) -> None:
        from tqdm import tqdm

        self._publish = publish
        self._bar = tqdm(total=total, unit="sample", file=sys.stderr, dynamic_ncols=True)

    def __call__(self, envelope: dict[str, Any]) -> None:
        if envelope["event"] == "job.progress":
            data = envelope["data"]
            self._bar.set_description(data.get("phase") or "generate")
            self._bar.update(max(int(data["step"]) - self._bar.n, 0))

    def __enter__(self) -> Self:
        self._publish.add_listener(self)
        return self

    def __exit__(self, *_exc: object) -> None:
        self._publish.remove_listener(self)
        self._bar.close()


def _export(local: Platform, dataset: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for shard in dataset["shards"]:
        for key in filter(None, (shard["key"], shard.get("iq_key"))):
            (out / key.rsplit("/", 1)[-1]).write_bytes(local.blobs.get_bytes(key))
    (out / "dataset.json").write_text(json.dumps(dataset, indent=2))


def _print_summary(dataset: dict[str, Any], job: dict[str, Any]) -> None:
    validation = dataset.get("validation") or {}
    click.echo(f"dataset {dataset['id']} ({dataset['name']}): {dataset['status']}, "
               f"{dataset['num_samples']} samples in {len(dataset['shards'])} shards, "
               f"valid: {validation.get('ok')}, job {job['id']} {job['status']}")
