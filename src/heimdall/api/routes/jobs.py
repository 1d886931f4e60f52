"""Jobs: list, inspect, control (pause/resume/cancel), delete, metrics and event history.

``POST /jobs`` (create a job of any registered kind) is an extension of the contract, used by tests
and scripts; resources such as datasets and training jobs have their own creating endpoints.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from heimdall.api.deps import Events, Jobs
from heimdall.api.pagination import MAX_OFFSET, Page, page_params
from heimdall.api.routes.receivers import Timestamp
from heimdall.config_fields import NumbersNotBooleans

router = APIRouter(prefix="/jobs", tags=["jobs"])

JobStatus = Literal["queued", "running", "pausing", "paused", "cancelling", "cancelled", "completed", "failed"]


class JobCreate(NumbersNotBooleans):
    model_config = ConfigDict(extra="forbid")
    kind: str = Field(min_length=1, max_length=100, description="A registered job kind")
    params: dict[str, Any] = Field(default_factory=dict)
    name: str | None = Field(default=None, max_length=200)


class Job(BaseModel):
    """A long-running operation (CONTRACT section 2); more engine fields may follow (attempt, worker_id...)."""

    model_config = ConfigDict(extra="allow")
    id: str
    kind: str
    name: str | None
    status: JobStatus
    params: dict[str, Any]
    progress: dict[str, Any] | None
    result: dict[str, Any] | None
    error: str | None
    reason: str | None
    parent_id: str | None
    has_checkpoint: bool
    created_at: Timestamp
    started_at: Timestamp | None
    updated_at: Timestamp
    finished_at: Timestamp | None


class JobPage(BaseModel):
    items: list[Job]
    total: int


class JobCreated(BaseModel):
    job: Job


class EpochMetrics(BaseModel):
    epoch: int
    metrics: dict[str, Any]
    created_at: Timestamp


class JobMetrics(BaseModel):
    items: list[EpochMetrics]
    total: int


class JobEvent(BaseModel):
    """One logged event of the job, as on /ws (CONTRACT section 3)."""

    model_config = ConfigDict(extra="allow")
    id: int
    event: str
    topic: str
    timestamp: Timestamp
    data: dict[str, Any]


class JobEventPage(BaseModel):
    items: list[JobEvent]
    total: int


@router.get("", response_model=JobPage)
def list_jobs(
    page: Annotated[Page, Depends(page_params)],
    jobs: Jobs,
    kind: Annotated[str | None, Query(max_length=100)] = None,
    status: JobStatus | None = None,
) -> dict[str, Any]:
    items, total = jobs.list(kind=kind, status=status, offset=page.offset, limit=page.limit)
    return {"items": items, "total": total}


@router.post("", response_model=JobCreated, status_code=202)
def create_job(body: JobCreate, jobs: Jobs) -> dict[str, Any]:
    return {"job": jobs.create(body.kind, body.params, name=body.name)}


@router.get("/{job_id}", response_model=Job)
def get_job(job_id: uuid.UUID, jobs: Jobs) -> dict[str, Any]:
    return jobs.get(str(job_id))


@router.delete("/{job_id}", status_code=204)
def delete_job(job_id: uuid.UUID, jobs: Jobs) -> Response:
    jobs.delete(str(job_id))
    return Response(status_code=204)


@router.post("/{job_id}/pause", response_model=Job)
def pause_job(job_id: uuid.UUID, jobs: Jobs) -> dict[str, Any]:
    return jobs.pause(str(job_id))


@router.post("/{job_id}/resume", response_model=Job)
def resume_job(job_id: uuid.UUID, jobs: Jobs) -> dict[str, Any]:
    return jobs.resume(str(job_id))


@router.post("/{job_id}/cancel", response_model=Job)
def cancel_job(job_id: uuid.UUID, jobs: Jobs) -> dict[str, Any]:
    return jobs.cancel(str(job_id))


@router.get("/{job_id}/metrics", response_model=JobMetrics)
def job_metrics(job_id: uuid.UUID, jobs: Jobs) -> dict[str, Any]:
    items = jobs.metrics(str(job_id))
    return {"items": items, "total": len(items)}


@router.get("/{job_id}/events", response_model=JobEventPage)
def job_events(
    job_id: uuid.UUID,
    jobs: Jobs,
    event_log: Events,
    after: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Only events with a greater id")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> dict[str, Any]:
    jobs.get(str(job_id))  # 404 for an unknown job
    items, total = event_log.job_events(str(job_id), after=after, limit=limit)
    return {"items": items, "total": total}
