"""``heimdall train``: train a neural localizer here and now, through the very job the server runs.

The config file holds the training config (``configs/training/toy.yaml``: ``epochs``, ``batch_size``,
``network: {...}``, ...) and may add ``name``, ``dataset_ids``, ``warm_start_model_id`` and ``dataset``
(a dataset config, inline or as a path). What to train on, in this order: ``--dataset ID`` (repeatable),
else the file's ``dataset_ids``, else a dataset generated first from ``--dataset-config`` or the file's
``dataset`` (exactly as ``heimdall dataset generate`` would). The job runs inline with a live progress
bar; the best network is registered in the local registry (``heimdall models list``), and deployed
with ``--deploy``.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

import click

from heimdall.cli.local import data_dir_option, local_platform, settings_option
from heimdall.errors import InvalidInput
from heimdall.events.publisher import Publisher
from heimdall.platform.root import Platform


@click.command()
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Training config (YAML), e.g. configs/training/toy.yaml.")
@click.option("--set", "overrides", multiple=True, metavar="KEY.PATH=VALUE",
              help="Override a config key (YAML value), e.g. --set epochs=3 --set network.hidden_size=32.")
@click.option("--dataset", "dataset_ids", multiple=True, metavar="ID", help="Train on this dataset (repeatable).")
@click.option("--dataset-config", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="Generate a dataset from this config first and train on it.")
@click.option("--name", default=None, help="Model name (default: the file's name, else <config name>-<UTC time>).")
@click.option("--deploy", "deploy_after", is_flag=True, help="Deploy the model when training completes.")
@data_dir_option
@settings_option
def train(config_path: Path, overrides: tuple[str, ...], dataset_ids: tuple[str, ...], dataset_config: Path | None,
          name: str | None, deploy_after: bool, data_dir: Path | None, settings_file: Path | None) -> None:
    """Train a model on datasets of the local database and register it."""
    raw = _read_config(config_path, overrides)
    request = {key: value for key, value in raw.items() if key != "dataset"}
    request["name"] = name or raw.get("name") or f"{config_path.stem}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}"
    with local_platform(data_dir, settings_file) as local:
        request["dataset_ids"] = list(dataset_ids) or raw.get("dataset_ids") or [
            _generate_dataset(local, dataset_config or raw.get("dataset"), request["name"])
        ]
        with _TrainingBar(local.publish):
            job = local.training.start(request)
        model = local.registry.find_by_job(job["id"])
        if model is not None and deploy_after:
            model = local.registry.deploy(model["id"])
    if model is None:
        raise click.ClickException(f"training job {job['id']} {job['status']}: {job.get('reason') or job.get('error')}")
    median = (model.get("metrics") or {}).get("median_error_m")
    click.echo(f"model {model['id']} ({model['name']}): best epoch {model['best_epoch']}, validation median error "
               f"{median if median is None else round(median, 1)} m{', deployed' if model['deployed'] else ''}; "
               f"job {job['id']} {job['status']}")


def _read_config(path: Path, overrides: tuple[str, ...]) -> dict[str, Any]:
    import yaml

    from heimdall.services.datasets.config import apply_overrides

    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidInput(f"cannot read training config {path}: {exc}", field="config") from exc
    if not isinstance(raw, dict):
        raise InvalidInput(f"training config {path} must hold a mapping", field="config")
    return apply_overrides(raw, overrides)


def _generate_dataset(local: Platform, source: Path | str | dict[str, Any] | None, name: str) -> str:
    if source is None:
        raise InvalidInput("nothing to train on: give --dataset ID, --dataset-config FILE, or 'dataset_ids' or "
                           "'dataset' in the training config", field="dataset_ids")
    from heimdall.synth import load_config

    config = load_config(source)
    click.echo(f"generating a dataset of {config.num_samples} samples first ...", err=True)
    result = local.datasets.create_from_config(config, name=f"{name}-data")
    if result["job"]["status"] != "completed":
        raise click.ClickException(f"dataset generation {result['job']['status']}: {result['job'].get('reason')}")
    return str(result["dataset"]["id"])


class _TrainingBar:
    """A tqdm bar fed by the job's own events: one bar per phase (load, train, register), epoch metrics."""

    def __init__(self, publish: Publisher) -> None:
        from tqdm import tqdm

        self._publish = publish
        self._bar = tqdm(total=0, unit="step", file=sys.stderr, dynamic_ncols=True)
        self._phase = None

    def __call__(self, envelope: dict[str, Any]) -> None:
        data = envelope["data"]
        if envelope["event"] == "job.progress":
            if data.get("phase") != self._phase:
                self._phase = data.get("phase")
                self._bar.reset(total=int(data.get("total") or 0))
                self._bar.set_description(self._phase or "train")
            self._bar.update(max(int(data["step"]) - self._bar.n, 0))
        elif envelope["event"] == "job.metrics":
            median = data.get("median_error_m")
            self._bar.set_postfix(epoch=data["epoch"], val_loss=_short(data.get("val_loss")),
                                  median_m=_short(median))

    def __enter__(self) -> Self:
        self._publish.add_listener(self)
        return self

    def __exit__(self, *_exc: object) -> None:
        self._publish.remove_listener(self)
        self._bar.close()


def _short(value: Any) -> str:
    return f"{value:.3g}" if isinstance(value, int | float) else "-"
