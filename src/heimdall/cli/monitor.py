"""``heimdall monitor --network NAME --freq 145.5M [--freq ...] [--cot udp://HOST:PORT]``: watch a
network's channels here and now, one line per fix on stdout (a transmission without a fix: one
line on stderr saying why), until Ctrl-C, which cancels the watch cleanly.

The monitor is the same as ``POST /api/v1/monitors`` makes (stored in the data directory, its job
run by a local worker process), so ``heimdall serve`` on that directory shows its tracks afterwards.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path
from typing import Any

import click

from heimdall.cli.local import data_dir_option, settings_option
from heimdall.errors import InvalidInput
from heimdall.jobs import lifecycle
from heimdall.platform.root import Platform, build_platform
from heimdall.settings import load_settings

POLL_S = 0.5
STOP_TIMEOUT_S = 60.0
_UNITS = {"": 1.0, "k": 1e3, "m": 1e6, "g": 1e9}
_FREQUENCY = re.compile(r"^\s*([0-9]+(?:\.[0-9]*)?(?:e[+-]?[0-9]+)?)\s*([kmg]?)(?:hz)?\s*$", re.IGNORECASE)


def parse_frequency_hz(text: str) -> float:
    """``145.5M``, ``145.5MHz``, ``14070k``, ``7.1e6`` -> Hz; InvalidInput otherwise."""
    match = _FREQUENCY.match(text)
    if match is None:
        raise InvalidInput(f"--freq {text!r}: expected a frequency such as 145.5M, 433.92MHz or 7100000",
                           field="freq")
    return float(match.group(1)) * _UNITS[match.group(2).lower()]


@click.command()
@click.option("--network", "network_name", required=True, help="The stored network to watch (name or id).")
@click.option("--freq", "frequencies", multiple=True, required=True, help="A channel: 145.5M, 433.92MHz, ...")
@click.option("--cot", "cot_urls", multiple=True, help="Send every fix and track to udp://HOST:PORT or tcp://HOST:PORT.")
@click.option("--min-receivers", type=int, default=None, help="Receivers a fix needs (default 3).")
@click.option("--threshold-db", type=float, default=None, help="Squelch over the noise floor (default 10 dB).")
@data_dir_option
@settings_option
def monitor(network_name: str, frequencies: tuple[str, ...], cot_urls: tuple[str, ...], min_receivers: int | None,
            threshold_db: float | None, data_dir: Path | None, settings_file: Path | None) -> None:
    """Watch channels of a network and print one line per fix until Ctrl-C."""
    channels = [{"frequency_hz": parse_frequency_hz(f), **({"threshold_db": threshold_db} if threshold_db else {})}
                for f in frequencies]
    body: dict[str, Any] = {"channels": channels, "cot": [{"url": url} for url in cot_urls]}
    if min_receivers is not None:
        body["min_receivers"] = min_receivers
    with build_platform(load_settings(settings_file, data_dir=data_dir), inline_jobs=False) as platform:
        body["network_id"] = _network_id(platform, network_name)
        if platform.jobs.executor is not None:
            platform.jobs.executor.start()
        try:
            _watch(platform, body)
        finally:
            platform.stop()


def _network_id(platform: Platform, name: str) -> str:
    page = platform.networks.list(offset=0, limit=1000)
    for network in page["items"]:
        if name in (network["name"], network["id"]):
            return str(network["id"])
    known = ", ".join(sorted(n["name"] for n in page["items"])) or "none"
    raise InvalidInput(f"no network named {name!r} (known: {known})", field="network")


def _watch(platform: Platform, body: dict[str, Any]) -> None:
    created = platform.monitors.create(body)
    monitor, job_id = created["monitor"], created["job"]["id"]
    names = {r["receiver_id"]: r["name"] for r in monitor["receivers"]}
    watched = ", ".join(f"{c['frequency_hz']:.0f} Hz" for c in monitor["channels"])
    click.echo(f"watching {watched} on {len(names)} receivers (monitor {monitor['id']}); Ctrl-C stops", err=True)
    seen: set[str] = set()
    lamps: dict[str, tuple[str, str | None]] = {}
    try:
        while True:
            _print_new(platform, monitor["id"], names, seen)
            _print_lamps(platform.monitors.get(monitor["id"]), lamps)
            job = platform.jobs.get(job_id)
            if job["status"] in lifecycle.TERMINAL:
                click.echo(f"heimdall: the watch ended: {job['status']} ({job['reason']})", err=True)
                sys.exit(1)
            time.sleep(POLL_S)
    except KeyboardInterrupt:
        click.echo("stopping the watch...", err=True)
        _stop(platform, job_id)
        _print_new(platform, monitor["id"], names, seen)


def _print_new(platform: Platform, monitor_id: str, names: dict[str, str], seen: set[str]) -> None:
    page = platform.monitors.transmissions(monitor_id, offset=0, limit=1000)
    for transmission in reversed(page["items"]):
        if transmission["id"] in seen:
            continue
        seen.add(transmission["id"])
        receivers = ",".join(names.get(r, r) for r in transmission["receiver_ids"])
        if transmission["localization_id"] is None:
            click.echo(f"{transmission['start']} {transmission['frequency_hz']:.0f} Hz: no fix: "
                       f"{transmission['reason']}", err=True)
            continue
        click.echo(fix_line(platform.localizations.get(transmission["localization_id"]), transmission, receivers))


def _print_lamps(monitor: dict[str, Any], lamps: dict[str, tuple[str, str | None]]) -> None:
    """Each receiver's state change, on stderr: ``<name>: failed (dropped: ...; retrying in 15 s)``."""
    for receiver in monitor["receivers"]:
        state = (receiver["state"], receiver["reason"])
        if lamps.get(receiver["receiver_id"]) != state:
            lamps[receiver["receiver_id"]] = state
            reason = f" ({receiver['reason']})" if receiver["reason"] else ""
            click.echo(f"{receiver['name']}: {receiver['state']}{reason}", err=True)


def fix_line(result: dict[str, Any], transmission: dict[str, Any], receivers: str) -> str:
    """time, lat, lon, 95 % semi-axes and orientation, track id, receivers."""
    region = next((e for e in result.get("ellipses", []) if e["confidence"] == 0.95), None)
    axes = (f"{region['semi_major_m']:.0f}x{region['semi_minor_m']:.0f}m@{region['orientation_deg']:.0f}deg"
            if region else "?")
    return (f"{transmission['start']} {transmission['frequency_hz']:.0f}Hz lat={result['lat']:.6f} "
            f"lon={result['lon']:.6f} 95%={axes} track={(transmission['track_id'] or '-')[:8]} rx={receivers}")


def _stop(platform: Platform, job_id: str) -> None:
    if platform.jobs.get(job_id)["status"] not in lifecycle.TERMINAL:
        platform.jobs.cancel(job_id)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while platform.jobs.get(job_id)["status"] not in lifecycle.TERMINAL and time.monotonic() < deadline:
        time.sleep(0.2)
