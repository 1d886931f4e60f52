"""Captures from real receivers: what was asked, each receiver's outcome, the recordings and the fix.

A capture's status is its job's (``job_id``); the row holds what outlives the job: the receivers as
they were when the capture was asked for (``targets``), each one's outcome (``receivers``), the blob
keys of the SigMF recordings (``recordings``: receiver id -> {"meta", "data"}), which receivers the
fix used and which were excluded with why, and the latest localization made from them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from heimdall.store.db import Base, UTCDateTime, id_column_type, new_id, utcnow
from heimdall.store.tables import jobs as _jobs  # noqa: F401  (jobs must be registered for the FK)
from heimdall.store.tables import localizations as _localizations  # noqa: F401  (for the FK)
from heimdall.store.tables import receivers as _receivers  # noqa: F401  (networks must be registered for the FK)


class CaptureRow(Base):
    __tablename__ = "captures"

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True, default=new_id)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    network_id: Mapped[str | None] = mapped_column(
        id_column_type(), ForeignKey("networks.id", ondelete="SET NULL"), nullable=True, index=True
    )
    job_id: Mapped[str | None] = mapped_column(
        id_column_type(), ForeignKey("jobs.id", ondelete="SET NULL"), nullable=True, index=True
    )
    receiver_ids: Mapped[list[str]] = mapped_column(JSON)
    targets: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    frequency_hz: Mapped[float] = mapped_column(Float)
    passband_hz: Mapped[float] = mapped_column(Float)
    duration_s: Mapped[float] = mapped_column(Float)
    start_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    locate: Mapped[bool] = mapped_column(Boolean, default=True)
    receivers: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    recordings: Mapped[dict[str, dict[str, str]]] = mapped_column(JSON, default=dict)
    used_receiver_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    excluded: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    localization_id: Mapped[str | None] = mapped_column(
        id_column_type(), ForeignKey("localizations.id", ondelete="SET NULL"), nullable=True
    )
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
