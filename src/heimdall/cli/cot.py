"""``heimdall cot listen --udp PORT | --tcp PORT [--host H] [--json] [--count N]``: print each CoT event a
TAK endpoint would receive, one line each (or one JSON object per line)."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING

import click

from heimdall.errors import InvalidInput

if TYPE_CHECKING:
    from heimdall.cot.event import CotEvent


@click.group()
def cot() -> None:
    """Cursor-on-Target (TAK) tools."""


@cot.command()
@click.option("--udp", "udp_port", type=int, help="Listen for CoT datagrams on this UDP port (0: any free one).")
@click.option("--tcp", "tcp_port", type=int, help="Accept CoT streams on this TCP port (0: any free one).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--json", "as_json", is_flag=True, help="Print each event as one JSON object per line.")
@click.option("--count", type=click.IntRange(min=1), help="Exit after this many valid events.")
def listen(udp_port: int | None, tcp_port: int | None, host: str, as_json: bool, count: int | None) -> None:
    """Print what a TAK server or client would get; invalid events are reported on stderr and skipped."""
    if (udp_port is None) == (tcp_port is None):
        raise click.UsageError("give exactly one of --udp PORT or --tcp PORT")
    protocol, port = ("udp", udp_port) if udp_port is not None else ("tcp", tcp_port)
    assert port is not None
    if not 0 <= port <= 65535:
        raise click.UsageError(f"port must lie in 0..65535, not {port}")
    asyncio.run(_listen(protocol, host, port, as_json, count))


async def _listen(protocol: str, host: str, port: int, as_json: bool, count: int | None) -> None:
    from heimdall.cot.transport import CotListener

    done = asyncio.Event()
    received = 0

    def on_event(event: CotEvent, peer: tuple[str, int]) -> None:
        nonlocal received
        if as_json:
            click.echo(json.dumps({**event.to_dict(), "peer": f"{peer[0]}:{peer[1]}"}))
        else:
            click.echo(_line(event))
        received += 1
        if count is not None and received >= count:
            done.set()

    def on_error(error: InvalidInput, peer: tuple[str, int]) -> None:
        click.echo(f"heimdall: ignored an invalid CoT event from {peer[0]}:{peer[1]}: {error.message}", err=True)

    listener = CotListener(on_event, on_error)
    try:
        bind = listener.listen_udp if protocol == "udp" else listener.listen_tcp
        bound = await bind(host, port)
    except OSError as exc:
        raise InvalidInput(f"cannot listen on {protocol} {host}:{port}: {exc.strerror or exc}") from exc
    click.echo(f"listening for CoT on {protocol} {host}:{bound}", err=True)
    try:
        await done.wait()
    finally:
        await listener.close()


def _line(event: CotEvent) -> str:
    from heimdall.cot.event import UNKNOWN

    doc = event.to_dict()

    def metres(value: float) -> str:
        return "unknown" if value == UNKNOWN else f"{value:.1f}m"

    remarks = " ".join((event.remarks or "").split())
    return (f"{doc['time']} {event.uid} type={event.type} how={event.how} lat={event.lat:.7f} lon={event.lon:.7f} "
            f"hae={metres(event.hae)} ce={metres(event.ce)} le={metres(event.le)} stale={doc['stale']}"
            + (f" | {remarks}" if remarks else ""))
