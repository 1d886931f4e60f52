"""Networks: named, ordered groups of receivers; each change is published on ``networks``.

``networks`` is a topic this project adds to CONTRACT section 3 (``network.created|updated|deleted``,
data: the network). ``seed_demo_network`` fills an empty database with the G7 reference network of
RF_NOTES section 2 so a fresh ``heimdall serve`` has something to show.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from heimdall.errors import InvalidInput
from heimdall.services.common import Publish, ensure_name_free, load_row, name_clash_as_conflict, page
from heimdall.services.receivers import EDITABLE_FIELDS as RECEIVER_FIELDS
from heimdall.services.receivers import TOPIC as RECEIVERS_TOPIC
from heimdall.services.receivers import validate_receiver
from heimdall.services.serialize import network_to_dict, receiver_to_dict
from heimdall.store.db import transaction, utcnow
from heimdall.store.tables.receivers import NetworkReceiverRow, NetworkRow, ReceiverRow
from heimdall.synth.networks import g7

TOPIC = "networks"
EDITABLE_FIELDS = ("name", "description", "receiver_ids")
DEMO_NETWORK_NAME = "G7 demo"


class NetworkService:
    def __init__(self, session_factory: sessionmaker[Session], publish: Publish) -> None:
        self._sessions = session_factory
        self._publish = publish

    def create(self, fields: dict[str, Any]) -> dict[str, Any]:
        _reject_unknown(fields)
        name = _check_name(fields.get("name"))
        description = _check_description(fields.get("description", ""))
        receiver_ids = _check_receiver_ids(fields.get("receiver_ids", []))
        with name_clash_as_conflict(name, "network"), transaction(self._sessions) as session:
            _ensure_name_free(session, name)
            _ensure_receivers_exist(session, receiver_ids)
            row = NetworkRow(name=name, description=description)
            session.add(row)
            session.flush()
            _set_members(session, row, receiver_ids)
            network = network_to_dict(row)
        self._publish(TOPIC, "network.created", network)
        return network

    def list(self, *, offset: int = 0, limit: int = 50) -> dict[str, Any]:
        with self._sessions() as session:
            order = (NetworkRow.created_at, NetworkRow.name)
            return page(session, select(NetworkRow), order, network_to_dict, offset, limit)

    def get(self, network_id: str) -> dict[str, Any]:
        with self._sessions() as session:
            return network_to_dict(_load(session, network_id))

    def update(self, network_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Partial update; ``receiver_ids``, when given, replaces the membership (in that order)."""
        _reject_unknown(changes)
        with transaction(self._sessions) as session:
            row = _load(session, network_id)
            if "name" in changes:
                name = _check_name(changes["name"])
                if name != row.name:
                    _ensure_name_free(session, name)
                row.name = name
            if "description" in changes:
                row.description = _check_description(changes["description"])
            if "receiver_ids" in changes:
                receiver_ids = _check_receiver_ids(changes["receiver_ids"])
                _ensure_receivers_exist(session, receiver_ids)
                _set_members(session, row, receiver_ids)
            row.updated_at = utcnow()
            with name_clash_as_conflict(row.name, "network"):
                session.flush()
            network = network_to_dict(row)
        self._publish(TOPIC, "network.updated", network)
        return network

    def delete(self, network_id: str) -> dict[str, Any]:
        """Delete a network (its receivers stay; stored localizations keep their result, lose the link)."""
        with transaction(self._sessions) as session:
            row = _load(session, network_id)
            network = network_to_dict(row)
            session.delete(row)
        self._publish(TOPIC, "network.deleted", network)
        return network


def g7_receiver_fields() -> list[dict[str, Any]]:
    """G7's rx0..rx6 (the simulator's ``heimdall.synth.networks.g7``) as validated receiver fields."""
    fields = []
    for spec in g7():
        antenna = {"gain_dbi": spec.get("antenna_gain_dbi", 0.0), "type": "omni"}
        editable = {key: spec[key] for key in RECEIVER_FIELDS if key in spec}
        fields.append(validate_receiver({"url": None, "enabled": True, **editable, "antenna": antenna}))
    return fields


def seed_demo_network(session_factory: sessionmaker[Session], publish: Publish) -> dict[str, Any] | None:
    """Create the G7 receivers ("G7 rx0".."G7 rx6") and the network "G7 demo" if the database has neither
    receivers nor networks; return the network, or None when nothing was done. Safe to call on every start."""
    try:
        with transaction(session_factory) as session:
            if session.scalar(select(func.count()).select_from(ReceiverRow)) or session.scalar(
                select(func.count()).select_from(NetworkRow)
            ):
                return None
            rows = [ReceiverRow(**fields) for fields in g7_receiver_fields()]
            session.add_all(rows)
            network = NetworkRow(
                name=DEMO_NETWORK_NAME, description="RF_NOTES reference network G7 (simulated)"
            )
            session.add(network)
            session.flush()
            _set_members(session, network, [row.id for row in rows])
            receivers = [receiver_to_dict(row) for row in rows]
            created = network_to_dict(network)
    except IntegrityError:
        # Another process seeded at the same moment; its seed stands.
        return None
    for receiver in receivers:
        publish(RECEIVERS_TOPIC, "receiver.created", receiver)
    publish(TOPIC, "network.created", created)
    return created


def _set_members(session: Session, row: NetworkRow, receiver_ids: list[str]) -> None:
    row.members.clear()
    session.flush()
    row.members.extend(
        NetworkReceiverRow(network_id=row.id, receiver_id=receiver_id, position=position)
        for position, receiver_id in enumerate(receiver_ids)
    )
    session.flush()
    session.refresh(row)


def _reject_unknown(fields: dict[str, Any]) -> None:
    if not isinstance(fields, dict):
        raise InvalidInput("a network must be an object")
    unknown = sorted(set(fields) - set(EDITABLE_FIELDS))
    if unknown:
        raise InvalidInput(f"unknown or read-only network field {unknown[0]!r}", field=unknown[0])


def _check_name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("name must be a non-empty string", field="name")
    if len(value.strip()) > 200:
        raise InvalidInput("name must be at most 200 characters", field="name")
    return value.strip()


def _check_description(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > 4000:
        raise InvalidInput("description must be a string of at most 4000 characters", field="description")
    return value


def _check_receiver_ids(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, (list, tuple)) or not all(isinstance(item, str) for item in value):
        raise InvalidInput("receiver_ids must be a list of receiver ids", field="receiver_ids")
    if len(set(value)) != len(value):
        raise InvalidInput("receiver_ids must not repeat a receiver", field="receiver_ids")
    return list(value)


def _ensure_receivers_exist(session: Session, receiver_ids: list[str]) -> None:
    if not receiver_ids:
        return
    found = set(session.scalars(select(ReceiverRow.id).where(ReceiverRow.id.in_(receiver_ids))))
    unknown = [receiver_id for receiver_id in receiver_ids if receiver_id not in found]
    if unknown:
        raise InvalidInput(
            f"unknown receiver id {unknown[0]!r}", field="receiver_ids", details={"unknown": unknown}
        )


def _ensure_name_free(session: Session, name: str) -> None:
    ensure_name_free(session, NetworkRow, name, "network")


def _load(session: Session, network_id: str) -> NetworkRow:
    return load_row(session, NetworkRow, network_id, "network")
