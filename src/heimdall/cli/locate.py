"""``heimdall locate FILE... [--receivers R.json] [--json]`` (CONTRACT section 1)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from heimdall.locate.result import LocationResult

from heimdall.errors import InvalidInput


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--receivers", "receivers_path", type=click.Path(path_type=Path),
              help='Receiver positions: {"receivers": [{"id", "lat", "lon", "alt_m"}]}.')
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (CONTRACT section 4.2).")
def locate(files: tuple[Path, ...], receivers_path: Path | None, as_json: bool) -> None:
    """Locate a transmitter from a measurement-set JSON or from simultaneous recordings
    (KiwiSDR IQ WAV with GNSS timestamps, SigMF)."""
    from heimdall.capture.loading import recording_kind

    for path in files:
        if not path.exists() and not Path(str(path) + ".sigmf-meta").exists():
            raise InvalidInput(f"{path}: no such file")
    kinds = [recording_kind(p) for p in files]
    extra: dict[str, Any] = {}
    if "measurement_set" in kinds:
        if len(files) != 1:
            raise InvalidInput("give either one measurement-set JSON or several recordings, not both")
        result = _locate_document(_read_json(files[0]))
    else:
        result, extra = _locate_recordings(files, _read_receivers(receivers_path) if receivers_path else None)
    if as_json:
        click.echo(json.dumps({**result.to_dict(include_posterior=False), **extra}, allow_nan=False))
    else:
        click.echo(_summary(result, extra))


def _locate_document(doc: dict[str, Any]) -> LocationResult:
    from heimdall.locate import locate as run_locate
    from heimdall.locate import parse_measurement_set
    from heimdall.locate.budget import Budget
    from heimdall.settings import load_settings

    # the same budget as the API's (HEIMDALL_LOCALIZE_BUDGET_S): past it, one line and exit 1
    return run_locate(parse_measurement_set(doc), budget=Budget(load_settings().localize_budget_s))


def _locate_recordings(files: tuple[Path, ...], receivers: dict[str, dict[str, Any]] | None
                       ) -> tuple[LocationResult, dict[str, Any]]:
    from heimdall.capture.locating import recordings_measurement_set

    # the same two passes as POST /localize/recordings (sigmas evaluated again at a first fix)
    doc, diagnostics = recordings_measurement_set(files, receivers)
    return _locate_document(doc), {"recordings": diagnostics}


def _read_json(path: Path) -> dict[str, Any]:
    from heimdall.locate.limits import MAX_DOCUMENT_BYTES

    try:
        size = path.stat().st_size
        if size > MAX_DOCUMENT_BYTES:
            raise InvalidInput(f"{path}: {size} bytes, over the limit of {MAX_DOCUMENT_BYTES} bytes for a measurement set")
        doc = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"{path}: not readable JSON ({exc})") from exc
    if not isinstance(doc, dict):
        raise InvalidInput(f"{path}: expected a JSON object")
    return doc


def _read_receivers(path: Path) -> dict[str, dict[str, Any]]:
    if not path.exists():
        raise InvalidInput(f"{path}: no such file")
    entries = _read_json(path).get("receivers")
    if not isinstance(entries, list) or not all(isinstance(e, dict) and "id" in e for e in entries):
        raise InvalidInput(f'{path}: expected {{"receivers": [{{"id": ..., "lat": ..., "lon": ..., "alt_m": ...}}]}}')
    return {str(e["id"]): e for e in entries}


def _summary(result: LocationResult, extra: dict[str, Any]) -> str:
    used = ", ".join(f"{count} {kind}" for kind, count in result.used.items() if count)
    lines = [f"position: {result.lat:.5f} N, {result.lon:.5f} E  ({result.method}; {used})"]
    for e in result.ellipses:
        lines.append(f"{e.confidence:.0%} ellipse: semi-axes {e.semi_major_m / 1e3:.2f} x {e.semi_minor_m / 1e3:.2f} km, "
                     f"major axis {e.orientation_deg:.0f} deg from north")
    lines.append(f"outliers: {', '.join(result.outliers) if result.outliers else 'none'}")
    for pair in extra.get("recordings", {}).get("pairs", []):
        lines.append(f"delay {pair['receiver']} - {pair['reference']}: {pair['delay_s'] * 1e6:.1f} us "
                     f"(noise sigma {pair['noise_sigma_s'] * 1e6:.2f} us)")
    return "\n".join(lines)
