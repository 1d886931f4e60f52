"""Synthetic datasets: the resolved simulator config, the shards committed so far and their health.

A dataset's samples live in the blob store as shards (``datasets/<id>/shard-<start>.arrow``);
``shards`` lists only shards whose blob was completely written before the row recorded it, so the
row never points at half a shard. ``num_samples`` is what those shards hold; ``requested_samples``
what the user asked for (initial generation plus expansions).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from heimdall.store.db import Base, UTCDateTime, id_column_type, new_id, utcnow
from heimdall.store.tables import jobs as _jobs  # noqa: F401  (jobs must be registered for the FK)
from heimdall.store.tables import receivers as _receivers  # noqa: F401  (networks must be registered for the FK)

DATASET_STATUSES = ("generating", "ready", "failed", "expanding")


class DatasetRow(Base):
    __tablename__ = "datasets"

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # The network it was generated from; the dataset keeps its own copy of the receivers in ``config``.
    network_id: Mapped[str | None] = mapped_column(
        id_column_type(), ForeignKey("networks.id", ondelete="SET NULL"), nullable=True, index=True
    )
    config: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(
        Enum(*DATASET_STATUSES, name="dataset_status", native_enum=False, create_constraint=True, length=16)
    )
    num_samples: Mapped[int] = mapped_column(Integer, default=0)
    requested_samples: Mapped[int] = mapped_column(Integer)
    shards: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    statistics: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    validation: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # The latest generation/expansion job; a deleted job leaves the dataset without one.
    job_id: Mapped[str | None] = mapped_column(
        id_column_type(), ForeignKey("jobs.id", ondelete="SET NULL"), nullable=True, index=True
    )
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
