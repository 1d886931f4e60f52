"""``GET /api/v1/health``: liveness plus the state of each configured component."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from heimdall import __version__
from heimdall.api.services import Services, get_services

router = APIRouter(tags=["health"])


@router.get("/health")
def health(services: Annotated[Services, Depends(get_services)]) -> dict[str, Any]:
    components = {"database": _database(services), "events": _events(services), "jobs": _jobs(services)}
    healthy = all(component["status"] != "error" for component in components.values())
    return {"status": "ok" if healthy else "degraded", "version": __version__, "components": components}


def _database(services: Services) -> dict[str, Any]:
    if services.session_factory is None:
        return {"status": "unconfigured"}
    try:
        with services.session_factory() as session:
            session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        return {"status": "error", "message": str(exc.__class__.__name__)}
    backend = "postgresql" if services.settings.resolved_database_url.startswith("postgres") else "sqlite"
    return {"status": "ok", "backend": backend}


def _events(services: Services) -> dict[str, Any]:
    hub = services.hub
    if hub is None:
        return {"status": "unconfigured"}
    bus = "redis" if hub.redis_url else "embedded"
    return {"status": "ok", "bus": bus, "connections": hub.connection_count, "last_id": hub.last_id}


def _jobs(services: Services) -> dict[str, Any]:
    if services.jobs is None:
        return {"status": "unconfigured"}
    executor = type(services.executor).__name__ if services.executor is not None else None
    return {"status": "ok", "executor": executor}
