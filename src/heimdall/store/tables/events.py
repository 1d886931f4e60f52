"""The durable event log behind ``/ws``: every logged event, once, under one topic.

Ids are the global cursor clients resume from, so they must only grow: SQLite gets AUTOINCREMENT
(never reuses an id after pruning), PostgreSQL a sequence, and appends are serialised (see
``heimdall.events.log``) so ids become visible in id order.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from heimdall.store.db import Base, UTCDateTime

# SQLite only gives AUTOINCREMENT semantics to an INTEGER PRIMARY KEY; PostgreSQL gets BIGSERIAL.
EventIdType = BigInteger().with_variant(Integer(), "sqlite")


class EventRow(Base):
    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_topic_id", "topic", "id"),
        Index("ix_events_created_at", "created_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(EventIdType, primary_key=True, autoincrement=True)
    topic: Mapped[str] = mapped_column(String(80), nullable=False)
    event: Mapped[str] = mapped_column(String(80), nullable=False)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
