"""The monitor's rows: the monitor, its transmissions, fixes and exclusions (no job or API logic).

Writes are idempotent where a restart could repeat them: a transmission or fix already stored
(same deterministic id) is left as it is, so a resumed job never duplicates one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from heimdall.errors import InvalidInput, NotFound
from heimdall.services.common import check_page, iso_z, load_row
from heimdall.store.db import transaction, utcnow
from heimdall.store.tables.monitors import (
    MonitorExclusionRow,
    MonitorFixRow,
    MonitorRow,
    MonitorTransmissionRow,
)


def to_datetime(time_s: float) -> datetime:
    return datetime.fromtimestamp(time_s, UTC)


class MonitorStore:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._sessions = session_factory

    # --- monitors ---

    def insert(self, name: str, network_id: str, config: dict[str, Any], receivers: list[dict[str, Any]]) -> dict[str, Any]:
        with transaction(self._sessions) as session:
            row = MonitorRow(name=name, network_id=network_id, config=config, receivers=receivers)
            session.add(row)
            session.flush()
            return self._to_dict(session, row)

    def get(self, monitor_id: str) -> dict[str, Any]:
        with self._sessions() as session:
            return self._to_dict(session, _load(session, monitor_id))

    def page(self, offset: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        check_page(offset, limit)
        with self._sessions() as session:
            total = session.scalar(select(func.count()).select_from(MonitorRow)) or 0
            rows = session.scalars(select(MonitorRow).order_by(MonitorRow.created_at.desc(), MonitorRow.id)
                                   .offset(offset).limit(limit))
            return [self._to_dict(session, row) for row in rows], total

    def delete(self, monitor_id: str) -> dict[str, Any]:
        with transaction(self._sessions) as session:
            row = _load(session, monitor_id)
            monitor = self._to_dict(session, row)
            session.delete(row)
            return monitor

    def set_job(self, monitor_id: str, job_id: str) -> dict[str, Any]:
        return self._change(monitor_id, job_id=job_id)

    def set_receivers(self, monitor_id: str, receivers: list[dict[str, Any]]) -> dict[str, Any]:
        return self._change(monitor_id, receivers=receivers)

    def _change(self, monitor_id: str, **values: Any) -> dict[str, Any]:
        with transaction(self._sessions) as session:
            row = _load(session, monitor_id)
            for key, value in values.items():
                setattr(row, key, value)
            row.updated_at = utcnow()
            session.flush()
            return self._to_dict(session, row)

    def _to_dict(self, session: Session, row: MonitorRow) -> dict[str, Any]:
        transmissions = session.scalar(select(func.count()).select_from(MonitorTransmissionRow)
                                       .where(MonitorTransmissionRow.monitor_id == row.id)) or 0
        fixes = session.scalar(select(func.count()).select_from(MonitorFixRow)
                               .where(MonitorFixRow.monitor_id == row.id)) or 0
        return {"id": row.id, "name": row.name, "created_at": iso_z(row.created_at),
                "updated_at": iso_z(row.updated_at), "network_id": row.network_id, **row.config,
                "job_id": row.job_id, "receivers": list(row.receivers),
                "counts": {"transmissions": transmissions, "fixes": fixes}}

    # --- transmissions and fixes ---

    def add_transmission(self, monitor_id: str, values: dict[str, Any]) -> dict[str, Any] | None:
        """Store a transmission; None when it was stored before (a replay)."""
        with transaction(self._sessions) as session:
            if session.get(MonitorTransmissionRow, values["id"]) is not None:
                return None
            row = MonitorTransmissionRow(monitor_id=monitor_id, **values)
            session.add(row)
            session.flush()
            return transmission_to_dict(row)

    def add_fix(self, monitor_id: str, values: dict[str, Any]) -> bool:
        with transaction(self._sessions) as session:
            if session.get(MonitorFixRow, values["localization_id"]) is not None:
                return False
            session.add(MonitorFixRow(monitor_id=monitor_id, **values))
            return True

    def fixes(self, monitor_id: str, track_id: str | None = None) -> list[MonitorFixRow]:
        query = select(MonitorFixRow).where(MonitorFixRow.monitor_id == monitor_id)
        if track_id is not None:
            query = query.where(MonitorFixRow.track_id == track_id)
        with self._sessions() as session:
            rows = list(session.scalars(query.order_by(MonitorFixRow.time_s, MonitorFixRow.localization_id)))
            session.expunge_all()
            return rows

    def fix(self, monitor_id: str, localization_id: str) -> MonitorFixRow:
        with self._sessions() as session:
            row = session.get(MonitorFixRow, localization_id) if isinstance(localization_id, str) else None
            if row is None or row.monitor_id != monitor_id:
                raise InvalidInput(f"monitor {monitor_id} has no fix {localization_id!r}", field="localization_id")
            session.expunge(row)
            return row

    def transmissions(self, monitor_id: str, offset: int, limit: int) -> dict[str, Any]:
        check_page(offset, limit)
        where = MonitorTransmissionRow.monitor_id == monitor_id
        with self._sessions() as session:
            total = session.scalar(select(func.count()).select_from(MonitorTransmissionRow).where(where)) or 0
            rows = session.scalars(select(MonitorTransmissionRow).where(where)
                                   .order_by(MonitorTransmissionRow.start.desc(), MonitorTransmissionRow.id)
                                   .offset(offset).limit(limit))
            return {"items": [transmission_to_dict(row) for row in rows], "total": total}

    # --- exclusions ---

    def exclusions(self, monitor_id: str) -> list[dict[str, Any]]:
        with self._sessions() as session:
            rows = session.scalars(select(MonitorExclusionRow).where(MonitorExclusionRow.monitor_id == monitor_id)
                                   .order_by(MonitorExclusionRow.created_at, MonitorExclusionRow.id))
            return [exclusion_to_dict(row) for row in rows]

    def add_exclusion(self, monitor_id: str, values: dict[str, Any]) -> dict[str, Any]:
        with transaction(self._sessions) as session:
            row = MonitorExclusionRow(monitor_id=monitor_id, **values)
            session.add(row)
            session.flush()
            return exclusion_to_dict(row)

    def delete_exclusion(self, monitor_id: str, exclusion_id: str) -> dict[str, Any]:
        with transaction(self._sessions) as session:
            row = session.get(MonitorExclusionRow, exclusion_id) if isinstance(exclusion_id, str) else None
            if row is None or row.monitor_id != monitor_id:
                raise NotFound(f"monitor {monitor_id} has no exclusion {exclusion_id!r}",
                               details={"resource": "exclusion", "id": exclusion_id})
            removed = exclusion_to_dict(row)
            session.delete(row)
            return removed


def transmission_to_dict(row: MonitorTransmissionRow) -> dict[str, Any]:
    return {"id": row.id, "monitor_id": row.monitor_id, "frequency_hz": row.frequency_hz,
            "start": iso_z(row.start), "end": iso_z(row.end), "receiver_ids": list(row.receiver_ids),
            "localization_id": row.localization_id, "track_id": row.track_id, "reason": row.reason}


def exclusion_to_dict(row: MonitorExclusionRow) -> dict[str, Any]:
    return {"id": row.id, "monitor_id": row.monitor_id, "localization_id": row.localization_id,
            "receiver_id": row.receiver_id, "note": row.note, "relocated": row.relocated,
            "created_at": iso_z(row.created_at)}


def _load(session: Session, monitor_id: str) -> MonitorRow:
    row: MonitorRow = load_row(session, MonitorRow, monitor_id, "monitor")
    return row
