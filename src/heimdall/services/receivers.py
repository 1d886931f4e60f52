"""Receivers: create, list, read, update, delete, record health; each change is published on ``receivers``.

Validation lives here, not in the routes, so the CLI, importers and jobs get the same rules: WGS84
coordinates in range, finite numbers, a known kind and timing, capabilities a subset of rss/tdoa/aoa,
and TDoA only with GNSS timing (RF_NOTES section 1: without sample timestamps nothing can be timed).
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from heimdall.errors import InvalidInput
from heimdall.services.common import (
    Publish,
    ensure_name_free,
    load_row,
    name_clash_as_conflict,
    page,
    require_finite,
)
from heimdall.services.serialize import network_to_dict, receiver_to_dict
from heimdall.store.db import transaction, utcnow
from heimdall.store.tables.receivers import (
    RECEIVER_CAPABILITIES,
    RECEIVER_KINDS,
    RECEIVER_TIMINGS,
    NetworkReceiverRow,
    NetworkRow,
    ReceiverRow,
)

TOPIC = "receivers"
NETWORKS_TOPIC = "networks"  # an extension of CONTRACT section 3 (docs/resources.md)
EDITABLE_FIELDS = (
    "name",
    "kind",
    "url",
    "lat",
    "lon",
    "alt_m",
    "capabilities",
    "timing",
    "noise_figure_db",
    "antenna",
    "enabled",
)
# What each kind can deliver by default (RF_NOTES section 1); a user may narrow or widen it.
KIND_DEFAULTS: dict[str, tuple[list[str], str]] = {
    "kiwisdr": (["rss", "tdoa"], "gnss"),
    "openwebrx": (["rss"], "none"),
    "websdr": (["rss"], "none"),
    "sdr": (["rss"], "none"),
    "kraken": (["rss", "aoa"], "none"),
    "simulated": (["rss", "tdoa", "aoa"], "gnss"),
}
URL_SCHEMES = ("http", "https", "ws", "wss")


class ReceiverService:
    def __init__(self, session_factory: sessionmaker[Session], publish: Publish) -> None:
        self._sessions = session_factory
        self._publish = publish

    def create(self, fields: dict[str, Any], *, health: dict[str, Any] | None = None) -> dict[str, Any]:
        """A new receiver from its editable fields; ``health`` is what a probe of it just observed."""
        _reject_unknown(fields)
        kind = _check_choice(fields.get("kind"), "kind", RECEIVER_KINDS)
        capabilities, timing = KIND_DEFAULTS[kind]
        values = validate_receiver(
            {
                "url": None,
                "alt_m": 0.0,
                "capabilities": capabilities,
                "timing": timing,
                "noise_figure_db": None,
                "antenna": None,
                "enabled": True,
                **fields,
            }
        )
        with name_clash_as_conflict(values["name"], "receiver"), transaction(self._sessions) as session:
            _ensure_name_free(session, values["name"])
            row = ReceiverRow(**values, health=health)
            session.add(row)
            session.flush()
            receiver = receiver_to_dict(row)
        self._publish(TOPIC, "receiver.created", receiver)
        return receiver

    def list(self, *, offset: int = 0, limit: int = 50, enabled: bool | None = None) -> dict[str, Any]:
        query = select(ReceiverRow)
        if enabled is not None:
            query = query.where(ReceiverRow.enabled == enabled)
        with self._sessions() as session:
            order = (ReceiverRow.created_at, ReceiverRow.name)
            return page(session, query, order, receiver_to_dict, offset, limit)

    def get(self, receiver_id: str) -> dict[str, Any]:
        with self._sessions() as session:
            return receiver_to_dict(_load(session, receiver_id))

    def update(self, receiver_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Partial update: only the keys present in ``changes`` change; the result is re-validated whole."""
        _reject_unknown(changes)
        with transaction(self._sessions) as session:
            row = _load(session, receiver_id)
            current = {name: getattr(row, name) for name in EDITABLE_FIELDS}
            values = validate_receiver({**current, **changes})
            if values["name"] != row.name:
                _ensure_name_free(session, values["name"])
            for name, value in values.items():
                setattr(row, name, value)
            row.updated_at = utcnow()
            with name_clash_as_conflict(values["name"], "receiver"):
                session.flush()
            receiver = receiver_to_dict(row)
        self._publish(TOPIC, "receiver.updated", receiver)
        return receiver

    def delete(self, receiver_id: str) -> dict[str, Any]:
        """Delete a receiver; it leaves every network it belonged to, and each such network is republished."""
        with transaction(self._sessions) as session:
            row = _load(session, receiver_id)
            receiver = receiver_to_dict(row)
            network_ids = session.scalars(
                select(NetworkReceiverRow.network_id).where(NetworkReceiverRow.receiver_id == receiver_id)
            ).all()
            session.delete(row)
            session.flush()
            session.expire_all()
            networks: list[dict[str, Any]] = []
            for network in session.scalars(select(NetworkRow).where(NetworkRow.id.in_(network_ids))):
                network.updated_at = utcnow()
                networks.append(network_to_dict(network))
        self._publish(TOPIC, "receiver.deleted", receiver)
        for changed in networks:
            self._publish(NETWORKS_TOPIC, "network.updated", changed)
        return receiver

    def set_health(self, receiver_id: str, health: dict[str, Any]) -> dict[str, Any]:
        """Record what the health monitor observed; published as ``receiver.health``."""
        if not isinstance(health, dict):
            raise InvalidInput("health must be an object", field="health")
        with transaction(self._sessions) as session:
            row = _load(session, receiver_id)
            row.health = health
            data = {"id": row.id, "name": row.name, "health": health}
        self._publish(TOPIC, "receiver.health", data)
        return data


    def record_health(self, receiver_id: str, health: dict[str, Any],
                      changed: Callable[[dict[str, Any] | None, dict[str, Any]], bool]) -> tuple[dict[str, Any], bool]:
        """Store a health check; ``receiver.health`` (id, name, health) for every check, and
        ``receiver.updated`` with the receiver only when ``changed(old, new)`` says it changed."""
        with transaction(self._sessions) as session:
            row = _load(session, receiver_id, for_update=True)
            is_change = changed(row.health, health)
            row.health = health
            if is_change:
                row.updated_at = utcnow()
            receiver = receiver_to_dict(row)
        self._publish(TOPIC, "receiver.health", {"id": receiver["id"], "name": receiver["name"], "health": health})
        if is_change:
            self._publish(TOPIC, "receiver.updated", receiver)
        return receiver, is_change

    def health_targets(self, kinds: tuple[str, ...]) -> builtins.list[dict[str, Any]]:
        """Enabled receivers of ``kinds`` with a URL: id, kind, url and their last health."""
        query = select(ReceiverRow.id, ReceiverRow.kind, ReceiverRow.url, ReceiverRow.health).where(
            ReceiverRow.enabled.is_(True), ReceiverRow.kind.in_(kinds), ReceiverRow.url.is_not(None)
        ).order_by(ReceiverRow.created_at)
        with self._sessions() as session:
            return [{"id": id_, "kind": kind, "url": url, "health": health}
                    for id_, kind, url, health in session.execute(query)]


def validate_receiver(values: dict[str, Any]) -> dict[str, Any]:
    """A complete receiver's editable fields, checked and normalised; InvalidInput names the bad field."""
    missing = [name for name in ("name", "kind", "lat", "lon") if values.get(name) is None]
    if missing:
        raise InvalidInput(f"{missing[0]} is required", field=missing[0])
    timing = _check_choice(values.get("timing"), "timing", RECEIVER_TIMINGS)
    capabilities = _check_capabilities(values.get("capabilities"))
    if "tdoa" in capabilities and timing != "gnss":
        raise InvalidInput(
            "the tdoa capability needs timing 'gnss' (sample timestamps)", field="capabilities"
        )
    return {
        "name": _check_name(values["name"]),
        "kind": _check_choice(values["kind"], "kind", RECEIVER_KINDS),
        "url": _check_url(values.get("url")),
        "lat": require_finite(values["lat"], "lat", low=-90.0, high=90.0),
        "lon": require_finite(values["lon"], "lon", low=-180.0, high=180.0),
        "alt_m": require_finite(values.get("alt_m"), "alt_m"),
        "capabilities": capabilities,
        "timing": timing,
        "noise_figure_db": _optional_number(values.get("noise_figure_db"), "noise_figure_db", 0.0, 50.0),
        "antenna": _check_antenna(values.get("antenna")),
        "enabled": _check_bool(values.get("enabled"), "enabled"),
    }


def _reject_unknown(fields: dict[str, Any]) -> None:
    if not isinstance(fields, dict):
        raise InvalidInput("a receiver must be an object")
    unknown = sorted(set(fields) - set(EDITABLE_FIELDS))
    if unknown:
        raise InvalidInput(f"unknown or read-only receiver field {unknown[0]!r}", field=unknown[0])


def _check_choice(value: Any, field: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise InvalidInput(f"{field} must be one of {', '.join(choices)}", field=field)
    return str(value)


def _check_name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("name must be a non-empty string", field="name")
    if len(value.strip()) > 200:
        raise InvalidInput("name must be at most 200 characters", field="name")
    return value.strip()


def _check_capabilities(value: Any) -> list[str]:
    if not isinstance(value, (list, tuple)) or not value:
        raise InvalidInput("capabilities must be a non-empty list of rss, tdoa, aoa", field="capabilities")
    unknown = [item for item in value if item not in RECEIVER_CAPABILITIES]
    if unknown:
        raise InvalidInput(f"unknown capability {unknown[0]!r} (rss, tdoa, aoa)", field="capabilities")
    if len(set(value)) != len(value):
        raise InvalidInput("capabilities must not repeat", field="capabilities")
    return [item for item in RECEIVER_CAPABILITIES if item in value]


def _check_url(value: Any) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in URL_SCHEMES or not parts.netloc or len(value) > 2000:
        raise InvalidInput(f"url must be an absolute {'/'.join(URL_SCHEMES)} URL", field="url")
    if "@" in parts.netloc:
        # Never stored in clear, returned or evented: PUT /receivers/{id}/password keeps it encrypted.
        raise InvalidInput("a receiver URL must not carry credentials: set the password with "
                           "PUT /api/v1/receivers/{id}/password", field="url")
    return str(value)


def _check_antenna(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) - {"gain_dbi", "type"}:
        raise InvalidInput("antenna must be an object with gain_dbi and type", field="antenna")
    antenna: dict[str, Any] = {
        "gain_dbi": _optional_number(value.get("gain_dbi", 0.0), "antenna.gain_dbi", -50, 60)
    }
    kind = value.get("type", "omni")
    if not isinstance(kind, str) or not kind.strip() or len(kind) > 100:
        raise InvalidInput("antenna.type must be a short non-empty string", field="antenna.type")
    antenna["type"] = kind.strip()
    return antenna


def _optional_number(value: Any, field: str, low: float, high: float) -> float | None:
    return None if value is None else require_finite(value, field, low=low, high=high)


def _check_bool(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"{field} must be true or false", field=field)
    return value


def _ensure_name_free(session: Session, name: str) -> None:
    ensure_name_free(session, ReceiverRow, name, "receiver")


def _load(session: Session, receiver_id: str, *, for_update: bool = False) -> ReceiverRow:
    """The receiver row; ``for_update`` locks it (PostgreSQL) so two API processes storing a health
    check of the same receiver compare against each other's result, not the same old one."""
    if for_update and isinstance(receiver_id, str):
        row = session.get(ReceiverRow, receiver_id, with_for_update=True)
        if row is not None:
            return row
    return load_row(session, ReceiverRow, receiver_id, "receiver")
