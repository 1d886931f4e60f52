"""The FastAPI app factory: routes under ``/api/v1``, ``/ws``, ``/metrics``, the web app at ``/``.

The app owns the lifetime of what ``Services`` hands it: it starts the hub (and hooks it to this
process's publisher), runs the periodic tasks and the startup hooks, and on shutdown undoes all of
that in reverse, closing every WebSocket.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI

from heimdall import __version__
from heimdall.api import metrics, ws
from heimdall.api.errors import install_error_handlers
from heimdall.api.middleware import BodySizeLimit, RequestContext
from heimdall.api.routes import ROUTERS, recordings
from heimdall.api.services import PeriodicTask, Services
from heimdall.api.static import DEFAULT_STATIC_DIR, mount_spa
from heimdall.errors import HeimdallError
from heimdall.settings import Settings

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"
_DEFAULT = object()


def create_app(settings: Settings, *, services: Services | None = None, static_dir: Path | None | object = _DEFAULT
               ) -> FastAPI:
    """The app for ``services`` (default: an empty container, every resource answering 503)."""
    services = services or Services(settings=settings)
    app = FastAPI(title="Heimdall", version=__version__, lifespan=_lifespan,
                  openapi_url=f"{API_PREFIX}/openapi.json", docs_url=f"{API_PREFIX}/docs", redoc_url=None)
    app.state.services = services
    app.state.metrics_registry = metrics.metrics_registry(services)
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(ws.router)
    app.include_router(metrics.router)
    dist = DEFAULT_STATIC_DIR if static_dir is _DEFAULT else static_dir
    if isinstance(dist, Path) and (dist / "index.html").is_file():
        mount_spa(app, dist)
    # Outermost first: every request gets an id before anything can fail.
    app.add_middleware(BodySizeLimit, max_body_bytes=settings.max_body_bytes,
                       path_limits={f"{API_PREFIX}{recordings.UPLOAD_PATH}": settings.max_upload_bytes})
    app.add_middleware(RequestContext)
    return app


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    services: Services = app.state.services
    if services.hub is not None:
        await services.hub.start()
        if services.publish is not None:
            services.publish.add_listener(services.hub.offer_threadsafe)
    for hook in services.on_startup:
        await asyncio.to_thread(hook)
    tasks = [asyncio.create_task(_every(task), name=task.name) for task in services.periodic]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for hook in services.on_shutdown:
            await asyncio.to_thread(hook)
        if services.hub is not None:
            if services.publish is not None:
                services.publish.remove_listener(services.hub.offer_threadsafe)
            await services.hub.stop()


async def _every(task: PeriodicTask) -> None:
    while True:
        await asyncio.sleep(task.interval_s)
        try:
            await asyncio.to_thread(task.run)
        except HeimdallError as exc:
            # A failed round (say the database is briefly locked) is retried at the next interval.
            log.warning("periodic task %s failed: %s", task.name, exc.message)
