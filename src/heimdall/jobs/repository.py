"""Job rows: reads, and every write as a compare-and-set so two processes can never both win.

A status change is ``UPDATE jobs SET ... WHERE id = :id AND status = :seen`` (plus ``worker_id = :me``
for a worker's own writes); zero rows updated means someone else changed the job first, and the
change is re-evaluated against what is there now. Reads and the conditional write use separate short
transactions, which SQLite in WAL mode needs (a read transaction cannot always upgrade to a write).
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Executable, Table, Update, delete, func, insert, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from heimdall.errors import NotFound, StorageError
from heimdall.jobs import lifecycle
from heimdall.store.db import new_id, transaction, utcnow
from heimdall.store.tables.jobs import JobMetricRow, JobRow

JOBS = cast(Table, JobRow.__table__)
METRICS = cast(Table, JobMetricRow.__table__)
_CAS_RETRIES = 20


class LeaseLost(Exception):
    """The job no longer names this worker: it was reaped, cancelled away or taken over."""


def iso_z(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def job_to_dict(row: Any) -> dict[str, Any]:
    data = dict(row._mapping) if hasattr(row, "_mapping") else dict(row)
    for key, value in data.items():
        if isinstance(value, datetime):
            data[key] = iso_z(value)
    data.pop("has_checkpoint", None)
    data["has_checkpoint"] = bool(data.get("checkpoint_key"))
    return data


def _brief(exc: Exception) -> str:
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{exc.__class__.__name__}: {first_line[:200]}"


class JobRepository:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory

    def _read(self, statement: Executable) -> list[Any]:
        try:
            with self.session_factory() as session:
                return list(session.execute(statement))
        except SQLAlchemyError as exc:
            raise StorageError(f"job store read failed: {_brief(exc)}") from exc

    def _write(self, statement: Executable) -> int:
        try:
            with transaction(self.session_factory) as session:
                return cast(CursorResult[Any], session.execute(statement)).rowcount
        except SQLAlchemyError as exc:
            raise StorageError(f"job store write failed: {_brief(exc)}") from exc

    def insert(self, kind: str, queue: str, params: dict[str, Any], *, name: str | None = None,
               parent_id: str | None = None) -> dict[str, Any]:
        now = utcnow()
        values = {
            "id": new_id(), "kind": kind, "queue": queue, "name": name, "params": params,
            "status": lifecycle.QUEUED, "progress": None, "requested_control": None,
            "resume_on_start": False, "attempt": 0, "worker_id": None, "heartbeat_at": None,
            "lease_expires_at": None, "checkpoint_key": None, "result": None, "error": None,
            "reason": None, "parent_id": parent_id, "created_at": now, "started_at": None,
            "updated_at": now, "finished_at": None,
        }
        self._write(insert(JOBS).values(**values))
        return job_to_dict(values)

    def find(self, job_id: str) -> dict[str, Any] | None:
        rows = self._read(select(JOBS).where(JOBS.c.id == job_id))
        return job_to_dict(rows[0]) if rows else None

    def get(self, job_id: str) -> dict[str, Any]:
        job = self.find(job_id)
        if job is None:
            raise NotFound(f"no job {job_id}")
        return job

    def list(self, kind: str | None = None, status: str | None = None, offset: int = 0,
             limit: int = 50) -> tuple[list[dict[str, Any]], int]:
        conditions = []
        if kind:
            conditions.append(JOBS.c.kind == kind)
        if status:
            conditions.append(JOBS.c.status == status)
        page = select(JOBS).where(*conditions).order_by(JOBS.c.created_at.desc(), JOBS.c.id)
        rows = self._read(page.offset(offset).limit(limit))
        total = self._read(select(func.count()).select_from(JOBS).where(*conditions))[0][0]
        return [job_to_dict(row) for row in rows], int(total)

    def with_status(self, statuses: Iterable[str], limit: int | None = None) -> builtins.list[dict[str, Any]]:
        statement = select(JOBS).where(JOBS.c.status.in_(list(statuses))).order_by(JOBS.c.created_at, JOBS.c.id)
        return [job_to_dict(row) for row in self._read(statement.limit(limit))]

    def lapsed(self, now: datetime) -> builtins.list[dict[str, Any]]:
        statement = select(JOBS).where(
            JOBS.c.status.in_(sorted(lifecycle.ATTACHED)), JOBS.c.lease_expires_at < now
        )
        return [job_to_dict(row) for row in self._read(statement)]

    def transition(self, job_id: str, action: str, *, worker_id: str | None = None,
                   values: dict[str, Any] | Callable[[dict[str, Any], str], dict[str, Any]] | None = None,
                   lapsed_before: datetime | None = None) -> tuple[str, dict[str, Any]]:
        """Apply ``action``; returns (previous status, the job after). Conflict if forbidden.

        ``worker_id`` makes it a worker's write (LeaseLost when the row names another worker);
        ``lapsed_before`` also requires the lease to have expired (the reaper's condition).
        ``values`` are the other columns to set, or a function of (the job as read, the target status).
        """
        for _ in range(_CAS_RETRIES):
            job = self.get(job_id)
            current = job["status"]
            if worker_id is not None and job["worker_id"] != worker_id:
                raise LeaseLost(job_id)
            target = lifecycle.next_status(action, current, job_id=job_id)
            extra = values(job, target) if callable(values) else values
            changes = self._changes_for(target, extra)
            statement = update(JOBS).where(JOBS.c.id == job_id, JOBS.c.status == current)
            if worker_id is not None:
                statement = statement.where(JOBS.c.worker_id == worker_id)
            if lapsed_before is not None:
                statement = statement.where(JOBS.c.lease_expires_at < lapsed_before)
            if self._write(statement.values(**changes)) == 1:
                return current, job_to_dict({**job, **changes})
            if lapsed_before is not None:
                raise LeaseLost(job_id)
        raise StorageError(f"job {job_id} kept changing under {action}; giving up")

    @staticmethod
    def _changes_for(target: str, values: dict[str, Any] | None) -> dict[str, Any]:
        now = utcnow()
        changes: dict[str, Any] = {"status": target, "updated_at": now, **(values or {})}
        if target in lifecycle.TERMINAL:
            changes.update(finished_at=now, lease_expires_at=None, requested_control=None)
        return changes

    def delete(self, job_id: str) -> tuple[dict[str, Any], bool]:
        """Delete a job that is not active. Returns (the job, True) or raises Conflict."""
        for _ in range(_CAS_RETRIES):
            job = self.get(job_id)
            lifecycle.next_status("delete", job["status"], job_id=job_id)
            try:
                with transaction(self.session_factory) as session:
                    session.execute(delete(METRICS).where(METRICS.c.job_id == job_id))
                    deleted = cast(CursorResult[Any], session.execute(
                        delete(JOBS).where(JOBS.c.id == job_id, JOBS.c.status == job["status"])
                    )).rowcount
            except SQLAlchemyError as exc:
                raise StorageError(f"job store write failed: {_brief(exc)}") from exc
            if deleted == 1:
                return job, True
        raise StorageError(f"job {job_id} kept changing under delete; giving up")

    # --- a worker's own writes: each requires the row to still name the worker ---

    def _owned(self, job_id: str, worker_id: str) -> Update:
        return update(JOBS).where(
            JOBS.c.id == job_id, JOBS.c.worker_id == worker_id, JOBS.c.status.in_(sorted(lifecycle.ATTACHED))
        )

    def heartbeat(self, job_id: str, worker_id: str, timeout_s: float) -> bool:
        now = utcnow()
        statement = self._owned(job_id, worker_id).values(
            heartbeat_at=now, lease_expires_at=now + timedelta(seconds=timeout_s)
        )
        return self._write(statement) == 1

    def set_progress(self, job_id: str, worker_id: str, progress: dict[str, Any]) -> bool:
        return self._write(self._owned(job_id, worker_id).values(progress=progress, updated_at=utcnow())) == 1

    def set_checkpoint_key(self, job_id: str, worker_id: str, key: str) -> bool:
        return self._write(self._owned(job_id, worker_id).values(checkpoint_key=key, updated_at=utcnow())) == 1

    @staticmethod
    def names_worker(session: Session, job_id: str, worker_id: str) -> bool:
        """Whether the job row still names ``worker_id``, read in the caller's transaction ``session``."""
        return session.scalar(select(JOBS.c.worker_id).where(JOBS.c.id == job_id)) == worker_id

    def control(self, job_id: str, worker_id: str) -> tuple[str | None, bool]:
        """(requested control, whether the row still names this worker)."""
        rows = self._read(select(JOBS.c.requested_control, JOBS.c.worker_id).where(JOBS.c.id == job_id))
        if not rows:
            return None, False
        return rows[0][0], rows[0][1] == worker_id

    def put_metrics(self, job_id: str, epoch: int, metrics: dict[str, Any]) -> None:
        """Store one epoch's metrics; an epoch written again (after a resume) replaces the old row."""
        try:
            with transaction(self.session_factory) as session:
                session.execute(delete(METRICS).where(METRICS.c.job_id == job_id, METRICS.c.epoch == epoch))
                session.execute(insert(METRICS).values(job_id=job_id, epoch=epoch, metrics=metrics,
                                                       created_at=utcnow()))
        except SQLAlchemyError as exc:
            raise StorageError(f"cannot store metrics of job {job_id}: {_brief(exc)}") from exc

    def metrics(self, job_id: str) -> builtins.list[dict[str, Any]]:
        statement = select(METRICS.c.epoch, METRICS.c.metrics, METRICS.c.created_at).where(
            METRICS.c.job_id == job_id
        ).order_by(METRICS.c.epoch)
        return [
            {"epoch": row.epoch, "metrics": row.metrics, "created_at": iso_z(row.created_at)}
            for row in self._read(statement)
        ]
