"""Typed FastAPI dependencies: how a route gets what the composition root built.

``create_app(settings, platform=...)`` keeps the ``heimdall.platform.Platform`` on ``app.state``; a
route names what it needs in its signature (``service: Receivers``, ``jobs: Jobs``, ...) and gets
that typed component. An app created without a platform (the OpenAPI export, a bare test app)
answers 503 ``dependency_missing`` in the one error shape, naming the missing component. Routes never
build a service.

Adding a service: one ``Annotated`` line below, picking the platform's new attribute.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Depends
from starlette.requests import HTTPConnection

from heimdall.errors import DependencyMissing
from heimdall.events.hub import Hub
from heimdall.events.log import EventLog
from heimdall.jobs.service import JobService
from heimdall.platform.root import Platform
from heimdall.services.captures.service import CaptureService
from heimdall.services.audit import AuditService
from heimdall.services.datasets.service import DatasetService
from heimdall.services.localizations import LocalizationService
from heimdall.services.maps.archives import TileArchives
from heimdall.services.models.registry import ModelRegistry
from heimdall.services.models.training import TrainingService
from heimdall.services.monitors.service import MonitorService
from heimdall.services.networks import NetworkService
from heimdall.services.receiver_health import ReceiverHealthService
from heimdall.services.calibrations import CalibrationService
from heimdall.services.receiver_secrets import ReceiverSecrets
from heimdall.services.references import ReferenceService
from heimdall.services.receivers import ReceiverService
from heimdall.services.recording_uploads import RecordingUploads
from heimdall.services.terrain_files import TerrainFiles
from heimdall.services.users import Identity, Principal
from heimdall.services.users.principal import LOCAL
from heimdall.settings import Settings
from heimdall.store.blob import BlobStore

T = TypeVar("T")


def platform_of(connection: HTTPConnection) -> Platform | None:
    """The app's platform, or None for an app created without one."""
    platform: Platform | None = connection.app.state.platform
    return platform


def hub_of(connection: HTTPConnection) -> Hub | None:
    platform = platform_of(connection)
    return platform.hub if platform is not None else None


def component(name: str, pick: Callable[[Platform], T]) -> Callable[[HTTPConnection], T]:
    """A dependency handing out ``pick(platform)``; DependencyMissing (503) naming ``name`` without one."""

    def dependency(connection: HTTPConnection) -> T:
        platform = platform_of(connection)
        if platform is None:
            raise DependencyMissing(f"the {name} service is not configured in this server")
        return pick(platform)

    return dependency


OptionalPlatform = Annotated[Platform | None, Depends(platform_of)]
Blobs = Annotated[BlobStore, Depends(component("blobs", lambda p: p.blobs))]
Events = Annotated[EventLog, Depends(component("events", lambda p: p.publish.log))]
Jobs = Annotated[JobService, Depends(component("jobs", lambda p: p.jobs))]
Receivers = Annotated[ReceiverService, Depends(component("receivers", lambda p: p.receivers))]
ReceiverHealth = Annotated[ReceiverHealthService, Depends(component("receiver health", lambda p: p.receiver_health))]
Networks = Annotated[NetworkService, Depends(component("networks", lambda p: p.networks))]
References = Annotated[ReferenceService, Depends(component("references", lambda p: p.references))]
Calibrations = Annotated[CalibrationService, Depends(component("calibrations", lambda p: p.calibrations))]
Localizations = Annotated[LocalizationService, Depends(component("localizations", lambda p: p.localizations))]
Datasets = Annotated[DatasetService, Depends(component("datasets", lambda p: p.datasets))]
Registry = Annotated[ModelRegistry, Depends(component("models", lambda p: p.registry))]
Training = Annotated[TrainingService, Depends(component("training", lambda p: p.training))]
Archives = Annotated[TileArchives, Depends(component("tile archives", lambda p: p.tile_archives))]
Uploads = Annotated[RecordingUploads, Depends(component("recording uploads", lambda p: p.recording_uploads))]
Captures = Annotated[CaptureService, Depends(component("captures", lambda p: p.captures))]
Monitors = Annotated[MonitorService, Depends(component("monitors", lambda p: p.monitors))]
AppSettings = Annotated[Settings, Depends(component("settings", lambda p: p.settings))]
IdentityServices = Annotated[Identity, Depends(component("identity", lambda p: p.identity))]
Audit = Annotated[AuditService, Depends(component("audit", lambda p: p.audit))]
Terrain = Annotated[TerrainFiles, Depends(component("terrain files", lambda p: p.terrain_files))]
Secrets = Annotated[ReceiverSecrets, Depends(component("receiver secrets", lambda p: p.receiver_secrets))]


def principal_of(connection: HTTPConnection) -> Principal:
    """Who the request acts as (set by api.access.AccessControl; ``local`` with authentication off)."""
    principal: Principal | None = getattr(connection.state, "principal", None)
    return principal if principal is not None else LOCAL


CurrentPrincipal = Annotated[Principal, Depends(principal_of)]
