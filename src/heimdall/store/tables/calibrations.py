"""Calibrations: per-receiver systematic offsets fitted from captures of reference transmitters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, Text
from sqlalchemy.orm import Mapped, mapped_column

from heimdall.store.db import Base, UTCDateTime, id_column_type, new_id, utcnow

CALIBRATION_STATUSES = ("active", "rejected")


class CalibrationRow(Base):
    __tablename__ = "calibrations"

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True, default=new_id)
    status: Mapped[str] = mapped_column(
        Enum(*CALIBRATION_STATUSES, name="calibration_status", native_enum=False, create_constraint=True, length=16)
    )
    receiver_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    quantities: Mapped[list[str]] = mapped_column(JSON, default=list)
    # heimdall.calibrate.Calibration.to_dict(): offsets, covariances, gauges, the receivers' sites
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    # what it was fitted from: one entry per reference capture (reference id or position, counts)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="")
    rejected_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    rejected_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
