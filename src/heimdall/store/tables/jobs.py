"""Jobs (every long-running operation) and their per-epoch metrics.

The row is the source of truth for a job's state; executors only run jobs. Status changes are
compare-and-set updates on ``status`` (see ``heimdall.jobs.repository``), and a running job's
``worker_id`` is its lease token: a worker writes only while the row still names it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from heimdall.store.db import Base, UTCDateTime, id_column_type, new_id, utcnow

JOB_STATUSES = ("queued", "running", "pausing", "paused", "cancelling", "cancelled", "completed", "failed")


class JobRow(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_status_created_at", "status", "created_at"),
        Index("ix_jobs_kind_created_at", "kind", "created_at"),
    )

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(100))
    queue: Mapped[str] = mapped_column(String(100), default="cpu")
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Plain strings (no CHECK) so a new state is a code change, not a table rebuild on SQLite.
    status: Mapped[str] = mapped_column(String(16), default="queued")
    progress: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    requested_control: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # Set when the server's shutdown paused the job, so the next start resumes it on its own.
    resume_on_start: Mapped[bool] = mapped_column(Boolean, default=False)
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    worker_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    checkpoint_key: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    parent_id: Mapped[str | None] = mapped_column(
        id_column_type(), ForeignKey("jobs.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class JobMetricRow(Base):
    __tablename__ = "job_metrics"
    __table_args__ = (UniqueConstraint("job_id", "epoch"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(id_column_type(), ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    epoch: Mapped[int] = mapped_column(Integer)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
