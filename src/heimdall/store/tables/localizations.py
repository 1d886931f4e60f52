"""Stored localizations: the measurement set that was asked about and the result that was given."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from heimdall.store.db import Base, UTCDateTime, id_column_type, new_id, utcnow
from heimdall.store.tables import receivers as _receivers  # noqa: F401  (networks must be registered for the FK)


class LocalizationRow(Base):
    __tablename__ = "localizations"

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True, default=new_id)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    request: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    method: Mapped[str] = mapped_column(String(100))
    # Denormalised from ``result`` so maps and lists can filter without parsing JSON.
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    network_id: Mapped[str | None] = mapped_column(
        id_column_type(), ForeignKey("networks.id", ondelete="SET NULL"), nullable=True, index=True
    )
    # The monitor that made this fix (no foreign key: a fix outlives its monitor).
    monitor_id: Mapped[str | None] = mapped_column(id_column_type(), nullable=True, index=True)
