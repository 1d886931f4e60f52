"""The captures table: insert, read, record each receiver's outcome and the end; the Capture as JSON.

Used by the service (requests) and by the capture job (progress, outcome); every change is
published as ``capture.updated`` on ``captures`` by the caller, with ``to_dict``'s Capture.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from heimdall.services.common import iso_z, load_row, page
from heimdall.store.db import transaction, utcnow
from heimdall.store.tables.captures import CaptureRow

TOPIC = "captures"
JobStatus = Callable[[str | None], str | None]  # job id -> its status, None when gone


class CaptureStore:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._sessions = session_factory

    def insert(self, values: dict[str, Any]) -> str:
        with transaction(self._sessions) as session:
            row = CaptureRow(**values, receivers=[_pending(t) for t in values["targets"]])
            session.add(row)
            session.flush()
            return row.id

    def row_dict(self, capture_id: str) -> dict[str, Any]:
        """The stored columns (no job status, no localization): what the job works from."""
        with self._sessions() as session:
            return _columns(load_row(session, CaptureRow, capture_id, "capture"))

    def update(self, capture_id: str, **values: Any) -> dict[str, Any]:
        with transaction(self._sessions) as session:
            row = load_row(session, CaptureRow, capture_id, "capture")
            for name, value in values.items():
                setattr(row, name, value)
            row.updated_at = utcnow()
            session.flush()
            return _columns(row)

    def set_receiver(self, capture_id: str, state: dict[str, Any]) -> dict[str, Any]:
        """Replace one receiver's entry (matched by receiver_id)."""
        with transaction(self._sessions) as session:
            row = load_row(session, CaptureRow, capture_id, "capture")
            row.receivers = [({**r, **state} if r["receiver_id"] == state["receiver_id"] else r)
                             for r in row.receivers]
            row.updated_at = utcnow()
            session.flush()
            return _columns(row)

    def page(self, offset: int, limit: int) -> dict[str, Any]:
        with self._sessions() as session:
            return page(session, select(CaptureRow), (CaptureRow.created_at.desc(), CaptureRow.id), _columns,
                        offset, limit)

    def delete(self, capture_id: str) -> dict[str, Any]:
        with transaction(self._sessions) as session:
            row = load_row(session, CaptureRow, capture_id, "capture")
            columns = _columns(row)
            session.delete(row)
            return columns

    def recent(self, since: datetime) -> list[dict[str, Any]]:
        """Captures created since ``since`` (for the per-host budget)."""
        with self._sessions() as session:
            rows = session.scalars(select(CaptureRow).where(CaptureRow.created_at >= since))
            return [_columns(row) for row in rows]


def hour_ago() -> datetime:
    return utcnow() - timedelta(hours=1)


def to_capture(columns: dict[str, Any], status: str | None, localization: dict[str, Any] | None) -> dict[str, Any]:
    """The Capture of docs/captures.md from the stored columns, the job's status and the localization."""
    if status is None:  # the job was deleted: what the capture's own record says
        status = "failed" if columns["error"] else "completed"
    keys = ("id", "network_id", "receiver_ids", "frequency_hz", "passband_hz", "duration_s", "job_id",
            "receivers", "used_receiver_ids", "excluded", "localization_id", "error")
    out = {key: columns[key] for key in keys}
    out["receivers"] = [{**r, "has_recording": r["receiver_id"] in columns["recordings"]} for r in columns["receivers"]]
    return {**out, "created_at": iso_z(columns["created_at"]), "updated_at": iso_z(columns["updated_at"]),
            "start_at": iso_z(columns["start_at"]) if columns["start_at"] else None, "locate": columns["locate"],
            "status": status, "localization": localization}


def _pending(target: dict[str, Any]) -> dict[str, Any]:
    return {"receiver_id": target["id"], "name": target["name"], "state": "pending", "reason": None,
            "gnss_ok": False, "seconds_recorded": 0.0, "snr_db": None, "sample_rate_hz": None}


def _columns(row: CaptureRow) -> dict[str, Any]:
    return {column.name: getattr(row, column.name) for column in CaptureRow.__table__.columns}
