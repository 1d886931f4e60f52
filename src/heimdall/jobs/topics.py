"""The job events of CONTRACT section 3, all published on topic ``job:<id>``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Publish = Callable[[str, str, dict[str, Any]], object]


def job_topic(job_id: str) -> str:
    return f"job:{job_id}"


def publish_created(publish: Publish, job: dict[str, Any]) -> None:
    publish(job_topic(job["id"]), "job.created", job)


def publish_state(publish: Publish, job: dict[str, Any], previous_status: str) -> None:
    data = {**job, "status": job["status"], "previous_status": previous_status, "reason": job.get("reason")}
    publish(job_topic(job["id"]), "job.state", data)


def publish_deleted(publish: Publish, job: dict[str, Any]) -> None:
    publish(job_topic(job["id"]), "job.deleted", job)
