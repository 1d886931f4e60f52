"""``GET /api/v1/health``: liveness plus the state of each configured component."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from heimdall import __version__
from heimdall.api.deps import OptionalPlatform
from heimdall.platform.root import Platform

router = APIRouter(tags=["health"])


class Health(BaseModel):
    """``status`` is ``ok`` or ``degraded`` (a component in error); each component says its own."""

    status: Literal["ok", "degraded"]
    version: str
    components: dict[str, dict[str, Any]]


@router.get("/health", response_model=Health)
def health(platform: OptionalPlatform) -> dict[str, Any]:
    components = {"database": _database(platform), "events": _events(platform), "jobs": _jobs(platform)}
    healthy = all(component["status"] != "error" for component in components.values())
    return {"status": "ok" if healthy else "degraded", "version": __version__, "components": components}


def _database(platform: Platform | None) -> dict[str, Any]:
    if platform is None:
        return {"status": "unconfigured"}
    try:
        with platform.session_factory() as session:
            session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        return {"status": "error", "message": str(exc.__class__.__name__)}
    backend = "postgresql" if platform.settings.resolved_database_url.startswith("postgres") else "sqlite"
    return {"status": "ok", "backend": backend}


def _events(platform: Platform | None) -> dict[str, Any]:
    if platform is None:
        return {"status": "unconfigured"}
    hub = platform.hub
    return {"status": "ok", "bus": hub.bus, "connections": hub.connection_count, "last_id": hub.last_id}


def _jobs(platform: Platform | None) -> dict[str, Any]:
    if platform is None:
        return {"status": "unconfigured"}
    executor = platform.jobs.executor
    return {"status": "ok", "executor": type(executor).__name__ if executor is not None else None}
