"""``heimdall models``: the local model registry: list, show, deploy, export and import bundles.

Works on the data directory's database and blob store (or the configured ones), like ``heimdall
dataset``; a running ``heimdall serve`` on the same data sees every change at its next request.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from heimdall.cli.local import data_dir_option, local_platform, settings_option


@click.group()
def models() -> None:
    """The model registry: list, show, deploy, export, import."""


@models.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON page instead of a table.")
@data_dir_option
@settings_option
def list_models(as_json: bool, data_dir: Path | None, settings_file: Path | None) -> None:
    """List the registered models (newest first)."""
    with local_platform(data_dir, settings_file) as local:
        page = local.registry.list(limit=1000)
    if as_json:
        click.echo(json.dumps(page, indent=2))
        return
    click.echo(f"{'id':36}  {'deployed':8}  {'median_m':>9}  {'epoch':>5}  name")
    for item in page["items"]:
        click.echo(_row(item))
    click.echo(f"{page['total']} model(s)")


@models.command()
@click.argument("model_id")
@data_dir_option
@settings_option
def show(model_id: str, data_dir: Path | None, settings_file: Path | None) -> None:
    """Print one model as JSON."""
    with local_platform(data_dir, settings_file) as local:
        click.echo(json.dumps(local.registry.get(model_id), indent=2))


@models.command()
@click.argument("model_id")
@data_dir_option
@settings_option
def deploy(model_id: str, data_dir: Path | None, settings_file: Path | None) -> None:
    """Make MODEL_ID the model /localize uses for its network."""
    with local_platform(data_dir, settings_file) as local:
        model = local.registry.deploy(model_id)
    click.echo(f"deployed {model['id']} ({model['name']})")


@models.command(name="export")
@click.argument("model_id")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Bundle file to write (.zip).")
@data_dir_option
@settings_option
def export_model(model_id: str, out: Path, data_dir: Path | None, settings_file: Path | None) -> None:
    """Write MODEL_ID as one portable bundle (zip: manifest.json, model.onnx, checkpoint.pt)."""
    from heimdall.services.models.bundle import export_bundle

    with local_platform(data_dir, settings_file) as local:
        data = export_bundle(local.registry, model_id)
    out.write_bytes(data)
    click.echo(f"wrote {out} ({len(data)} bytes)")


@models.command(name="import")
@click.argument("bundle", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--name", default=None, help="Register under this name (default: the bundle's).")
@data_dir_option
@settings_option
def import_model(bundle: Path, name: str | None, data_dir: Path | None, settings_file: Path | None) -> None:
    """Register the model of a bundle made by 'heimdall models export' (or GET /models/{id}/export)."""
    from heimdall.services.models.bundle import BundleLimits, import_bundle

    with local_platform(data_dir, settings_file) as local:
        limits = BundleLimits.of(local.settings.max_bundle_bytes, local.settings.max_bundle_compression_ratio)
        model = import_bundle(local.registry, bundle.read_bytes(), name=name, limits=limits)
    click.echo(f"imported {model['id']} ({model['name']})")


def _row(item: dict[str, Any]) -> str:
    median = (item.get("metrics") or {}).get("median_error_m")
    median_text = f"{median:9.0f}" if isinstance(median, int | float) else f"{'-':>9}"
    epoch = item.get("best_epoch")
    return (f"{item['id']:36}  {'yes' if item['deployed'] else 'no':8}  {median_text}  "
            f"{epoch if epoch is not None else '-':>5}  {item['name']}")
