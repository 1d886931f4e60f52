"""Receivers, named networks of receivers, and the ordered membership between them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Enum, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from heimdall.store.db import Base, UTCDateTime, id_column_type, new_id, utcnow

RECEIVER_KINDS = ("kiwisdr", "openwebrx", "websdr", "sdr", "kraken", "simulated")
RECEIVER_TIMINGS = ("gnss", "none")
RECEIVER_CAPABILITIES = ("rss", "tdoa", "aoa")


class ReceiverRow(Base):
    __tablename__ = "receivers"

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # Non-native enums (a VARCHAR plus a CHECK) so adding a kind is a plain migration on every backend.
    kind: Mapped[str] = mapped_column(
        Enum(*RECEIVER_KINDS, name="receiver_kind", native_enum=False, create_constraint=True, length=16)
    )
    url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    alt_m: Mapped[float] = mapped_column(Float, default=0.0)
    capabilities: Mapped[list[str]] = mapped_column(JSON, default=list)
    timing: Mapped[str] = mapped_column(
        Enum(*RECEIVER_TIMINGS, name="receiver_timing", native_enum=False, create_constraint=True, length=8)
    )
    noise_figure_db: Mapped[float | None] = mapped_column(Float, nullable=True)
    antenna: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    health: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NetworkRow(Base):
    __tablename__ = "networks"

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    members: Mapped[list[NetworkReceiverRow]] = relationship(
        order_by="NetworkReceiverRow.position", cascade="all, delete-orphan", lazy="selectin"
    )


class NetworkReceiverRow(Base):
    """Membership of a receiver in a network; ``position`` keeps the user's order (rx0 first)."""

    __tablename__ = "network_receivers"

    network_id: Mapped[str] = mapped_column(
        id_column_type(), ForeignKey("networks.id", ondelete="CASCADE"), primary_key=True
    )
    # Deleting a receiver drops it from every network it belonged to (docs/resources.md).
    receiver_id: Mapped[str] = mapped_column(
        id_column_type(), ForeignKey("receivers.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(Integer)

    receiver: Mapped[ReceiverRow] = relationship(lazy="joined")
