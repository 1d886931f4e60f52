"""A capture request, checked: which receivers, what to record, when; 422 (InvalidInput) for anything wrong.

Known at once, so refused at once: unknown receivers or network, named receivers that are not
KiwiSDRs or have no URL (a network contributes its enabled KiwiSDRs with a URL and ignores the
rest), fewer than three able to time a TDoA (GNSS timing, the ``tdoa`` capability, and no last
health check that answered with ``tdoa_ready: false``), a frequency outside 0-30 MHz (what a KiwiSDR
covers), a duration <= 0 or over the limit, a passband outside what its IQ stream carries, a start in
the past or more than an hour ahead. What is known only on connecting is the job's to record per
receiver.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from heimdall.errors import InsufficientData, InvalidInput
from heimdall.services.common import require_finite
from heimdall.store.tables.receivers import NetworkRow, ReceiverRow

KIWI_MAX_FREQUENCY_HZ = 30e6
KIWI_MAX_PASSBAND_HZ = 12_000.0
DEFAULT_PASSBAND_HZ = 10_000.0
MAX_START_AHEAD = timedelta(hours=1)
MIN_TDOA_RECEIVERS = 3
MAX_RECEIVERS = 12
FIELDS = {"receiver_ids", "network_id", "frequency_hz", "duration_s", "passband_hz", "start_at", "locate"}


@dataclass(frozen=True)
class CaptureRequest:
    network_id: str | None
    targets: list[dict[str, Any]]  # {"id", "name", "url", "lat", "lon", "alt_m"} as stored now
    frequency_hz: float
    passband_hz: float
    duration_s: float
    start_at: datetime | None
    locate: bool

    @property
    def receiver_ids(self) -> list[str]:
        return [t["id"] for t in self.targets]


def parse_request(session: Session, body: dict[str, Any], *, max_duration_s: float,
                  now: datetime | None = None) -> CaptureRequest:
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        raise InvalidInput(f"unknown field(s): {', '.join(unknown)}", field=unknown[0])
    locate = body.get("locate", True)
    if not isinstance(locate, bool):
        raise InvalidInput("locate must be true or false", field="locate")
    network_id, rows = resolve_receivers(session, body)
    _check_tdoa(rows, needed=MIN_TDOA_RECEIVERS if locate else 1)
    return CaptureRequest(
        network_id=network_id, targets=[_target(row) for row in rows],
        frequency_hz=check_frequency(body.get("frequency_hz")),
        passband_hz=require_finite(body.get("passband_hz", DEFAULT_PASSBAND_HZ), "passband_hz", low=100.0,
                                   high=KIWI_MAX_PASSBAND_HZ),
        duration_s=_duration(body.get("duration_s"), max_duration_s),
        start_at=_start_at(body.get("start_at"), now or datetime.now(UTC)), locate=locate,
    )


def resolve_receivers(session: Session, body: dict[str, Any]) -> tuple[str | None, list[ReceiverRow]]:
    """(network id, the KiwiSDR receivers named) from ``receiver_ids`` or ``network_id``, exactly one."""
    ids, network_id = body.get("receiver_ids"), body.get("network_id")
    if (ids is None) == (network_id is None):
        raise InvalidInput("give either receiver_ids or network_id", field="receiver_ids")
    if network_id is not None:
        network = session.get(NetworkRow, network_id) if isinstance(network_id, str) else None
        if network is None:
            raise InvalidInput(f"unknown network id {network_id!r}", field="network_id")
        # a network may mix kinds: a capture takes its enabled KiwiSDRs with a URL
        rows = [m.receiver for m in network.members if m.receiver.enabled and m.receiver.kind == "kiwisdr"
                and m.receiver.url]
        if not rows:
            raise InvalidInput(f"network {network.name!r} has no enabled KiwiSDR with a URL", field="network_id")
    else:
        rows = _rows_by_id(session, ids)
    if not 1 <= len(rows) <= MAX_RECEIVERS:
        raise InvalidInput(f"a capture takes 1 to {MAX_RECEIVERS} receivers, not {len(rows)}", field="receiver_ids")
    for row in rows:
        if row.kind != "kiwisdr" or not row.url:
            raise InvalidInput(f"receiver {row.name!r} is a {row.kind} receiver" + ("" if row.url else " without a URL")
                               + ": captures record from KiwiSDRs with a URL", field="receiver_ids")
    return network_id, rows


def _rows_by_id(session: Session, ids: Any) -> list[ReceiverRow]:
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise InvalidInput("receiver_ids must be a list of receiver ids", field="receiver_ids")
    if len(set(ids)) != len(ids):
        raise InvalidInput("a receiver is named twice in receiver_ids", field="receiver_ids")
    rows = []
    for receiver_id in ids:
        row = session.get(ReceiverRow, receiver_id)
        if row is None:
            raise InvalidInput(f"unknown receiver id {receiver_id!r}", field="receiver_ids")
        rows.append(row)
    return rows


def _check_tdoa(rows: list[ReceiverRow], *, needed: int) -> None:
    able = [row for row in rows if tdoa_able(row)]
    if len(able) < needed:
        unfit = ", ".join(row.name for row in rows if row not in able) or "none"
        raise InsufficientData(f"{len(able)} of the receivers can time a TDoA (GNSS timing, tdoa capability, "
                               f"GNSS fit for TDoA); a capture that locates needs {needed} (unfit: {unfit})",
                               field="receiver_ids")


def tdoa_able(row: ReceiverRow) -> bool:
    health = row.health or {}
    gnss_unfit = health.get("tdoa_ready") is False and health.get("ok") is not False  # answered: GNSS unfit
    return row.timing == "gnss" and "tdoa" in (row.capabilities or []) and not gnss_unfit


def check_frequency(value: Any) -> float:
    frequency_hz = require_finite(value, "frequency_hz")
    if not 0.0 < frequency_hz <= KIWI_MAX_FREQUENCY_HZ:
        raise InvalidInput(f"frequency_hz {frequency_hz:g} is outside what a KiwiSDR receives (0-30 MHz)",
                           field="frequency_hz")
    return frequency_hz


def _duration(value: Any, max_duration_s: float) -> float:
    duration_s = require_finite(value, "duration_s")
    if not 0.0 < duration_s <= max_duration_s:
        raise InvalidInput(f"duration_s must be more than 0 and at most {max_duration_s:g} s", field="duration_s")
    return duration_s


def _start_at(value: Any, now: datetime) -> datetime | None:
    if value is None:
        return None
    try:
        start = datetime.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput("start_at must be an ISO-8601 UTC time", field="start_at") from None
    if start.tzinfo is None:
        raise InvalidInput("start_at needs a time zone (UTC: a trailing Z)", field="start_at")
    if not now < start <= now + MAX_START_AHEAD:
        raise InvalidInput("start_at must be in the future and within one hour", field="start_at")
    return start.astimezone(UTC)


def _target(row: ReceiverRow) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "url": row.url, "lat": row.lat, "lon": row.lon, "alt_m": row.alt_m}
