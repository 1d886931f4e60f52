"""Every REST resource's router, in one list: add a resource with one line here.

Each module exposes ``router`` (an ``APIRouter`` whose paths are relative to ``/api/v1``).
"""

from __future__ import annotations

from heimdall.api.routes import (
    accuracy,
    audit,
    auth,
    calibrations,
    captures,
    datasets,
    health,
    iq,
    jobs,
    localizations,
    maps,
    models,
    monitors,
    networks,
    oidc,
    overlays,
    receiver_secrets,
    receivers,
    recordings,
    references,
    terrain,
    training,
    users,
)

ROUTERS = [
    health.router,
    jobs.router,
    receivers.router,
    networks.router,
    references.router,
    calibrations.router,
    localizations.router,
    datasets.router,
    models.router,
    training.router,
    accuracy.router,
    iq.router,
    maps.router,
    overlays.router,
    recordings.router,
    captures.router,
    monitors.router,
    auth.router,
    oidc.router,
    users.router,
    audit.router,
    receiver_secrets.router,
    terrain.router,
]
