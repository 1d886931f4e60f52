"""Monitors: a watch over channels of a network, what it heard (transmissions), the fixes it made
and the analyst's exclusions. Tracks are not stored: they are recomputed from the fixes (each fix
names the track the live tracker put it in) and the exclusions (docs/monitoring.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from heimdall.store.db import Base, UTCDateTime, id_column_type, new_id, utcnow
from heimdall.store.tables import jobs as _jobs  # noqa: F401  (jobs must be registered for the FK)
from heimdall.store.tables import receivers as _receivers  # noqa: F401  (networks must be registered for the FK)


class MonitorRow(Base):
    __tablename__ = "monitors"

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    network_id: Mapped[str | None] = mapped_column(
        id_column_type(), ForeignKey("networks.id", ondelete="SET NULL"), nullable=True, index=True
    )
    # channels, min_receivers, cot, options: as validated at creation (defaults filled)
    config: Mapped[dict[str, Any]] = mapped_column(JSON)
    job_id: Mapped[str | None] = mapped_column(
        id_column_type(), ForeignKey("jobs.id", ondelete="SET NULL"), nullable=True, index=True
    )
    # the job's last word on each receiver: receiver_id, name, kind, state, reason
    receivers: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MonitorTransmissionRow(Base):
    """One key-up heard by the monitor; the id is the grouper's deterministic UUIDv5."""

    __tablename__ = "monitor_transmissions"

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True)
    monitor_id: Mapped[str] = mapped_column(
        id_column_type(), ForeignKey("monitors.id", ondelete="CASCADE"), index=True
    )
    frequency_hz: Mapped[float] = mapped_column(Float)
    start: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    end: Mapped[datetime] = mapped_column(UTCDateTime)
    receiver_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    localization_id: Mapped[str | None] = mapped_column(id_column_type(), nullable=True)
    track_id: Mapped[str | None] = mapped_column(id_column_type(), nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MonitorFixRow(Base):
    """A fix of the monitor: the localization it stored, its time and the track it joined."""

    __tablename__ = "monitor_fixes"

    localization_id: Mapped[str] = mapped_column(id_column_type(), primary_key=True)
    monitor_id: Mapped[str] = mapped_column(
        id_column_type(), ForeignKey("monitors.id", ondelete="CASCADE"), index=True
    )
    transmission_id: Mapped[str] = mapped_column(id_column_type())
    track_id: Mapped[str] = mapped_column(id_column_type(), index=True)
    frequency_hz: Mapped[float] = mapped_column(Float)
    time_s: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    covariance_enu_m2: Mapped[list[list[float]]] = mapped_column(JSON)
    # the measurement set it was located from (re-located without a bearing the analyst excludes)
    request: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MonitorExclusionRow(Base):
    """An analyst's exclusion of a fix, or of one receiver's measurement in it, with a note."""

    __tablename__ = "monitor_exclusions"

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True, default=new_id)
    monitor_id: Mapped[str] = mapped_column(
        id_column_type(), ForeignKey("monitors.id", ondelete="CASCADE"), index=True
    )
    localization_id: Mapped[str] = mapped_column(id_column_type())
    receiver_id: Mapped[str | None] = mapped_column(id_column_type(), nullable=True)
    note: Mapped[str] = mapped_column(Text)
    # the fix located again without that receiver (receiver exclusions only)
    relocated: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
