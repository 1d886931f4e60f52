"""The composition root: ``build_platform`` builds the platform of a process from its settings.

    settings -> database (migrated) -> blob store -> events (wake-up, publisher, hub) -> job engine
             -> every use-case service, each a typed attribute of ``Platform``

``heimdall serve`` (with ``heimdall.api.app.create_app``), every ``heimdall`` command that touches
data, and the tests call ``build_platform``; worker processes open theirs with
``heimdall.platform.worker.open_job_runtime``. Nothing else builds a service, a session factory, a
blob store or a publisher for the product's processes (docs/architecture.md lists the tools that
probe on their own). Layers and where things go: docs/architecture.md.

Adding a use-case service: one typed attribute on ``Platform`` and one line in ``build_platform``
(and, for HTTP, one dependency in ``heimdall.api.deps``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Self

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from heimdall.events.hub import Hub, HubTuning
from heimdall.events.log import EventLog
from heimdall.events.publisher import Publisher
from heimdall.events.wakeup import Wakeup, make_wakeup
from heimdall.jobs.executors import InlineExecutor, make_executor
from heimdall.jobs.registry import import_job_modules
from heimdall.jobs.service import Executor, JobService
from heimdall.jobs.topics import Publish
from heimdall.platform.worker import open_job_runtime
from heimdall.receivers.kiwisdr.manners import HostBudget
from heimdall.services.captures.service import CaptureConfig, CaptureService
from heimdall.services.audit import AuditService
from heimdall.services.calibrations import CalibrationService
from heimdall.services.datasets.service import DatasetService
from heimdall.services.localizations import LocalizationService
from heimdall.services.maps.archives import TileArchives
from heimdall.services.models.registry import ModelRegistry
from heimdall.services.models.serving import ModelServing
from heimdall.services.models.training import TrainingService
from heimdall.services.monitors.service import MonitorService
from heimdall.services.networks import NetworkService, seed_demo_network
from heimdall.services.receiver_secrets import ReceiverSecrets
from heimdall.services.receiver_health import HealthPolicy, ReceiverHealthService
from heimdall.services.receivers import ReceiverService
from heimdall.services.references import ReferenceService, seed_starter_references
from heimdall.services.recording_uploads import RecordingUploads
from heimdall.services.secretbox import KEY_FILE, SecretBox
from heimdall.services.terrain_files import TerrainFiles
from heimdall.services.users import Identity
from heimdall.settings import Settings
from heimdall.store.blob import BlobStore, make_blob_store
from heimdall.store.db import make_engine, make_session_factory
from heimdall.store.schema import upgrade_database

log = logging.getLogger(__name__)

EVENT_PRUNE_INTERVAL_S = 3600.0
EXECUTOR_STOP_TIMEOUT_S = 20.0
RECEIVER_HEALTH_FIRST_DELAY_S = 30.0


@dataclass(frozen=True)
class PeriodicTask:
    """A blocking function a serving process runs every ``interval_s`` in a worker thread."""

    name: str
    interval_s: float
    run: Callable[[], object]
    first_delay_s: float | None = None  # before the first run; default: one interval


@dataclass(frozen=True)
class Platform:
    """Everything one process works with. Infrastructure first, then one attribute per use-case service."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    blobs: BlobStore
    wakeup: Wakeup
    # publish(topic, event, data); also the event log (``.log``) and in-process listeners.
    publish: Publisher
    # Streams the event log to /ws clients; started only by a serving process (create_app).
    hub: Hub
    # The job engine's API: create, inspect, control jobs of every registered kind.
    jobs: JobService
    # --- use-case services (heimdall.services.*): add one attribute here and one line in build_platform ---
    receivers: ReceiverService
    networks: NetworkService
    references: ReferenceService
    calibrations: CalibrationService
    localizations: LocalizationService
    datasets: DatasetService
    registry: ModelRegistry
    serving: ModelServing
    training: TrainingService
    tile_archives: TileArchives
    recording_uploads: RecordingUploads
    # Users, API tokens, sessions, login links (docs/security.md); the audit trail of every write.
    identity: Identity
    audit: AuditService
    # Receiver passwords, encrypted at rest with the settings' secret key.
    receiver_secrets: ReceiverSecrets
    # The terrain folder (<data_dir>/terrain) dataset configs take elevation files from.
    terrain_files: TerrainFiles
    receiver_health: ReceiverHealthService
    captures: CaptureService
    monitors: MonitorService

    def start(self) -> None:
        """A serving process, once its hub runs: start the executor, recover the jobs a previous run
        left, seed the demo network into an empty database (``demo_network``) and add the starter
        reference transmitters that are missing (``starter_references``)."""
        self.receiver_health.start()
        if self.jobs.executor is not None:
            self.jobs.executor.start()
        log.info("jobs recovered: %s", self.jobs.recover_on_start())
        if self.settings.demo_network:
            seed_demo_network(self.session_factory, self.publish)
        if self.settings.starter_references:
            seed_starter_references(self.session_factory, self.publish)

    def periodic_tasks(self) -> list[PeriodicTask]:
        """What a serving process runs while it serves: the lease reaper, the event-log pruning and the
        receiver health poller (first round soon after start; off with an interval of 0)."""
        retention_s = self.settings.event_retention_s
        tasks = [
            PeriodicTask("job-reaper", self.settings.heartbeat_interval_s, self.jobs.reap_lapsed),
            PeriodicTask("event-prune", EVENT_PRUNE_INTERVAL_S, lambda: self.publish.log.prune(retention_s)),
            PeriodicTask("auth-prune", EVENT_PRUNE_INTERVAL_S, self.identity.sessions.prune),
        ]
        health_interval_s = self.settings.receiver_health_interval_s
        if health_interval_s > 0:
            tasks.append(PeriodicTask("receiver-health", health_interval_s, self.receiver_health.run_round,
                                      first_delay_s=min(RECEIVER_HEALTH_FIRST_DELAY_S, health_interval_s)))
        return tasks

    def stop(self) -> None:
        """Undo ``start``: running jobs are asked to pause (they resume at the next start), a receiver
        health round in flight asks no more receivers."""
        self.receiver_health.stop()
        if self.jobs.executor is not None:
            self.jobs.executor.stop(EXECUTOR_STOP_TIMEOUT_S)

    def close(self) -> None:
        """Release connections; the one who built the platform closes it."""
        self.publish.close()
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()


def build_platform(settings: Settings, *, inline_jobs: bool = False, blobs: BlobStore | None = None,
                   hub_tuning: HubTuning | None = None) -> Platform:
    """The platform ``settings`` describe (the database is migrated first).

    ``inline_jobs`` runs each job to its end inside the call that creates it (one-shot commands, tests)
    instead of the configured executor; ``blobs`` replaces the configured blob store (tests inject
    failures); ``hub_tuning`` paces the hub (tests).
    """
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade_database(settings.resolved_database_url)
    engine = make_engine(settings.resolved_database_url)
    session_factory = make_session_factory(engine)
    blobs = blobs if blobs is not None else make_blob_store(settings.resolved_blob_url, settings.s3_endpoint_url)
    wakeup = make_wakeup(settings)
    publish = Publisher(EventLog(session_factory), wakeup=wakeup)
    import_job_modules(settings.all_job_modules)
    executor = _executor(settings, session_factory, publish, blobs, inline=inline_jobs)
    jobs = JobService(session_factory, publish, executor, blobs, max_attempts=settings.job_max_attempts)
    networks = NetworkService(session_factory, publish)
    registry = ModelRegistry(session_factory, blobs, publish)
    serving = ModelServing(registry)
    references = ReferenceService(session_factory, publish)
    calibrations = CalibrationService(session_factory, publish, references.get, settings.calibration_max_age_days * 86400.0)
    localizations = LocalizationService(session_factory, publish, serving, corrector=calibrations.correct)
    receivers = ReceiverService(session_factory, publish)
    return Platform(
        settings=settings, engine=engine, session_factory=session_factory, blobs=blobs, wakeup=wakeup,
        publish=publish, hub=Hub(publish.log, wakeup=wakeup, tuning=hub_tuning), jobs=jobs,
        receivers=receivers,
        networks=networks,
        references=references,
        calibrations=calibrations,
        localizations=localizations,
        datasets=DatasetService(session_factory, publish, jobs, blobs, networks,
                                terrain_dir=settings.data_dir / "terrain"),
        registry=registry,
        serving=serving,
        training=TrainingService(session_factory, jobs, registry),
        tile_archives=TileArchives(settings.resolved_tiles_dir),
        recording_uploads=RecordingUploads(localizations, settings.data_dir / "uploads",
                                           max_bytes=settings.max_upload_bytes, max_files=settings.max_upload_files),
        identity=Identity.build(session_factory, session_ttl_s=settings.session_ttl_s),
        audit=AuditService(session_factory, publish),
        receiver_secrets=ReceiverSecrets(session_factory, SecretBox(settings.secret_key.get_secret_value(),
                                                                    settings.data_dir / KEY_FILE)),
        terrain_files=TerrainFiles(settings.data_dir / "terrain", max_bytes=settings.max_terrain_upload_bytes),
        receiver_health=ReceiverHealthService(receivers, HealthPolicy.from_settings(settings)),
        captures=CaptureService(session_factory, publish, jobs, blobs, localizations, capture_config(settings)),
        monitors=MonitorService(session_factory, publish, jobs, networks, localizations,
                                calibration_max_age_s=settings.calibration_max_age_days * 86400.0),
    )


def capture_config(settings: Settings) -> CaptureConfig:
    budget = HostBudget(settings.kiwi_host_max_connections, settings.kiwi_host_max_minutes_per_hour)
    return CaptureConfig(max_duration_s=settings.capture_max_duration_s, ready_timeout_s=settings.capture_ready_timeout_s,
                         contact=settings.kiwi_contact, host_budget=budget)


def _executor(settings: Settings, session_factory: sessionmaker[Session], publish: Publish, blobs: BlobStore,
              *, inline: bool) -> Executor:
    if inline:
        return InlineExecutor(session_factory, publish, blobs, heartbeat_interval_s=settings.heartbeat_interval_s,
                              heartbeat_timeout_s=settings.heartbeat_timeout_s)
    return make_executor(settings, session_factory=session_factory, publish=publish, blobs=blobs,
                         open_runtime=open_job_runtime)
