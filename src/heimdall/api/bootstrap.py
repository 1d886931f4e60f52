"""Build the ``Services`` of one API process from settings (``heimdall serve`` and integration tests).

Order matters: migrate the database, then the blob store, the publisher and the hub, then job kinds,
the executor and the job service. The app's lifespan starts the executor, recovers jobs left over
from a previous run, runs the reaper and the event-log pruning, and stops all of it on shutdown.
"""

from __future__ import annotations

import logging
from typing import Any

from heimdall.api.services import PeriodicTask, Services
from heimdall.events.hub import make_hub
from heimdall.events.publisher import make_publisher
from heimdall.settings import Settings
from heimdall.store.db import make_engine, make_session_factory

log = logging.getLogger(__name__)

EVENT_PRUNE_INTERVAL_S = 3600.0
EXECUTOR_STOP_TIMEOUT_S = 20.0


def build_services(settings: Settings, *, executor: Any = None, hub_options: dict[str, Any] | None = None
                   ) -> Services:
    """Everything the app needs; ``executor`` overrides the configured one (tests pass an inline one)."""
    from heimdall.jobs.executors import make_executor
    from heimdall.jobs.registry import import_job_modules
    from heimdall.jobs.service import JobService
    from heimdall.services.models import registry_services
    from heimdall.store.blob import make_blob_store
    from heimdall.store.schema import upgrade_database

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    url = settings.resolved_database_url
    upgrade_database(url)
    engine = make_engine(url)
    session_factory = make_session_factory(engine)
    blobs = make_blob_store(settings.resolved_blob_url, settings.s3_endpoint_url)
    publish = make_publisher(settings, session_factory)
    hub = make_hub(settings, publish.log, **(hub_options or {}))
    import_job_modules(settings.all_job_modules)
    if executor is None:
        executor = make_executor(settings, session_factory=session_factory, publish=publish, blobs=blobs)
    jobs = JobService(session_factory, publish, executor, blobs, max_attempts=settings.job_max_attempts)
    services = Services(settings=settings, session_factory=session_factory, publish=publish, hub=hub,
                        jobs=jobs, blobs=blobs, executor=executor)
    services.extra.update(registry_services(session_factory, blobs, publish, jobs))
    services.on_startup += [executor.start, lambda: log.info("jobs recovered: %s", jobs.recover_on_start())]
    if settings.demo_network:
        services.on_startup.append(lambda: _seed_demo_network(services))
    services.periodic += [
        PeriodicTask("job-reaper", settings.heartbeat_interval_s, jobs.reap_lapsed),
        PeriodicTask("event-prune", EVENT_PRUNE_INTERVAL_S, lambda: publish.log.prune(settings.event_retention_s)),
    ]
    services.on_shutdown += [lambda: executor.stop(EXECUTOR_STOP_TIMEOUT_S), publish.close, engine.dispose]
    return services


def _seed_demo_network(services: Services) -> None:
    from heimdall.services.networks import seed_demo_network

    seed_demo_network(services.session_factory, services.publish)
