"""Jobs: list, inspect, control (pause/resume/cancel), delete, metrics and event history.

``POST /jobs`` (create a job of any registered kind) is an extension of the contract, used by tests
and scripts; resources such as datasets and training jobs have their own creating endpoints.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from heimdall.api.pagination import Page, page_params
from heimdall.api.services import get_event_log, get_jobs
from heimdall.events.log import EventLog

router = APIRouter(prefix="/jobs", tags=["jobs"])

JobStatus = Literal["queued", "running", "pausing", "paused", "cancelling", "cancelled", "completed", "failed"]


class JobCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str = Field(min_length=1, max_length=100, description="A registered job kind")
    params: dict[str, Any] = Field(default_factory=dict)
    name: str | None = Field(default=None, max_length=200)


@router.get("")
def list_jobs(
    kind: str | None = Query(None, max_length=100),
    status: JobStatus | None = Query(None),
    page: Page = Depends(page_params),
    jobs=Depends(get_jobs),
) -> dict[str, Any]:
    items, total = jobs.list(kind=kind, status=status, offset=page.offset, limit=page.limit)
    return {"items": items, "total": total}


@router.post("", status_code=202)
def create_job(body: JobCreate, jobs=Depends(get_jobs)) -> dict[str, Any]:
    return {"job": jobs.create(body.kind, body.params, name=body.name)}


@router.get("/{job_id}")
def get_job(job_id: uuid.UUID, jobs=Depends(get_jobs)) -> dict[str, Any]:
    return jobs.get(str(job_id))


@router.delete("/{job_id}", status_code=204)
def delete_job(job_id: uuid.UUID, jobs=Depends(get_jobs)) -> Response:
    jobs.delete(str(job_id))
    return Response(status_code=204)


@router.post("/{job_id}/pause")
def pause_job(job_id: uuid.UUID, jobs=Depends(get_jobs)) -> dict[str, Any]:
    return jobs.pause(str(job_id))


@router.post("/{job_id}/resume")
def resume_job(job_id: uuid.UUID, jobs=Depends(get_jobs)) -> dict[str, Any]:
    return jobs.resume(str(job_id))


@router.post("/{job_id}/cancel")
def cancel_job(job_id: uuid.UUID, jobs=Depends(get_jobs)) -> dict[str, Any]:
    return jobs.cancel(str(job_id))


@router.get("/{job_id}/metrics")
def job_metrics(job_id: uuid.UUID, jobs=Depends(get_jobs)) -> dict[str, Any]:
    items = jobs.metrics(str(job_id))
    return {"items": items, "total": len(items)}


@router.get("/{job_id}/events")
def job_events(
    job_id: uuid.UUID,
    after: int = Query(0, ge=0, description="Only events with a greater id"),
    limit: int = Query(500, ge=1, le=1000),
    jobs=Depends(get_jobs),
    event_log: EventLog = Depends(get_event_log),
) -> dict[str, Any]:
    jobs.get(str(job_id))  # 404 for an unknown job
    items, total = event_log.job_events(str(job_id), after=after, limit=limit)
    return {"items": items, "total": total}
