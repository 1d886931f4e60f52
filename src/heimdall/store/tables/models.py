"""The model registry: trained (or imported) neural localizers, their files and their deployment.

A registered model owns two blobs (``onnx_key``, ``checkpoint_key``). ``deployed_slot`` is what makes
"one deployed model per network" a database rule rather than a hope: it holds the network id (or,
for a model without a network, ``layout:<sha256 of its receiver layout>``) while the model is
deployed and NULL otherwise, under a unique constraint (NULLs never clash on SQLite or PostgreSQL).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from heimdall.store.db import Base, UTCDateTime, id_column_type, new_id, utcnow
from heimdall.store.tables import jobs as _jobs  # noqa: F401  (jobs must be registered for the FK)
from heimdall.store.tables import receivers as _receivers  # noqa: F401  (networks must be registered for the FK)


class RegisteredModelRow(Base):
    __tablename__ = "registered_models"

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    network_id: Mapped[str | None] = mapped_column(
        id_column_type(), ForeignKey("networks.id", ondelete="SET NULL"), nullable=True, index=True
    )
    # Set by a training job; unique so that a job re-run after a crash never registers twice.
    job_id: Mapped[str | None] = mapped_column(
        id_column_type(), ForeignKey("jobs.id", ondelete="SET NULL"), nullable=True, unique=True
    )
    parent_model_id: Mapped[str | None] = mapped_column(
        id_column_type(), ForeignKey("registered_models.id", ondelete="SET NULL"), nullable=True
    )
    dataset_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    training_config: Mapped[dict[str, Any]] = mapped_column(JSON)
    layout: Mapped[dict[str, Any]] = mapped_column(JSON)
    normalization: Mapped[dict[str, Any]] = mapped_column(JSON)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    best_epoch: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Where the model came from when it was imported from a bundle: {"id", "name", "exported_at"}.
    origin: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    onnx_key: Mapped[str] = mapped_column(String(1024))
    onnx_sha256: Mapped[str] = mapped_column(String(64))
    onnx_bytes: Mapped[int] = mapped_column(BigInteger)
    checkpoint_key: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    checkpoint_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    checkpoint_bytes: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    deployed_slot: Mapped[str | None] = mapped_column(String(200), nullable=True, unique=True)
    deployed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
