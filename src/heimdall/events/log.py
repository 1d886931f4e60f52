"""The durable event log: append, tail, replay, prune.

Ids must become visible in id order, or a tailer reading ``id > last`` could pass over a
lower id that commits late. SQLite serialises writers already; on PostgreSQL every append takes a
transaction-scoped advisory lock before drawing its id, so commit order equals id order.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Select,
    Table,
    and_,
    delete,
    func,
    insert,
    or_,
    select,
    text,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from heimdall.errors import InvalidInput, StorageError
from heimdall.events.envelope import iso_ms, truncate_ms
from heimdall.events.topics import JOB_LIFECYCLE_EVENTS, JOB_TOPIC_PREFIX, JOBS_TOPIC, job_topic
from heimdall.store.db import transaction
from heimdall.store.tables.events import EventRow

# The contract promises at least 24 h of history whatever the configuration says.
MIN_RETENTION_S = 24 * 3600.0
# Any constant works; it only has to be the same in every process appending to the log.
_APPEND_LOCK_KEY = 0x4845494D  # "HEIM"
_APPEND_LOCK = text("SELECT pg_advisory_xact_lock(:key)")
# Appends are the hot path: one prebuilt Core INSERT ... RETURNING on the table, executed on the
# session's connection, costs a third of building an ORM-enabled insert per call.
_EVENTS = cast(Table, EventRow.__table__)
_INSERT = insert(_EVENTS).returning(_EVENTS.c.id)


def json_safe(value: Any) -> Any:
    """``value`` as plain JSON: NaN/inf become null (a diverged loss must not break the stream)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    if value is None or isinstance(value, (str, int, bool)):
        return value
    raise InvalidInput(f"event data must be JSON: {type(value).__name__} is not")


def row_to_envelope(row: EventRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "event": row.event,
        "topic": row.topic,
        "timestamp": iso_ms(row.created_at),
        "data": row.data,
    }


class EventLog:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._factory = session_factory

    def append(self, topic: str, event: str, data: dict[str, Any]) -> dict[str, Any]:
        """Log one event and return its envelope (with its id)."""
        payload = json_safe(data)
        json.dumps(payload)  # fail here, not in every subscriber
        try:
            with transaction(self._factory) as session:
                connection = session.connection()
                if connection.dialect.name == "postgresql":
                    connection.execute(_APPEND_LOCK, {"key": _APPEND_LOCK_KEY})
                moment = truncate_ms(_now())
                row = {"topic": topic, "event": event, "data": payload, "created_at": moment}
                event_id = connection.execute(_INSERT, row).scalar_one()
            return {"id": event_id, "event": event, "topic": topic, "timestamp": iso_ms(moment), "data": payload}
        except SQLAlchemyError as exc:
            raise StorageError(f"cannot append to the event log: {exc}") from exc

    def read_after(self, after: int, limit: int = 1000) -> list[dict[str, Any]]:
        """Every topic's events with id > ``after``, in id order (the hub's tail)."""
        query = select(EventRow).where(EventRow.id > after).order_by(EventRow.id).limit(limit)
        return self._select(query)

    def replay(
        self, topics: Iterable[str], after: int, *, upto: int | None = None, limit: int = 500
    ) -> list[dict[str, Any]]:
        """Events a subscription to ``topics`` receives with ``after`` < id <= ``upto``, in id order."""
        query = select(EventRow).where(EventRow.id > after, _topic_filter(set(topics)))
        if upto is not None:
            query = query.where(EventRow.id <= upto)
        return self._select(query.order_by(EventRow.id).limit(limit))

    def job_events(self, job_id: str, after: int = 0, limit: int = 500) -> tuple[list[dict[str, Any]], int]:
        """A job's history (REST ``GET /jobs/{id}/events``) and how many events follow ``after``."""
        where = and_(EventRow.topic == job_topic(job_id), EventRow.id > after)
        items = self._select(select(EventRow).where(where).order_by(EventRow.id).limit(limit))
        total = self._scalar(select(func.count()).select_from(EventRow).where(where)) or 0
        return items, int(total)

    def bounds(self) -> tuple[int | None, int]:
        """(oldest retained id or None when empty, last id or 0)."""
        oldest = self._scalar(select(func.min(EventRow.id)))
        last = self._scalar(select(func.max(EventRow.id)))
        return oldest, int(last or 0)

    def cursor_too_old(self, after: int, last_known: int) -> tuple[bool, int | None]:
        """Whether events after ``after`` were pruned; also returns the oldest retained id."""
        oldest, _ = self.bounds()
        if oldest is None:
            return after < last_known, None
        return after < oldest - 1, oldest

    def prune(self, retention_s: float, *, now: datetime | None = None) -> int:
        """Delete events older than the retention (never less than 24 h); returns how many."""
        cutoff = (now or _now()) - timedelta(seconds=max(retention_s, MIN_RETENTION_S))
        try:
            with transaction(self._factory) as session:
                result = session.execute(delete(EventRow).where(EventRow.created_at < cutoff))
                return int(cast(CursorResult[Any], result).rowcount or 0)
        except SQLAlchemyError as exc:
            raise StorageError(f"cannot prune the event log: {exc}") from exc

    def _select(self, query: Select[Any]) -> list[dict[str, Any]]:
        try:
            with self._factory() as session:
                return [row_to_envelope(row) for row in session.scalars(query)]
        except SQLAlchemyError as exc:
            raise StorageError(f"cannot read the event log: {exc}") from exc

    def _scalar(self, query: Select[Any]) -> Any:
        try:
            with self._factory() as session:
                return session.scalar(query)
        except SQLAlchemyError as exc:
            raise StorageError(f"cannot read the event log: {exc}") from exc


def _topic_filter(topics: set[str]) -> ColumnElement[bool]:
    explicit = sorted(topics - {JOBS_TOPIC})
    conditions: list[ColumnElement[bool]] = [EventRow.topic.in_(explicit)] if explicit else []
    if JOBS_TOPIC in topics:
        conditions.append(
            and_(EventRow.topic.startswith(JOB_TOPIC_PREFIX), EventRow.event.in_(sorted(JOB_LIFECYCLE_EVENTS)))
        )
    return or_(*conditions) if conditions else EventRow.id < 0


def _now() -> datetime:
    return datetime.now(UTC)
