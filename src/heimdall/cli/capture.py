"""``heimdall capture --network NAME | --receiver URL ... --freq 77.5k --duration 10 [--out DIR] [--no-locate]``

``--network NAME`` captures through the local platform (the capture and its fix are stored, as
``POST /captures`` would store them; the job runs here and now). ``--receiver URL`` (three or more)
records straight from those KiwiSDRs without the database: names and positions from their
``/status``, the SigMF files into ``--out``, the fix printed as ``heimdall locate`` prints it. Both
print one progress line per receiver change. Bad input: exit 2 with one line.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from pathlib import Path
from typing import Any

import click

from heimdall.cli.local import data_dir_option, local_platform, settings_option
from heimdall.errors import InvalidInput, NotFound, ReceiverFailed
from heimdall.receivers.kiwisdr.network_recorder import CaptureSpec

_FREQUENCY = re.compile(r"^\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*([kKmM]?)(?:[hH][zZ])?\s*$")
_SCALE = {"": 1.0, "k": 1e3, "m": 1e6}


def parse_frequency(text: str) -> float:
    """``77.5k`` -> 77500.0, ``7.1M`` -> 7.1e6, ``77500`` -> 77500.0."""
    match = _FREQUENCY.match(text)
    if match is None:
        raise InvalidInput(f"--freq {text!r}: a number with an optional k or M suffix (77.5k, 7.1M)", field="freq")
    return float(match.group(1)) * _SCALE[match.group(2).lower()]


@click.command()
@click.option("--network", "network_name", help="A stored network (its enabled KiwiSDRs).")
@click.option("--receiver", "receiver_urls", multiple=True, help="A KiwiSDR URL (repeat; three or more).")
@click.option("--freq", "freq_text", required=True, help="Frequency: 77.5k, 7.1M or 77500.")
@click.option("--duration", "duration_s", type=float, required=True, help="Seconds to record.")
@click.option("--passband", "passband_hz", type=float, default=10_000.0, show_default=True, help="IQ passband (Hz).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where to write the SigMF recordings (--receiver; default ./capture-<UTC time>).")
@click.option("--no-locate", is_flag=True, help="Record only.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@data_dir_option
@settings_option
def capture(network_name: str | None, receiver_urls: tuple[str, ...], freq_text: str, duration_s: float,
            passband_hz: float, out_dir: Path | None, no_locate: bool, as_json: bool, data_dir: Path | None,
            settings_file: Path | None) -> None:
    """Record the same GNSS-time window from several KiwiSDRs and locate the transmitter."""
    from heimdall.services.captures.request import check_frequency

    if (network_name is None) == (not receiver_urls):
        raise InvalidInput("give either --network NAME or one or more --receiver URL")
    frequency_hz = check_frequency(parse_frequency(freq_text))
    if network_name is not None:
        result = _network_capture(network_name, frequency_hz, duration_s, passband_hz, not no_locate,
                                  data_dir, settings_file)
    else:
        result = _direct_capture(list(receiver_urls), frequency_hz, duration_s, passband_hz, not no_locate,
                                 out_dir, data_dir, settings_file)
    click.echo(json.dumps(result, allow_nan=False) if as_json else _summary(result))


def _network_capture(name: str, frequency_hz: float, duration_s: float, passband_hz: float, locate: bool,
                     data_dir: Path | None, settings_file: Path | None) -> dict[str, Any]:
    with local_platform(data_dir, settings_file) as platform:
        networks = [n for n in platform.networks.list(offset=0, limit=1000)["items"] if n["name"] == name]
        if not networks:
            raise NotFound(f"no network named {name!r}")
        listener = _EventPrinter()
        platform.publish.add_listener(listener)
        try:
            created = platform.captures.create({"network_id": networks[0]["id"], "frequency_hz": frequency_hz,
                                                "duration_s": duration_s, "passband_hz": passband_hz,
                                                "locate": locate})
        finally:
            platform.publish.remove_listener(listener)
        capture = platform.captures.get(created["capture"]["id"])
    if capture["status"] != "completed":
        raise ReceiverFailed(f"capture {capture['id']} {capture['status']}: {capture['error']}")
    return {"capture": capture, "localization": capture["localization"], "recordings": None}


class _EventPrinter:
    """Prints each receiver's progress from the capture's events: new states (``capture.updated``) and
    seconds recorded (``job.progress``)."""

    def __init__(self) -> None:
        self._seen: dict[str, tuple[str, str | None]] = {}
        self._names: dict[str, str] = {}

    def __call__(self, envelope: dict[str, Any]) -> None:
        data = envelope.get("data") or {}
        if envelope.get("event") == "capture.updated":
            for receiver in data.get("receivers", []):
                self._names[receiver["receiver_id"]] = receiver["name"]
                _print_progress(self._seen, receiver)
        elif envelope.get("event") == "job.progress" and isinstance(data.get("receivers"), dict):
            for receiver_id, state in data["receivers"].items():
                if state.get("state") == "recording" and receiver_id in self._names:
                    _print_progress(self._seen, {**state, "receiver_id": receiver_id,
                                                 "name": self._names[receiver_id]})


def _print_progress(seen: dict[str, tuple[str, str | None]], receiver: dict[str, Any]) -> None:
    key = (receiver["state"], receiver.get("reason"))
    if seen.get(receiver["receiver_id"]) == key and receiver["state"] != "recording":
        return
    seen[receiver["receiver_id"]] = key
    bar = ""
    if receiver["state"] in ("recording", "done"):
        bar = f" [{receiver['seconds_recorded']:5.1f} s]"
    reason = f": {receiver['reason']}" if receiver.get("reason") else ""
    click.echo(f"{receiver['name']:>16} {receiver['state']}{bar}{reason}", err=True)


def _direct_capture(urls: list[str], frequency_hz: float, duration_s: float, passband_hz: float, locate: bool,
                    out_dir: Path | None, data_dir: Path | None, settings_file: Path | None) -> dict[str, Any]:
    from heimdall.settings import load_settings

    settings = load_settings(settings_file, data_dir=data_dir)
    if not 0 < duration_s <= settings.capture_max_duration_s:
        raise InvalidInput(f"--duration must be more than 0 and at most {settings.capture_max_duration_s:g} s")
    if locate and len(urls) < 3:
        raise InvalidInput(f"{len(urls)} receiver(s): a fix needs three (or use --no-locate)")
    folder = out_dir or Path(time.strftime("capture-%Y%m%dT%H%M%SZ", time.gmtime()))
    folder.mkdir(parents=True, exist_ok=True)
    spec = CaptureSpec(frequency_hz, passband_hz, duration_s, contact=settings.kiwi_contact or None,
                       ready_timeout_s=settings.capture_ready_timeout_s)
    return asyncio.run(_record_direct(urls, spec, locate, folder))


async def _record_direct(urls: list[str], spec: CaptureSpec, locate: bool, folder: Path) -> dict[str, Any]:
    from heimdall.receivers.kiwisdr.network_recorder import ReceiverProgress, record_network
    from heimdall.receivers.kiwisdr.recording import GnssRecording
    from heimdall.receivers.kiwisdr.storage import write_recording_sigmf

    targets = await _targets(urls)
    seen: dict[str, tuple[str, str | None]] = {}

    def show(progress: ReceiverProgress) -> None:
        _print_progress(seen, progress.to_dict())

    outcomes = await record_network(targets, spec, show)
    paths = {rid: write_recording_sigmf(o, folder) for rid, o in outcomes.items() if isinstance(o, GnssRecording)}
    failed = {rid: o.message for rid, o in outcomes.items() if not isinstance(o, GnssRecording)}
    result: dict[str, Any] = {"recordings": {rid: str(p) for rid, p in paths.items()}, "failed": failed,
                              "localization": None}
    if locate:
        result.update(_locate(paths, failed))
    return result


async def _targets(urls: list[str]) -> list[Any]:
    from heimdall.receivers.kiwisdr.network_recorder import CaptureTarget
    from heimdall.receivers.kiwisdr.status import fetch_status, receiver_info
    from heimdall.receivers.kiwisdr.storage import safe_file_part

    statuses = await asyncio.gather(*(fetch_status(url) for url in urls), return_exceptions=True)
    targets = []
    for url, status in zip(urls, statuses, strict=True):
        if isinstance(status, BaseException):
            raise InvalidInput(f"{url}: {getattr(status, 'message', status)}")
        info = receiver_info(status, url)
        if info.lat is None or info.lon is None:
            raise InvalidInput(f"{url}: its status page reports no position")
        name = safe_file_part(info.name)
        targets.append(CaptureTarget(name, info.name, info.url, (info.lat, info.lon, info.alt_m or 0.0)))
    if len({t.receiver_id for t in targets}) != len(targets):
        raise InvalidInput("two receivers report the same name")
    return targets


def _locate(paths: dict[str, Path], failed: dict[str, str]) -> dict[str, Any]:
    from heimdall.capture.trust import trusted_measurement_set
    from heimdall.cli.locate import _locate_document

    trusted = trusted_measurement_set(paths, {})
    excluded = {**failed, **trusted.excluded}
    if trusted.measurement_set is None:
        kept = f"; recordings kept in {next(iter(paths.values())).parent}" if paths else ""
        raise ReceiverFailed(f"no fix: {trusted.reason}{kept}")
    result = _locate_document({**trusted.measurement_set, "method": "classical"})
    return {"localization": {**result.to_dict(include_posterior=False), "used_receiver_ids": trusted.used,
                             "excluded": [{"receiver_id": k, "reason": v} for k, v in excluded.items()]},
            "diagnostics": trusted.diagnostics}


def _summary(result: dict[str, Any]) -> str:
    lines = []
    for rid, path in (result.get("recordings") or {}).items():
        lines.append(f"recording {rid}: {path}")
    fix = result.get("localization")
    if fix is None:
        lines.append("no fix (recorded only)")
        return "\n".join(lines)
    used = ", ".join(f"{count} {kind}" for kind, count in fix.get("used", {}).items() if count)
    lines.append(f"position: {fix['lat']:.5f} N, {fix['lon']:.5f} E  ({fix['method']}; {used})")
    for e in fix.get("ellipses", []):
        lines.append(f"{e['confidence']:.0%} ellipse: semi-axes {e['semi_major_m'] / 1e3:.2f} x "
                     f"{e['semi_minor_m'] / 1e3:.2f} km, major axis {e['orientation_deg']:.0f} deg from north")
    lines.append(f"outliers: {', '.join(fix.get('outliers') or []) or 'none'}")
    lines.append(f"used: {', '.join(fix.get('used_receiver_ids') or [])}")
    for entry in fix.get("excluded") or []:
        lines.append(f"excluded {entry['receiver_id']}: {entry['reason']}")
    return "\n".join(lines)
