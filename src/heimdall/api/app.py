"""The FastAPI app factory: routes under ``/api/v1``, ``/ws``, ``/metrics``, the web app at ``/``.

The app serves the ``Platform`` it is handed (``heimdall.platform.build_platform``): while it runs it
starts the platform's hub (hooked to the platform's publisher), calls ``platform.start`` and runs its
periodic tasks; on shutdown it undoes that in reverse, closing every WebSocket. Closing the platform
(its database and connections) is left to whoever built it.
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
from heimdall.api.access import AccessControl
from heimdall.api.errors import install_error_handlers
from heimdall.api.hardening import Hardening
from heimdall.api.localization_runner import LocalizationRunner
from heimdall.api.middleware import BodySizeLimit, RequestContext
from heimdall.api.openapi_conventions import declare_error_responses, operation_id
from heimdall.api.routes import ROUTERS, recordings, terrain
from heimdall.api.static import DEFAULT_STATIC_DIR, mount_spa
from heimdall.errors import HeimdallError
from heimdall.platform.root import PeriodicTask, Platform
from heimdall.services.users.throttle import LoginThrottle
from heimdall.settings import Settings

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"
_DEFAULT = object()


def create_app(settings: Settings, *, platform: Platform | None = None,
               static_dir: Path | None | object = _DEFAULT) -> FastAPI:
    """The app serving ``platform`` (default: none, every resource answering 503)."""
    app = FastAPI(title="Heimdall", version=__version__, lifespan=_lifespan,
                  openapi_url=f"{API_PREFIX}/openapi.json", docs_url=f"{API_PREFIX}/docs", redoc_url=None,
                  generate_unique_id_function=operation_id)
    declare_error_responses(app)
    app.state.platform = platform
    app.state.settings = settings
    app.state.login_throttle = LoginThrottle(settings.login_max_failures, settings.login_window_s)
    app.state.localization_runner = LocalizationRunner(settings.localize_budget_s)
    app.state.metrics_registry = metrics.metrics_registry(platform.hub if platform is not None else None)
    app.state.metrics_registry.register(app.state.localization_runner)
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
                       path_limits={f"{API_PREFIX}{recordings.UPLOAD_PATH}": settings.max_upload_bytes,
                                    f"{API_PREFIX}{terrain.UPLOAD_PATH}": settings.max_terrain_upload_bytes})
    # Inside RequestContext: Host allow-list and security headers, then who may do what (docs/security.md).
    app.add_middleware(AccessControl, settings=settings)
    app.add_middleware(Hardening, settings=settings)
    app.add_middleware(RequestContext)
    return app


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    platform: Platform | None = app.state.platform
    if platform is None:
        yield
        return
    await platform.hub.start()
    platform.publish.add_listener(platform.hub.offer_threadsafe)
    await asyncio.to_thread(platform.start)
    tasks = [asyncio.create_task(_every(task), name=task.name) for task in platform.periodic_tasks()]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        app.state.localization_runner.close()
        await asyncio.to_thread(platform.stop)
        platform.publish.remove_listener(platform.hub.offer_threadsafe)
        await platform.hub.stop()


async def _every(task: PeriodicTask) -> None:
    delay_s = task.interval_s if task.first_delay_s is None else task.first_delay_s
    while True:
        await asyncio.sleep(delay_s)
        delay_s = task.interval_s
        try:
            await asyncio.to_thread(task.run)
        except HeimdallError as exc:
            # A failed round (say the database is briefly locked) is retried at the next interval.
            log.warning("periodic task %s failed: %s", task.name, exc.message)
