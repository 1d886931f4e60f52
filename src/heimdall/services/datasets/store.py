"""Dataset rows: every read and write of the ``datasets`` table, shared by the service and the job.

Writes made by a generation job name the job: a shard is registered, or the dataset finished or
settled, only while the row still points at that job (and, for shards, while the job engine says, in
the same transaction, that the job still names the writing worker), so a worker that lost its lease
can never touch a dataset its successor owns. The ``jobs`` table is the engine's: this store never
reads it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from heimdall.errors import Conflict, InvalidInput, StorageError
from heimdall.jobs.repository import LeaseLost
from heimdall.services.common import ensure_name_free, iso_z, load_row
from heimdall.services.datasets.shards import summarize_statistics
from heimdall.store.db import transaction, utcnow
from heimdall.store.tables.datasets import DatasetRow

GENERATING, READY, FAILED, EXPANDING = "generating", "ready", "failed", "expanding"
IN_PROGRESS = (GENERATING, EXPANDING)


def dataset_to_dict(row: DatasetRow) -> dict[str, Any]:
    """The dataset as the API answers and the ``datasets`` events carry it (histograms: see statistics)."""
    return {
        "id": row.id, "name": row.name, "network_id": row.network_id, "status": row.status,
        "num_samples": row.num_samples, "requested_samples": row.requested_samples,
        "config": row.config, "shards": list(row.shards or []),
        "bytes": sum(shard["bytes"] + shard.get("iq_bytes", 0) for shard in row.shards or []),
        "has_iq": bool(row.config.get("iq", {}).get("enabled")),
        "statistics": summarize_statistics(row.statistics), "validation": row.validation,
        "job_id": row.job_id, "error": row.error,
        "created_at": iso_z(row.created_at), "updated_at": iso_z(row.updated_at),
    }


def shard_added_data(dataset: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
    """What a ``dataset.shard_added`` event carries: the appended shard and the counts it changed.

    Not the whole dataset: its shard list grows with every shard, so sending it per shard would make
    the event log grow with the square of the shard count (docs/datasets.md, "Events").
    """
    return {
        "id": dataset["id"], "status": dataset["status"], "num_samples": dataset["num_samples"],
        "requested_samples": dataset["requested_samples"], "num_shards": len(dataset["shards"]),
        "bytes": dataset["bytes"], "job_id": dataset["job_id"], "updated_at": dataset["updated_at"],
        "shard": entry,
    }


@contextmanager
def _storage(what: str) -> Iterator[None]:
    try:
        yield
    except IntegrityError:
        raise
    except SQLAlchemyError as exc:
        raise StorageError(f"dataset store {what} failed: {exc.__class__.__name__}") from exc


class DatasetStore:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._sessions = session_factory

    @contextmanager
    def _write(self, what: str = "write") -> Iterator[Session]:
        with _storage(what), transaction(self._sessions) as session:
            yield session

    def insert(self, *, name: str, network_id: str | None, config: dict[str, Any], requested_samples: int) -> dict[str, Any]:
        try:
            with self._write("insert") as session:
                _ensure_name_free(session, name)
                row = DatasetRow(name=name, network_id=network_id, config=config, status=GENERATING,
                                 num_samples=0, requested_samples=requested_samples, shards=[])
                session.add(row)
                session.flush()
                return dataset_to_dict(row)
        except IntegrityError as exc:
            raise Conflict(f"a dataset named {name!r} already exists", field="name") from exc

    def get(self, dataset_id: str) -> dict[str, Any]:
        with _storage("read"), self._sessions() as session:
            return dataset_to_dict(_load(session, dataset_id))

    def raw(self, dataset_id: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """The dataset and its full statistics (histograms included)."""
        with _storage("read"), self._sessions() as session:
            row = _load(session, dataset_id)
            return dataset_to_dict(row), row.statistics

    def list(self, offset: int, limit: int, status: str | None = None) -> tuple[list[dict[str, Any]], int]:
        conditions = [DatasetRow.status == status] if status else []
        with _storage("read"), self._sessions() as session:
            total = session.scalar(select(func.count()).select_from(DatasetRow).where(*conditions))
            rows = session.scalars(select(DatasetRow).where(*conditions)
                                   .order_by(DatasetRow.created_at.desc(), DatasetRow.id).offset(offset).limit(limit))
            return [dataset_to_dict(row) for row in rows], int(total or 0)

    def set_job(self, dataset_id: str, job_id: str) -> dict[str, Any] | None:
        """Point the dataset at ``job_id`` unless it already does; the dataset if it changed, else None."""
        with self._write() as session:
            row = _load(session, dataset_id)
            if row.job_id == job_id:
                return None
            row.job_id, row.updated_at = job_id, utcnow()
            return dataset_to_dict(row)

    def attach_job(self, dataset_id: str, job_id: str) -> dict[str, Any]:
        """The job's first write: the dataset must be in progress and not owned by another job."""
        with self._write() as session:
            row = _load(session, dataset_id)
            if row.status not in IN_PROGRESS or row.job_id not in (None, job_id):
                raise Conflict(f"dataset {dataset_id} is {row.status} under job {row.job_id}; job {job_id} "
                               "has nothing to generate")
            row.job_id = job_id
            return dataset_to_dict(row)

    def begin_expansion(self, dataset_id: str, count: int) -> dict[str, Any]:
        with self._write() as session:
            row = _load(session, dataset_id)
            if row.status != READY:
                raise Conflict(f"dataset {row.name!r} is {row.status}; only a ready dataset can be expanded",
                               details={"status": row.status})
            row.status, row.error, row.job_id = EXPANDING, None, None  # the expansion's job attaches itself
            row.requested_samples = row.num_samples + count
            row.updated_at = utcnow()
            return dataset_to_dict(row)

    def undo_expansion(self, dataset_id: str, previous: dict[str, Any]) -> None:
        """Back to what ``begin_expansion`` found (its job could not be created)."""
        with self._write() as session:
            row = session.get(DatasetRow, dataset_id)
            if row is not None and row.status == EXPANDING:
                row.status, row.requested_samples = READY, previous["requested_samples"]
                row.error, row.job_id, row.updated_at = previous["error"], previous["job_id"], utcnow()

    def register_shard(self, dataset_id: str, job_id: str, entry: dict[str, Any],
                       holds_lease: Callable[[Session], bool]) -> dict[str, Any]:
        """Record a shard whose blob is completely written; it must continue the committed samples.
        ``holds_lease(session)`` (the job context's) says whether the writing worker still owns the job."""
        with self._write("shard registration") as session:
            owned = holds_lease(session)
            row = session.get(DatasetRow, dataset_id, with_for_update=True)
            if not owned or row is None or row.job_id != job_id:
                raise LeaseLost(job_id)
            if entry["start_index"] != row.num_samples:
                raise Conflict(f"shard at {entry['start_index']} does not continue dataset {dataset_id} "
                               f"({row.num_samples} samples committed)")
            row.shards = [*row.shards, entry]
            row.num_samples += entry["count"]
            row.updated_at = utcnow()
            return dataset_to_dict(row)

    def finish(self, dataset_id: str, job_id: str, validation: dict[str, Any],
               statistics: dict[str, Any]) -> dict[str, Any]:
        """The job generated and checked everything: the dataset is ready."""
        with self._write() as session:
            row = _owned(session, dataset_id, job_id)
            row.status, row.error = READY, None
            row.validation, row.statistics, row.updated_at = validation, statistics, utcnow()
            return dataset_to_dict(row)

    def settle(self, dataset_id: str, job_id: str | None, outcome: str, reason: str) -> dict[str, Any] | None:
        """The job ended without finishing (``outcome`` cancelled or failed): decide the dataset's status.

        An expansion that stops leaves a ready dataset of the samples committed so far. A first
        generation that is cancelled keeps its committed samples as a ready (partial) dataset if there
        are any; one that fails is ``failed``. Statistics and validation are recomputed on demand.
        Returns the dataset if it changed (None when it had already moved on).
        """
        with self._write() as session:
            row = session.get(DatasetRow, dataset_id, with_for_update=True)
            if row is None or row.status not in IN_PROGRESS or row.job_id != job_id:
                return None
            keeps_samples = row.status == EXPANDING or (outcome == "cancelled" and row.num_samples > 0)
            row.status = READY if keeps_samples else FAILED
            row.error = f"{reason} ({row.num_samples} of {row.requested_samples} samples committed)"
            row.statistics = row.validation = None
            row.updated_at = utcnow()
            return dataset_to_dict(row)

    def store_health(self, dataset_id: str, num_samples: int, validation: dict[str, Any],
                     statistics: dict[str, Any] | None) -> None:
        """Keep a health check's results if the dataset still holds what was checked."""
        with self._write() as session:
            row = session.get(DatasetRow, dataset_id)
            if row is not None and row.num_samples == num_samples and row.status not in IN_PROGRESS:
                row.validation = validation
                if statistics is not None:
                    row.statistics = statistics

    def rename(self, dataset_id: str, name: str) -> dict[str, Any] | None:
        """Rename; the dataset if the name changed, else None."""
        try:
            with self._write() as session:
                row = _load(session, dataset_id)
                if row.name == name:
                    return None
                _ensure_name_free(session, name)
                row.name, row.updated_at = name, utcnow()
                session.flush()
                return dataset_to_dict(row)
        except IntegrityError as exc:
            raise Conflict(f"a dataset named {name!r} already exists", field="name") from exc

    def delete(self, dataset_id: str, expected_job_id: str | None) -> dict[str, Any]:
        """Delete the row if it still names ``expected_job_id`` (no job started meanwhile)."""
        with self._write("delete") as session:
            row = _load(session, dataset_id)
            if row.job_id != expected_job_id:
                raise Conflict(f"dataset {row.name!r} started job {row.job_id} meanwhile; try again")
            dataset = dataset_to_dict(row)
            session.delete(row)
            return dataset


def _load(session: Session, dataset_id: str) -> DatasetRow:
    return load_row(session, DatasetRow, dataset_id, "dataset")


def _owned(session: Session, dataset_id: str, job_id: str) -> DatasetRow:
    row = session.get(DatasetRow, dataset_id, with_for_update=True)
    if row is None or row.job_id != job_id or row.status not in IN_PROGRESS:
        raise LeaseLost(job_id)
    return row


def _ensure_name_free(session: Session, name: str) -> None:
    ensure_name_free(session, DatasetRow, name, "dataset")


def check_name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("name must be a non-empty string", field="name")
    if len(value.strip()) > 200:
        raise InvalidInput("name must be at most 200 characters", field="name")
    return value.strip()
