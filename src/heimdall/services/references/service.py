"""Create, list, read, update and delete reference transmitters; seed the starter list."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from heimdall.errors import InvalidInput
from heimdall.services.common import (
    Publish,
    ensure_name_free,
    iso_z,
    load_row,
    name_clash_as_conflict,
    page,
    page_of,
)
from heimdall.services.references.validation import validate_reference
from heimdall.store.db import transaction, utcnow
from heimdall.store.tables.references import ReferenceTransmitterRow

TOPIC = "references"
STARTER_LIST_PATH = Path(__file__).with_name("starter.json")
# a reference "is heard at" a capture frequency within this much of one of its own
DEFAULT_MATCH_TOLERANCE_HZ = 1000.0


class ReferenceService:
    def __init__(self, session_factory: sessionmaker[Session], publish: Publish) -> None:
        self._sessions = session_factory
        self._publish = publish

    def create(self, fields: dict[str, Any]) -> dict[str, Any]:
        values = validate_reference(fields, partial=False)
        with name_clash_as_conflict(values["name"], "reference"), transaction(self._sessions) as session:
            ensure_name_free(session, ReferenceTransmitterRow, values["name"], "reference")
            row = ReferenceTransmitterRow(**values, builtin=False)
            session.add(row)
            session.flush()
            reference = reference_to_dict(row)
        self._publish(TOPIC, "reference.created", reference)
        return reference

    def list(self, *, offset: int = 0, limit: int = 50, frequency_hz: float | None = None,
             tolerance_hz: float = DEFAULT_MATCH_TOLERANCE_HZ) -> dict[str, Any]:
        """A page of references, by name; with ``frequency_hz``, only those sending within ``tolerance_hz``."""
        with self._sessions() as session:
            if frequency_hz is None:
                return page(session, select(ReferenceTransmitterRow), (ReferenceTransmitterRow.name,),
                            reference_to_dict, offset, limit)
            matches = [reference_to_dict(row) for row in session.scalars(
                select(ReferenceTransmitterRow).order_by(ReferenceTransmitterRow.name))
                if _sends_near(row, frequency_hz, tolerance_hz)]
            return page_of(matches, offset, limit)

    def get(self, reference_id: str) -> dict[str, Any]:
        with self._sessions() as session:
            return reference_to_dict(_load(session, reference_id))

    def update(self, reference_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        values = validate_reference(changes, partial=True)
        with transaction(self._sessions) as session:
            row = _load(session, reference_id)
            if "name" in values and values["name"] != row.name:
                ensure_name_free(session, ReferenceTransmitterRow, values["name"], "reference")
            for name, value in values.items():
                setattr(row, name, value)
            row.updated_at = utcnow()
            with name_clash_as_conflict(row.name, "reference"):
                session.flush()
            reference = reference_to_dict(row)
        self._publish(TOPIC, "reference.updated", reference)
        return reference

    def delete(self, reference_id: str) -> dict[str, Any]:
        """Delete a reference (a built-in one too: the next start does not bring it back while
        its name is taken, and ``seed_starter_references`` restores it into an empty slot)."""
        with transaction(self._sessions) as session:
            row = _load(session, reference_id)
            reference = reference_to_dict(row)
            session.delete(row)
        self._publish(TOPIC, "reference.deleted", reference)
        return reference


def reference_to_dict(row: ReferenceTransmitterRow) -> dict[str, Any]:
    return {
        "id": row.id, "name": row.name, "kind": row.kind, "lat": row.lat, "lon": row.lon, "alt_m": row.alt_m,
        "frequencies_hz": list(row.frequencies_hz), "eirp_dbm": row.eirp_dbm, "eirp_sigma_db": row.eirp_sigma_db,
        "position_sigma_m": row.position_sigma_m, "source": row.source, "notes": row.notes,
        "builtin": row.builtin, "enabled": row.enabled,
        "created_at": iso_z(row.created_at), "updated_at": iso_z(row.updated_at),
    }


def load_starter_list(path: Path = STARTER_LIST_PATH) -> list[dict[str, Any]]:
    """The starter references, each checked as a user's would be (a broken list fails loudly)."""
    document = json.loads(path.read_text(encoding="utf-8"))
    if document.get("schema_version") != 1 or not isinstance(document.get("references"), list):
        raise InvalidInput(f"{path.name}: not a schema_version 1 reference list", field="references")
    return [validate_reference(entry, partial=False) for entry in document["references"]]


def seed_starter_references(session_factory: sessionmaker[Session], publish: Publish,
                            path: Path = STARTER_LIST_PATH) -> list[dict[str, Any]]:
    """Add every starter reference whose name no reference has yet; returns those added."""
    starter = load_starter_list(path)
    with transaction(session_factory) as session:
        taken = set(session.scalars(select(ReferenceTransmitterRow.name)))
        rows = [ReferenceTransmitterRow(**values, builtin=True) for values in starter if values["name"] not in taken]
        session.add_all(rows)
        session.flush()
        added = [reference_to_dict(row) for row in rows]
    for reference in added:
        publish(TOPIC, "reference.created", reference)
    return added


def _sends_near(row: ReferenceTransmitterRow, frequency_hz: float, tolerance_hz: float) -> bool:
    return any(abs(float(f) - frequency_hz) <= tolerance_hz for f in row.frequencies_hz)


def _load(session: Session, reference_id: str) -> ReferenceTransmitterRow:
    return load_row(session, ReferenceTransmitterRow, reference_id, "reference")
