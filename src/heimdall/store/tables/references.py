"""Reference transmitters: emitters whose position (and frequencies, perhaps power) is known."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Enum, Float, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from heimdall.store.db import Base, UTCDateTime, id_column_type, new_id, utcnow

REFERENCE_KINDS = ("time_signal", "broadcast", "beacon", "test", "other")


class ReferenceTransmitterRow(Base):
    __tablename__ = "reference_transmitters"

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(
        Enum(*REFERENCE_KINDS, name="reference_kind", native_enum=False, create_constraint=True, length=16)
    )
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    alt_m: Mapped[float] = mapped_column(Float, default=0.0)
    # every frequency the emitter is known to use, ascending (a time station may send on five)
    frequencies_hz: Mapped[list[float]] = mapped_column(JSON, default=list)
    eirp_dbm: Mapped[float | None] = mapped_column(Float, nullable=True)
    eirp_sigma_db: Mapped[float | None] = mapped_column(Float, nullable=True)
    position_sigma_m: Mapped[float] = mapped_column(Float, default=0.0)
    source: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    # from the starter list shipped with Heimdall (src/heimdall/services/references/starter.json)
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
