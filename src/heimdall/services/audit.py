"""The audit trail: every write (who, what, when, with what outcome) and every failed sign-in.

``record`` appends a row and publishes ``audit.recorded`` on the ``audit`` topic (only admins may
subscribe to it). Rows never hold secrets: the API records the method, the path (never the query
string, where a login link's secret travels), the status and the user.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from heimdall.services.common import Publish, iso_z, page
from heimdall.store.db import transaction
from heimdall.store.tables.users import AuditRow

TOPIC = "audit"
EVENT = "audit.recorded"


def audit_to_dict(row: AuditRow) -> dict[str, Any]:
    return {"id": row.id, "at": iso_z(row.at), "actor": row.actor, "via": row.via, "action": row.action,
            "target": row.target, "status": row.status, "client": row.client, "details": row.details}


class AuditService:
    def __init__(self, session_factory: sessionmaker[Session], publish: Publish) -> None:
        self._sessions = session_factory
        self._publish = publish

    def record(self, *, actor: str, via: str, action: str, target: str, status: int, client: str = "",
               details: dict[str, Any] | None = None) -> dict[str, Any]:
        with transaction(self._sessions) as session:
            row = AuditRow(actor=actor[:64], via=via[:16], action=action[:64], target=target[:2000],
                           status=status, client=client[:64], details=details)
            session.add(row)
            session.flush()
            entry = audit_to_dict(row)
        self._publish(TOPIC, EVENT, entry)
        return entry

    def list(self, offset: int = 0, limit: int = 50, actor: str | None = None) -> dict[str, Any]:
        query = select(AuditRow)
        if actor is not None:
            query = query.where(AuditRow.actor == actor)
        with self._sessions() as session:
            return page(session, query, (AuditRow.id.desc(),), audit_to_dict, offset, limit)
