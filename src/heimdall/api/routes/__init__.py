"""Every REST resource's router, in one list: add a resource with one line here.

Each module exposes ``router`` (an ``APIRouter`` whose paths are relative to ``/api/v1``).
"""

from __future__ import annotations

from heimdall.api.routes import health, jobs
from heimdall.api.routes import localizations, networks, receivers
from heimdall.api.routes import datasets
from heimdall.api.routes import models, training

ROUTERS = [
    health.router,
    jobs.router,
    receivers.router,
    networks.router,
    localizations.router,
    datasets.router,
    models.router,
    training.router,
]
