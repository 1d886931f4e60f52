"""Create (fit), list, read, reject and delete calibrations; pick the one that corrects a measurement set."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from heimdall.calibrate import apply_calibration, calibrate, calibration_from_dict, parse_references
from heimdall.errors import Conflict, InvalidInput
from heimdall.locate.measurement_set import MeasurementSet
from heimdall.services.calibrations.request import read_request
from heimdall.services.common import Publish, finite_json, iso_z, load_row, page, page_of
from heimdall.store.db import transaction, utcnow
from heimdall.store.tables.calibrations import CalibrationRow

TOPIC = "calibrations"
# how many of the newest active calibrations a localization tries, newest first
CANDIDATES = 20


class CalibrationService:
    def __init__(self, session_factory: sessionmaker[Session], publish: Publish,
                 lookup_reference: Callable[[str], dict[str, Any]], max_age_s: float) -> None:
        self._sessions = session_factory
        self._publish = publish
        self._lookup_reference = lookup_reference
        self._max_age = timedelta(seconds=max_age_s)

    def create(self, body: Any) -> dict[str, Any]:
        """Fit from the captures in ``body`` and store the result (nothing is stored on a refusal)."""
        request = read_request(body, self._lookup_reference)
        fitted = calibrate(parse_references(request.references), quantities=request.quantities,
                           gauge=request.gauge)
        document = finite_json(fitted.to_dict())
        with transaction(self._sessions) as session:
            row = CalibrationRow(status="active", receiver_ids=sorted(fitted.receivers),
                                 quantities=sorted(fitted.offsets), document=document,
                                 evidence=request.evidence, note=request.note)
            session.add(row)
            session.flush()
            calibration = self._to_dict(row)
        self._publish(TOPIC, "calibration.created", calibration)
        return calibration

    def list(self, *, offset: int = 0, limit: int = 50, receiver_id: str | None = None) -> dict[str, Any]:
        """Newest first; with ``receiver_id``, only calibrations holding an offset of that receiver."""
        with self._sessions() as session:
            query = select(CalibrationRow)
            if receiver_id is None:
                return page(session, query, (CalibrationRow.created_at.desc(), CalibrationRow.id), self._to_dict,
                            offset, limit)
            rows = session.scalars(query.order_by(CalibrationRow.created_at.desc(), CalibrationRow.id))
            matches = [self._to_dict(row) for row in rows if receiver_id in row.receiver_ids]
            return page_of(matches, offset, limit)

    def get(self, calibration_id: str) -> dict[str, Any]:
        with self._sessions() as session:
            return self._to_dict(_load(session, calibration_id))

    def reject(self, calibration_id: str, reason: str) -> dict[str, Any]:
        """A user's review: a rejected calibration is kept (with why) but never applied again."""
        if not isinstance(reason, str) or not reason.strip() or len(reason) > 2000:
            raise InvalidInput("reason must be a non-empty string of at most 2000 characters", field="reason")
        with transaction(self._sessions) as session:
            row = _load(session, calibration_id)
            if row.status == "rejected":
                raise Conflict(f"calibration {calibration_id} is already rejected", field="status")
            row.status, row.rejected_reason, row.rejected_at = "rejected", reason.strip(), utcnow()
            row.updated_at = utcnow()
            session.flush()
            calibration = self._to_dict(row)
        self._publish(TOPIC, "calibration.updated", calibration)
        return calibration

    def delete(self, calibration_id: str) -> None:
        with transaction(self._sessions) as session:
            row = _load(session, calibration_id)
            calibration = self._to_dict(row)
            session.delete(row)
        self._publish(TOPIC, "calibration.deleted", calibration)

    def correct(self, ms: MeasurementSet) -> tuple[MeasurementSet, dict[str, Any]]:
        """The set corrected by the newest active, fresh calibration that covers its measurements;
        unchanged (with the reason) when none does. Every localizer is given the corrected set; the note
        goes into the result as ``calibration``."""
        receivers = set(ms.receivers.ids)
        reasons: list[str] = []
        for row in self._candidates(receivers):
            state = self._state(row)
            if state != "active":
                reasons.append(f"{row.id} is {state}")
                continue
            try:
                corrected = apply_calibration(ms, calibration_from_dict(row.document))
            except InvalidInput as exc:
                reasons.append(f"{row.id}: {exc.message}")
                continue
            return corrected, ({"applied": True, "id": row.id, "created_at": iso_z(row.created_at),
                                "quantities": list(row.quantities)})
        reason = "; ".join(reasons[:3]) if reasons else "no calibration holds these receivers"
        return ms, {"applied": False, "id": None, "reason": reason}

    def _candidates(self, receivers: set[str]) -> builtins.list[CalibrationRow]:
        with self._sessions() as session:
            query = (select(CalibrationRow).where(CalibrationRow.status == "active")
                     .order_by(CalibrationRow.created_at.desc(), CalibrationRow.id).limit(CANDIDATES))
            rows = list(session.scalars(query))
            session.expunge_all()
        return [row for row in rows if receivers & set(row.receiver_ids)]

    def _state(self, row: CalibrationRow) -> str:
        if row.status == "rejected":
            return "rejected"
        return "stale" if _age(row.created_at) > self._max_age else "active"

    def _to_dict(self, row: CalibrationRow) -> dict[str, Any]:
        return {
            "id": row.id, "status": row.status, "state": self._state(row), "receiver_ids": list(row.receiver_ids),
            "quantities": list(row.quantities), "calibration": row.document, "evidence": list(row.evidence),
            "note": row.note, "rejected_reason": row.rejected_reason,
            "rejected_at": iso_z(row.rejected_at) if row.rejected_at else None,
            "created_at": iso_z(row.created_at), "updated_at": iso_z(row.updated_at),
        }


def _age(moment: datetime) -> timedelta:
    return utcnow() - moment


def _load(session: Session, calibration_id: str) -> CalibrationRow:
    return load_row(session, CalibrationRow, calibration_id, "calibration")
